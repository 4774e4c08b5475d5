/**
 * `payouts run FILE`: its options, and a handler that loads what a run needs only when it runs
 * (a dry run never loads the HTTP client or the simulator).
 */
import type { ArgumentsCamelCase, Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';
import { SEND_MODES } from '../../batch/settings.js';
import { CLEARING_POLICIES } from '../../input/validation.js';
import { apiAndLogOptions, DEFAULTS, undescribed } from '../options.js';

const fileArgument = {
  type: 'string',
  requiresArg: true,
  demandOption: true,
  describe: 'the payee CSV (UTF-8, header row)',
} as const satisfies Options;

const runOptions = {
  ...apiAndLogOptions,
  'dry-run': {
    type: 'boolean',
    describe: 'parse, validate, derive keys and plan clearing; no network; writes OUT/BATCH_ID/plan.csv and plan.json',
  },
  source: {
    type: 'string',
    requiresArg: true,
    describe: "default source funding source (URL or UUID); env PAYOUTS_SOURCE; a row's source column overrides it",
  },
  'batch-id': {
    type: 'string',
    requiresArg: true,
    describe: "the batch's name, 1-64 of A-Za-z0-9._- (default: the file's base name)",
  },
  resume: { type: 'boolean', describe: 'continue an existing batch whose input file has changed' },
  'allow-duplicates': { type: 'boolean', describe: 'allow rows identical to an earlier row' },
  'allow-repeat': {
    type: 'boolean',
    describe:
      "send rows the repeat checks would hold for review (another batch's payment within --repeat-window, an edit of a paid row on --resume, a file identical to another batch's); never a paymentId already paid",
  },
  'repeat-window': {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.repeatWindow,
    describe:
      "days a row without paymentId is compared with other batches' payments to the same destination and amount (0: off)",
  },
  concurrency: {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.concurrency,
    describe: 'transfers in flight at most, 1-64',
  },
  clearing: {
    choices: CLEARING_POLICIES,
    requiresArg: true,
    default: DEFAULTS.clearing,
    describe: 'Same Day ACH policy',
  },
  'cutoff-margin': {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.cutoffMargin,
    describe: 'minutes before a cutoff after which that window is no longer targeted',
  },
  now: {
    type: 'string',
    requiresArg: true,
    describe: 'fix the clock for every clearing decision (ISO-8601; without an offset, Central Time)',
  },
  'notify-url': {
    type: 'string',
    requiresArg: true,
    describe:
      'when the run ends, POST summary.json, the rows needing a person and a Slack-compatible text to this webhook; env PAYOUTS_NOTIFY_URL',
  },
  'max-amount': {
    type: 'string',
    requiresArg: true,
    default: DEFAULTS.maxAmount,
    describe: 'largest amount accepted for one row, in USD',
  },
  delimiter: {
    type: 'string',
    requiresArg: true,
    describe: "the input's delimiter: , or ';' or tab (default: detected from the header line)",
  },
  columns: {
    type: 'string',
    requiresArg: true,
    describe:
      'read the file\'s own headers as these columns: "Amount (USD)=amount,Funding Source=destination" (a header holding , = or " in double quotes, as in CSV)',
  },
  // yargs reads --no-bom as bom=false; --help lists the flag people type, --no-bom.
  bom: { type: 'boolean', default: true, hidden: true },
  'no-bom': {
    type: 'boolean',
    describe:
      'write results.csv and plan.csv without the UTF-8 BOM (written by default, so that Excel reads them right)',
  },
  strict: { type: 'boolean', describe: 'send nothing when any row is invalid (exit 2 naming the first invalid rows)' },
  approve: {
    type: 'string',
    requiresArg: true,
    describe:
      'send only if the plan digest (printed by --dry-run; the whole digest or its first 16+ hex digits) is still DIGEST; else exit 2 saying what changed',
  },
  mode: {
    choices: SEND_MODES,
    requiresArg: true,
    default: DEFAULTS.mode,
    describe:
      'one POST /transfers per row, or Dwolla Mass Payments (up to 5,000 items each); auto: Mass Payments for a source with more than --mass-payment-threshold rows to send',
  },
  'mass-payment-threshold': {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.massPaymentThreshold,
    describe: 'with --mode auto, a source with more rows to send than this uses Mass Payments',
  },
  'chunk-size': {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.chunkSize,
    describe: 'items per mass payment, 1-5000',
  },
  deferred: {
    type: 'boolean',
    describe:
      'create the mass payments deferred: nothing moves until `payouts approve BATCH_ID --approve DIGEST` releases them (implies Mass Payments for every row they can carry)',
  },
  // yargs reads --no-wait as wait=false; --help lists the flag people type, --no-wait.
  wait: { type: 'boolean', default: true, hidden: true },
  'no-wait': {
    type: 'boolean',
    describe:
      'in Mass Payment mode, exit 3 once the mass payments are created instead of waiting for Dwolla to complete them; the same command finishes later',
  },
  'require-approval': {
    type: 'boolean',
    describe:
      'refuse to send anything without a matching --approve (env PAYOUTS_REQUIRE_APPROVAL=1); a rerun with nothing left to send needs none',
  },
} as const satisfies Record<string, Options>;

const EPILOGUE =
  'Credentials come only from the environment: DWOLLA_KEY and DWOLLA_SECRET.\nExit codes: 0 all created (or planned), 1 some invalid or failed, 2 usage or unreadable input, 3 incomplete (run again), 4 batch locked by another run.';

type RunOptionTypes = InferredOptionTypes<typeof runOptions & { file: typeof fileArgument }>;

/** The arguments of `payouts run` as yargs parses them. */
export type RunArgs = ArgumentsCamelCase<RunOptionTypes>;

export const runCommand: CommandModule<object, RunOptionTypes> = {
  command: 'run <file>',
  describe: 'validate a payee CSV and send every valid row as a Dwolla transfer',
  // The descriptions only when they may be shown (`helpOrVersion`): see `undescribed`.
  builder: (yargs: Argv, helpOrVersion?: boolean) =>
    helpOrVersion
      ? yargs.positional('file', fileArgument).options(runOptions).epilogue(EPILOGUE)
      : yargs.positional('file', { ...fileArgument, describe: undefined }).options(undescribed(runOptions)),
  handler: async (args) => {
    const { runAction } = await import('../actions/run.js');
    process.exitCode = await runAction(args);
  },
};
