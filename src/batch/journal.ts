/**
 * The batch journal: `OUT/BATCH_ID/journal.jsonl`, one JSON record per line, append-only.
 *
 * Durability: `Journal.append` resolves only once its record is written and fsync'd, so a
 * caller that appends an intent before POSTing a transfer knows the intent survives a crash.
 * Concurrent appends are group-committed: whatever is queued goes out in one write and one
 * fsync, and all of that group's callers resolve together. Writes are strictly serial.
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
import { createReadStream, fdatasyncSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { TransferStatus } from '../dwolla/types.js';
import type { ClearingColumns } from '../plan/clearing.js';
import type { KeyVersion } from '../plan/keys.js';
import type { SettledOutcome } from './outcome.js';

/** Start of every real run. The last run record's `inputDigest` is the batch's current digest. */
export interface RunRecord {
  type: 'run';
  at: string;
  runId: string;
  pid: number;
  host: string;
  inputDigest: string;
  inputFile: string;
  resume: boolean;
  /** The batch's key version (src/plan/keys.ts); absent in journals written before v2: v1. */
  keyVersion?: KeyVersion;
}

/**
 * Appended (and durable) before a transfer's POST is sent. With the clearing decided when it was
 * sent, so that a transfer later found by lookup shows it.
 */
export interface IntentRecord extends Partial<ClearingColumns> {
  type: 'intent';
  at: string;
  key: string;
  row: number;
  correlationId: string;
  destination: string;
  amountCents: number;
  source: string;
}

/** What became of a row's transfer (src/batch/outcome.ts), after Dwolla answered or retries ran out. */
export interface OutcomeRecord extends SettledOutcome {
  type: 'outcome';
  at: string;
  key: string;
  row: number;
}

/** One transfer reconcile read: a leg of a payout's chain, or a fee transfer. */
export interface ReconciledTransfer {
  id: string;
  status: TransferStatus;
  /** Fee transfers: the fee's amount, two decimals. */
  amount?: string;
  /** A failed transfer's ACH return (`GET /transfers/{id}/failure`). */
  returnCode?: string;
  returnReason?: string;
}

/**
 * What `payouts reconcile` learnt about a created transfer. `transferStatus` is the row's: the
 * status of the leg that reaches the payee, `failed` when any leg failed, or `not-found` when the
 * API answered 404 for a transfer of the chain (kept until a later reconcile finds it).
 * `legs` and `fees` are absent in records written before chains were followed.
 */
export interface ReconcileRecord {
  type: 'reconcile';
  at: string;
  key: string;
  transferStatus: TransferStatus | 'not-found';
  returnCode?: string;
  returnReason?: string;
  /** The payout's chain in order (the created transfer first, then each `funded-transfer`). */
  legs?: ReconciledTransfer[];
  /** The payout's fee transfers (`GET /transfers/{id}/fees`). */
  fees?: ReconciledTransfer[];
}

export type JournalRecord = RunRecord | IntentRecord | OutcomeRecord | ReconcileRecord;

export interface KeyState {
  /** The last intent recorded for the key. */
  intent?: IntentRecord;
  /** When the key's first intent was recorded: a transfer found by lookup must not be older. */
  firstIntentAt?: string;
  /** The last outcome, except that `created` is final: no later outcome replaces it. */
  outcome?: OutcomeRecord;
  /**
   * An intent was recorded after the last outcome (or with none) and the key is not created:
   * the POST may or may not have reached Dwolla, so look the transfer up before resending.
   */
  openIntent: boolean;
  /** The last reconcile record. */
  reconcile?: ReconcileRecord;
}

export interface JournalState {
  runs: RunRecord[];
  /** `inputDigest` of the last run record. */
  lastDigest?: string;
  /** The key version of the batch's first run (v1 when it names none); undefined before any run. */
  keyVersion?: KeyVersion;
  byKey: Map<string, KeyState>;
  /** The file ended with a torn record (a crash mid-write); it was ignored. */
  tornTail: boolean;
}

export type JournalErrorCode = 'JOURNAL_CORRUPT' | 'JOURNAL_CLOSED' | 'JOURNAL_WRITE_FAILED' | 'JOURNAL_SECRET_FIELD';

export class JournalError extends Error {
  readonly code: JournalErrorCode;
  readonly path: string;

  constructor(code: JournalErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JournalError';
    this.code = code;
    this.path = path;
  }
}

/** A line other than a torn last one is not a journal record. `line` is 1-based. */
export class JournalCorruptError extends JournalError {
  readonly line: number;

  constructor(path: string, line: number, reason: string) {
    super('JOURNAL_CORRUPT', path, `journal ${path} is corrupt at line ${line}: ${reason}`);
    this.name = 'JournalCorruptError';
    this.line = line;
  }
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
  /** fsyncs issued (0 with `fsync: false`). */
  syncs: number;
}

export class Journal {
  readonly path: string;
  readonly stats: JournalStats = { records: 0, writes: 0, syncs: 0 };
  private readonly fh: FileHandle;
  private readonly fsync: boolean;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Sticky: after a failed write the file's tail is unknown, so nothing more is appended. */
  private failure: Error | undefined;

  private constructor(path: string, fh: FileHandle, fsync: boolean) {
    this.path = path;
    this.fh = fh;
    this.fsync = fsync;
  }

