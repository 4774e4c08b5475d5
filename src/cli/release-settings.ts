/**
 * The options of `payouts approve` and `payouts cancel`, checked and resolved: those of
 * `payouts reconcile` (resolveReconcileSettings) and --approve. Pure, as run-options.ts is.
 */
import type { ReleaseAction, ReleaseSettings } from '../batch/release.js';
import { UsageError } from '../input/usage-error.js';
import { MIN_APPROVAL_DIGITS, parseApproval } from '../plan/plan-digest.js';
import type { ReleaseArgs } from './commands/release-options.js';
import { resolveReconcileSettings } from './run-options.js';

/** The flags as yargs parses them; all but the batch id may be left out. */
export type ReleaseFlags = Pick<ReleaseArgs, 'batchId'> & Partial<ReleaseArgs>;

/** --approve as compared (a prefix of at least MIN_APPROVAL_DIGITS hex digits); required to approve. */
function approvalOf(action: ReleaseAction, text: string | undefined): string | undefined {
  if (text === undefined) {
    if (action === 'approve') {
      throw new UsageError('USAGE', 'approve needs --approve DIGEST: the plan digest a second person checked');
    }
    return undefined;
  }
  const approval = parseApproval(text);
  if (approval === undefined) {
    throw new UsageError(
      'USAGE',
      `--approve must be the plan digest a dry run printed: 64 hex digits, or its first ${MIN_APPROVAL_DIGITS} or more (got '${text}')`,
    );
  }
  return approval;
}

export function resolveReleaseSettings(
  action: ReleaseAction,
  flags: ReleaseFlags,
  env: NodeJS.ProcessEnv,
): ReleaseSettings {
  const approve = approvalOf(action, flags.approve);
  return { ...resolveReconcileSettings(flags, env, action), approve };
}
