import { expect } from 'chai';
import { massPaymentMisfit, massPaymentRequest } from '../../src/dwolla/mass-payment-request.js';
import type { ResourceUrls } from '../../src/dwolla/transfer-request.js';
import type { Payment } from '../../src/input/validation.js';
import { UUIDS } from '../helpers.js';

const urls: ResourceUrls = {
  fundingSourceUrl: (id) => `https://api.example/funding-sources/${id}`,
  customerUrl: (id) => `https://api.example/customers/${id}`,
};

const payment: Payment = {
  sourceId: UUIDS.source,
  destinationId: UUIDS.a,
  amountCents: 123456,
  currency: 'USD',
  metadata: [],
};
const chunk = {
  sourceId: UUIDS.source,
  sourceType: 'balance' as const,
  correlationId: 'payouts-mp-1',
  deferred: false,
};

describe('mass-payment-request (OpenAPI initiateMassPayment)', () => {
  it('one item per row: destination, two-decimal amount, the row’s correlationId; the mass payment’s own correlationId and source', () => {
    const body = massPaymentRequest(chunk, [{ payment, correlationId: 'row-1', clearing: 'standard' }], urls);
    expect(body).to.deep.equal({
      _links: { source: { href: `https://api.example/funding-sources/${UUIDS.source}` } },
      items: [
        {
          _links: { destination: { href: `https://api.example/funding-sources/${UUIDS.a}` } },
          amount: { value: '1234.56', currency: 'USD' },
          correlationId: 'row-1',
        },
      ],
      correlationId: 'payouts-mp-1',
    });
  });

  it('Same Day per item (clearing.destination); from a bank the mass payment asks clearing.source once', () => {
    const rows = [
      { payment, correlationId: 'a', clearing: 'same-day' as const },
      { payment, correlationId: 'b', clearing: 'standard' as const },
    ];
    const fromBalance = massPaymentRequest(chunk, rows, urls);
    expect(fromBalance.items.map((i) => i.clearing)).to.deep.equal([{ destination: 'next-available' }, undefined]);
    expect(fromBalance.clearing).to.equal(undefined);
    const fromBank = massPaymentRequest({ ...chunk, sourceType: 'bank' }, rows, urls);
    expect(fromBank.clearing).to.deep.equal({ source: 'next-available' });
    const standard = massPaymentRequest({ ...chunk, sourceType: 'bank' }, [rows[1]!], urls);
    expect(standard.clearing).to.equal(undefined);
  });

  it('metadata and destination addenda go on the item; deferred on the mass payment', () => {
    const row = { ...payment, metadata: [['note', 'x']] as Array<[string, string]>, destinationAddenda: 'INV 1' };
    const body = massPaymentRequest(
      { ...chunk, deferred: true },
      [{ payment: row, correlationId: 'c', clearing: 'standard' }],
      urls,
    );
    expect(body.status).to.equal('deferred');
    expect(body.items[0]!.metadata).to.deep.equal({ note: 'x' });
    expect(body.items[0]!.achDetails).to.deep.equal({ destination: { addenda: { values: ['INV 1'] } } });
  });

  it('what an item cannot carry: a facilitator fee, source addenda', () => {
    expect(massPaymentMisfit(payment)).to.equal(undefined);
    expect(massPaymentMisfit({ ...payment, fee: { cents: 100, chargeToId: UUIDS.b } })).to.match(/facilitator fee/);
    expect(massPaymentMisfit({ ...payment, sourceAddenda: 'X' })).to.match(/source addenda/);
  });
});
