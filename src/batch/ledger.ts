/**
 * The ledger: every intent and outcome of every batch, for one API and one Dwolla account
 * (the caller picks the file, e.g. STATE/<api>/<account>/ledger.db). It is how a payment made
 * by another batch is recognised — a renamed copy of a file, another folder, another --out, a
 * lost output folder — and what `payouts history` queries (SPEC: "Payment identity, state and
 * reruns", Ledger).
 *
 * Why SQLite (better-sqlite3): a committed transaction is durable; the queries the checks need
 * (by paymentId, by destination and amount since a date, by batch, by date) are index lookups
 * that stay fast at millions of rows without reading the table into memory; several batches and
 * processes can write one file at once (WAL, busy timeout); and the package installs with plain
 * npm on Node 20, building from source when there is no prebuilt binary (it embeds SQLite; keep
 * it at ^12: 13.x needs Node 22).
 *
 * Durability rule: `recordIntent` resolves only after its transaction committed and the WAL
 * (where WAL mode commits to) was fsync'd, so a caller that awaits the intent before the POST
 * knows that it survives a crash or a power loss. The fsync is the one synchronous=FULL makes
 * inside COMMIT, issued by this module instead, on the thread pool (fdatasync of `<path>-wal`):
 * groups commit with synchronous=NORMAL (the frames written, nothing fsync'd), so the event
 * loop's thread never blocks on the disk, and one fdatasync covers every group committed before
 * it. Calls made in the same turn of the event loop are group-committed: one transaction on
 * setImmediate, and every caller of the group resolves, or rejects with the same `LedgerError`
 * (LEDGER_WRITE_FAILED), together. A failed group is rolled back whole, so nothing of it is in
 * the ledger; a later group may succeed (the failure is not sticky: SQLite leaves no torn tail).
 * A failed fsync rejects its callers: what they wrote may not be durable.
 *
 * Outcomes need not be durable before anything (the journal has them first, and SPEC asks the
 * ledger to be durable before the POST, i.e. for intents): an outcome waits up to
 * OUTCOME_LINGER_MS to ride along with the next intent group, and a group of outcomes alone
 * resolves once committed, without an fsync. It survives a crash of the process at once (it is
 * in the WAL), and a power loss once the next fsync of the WAL, which the next intent, `flush`
 * or `close` makes. `recordRun` and `markComplete` commit with synchronous=FULL.
 *
 * Rules: an intent for an existing (batch, key) keeps its first_intent_at and never downgrades a
 * `created` row; `created` is final (a later failed/unresolved outcome or intent is ignored).
 * Destinations are stored as the lower-case funding-source id (the last path segment of a URL).
 * Times are stored as ISO-8601 UTC strings (normalised here), so that they compare as text.
 *
 * Reads: query results are paged by keyset (at most PAGE rows per statement, no statement left
 * open between pages), so an iterator may be consumed slowly while the same Ledger writes, and
 * a long `history` never pins an old WAL snapshot. better-sqlite3 is synchronous: a write waits
 * for another process's write lock (busy timeout) on the event loop's thread; write
 * transactions are small, so such waits are short.
 *
 * `openReadOnly` never creates the ledger or its folder and never writes a row. Note that
 * SQLite itself may create the `-wal`/`-shm` coordination files next to an existing ledger
 * (they hold no payments, and are the files any writer uses).
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ValidRow } from '../plan/planner.js';

type LedgerStatus = 'intent' | 'created' | 'failed' | 'unresolved';
type LedgerOutcomeStatus = Exclude<LedgerStatus, 'intent'>;
type LedgerVia = 'post' | 'lookup';

/** Recorded (durably) before a transfer's POST is sent. */
export interface LedgerIntent {
  batchId: string;
  /** The row's idempotency key. */
  key: string;
  row: number;
  paymentId?: string;
  /** Funding-source id (a URL is reduced to its id; stored lower case). */
  destination: string;
  amountCents: number;
  correlationId: string;
  source: string;
  /** ISO-8601. */
  at: string;
  /** The mass payment chunk the row is sent in (its correlationId, src/batch/mass-send.ts); absent for a transfer. */
  massPayment?: string;
}

type PaymentFields = Pick<
  LedgerIntent,
  'row' | 'paymentId' | 'destination' | 'amountCents' | 'correlationId' | 'source'
>;

/**
 * What became of a row's transfer. Normally follows an intent. When there is none — a transfer
 * found by lookup before anything was sent (SPEC rule 2) — the outcome must carry the payment
 * fields (row, destination, amountCents, correlationId, source; paymentId if any): the entry is
 * then created with first_intent_at = at. Without them it rejects with LEDGER_NOT_FOUND. For an
 * existing entry the payment fields are ignored.
 */
export interface LedgerOutcome extends Partial<PaymentFields> {
  batchId: string;
  key: string;
  status: LedgerOutcomeStatus;
  transferUrl?: string;
  transferId?: string;
  via?: LedgerVia;
  /** ISO-8601. */
  at: string;
}

/** A ledger entry: the payment as its first intent recorded it, and what became of it. */
export interface LedgerPayment extends Omit<LedgerIntent, 'at'> {
  firstIntentAt: string;
  status: LedgerStatus;
  transferUrl?: string;
  transferId?: string;
  /** When the outcome was recorded. */
  settledAt?: string;
  via?: LedgerVia;
}

