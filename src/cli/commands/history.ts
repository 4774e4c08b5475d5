/**
 * `payouts history`: its options, and a handler that loads the ledger only when it runs.
 */
import type { ArgumentsCamelCase, Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';
import { apiAndLogOptions, DEFAULTS } from '../options.js';

const historyOptions = {
  'payment-id': { type: 'string', requiresArg: true, describe: "a row's paymentId: every batch that paid it" },
  destination: {
    type: 'string',
    requiresArg: true,
    describe: 'payments to this funding source (URL or UUID)',
  },
  batch: { type: 'string', requiresArg: true, describe: "a batch's payments (its --batch-id)" },
  since: {
    type: 'string',
    requiresArg: true,
    describe:
      'payments first attempted at or after this: YYYY-MM-DD (from midnight Central Time) or an ISO-8601 time (without an offset, Central Time)',
  },
  env: apiAndLogOptions.env,
  'api-url': apiAndLogOptions['api-url'],
  state: apiAndLogOptions.state,
  limit: {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.historyLimit,
    describe: 'show at most this many payments, newest first, 1-100000',
  },
} as const satisfies Record<string, Options>;

const EPILOGUE = [
  'Reads the ledger of every account of the chosen API in the state directory (the embedded simulator unless --env or --api-url says otherwise: real payments need --env production). No network, no credentials, never writes state. Filters combine (all must match).',
  'Prints CSV to stdout, newest first: firstIntentAt, settledAt, status, batchId, row, paymentId, destination, amount, transferId, transferUrl, via, correlationId, account. status: created (Dwolla created the transfer; via post, or lookup when found at Dwolla), failed (refused; no money moved), unresolved (outcome unknown; a rerun settles it), intent (about to be or being sent, no outcome recorded yet). Times are UTC.',
  'Exit codes: 0 the query ran (even when nothing matches), 2 usage or an unreadable ledger.',
].join('\n\n');

type HistoryOptionTypes = InferredOptionTypes<typeof historyOptions>;

/** The arguments of `payouts history` as yargs parses them. */
export type HistoryArgs = ArgumentsCamelCase<HistoryOptionTypes>;

export const historyCommand: CommandModule<object, HistoryOptionTypes> = {
  command: 'history',
  describe: 'query the ledger: which payments this installation made, when, in which batch, with which transfer',
  builder: (yargs: Argv) =>
    yargs
      .options(historyOptions)
      .example('$0 history --payment-id PAY-2026-11-0005', 'every batch that paid this paymentId')
      .example(
        '$0 history --destination 8d116ece-1738-47d9-bd9c-172411e20b8f --since 2026-11-01 --env production',
        'real payments to a payee since November 1 (Central Time)',
      )
      .epilogue(EPILOGUE),
  handler: async (args) => {
    const { historyAction } = await import('../actions/history.js');
    process.exitCode = historyAction(args);
  },
};
