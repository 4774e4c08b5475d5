#!/usr/bin/env node
/**
 * The `payouts` executable: parses options with yargs and calls one function per command.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Options } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { type SimulatorCommandArgs, simulatorOptions, specialSourcesHelp } from './commands/simulator-options.js';

// Each command's module is imported when that command runs, so that a command loads only what it
// uses (the HTTP client and the simulator cost tens of MB resident that a dry run does not need).

/** Options that `run` and `reconcile` share: where batches are, which API, HTTP limits, logs. */
const API_AND_LOG_OPTIONS = {
  out: { type: 'string', requiresArg: true, default: 'output', describe: 'where batch folders are' },
  env: {
    choices: ['simulator', 'sandbox', 'production'],
    requiresArg: true,
    default: 'simulator',
    describe: 'which API: the embedded simulator (no money moves), Dwolla sandbox or production',
  },
  'api-url': { type: 'string', requiresArg: true, describe: 'any Dwolla-compatible base URL; overrides --env' },
  'max-attempts': {
    type: 'number',
    requiresArg: true,
    default: 6,
    describe: 'tries per request for retryable failures',
  },
  timeout: { type: 'number', requiresArg: true, default: 30, describe: "one HTTP request's limit, in seconds" },
  'log-level': {
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    requiresArg: true,
    default: 'info',
    describe: 'pino log level',
  },
  'log-file': { type: 'string', requiresArg: true, describe: 'write JSON logs here instead of stderr' },
} as const satisfies Record<string, Options>;

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A command line yargs could not accept (unknown command or option, missing argument). */
class CliUsage extends Error {}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  try {
    await yargs(argv)
      .scriptName('payouts')
      .usage('$0 <command> [options]\n\nTurn a payee CSV into Dwolla ACH transfers, each paid exactly once.')
      .command(
        'run <file>',
        'validate a payee CSV and send every valid row as a Dwolla transfer',
        (y) =>
          y
            .positional('file', {
              type: 'string',
              requiresArg: true,
              demandOption: true,
              describe: 'the payee CSV (UTF-8, header row)',
            })
            .options({
              ...API_AND_LOG_OPTIONS,
              'dry-run': {
                type: 'boolean',
                describe:
                  'parse, validate, derive keys and plan clearing; no network; writes OUT/BATCH_ID/plan.csv and plan.json',
              },
              source: {
                type: 'string',
                requiresArg: true,
                describe:
                  "default source funding source (URL or UUID); env PAYOUTS_SOURCE; a row's source column overrides it",
              },
              'batch-id': {
                type: 'string',
                requiresArg: true,
                describe: "the batch's name, 1-64 of A-Za-z0-9._- (default: the file's base name)",
              },
              resume: { type: 'boolean', describe: 'continue an existing batch whose input file has changed' },
              'allow-duplicates': { type: 'boolean', describe: 'allow rows identical to an earlier row' },
              concurrency: {
                type: 'number',
                requiresArg: true,
                default: 4,
                describe: 'transfers in flight at most, 1-64',
              },
              clearing: {
                choices: ['auto', 'same-day', 'standard'],
                requiresArg: true,
                default: 'auto',
                describe: 'Same Day ACH policy',
              },
              'cutoff-margin': {
                type: 'number',
                requiresArg: true,
                default: 10,
                describe: 'minutes before a cutoff after which that window is no longer targeted',
              },
              now: {
                type: 'string',
                requiresArg: true,
                describe: 'fix the clock for every clearing decision (ISO-8601; without an offset, Central Time)',
              },
              'max-amount': {
                type: 'string',
                requiresArg: true,
                default: '10000.00',
                describe: 'largest amount accepted for one row, in USD',
              },
            })
            .epilogue(
              'Credentials come only from the environment: DWOLLA_KEY and DWOLLA_SECRET.\nExit codes: 0 all created (or planned), 1 some invalid or failed, 2 usage or unreadable input, 3 incomplete (run again), 4 batch locked by another run.',
            ),
        async (args) => {
          const { runCommand } = await import('./commands/run.js');
          exitCode = await runCommand({
            ...args,
            file: String(args.file),
            maxAmount: args.maxAmount === undefined ? undefined : String(args.maxAmount),
          });
        },
      )
      .command(
        'reconcile <batch-id>',
        "refresh a batch's transfer statuses and ACH return codes into its journal and results.csv",
        (y) =>
          y
            .positional('batch-id', {
              type: 'string',
              requiresArg: true,
              demandOption: true,
              describe: 'the batch to reconcile (a folder of --out)',
            })
            .options({
              ...API_AND_LOG_OPTIONS,
              concurrency: {
                type: 'number',
                requiresArg: true,
                default: 4,
                describe: 'requests in flight at most, 1-64',
              },
            })
            .epilogue(
              'Exit codes: 0 every transfer fetched and none failed or cancelled, 1 some failed (ACH return) or were cancelled, 2 usage, 3 some could not be fetched (run again), 4 batch locked.',
            ),
        async (args) => {
          const { reconcileCommand } = await import('./commands/reconcile.js');
          exitCode = await reconcileCommand({ ...args, batchId: String(args.batchId) });
        },
      )
      .command(
        'simulator',
        'run the Dwolla-compatible simulator as a standalone server until stopped',
        (y) => y.options(simulatorOptions).epilogue(specialSourcesHelp),
        async (args) => {
          const { runSimulatorCommand } = await import('./commands/simulator.js');
          exitCode = await runSimulatorCommand(args as unknown as SimulatorCommandArgs);
        },
      )
      .command(
        'calendar',
        'print business days and Same Day windows (Central Time)',
        (y) =>
          y.options({
            from: {
              type: 'string',
              requiresArg: true,
              describe: 'first day, YYYY-MM-DD (default: today in Central Time)',
            },
            days: { type: 'number', requiresArg: true, default: 14, describe: 'how many calendar days, 1-366' },
          }),
        async (args) => {
          const { centralDate } = await import('../plan/calendar.js');
          const { CalendarUsageError, calendarCommand, validateCalendarArgs } = await import('./commands/calendar.js');
          const opts = { from: args.from ?? centralDate(new Date()), days: args.days };
          try {
            validateCalendarArgs(opts);
            process.stdout.write(calendarCommand(opts));
          } catch (err) {
            if (!(err instanceof CalendarUsageError)) {
              throw err;
            }
            process.stderr.write(`payouts: ${err.message}\n`);
            exitCode = 2;
          }
        },
      )
      .demandCommand(1, 'name a command: run, reconcile, simulator or calendar')
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .strict()
      .version(pkg.version)
      .help()
      .alias('h', 'help')
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        // yargs' own validation errors (YError) are usage errors too; anything else is a real failure.
        if (err && err.name !== 'YError') {
          throw err;
        }
        // Thrown so that no command runs after a usage error.
        throw new CliUsage(msg ?? err?.message ?? 'invalid command line');
      })
      .parseAsync();
  } catch (err) {
    // yargs throws a usage failure synchronously or rejects with it, depending on where it is found.
    if (!(err instanceof CliUsage)) {
      throw err;
    }
    process.stderr.write(`payouts: ${err.message}\nRun 'payouts --help' for usage.\n`);
    exitCode = 2;
  }
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `payouts: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 3;
  },
);
