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
  concurrency: {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.concurrency,
    describe: 'requests in flight at most, 1-64',
  },
} as const satisfies Record<string, Options>;

const EPILOGUE =
  'Exit codes: 0 every transfer fetched and none failed or cancelled, 1 some failed (ACH return) or were cancelled, 2 usage, 3 some could not be fetched (run again), 4 batch locked.';

type ReconcileOptionTypes = InferredOptionTypes<typeof reconcileOptions & { 'batch-id': typeof batchIdArgument }>;

/** The arguments of `payouts reconcile` as yargs parses them. */
export type ReconcileArgs = ArgumentsCamelCase<ReconcileOptionTypes>;

export const reconcileCommand: CommandModule<object, ReconcileOptionTypes> = {
  command: 'reconcile <batch-id>',
  describe: "refresh a batch's transfer statuses and ACH return codes into its journal and results.csv",
  builder: (yargs: Argv) => yargs.positional('batch-id', batchIdArgument).options(reconcileOptions).epilogue(EPILOGUE),
  handler: async (args) => {
    const { reconcileAction } = await import('../actions/reconcile.js');
    process.exitCode = await reconcileAction(args);
  },
};
