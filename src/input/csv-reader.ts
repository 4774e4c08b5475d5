/**
 * Reading the payee CSV as a stream: UTF-8 checked (BOM tolerated), RFC 4180 via csv-parse,
 * comma, semicolon or tab separated (src/input/delimiter.ts), LF or CRLF, blank lines skipped,
 * each record with the 1-based line it starts on (the header is line 1), and a SHA-256 digest of
 * the file's bytes. Memory stays flat however long the file is. The header row is read by
 * src/input/header.ts (known columns, --columns).
 *
 * A file that cannot be read as CSV at all throws UsageError (exit 2); a record with the wrong
 * number of fields is still yielded, with `fieldCountError`, so that only that row is invalid.
 */

import { isUtf8 } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { CsvError, type Parser, parse } from 'csv-parse';
import { readOnAThread } from './csv-thread.js';
import { type Delimiter, detectDelimiter } from './delimiter.js';
import { type ColumnPair, type CsvHeader, readHeader, readingOf } from './header.js';
import { UsageError } from './usage-error.js';

export type { CsvHeader, KnownColumn } from './header.js';

/** How the file is read: its delimiter (default: detected from the header line), and --columns. */
export interface CsvReadOptions {
  delimiter?: Delimiter | undefined;
  columns?: readonly ColumnPair[] | undefined;
  /**
   * A regular file of at least this many bytes is parsed on a worker thread (THREAD_FROM_BYTES by
   * default; tests give 0 to read every file there).
   */
  threadFromBytes?: number | undefined;
}

/**
 * From this size on, a file is parsed on a worker thread (src/input/csv-thread.ts): its bytes are
 * checked, hashed and parsed there, beside the planning, and its records come over in batches.
 * Below it, starting the thread (tens of milliseconds) would cost more than it saves.
 */
export const THREAD_FROM_BYTES = 4 * 1024 * 1024;

export interface CsvRecord {
  /** 1-based line of the record's first line; the header is line 1. */
  line: number;
  cells: string[];
  /** Set when the record's field count differs from the header's. */
  fieldCountError?: string;
}

export interface PayeeCsv {
  header: CsvHeader;
  /** The records after the header, one at a time. Read either this or `batches`, once. */
  records: AsyncIterable<CsvRecord>;
  /**
   * The same records, in order, as many at a time as the parser has ready (about a hundred): no
   * promise per record, for the passes over large files. Read either this or `records`, once.
   */
  batches: AsyncIterable<CsvRecord[]>;
  /** Hex SHA-256 of the file's bytes; complete once `records` (or `batches`) is exhausted. */
  digest(): string;
  /** How it is read: the delimiter and the header of each column read (src/input/header.ts `readingOf`). */
  reading: string;
  /**
   * Stops the reading (and its thread, if any), whether or not its records were read: for a pass
   * that ends before it reads them, or before their end. Nothing once they have all been read.
   */
  close(): Promise<void>;
}

const TERMINATOR = /\r\n|\r|\n/g;

/** Line breaks inside a record's quoted cells: the lines it spans beyond its first. */
function innerLineBreaks(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (cell.indexOf('\n') === -1 && cell.indexOf('\r') === -1) {
      continue;
    }
    n += cell.match(TERMINATOR)?.length ?? 0;
  }
  return n;
}

/** Bytes at the end of `buf` that begin a multi-byte UTF-8 sequence not yet complete. */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) {
      continue;
    }
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** How many LF bytes `buf` holds. */
function countLineFeeds(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) {
    n++;
  }
  return n;
}

const CR = 0x0d;
/** Bytes read at a time by the scan for CR (holdsCarriageReturn). */
const SCAN_BYTES = 256 * 1024;

/**
 * Bytes parsed at a time (the file is read 64 KiB at a time). Small, so that the records parsed
 * from one slice (about a hundred) are all that is held while they are planned: with 64 KiB,
 * hundreds of records outlive each young collection, and V8 grows its young generation to the
 * maximum sooner (up to 32 MB more RSS).
 */
