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
import { bankSidesOf, type FeeLeg, type LegFailure, type MoneyLeg, returnOf, type StoredTransfer } from './legs.js';
import { removesBank } from './returns.js';

/** What settling does to money: S1's balances (state.ts wires it to `sim.balances.credit`). */
export interface SettlementEffects {
  credit(balanceId: string, cents: bigint, atMs: number): void;
}

/** OpenAPI simulateBankTransferProcessing: "Triggers processing for the last 500 bank transfers". */
const MAX_LEGS_PER_SIMULATION = 500;

export class Settlement {
  /** Pending legs with a bank side that may be processed now. */
  private readonly waiting = new Set<MoneyLeg>();
  /** No waiting leg is due (processingMs) before this instant. */
  private earliestDueMs = Number.POSITIVE_INFINITY;
  /** Bank funding sources removed by a return (R03). */
  readonly removed = new Set<string>();

  constructor(
    private readonly processingMs: number | undefined,
    private readonly effects: SettlementEffects,
  ) {}

  /** A leg may be processed from `atMs`: at once when no bank is involved, else it waits. */
  becomeEligible(leg: MoneyLeg, atMs: number): void {
    leg.eligibleMs = atMs;
    if (bankSidesOf(leg).length === 0) {
      this.settle(leg, atMs);
      return;
    }
    this.waiting.add(leg);
    if (this.processingMs !== undefined) {
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
      let next: MoneyLeg | undefined;
      let nextDue = Number.POSITIVE_INFINITY;
      for (const leg of this.waiting) {
        const due = (leg.eligibleMs ?? 0) + processingMs;
        if (due < nextDue || (due === nextDue && next !== undefined && leg.seq < next.seq)) {
          next = leg;
          nextDue = due;
        }
      }
      this.earliestDueMs = nextDue;
      if (!next || nextDue > nowMs) {
        return;
      }
      this.settle(next, nextDue);
    }
  }

  /** One sandbox simulation at `nowMs`: the number of legs it processed or failed. */
  simulate(nowMs: number): number {
    this.catchUp(nowMs);
    const batch = [...this.waiting].sort((a, b) => b.seq - a.seq).slice(0, MAX_LEGS_PER_SIMULATION);
    for (const leg of batch) {
      this.settle(leg, nowMs);
    }
    return batch.length;
  }

  /** Processes the leg, or fails it when it meets a return. */
  settle(leg: MoneyLeg, atMs: number): void {
    const failure = returnOf(leg);
    if (failure) {
      this.fail(leg, failure, atMs);
    } else {
      this.process(leg, atMs);
    }
  }

  /** Cancels the created transfer with its leg 2 and fees; a balance source gets its amount back. */
  cancel(t: StoredTransfer, atMs: number): void {
    this.end(t, 'cancelled');
    if (t.funded) {
      this.end(t.funded, 'cancelled');
    }
    this.endFees(t.feeTransfers, 'cancelled');
    this.refundSource(t, atMs);
  }

  private process(leg: MoneyLeg, atMs: number): void {
    this.end(leg, 'processed');
    // A leg reaching a balance credits it (bank to the account's balance, balance to balance).
    // Leg 1 of a chain credits nothing: leg 2 takes the amount from the balance at once.
    if (leg.destination.type === 'balance' && !(leg.kind === 'created' && leg.funded)) {
      this.effects.credit(leg.destination.id, leg.amountCents, atMs);
    }
    if (leg.kind === 'created' && leg.funded) {
      this.becomeEligible(leg.funded, atMs);
      return;
    }
    const t = leg.kind === 'created' ? leg : leg.origin;
    // Fees are processed, failed or cancelled with the leg that reaches the payee (leg 2 of a chain,
    // else the single leg); a processed fee's amount lands in the account's balance. The charged
    // customer's side is not modelled (the simulator keeps no customer money but the second balance).
    for (const fee of this.endFees(t.feeTransfers, 'processed')) {
      this.effects.credit(SIMULATOR.defaultSourceId, fee.amountCents, atMs);
    }
  }

  private fail(leg: MoneyLeg, failure: LegFailure, atMs: number): void {
    this.end(leg, 'failed');
    leg.failure = failure;
    if (removesBank(failure.code)) {
      this.removed.add(failure.fundingSource.id);
    }
    if (leg.kind === 'created' && leg.funded) {
      // Leg 1 failed: nothing reached the balance, leg 2 and the fees are cancelled.
      this.end(leg.funded, 'cancelled');
      this.endFees(leg.feeTransfers, 'cancelled');
      return;
    }
    const t = leg.kind === 'created' ? leg : leg.origin;
    for (const fee of this.endFees(t.feeTransfers, 'failed')) {
      fee.failure = failure;
    }
    if (leg.kind === 'funded') {
      // Leg 1 had brought the amount into the balance; leg 2's return leaves it there.
      this.effects.credit(leg.source.id, leg.amountCents, atMs);
    } else {
      this.refundSource(leg, atMs);
    }
  }

  private refundSource(t: StoredTransfer, atMs: number): void {
    if (t.source.type === 'balance') {
      this.effects.credit(t.source.id, t.amountCents, atMs);
    }
  }

  private end(leg: MoneyLeg, status: 'processed' | 'failed' | 'cancelled'): void {
    leg.status = status;
    this.waiting.delete(leg);
  }

  /** Ends the fees still pending; returns those it ended. */
  private endFees(fees: FeeLeg[], status: 'processed' | 'failed' | 'cancelled'): FeeLeg[] {
    const pending = fees.filter((f) => f.status === 'pending');
    for (const fee of pending) {
      fee.status = status;
    }
    return pending;
  }
}
