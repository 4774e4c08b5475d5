/**
 * The batch journal: `OUT/BATCH_ID/journal.jsonl`, one JSON record per line, append-only.
 *
 * Format: records are written compact (about 240 bytes for a created row's intent and outcome,
 * nothing written twice), and journals of earlier versions, or mixing both, are read the same:
 * src/batch/journal-format.ts. Callers see the logical records (journal-records.ts) only.
 *
 * Reading: `readJournal` streams the file once and keeps, per key, a few bytes in typed arrays
 * (src/batch/key-states.ts); `byKey.get` reads a key's records back from the file.
 *
 * Durability: `Journal.append` resolves only once its record is written and fsync'd, so a
 * caller that appends an intent before POSTing a transfer knows the intent survives a crash.
 * Concurrent appends are group-committed: whatever is queued goes out in one write and one
 * fsync, and all of that group's callers resolve together. Writes are strictly serial. The
 * file is opened with O_DSYNC where the platform has it: each write returns once its data is
 * durable (an fdatasync's guarantee), one call to the thread pool per group instead of two.
 * Outcome records need not be durable before anything (an intent must be, before its POST):
 * appended with `linger`, a group of them alone waits up to OUTCOME_LINGER_MS for other records
 * to ride along with, so that a run writes (and syncs) about once per intent group rather than
 * once per answer.
 *
 * Crash tolerance: a crash mid-write can leave a torn last line. `readJournal` ignores it
 * (reporting `tornTail`), and `Journal.open` truncates it so new records start on a fresh line.
 * Anything else that does not parse is corruption and throws `JournalCorruptError`: a journal
 * decides what was paid, so it is never read past a line it does not understand.
 *
 * Secrets: records carry ids, amounts and Dwolla's answers, never credentials. As a guard,
 * `append` rejects a record with a field named like a credential (authorization, token,
 * secret, password, api key), at any depth, with `JOURNAL_SECRET_FIELD`.
 */
import { close, constants, fstat, open as openFd, read } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { KeyVersion } from '../plan/keys.js';
import {
  contextProblem,
  firstSegment,
  LineEncoder,
  noteSegment,
  type ParsedLine,
  parseLine,
  type Segment,
  segmentOf,
} from './journal-format.js';
import {
  JournalCorruptError,
  JournalError,
  type JournalRecord,
  type KeyStates,
  type RunRecord,
} from './journal-records.js';
import { paymentTag } from './key-set.js';
import { type BucketOf, KeyIndex, LineReader } from './key-states.js';

export { JournalDecoder } from './journal-format.js';
export {
  type IntentRecord,
  JournalCorruptError,
  JournalError,
  type JournalRecord,
  type KeyState,
  type OutcomeRecord,
  type ReconciledTransfer,
  type ReconcileRecord,
  type RunRecord,
} from './journal-records.js';

export interface JournalState {
  runs: RunRecord[];
  /** `inputDigest` of the last run record. */
  lastDigest?: string;
  /** The key version of the batch's first run (v1 when it names none); undefined before any run. */
  keyVersion?: KeyVersion;
  /**
   * Every key the journal names, with its state: a read-only Map, compact (src/batch/key-states.ts).
   * Each `get` reads the key's records back from the file, so a state is a fresh object: changing
   * it changes nothing. `values()`/`entries()` make one state at a time.
   */
  byKey: KeyStates;
  /** The file ended with a torn record (a crash mid-write); it was ignored. */
  tornTail: boolean;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface JournalStats {
  /** Records made durable. */
  records: number;
  /** Group writes (one per group commit). */
  writes: number;
  /** Group writes made durable (O_DSYNC writes, or write + fdatasync); 0 with `fsync: false`. */
  syncs: number;
}

export class Journal {
  readonly path: string;
  readonly stats: JournalStats = { records: 0, writes: 0, syncs: 0 };
  private readonly fh: FileHandle;
  private readonly fsync: boolean;
  /** The file was opened with O_DSYNC: a write is durable when it returns, no fdatasync after it. */
  private readonly dsync: boolean;
  private readonly encoder: LineEncoder;
  private queue: Pending[] = [];
  /** A record appended without `linger` is queued: the next group is written without lingering. */
  private urgent = false;
  /** Ends the current linger at once (an urgent record came, or the journal is closing). */
  private stopLinger: (() => void) | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Sticky: after a failed write the file's tail is unknown, so nothing more is appended. */
  private failure: Error | undefined;
  private written: number;

