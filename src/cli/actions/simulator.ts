/**
 * What `payouts simulator` does: the Dwolla-compatible simulator as a standalone server, until
 * SIGINT/SIGTERM. Prints where it listens, the credentials and default source to use, and the
 * special funding sources.
 */
import { SIMULATOR } from '../../dwolla/types.js';
import { specialSourcesHelp } from '../../simulator/funding-sources.js';
import { type FaultOptions, type SimulatorHandle, startSimulator } from '../../simulator/index.js';
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

function describeSimulator(sim: SimulatorHandle, faults: FaultOptions): string {
  return [
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
  ].join('\n');
}

export async function simulatorAction(args: SimulatorArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    process.stderr.write(`payouts simulator: --port must be a whole number from 0 to 65535, got ${args.port}\n`);
    return EXIT.usage;
  }
  const faults = faultsOf(args);
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ port: args.port, host: args.host, ...faults });
  } catch (err) {
    process.stderr.write(`payouts simulator: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }
  const stopped = waitForStopSignal();
  process.stdout.write(describeSimulator(sim, faults));
  const signal = await stopped;
  await sim.close();
  process.stdout.write(`Simulator stopped (${signal}).\n`);
  return EXIT.ok;
}
