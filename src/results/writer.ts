/**
 * Writing `results.csv` / `plan.csv`: one line per input row, in input order, the results columns
 * then the carried input columns, into an AtomicFile.
 */
import { stringify } from 'csv-stringify/sync';
import { AtomicFile } from './atomic-file.js';
import { carriedHeader, guardCell, RESULT_COLUMNS, type ResultRow } from './columns.js';

/** Rows gathered before they are stringified and written in one go. */
const ROWS_PER_WRITE = 1000;

/**
 * Writes result lines into an AtomicFile. Rows are gathered in small batches and turned into CSV
 * by csv-stringify, so a large file costs one write per thousand rows and memory stays flat.
 */
export class ResultsWriter {
  private batch: string[][] = [];

  private constructor(
    private readonly file: AtomicFile,
    private readonly extra: readonly string[],
  ) {}

  static async create(
    path: string,
    carriedNames: readonly string[],
    extraColumns: readonly string[] = [],
  ): Promise<ResultsWriter> {
    const writer = new ResultsWriter(await AtomicFile.create(path), extraColumns);
    writer.batch.push([...RESULT_COLUMNS, ...extraColumns, ...carriedHeader(carriedNames, extraColumns)]);
    return writer;
  }

  /** Adds one line; every thousandth call waits for the disk. */
  async write(row: ResultRow, carried: readonly string[], extra: Partial<Record<string, string>> = {}): Promise<void> {
    const cells: string[] = [];
    for (const c of RESULT_COLUMNS) {
      cells.push(guardCell(String(row[c] ?? '')));
    }
    for (const c of this.extra) {
      cells.push(guardCell(extra[c] ?? ''));
    }
    for (const c of carried) {
      cells.push(guardCell(c));
    }
    this.batch.push(cells);
    if (this.batch.length >= ROWS_PER_WRITE) {
      await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (!this.batch.length) {
      return;
    }
    const text = stringify(this.batch, { record_delimiter: 'unix' });
    this.batch = [];
    await this.file.write(text);
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }

  async abort(): Promise<void> {
    this.batch = [];
    await this.file.abort();
  }
}
