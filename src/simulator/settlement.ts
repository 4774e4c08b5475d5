/**
 * How transfer legs leave `pending`, as in Dwolla's sandbox (OpenAPI simulateBankTransferProcessing,
 * `POST /sandbox-simulations`): a bank leg stays pending until a simulation processes it, or fails
 * it with an ACH return. One simulation takes the legs that are eligible when it starts, newest
 * first, at most 500 ("the last 500 bank transfers"); leg 2 of a chain becomes eligible only once
 * leg 1 is processed, so it waits for the next call ("call this endpoint twice to process both the
 * debit and credit sides"). A leg with no bank side (balance to balance) is processed as soon as it
 * is eligible. With `processingMs` (for tests), a leg eligible for that long is processed as if a
 * simulation had run at that moment.
 */
import { SIMULATOR } from '../dwolla/types.js';
import { Column } from './columns.js';
import type { LegTable, StoredFailure } from './leg-table.js';
import { bankSidesOf, endOf, returnOf } from './legs.js';
import { removesBank } from './returns.js';
import { RowSet } from './row-set.js';

/** What settling does to money: S1's balances (state.ts wires it to `sim.balances.credit`). */
export interface SettlementEffects {
  credit(balanceId: string, cents: bigint, atMs: number): void;
}

/** OpenAPI simulateBankTransferProcessing: "Triggers processing for the last 500 bank transfers". */
const MAX_LEGS_PER_SIMULATION = 500;

type Ending = 'processed' | 'failed' | 'cancelled';

/** Moves the legs of a LegTable (by row) out of `pending`. */
export class Settlement {
  /** Pending legs with a bank side that may be processed now. */
  private readonly waiting = new RowSet();
  /** Since when each waiting leg may be processed; kept only under processingMs. */
  private readonly eligibleMs = Column.f64();
  /** No waiting leg is due (processingMs) before this instant. */
  private earliestDueMs = Number.POSITIVE_INFINITY;
  /** Bank funding sources removed by a return (R03). */
  readonly removed = new Set<string>();

  constructor(
    private readonly legs: LegTable,
    private readonly processingMs: number | undefined,
    private readonly effects: SettlementEffects,
  ) {}

  /** A money leg may be processed from `atMs`: at once when no bank is involved, else it waits. */
  becomeEligible(row: number, atMs: number): void {
    if (bankSidesOf(this.legs, row).length === 0) {
      this.settle(row, atMs);
      return;
    }
    this.waiting.add(row);
    if (this.processingMs !== undefined) {
      this.eligibleMs.set(row, atMs);
      this.earliestDueMs = Math.min(this.earliestDueMs, atMs + this.processingMs);
    }
  }

  /** Processes (or fails) every leg due by `nowMs` under processingMs, each at the instant it fell due. */
  catchUp(nowMs: number): void {
    const processingMs = this.processingMs;
    if (processingMs === undefined || nowMs < this.earliestDueMs) {
      return;
    }
    for (;;) {
      // The first due, the oldest (lowest row) of those due at once.
      let next: number | undefined;
      let nextDue = Number.POSITIVE_INFINITY;
      for (const row of this.waiting.ascending()) {
        const due = this.eligibleMs.get(row) + processingMs;
        if (due < nextDue) {
          next = row;
          nextDue = due;
        }
      }
      this.earliestDueMs = nextDue;
      if (next === undefined || nextDue > nowMs) {
        return;
      }
      this.settle(next, nextDue);
    }
  }

  /** One sandbox simulation at `nowMs`: the number of legs it processed or failed. */
  simulate(nowMs: number): number {
    this.catchUp(nowMs);
    const batch = this.waiting.highest(MAX_LEGS_PER_SIMULATION);
    for (const row of batch) {
      this.settle(row, nowMs);
    }
    return batch.length;
  }

  /** Processes the money leg, or fails it when it meets a return. */
  settle(row: number, atMs: number): void {
    const failure = returnOf(this.legs, row);
    if (failure) {
      this.fail(row, failure, atMs);
    } else {
      this.process(row, atMs);
    }
  }

  /** Cancels the created transfer `tx` with its leg 2 and fees; a balance source gets its amount back. */
  cancel(tx: number, atMs: number): void {
    const row = this.legs.row(tx);
    this.end(row, 'cancelled');
    this.endFunded(tx, 'cancelled');
    this.endFees(tx, 'cancelled');
    this.refundSource(tx, atMs);
  }

  private process(row: number, atMs: number): void {
    const tx = this.legs.transferOf(row);
    const funded = this.legs.kind(row) === 'created' ? this.legs.fundedRow(tx) : undefined;
    this.end(row, 'processed');
    // A leg reaching a balance credits it (bank to the account's balance, balance to balance).
    // Leg 1 of a chain credits nothing: leg 2 takes the amount from the balance at once.
    const destination = this.legs.end(tx, 'destination');
    if (funded === undefined && endOf(this.legs, tx, 'destination').type === 'balance') {
      this.effects.credit(destination, this.legs.amountCents(row), atMs);
    }
    if (funded !== undefined) {
      this.becomeEligible(funded, atMs);
      return;
    }
    // Fees are processed, failed or cancelled with the leg that reaches the payee (leg 2 of a chain,
    // else the single leg); a processed fee's amount lands in the account's balance. The charged
    // customer's side is not modelled (the simulator keeps no customer money but the second balance).
    for (const fee of this.endFees(tx, 'processed')) {
      this.effects.credit(SIMULATOR.defaultSourceId, this.legs.amountCents(fee), atMs);
    }
  }

  private fail(row: number, failure: StoredFailure, atMs: number): void {
    const tx = this.legs.transferOf(row);
    const kind = this.legs.kind(row);
    this.end(row, 'failed');
    this.legs.setFailure(row, failure);
    if (removesBank(failure.code)) {
      this.removed.add(this.legs.end(tx, failure.side));
    }
    if (kind === 'created' && this.legs.fundedRow(tx) !== undefined) {
      // Leg 1 failed: nothing reached the balance, leg 2 and the fees are cancelled.
      this.endFunded(tx, 'cancelled');
      this.endFees(tx, 'cancelled');
      return;
    }
    for (const fee of this.endFees(tx, 'failed')) {
      this.legs.setFailure(fee, failure);
    }
    if (kind === 'funded') {
      // Leg 1 had brought the amount into the balance (leg 2's source); leg 2's return leaves it there.
      this.effects.credit(SIMULATOR.defaultSourceId, this.legs.amountCents(row), atMs);
    } else {
      this.refundSource(tx, atMs);
    }
  }

  private refundSource(tx: number, atMs: number): void {
    if (endOf(this.legs, tx, 'source').type === 'balance') {
      this.effects.credit(this.legs.end(tx, 'source'), this.legs.amountCents(this.legs.row(tx)), atMs);
    }
  }

  private end(row: number, status: Ending): void {
    this.legs.setStatus(row, status);
    this.waiting.delete(row);
  }

  private endFunded(tx: number, status: Ending): void {
    const funded = this.legs.fundedRow(tx);
    if (funded !== undefined) {
      this.end(funded, status);
    }
  }

  /** Ends the fees still pending; returns those it ended. */
  private endFees(tx: number, status: Ending): number[] {
    const pending = this.legs.feeRows(tx).filter((row) => this.legs.status(row) === 'pending');
    for (const row of pending) {
      this.legs.setStatus(row, status);
    }
    return pending;
  }
}
