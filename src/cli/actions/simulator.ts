/**
 * What `payouts simulator` does: the Dwolla-compatible simulator as a standalone server, until
 * SIGINT/SIGTERM. Prints where it listens, the credentials it accepts (never a secret taken from
 * the environment), the default source and its balance, and the special funding sources.
 */
import { SIMULATOR } from '../../dwolla/types.js';
import { balanceCents } from '../../simulator/balances.js';
import { specialEmailsHelp } from '../../simulator/customers.js';
import { STARTING_BALANCES, specialSourcesHelp } from '../../simulator/funding-sources.js';
import { type FaultOptions, type SimulatorHandle, startSimulator } from '../../simulator/index.js';
import { formatCents } from '../../simulator/money.js';
import type { SimulatorArgs } from '../commands/simulator.js';
import { EXIT } from '../exit-codes.js';

/** The faults the options ask for; an option not given leaves its fault off. */
function faultsOf(args: SimulatorArgs): FaultOptions {
  return {
    latencyMs: args.latency,
    jitterMs: args.jitter,
    error5xxBeforeRate: args['fail-5xx-before'],
    error5xxAfterRate: args['fail-5xx-after'],
    dropAfterRate: args['drop-after'],
    rate429: args['rate-429'],
    slowRate: args['slow-rate'],
    slowMs: args['slow-ms'],
    tokenLifetimeSec: args['token-lifetime'],
    seed: args.seed,
  };
}

function describeFaults(f: FaultOptions): string {
  const on = Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return on.length === 0 ? 'none' : on.join(', ');
}

/** The pair `POST /token` accepts: DWOLLA_KEY and DWOLLA_SECRET when both are set, else the published one. */
interface Accepted {
  key: string;
  secret: string;
  fromEnvironment: boolean;
}

function credentialsOf(env: NodeJS.ProcessEnv): Accepted {
  const { DWOLLA_KEY: key, DWOLLA_SECRET: secret } = env;
  return key && secret
    ? { key, secret, fromEnvironment: true }
    : { key: SIMULATOR.key, secret: SIMULATOR.secret, fromEnvironment: false };
}

/** The default balance's starting amount: --balance, else PAYOUTS_SIMULATOR_BALANCE, else the simulator's default. */
function balanceOf(args: SimulatorArgs, env: NodeJS.ProcessEnv): { dollars: string; from: string } {
  if (args.balance !== undefined) {
    return { dollars: args.balance, from: '--balance' };
  }
  const fromEnv = env.PAYOUTS_SIMULATOR_BALANCE;
  return fromEnv
    ? { dollars: fromEnv, from: 'PAYOUTS_SIMULATOR_BALANCE' }
    : { dollars: STARTING_BALANCES.defaultBalance, from: 'default' };
}

function describeCredentials(c: Accepted): string[] {
  return c.fromEnvironment
    ? [
        'Credentials (POST /token accepts only this pair, taken from the environment):',
        `  DWOLLA_KEY=${c.key}`,
        '  DWOLLA_SECRET=(the one set in the environment; not shown)',
      ]
    : [
        'Credentials (POST /token accepts only this pair; set DWOLLA_KEY and DWOLLA_SECRET to choose another):',
        `  DWOLLA_KEY=${c.key}`,
        `  DWOLLA_SECRET=${c.secret}`,
      ];
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function describeSimulator(
  sim: SimulatorHandle,
  faults: FaultOptions,
  credentials: Accepted,
  balance: { cents: bigint; from: string },
): string {
  const source = `${sim.url}/funding-sources/${SIMULATOR.defaultSourceId}`;
  return [
    `Dwolla simulator listening on ${sim.url} (simulated: no money moves)`,
    `Default source: ${SIMULATOR.defaultSourceId} (${source})`,
    `Default source balance: ${formatCents(balance.cents)} USD (${balance.from}; GET ${source}/balance)`,
    ...describeCredentials(credentials),
    `Use it (with the credentials above in DWOLLA_KEY and DWOLLA_SECRET): payouts run FILE.csv --api-url ${sim.url} --source ${SIMULATOR.defaultSourceId}`,
    specialSourcesHelp,
    specialEmailsHelp,
    `Faults: ${describeFaults(faults)}`,
    'Admin (no auth): GET|POST /__simulator/clock, GET /__simulator/transfers, GET /__simulator/stats, GET|POST /__simulator/faults, POST /__simulator/simulate, POST /__simulator/returns {"transferId","leg":"funding"|"funded","code":"R01"}',
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}

export async function simulatorAction(args: SimulatorArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    process.stderr.write(`payouts simulator: --port must be a whole number from 0 to 65535, got ${args.port}\n`);
    return EXIT.usage;
  }
  const balance = balanceOf(args, process.env);
  let cents: bigint;
  try {
    cents = balanceCents(balance.dollars);
  } catch {
    process.stderr.write(
      `payouts simulator: ${balance.from} must be an amount of US dollars such as 250000.00, got '${balance.dollars}'\n`,
    );
    return EXIT.usage;
  }
  const faults = faultsOf(args);
  const credentials = credentialsOf(process.env);
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      port: args.port,
      host: args.host,
      balance: balance.dollars,
      credentials: { key: credentials.key, secret: credentials.secret },
      ...(args['mass-payment-step'] === undefined ? {} : { massPaymentStepMs: args['mass-payment-step'] }),
      ...faults,
    });
  } catch (err) {
    process.stderr.write(`payouts simulator: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }
  const stopped = waitForStopSignal();
  process.stdout.write(describeSimulator(sim, faults, credentials, { cents, from: balance.from }));
  const signal = await stopped;
  await sim.close();
  process.stdout.write(`Simulator stopped (${signal}).\n`);
  return EXIT.ok;
}