const PARSE_SLICE_BYTES = 16 * 1024;

/**
 * Bytes in, the same bytes out once they are known to be UTF-8 (a multi-byte character split
 * across reads waits for its end); hashes the bytes on the way. Invalid UTF-8 fails the stream
 * with INPUT_NOT_UTF8 naming the line of the first bad byte.
 */
class Utf8Checker extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private lineFeedsBefore = 0;

  constructor(
    private readonly hash: Hash,
    private readonly path: string,
    /** The file was found to hold no CR (see holdsCarriageReturn): one appearing now means it changed. */
    private readonly lfOnly: boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const cut = buf.length - incompleteTail(buf);
    const body = buf.subarray(0, cut);
    this.pending = Buffer.from(buf.subarray(cut));
    if (!isUtf8(body)) {
      done(this.notUtf8(body));
      return;
    }
    if (this.lfOnly && body.includes(CR)) {
      done(new UsageError('INPUT_UNREADABLE', `${this.path} changed while it was read`));
      return;
    }
    this.lineFeedsBefore += countLineFeeds(body);
    // Handed on in slices: see PARSE_SLICE_BYTES.
    for (let at = 0; at < body.length; at += PARSE_SLICE_BYTES) {
      this.push(body.subarray(at, at + PARSE_SLICE_BYTES));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.pending.length ? this.notUtf8(this.pending) : null);
  }

  private notUtf8(body: Buffer): UsageError {
    // Invalid bytes decode to U+FFFD: the text before the first one locates the bad byte.
    const text = body.toString('utf8');
    const bad = text.indexOf('\uFFFD');
    const before = Buffer.byteLength(bad < 0 ? text : text.slice(0, bad));
    const line = 1 + this.lineFeedsBefore + countLineFeeds(body.subarray(0, before));
    return new UsageError(
      'INPUT_NOT_UTF8',
      `the file is not UTF-8 text (first bad byte on line ${line}); save it as CSV UTF-8`,
      line,
    );
  }
}

function isBlank(cells: string[]): boolean {
  for (const cell of cells) {
    if (cell.trim() !== '') {
      return false;
    }
  }
  return true;
}

/**
 * A record after the header, checked against the header's `width`: empty cells past the width are
 * dropped (a spreadsheet's trailing commas); any other difference is the record's fieldCountError.
 */
function withFieldCount(line: number, cells: string[], width: number): CsvRecord {
  if (cells.length > width && isBlank(cells.slice(width))) {
    cells.length = width;
  }
  if (cells.length === width) {
    return { line, cells };
  }
  const fields = `${cells.length} field${cells.length === 1 ? '' : 's'}`;
  return { line, cells, fieldCountError: `has ${fields} where the header has ${width}` };
}

function csvErrorToUsage(err: unknown, line: number): unknown {
  if (!(err instanceof CsvError)) {
    return err;
  }
  const what =
    err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field is never closed'
      : err.code === 'CSV_INVALID_CLOSING_QUOTE'
        ? 'a closing quote is followed by other characters'
        : err.message;
  return new UsageError(
    'INPUT_MALFORMED',
    `the file is not readable as CSV near line ${line}: ${what} (${err.code})`,
    line,
  );
}

/** Bytes read at most before the delimiter is chosen from the header line (a header is far shorter). */
const HEAD_BYTES = 64 * 1024;

/**
 * The first bytes `stream` hands over, up to a chunk holding a line end (or HEAD_BYTES, or the
 * end): the header line. The stream is left paused after them, to be piped on.
 */
function readHead(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', settle);
      if (error) {
        reject(error);
      } else {
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = () => settle();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES || chunk.includes(0x0a) || chunk.includes(CR)) {
        stream.pause();
        settle();
      }
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', settle);
  });
}

interface ParsedFile {
  file: ReadStream;
  parser: Parser;
  delimiter: Delimiter;
}

