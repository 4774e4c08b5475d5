/**
 * What the batch journal records (src/batch/journal.ts), as the rest of the code sees it: the
 * logical records, a key's state, and the journal's errors. How they are written on a line is
 * src/batch/journal-format.ts.
 */
import type { TransferStatus } from '../dwolla/types.js';
import type { ClearingColumns } from '../plan/clearing.js';
import type { KeyVersion } from '../plan/keys.js';
import type { RowSum } from './key-set.js';
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
  /**
   * How the file was read (src/input/header.ts `readingOf`): the same bytes read another way are
   * another batch input. Absent in journals written before it was kept.
   */
  reading?: string;
  resume: boolean;
  /** The batch's key version (src/plan/keys.ts); absent in journals written before v2: v1. */
  keyVersion?: KeyVersion;
  /**
   * The API's base URL (the client's `baseUrl`). The run's outcomes then omit a `transferUrl`
   * that is `{apiBase}/transfers/{transferId}`: the reader derives it.
   */
  apiBase?: string;
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
  /**
   * The mass payment chunk (its correlationId, src/batch/chunk-file.ts) the row was sent in; absent
   * for a row sent as its own transfer. A rerun settles such a row through its chunk.
   */
  massPayment?: string;
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
  /**
   * The API answered 404 for a transfer whose status an earlier reconcile had learnt: that status
   * is kept (a return already seen is never forgotten), and this says what the 404 was.
   */
  notFound?: string;
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

/** A journal's keys and their states: a read-only Map, and whether reconcile has run on any. */
export interface KeyStates extends ReadonlyMap<string, KeyState> {
  /** Some key has a reconcile record: reconcile has run on the batch. */
  readonly anyReconciled: boolean;
  /** The created keys and what their last intents paid, summed (src/batch/key-set.ts `RowSum`). */
  createdRows?(): RowSum;
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

/**
 * A line other than a torn last one is not a journal record. `line` is 1-based; a record found
 * damaged when it was read back for a key (the file changed after it was read) names its byte
 * offset instead, with `line` 0.
 */
export class JournalCorruptError extends JournalError {
  readonly line: number;

  constructor(path: string, line: number, reason: string, offset?: number) {
    const where = offset === undefined ? `line ${line}` : `byte ${offset}`;
    super('JOURNAL_CORRUPT', path, `journal ${path} is corrupt at ${where}: ${reason}`);
    this.name = 'JournalCorruptError';
    this.line = line;
  }
}
