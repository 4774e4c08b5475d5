/**
 * A Dwolla-compatible API simulator (see README-section.md): the embedded API of `--env simulator`
 * and the server of `payouts simulator`. It shares types with the API client, never code.
 */
import { SIMULATOR } from '../dwolla/types.js';
import { adminMassPayments, adminTransfers } from './admin.js';
import { startingBalances } from './balances.js';
import type { FaultOptions } from './faults.js';
import type { SimulatorMassPayment } from './mass-payment-resources.js';
import type { SimulatorTransfer } from './resources.js';
import type { AchReturnCode } from './returns.js';
import { listen } from './server.js';
import { SimulatorState, type SimulatorStats } from './state.js';
import type { ReturnSide } from './store.js';

export { SPECIAL_EMAILS } from './customers.js';
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
   * Simulated ms a mass payment stays `pending`, then `processing`, before it moves on by itself
   * (Dwolla processes mass payments asynchronously, with no simulation needed); default 1000.
   * `POST /sandbox-simulations` moves every one a step at once. Tests that step by simulations
   * alone give a long one (e.g. a day).
   */
  massPaymentStepMs?: number;
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
  /** Every created transfer, in creation order, with its current status and idempotency key (mass payment items' transfers included). */
  transfers(): SimulatorTransfer[];
  /** Every created mass payment, in creation order, with its current status, idempotency key and item count. */
  massPayments(): SimulatorMassPayment[];
  stats(): SimulatorStats;
  /**
   * What `POST /sandbox-simulations` does (OpenAPI simulateBankTransferProcessing): processes or
   * fails every pending leg that may be processed now, newest first, at most 500. Leg 2 of a chain
   * waits for the next call. Then every pending or processing mass payment moves a step. Returns
   * how many legs it processed or failed.
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

/** How long a mass payment stays pending, then processing, by default (simulated ms). */
const DEFAULT_MASS_PAYMENT_STEP_MS = 1000;

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const {
    port = 0,
    host = '127.0.0.1',
    startTime,
    processingMs,
    massPaymentStepMs = DEFAULT_MASS_PAYMENT_STEP_MS,
    balance,
    credentials = { key: SIMULATOR.key, secret: SIMULATOR.secret },
    ...faults
  } = opts;
  for (const [name, ms] of Object.entries({ processingMs, massPaymentStepMs })) {
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`${name} must be 0 or more, got ${ms}`);
    }
  }
  if (credentials.key === '' || credentials.secret === '') {
    throw new RangeError('credentials need a non-empty key and secret');
  }
  const sim = new SimulatorState({
    startTime,
    processingMs,
    massPaymentStepMs,
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
    massPayments: () => adminMassPayments(sim, server.base),
    stats: () => sim.stats(),
    simulate: () => sim.simulate(),
    stageReturn: (transferId, leg, code) => {
      sim.transfers.stageReturn(transferId, leg, code, sim.clock.nowMs());
    },
  };
}