  private readonly lingerMs: number;

  private constructor(
    path: string,
    fh: FileHandle,
    size: number,
    opts: { fsync: boolean; format: JournalFormat; lingerMs: number },
  ) {
    this.path = path;
    this.fh = fh;
    this.written = size;
    this.fsync = opts.fsync;
    this.dsync = opts.fsync && O_DSYNC !== undefined;
    this.encoder = new LineEncoder(opts.format === 'compact');
    this.lingerMs = opts.lingerMs;
  }

  /**
   * The file's length in bytes: as opened (a torn tail cut), plus what this journal wrote. Before
   * the first append, where this journal's records will start (`readJournal`'s `from`).
   */
  get size(): number {
    return this.written;
  }

  /**
   * Opens (creating the directory and file if needed) for appending; truncates a torn tail.
   * `format`: `compact` (the default) or `legacy`, the format of journals before it (for tests).
   * `lingerMs`: how long appends made with `linger` may wait (default OUTCOME_LINGER_MS).
   */
  static async open(
    path: string,
    opts: { fsync?: boolean; format?: JournalFormat; lingerMs?: number } = {},
  ): Promise<Journal> {
    const fsync = opts.fsync ?? true;
    await mkdir(dirname(path), { recursive: true });
    // 'a+' (read and append, created if missing), durable writes when fsync'd.
    const fh = await open(path, fsync && O_DSYNC !== undefined ? APPEND_READ | O_DSYNC : 'a+');
    let end: number;
    try {
      const { size } = await fh.stat();
      const tornAt = await findTornTail(fh.fd, size);
      end = tornAt ?? size;
      if (tornAt !== undefined) {
        await fh.truncate(tornAt);
        if (fsync) {
          await fh.sync();
        }
      }
      if (fsync) {
        await syncDir(dirname(path));
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new Journal(path, fh, end, {
      fsync,
      format: opts.format ?? 'compact',
      lingerMs: opts.lingerMs ?? OUTCOME_LINGER_MS,
    });
  }

  /**
   * Resolves once `rec` is on disk (written and, unless `fsync: false`, fsync'd). Records are
   * written in the order of the calls, each encoded (journal-format.ts) when it is called.
   * `linger`: the record need not be durable soon (an outcome): when only such records are
   * queued, their group waits up to OUTCOME_LINGER_MS for others to ride along with.
   */
  append(rec: JournalRecord, opts: { linger?: boolean } = {}): Promise<void> {
    if (this.closed) {
      return Promise.reject(new JournalError('JOURNAL_CLOSED', this.path, `journal ${this.path} is closed`));
    }
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    const secret = findSecretField(rec);
    if (secret !== undefined) {
      return Promise.reject(
        new JournalError(
          'JOURNAL_SECRET_FIELD',
          this.path,
          `refusing to journal a ${rec.type} record with a credential-like field "${secret}"`,
        ),
      );
    }
    const line = this.encoder.encode(rec);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!opts.linger) {
        this.urgent = true;
        this.stopLinger?.();
      }
      this.flushing ??= this.drain();
    });
  }

  /**
   * Writes what is queued without lingering; resolves once it is durable (a failed write is
   * reported to its appends, not here).
   */
  async flush(): Promise<void> {
    if (this.queue.length > 0) {
      this.urgent = true;
      this.stopLinger?.();
    }
    await this.flushing;
  }

  /** Waits for queued appends, then closes the file. Later appends reject with `JOURNAL_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.stopLinger?.();
    await this.flushing;
    await this.fh.close();
  }

  /**
   * Writes what is queued, a group at a time, until nothing is: one durable write per group, off
   * the event loop (the thread pool), so that the run's requests go on meanwhile and the appends
   * made during a group's write form the next group. Groups are strictly serial.
   * It starts on setImmediate, so that appends made while I/O callbacks ran join the first group.
   */
  private async drain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      if (!this.urgent && !this.closed) {
        await this.linger();
      }
      const group = this.queue;
      this.queue = [];
      this.urgent = false;
      await this.writeGroup(group);
    }
    this.flushing = undefined;
  }

  /** Waits `lingerMs`, or less if an urgent record comes or the journal closes. */
  private linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopLinger = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.lingerMs);
      this.stopLinger = done;
    });
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    try {
      if (this.failure) {
        throw this.failure;
      }
      const buf = Buffer.from(group.map((p) => p.line).join(''), 'utf8');
      for (let off = 0; off < buf.length; ) {
        off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
      }
      this.written += buf.length;
      this.stats.writes++;
      if (this.fsync) {
        if (!this.dsync) {
          await this.fh.datasync();
        }
        this.stats.syncs++;
      }
      this.stats.records += group.length;
      for (const p of group) {
        p.resolve();
      }
    } catch (err) {
      this.failure ??= new JournalError(
        'JOURNAL_WRITE_FAILED',
        this.path,
        `could not write journal ${this.path}: ${(err as Error).message}`,
        { cause: err },
      );
      for (const p of group) {
        p.reject(this.failure);
      }
    }
  }
}