  /** Opens (creating the directory and file if needed) for appending; truncates a torn tail. */
  static async open(path: string, opts: { fsync?: boolean } = {}): Promise<Journal> {
    const fsync = opts.fsync ?? true;
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'a+');
    try {
      const { size } = await fh.stat();
      const tornAt = await findTornTail(fh, size);
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
    return new Journal(path, fh, fsync);
  }

  /** Resolves once `rec` is on disk (written and, unless `fsync: false`, fsync'd). */
  append(rec: JournalRecord): Promise<void> {
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
    const line = `${JSON.stringify(rec)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Waits for queued appends, then closes the file. Later appends reject with `JOURNAL_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.flushing;
    await this.fh.close();
  }

  /**
   * Writes what is queued as one group. The write and the fsync are synchronous on purpose: a
   * group is small and an fdatasync takes well under a millisecond, while two trips through the
   * thread pool would each wait for a turn of a busy event loop, on the path of every send.
   * It runs on setImmediate, so that appends made while I/O callbacks ran join the same group.
   */
  private async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const group = this.queue;
    this.queue = [];
    this.flushing = undefined;
    try {
      if (this.failure) {
        throw this.failure;
      }
      const buf = Buffer.from(group.map((p) => p.line).join(''), 'utf8');
      for (let off = 0; off < buf.length; ) {
        off += writeSync(this.fh.fd, buf, off, buf.length - off);
      }
      this.stats.writes++;
      if (this.fsync) {
        fdatasyncSync(this.fh.fd);
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

/** Reads a journal as a stream; memory grows with the number of keys, not of records. */
export async function readJournal(path: string): Promise<JournalState> {
  const state: JournalState = { runs: [], byKey: new Map(), tornTail: false };
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return state;
    }
    throw err;
  }
  let end: number;
  try {
    const { size } = await fh.stat();
    const tornAt = await findTornTail(fh, size);
    state.tornTail = tornAt !== undefined;
    end = tornAt ?? size;
  } finally {
    await fh.close();
  }
  if (end === 0) {
    return state;
  }

  const lines = createInterface({
    input: createReadStream(path, { start: 0, end: end - 1 }),
    crlfDelay: Infinity,
  });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    const parsed = parseRecord(line);
    if (typeof parsed === 'string') {
      throw new JournalCorruptError(path, lineNo, parsed);
    }
    applyRecord(state, parsed);
  }
  return state;
}

function applyRecord(state: JournalState, rec: JournalRecord): void {
  if (rec.type === 'run') {
    state.runs.push(rec);
    state.lastDigest = rec.inputDigest;
    state.keyVersion ??= rec.keyVersion ?? 'v1';
    return;
  }
  let ks = state.byKey.get(rec.key);
  if (!ks) {
    ks = { openIntent: false };
    state.byKey.set(rec.key, ks);
  }
  const created = ks.outcome?.status === 'created';
  switch (rec.type) {
    case 'intent':
      ks.intent = rec;
      ks.firstIntentAt ??= rec.at;
      ks.openIntent = !created;
      break;
    case 'outcome':
      if (!created) {
        ks.outcome = rec;
      }
      ks.openIntent = false;
      break;
    case 'reconcile':
      ks.reconcile = rec;
      break;
  }
}

const RECORD_TYPES = new Set(['run', 'intent', 'outcome', 'reconcile']);

/** The record on `line`, or why it is not one. */
function parseRecord(line: string): JournalRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.type !== 'string' || !RECORD_TYPES.has(rec.type)) {
    return `unknown record type ${JSON.stringify(rec.type)}`;
  }
  if (typeof rec.at !== 'string') {
    return `${rec.type} record without "at"`;
  }
  if (rec.type === 'run') {
    if (typeof rec.inputDigest !== 'string') {
      return 'run record without "inputDigest"';
    }
  } else if (typeof rec.key !== 'string') {
    return `${rec.type} record without "key"`;
  }
  return rec as unknown as JournalRecord;
}

const TAIL_CHUNK = 64 * 1024;

/**
 * The offset where a torn last line starts, or undefined if the file ends cleanly. The last
 * line is torn when it has no trailing newline (a crash mid-write) or, newline-terminated,
 * is not a record (a power loss can leave a written length over unwritten data).
 */
async function findTornTail(fh: FileHandle, size: number): Promise<number | undefined> {
  if (size === 0) {
    return undefined;
  }
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  const terminated = last[0] === 0x0a;
  const lineStart = await lastLineStart(fh, terminated ? size - 1 : size);
  if (!terminated) {
    return lineStart;
  }
  const { buffer } = await fh.read(Buffer.alloc(size - 1 - lineStart), 0, size - 1 - lineStart, lineStart);
  return typeof parseRecord(buffer.toString('utf8')) === 'string' ? lineStart : undefined;
}

/** Start of the line that ends at `end` (exclusive): just after the previous newline, or 0. */
async function lastLineStart(fh: FileHandle, end: number): Promise<number> {
  const buf = Buffer.alloc(TAIL_CHUNK);
  let pos = end;
  while (pos > 0) {
    const len = Math.min(TAIL_CHUNK, pos);
    pos -= len;
    await fh.read(buf, 0, len, pos);
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
