/**
 * Exit codes of the commands (SPEC "Exit codes"), and the one mapping of the errors that end a
 * command early to them: the message goes to stderr on one line.
 */
import { BatchStateError } from '../batch/errors.js';
import { UsageError } from '../input/usage-error.js';

export const EXIT = { ok: 0, attention: 1, usage: 2, incomplete: 3, locked: 4 } as const;

/** The exit code for a usage or batch-state error (after saying why); other errors are rethrown. */
export function exitCodeForError(err: unknown): number {
  if (err instanceof BatchStateError) {
    process.stderr.write(`payouts: ${err.message}\n`);
    return err.code === 'BATCH_LOCKED' ? EXIT.locked : EXIT.usage;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`payouts: ${err.message}\n`);
    return EXIT.usage;
  }
  throw err;
}
