/**
 * Reading the payee CSV as a stream: UTF-8 checked (BOM tolerated), RFC 4180 via csv-parse,
 * LF or CRLF, blank lines skipped, each record with the 1-based line it starts on (the header is
 * line 1), and a SHA-256 digest of the file's bytes. Memory stays flat however long the file is.
 *
 * A file that cannot be read as CSV at all throws UsageError (exit 2); a record with the wrong
 * number of fields is still yielded, with `fieldCountError`, so that only that row is invalid.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { UsageError } from './usage-error.js';

/** Columns the tool understands; matched case-insensitively after trimming. */
export const KNOWN_COLUMNS = [
  'destination',
  'amount',
  'currency',
  'source',
  'paymentId',
  'correlationId',
  'feeAmount',
  'feeChargeTo',
  'sourceAddenda',
  'destinationAddenda',
  'clearing',
] as const;
export type KnownColumn = (typeof KNOWN_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly KnownColumn[] = ['destination', 'amount'];
const METADATA_PREFIX = 'metadata.';

export interface CsvHeader {
  /** Header cells as written (trimmed). */
  names: string[];
  /** Column index of each known column present. */
  known: Partial<Record<KnownColumn, number>>;
  /** `metadata.KEY` columns: the KEY as written, and its index. */
  metadata: Array<{ key: string; index: number }>;
  /** Every other column, copied to the results unchanged. */
  carried: Array<{ name: string; index: number }>;
}

export interface CsvRecord {
  /** 1-based line of the record's first line; the header is line 1. */
  line: number;
  cells: string[];
  /** Set when the record's field count differs from the header's. */
  fieldCountError?: string;
}

export interface PayeeCsv {
  header: CsvHeader;
  records: AsyncIterable<CsvRecord>;
  /** Hex SHA-256 of the file's bytes; complete once `records` is exhausted. */
  digest(): string;
}

const TERMINATOR = /\r\n|\r|\n/g;
const LEADING_BLANK_LINES = /^(?:\r\n|\r|\n)+/;

function countTerminators(text: string): number {
  let n = 0;
  TERMINATOR.lastIndex = 0;
  while (TERMINATOR.exec(text)) n++;
  return n;
}

/** Bytes at the end of `buf` that begin a multi-byte UTF-8 sequence not yet complete. */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Bytes in, checked UTF-8 text out; hashes the bytes on the way. A BOM is dropped. Invalid UTF-8
 * fails the stream with INPUT_NOT_UTF8 naming the line of the first bad byte.
 */
class Utf8Checker extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private linesBefore = 1;
  private first = true;

  constructor(private readonly hash: Hash) {
    super({ decodeStrings: true, readableObjectMode: false, encoding: 'utf8' });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const cut = buf.length - incompleteTail(buf);
    const body = buf.subarray(0, cut);
    this.pending = Buffer.from(buf.subarray(cut));
    this.pass(body, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) return done(this.notUtf8(this.pending));
    done();
  }

  private pass(body: Buffer, done: TransformCallback): void {
    if (!isUtf8(body)) return done(this.notUtf8(body));
    let text = body.toString('utf8');
    if (this.first && text.length) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.linesBefore += countTerminators(text);
    done(null, text);
  }

  private notUtf8(body: Buffer): UsageError {
    const text = body.toString('utf8');
    const bad = text.indexOf('\uFFFD');
    const line = this.linesBefore + countTerminators(text.slice(0, bad < 0 ? text.length : bad));
    return new UsageError('INPUT_NOT_UTF8', `the file is not UTF-8 text (first bad byte on line ${line}); save it as CSV UTF-8`, line);
  }
}

