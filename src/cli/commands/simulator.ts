/**
 * `payouts simulator`: its options, and a handler that loads the simulator only when it runs. The
 * help's lists of special sources and emails come from the simulator's modules too, loaded only
 * when this command is parsed: every other command starts without them.
 */
import type { Argv, CommandModule, InferredOptionTypes, Options } from 'yargs';
import { SIMULATOR } from '../../dwolla/types.js';

export const simulatorOptions = {
  port: { type: 'number', default: 8787, describe: 'port to listen on (0: any free port)' },
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
  latency: { type: 'number', describe: 'ms added to every answer' },
  jitter: { type: 'number', describe: 'random 0..N ms added on top of --latency' },
  'fail-5xx-before': { type: 'number', describe: 'rate 0..1: POST /transfers answers 500/503 and creates nothing' },
  'fail-5xx-after': { type: 'number', describe: 'rate 0..1: the transfer is created, then 500 is answered' },
  'drop-after': {
    type: 'number',
    describe: 'rate 0..1: the transfer is created, then the connection is dropped unanswered',
  },
  'rate-429': {
    type: 'number',
    describe: 'rate 0..1: POST /transfers answers 429 TooManyRequests and creates nothing',
  },
  'slow-rate': { type: 'number', describe: 'rate 0..1: the transfer is created, its answer delayed by --slow-ms' },
  'slow-ms': { type: 'number', describe: 'delay of a slow answer, ms (default 60000)' },
  'token-lifetime': { type: 'number', describe: 'expires_in of access tokens, seconds (default 3600)' },
  seed: { type: 'number', describe: 'seed for a repeatable choice of faults' },
  'mass-payment-step': {
    type: 'number',
    describe:
      'simulated ms a mass payment stays pending, then processing, before it completes (default 1000; POST /sandbox-simulations moves it a step at once)',
  },
  balance: {
    type: 'string',
    requiresArg: true,
    // The builder adds the default (from the simulator's modules).
    describe: 'starting amount of the default balance, USD (env PAYOUTS_SIMULATOR_BALANCE)',
  },
} as const satisfies Record<string, Options>;

/** The options and what --help says after them: credentials, balances, and the special funding sources. */
async function describedOptions(yargs: Argv) {
  const [{ specialEmailsHelp }, { STARTING_BALANCES, specialSourcesHelp }] = await Promise.all([
    import('../../simulator/customers.js'),
    import('../../simulator/funding-sources.js'),
  ]);
  const balance = {
    ...simulatorOptions.balance,
    describe: `starting amount of the default balance, USD (default ${STARTING_BALANCES.defaultBalance}; env PAYOUTS_SIMULATOR_BALANCE)`,
  };
  const epilogue = [
    `Credentials: POST /token accepts only DWOLLA_KEY and DWOLLA_SECRET from the environment when both are set, else the published pair ${SIMULATOR.key} / ${SIMULATOR.secret}; any other pair gets 401 invalid_client.`,
    `Balance: the default source starts with --balance, else PAYOUTS_SIMULATOR_BALANCE, else ${STARTING_BALANCES.defaultBalance} USD (the embedded simulator of \`payouts run\` reads PAYOUTS_SIMULATOR_BALANCE too); a transfer beyond it is refused with InsufficientFunds. See GET /funding-sources/{id}/balance.`,
    '',
    specialSourcesHelp,
    '',
    specialEmailsHelp,
  ].join('\n');
  return yargs.options({ ...simulatorOptions, balance }).epilogue(epilogue);
}

/** The options of `payouts simulator` as yargs parses them (read by their --names). */
export type SimulatorArgs = InferredOptionTypes<typeof simulatorOptions>;

export const simulatorCommand: CommandModule<object, SimulatorArgs> = {
  command: 'simulator',
  describe: 'run the Dwolla-compatible simulator as a standalone server until stopped',
  builder: describedOptions,
  handler: async (args) => {
    const { simulatorAction } = await import('../actions/simulator.js');
    process.exitCode = await simulatorAction(args);
  },
};