/**
 * The file's bytes through the UTF-8 check (which hashes them) into csv-parse, split with
 * `delimiter`, else with the one the header line uses (detectDelimiter); a file that cannot be
 * read fails with INPUT_UNREADABLE. Blank lines come through as records of one empty cell
 * (skip_empty_lines is off) so that every physical line is accounted for: a record starts on the
 * line after the previous one ended.
 */
async function parseFile(path: string, hash: Hash, lfOnly: boolean, delimiter?: Delimiter): Promise<ParsedFile> {
  const file = createReadStream(path);
  const checker = new Utf8Checker(hash, path, lfOnly);
  // The checker's failure fails the parser; until there is one, it is kept (and readHead rejects).
  const sink: { parser?: Parser; error?: Error } = {};
  checker.on('error', (err: Error) => {
    if (sink.parser) {
      sink.parser.destroy(err);
    } else {
      sink.error = err;
    }
  });
  file.on('error', (err: NodeJS.ErrnoException) =>
    checker.destroy(new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${err.code ?? err.message}`)),
  );
  file.pipe(checker);
  const head = await readHead(checker).catch((err: unknown) => {
    file.destroy();
    throw err;
  });
  const chosen = delimiter ?? detectDelimiter(head.toString('utf8'));
  const parser = parse({
    bom: true,
    encoding: 'utf8',
    delimiter: chosen,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    // The same records either way: without a CR in the file, only LF can end a line.
    record_delimiter: lfOnly ? ['\n'] : ['\r\n', '\n', '\r'],
  });
  sink.parser = parser;
  if (sink.error) {
    parser.destroy(sink.error);
  } else {
    if (head.length > 0) {
      parser.write(head);
    }
    checker.pipe(parser);
  }
  return { file, parser, delimiter: chosen };
}

/**
 * Whether the file holds a CR byte anywhere (a quick scan; true when it is not a regular file, or
 * cannot be read, which the parse then reports). Most files end their lines with LF only: told that LF is the only line
 * end, csv-parse tests one line end per byte instead of three, a tenth of its time.
 */
async function holdsCarriageReturn(path: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    // A pipe can be read only once (opening it would even disturb its writer): no scan.
    if (!(await stat(path)).isFile()) {
      return true;
    }
    handle = await open(path, 'r');
  } catch {
    return true;
  }
  try {
    const buf = Buffer.allocUnsafe(SCAN_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, SCAN_BYTES, null);
      if (bytesRead === 0) {
        return false;
      }
      if (buf.subarray(0, bytesRead).includes(CR)) {
        return true;
      }
    }
  } catch {
    return true;
  } finally {
    await handle.close();
  }
}

/**
 * The records of an object stream, as many at a time as are ready: the stream's own async iterator
 * costs a promise per record. As that iterator does, a stream destroyed before its end throws (its
 * error), and records still buffered then are not handed over; leaving early destroys the stream.
 */
async function* readyRecords(parser: Parser): AsyncGenerator<string[][]> {
  let wake: (() => void) | undefined;
  const onEvent = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const events = ['readable', 'end', 'error', 'close'] as const;
  for (const event of events) {
    parser.on(event, onEvent);
  }
  try {
    while (!parser.readableEnded) {
      if (parser.destroyed) {
        throw parser.errored ?? new Error('the CSV parser was closed before the end of the file');
      }
      const ready: string[][] = [];
      for (let cells = parser.read() as string[] | null; cells !== null; cells = parser.read() as string[] | null) {
        ready.push(cells);
      }
      if (ready.length > 0) {
        yield ready;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } finally {
    for (const event of events) {
      parser.off(event, onEvent);
    }
    if (!parser.readableEnded) {
      parser.destroy();
    }
  }
}

/**
 * Every non-blank record in batches, the header first (the first record of the first batch); the
 * field counts of the records after it are checked against its width. The digest is known at the end.
 */
async function* nonBlankBatches(
  file: ReadStream,
  parser: Parser,
  hash: Hash,
  state: { digest: string | undefined },
): AsyncGenerator<CsvRecord[]> {
  let nextLine = 1;
  let width = 0;
  try {
    for await (const ready of readyRecords(parser)) {
      const batch: CsvRecord[] = [];
      for (const cells of ready) {
        const line = nextLine;
        nextLine += 1 + innerLineBreaks(cells);
        if (isBlank(cells)) {
          continue;
        }
        batch.push(width ? withFieldCount(line, cells, width) : { line, cells });
        width ||= cells.length;
      }
      if (batch.length > 0) {
        yield batch;
      }
    }
  } catch (err) {
    file.destroy();
    throw csvErrorToUsage(err, nextLine);
  }
  state.digest = hash.digest('hex');
}

/** `rest` (the records of the header's batch), then every later batch. */
async function* batchesAfter(
  rest: CsvRecord[],
  later: AsyncGenerator<CsvRecord[], void, undefined>,
): AsyncGenerator<CsvRecord[]> {
  try {
    if (rest.length > 0) {
      yield rest;
    }
    yield* later;
  } finally {
    // Left early (or failed): the reading stops, and its thread with it. Nothing once it has ended.
    await later.return(undefined);
  }
}

async function* oneByOne(batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<CsvRecord> {
  for await (const batch of batches) {
    for (const record of batch) {
      yield record;
    }
  }
}

/**
 * A file's non-blank records in batches, the header first, as read on this thread or on another;
 * its digest once they are all read.
 */
export interface RecordSource {
  /** The delimiter the file is read with (given, or detected from the header line). */
  delimiter: Delimiter;
  batches: AsyncGenerator<CsvRecord[], void, undefined>;
  /** Hex SHA-256 of the file's bytes, once `batches` is exhausted. */
  digest(): string | undefined;
  /** Stops the reading, even before `batches` is started (whose own `return()` would not reach it). */
  close(): Promise<void>;
}

/** Reads `path` on this thread. */
export async function readOnThisThread(path: string, delimiter?: Delimiter): Promise<RecordSource> {
  const hash = createHash('sha256');
  const parsed = await parseFile(path, hash, !(await holdsCarriageReturn(path)), delimiter);
  const state: { digest: string | undefined } = { digest: undefined };
  const batches = nonBlankBatches(parsed.file, parsed.parser, hash, state);
  return {
    delimiter: parsed.delimiter,
    batches,
    digest: () => state.digest,
    close: async () => {
      await batches.return(undefined);
      parsed.parser.destroy();
      parsed.file.destroy();
    },
  };
}

/** The size of `path` when it is a regular file (a pipe is read on this thread, once). */
async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a payee CSV: reads up to the header (throwing UsageError if the file is unreadable,
 * empty or has no header it can use) and returns the rest as a stream of records.
 */
export async function openPayeeCsv(path: string, options: CsvReadOptions = {}): Promise<PayeeCsv> {
  const size = await regularFileSize(path);
  const source =
    size !== undefined && size >= (options.threadFromBytes ?? THREAD_FROM_BYTES)
      ? await readOnAThread(path, options.delimiter)
      : await readOnThisThread(path, options.delimiter);
  const { delimiter } = source;
  let header: CsvHeader;
  let rest: CsvRecord[];
  try {
    const first = await source.batches.next();
    if (first.done) {
      throw new UsageError(
        'INPUT_EMPTY',
        `${path} is empty: expected a header row with at least 'amount' and 'destination' (or 'destinationEmail')`,
      );
    }
    header = readHeader(first.value[0]!.cells, { delimiter, columns: options.columns });
    rest = first.value.slice(1);
  } catch (err) {
    await source.close();
    throw err;
  }
  const batches = batchesAfter(rest, source.batches);

  const records = oneByOne(batches);
  return {
    header,
    batches,
    records,
    close: async () => {
      await records.return(undefined);
      await batches.return(undefined);
      await source.close();
    },
    reading: readingOf(header, delimiter),
    digest: () => {
      const digest = source.digest();
      if (digest === undefined) {
        throw new Error('digest() called before the records were read to the end');
      }
      return digest;
    },
  };
}
