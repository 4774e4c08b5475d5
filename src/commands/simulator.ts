/**
 * `payouts simulator [--port N]`: the Dwolla-compatible simulator as a standalone server, until
 * SIGINT/SIGTERM. Prints where it listens, the credentials and default source to use, and the
 * special funding sources.
 */
import type { Options } from 'yargs';
import { SIMULATOR } from '../dwolla-types.js';
import { SPECIAL_FUNDING_SOURCES, startSimulator, type FaultOptions, type SimulatorHandle } from '../simulator/index.js';

export const simulatorOptions = {
  port: { type: 'number', default: 8787, describe: 'port to listen on (0: any free port)' },
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
  latency: { type: 'number', describe: 'ms added to every answer' },
  jitter: { type: 'number', describe: 'random 0..N ms added on top of --latency' },
  'fail-5xx-before': { type: 'number', describe: 'rate 0..1: POST /transfers answers 500/503 and creates nothing' },
  'fail-5xx-after': { type: 'number', describe: 'rate 0..1: the transfer is created, then 500 is answered' },
  'drop-after': { type: 'number', describe: 'rate 0..1: the transfer is created, then the connection is dropped unanswered' },
  'rate-429': { type: 'number', describe: 'rate 0..1: POST /transfers answers 429 TooManyRequests and creates nothing' },
  'slow-rate': { type: 'number', describe: 'rate 0..1: the transfer is created, its answer delayed by --slow-ms' },
  'slow-ms': { type: 'number', describe: 'delay of a slow answer, ms (default 60000)' },
  'token-lifetime': { type: 'number', describe: 'expires_in of access tokens, seconds (default 3600)' },
  seed: { type: 'number', describe: 'seed for a repeatable choice of faults' },
} as const satisfies Record<string, Options>;

export interface SimulatorCommandArgs {
  port: number;
  host: string;
  latency?: number;
  jitter?: number;
  'fail-5xx-before'?: number;
  'fail-5xx-after'?: number;
  'drop-after'?: number;
  'rate-429'?: number;
  'slow-rate'?: number;
  'slow-ms'?: number;
  'token-lifetime'?: number;
  seed?: number;
}

export const specialSourcesHelp = [
  'Simulator funding sources (any other UUID is a verified payee bank):',
  ...SPECIAL_FUNDING_SOURCES.map((s) => `  ${s.id}  ${s.behaviour}`),
].join('\n');

function faultsOf(args: SimulatorCommandArgs): FaultOptions {
  const faults: FaultOptions = {
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
  return Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)) as FaultOptions;
}

function describeFaults(f: FaultOptions): string {
  const on = Object.entries(f).map(([k, v]) => `${k}=${v}`);
  return on.length === 0 ? 'none' : on.join(', ');
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

export async function runSimulatorCommand(args: SimulatorCommandArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    process.stderr.write(`payouts simulator: --port must be a whole number from 0 to 65535, got ${args.port}\n`);
    return 2;
  }
  const faults = faultsOf(args);
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ port: args.port, host: args.host, ...faults });
  } catch (err) {
    process.stderr.write(`payouts simulator: ${(err as Error).message}\n`);
    return 2;
  }
  const stopped = waitForStopSignal();
  process.stdout.write(
    [
      `Dwolla simulator listening on ${sim.url} (simulated: no money moves)`,
      `Default source: ${SIMULATOR.defaultSourceId} (${sim.url}/funding-sources/${SIMULATOR.defaultSourceId})`,
      'Credentials (any non-empty pair is accepted):',
      `  DWOLLA_KEY=${SIMULATOR.key}`,
      `  DWOLLA_SECRET=${SIMULATOR.secret}`,
      `Use it: payouts run FILE.csv --api-url ${sim.url}`,
      specialSourcesHelp,
      `Faults: ${describeFaults(faults)}`,
      'Admin: POST /__simulator/clock {"advanceMs":N}, GET /__simulator/transfers, GET /__simulator/stats, POST /__simulator/faults',
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  const signal = await stopped;
  await sim.close();
  process.stdout.write(`Simulator stopped (${signal}).\n`);
  return 0;
}