export interface LedgerBatch {
  batchId: string;
  inputDigest: string;
  inputFile: string;
  keyVersion: string;
  firstRunAt: string;
  lastRunAt: string;
  completedAt?: string;
}

export interface LedgerRun {
  batchId: string;
  inputDigest: string;
  inputFile: string;
  keyVersion: string;
  at: string;
}

export interface PaidToDestinationQuery {
  destination: string;
  amountCents: number;
  /** Entries whose first intent is at or after this time (ISO-8601; a bare date is UTC midnight). */
  since: string;
  excludeBatchId: string;
  /** Default 100. */
  limit?: number;
}

export interface HistoryFilter {
  paymentId?: string;
  destination?: string;
  batchId?: string;
  /** First intent at or after this time (ISO-8601; a bare date is UTC midnight). */
  since?: string;
  limit?: number;
}

export interface LedgerOptions {
  /** How long a write waits for another connection's write lock. Default 10 s. */
  busyTimeoutMs?: number;
}

export interface LedgerStats {
  /** Group transactions committed (one per group commit). */
  transactions: number;
  /** Intents and outcomes committed by them. */
  records: number;
  /** fdatasyncs of the WAL (on the thread pool): each makes every commit before it durable. */
  walSyncs: number;
  /** Milliseconds the event loop's thread spent committing groups (no fsync among them). */
  commitMs: number;
}

/** The connection settings that the durability and concurrency rules rest on. */
export interface LedgerSettings {
  journalMode: string;
  /** 2 = FULL. */
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: boolean;
}

export type LedgerErrorCode =
  | 'LEDGER_OPEN_FAILED'
  | 'LEDGER_UNREADABLE'
  | 'LEDGER_WRITE_FAILED'
  | 'LEDGER_READ_ONLY'
  | 'LEDGER_CLOSED'
  | 'LEDGER_NOT_FOUND'
  | 'LEDGER_INVALID_ARGUMENT';

/**
 * LEDGER_OPEN_FAILED: the file or its folder cannot be created or opened. LEDGER_UNREADABLE:
 * the file is damaged, not a payouts ledger, or of a newer schema. LEDGER_WRITE_FAILED: a write
 * failed (disk full, read-only file system, busy past the timeout, I/O error); `cause` holds
 * SQLite's error. LEDGER_NOT_FOUND: an outcome for an entry that has no intent (and no payment
 * fields), or markComplete of an unknown batch.
 */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly path: string;

  constructor(code: LedgerErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerError';
    this.code = code;
    this.path = path;
  }
}

/** The statuses of an entry that may have paid: an open intent or an unknown outcome may have. */
const MAY_HAVE_PAID = "('created', 'intent', 'unresolved')";

/** Identifies a payouts ledger (PRAGMA application_id): "PAYL". */
const APPLICATION_ID = 0x5041594c;
/** 2: `payments.mass_payment`, the chunk a row was sent in (Mass Payment mode). */
const SCHEMA_VERSION = 2;
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
/** How long an outcome waits for an intent group to ride along with before it commits on its own. */
const OUTCOME_LINGER_MS = 25;
/** Rows fetched per statement by the iterators. */
const PAGE = 500;
/** Keys fetched per statement by `keysOfBatch` (a key is a few dozen bytes). */
const KEY_PAGE = 5000;
/**
 * The connection's page cache: -N is N KiB (PRAGMA cache_size). better-sqlite3's default, 16 MB,
 * fills up in any long run (its keys are random, so their pages are too) and stays resident;
 * pages read again come from the OS's file cache. 4 MB: a 50,000-row real run's peak RSS about
 * 14 MB lower, in the same time (npm run bench).
 */
const CACHE_KIB = -4096;
/** The page cache of `keysOfBatch`'s scan: -N is N KiB (PRAGMA cache_size). */
const SCAN_CACHE_KIB = -512;
const BY_PAYMENT_ID_LIMIT = 1000;
const BATCHES_LIMIT = 1000;
/** Sorts after every ISO-8601 time: the cursor of a newest-first first page. */
const AFTER_ALL_TIMES = '~';