export type JournalFormat = 'compact' | 'legacy';

/** How long a group of outcomes alone waits for other records to ride along with. */
const OUTCOME_LINGER_MS = 20;

/** O_DSYNC where the platform defines it (not on Windows: there, write then fdatasync). */
const O_DSYNC: number | undefined = constants.O_DSYNC;
const APPEND_READ = constants.O_APPEND | constants.O_CREAT | constants.O_RDWR;

export interface ReadJournalOptions {
  /**
   * Read from this byte offset (a line's start, e.g. `Journal.size` before a run appended): the
   * records from there on, e.g. one run's own. Lines there must not refer to lines before it
   * (a writer's lines never refer to lines it did not write).
   */
  from?: number;
  /** The key table's bucket function (tests: force collisions). */
  bucketOf?: BucketOf;
  /** Keep what each intent paid, for `createdRows()` (default true; see `KeyIndexOptions`). */
  payments?: boolean;
  /**
   * About how many keys the records read name, when known (`KeyIndexOptions.expectedKeys`), e.g.
   * the file's valid rows; never taken beyond what the journal's size allows.
   */
  expectedKeys?: number;
}

const openFile = promisify(openFd);
const closeFile = promisify(close);
const statFile = promisify(fstat);
const readFile = promisify(read);

/**
 * Reads a journal as a stream, in chunks: what it keeps grows with the number of keys, a few
 * bytes each (`byKey`), not with the records. The file stays open for `byKey` to read states back.
 */
export async function readJournal(path: string, opts: ReadJournalOptions = {}): Promise<JournalState> {
  let fd: number;
  try {
    fd = await openFile(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { runs: [], byKey: new KeyIndex(), tornTail: false };
    }
    throw err;
  }
  let kept = false;
  try {
    const { size } = await statFile(fd);
    const tornAt = await findTornTail(fd, size);
    const end = tornAt ?? size;
    const from = Math.min(opts.from ?? 0, end);
    const index = new KeyIndex({
      bucketOf: opts.bucketOf,
      wideOffsets: end >= 2 ** 32 - 1,
      payments: opts.payments ?? true,
      // never more keys than the bytes could name (a record line is longer than 64 bytes)
      expectedKeys: Math.min(opts.expectedKeys ?? 0, Math.floor((end - from) / 64)),
    });
    const scan = new Scan(path, index, from);
    await forEachLine(fd, from, end, (line, offset, lineNo) => scan.line(line, offset, lineNo));
    if (index.size > 0) {
      index.attach(new LineReader(path, fd, scan.segments, end));
      kept = true;
    }
    return { ...scan.summary(), byKey: index, tornTail: tornAt !== undefined };
  } finally {
    if (!kept) {
      await closeFile(fd);
    }
  }
}

/** What reading a journal's lines in order learns, but the keys' states (which go to the index). */
class Scan {
  readonly segments: Segment[];
  readonly runs: RunRecord[] = [];

  constructor(
    private readonly path: string,
    private readonly index: KeyIndex,
    private readonly from: number,
  ) {
    this.segments = [{ ...firstSegment(), offset: from }];
  }

  line(text: string, offset: number, lineNo: number): void {
    const p = parseLine(text);
    if (typeof p === 'string') {
      throw this.corrupt(lineNo, offset, p);
    }
    if (p.kind === 'run') {
      const run = p.fields as unknown as RunRecord;
      this.runs.push(run);
      this.segments.push(segmentOf(run, offset));
      return;
    }
    const i = this.index.slot(p.key);
    const seg = this.segments[this.segments.length - 1]!;
    const problem = contextProblem(p, seg, this.index.hasIntent(i));
    if (problem !== undefined) {
      throw this.corrupt(lineNo, offset, problem);
    }
    noteSegment(p, seg);
    this.note(p, i, offset);
  }

