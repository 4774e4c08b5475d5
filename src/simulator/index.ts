/**
 * A Dwolla-compatible API simulator (see README-section.md): the embedded API of `--env simulator`
 * and the server of `payouts simulator`. It shares types with the API client, never code.
 */
import { adminTransfers } from './admin.js';
import type { FaultOptions } from './faults.js';
import type { SimulatorTransfer } from './resources.js';
import { listen } from './server.js';
import { SimulatorState, type SimulatorStats } from './state.js';

export type { FaultOptions } from './faults.js';
export { SPECIAL_FUNDING_SOURCES, SPECIAL_IDS } from './funding-sources.js';
export type { SimulatorTransfer } from './resources.js';

export interface SimulatorOptions extends FaultOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulated time at start (default: now); it then flows with real time, plus advanceClock(). */
  startTime?: Date;
  /** Simulated ms after which a pending transfer settles (processed, or failed for R01/R03); default 1 day. */
  processingMs?: number;
}

export interface SimulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:54321 */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Moves simulated time forward. */
  advanceClock(ms: number): void;
  /** Simulated time. */
  now(): Date;
  /** Replaces the fault options: what `f` leaves out is off (or back to its default). */
  setFaults(f: FaultOptions): void;
  /** Every created transfer, in creation order, with its current status and idempotency key. */
  transfers(): SimulatorTransfer[];
  stats(): SimulatorStats;
}

const DEFAULT_PROCESSING_MS = 24 * 60 * 60 * 1000;

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const { port = 0, host = '127.0.0.1', startTime, processingMs = DEFAULT_PROCESSING_MS, ...faults } = opts;
  if (!(Number.isFinite(processingMs) && processingMs >= 0)) {
    throw new RangeError(`processingMs must be 0 or more, got ${processingMs}`);
  }
  const sim = new SimulatorState({ startTime, processingMs, faults, startingBalances: new Map() });
  const server = await listen(sim, host, port);
  return {
    url: server.base,
    port: server.port,
    close: () => server.close(),
    advanceClock: (ms) => sim.clock.advance(ms),
    now: () => sim.clock.now(),
    setFaults: (f) => sim.faults.set(f),
    transfers: () => adminTransfers(sim, server.base),
    stats: () => sim.stats(),
  };
}