/*
 * Schema. `payments` has one entry per (batch, key). Indexes, each for a query:
 * - payments_payment_id (partial: most rows may have no paymentId): byPaymentId, history --payment-id;
 * - payments_repeat (destination, amount_cents, first_intent_at): paidToDestination (the repeat
 *   window) and, by its destination prefix, destinationsPaidInBatch and history --destination.
 *   It ends with first_intent_at rather than settled_at because open intents (settled_at NULL)
 *   count and the window is bounded by first_intent_at;
 * - payments_time (first_intent_at): history newest first and --since;
 * - payments_batch_time (batch_id, first_intent_at): history --batch newest first without
 *   sorting the whole batch for each page. paymentsOfBatch and countOfBatch use the primary key.
 * Every secondary index ends with the implicit rowid, the tie-breaker of the history cursor.
 * No settled_at index: --since bounds first_intent_at (when the payment was attempted).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  batch_id TEXT NOT NULL,
  key TEXT NOT NULL,
  row INTEGER NOT NULL,
  payment_id TEXT,
  destination TEXT NOT NULL,
  amount_cents INTEGER NOT NULL CHECK (typeof(amount_cents) = 'integer'),
  correlation_id TEXT NOT NULL,
  source TEXT NOT NULL,
  first_intent_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('intent', 'created', 'failed', 'unresolved')),
  transfer_url TEXT,
  transfer_id TEXT,
  settled_at TEXT,
  via TEXT CHECK (via IN ('post', 'lookup')),
  mass_payment TEXT,
  PRIMARY KEY (batch_id, key)
);
CREATE INDEX IF NOT EXISTS payments_payment_id ON payments (payment_id, first_intent_at) WHERE payment_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_repeat ON payments (destination, amount_cents, first_intent_at);
CREATE INDEX IF NOT EXISTS payments_time ON payments (first_intent_at);
CREATE INDEX IF NOT EXISTS payments_batch_time ON payments (batch_id, first_intent_at);
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY NOT NULL,
  input_digest TEXT NOT NULL,
  input_file TEXT NOT NULL,
  key_version TEXT NOT NULL,
  first_run_at TEXT NOT NULL,
  last_run_at TEXT NOT NULL,
  completed_at TEXT
);
CREATE INDEX IF NOT EXISTS batches_input_digest ON batches (input_digest);
`;

const PAYMENT_COLUMNS = `batch_id AS batchId, key, row, payment_id AS paymentId, destination,
  amount_cents AS amountCents, correlation_id AS correlationId, source, first_intent_at AS firstIntentAt,
  status, transfer_url AS transferUrl, transfer_id AS transferId, settled_at AS settledAt, via`;

const BATCH_COLUMNS = `batch_id AS batchId, input_digest AS inputDigest, input_file AS inputFile,
  key_version AS keyVersion, first_run_at AS firstRunAt, last_run_at AS lastRunAt, completed_at AS completedAt`;

const SQL = {
  insertIntent: `INSERT INTO payments (batch_id, key, row, payment_id, destination, amount_cents, correlation_id,
      source, first_intent_at, status, mass_payment)
    VALUES (@batchId, @key, @row, @paymentId, @destination, @amountCents, @correlationId, @source, @at, 'intent',
      @massPayment)
    ON CONFLICT (batch_id, key) DO UPDATE SET row = excluded.row, payment_id = excluded.payment_id,
      destination = excluded.destination, amount_cents = excluded.amount_cents,
      correlation_id = excluded.correlation_id, source = excluded.source, status = 'intent',
      transfer_url = NULL, transfer_id = NULL, settled_at = NULL, via = NULL, mass_payment = excluded.mass_payment
    WHERE payments.status <> 'created'`,
  updateOutcome: `UPDATE payments SET status = @status, transfer_url = @transferUrl, transfer_id = @transferId,
      settled_at = @at, via = @via
    WHERE batch_id = @batchId AND key = @key AND status <> 'created'`,
  insertOutcome: `INSERT INTO payments (batch_id, key, row, payment_id, destination, amount_cents, correlation_id,
      source, first_intent_at, status, transfer_url, transfer_id, settled_at, via)
    VALUES (@batchId, @key, @row, @paymentId, @destination, @amountCents, @correlationId, @source, @at, @status,
      @transferUrl, @transferId, @at, @via)`,
  exists: 'SELECT 1 FROM payments WHERE batch_id = ? AND key = ?',
  recordRun: `INSERT INTO batches (batch_id, input_digest, input_file, key_version, first_run_at, last_run_at)
    VALUES (@batchId, @inputDigest, @inputFile, @keyVersion, @at, @at)
    ON CONFLICT (batch_id) DO UPDATE SET input_digest = excluded.input_digest, input_file = excluded.input_file,
      last_run_at = excluded.last_run_at`,
  markComplete: 'UPDATE batches SET completed_at = ? WHERE batch_id = ?',
  byPaymentId: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = ?
    ORDER BY first_intent_at DESC LIMIT ${BY_PAYMENT_ID_LIMIT}`,
  paidToDestination: `SELECT ${PAYMENT_COLUMNS} FROM payments
    WHERE destination = @destination AND amount_cents = @amountCents AND first_intent_at >= @since
      AND batch_id <> @excludeBatchId AND status IN ${MAY_HAVE_PAID}
    ORDER BY first_intent_at DESC LIMIT @limit`,
  // A literal LIMIT 1: about three times faster per call than a bound LIMIT (the repeat check runs per row).
  latestPaidToDestination: `SELECT ${PAYMENT_COLUMNS} FROM payments
    WHERE destination = @destination AND amount_cents = @amountCents AND first_intent_at >= @since
      AND batch_id <> @excludeBatchId AND status IN ${MAY_HAVE_PAID}
    ORDER BY first_intent_at DESC LIMIT 1`,
  // +batch_id: look up by destination (a few entries per payee) rather than scan the whole batch
  destinationsPaidInBatch: `SELECT ${PAYMENT_COLUMNS} FROM payments
    WHERE destination = ? AND +batch_id = ? AND status IN ${MAY_HAVE_PAID}
    ORDER BY first_intent_at, row LIMIT ${BY_PAYMENT_ID_LIMIT}`,
  paymentsOfBatch: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE batch_id = @batchId AND key > @after
    ORDER BY key LIMIT @page`,
  // Covered by the primary key's index: no table row is read (the rerun's check of a batch's keys).
  keysOfBatch: `SELECT key FROM payments WHERE batch_id = @batchId AND key > @after ORDER BY key LIMIT @page`,
  paymentOfBatch: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE batch_id = ? AND key = ?`,
  countOfBatch: 'SELECT count(*) FROM payments WHERE batch_id = ?',
  batch: `SELECT ${BATCH_COLUMNS} FROM batches WHERE batch_id = ?`,
  batchesWithDigest: `SELECT ${BATCH_COLUMNS} FROM batches WHERE input_digest = ? AND batch_id <> ?
    ORDER BY first_run_at, batch_id LIMIT ${BATCHES_LIMIT}`,
} as const;

type StatementName = keyof typeof SQL;
type Statements = Record<StatementName, Database.Statement>;
type Row = Record<string, unknown>;

/** The statements whose plans `queryPlan` explains. */
export type LedgerQueryName =
  | 'byPaymentId'
  | 'paidToDestination'
  | 'latestPaidToDestination'
  | 'destinationsPaidInBatch'
  | 'paymentsOfBatch'
  | 'keysOfBatch'
  | 'countOfBatch'
  | 'batchesWithDigest';

