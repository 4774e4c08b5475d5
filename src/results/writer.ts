/**
 * Writing `results.csv` / `plan.csv`: one line per input row, in input order, the results columns
 * then the carried input columns, into an AtomicFile; a UTF-8 BOM first unless told otherwise.
 */
import { AtomicFile, type BytesSink } from './atomic-file.js';
import { carriedHeader, csvCell, quoteCell, RESULT_COLUMNS, type ResultRow, resultCells } from './columns.js';

/**
 * Text gathered before it is written: a few dozen lines, so that little of it is alive when V8
 * collects young objects (what survives those collections makes V8 grow the young generation).
 */
const CHARS_PER_WRITE = 16 * 1024;

/** The byte order mark, U+FEFF: EF BB BF in UTF-8. */
export const UTF8_BOM = '\uFEFF';

/**
 * Writes result lines into an AtomicFile. Each line is turned into CSV as it is added (RFC 4180,
 * LF line ends, every cell guarded against formula injection) and gathered; the gathered text is
 * written about 16 KiB at a time, one write in flight while the next lines are made, so memory
 * stays flat however many rows there are.
 *
 * The lines are made here rather than by csv-stringify: results have 16 columns and more, and
 * csv-stringify's generic path (a cast, a context object and two arrays per cell) took a sixth of
 * a dry run's time at 1,000,000 rows. The quoting is csv-stringify's, except that a cell holding
 * a lone CR is quoted too: csv-stringify (with LF line ends) left it bare, which ends the line
 * there for readers that take CR as a line end, this tool's own reader among them.
 */
export class ResultsWriter {
  private lines: string[] = [];
  private chars = 0;
  /** The write in flight, if any; it never rejects (its failure is kept in `failure`). */
  private writing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  private constructor(
    private readonly file: AtomicFile,
    private readonly extra: readonly string[],
  ) {}

  /**
   * `bom` (the default): the file starts with a UTF-8 BOM, so that Excel reads it as UTF-8
   * (`--no-bom`: without); `sink` sees every byte written.
   */
  static async create(
    path: string,
    carriedNames: readonly string[],
    extraColumns: readonly string[] = [],
    { bom = true, sink }: { bom?: boolean; sink?: BytesSink | undefined } = {},
  ): Promise<ResultsWriter> {
    const writer = new ResultsWriter(await AtomicFile.create(path, sink), extraColumns);
    const names = [...RESULT_COLUMNS, ...extraColumns, ...carriedHeader(carriedNames, extraColumns)];
    writer.lines.push(`${bom ? UTF8_BOM : ''}${names.map(quoteCell).join(',')}`);
    return writer;
  }

  /** Adds one line; waits for the disk when enough text is gathered. */
  async write(row: ResultRow, carried: readonly string[], extra: Partial<Record<string, string>> = {}): Promise<void> {
    this.add(row, carried, extra);
    await this.flushIfFull();
  }

  /** Adds one line without waiting; the caller calls flushIfFull() every so often (after a batch of rows). */
  add(row: ResultRow, carried: readonly string[], extra?: Partial<Record<string, string>>): void {
    const cells = resultCells(row);
    for (const c of this.extra) {
      cells.push(csvCell(extra?.[c] ?? ''));
    }
    for (const c of carried) {
      cells.push(csvCell(c));
    }
    // One flat string per line: a line of concatenations would be flattened only when written.
    const line = cells.join(',');
    this.lines.push(line);
    this.chars += line.length + 1;
  }

  /** Writes the gathered lines once there are enough of them. */
  async flushIfFull(): Promise<void> {
    if (this.chars >= CHARS_PER_WRITE) {
      await this.flush();
    }
  }

  /** Waits for the write in flight; throws if it (or an earlier one) failed. */
  private async settled(): Promise<void> {
    await this.writing;
    if (this.failure) {
      throw this.failure.error;
    }
  }

  /** Hands the gathered lines to the disk once the write before them is done (writes stay in order). */
  private async flush(): Promise<void> {
    await this.settled();
    if (this.lines.length === 0) {
      return;
    }
    this.lines.push('');
    const text = this.lines.join('\n');
    this.lines = [];
    this.chars = 0;
    this.writing = this.file.write(text).then(
      () => undefined,
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.settled();
    await this.file.commit();
  }

  async abort(): Promise<void> {
    this.lines = [];
    this.chars = 0;
    await this.writing;
    await this.file.abort();
  }
}
