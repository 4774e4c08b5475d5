/**
 * A Dwolla-compatible API simulator (see README-section.md): the embedded API of `--env simulator`
 * and the server of `payouts simulator`. It shares types with the API client, never code.
 */
import { SIMULATOR } from '../dwolla/types.js';
import { adminTransfers } from './admin.js';
import { startingBalances } from './balances.js';
import type { FaultOptions } from './faults.js';
import type { SimulatorTransfer } from './resources.js';
import type { AchReturnCode } from './returns.js';
import { listen } from './server.js';
import { SimulatorState, type SimulatorStats } from './state.js';
import type { ReturnSide } from './store.js';

export type { FaultOptions } from './faults.js';
export { SPECIAL_FUNDING_SOURCES, SPECIAL_IDS } from './funding-sources.js';
export type { SimulatorTransfer } from './resources.js';
export { StageReturnError } from './store.js';

export interface SimulatorOptions extends FaultOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulated time at start (default: now); it then flows with real time, plus advanceClock(). */
  startTime?: Date;
  /**
   * For tests: simulated ms after which a pending leg that may be processed settles by itself, as
   * if `POST /sandbox-simulations` had run then (processed, or failed by a return). Default: never,
   * as in Dwolla's sandbox, where transfers stay pending until a simulation.
   */
  processingMs?: number;
  /**
   * Starting amount of the account's balance (`SIMULATOR.defaultSourceId`), in US dollars such as
   * "250000.00"; default "1000000.00". A RangeError when it is not such an amount.
   */
  balance?: string;
  /** The only client credentials `POST /token` accepts; default the published SIMULATOR pair. */
  credentials?: { key: string; secret: string };
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
  /**
   * What `POST /sandbox-simulations` does (OpenAPI simulateBankTransferProcessing): processes or
   * fails every pending leg that may be processed now, newest first, at most 500. Leg 2 of a chain
   * waits for the next call. Returns how many legs it processed or failed.
   */
  simulate(): number;
  /**
   * Stages an ACH return on a leg of a transfer POST /transfers created (`transferId`, its
   * Location's id): `funding` = that transfer (leg 1 of a chain, or the single leg), `funded` = leg 2
   * of a chain. The leg fails with `code` when it is next processed. Throws StageReturnError
   * (reason `unknown-transfer`, `no-funded-leg`, `no-bank` or `not-pending`).
   */
  stageReturn(transferId: string, leg: ReturnSide, code: AchReturnCode): void;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const {
    port = 0,
    host = '127.0.0.1',
    startTime,
    processingMs,
    balance,
    credentials = { key: SIMULATOR.key, secret: SIMULATOR.secret },
    ...faults
  } = opts;
  if (processingMs !== undefined && !(Number.isFinite(processingMs) && processingMs >= 0)) {
    throw new RangeError(`processingMs must be 0 or more, got ${processingMs}`);
  }
  if (credentials.key === '' || credentials.secret === '') {
    throw new RangeError('credentials need a non-empty key and secret');
  }
  const sim = new SimulatorState({
    startTime,
    processingMs,
    faults,
    startingBalances: startingBalances(balance),
    credentials,
  });
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
    simulate: () => sim.transfers.simulate(sim.clock.nowMs()),
    stageReturn: (transferId, leg, code) => {
      sim.transfers.stageReturn(transferId, leg, code, sim.clock.nowMs());
    },
  };
}
