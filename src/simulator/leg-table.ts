/**
 * Where the simulator keeps its transfers (legs.ts says what they are), column by column rather
 * than one object each: every leg by its row (creation order), and every transfer POST /transfers
 * created by its number `tx` (creation order among them), with what its request carried. The legs
 * of one transfer are adjacent rows: the created transfer, its leg 2 (a chain), then its fee
 * transfers in the order of its fees. Ids, Idempotency-Keys and correlationIds that are canonical
 * UUIDs take 16 bytes; amounts are float64 cents while exact (columns.ts).
 */
import { randomUUID } from 'node:crypto';
import type { TransferClearing, TransferStatus } from '../dwolla/types.js';
import { AmountColumn, Column, TextColumn, UuidColumn } from './columns.js';
import type { AchReturnCode } from './returns.js';
import type { ValidTransfer } from './validate-transfer.js';

export type LegKind = 'created' | 'funded' | 'fee';

/** An end of the created transfer: its source or its destination funding source. */
export type Side = 'source' | 'destination';

/** Why a leg failed, as kept: the return code and the end of the transfer it struck. */
export interface StoredFailure {
  code: AchReturnCode;
  side: Side;
}

/** What a created transfer keeps besides its request. */
export interface CreatedFacts {
  createdMs: number;
  /** Until when Dwolla allows a cancel (business-days.ts). */
  cancelDeadlineMs: number;
  idempotencyKey: string | undefined;
  /** Whether it is a chain: leg 1, then a leg 2 from the account's balance (legs.ts isChain). */
  chain: boolean;
}

const KINDS: readonly LegKind[] = ['created', 'funded', 'fee'];
const STATUSES: readonly TransferStatus[] = ['pending', 'processed', 'failed', 'cancelled'];
/** A code's index; 0 is none. */
const CODES: readonly (AchReturnCode | undefined)[] = [undefined, 'R01', 'R02', 'R03'];
/** Added to a failure's code index when it struck the destination. */
const DESTINATION_STRUCK = 4;

/** The rarer parts of a request, kept as one JSON text when a transfer has any: metadata, addenda, each fee's charge-to customer. */
interface Extras {
  m?: Record<string, string>;
  s?: string;
  d?: string;
  f?: string[];
}

/** What a created transfer's request carried besides its ends, amount, ids and clearing. */
export interface RequestExtras {
  metadata: Record<string, string> | undefined;
  addenda: { source?: string; destination?: string };
  /** The customer each fee is charged to, in the order of the fees. */
  chargeTo: string[];
}

/** `clearing` in a byte: bits 0-1 the source's (1 standard, 2 next-available), bit 2 the destination's next-available, bit 3 present. */
function packClearing(c: TransferClearing | undefined): number {
  if (c === undefined) {
    return 0;
  }
  const source = c.source === 'standard' ? 1 : c.source === 'next-available' ? 2 : 0;
  return 8 | source | (c.destination === 'next-available' ? 4 : 0);
}

function unpackClearing(bits: number): TransferClearing | undefined {
  if ((bits & 8) === 0) {
    return undefined;
  }
  const clearing: TransferClearing = {};
  if ((bits & 3) !== 0) {
    clearing.source = (bits & 3) === 1 ? 'standard' : 'next-available';
  }
  if ((bits & 4) !== 0) {
    clearing.destination = 'next-available';
  }
  return clearing;
}

function extrasOf(valid: ValidTransfer): string | undefined {
  const extras: Extras = {};
  if (valid.metadata !== undefined) {
    extras.m = valid.metadata;
  }
  if (valid.addenda.source !== undefined) {
    extras.s = valid.addenda.source;
  }
  if (valid.addenda.destination !== undefined) {
    extras.d = valid.addenda.destination;
  }
  if (valid.fees.length > 0) {
    extras.f = valid.fees.map((fee) => fee.chargeTo);
  }
  return Object.keys(extras).length > 0 ? JSON.stringify(extras) : undefined;
}

export class LegTable {
  legCount = 0;
  transferCount = 0;
  // Per leg, by row. ids, keys and correlationIds are public: the store indexes them.
  readonly ids = new UuidColumn();
  private readonly kinds = Column.u8();
  private readonly statuses = Column.u8();
  private readonly amounts = new AmountColumn();
  private readonly transfers = Column.i32();
  private readonly staged = Column.u8();
  private readonly failures = Column.u8();
  // Per created transfer, by tx.
  private readonly firstRows = Column.i32();
  private readonly createdAt = Column.f64();
  private readonly deadlines = Column.f64();
  private readonly sources = new UuidColumn();
  private readonly destinations = new UuidColumn();
  private readonly clearings = Column.u8();
  readonly keys = new TextColumn();
  readonly correlationIds = new TextColumn();
  private readonly extras: Array<string | undefined> = [];

