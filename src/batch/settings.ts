/**
 * The settings a batch runs with, resolved from the command line and the environment by
 * src/cli/run-options.ts. Plain data: the batch steps read them and never parse options.
 */
import type { Delimiter } from '../input/delimiter.js';
import type { ColumnPair } from '../input/header.js';
import type { ClearingPolicy } from '../input/validation.js';

export const API_ENVS = ['simulator', 'sandbox', 'production'] as const;
export type ApiEnv = (typeof API_ENVS)[number];

/** --mode: one `POST /transfers` per row, Dwolla Mass Payments, or Mass Payments for a source with many rows. */
export const SEND_MODES = ['transfers', 'mass-payment', 'auto'] as const;
type SendMode = (typeof SEND_MODES)[number];

/** How rows go to Dwolla (src/batch/mass-send.ts): --mode and the Mass Payment options. */
export interface MassPaymentSettings {
  mode: SendMode;
  /** --mass-payment-threshold: with `auto`, a source with more rows to send than this uses Mass Payments. */
  massPaymentThreshold: number;
  /** --chunk-size: items per mass payment, 1 to 5,000. */
  chunkSize: number;
  /** --deferred: mass payments are created `deferred`; `payouts approve` releases them. */
  deferred: boolean;
  /** false with --no-wait: exit 3 once the mass payments are created; the same command finishes them. */
  wait: boolean;
}

export interface RunSettings extends MassPaymentSettings {
  file: string;
  dryRun: boolean;
  env: ApiEnv;
  /** Base URL of a real or standalone API; undefined for the embedded simulator. */
  apiUrl: string | undefined;
  defaultSourceId: string | undefined;
  /** Where the batch's human outputs go: OUT/BATCH_ID. */
  outDir: string;
  /** Where durable state lives (journals, locks, the ledger): --state, PAYOUTS_HOME, XDG. */
  stateDir: string;
  batchId: string;
  resume: boolean;
  allowDuplicates: boolean;
  /** Send rows the repeat checks would hold (never a paymentId already paid). */
  allowRepeat: boolean;
  /** Days a row without paymentId is compared with other batches' payments (0: off). */
  repeatWindowDays: number;
  concurrency: number;
  clearing: ClearingPolicy;
  cutoffMarginMinutes: number;
  /** Fixed clock for clearing decisions, if --now was given. */
  now: Date | undefined;
  maxAmountCents: number;
  maxAttempts: number;
  timeoutMs: number;
  logLevel: string;
  logFile: string | undefined;
  /** --delimiter: the input's delimiter; undefined: detected from the header line. */
  delimiter: Delimiter | undefined;
  /** --columns: headers of the file read as this contract's columns. */
  columns: ColumnPair[];
  /** results.csv and plan.csv start with a UTF-8 BOM (--no-bom: false). */
  bom: boolean;
  /** --notify-url or PAYOUTS_NOTIFY_URL: where the run's end is POSTed (src/cli/notify.ts); undefined: nowhere. */
  notifyUrl?: string | undefined;
  credentials: { key: string; secret: string } | undefined;
  /** --strict: send nothing when any row is invalid. */
  strict: boolean;
  /** --approve: the plan digest (or a prefix of it, src/plan/plan-digest.ts) a person approved; send only that plan. */
  approve: string | undefined;
  /** --require-approval or PAYOUTS_REQUIRE_APPROVAL: refuse to send anything without a matching --approve. */
  requireApproval: boolean;
  /**
   * Starting amount of the embedded simulator's default balance, US dollars such as "250000.00"
   * (PAYOUTS_SIMULATOR_BALANCE); undefined: the simulator's default. Unused with a real API.
   */
  simulatorBalance?: string;
}

export type ReconcileSettings = Pick<
  RunSettings,
  | 'env'
  | 'apiUrl'
  | 'credentials'
  | 'outDir'
  | 'stateDir'
  | 'batchId'
  | 'concurrency'
  | 'maxAttempts'
  | 'timeoutMs'
  | 'logLevel'
  | 'logFile'
>;
