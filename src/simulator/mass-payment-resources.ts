/** HAL representations of mass payments and their items (OpenAPI MassPayment, MassPaymentItem; Dwolla's mass payment docs). */
import type { MassPayment, MassPaymentItem } from '../dwolla/types.js';
import type { MassPaymentRecord, MassPaymentStore } from './mass-payments.js';
import { formatCents } from './money.js';
import { link } from './resources.js';

export function massPaymentUrl(base: string, id: string): string {
  return `${base}/mass-payments/${id}`;
}

/**
 * OpenAPI getMassPayment (the docs' "Mass payments resource"): links `self`, `source`, `items`;
 * `total` the sum of the items, `totalFees` 0.00 (a mass payment carries no facilitator fees);
 * `metadata` and `correlationId` as the request gave them.
 */
export function renderMassPayment(base: string, r: MassPaymentRecord): MassPayment {
  const self = massPaymentUrl(base, r.id);
  return {
    _links: {
      self: link(self, 'mass-payment'),
      source: link(`${base}/funding-sources/${r.source.id}`, 'funding-source'),
      items: link(`${self}/items`, 'mass-payment-item'),
    },
    id: r.id,
    status: r.status,
    created: new Date(r.createdMs).toISOString(),
    ...(r.metadata !== undefined ? { metadata: { ...r.metadata } } : {}),
    total: { value: formatCents(r.totalCents), currency: 'USD' },
    totalFees: { value: '0.00', currency: 'USD' },
    ...(r.correlationId !== undefined ? { correlationId: r.correlationId } : {}),
  };
}

/**
 * OpenAPI getMassPaymentItem (the docs' "List items for a mass payment"): links `self`,
 * `mass-payment`, `destination`, and `transfer` once it succeeded; a failed item embeds its
 * `errors` (code, message, path).
 */
export function renderItem(base: string, store: MassPaymentStore, row: number): MassPaymentItem {
  const items = store.items;
  const destination = items.destination(row);
  const transferId = items.transferId(row);
  const errors = items.failure(row);
  const metadata = items.metadata(row);
  const correlationId = items.correlationId(row);
  return {
    _links: {
      self: link(`${base}/mass-payment-items/${items.id(row)}`, 'mass-payment-item'),
      'mass-payment': link(massPaymentUrl(base, store.recordOfItem(row).id), 'mass-payment'),
      destination:
        'href' in destination
          ? { href: destination.href }
          : link(`${base}/funding-sources/${destination.fundingSourceId}`, 'funding-source'),
      ...(transferId !== undefined ? { transfer: link(`${base}/transfers/${transferId}`, 'transfer') } : {}),
    },
    ...(errors !== undefined ? { _embedded: { errors } } : {}),
    id: items.id(row),
    status: items.status(row),
    amount: { value: formatCents(items.amountCents(row)), currency: 'USD' },
    ...(metadata !== undefined ? { metadata } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
  };
}

/** A mass payment as the admin API and `SimulatorHandle.massPayments()` show it: Dwolla's resource plus what only the simulator sees. */
export interface SimulatorMassPayment extends MassPayment {
  idempotencyKey?: string;
  itemCount: number;
}

export function renderMassPaymentForAdmin(base: string, r: MassPaymentRecord): SimulatorMassPayment {
  return {
    ...renderMassPayment(base, r),
    ...(r.idempotencyKey !== undefined ? { idempotencyKey: r.idempotencyKey } : {}),
    itemCount: r.itemCount,
  };
}