type Op =
  | { kind: 'intent'; params: Row }
  | { kind: 'outcome'; params: Row; insertable: boolean }
  /** `flush`: rides along with the group, resolves or rejects with it. */
  | { kind: 'barrier' };

interface Pending {
  op: Op;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Ledger {
  readonly path: string;
  readonly readOnly: boolean;
  readonly stats: LedgerStats = { transactions: 0, records: 0, walSyncs: 0, commitMs: 0 };
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly historyStatements = new Map<string, Database.Statement>();
  private readonly commitGroup: Database.Transaction<(ops: Op[]) => (LedgerError | undefined)[]>;
  private queue: Pending[] = [];
  /** The queued group's commit: on setImmediate once an intent or a flush is queued... */
  private timer: NodeJS.Immediate | undefined;
  /** ...else (outcomes only) after OUTCOME_LINGER_MS. */
  private linger: NodeJS.Timeout | undefined;
  /** An intent or a flush is queued: its callers wait for the WAL's fsync. */
  private queuedNeedsSync = false;
  /** Callers of committed groups waiting for the WAL's next fsync. */
  private awaitingSync: Pending[] = [];
  /** An fdatasync of the WAL is running (at most one at a time). */
  private syncing = false;
  /** A commit wrote to the WAL since the last fsync of it began. */
  private unsynced = false;
  /** The WAL file, for its fsyncs: opened at the first one, closed once the connection is. */
  private walFd: number | undefined;
  /** `close` is committing the last group: it fsyncs the WAL itself. */
  private closing = false;
  /** Rows changed by the group being committed (0: SQLite wrote nothing to the WAL). */
  private groupChanges = 0;
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  private closed = false;

  private constructor(path: string, db: Database.Database, readOnly: boolean) {
    this.path = path;
    this.db = db;
    this.readOnly = readOnly;
    this.st = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
    this.commitGroup = db.transaction((ops: Op[]) => ops.map((op) => this.apply(op)));
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
  }

  /** Opens for reading and writing, creating the folder, the file and the schema as needed. */
  static open(path: string, opts: LedgerOptions = {}): Ledger {
    const existed = fileExists(path);
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new LedgerError('LEDGER_OPEN_FAILED', path, `cannot create the ledger's folder: ${message(err)}`, {
        cause: err,
      });
    }
    const db = connect(path, false, opts);
    try {
      configure(db, path);
      migrate(db, path);
      if (!existed) {
        syncDir(dirname(path));
      }
      return new Ledger(path, db, false);
    } catch (err) {
      db.close();
      throw openError(err, path);
    }
  }

  /**
   * Opens an existing ledger for reading (dry runs, `payouts history`): undefined when there is
   * no ledger file (or it has no schema yet). Never creates the file or its folder.
   */
  static openReadOnly(path: string, opts: LedgerOptions = {}): Ledger | undefined {
    if (!fileExists(path)) {
      return undefined;
    }
    const db = connect(path, true, opts);
    try {
      if (!checkHeader(db, path)) {
        db.close();
        return undefined;
      }
      return new Ledger(path, db, true);
    } catch (err) {
      db.close();
      throw openError(err, path);
    }
  }

  /** Upsert of the batch: first_run_at, key_version and completed_at are kept. */
  recordRun(b: LedgerRun): void {
    const params = { ...b, at: isoTime(b.at, 'at', this.path) };
    this.writeNow(() => this.st.recordRun.run(params));
  }

  /** Sets completed_at. LEDGER_NOT_FOUND when the batch has no run recorded. */
  markComplete(batchId: string, at: string): void {
    const iso = isoTime(at, 'at', this.path);
    const r = this.writeNow(() => this.st.markComplete.run(iso, batchId));
    if (r.changes === 0) {
      throw new LedgerError('LEDGER_NOT_FOUND', this.path, `no run of batch ${batchId} in the ledger`);
    }
  }

