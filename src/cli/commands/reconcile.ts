/**
 * `payouts reconcile BATCH_ID`: its options, and a handler that loads the reconciliation only
 * when it runs.
 */
import type { ArgumentsCamelCase, Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';
import { apiAndLogOptions, DEFAULTS } from '../options.js';

const batchIdArgument = {
  type: 'string',
  requiresArg: true,
  demandOption: true,
  describe: 'the batch to reconcile (a folder of --out)',
} as const satisfies Options;

const reconcileOptions = {
  ...apiAndLogOptions,
  // No default: the embedded simulator keeps nothing between runs, so there is nothing to reconcile.
  env: {
    type: 'string',
    requiresArg: true,
    describe:
      'which API: sandbox or production (required unless --api-url; not simulator: the embedded simulator keeps nothing between runs)',
  },
  'api-url': {
    type: 'string',
    requiresArg: true,
    describe: 'any Dwolla-compatible base URL, e.g. a standalone `payouts simulator` (required unless --env)',
  },
  concurrency: {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.concurrency,
    describe: 'requests in flight at most, 1-64',
  },
} as const satisfies Record<string, Options>;

const EPILOGUE = [
  'Give --env sandbox|production or --api-url URL. To reconcile a rehearsal, run it against a standalone `payouts simulator` with --api-url, and reconcile with the same --api-url.',
  'Exit codes: 0 every transfer read and none failed or was cancelled, nor any fee; 1 a person must look: a transfer failed (an ACH return on any leg) or was cancelled, a fee transfer failed or was cancelled, or the API no longer knows a transfer (404, row marked not-found); 2 usage (no --env/--api-url, --env simulator, no such batch); 3 some transfers could not be read (network, 5xx: run again); 4 batch locked.',
].join('\n\n');

type ReconcileOptionTypes = InferredOptionTypes<typeof reconcileOptions & { 'batch-id': typeof batchIdArgument }>;

/** The arguments of `payouts reconcile` as yargs parses them. */
export type ReconcileArgs = ArgumentsCamelCase<ReconcileOptionTypes>;

export const reconcileCommand: CommandModule<object, ReconcileOptionTypes> = {
  command: 'reconcile <batch-id>',
  describe:
    "refresh a batch's transfer statuses (to the leg that reaches the payee), ACH returns and fee transfers into its journal and results.csv",
  builder: (yargs: Argv) => yargs.positional('batch-id', batchIdArgument).options(reconcileOptions).epilogue(EPILOGUE),
  handler: async (args) => {
    const { reconcileAction } = await import('../actions/reconcile.js');
    process.exitCode = await reconcileAction(args);
  },
};
