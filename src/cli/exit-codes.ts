/**
 * Exit codes of the commands (SPEC "Exit codes"), and the mapping of the errors that end a
 * command early to them: the message goes to stderr on one line.
 */
import { BatchLockedError } from '../batch/lock.js';
import { UsageError } from '../input/usage-error.js';

export const EXIT = { ok: 0, attention: 1, usage: 2, incomplete: 3, locked: 4 } as const;

/** The exit code for a lock held elsewhere or a usage error (after saying why); other errors are rethrown. */
export function exitCodeForError(err: unknown): number {
  if (err instanceof BatchLockedError) {
    process.stderr.write(`payouts: ${err.message}\n`);
    return EXIT.locked;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`payouts: ${err.message}\n`);
    return EXIT.usage;
  }
  throw err;
}