  /** Resolves once the intent is committed and on disk (group commit; see the module comment). */
  recordIntent(i: LedgerIntent): Promise<void> {
    let params: Row;
    try {
      params = {
        ...paymentParams(i, this.path),
        batchId: i.batchId,
        key: i.key,
        at: isoTime(i.at, 'at', this.path),
        massPayment: i.massPayment ?? null,
      };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue({ kind: 'intent', params });
  }

  /** Resolves once the outcome is committed and on disk. A `created` entry is never changed. */
  recordOutcome(o: LedgerOutcome): Promise<void> {
    let op: Op;
    try {
      op = outcomeOp(o, this.path);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(op);
  }

  /**
   * Resolves once every write recorded so far is committed and durable (outcomes committed
   * without an fsync too); rejects if their group, or the fsync, failed.
   */
  flush(): Promise<void> {
    if (this.queue.length === 0 && this.awaitingSync.length === 0 && !this.syncing && !this.unsynced) {
      return Promise.resolve();
    }
    return this.enqueue({ kind: 'barrier' });
  }

  /**
   * Commits what is queued and makes every commit durable (one fsync of the WAL, here on the
   * event loop's thread), settling every caller, then closes. Idempotent.
   */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closing = true; // the last group's callers wait for the fsync below, not one on the thread pool
    this.commitQueued();
    const waiting = this.awaitingSync;
    this.awaitingSync = [];
    let failure: LedgerError | undefined;
    // An fsync already running on the thread pool covers what was committed before it began.
    if (waiting.length > 0 || this.unsynced) {
      try {
        fdatasyncSync(this.wal());
        this.unsynced = false;
        this.stats.walSyncs++;
      } catch (err) {
        failure = this.writeError(err);
      }
    }
    this.settle(waiting, failure);
    this.closed = true;
    if (!this.syncing) {
      this.closeWal(); // else once the fsync running on the thread pool is done with it
    }
    this.db.close();
  }

  /** The connection's durability and concurrency settings. */
  settings(): LedgerSettings {
    return this.read(() => ({
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      foreignKeys: Number(this.db.pragma('foreign_keys', { simple: true })) === 1,
    }));
  }

  /** Every batch's entries for a paymentId, newest first (at most 1000). */
  byPaymentId(paymentId: string): LedgerPayment[] {
    return this.read(() => this.st.byPaymentId.all(paymentId).map(toPayment));
  }

  /**
   * Entries of other batches to that destination for that amount, first intended at or after
   * `since`, that may have paid (created, or an open intent / unresolved outcome), newest first.
   */
  paidToDestination(q: PaidToDestinationQuery): LedgerPayment[] {
    const params = {
      destination: normalizeDestination(q.destination),
      amountCents: q.amountCents,
      since: isoTime(q.since, 'since', this.path),
      excludeBatchId: q.excludeBatchId,
      limit: q.limit ?? 100,
    };
    return this.read(() => this.st.paidToDestination.all(params).map(toPayment));
  }

  /** The newest entry `paidToDestination` would return, if any: the per-row repeat check. */
  latestPaidToDestination(q: Omit<PaidToDestinationQuery, 'limit'>): LedgerPayment | undefined {
    const params = {
      destination: normalizeDestination(q.destination),
      amountCents: q.amountCents,
      since: isoTime(q.since, 'since', this.path),
      excludeBatchId: q.excludeBatchId,
    };
    return this.read(() => {
      const row = this.st.latestPaidToDestination.get(params) as Row | undefined;
      return row === undefined ? undefined : toPayment(row);
    });
  }

  /** Other batches whose (last) input digest is `inputDigest`, oldest first. */
  batchesWithDigest(inputDigest: string, excludeBatchId: string): LedgerBatch[] {
    return this.read(() => this.st.batchesWithDigest.all(inputDigest, excludeBatchId).map(toBatch));
  }

  batch(batchId: string): LedgerBatch | undefined {
    return this.read(() => {
      const r = this.st.batch.get(batchId);
      return r === undefined ? undefined : toBatch(r);
    });
  }

  /** The batch's entries in key order, fetched a page at a time. */
  paymentsOfBatch(batchId: string): IterableIterator<LedgerPayment> {
    return this.paged(this.st.paymentsOfBatch, { batchId, after: '' }, (last) => ({ after: last.key }));
  }

  /**
   * The batch's keys in key order, KEY_PAGE at a time, read from the primary key's index alone:
   * about ten times faster than `paymentsOfBatch` on a big ledger (no table row is read).
   */
  *keysOfBatch(batchId: string): Generator<string, void, undefined> {
    const st = this.st.keysOfBatch;
    // Each page of the index is read once: a small page cache for the scan, else it fills the
    // connection's whole cache (CACHE_KIB) for nothing.
    const cacheSize = this.read(() => Number(this.db.pragma('cache_size', { simple: true })));
    this.read(() => this.db.pragma(`cache_size = ${SCAN_CACHE_KIB}`));
    try {
      let after = '';
      for (;;) {
        const keys = this.read(() => st.pluck().all({ batchId, after, page: KEY_PAGE }) as string[]);
        yield* keys;
        if (keys.length < KEY_PAGE) {
          return;
        }
        after = keys[keys.length - 1]!;
      }
    } finally {
      if (!this.closed) {
        this.db.pragma(`cache_size = ${cacheSize}`);
      }
    }
  }

  /** The batch's entry for `key`, if any. */
  paymentOfBatch(batchId: string, key: string): LedgerPayment | undefined {
    return this.read(() => {
      const r = this.st.paymentOfBatch.get(batchId, key);
      return r === undefined ? undefined : toPayment(r);
    });
  }

  countOfBatch(batchId: string): number {
    return this.read(() => Number(this.st.countOfBatch.pluck().get(batchId)));
  }

  /** This batch's entries to that destination that may have paid (created, intent, unresolved). */
  destinationsPaidInBatch(batchId: string, destination: string): LedgerPayment[] {
    return this.read(() =>
      this.st.destinationsPaidInBatch.all(normalizeDestination(destination), batchId).map(toPayment),
    );
  }

  /** Entries matching every given filter, newest first intent first, a page at a time. */
  history(filter: HistoryFilter = {}): IterableIterator<LedgerPayment> {
    const params: Row = { cursorAt: AFTER_ALL_TIMES, cursorId: 0 };
    if (filter.paymentId !== undefined) {
      params.paymentId = filter.paymentId;
    }
    if (filter.destination !== undefined) {
      params.destination = normalizeDestination(filter.destination);
    }
    if (filter.batchId !== undefined) {
      params.batchId = filter.batchId;
    }
    if (filter.since !== undefined) {
      params.since = isoTime(filter.since, 'since', this.path);
    }
    const st = this.read(() => this.historyStatement(params));
    const advance = (last: Row) => ({ cursorAt: last.firstIntentAt, cursorId: last.cursorId });
    return this.paged(st, params, advance, filter.limit);
  }

  /** EXPLAIN QUERY PLAN of a query's statement (or of history's, for a filter): its `detail` lines. */
  queryPlan(name: LedgerQueryName | 'history', filter: HistoryFilter = {}): string[] {
    return this.read(() => {
      const st = name === 'history' ? this.historyStatement({ cursorAt: '', ...filter }) : this.st[name];
      const plan = this.db.prepare(`EXPLAIN QUERY PLAN ${st.source}`);
      const nulls = Object.fromEntries(namedParams(st.source).map((p) => [p, null]));
      const positional = new Array<null>((st.source.match(/\?/g) ?? []).length).fill(null);
      const rows = (positional.length > 0 ? plan.all(...positional) : plan.all(nulls)) as { detail: string }[];
      return rows.map((r) => r.detail);
    });
  }

  private historyStatement(params: Row): Database.Statement {
    const where: string[] = [];
    const filters: [string, string][] = [
      ['paymentId', 'payment_id = @paymentId'],
      ['destination', 'destination = @destination'],
      ['batchId', 'batch_id = @batchId'],
      ['since', 'first_intent_at >= @since'],
    ];
    for (const [name, clause] of filters) {
      if (params[name] !== undefined) {
        where.push(clause);
      }
    }
    where.push('(first_intent_at, rowid) < (@cursorAt, @cursorId)');
    const sql = `SELECT ${PAYMENT_COLUMNS}, rowid AS cursorId FROM payments WHERE ${where.join(' AND ')}
      ORDER BY first_intent_at DESC, rowid DESC LIMIT @page`;
    let st = this.historyStatements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.historyStatements.set(sql, st);
    }
    return st;
  }