  /** Keeps a valid transfer with its leg 2 and fee transfers, all pending; its tx. */
  add(valid: ValidTransfer, facts: CreatedFacts): number {
    const tx = this.transferCount;
    this.transferCount += 1;
    this.firstRows.set(tx, this.legCount);
    this.createdAt.set(tx, facts.createdMs);
    this.deadlines.set(tx, facts.cancelDeadlineMs);
    // Funding-source ids are canonical: findFundingSource lower-cases them.
    this.sources.set(tx, valid.source.id);
    this.destinations.set(tx, valid.destination.id);
    this.clearings.set(tx, packClearing(valid.clearing));
    this.keys.set(tx, facts.idempotencyKey);
    this.correlationIds.set(tx, valid.correlationId);
    this.extras[tx] = extrasOf(valid);
    this.addLeg('created', tx, valid.amountCents);
    if (facts.chain) {
      this.addLeg('funded', tx, valid.amountCents);
    }
    for (const fee of valid.fees) {
      this.addLeg('fee', tx, fee.amountCents);
    }
    return tx;
  }

  private addLeg(kind: LegKind, tx: number, amountCents: bigint): void {
    const row = this.legCount;
    this.legCount += 1;
    this.ids.set(row, randomUUID());
    this.kinds.set(row, KINDS.indexOf(kind));
    this.statuses.set(row, STATUSES.indexOf('pending'));
    this.amounts.set(row, amountCents);
    this.transfers.set(row, tx);
  }

  // Legs, by row.

  id(row: number): string {
    return this.ids.get(row);
  }

  kind(row: number): LegKind {
    return KINDS[this.kinds.get(row)] ?? 'created';
  }

  status(row: number): TransferStatus {
    return STATUSES[this.statuses.get(row)] ?? 'pending';
  }

  setStatus(row: number, status: TransferStatus): void {
    this.statuses.set(row, STATUSES.indexOf(status));
  }

  amountCents(row: number): bigint {
    return this.amounts.get(row);
  }

  /** The tx of the transfer the leg belongs to. */
  transferOf(row: number): number {
    return this.transfers.get(row);
  }

  stagedReturn(row: number): AchReturnCode | undefined {
    return CODES[this.staged.get(row)];
  }

  setStagedReturn(row: number, code: AchReturnCode): void {
    this.staged.set(row, CODES.indexOf(code));
  }

  failure(row: number): StoredFailure | undefined {
    const bits = this.failures.get(row);
    const code = CODES[bits % DESTINATION_STRUCK];
    return code && { code, side: bits >= DESTINATION_STRUCK ? 'destination' : 'source' };
  }

  setFailure(row: number, failure: StoredFailure): void {
    const struck = failure.side === 'destination' ? DESTINATION_STRUCK : 0;
    this.failures.set(row, CODES.indexOf(failure.code) + struck);
  }

  /** The customer a fee transfer charges. */
  chargeTo(feeRow: number): string {
    const tx = this.transferOf(feeRow);
    const first = this.feeRows(tx)[0] ?? feeRow;
    return this.extrasOf(tx).f?.[feeRow - first] ?? '';
  }

  // Created transfers, by tx.

  /** The row of the created transfer itself. */
  row(tx: number): number {
    return this.firstRows.get(tx);
  }

  /** The row of leg 2, for a chain. */
  fundedRow(tx: number): number | undefined {
    const next = this.row(tx) + 1;
    return next < this.endRow(tx) && this.kind(next) === 'funded' ? next : undefined;
  }

  /** The rows of its fee transfers, in the order of its fees. */
  feeRows(tx: number): number[] {
    const rows: number[] = [];
    for (let row = this.row(tx) + 1; row < this.endRow(tx); row += 1) {
      if (this.kind(row) === 'fee') {
        rows.push(row);
      }
    }
    return rows;
  }

  /** The row after its last leg. */
  private endRow(tx: number): number {
    return tx + 1 < this.transferCount ? this.row(tx + 1) : this.legCount;
  }

  createdMs(tx: number): number {
    return this.createdAt.get(tx);
  }

  cancelDeadlineMs(tx: number): number {
    return this.deadlines.get(tx);
  }

  /** The funding-source id at that end. */
  end(tx: number, side: Side): string {
    return side === 'source' ? this.sources.get(tx) : this.destinations.get(tx);
  }

  clearing(tx: number): TransferClearing | undefined {
    return unpackClearing(this.clearings.get(tx));
  }

  idempotencyKey(tx: number): string | undefined {
    return this.keys.get(tx);
  }

  correlationId(tx: number): string | undefined {
    return this.correlationIds.get(tx);
  }

  /** What the request carried besides its ends, amount, ids and clearing. */
  requested(tx: number): RequestExtras {
    const { m, s, d, f = [] } = this.extrasOf(tx);
    const addenda = { ...(s !== undefined ? { source: s } : {}), ...(d !== undefined ? { destination: d } : {}) };
    return { metadata: m, addenda, chargeTo: f };
  }

  private extrasOf(tx: number): Extras {
    const text = this.extras[tx];
    return text === undefined ? {} : (JSON.parse(text) as Extras);
  }
}
