#!/usr/bin/env node
/**
 * The `payouts` executable: hands the command line to yargs, which runs one command module of
 * ./commands. Each module loads what its command needs only when that command runs (the HTTP
 * client and the simulator cost tens of MB resident that a dry run does not need).
 */
import { setFlagsFromString } from 'node:v8';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { toolVersion } from '../batch/tool-version.js';
import { UsageError } from '../input/usage-error.js';
import { approveCommand } from './commands/approve.js';
import { calendarCommand } from './commands/calendar.js';
import { cancelCommand } from './commands/cancel.js';
import { historyCommand } from './commands/history.js';
import { reconcileCommand } from './commands/reconcile.js';
import { runCommand } from './commands/run.js';
import { simulatorCommand } from './commands/simulator.js';
import { templateCommand } from './commands/template.js';
import { EXIT, exitCodeForError } from './exit-codes.js';

// A run's live heap is small and flat (tens of MB: it streams), but V8's default heap sizing on a
// large machine lets garbage pile up to a few hundred MB before a full collection. Sizing the heap
// for memory rather than throughput halves peak RSS at the same speed (npm run bench measures it).
// It only tunes the collector; the heap's limit is unchanged, so it can never cause an out-of-memory.
setFlagsFromString('--optimize-for-size');

/**
 * yargs' own validation errors (YError: unknown command or option, missing argument) are usage
 * errors; anything else is a real failure. Thrown, so that no command runs after a usage error.
 */
function failOnUsage(message: string | undefined, err: Error | undefined): never {
  if (err && err.name !== 'YError') {
    throw err;
  }
  throw new UsageError(
    'USAGE',
    `${message ?? err?.message ?? 'invalid command line'}\nRun 'payouts --help' for usage.`,
  );
}

async function main(argv: string[]): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('payouts')
      .usage('$0 <command> [options]\n\nTurn a payee CSV into Dwolla ACH transfers, each paid exactly once.')
      .command(runCommand)
      .command(reconcileCommand)
      .command(approveCommand)
      .command(cancelCommand)
      .command(historyCommand)
      .command(simulatorCommand)
      .command(calendarCommand)
      .command(templateCommand)
      .demandCommand(1, 'name a command: run, reconcile, approve, cancel, history, simulator, calendar or template')
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .strict()
      .version(toolVersion())
      .help()
      .alias('h', 'help')
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail(failOnUsage)
      .parseAsync();
  } catch (err) {
    // yargs throws a usage failure synchronously or rejects with it, depending on where it is found.
    process.exitCode = exitCodeForError(err);
  }
}

/**
 * Output is best-effort: a closed stdout or stderr (`payouts run … | head -1`) never changes what
 * a run does or its exit code (SPEC "Exit codes"). Without a listener, a failed write (EPIPE) is
 * an uncaught 'error' event that ends the process with exit 1, in the middle of a run if it comes
 * early. Anything else such a stream reports is ignored too: there is nowhere left to say it.
 */
function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => undefined);
  }
}

ignoreOutputErrors();
main(hideBin(process.argv)).catch((err: unknown) => {
  process.stderr.write(
    `payouts: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = EXIT.incomplete;
});