  /** Runs `st` a page at a time with a keyset cursor; no statement stays open between pages. */
  private *paged(
    st: Database.Statement,
    start: Row,
    advance: (last: Row) => Row,
    limit = Number.POSITIVE_INFINITY,
  ): Generator<LedgerPayment, void, undefined> {
    let params = start;
    let left = limit;
    while (left > 0) {
      const page = Math.min(PAGE, left);
      const query = { ...params, page };
      const rows = this.read(() => st.all(query) as Row[]);
      for (const r of rows) {
        yield toPayment(r);
      }
      if (rows.length < page) {
        return;
      }
      left -= rows.length;
      params = { ...params, ...advance(rows[rows.length - 1]!) };
    }
  }

  private enqueue(op: Op): Promise<void> {
    const refused = this.refuseWrite();
    if (refused) {
      return Promise.reject(refused);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (op.kind !== 'outcome') {
        this.queuedNeedsSync = true;
        this.timer ??= setImmediate(() => this.commitQueued());
      } else if (this.timer === undefined) {
        this.linger ??= setTimeout(() => this.commitQueued(), OUTCOME_LINGER_MS);
      }
    });
  }

  /**
   * Commits the queued group in one transaction (synchronous=NORMAL: no fsync on this thread);
   * its callers with an error of their own reject, the others resolve now (outcomes alone) or
   * once the WAL's next fsync is done (an intent or a flush among them).
   */
  private commitQueued(): void {
    this.cancelTimers();
    const group = this.queue;
    const needsSync = this.queuedNeedsSync;
    this.queue = [];
    this.queuedNeedsSync = false;
    if (group.length === 0) {
      return;
    }
    const started = performance.now();
    let results: (LedgerError | undefined)[];
    try {
      results = this.commitUnsynced(group.map((p) => p.op));
    } catch (err) {
      this.settle(group, this.writeError(err));
      return;
    } finally {
      this.stats.commitMs += performance.now() - started;
    }
    this.stats.transactions++;
    const committed: Pending[] = [];
    group.forEach((p, i) => {
      const err = results[i];
      if (err) {
        p.reject(err);
      } else {
        committed.push(p);
      }
    });
    if (!needsSync) {
      this.settle(committed, undefined);
      return;
    }
    this.awaitingSync.push(...committed);
    this.startSync();
  }

  /** The group's transaction with synchronous=NORMAL; the connection is left at FULL. */
  private commitUnsynced(ops: Op[]): (LedgerError | undefined)[] {
    this.groupChanges = 0;
    this.syncNormal.run();
    try {
      return this.commitGroup.immediate(ops);
    } finally {
      this.unsynced ||= this.groupChanges > 0;
      this.syncFull.run();
    }
  }

  /**
   * fdatasyncs the WAL on the thread pool for the callers waiting for it, unless one is running
   * (its end starts the next one, for the callers that came meanwhile). Nothing written since
   * the last fsync began: they resolve at once.
   */
  private startSync(): void {
    if (this.syncing || this.closing || this.awaitingSync.length === 0) {
      return;
    }
    const waiting = this.awaitingSync;
    this.awaitingSync = [];
    if (!this.unsynced) {
      this.settle(waiting, undefined);
      return;
    }
    let fd: number;
    try {
      fd = this.wal();
    } catch (err) {
      this.settle(waiting, this.writeError(err));
      return;
    }
    this.syncing = true;
    this.unsynced = false; // what is committed from now on waits for the next fsync
    fdatasync(fd, (err) => {
      this.syncing = false;
      if (err) {
        this.unsynced = true;
      } else {
        this.stats.walSyncs++;
      }
      this.settle(waiting, err ? this.writeError(err) : undefined);
      if (this.closed) {
        this.closeWal();
        return;
      }
      this.startSync();
    });
  }

  /** Resolves the callers (counting their records), or rejects them all with `failure`. */
  private settle(callers: Pending[], failure: LedgerError | undefined): void {
    for (const p of callers) {
      if (failure) {
        p.reject(failure);
      } else {
        this.stats.records += p.op.kind === 'barrier' ? 0 : 1;
        p.resolve();
      }
    }
  }

  /**
   * The WAL file's descriptor, for its fsyncs (SQLite writes it with plain writes, so an fsync
   * of any descriptor of it makes them durable). It exists while this connection is open (WAL
   * mode removes it only when the last connection closes), and stays the same file. Holding a
   * descriptor of it is safe: SQLite holds no POSIX lock on the WAL file (its WAL locks are in
   * `-shm`), and closing a descriptor only drops the locks of the file it is of.
   */
  private wal(): number {
    this.walFd ??= openSync(`${this.path}-wal`, 'r');
    return this.walFd;
  }

  private closeWal(): void {
    if (this.walFd !== undefined) {
      closeSync(this.walFd);
      this.walFd = undefined;
    }
  }

  private cancelTimers(): void {
    if (this.timer !== undefined) {
      clearImmediate(this.timer);
      this.timer = undefined;
    }
    if (this.linger !== undefined) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
  }

  /** One op of a group, inside its transaction: an error of its own, or undefined. */
  private apply(op: Op): LedgerError | undefined {
    if (op.kind === 'barrier') {
      return undefined;
    }
    if (op.kind === 'intent') {
      this.groupChanges += this.st.insertIntent.run(op.params).changes;
      return undefined;
    }
    const updated = this.st.updateOutcome.run(op.params).changes;
    if (updated > 0) {
      this.groupChanges += updated;
      return undefined;
    }
    if (this.st.exists.get(op.params.batchId, op.params.key) !== undefined) {
      return undefined; // created already: final
    }
    if (!op.insertable) {
      return new LedgerError(
        'LEDGER_NOT_FOUND',
        this.path,
        `an outcome for key ${String(op.params.key)} of batch ${String(op.params.batchId)}, which has no intent in the ledger and does not carry the payment's fields`,
      );
    }
    this.groupChanges += this.st.insertOutcome.run(op.params).changes;
    return undefined;
  }

  /** One statement in its own transaction, committed with synchronous=FULL (its fsync on this thread). */
  private writeNow(write: () => Database.RunResult): Database.RunResult {
    const refused = this.refuseWrite();
    if (refused) {
      throw refused;
    }
    try {
      return write();
    } catch (err) {
      throw this.writeError(err);
    }
  }

  private refuseWrite(): LedgerError | undefined {
    if (this.closed) {
      return this.closedError();
    }
    if (this.readOnly) {
      return new LedgerError('LEDGER_READ_ONLY', this.path, `ledger ${this.path} is open read-only`);
    }
    return undefined;
  }

  private read<T>(query: () => T): T {
    if (this.closed) {
      throw this.closedError();
    }
    try {
      return query();
    } catch (err) {
      if (err instanceof LedgerError) {
        throw err;
      }
      throw new LedgerError('LEDGER_UNREADABLE', this.path, `cannot read ledger ${this.path}: ${message(err)}`, {
        cause: err,
      });
    }
  }

  private writeError(err: unknown): LedgerError {
    if (err instanceof LedgerError) {
      return err;
    }
    return new LedgerError('LEDGER_WRITE_FAILED', this.path, `could not write ledger ${this.path}: ${message(err)}`, {
      cause: err,
    });
  }

  private closedError(): LedgerError {
    return new LedgerError('LEDGER_CLOSED', this.path, `ledger ${this.path} is closed`);
  }
}

