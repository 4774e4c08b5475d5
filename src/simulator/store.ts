/**
 * The transfers the simulator holds: created, read, listed, cancelled and settled. They are kept
 * compactly (leg-table.ts), found by id, Idempotency-Key or correlationId through RowIndexes, and
 * read back as snapshots (legs.ts viewOf) for rendering.
 */
import { cancelDeadlineMs } from './business-days.js';
import { Column } from './columns.js';
import type { Owner } from './funding-sources.js';
import { LegTable } from './leg-table.js';
import { bankSidesOf, isChain, type Leg, partiesOfRow, viewOf } from './legs.js';
import type { AchReturnCode } from './returns.js';
import { RowIndex } from './row-index.js';
import { Settlement, type SettlementEffects } from './settlement.js';
import type { ValidTransfer } from './validate-transfer.js';

export interface TransferQuery {
  /** Whose transfers: those with this party at either end. */
  involves: (party: Owner) => boolean;
  correlationId?: string;
  status?: string;
  /** Created at or after this instant. */
  createdFromMs?: number;
  /** Created before this instant. */
  createdBeforeMs?: number;
  minCents?: bigint;
  maxCents?: bigint;
}

/** Which leg of a created transfer a staged return strikes: `funding` = the created transfer (leg 1 or the single leg), `funded` = leg 2. */
export type ReturnSide = 'funding' | 'funded';

export type StageReturnRefusal = 'unknown-transfer' | 'no-funded-leg' | 'no-bank' | 'not-pending';

/** A return that could not be staged, with why. */
export class StageReturnError extends Error {
  constructor(
    readonly reason: StageReturnRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'StageReturnError';
  }
}

export class TransferStore {
  private readonly legs = new LegTable();
  /** Every leg by id. */
  private readonly byId = new RowIndex(this.legs.ids);
  /** The latest created transfer (tx) with an Idempotency-Key. */
  private readonly byKey = new RowIndex(this.legs.keys);
  /** The latest created transfer (tx) with a correlationId. */
  private readonly byCorrelationId = new RowIndex(this.legs.correlationIds);
  /** Per tx: the tx + 1 of the previous transfer with the same correlationId; 0 for none. */
  private readonly earlierWithCorrelationId = Column.i32();
  private readonly settlement: Settlement;
  duplicatesByCorrelationId = 0;

  /** `processingMs`: undefined = legs settle only by simulate(). */
  constructor(processingMs: number | undefined, effects: SettlementEffects) {
    this.settlement = new Settlement(this.legs, processingMs, effects);
  }

  /** Creates the transfer, with its leg 2 (a bank source) and its fee transfers, all pending; its id. */
  create(valid: ValidTransfer, createdMs: number, idempotencyKey: string | undefined): string {
    const tx = this.legs.add(valid, {
      createdMs,
      cancelDeadlineMs: cancelDeadlineMs(createdMs),
      idempotencyKey,
      chain: isChain(valid),
    });
    const row = this.legs.row(tx);
    for (let leg = row; leg < this.legs.legCount; leg += 1) {
      this.byId.set(this.legs.id(leg), leg);
    }
    if (idempotencyKey !== undefined) {
      this.byKey.set(idempotencyKey, tx);
    }
    this.indexCorrelationId(tx, valid.correlationId);
    this.settlement.becomeEligible(row, createdMs);
    return this.legs.id(row);
  }

  private indexCorrelationId(tx: number, correlationId: string | undefined): void {
    if (correlationId === undefined) {
      return;
    }
    const earlier = this.byCorrelationId.find(correlationId);
    if (earlier !== undefined) {
      this.duplicatesByCorrelationId += 1;
      this.earlierWithCorrelationId.set(tx, earlier + 1);
    }
    this.byCorrelationId.set(correlationId, tx);
  }

  /** The row of any transfer (a created one, a leg 2 or a fee transfer) by id. */
  find(id: string): number | undefined {
    return this.byId.find(id.toLowerCase());
  }

  /** The leg at `row` as it is now: call sync() first for a current status. */
  view(row: number): Leg {
    return viewOf(this.legs, row);
  }

  /** How many transfers POST /transfers created. */
  get createdCount(): number {
    return this.legs.transferCount;
  }

  /** The rows of the transfers POST /transfers created, in creation order. */
  *createdRows(): Generator<number> {
    for (let tx = 0; tx < this.legs.transferCount; tx += 1) {
      yield this.legs.row(tx);
    }
  }

