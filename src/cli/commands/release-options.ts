/**
 * The options `payouts approve` and `payouts cancel` share: those of `payouts reconcile` (the
 * batch is found as reconcile finds it), without --concurrency, plus --approve.
 */
import type { ArgumentsCamelCase, InferredOptionTypes, Options } from 'yargs';
import { apiAndLogOptions } from '../options.js';

export const batchIdArgument = {
  type: 'string',
  requiresArg: true,
  demandOption: true,
  describe: 'the batch whose deferred mass payments to act on (the batch id of its `payouts run --deferred`)',
} as const satisfies Options;

export const releaseOptions = {
  ...apiAndLogOptions,
  // No default: the embedded simulator keeps nothing between runs, so nothing is deferred there.
  env: {
    type: 'string',
    requiresArg: true,
    describe: 'which API: sandbox or production (required unless --api-url)',
  },
  'api-url': {
    type: 'string',
    requiresArg: true,
    describe: 'any Dwolla-compatible base URL, e.g. a standalone `payouts simulator` (required unless --env)',
  },
  approve: {
    type: 'string',
    requiresArg: true,
    describe:
      'the plan digest a dry run printed (64 hex digits, or its first 16 or more): only mass payments prepared with that plan are acted on',
  },
} as const satisfies Record<string, Options>;

export type ReleaseOptionTypes = InferredOptionTypes<typeof releaseOptions & { 'batch-id': typeof batchIdArgument }>;

/** The arguments of `payouts approve` and `payouts cancel` as yargs parses them. */
export type ReleaseArgs = ArgumentsCamelCase<ReleaseOptionTypes>;