/** A connection to the ledger, read-only or not, with its page cache of CACHE_KIB. */
function connect(path: string, readonly: boolean, opts: LedgerOptions): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, {
      readonly,
      fileMustExist: readonly,
      timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
  } catch (err) {
    throw openError(err, path);
  }
  try {
    db.pragma(`cache_size = ${CACHE_KIB}`);
  } catch (err) {
    db.close();
    throw openError(err, path);
  }
  return db;
}

/**
 * WAL first: switching to WAL resets `synchronous` to this build's WAL default (NORMAL, which
 * may lose the last commits on a power loss), so FULL is set after it.
 */
function configure(db: Database.Database, path: string): void {
  const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
  if (mode !== 'wal') {
    throw new LedgerError('LEDGER_OPEN_FAILED', path, `ledger ${path}: cannot use WAL (journal mode is ${mode})`);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = OFF');
}

/**
 * Whether the file holds a ledger (false: an empty database). Throws LEDGER_UNREADABLE when
 * it is another application's database or of a newer schema.
 */
function checkHeader(db: Database.Database, path: string): boolean {
  const appId = Number(db.pragma('application_id', { simple: true }));
  const version = Number(db.pragma('user_version', { simple: true }));
  const tables = Number(db.prepare('SELECT count(*) FROM sqlite_master').pluck().get());
  if (appId === 0 && tables === 0) {
    return false;
  }
  if (appId !== APPLICATION_ID) {
    throw new LedgerError('LEDGER_UNREADABLE', path, `${path} is an SQLite database but not a payouts ledger`);
  }
  if (version > SCHEMA_VERSION) {
    throw new LedgerError(
      'LEDGER_UNREADABLE',
      path,
      `ledger ${path} has schema version ${version}; this version of payouts reads up to ${SCHEMA_VERSION}`,
    );
  }
  return version === SCHEMA_VERSION;
}

/** Schema changes from `from` to SCHEMA_VERSION, in order (run under the write lock). */
function upgrade(db: Database.Database, from: number): void {
  if (from < 2) {
    db.exec('ALTER TABLE payments ADD COLUMN mass_payment TEXT');
  }
}

function migrate(db: Database.Database, path: string): void {
  if (checkHeader(db, path)) {
    return;
  }
  db.transaction(() => {
    // re-checked under the write lock: another process may have created the schema meanwhile
    if (!checkHeader(db, path)) {
      const from = Number(db.pragma('user_version', { simple: true }));
      if (from > 0) {
        upgrade(db, from);
      } else {
        db.exec(SCHEMA);
        db.pragma(`application_id = ${APPLICATION_ID}`);
      }
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  }).immediate();
}

function openError(err: unknown, path: string): LedgerError {
  if (err instanceof LedgerError) {
    return err;
  }
  const code = (err as { code?: unknown }).code;
  const damaged = typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT)/.test(code);
  return damaged
    ? new LedgerError('LEDGER_UNREADABLE', path, `ledger ${path} is damaged or not a database: ${message(err)}`, {
        cause: err,
      })
    : new LedgerError('LEDGER_OPEN_FAILED', path, `cannot open ledger ${path}: ${message(err)}`, { cause: err });
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return false;
    }
    throw new LedgerError('LEDGER_OPEN_FAILED', path, `cannot open ledger ${path}: ${message(err)}`, { cause: err });
  }
}

