/**
 * The body of `POST /mass-payments` (OpenAPI initiateMassPayment) for rows from one source. Pure:
 * the payments, each with its clearing decided at send time, in; Dwolla's request shape out.
 *
 * What an item carries (OpenAPI `items[]`): its destination, amount, metadata, correlationId,
 * `clearing.destination` and `achDetails.destination` addenda. What it cannot: a facilitator fee
 * (no `fees`), a source of its own, and source addenda or source clearing, which the mass payment
 * has once for all its items. Rows needing those go as single transfers (`massPaymentMisfit`).
 */
import { formatCents } from '../input/money.js';
import type { Payment } from '../input/validation.js';
import type { ResourceUrls } from './transfer-request.js';
import type { CreateMassPaymentRequest, FundingSourceType, MassPaymentItemRequest } from './types.js';

/** One row of a mass payment: its payment, correlationId and the clearing decided for it. */
export interface MassPaymentRow {
  payment: Payment;
  correlationId: string;
  clearing: 'same-day' | 'standard';
}

/** Why the payment cannot be an item of a mass payment (it goes as a transfer); undefined when it can. */
export function massPaymentMisfit(payment: Payment): string | undefined {
  if (payment.fee) {
    return 'a mass payment item cannot carry a facilitator fee';
  }
  if (payment.sourceAddenda) {
    return 'a mass payment has one source addenda for all its items';
  }
  return undefined;
}

function itemOf(row: MassPaymentRow, urls: ResourceUrls): MassPaymentItemRequest {
  const { payment } = row;
  const item: MassPaymentItemRequest = {
    _links: { destination: { href: urls.fundingSourceUrl(payment.destinationId) } },
    amount: { value: formatCents(payment.amountCents), currency: payment.currency },
    correlationId: row.correlationId,
  };
  if (payment.metadata.length) {
    item.metadata = Object.fromEntries(payment.metadata);
  }
  if (row.clearing === 'same-day') {
    item.clearing = { destination: 'next-available' };
  }
  if (payment.destinationAddenda) {
    item.achDetails = { destination: { addenda: { values: [payment.destinationAddenda] } } };
  }
  return item;
}

export function massPaymentRequest(
  chunk: { sourceId: string; sourceType: FundingSourceType; correlationId: string; deferred: boolean },
  rows: readonly MassPaymentRow[],
  urls: ResourceUrls,
): CreateMassPaymentRequest {
  const body: CreateMassPaymentRequest = {
    _links: { source: { href: urls.fundingSourceUrl(chunk.sourceId) } },
    items: rows.map((r) => itemOf(r, urls)),
    correlationId: chunk.correlationId,
  };
  // A bank source is debited next-available when any item goes Same Day (a balance has no ACH debit).
  if (chunk.sourceType === 'bank' && rows.some((r) => r.clearing === 'same-day')) {
    body.clearing = { source: 'next-available' };
  }
  if (chunk.deferred) {
    body.status = 'deferred';
  }
  return body;
}