function readHeader(cells: string[]): CsvHeader {
  const header: CsvHeader = { names: [], known: {}, metadata: [], carried: [] };
  const seen = new Map<string, string>();
  const known = new Map(KNOWN_COLUMNS.map((c) => [c.toLowerCase(), c]));
  cells.forEach((cell, index) => {
    const name = cell.trim();
    const lower = name.toLowerCase();
    header.names.push(name);
    if (name === '') {
      header.carried.push({ name: `column${index + 1}`, index });
      return;
    }
    const earlier = seen.get(lower);
    if (earlier !== undefined) throw new UsageError('INPUT_BAD_HEADER', `column '${name}' appears twice in the header (as '${earlier}' too)`, 1);
    seen.set(lower, name);
    const column = known.get(lower);
    if (column) header.known[column] = index;
    else if (lower.startsWith(METADATA_PREFIX)) {
      const key = name.slice(METADATA_PREFIX.length).trim();
      if (key === '') throw new UsageError('INPUT_BAD_HEADER', `column '${name}' names no metadata key (write metadata.KEY)`, 1);
      header.metadata.push({ key, index });
    } else header.carried.push({ name, index });
  });
  const missing = REQUIRED_COLUMNS.filter((c) => header.known[c] === undefined);
  if (missing.length) {
    throw new UsageError('INPUT_MISSING_COLUMN', `the header has no ${missing.map((c) => `'${c}'`).join(' or ')} column (found: ${header.names.join(', ') || 'nothing'})`, 1);
  }
  return header;
}

function isBlank(cells: string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

function csvErrorToUsage(err: unknown, linesRead: number): unknown {
  if (!(err instanceof CsvError)) return err;
  const line = (err as CsvError & { lines?: number }).lines ?? linesRead;
  const what =
    err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field is never closed'
      : err.code === 'CSV_INVALID_CLOSING_QUOTE'
        ? 'a closing quote is followed by other characters'
        : err.message;
  return new UsageError('INPUT_MALFORMED', `the file is not readable as CSV near line ${line}: ${what} (${err.code})`, line);
}

/**
 * Opens a payee CSV: reads up to the header (throwing UsageError if the file is unreadable,
 * empty or lacks a required column) and returns the rest as a stream of records.
 */
export async function openPayeeCsv(path: string): Promise<PayeeCsv> {
  const hash = createHash('sha256');
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const parser = parse({
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const checker = new Utf8Checker(hash);
  const fail = (err: unknown) => parser.destroy(err instanceof Error ? err : new Error(String(err)));
  file.on('error', (err: NodeJS.ErrnoException) => fail(new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${err.code ?? err.message}`)));
  checker.on('error', fail);
  file.pipe(checker).pipe(parser);

  let digest: string | undefined;
  let linesRead = 0;
  const iterator = (parser as AsyncIterable<{ record: string[]; raw: string }>)[Symbol.asyncIterator]();

  async function next(): Promise<CsvRecord | undefined> {
    for (;;) {
      let step: IteratorResult<{ record: string[]; raw: string }>;
      try {
        step = await iterator.next();
      } catch (err) {
        file.destroy();
        throw csvErrorToUsage(err, linesRead + 1);
      }
      if (step.done) {
        digest = hash.digest('hex');
        return undefined;
      }
      const { record, raw } = step.value;
      const leading = LEADING_BLANK_LINES.exec(raw);
      const line = linesRead + 1 + (leading ? countTerminators(leading[0]) : 0);
      linesRead += countTerminators(raw);
      if (isBlank(record)) continue;
      return { line, cells: record };
    }
  }

  const first = await next();
  if (!first) throw new UsageError('INPUT_EMPTY', `${path} is empty: expected a header row with at least 'destination' and 'amount'`);
  const header = readHeader(first.cells);
  const width = header.names.length;

  async function* records(): AsyncGenerator<CsvRecord> {
    for (let rec = await next(); rec; rec = await next()) {
      const cells = rec.cells;
      if (cells.length > width && cells.slice(width).every((c) => c.trim() === '')) cells.length = width;
      if (cells.length !== width) {
        rec.fieldCountError = `has ${cells.length} field${cells.length === 1 ? '' : 's'} where the header has ${width}`;
      }
      yield rec;
    }
  }

  return {
    header,
    records: records(),
    digest: () => {
      if (digest === undefined) throw new Error('digest() called before the records were read to the end');
      return digest;
    },
  };
}