/** Makes a new file's directory entry durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The funding-source id: lower case, the last path segment of a URL. */
function normalizeDestination(destination: string): string {
  const d = destination.trim().toLowerCase().replace(/\/+$/, '');
  return d.slice(d.lastIndexOf('/') + 1);
}

function isoTime(value: string, field: string, path: string): string {
  const t = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(t.getTime())) {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', path, `${field} is not a time: ${JSON.stringify(value)}`);
  }
  return t.toISOString();
}

function paymentParams(p: PaymentFields, path: string): Row {
  if (!Number.isSafeInteger(p.amountCents) || !Number.isSafeInteger(p.row)) {
    throw new LedgerError(
      'LEDGER_INVALID_ARGUMENT',
      path,
      `amountCents and row must be integers (got ${p.amountCents} and ${p.row})`,
    );
  }
  return {
    row: p.row,
    paymentId: p.paymentId ?? null,
    destination: normalizeDestination(p.destination),
    amountCents: p.amountCents,
    correlationId: p.correlationId,
    source: p.source,
  };
}

function outcomeOp(o: LedgerOutcome, path: string): Op {
  const insertable =
    o.row !== undefined &&
    o.destination !== undefined &&
    o.amountCents !== undefined &&
    o.correlationId !== undefined &&
    o.source !== undefined;
  const fields = insertable
    ? paymentParams(o as PaymentFields, path)
    : { row: null, paymentId: null, destination: null, amountCents: null, correlationId: null, source: null };
  const params: Row = {
    ...fields,
    batchId: o.batchId,
    key: o.key,
    status: o.status,
    transferUrl: o.transferUrl ?? null,
    transferId: o.transferId ?? null,
    via: o.via ?? null,
    at: isoTime(o.at, 'at', path),
  };
  return { kind: 'outcome', params, insertable };
}

/** Drops the NULL columns (absent optional fields) and the cursor column. */
function compact(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) {
    if (v !== null && k !== 'cursorId') {
      out[k] = v;
    }
  }
  return out;
}

function toPayment(r: unknown): LedgerPayment {
  return compact(r as Row) as unknown as LedgerPayment;
}

function toBatch(r: unknown): LedgerBatch {
  return compact(r as Row) as unknown as LedgerBatch;
}

function namedParams(sql: string): string[] {
  return [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A row's payment as the ledger records it with each intent and outcome of the row. */
export function ledgerPaymentOf(row: ValidRow) {
  return {
    row: row.line,
    paymentId: row.payment.paymentId,
    destination: row.payment.destinationId,
    amountCents: row.payment.amountCents,
    correlationId: row.correlationId,
    source: row.payment.sourceId ?? '',
  };
}
