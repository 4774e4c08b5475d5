/**
 * The items of every mass payment, column by column (columns.ts), so that tens of thousands cost a
 * few dozen bytes each: the items of one mass payment are adjacent rows, in the request's order.
 * A destination that is a funding-source URL is kept as its UUID (16 bytes); any other text (a
 * customer URL, an email: destinations Dwolla takes but the simulator does not model) is kept aside.
 * The rarer parts (metadata, addenda) are one JSON text per item that has any, and a failed item's
 * errors one JSON text.
 */
import { randomUUID } from 'node:crypto';
import type { EmbeddedError, MassPaymentItemStatus } from '../dwolla/types.js';
import { AmountColumn, Column, TextColumn, UuidColumn } from './columns.js';
import { fundingSourceIdOfHref } from './funding-sources.js';
import type { ValidItem } from './validate-mass-payment.js';

const STATUSES: readonly MassPaymentItemStatus[] = ['pending', 'success', 'failed'];
/** Flag bits of an item. */
const SAME_DAY = 1;
const OTHER_DESTINATION = 2;

/** An item's rarer parts, as kept: metadata and the destination's addenda. */
interface Extras {
  m?: Record<string, string>;
  a?: string;
}

/** Where an item sends its money: a funding source's id, or the destination's text as given. */
export type ItemDestination = { fundingSourceId: string } | { href: string };

export class ItemTable {
  count = 0;
  /** Public: the store indexes them. */
  readonly ids = new UuidColumn();
  private readonly massPayments = Column.i32();
  private readonly destinations = new UuidColumn();
  private readonly otherDestinations = new Map<number, string>();
  private readonly amounts = new AmountColumn();
  private readonly statuses = Column.u8();
  private readonly flags = Column.u8();
  private readonly transfers = new UuidColumn();
  private readonly correlationIds = new TextColumn();
  private readonly extras: Array<string | undefined> = [];
  private readonly errors = new Map<number, string>();

  /** Keeps a pending item of mass payment number `massPayment`; its row. */
  add(massPayment: number, item: ValidItem): number {
    const row = this.count;
    this.count += 1;
    this.ids.set(row, randomUUID());
    this.massPayments.set(row, massPayment);
    const fundingSourceId = fundingSourceIdOfHref(item.destinationHref);
    if (fundingSourceId === undefined) {
      this.otherDestinations.set(row, item.destinationHref);
    } else {
      this.destinations.set(row, fundingSourceId);
    }
    this.amounts.set(row, item.amountCents);
    this.flags.set(row, (item.sameDay ? SAME_DAY : 0) | (fundingSourceId === undefined ? OTHER_DESTINATION : 0));
    this.correlationIds.set(row, item.correlationId);
    const extras: Extras = {
      ...(item.metadata !== undefined ? { m: item.metadata } : {}),
      ...(item.addenda !== undefined ? { a: item.addenda } : {}),
    };
    this.extras[row] = Object.keys(extras).length > 0 ? JSON.stringify(extras) : undefined;
    return row;
  }

  id(row: number): string {
    return this.ids.get(row);
  }

  /** The number of the mass payment the item belongs to. */
  massPaymentOf(row: number): number {
    return this.massPayments.get(row);
  }

  destination(row: number): ItemDestination {
    const other = (this.flags.get(row) & OTHER_DESTINATION) !== 0;
    return other ? { href: this.otherDestinations.get(row) ?? '' } : { fundingSourceId: this.destinations.get(row) };
  }

  amountCents(row: number): bigint {
    return this.amounts.get(row);
  }

  status(row: number): MassPaymentItemStatus {
    return STATUSES[this.statuses.get(row)] ?? 'pending';
  }

  sameDay(row: number): boolean {
    return (this.flags.get(row) & SAME_DAY) !== 0;
  }

  correlationId(row: number): string | undefined {
    return this.correlationIds.get(row);
  }

  metadata(row: number): Record<string, string> | undefined {
    return this.extrasOf(row).m;
  }

  addenda(row: number): string | undefined {
    return this.extrasOf(row).a;
  }

  /** The transfer a `success` item created. */
  transferId(row: number): string | undefined {
    return this.status(row) === 'success' ? this.transfers.get(row) : undefined;
  }

  /** Why a `failed` item failed. */
  failure(row: number): EmbeddedError[] | undefined {
    const text = this.errors.get(row);
    return text === undefined ? undefined : (JSON.parse(text) as EmbeddedError[]);
  }

  succeed(row: number, transferId: string): void {
    this.statuses.set(row, STATUSES.indexOf('success'));
    this.transfers.set(row, transferId);
  }

  fail(row: number, errors: EmbeddedError[]): void {
    this.statuses.set(row, STATUSES.indexOf('failed'));
    this.errors.set(row, JSON.stringify(errors));
  }

  private extrasOf(row: number): Extras {
    const text = this.extras[row];
    return text === undefined ? {} : (JSON.parse(text) as Extras);
  }
}