  /** The latest transfer created with this Idempotency-Key: its id and when. */
  createdWithKey(key: string): { id: string; createdMs: number } | undefined {
    const tx = this.byKey.find(key);
    return tx === undefined ? undefined : { id: this.legs.id(this.legs.row(tx)), createdMs: this.legs.createdMs(tx) };
  }

  /** Brings every status up to `nowMs` (processingMs settlement). */
  sync(nowMs: number): void {
    this.settlement.catchUp(nowMs);
  }

  /** Dwolla's cancel window: only a created transfer, while pending and before its deadline. */
  cancellable(row: number, nowMs: number): boolean {
    this.sync(nowMs);
    const tx = this.legs.transferOf(row);
    return (
      this.legs.kind(row) === 'created' && this.legs.status(row) === 'pending' && nowMs < this.legs.cancelDeadlineMs(tx)
    );
  }

  /** Cancels the transfer with its leg 2 and fees; false when Dwolla would not allow it. */
  cancel(row: number, nowMs: number): boolean {
    if (!this.cancellable(row, nowMs)) {
      return false;
    }
    this.settlement.cancel(this.legs.transferOf(row), nowMs);
    return true;
  }

  /** One `POST /sandbox-simulations`: how many legs it processed or failed. */
  simulate(nowMs: number): number {
    return this.settlement.simulate(nowMs);
  }

  /** Stages an ACH return on one leg of a created transfer; its leg's id. Throws StageReturnError when it cannot. */
  stageReturn(transferId: string, side: ReturnSide, code: AchReturnCode, nowMs: number): string {
    this.sync(nowMs);
    const row = this.find(transferId);
    if (row === undefined || this.legs.kind(row) !== 'created') {
      throw new StageReturnError('unknown-transfer', `no transfer created by POST /transfers has id ${transferId}`);
    }
    const id = this.legs.id(row);
    const leg = side === 'funding' ? row : this.legs.fundedRow(this.legs.transferOf(row));
    if (leg === undefined) {
      throw new StageReturnError(
        'no-funded-leg',
        `transfer ${id} is a single leg (its source is a balance): stage on "funding"`,
      );
    }
    if (bankSidesOf(this.legs, leg).length === 0) {
      throw new StageReturnError('no-bank', `the ${side} leg of ${id} involves no bank: no ACH return can strike it`);
    }
    if (this.legs.status(leg) !== 'pending') {
      throw new StageReturnError('not-pending', `the ${side} leg of ${id} is already ${this.legs.status(leg)}`);
    }
    this.legs.setStagedReturn(leg, code);
    return this.legs.id(leg);
  }

  /** Dwolla removes a bank once an R03 return on it has failed a transfer. */
  removedByReturn(fundingSourceId: string, nowMs: number): boolean {
    this.sync(nowMs);
    return this.settlement.removed.has(fundingSourceId);
  }

  /** The rows of the matching transfers (created ones, legs 2 and fees), newest first (as Dwolla lists them). */
  search(q: TransferQuery, nowMs: number): number[] {
    this.sync(nowMs);
    const found: number[] = [];
    const candidates = q.correlationId === undefined ? this.newestFirst() : this.withCorrelationId(q.correlationId);
    for (const row of candidates) {
      if (this.matches(row, q)) {
        found.push(row);
      }
    }
    return found;
  }

  private *newestFirst(): Generator<number> {
    for (let row = this.legs.legCount - 1; row >= 0; row -= 1) {
      yield row;
    }
  }

  /** The created transfers with this correlationId (only they carry one), newest first. */
  private *withCorrelationId(correlationId: string): Generator<number> {
    for (let tx = this.byCorrelationId.find(correlationId); tx !== undefined; ) {
      yield this.legs.row(tx);
      const earlier = this.earlierWithCorrelationId.get(tx);
      tx = earlier === 0 ? undefined : earlier - 1;
    }
  }

  /** The query's filters but the correlationId's (the candidates have it). */
  private matches(row: number, q: TransferQuery): boolean {
    const createdMs = this.legs.createdMs(this.legs.transferOf(row));
    const amountFilter = q.minCents !== undefined || q.maxCents !== undefined;
    const cents = amountFilter ? this.legs.amountCents(row) : 0n;
    if (
      (q.status !== undefined && this.legs.status(row) !== q.status) ||
      (q.createdFromMs !== undefined && createdMs < q.createdFromMs) ||
      (q.createdBeforeMs !== undefined && createdMs >= q.createdBeforeMs) ||
      (q.minCents !== undefined && cents < q.minCents) ||
      (q.maxCents !== undefined && cents > q.maxCents)
    ) {
      return false;
    }
    const parties = partiesOfRow(this.legs, row);
    return q.involves(parties.source) || q.involves(parties.destination);
  }
}
