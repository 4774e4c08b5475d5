/**
 * The mass payments the simulator holds (OpenAPI initiateMassPayment, getMassPayment,
 * updateMassPayment; Dwolla's mass payment docs), and how they move on:
 *
 * - created `pending`, or `deferred` when the request asked; a deferred one waits for
 *   `POST /mass-payments/{id}` `{"status":"pending"}` (released) or `{"status":"cancelled"}`;
 * - `pending` → `processing` → `complete` ("All mass payments will have a status of pending upon
 *   creation and will move to processing and finally complete as the service runs"): each step
 *   comes by itself `stepMs` of simulated time after the previous one (Dwolla processes them
 *   "asynchronously upon submission"), or at once on `POST /sandbox-simulations`, which moves every
 *   pending or processing one a step;
 * - at `complete`, every item is processed in the request's order, as `POST /transfers` would take
 *   it (validate-transfer.ts): `success` with a new transfer carrying the item's correlationId and
 *   metadata (its status then moves as any transfer's, settlement.ts), or `failed` with the errors
 *   that refused it, as the docs' "Mass payment item failures" list them ("Receiver not found.",
 *   "Receiver cannot be the owner of the source funding source.", "Insufficient funds." …).
 *
 * Money: a balance source gives each item's amount when its transfer is created, so a mass payment
 * takes its total from the balance as it is processed; an item the balance cannot cover fails with
 * `InsufficientFunds` (docs: "The source funding source has insufficient funds, and as a result
 * failed to create a transfer"). A deferred or cancelled one has taken nothing.
 *
 * Simplification: a bank source is debited per item (each item's transfer is a chain, as from
 * `POST /transfers`), where Dwolla debits the bank once for the whole mass payment.
 */
import { randomUUID } from 'node:crypto';
import type {
  CreateTransferRequest,
  EmbeddedError,
  MassPaymentItemStatus,
  MassPaymentStatus,
  TransferClearing,
} from '../dwolla/types.js';
import type { Owner, SimFundingSource } from './funding-sources.js';
import { ItemTable } from './mass-payment-items.js';
import { formatCents } from './money.js';
import { RowIndex } from './row-index.js';
import type { ValidMassPayment } from './validate-mass-payment.js';
import { type ValidTransfer, validateTransfer } from './validate-transfer.js';

/** What processing an item does outside the store (state.ts wires them). */
export interface MassPaymentEffects {
  /** The funding source with this id, as it is now (removed by a return since, or not). */
  lookup(id: string): SimFundingSource | undefined;
  /** Takes `cents` from a balance; false (and nothing taken) when it holds less. */
  debit(balanceId: string, cents: bigint, atMs: number): boolean;
  /** Creates the item's transfer in the transfer store, as POST /transfers would; its id. */
  createTransfer(valid: ValidTransfer, atMs: number): string;
}

/** A mass payment as kept: its request but the items, which are in the ItemTable. */
export interface MassPaymentRecord extends Omit<ValidMassPayment, 'items' | 'deferred'> {
  readonly id: string;
  status: MassPaymentStatus;
  readonly createdMs: number;
  /** Since when it has its status: the clock moves `pending` and `processing` on `stepMs` later. */
  sinceMs: number;
  readonly idempotencyKey: string | undefined;
  /** Its items are rows firstItem .. firstItem + itemCount - 1. */
  readonly firstItem: number;
  readonly itemCount: number;
  /** The sum of its items' amounts (docs: "total: The sum amount of all items in the mass payment"). */
  readonly totalCents: bigint;
}

export interface MassPaymentQuery {
  /** Whose: those whose source this party owns. */
  involves: (owner: Owner) => boolean;
  correlationId?: string;
}

/** Where an item's error points: Dwolla's item failures name `/items/destination/href` (docs' example). */
function asItemError(e: EmbeddedError): EmbeddedError {
  const path = e.path === '/_links/destination/href' ? '/items/destination/href' : e.path;
  return { code: e.code, message: e.message, path, _links: {} };
}

export class MassPaymentStore {
  readonly items = new ItemTable();
  private readonly records: MassPaymentRecord[] = [];
  private readonly byId = new Map<string, MassPaymentRecord>();
  /** The latest mass payment created with each Idempotency-Key. */
  private readonly byKey = new Map<string, MassPaymentRecord>();
  /** `pending` and `processing` ones: what time and simulations move on. */
  private readonly active = new Set<MassPaymentRecord>();
  private readonly itemsById = new RowIndex(this.items.ids);

  constructor(
    private readonly stepMs: number,
    private readonly effects: MassPaymentEffects,
  ) {}

  /** Keeps a valid mass payment with its items, all pending; `pending` or `deferred`. */
  create(valid: ValidMassPayment, createdMs: number, idempotencyKey: string | undefined): MassPaymentRecord {
    const { items, deferred, ...request } = valid;
    const number = this.records.length;
    const firstItem = this.items.count;
    let totalCents = 0n;
    for (const item of items) {
      const row = this.items.add(number, item);
      this.itemsById.set(this.items.id(row), row);
      totalCents += item.amountCents;
    }
    const record: MassPaymentRecord = {
      ...request,
      id: randomUUID(),
      status: deferred ? 'deferred' : 'pending',
      createdMs,
      sinceMs: createdMs,
      idempotencyKey,
      firstItem,
      itemCount: items.length,
      totalCents,
    };
    this.records.push(record);
    this.byId.set(record.id, record);
    if (idempotencyKey !== undefined) {
      this.byKey.set(idempotencyKey, record);
    }
    if (!deferred) {
      this.active.add(record);
    }
    return record;
  }

