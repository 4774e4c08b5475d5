/**
 * `payouts cancel BATCH_ID [--approve DIGEST]`: its options, and a handler that loads the
 * cancellation only when it runs.
 */
import type { Argv, CommandModule } from 'yargs';
import { batchIdArgument, type ReleaseOptionTypes, releaseOptions } from './release-options.js';

const EPILOGUE = [
  'Cancels the mass payments a `payouts run FILE --mode mass-payment --deferred` left deferred at Dwolla (POST /mass-payments/{id} status cancelled): nothing of them is paid. No digest is needed (cancelling moves no money); a given --approve must name the plan they were prepared with. Give --env sandbox|production or --api-url URL, and the --state and --out of the run. The next `payouts run` of the batch reports their rows failed (MassPaymentCancelled).',
  'Exit codes: 0 every deferred mass payment cancelled (now or before); 1 one was already released (it cannot be cancelled), or was prepared with another plan than --approve names; 2 usage (a digest that names none of them, no such batch, no deferred mass payments); 3 one could not be read or cancelled (network, 5xx), or is not created at Dwolla yet (run again); 4 batch locked (a run is under way).',
].join('\n\n');

export const cancelCommand: CommandModule<object, ReleaseOptionTypes> = {
  command: 'cancel <batch-id>',
  describe: "cancel a batch's deferred mass payments (--deferred) before they are released",
  builder: (yargs: Argv) => yargs.positional('batch-id', batchIdArgument).options(releaseOptions).epilogue(EPILOGUE),
  handler: async (args) => {
    const { releaseAction } = await import('../actions/release.js');
    process.exitCode = await releaseAction('cancel', args);
  },
};
