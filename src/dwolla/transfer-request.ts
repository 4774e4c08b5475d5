/**
 * The body of `POST /transfers` for a valid row. Pure: the payment, the clearing decided at send
 * time and the source's type in, Dwolla's request shape out (SPEC "Clearing", "Submission").
 */

import { formatCents } from '../input/money.js';
import type { Payment } from '../input/validation.js';
import type { CreateTransferRequest, FundingSourceType } from './types.js';

export interface ResourceUrls {
  fundingSourceUrl(id: string): string;
  customerUrl(id: string): string;
}

export function transferRequest(
  payment: Payment & { sourceId: string },
  correlationId: string,
  clearing: 'same-day' | 'standard',
  sourceType: FundingSourceType,
  urls: ResourceUrls,
): CreateTransferRequest {
  const body: CreateTransferRequest = {
    _links: {
      source: { href: urls.fundingSourceUrl(payment.sourceId) },
      destination: { href: urls.fundingSourceUrl(payment.destinationId) },
    },
    amount: { value: formatCents(payment.amountCents), currency: payment.currency },
    correlationId,
  };
  if (payment.metadata.length) {
    body.metadata = Object.fromEntries(payment.metadata);
  }
  if (payment.fee) {
    body.fees = [
      {
        _links: { 'charge-to': { href: urls.customerUrl(payment.fee.chargeToId) } },
        amount: { value: formatCents(payment.fee.cents), currency: 'USD' },
      },
    ];
  }
  if (clearing === 'same-day') {
    // Same Day for the destination; a bank source is also debited next-available (a balance has no ACH debit).
    body.clearing =
      sourceType === 'bank'
        ? { source: 'next-available', destination: 'next-available' }
        : { destination: 'next-available' };
  }
  if (payment.sourceAddenda || payment.destinationAddenda) {
    body.achDetails = {};
    if (payment.sourceAddenda) {
      body.achDetails.source = { addenda: { values: [payment.sourceAddenda] } };
    }
    if (payment.destinationAddenda) {
      body.achDetails.destination = { addenda: { values: [payment.destinationAddenda] } };
    }
  }
  return body;
}