  /** Every mass payment, in creation order. */
  all(): readonly MassPaymentRecord[] {
    return this.records;
  }

  find(id: string): MassPaymentRecord | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** The latest mass payment created with this Idempotency-Key: its id and when (idempotency.ts). */
  createdWithKey(key: string): { id: string; createdMs: number } | undefined {
    const record = this.byKey.get(key);
    return record && { id: record.id, createdMs: record.createdMs };
  }

  /** The row of an item by id. */
  findItem(id: string): number | undefined {
    return this.itemsById.find(id.toLowerCase());
  }

  /** The mass payment an item belongs to. */
  recordOfItem(row: number): MassPaymentRecord {
    const record = this.records[this.items.massPaymentOf(row)];
    if (!record) {
      throw new Error(`item row ${row} belongs to no mass payment`);
    }
    return record;
  }

  /** The rows of its items, in the request's order; only those with one of `statuses` when given. */
  itemRows(record: MassPaymentRecord, statuses?: ReadonlySet<MassPaymentItemStatus>): number[] {
    const rows: number[] = [];
    for (let row = record.firstItem; row < record.firstItem + record.itemCount; row += 1) {
      if (!statuses || statuses.has(this.items.status(row))) {
        rows.push(row);
      }
    }
    return rows;
  }

  /** The matching mass payments, newest first (OpenAPI listMassPayments: "sorted by creation date in descending order"). */
  search(q: MassPaymentQuery): MassPaymentRecord[] {
    return this.records
      .filter(
        (r) => q.involves(r.source.owner) && (q.correlationId === undefined || r.correlationId === q.correlationId),
      )
      .reverse();
  }

  /**
   * OpenAPI updateMassPayment: a `deferred` one only ("Only applies to mass payments created with
   * deferred status"), to `pending` (processing starts) or `cancelled`. False when not deferred.
   */
  update(record: MassPaymentRecord, status: 'pending' | 'cancelled', nowMs: number): boolean {
    this.sync(nowMs);
    if (record.status !== 'deferred') {
      return false;
    }
    record.status = status;
    record.sinceMs = nowMs;
    if (status === 'pending') {
      this.active.add(record);
    }
    return true;
  }

  /** Moves on every step due by `nowMs` (stepMs after the last one), each at the instant it fell due, oldest first. */
  sync(nowMs: number): void {
    for (;;) {
      let next: MassPaymentRecord | undefined;
      let nextDue = Number.POSITIVE_INFINITY;
      for (const record of this.active) {
        const due = record.sinceMs + this.stepMs;
        if (due < nextDue) {
          next = record;
          nextDue = due;
        }
      }
      if (next === undefined || nextDue > nowMs) {
        return;
      }
      this.step(next, nextDue);
    }
  }

  /** One `POST /sandbox-simulations`: every pending or processing mass payment moves a step; how many moved. */
  simulate(nowMs: number): number {
    this.sync(nowMs);
    const moving = [...this.active];
    for (const record of moving) {
      this.step(record, nowMs);
    }
    return moving.length;
  }

  private step(record: MassPaymentRecord, atMs: number): void {
    if (record.status === 'pending') {
      record.status = 'processing';
      record.sinceMs = atMs;
      return;
    }
    for (let row = record.firstItem; row < record.firstItem + record.itemCount; row += 1) {
      this.processItem(record, row, atMs);
    }
    record.status = 'complete';
    record.sinceMs = atMs;
    this.active.delete(record);
  }

  /** The item becomes a transfer as POST /transfers would take it, or fails with what would refuse it. */
  private processItem(record: MassPaymentRecord, row: number, atMs: number): void {
    const validation = validateTransfer(this.transferRequestOf(record, row), (id) => this.effects.lookup(id));
    if (!validation.ok) {
      this.items.fail(row, validation.errors.map(asItemError));
      return;
    }
    const transfer = validation.transfer;
    if (transfer.source.type === 'balance' && !this.effects.debit(transfer.source.id, transfer.amountCents, atMs)) {
      this.items.fail(row, [
        asItemError({ code: 'InsufficientFunds', message: 'Insufficient funds.', path: '/_links/source/href' }),
      ]);
      return;
    }
    this.items.succeed(row, this.effects.createTransfer(transfer, atMs));
  }

  /** The transfer an item asks for: the mass payment's source, clearing and addenda with the item's own. */
  private transferRequestOf(record: MassPaymentRecord, row: number): CreateTransferRequest {
    const items = this.items;
    const destination = items.destination(row);
    const destinationHref =
      'href' in destination
        ? destination.href
        : new URL(`/funding-sources/${destination.fundingSourceId}`, record.sourceHref).toString();
    const clearing: TransferClearing = {
      ...(record.clearingSource !== undefined ? { source: record.clearingSource } : {}),
      ...(items.sameDay(row) ? { destination: 'next-available' as const } : {}),
    };
    const addenda = items.addenda(row);
    return {
      _links: { source: { href: record.sourceHref }, destination: { href: destinationHref } },
      amount: { value: formatCents(items.amountCents(row)), currency: 'USD' },
      metadata: items.metadata(row),
      correlationId: items.correlationId(row),
      clearing: Object.keys(clearing).length > 0 ? clearing : undefined,
      achDetails: {
        ...(record.addenda !== undefined ? { source: { addenda: { values: [record.addenda] } } } : {}),
        ...(addenda !== undefined ? { destination: { addenda: { values: [addenda] } } } : {}),
      },
    };
  }
}
