/**
 * `payouts approve BATCH_ID --approve DIGEST`: its options, and a handler that loads the release
 * only when it runs.
 */
import type { Argv, CommandModule } from 'yargs';
import { batchIdArgument, type ReleaseOptionTypes, releaseOptions } from './release-options.js';

const EPILOGUE = [
  'Releases the mass payments a `payouts run FILE --mode mass-payment --deferred` left deferred at Dwolla (POST /mass-payments/{id} status pending), once a second person has checked the plan: --approve must name the plan digest they were prepared with (a dry run prints it: payouts run FILE --dry-run). Give --env sandbox|production or --api-url URL, and the --state and --out of the run. Then run the same `payouts run` command again to record the transfers.',
  'Exit codes: 0 every deferred mass payment released (now or before); 1 one was cancelled earlier, or was prepared with another plan (not released); 2 usage (no --approve, a digest that names none of them, no such batch, no deferred mass payments); 3 one could not be read or released (network, 5xx), or is not created at Dwolla yet (run the `payouts run` command again, then approve again); 4 batch locked (a run is under way).',
].join('\n\n');

export const approveCommand: CommandModule<object, ReleaseOptionTypes> = {
  command: 'approve <batch-id>',
  describe: "release a batch's deferred mass payments (--deferred) once a second person approved its plan digest",
  builder: (yargs: Argv) =>
    yargs
      .positional('batch-id', batchIdArgument)
      .options(releaseOptions)
      .demandOption('approve', '--approve DIGEST is required: the plan digest that was checked')
      .epilogue(EPILOGUE),
  handler: async (args) => {
    const { releaseAction } = await import('../actions/release.js');
    process.exitCode = await releaseAction('approve', args);
  },
};
