/**
 * Exit codes of the commands (SPEC "Exit codes"), and the one mapping of the errors that end a
 * command early to them: a UsageError (a command line yargs refuses, an unusable option, an input
 * file that cannot be read) and a BatchStateError. The message goes to stderr.
 */
import { BatchStateError } from '../batch/errors.js';
import { UsageError } from '../input/usage-error.js';
import { EXIT } from '../results/exit-codes.js';

export { EXIT };

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