  summary(): Pick<JournalState, 'runs' | 'lastDigest' | 'keyVersion'> {
    const last = this.runs[this.runs.length - 1];
    const first = this.runs[0];
    return {
      runs: this.runs,
      ...(last ? { lastDigest: last.inputDigest } : {}),
      ...(first ? { keyVersion: first.keyVersion ?? 'v1' } : {}),
    };
  }

  /** Read from the start, a line is named by its number; else by its byte offset. */
  private corrupt(lineNo: number, offset: number, reason: string): JournalCorruptError {
    return this.from === 0
      ? new JournalCorruptError(this.path, lineNo, reason)
      : new JournalCorruptError(this.path, 0, reason, offset);
  }

  private note(p: ParsedLine, i: number, offset: number): void {
    switch (p.kind) {
      case 'intent':
        this.index.noteIntent(i, offset, intentTag(p));
        break;
      case 'outcome':
        this.index.noteOutcome(i, offset, p.status === 'created', p.borrows);
        break;
      default:
        this.index.noteReconcile(i, offset);
    }
  }
}

/** `paymentTag` of a checked intent line: its destination and amount (compact `d`, `m`). */
function intentTag(p: ParsedLine): number {
  const f = p.fields;
  return p.compact
    ? paymentTag(f.d as string, f.m as number)
    : paymentTag(f.destination as string, f.amountCents as number);
}

const CHUNK = 1024 * 1024;

/**
 * Calls `onLine` for each newline-terminated line of the file from `from` up to `end`, with its
 * byte offset and its number (1-based, counted from `from`).
 */
async function forEachLine(
  fd: number,
  from: number,
  end: number,
  onLine: (line: string, offset: number, lineNo: number) => void,
): Promise<void> {
  let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(end - from, 1)));
  let bufAt = from; // file offset of buf[0]
  let filled = 0;
  let lineNo = 0;
  while (bufAt + filled < end) {
    if (filled === buf.length) {
      buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]); // a line longer than the buffer
    }
    const { bytesRead } = await readFile(
      fd,
      buf,
      filled,
      Math.min(buf.length - filled, end - bufAt - filled),
      bufAt + filled,
    );
    if (bytesRead === 0) {
      break; // the file shrank while read: what was read is all there is
    }
    filled += bytesRead;
    const data = buf.subarray(0, filled);
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      onLine(data.toString('utf8', start, nl), bufAt + start, ++lineNo);
      start = nl + 1;
    }
    buf.copy(buf, 0, start, filled);
    bufAt += start;
    filled -= start;
  }
}

const TAIL_CHUNK = 64 * 1024;

/**
 * The offset where a torn last line starts, or undefined if the file ends cleanly. The last
 * line is torn when it has no trailing newline (a crash mid-write) or, newline-terminated,
 * is not a record (a power loss can leave a written length over unwritten data).
 */
async function findTornTail(fd: number, size: number): Promise<number | undefined> {
  if (size === 0) {
    return undefined;
  }
  const last = Buffer.alloc(1);
  await readFile(fd, last, 0, 1, size - 1);
  const terminated = last[0] === 0x0a;
  const lineStart = await lastLineStart(fd, terminated ? size - 1 : size);
  if (!terminated) {
    return lineStart;
  }
  const length = size - 1 - lineStart;
  const { buffer } = await readFile(fd, Buffer.alloc(length), 0, length, lineStart);
  return typeof parseLine(buffer.toString('utf8')) === 'string' ? lineStart : undefined;
}

/** Start of the line that ends at `end` (exclusive): just after the previous newline, or 0. */
async function lastLineStart(fd: number, end: number): Promise<number> {
  const buf = Buffer.alloc(TAIL_CHUNK);
  let pos = end;
  while (pos > 0) {
    const len = Math.min(TAIL_CHUNK, pos);
    pos -= len;
    await readFile(fd, buf, 0, len, pos);
    const nl = buf.subarray(0, len).lastIndexOf(0x0a);
    if (nl !== -1) {
      return pos + nl + 1;
    }
  }
  return 0;
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

const SECRET_FIELD = /authoriz|token|secret|passw|api[-_]?key|credential/i;

/** The first field name (at any depth) that looks like a credential. */
function findSecretField(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(k)) {
      return k;
    }
    const nested = findSecretField(v);
    if (nested !== undefined) {
      return nested;
    }
  }
  return undefined;
}
