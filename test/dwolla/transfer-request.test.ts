import { expect } from 'chai';
import { type ResourceUrls, transferRequest } from '../../src/dwolla/transfer-request.js';
import type { Payment } from '../../src/input/validation.js';
import { UUIDS } from '../helpers.js';

const urls: ResourceUrls = {
  fundingSourceUrl: (id) => `https://api.example/funding-sources/${id}`,
  customerUrl: (id) => `https://api.example/customers/${id}`,
};

const base: Payment & { sourceId: string } = {
  sourceId: UUIDS.source,
  destinationId: UUIDS.a,
  amountCents: 123456,
  currency: 'USD',
  metadata: [],
};

describe('transfer-request', () => {
  it('a plain row: links, two-decimal amount, correlationId; nothing else', () => {
    expect(transferRequest(base, 'corr-1', 'standard', 'balance', urls)).to.deep.equal({
      _links: {
        source: { href: `https://api.example/funding-sources/${UUIDS.source}` },
        destination: { href: `https://api.example/funding-sources/${UUIDS.a}` },
      },
      amount: { value: '1234.56', currency: 'USD' },
      correlationId: 'corr-1',
    });
  });

  it('Same Day from a balance asks next-available for the destination only', () => {
    expect(transferRequest(base, 'c', 'same-day', 'balance', urls).clearing).to.deep.equal({
      destination: 'next-available',
    });
  });

  it('Same Day from a bank also debits the source next-available', () => {
    expect(transferRequest(base, 'c', 'same-day', 'bank', urls).clearing).to.deep.equal({
      source: 'next-available',
      destination: 'next-available',
    });
  });

  it('standard sends no clearing object', () => {
    expect(transferRequest(base, 'c', 'standard', 'bank', urls)).not.to.have.property('clearing');
  });

  it('metadata exactly as the row has it, fee and addenda in Dwolla shapes', () => {
    const body = transferRequest(
      {
        ...base,
        amountCents: 1000,
        metadata: [
          ['invoice', 'INV-1'],
          ['note', ' x '],
        ],
        fee: { cents: 50, chargeToId: UUIDS.customer },
        sourceAddenda: 'SRC',
        destinationAddenda: 'DST',
      },
      'c',
      'standard',
      'balance',
      urls,
    );
    expect(body.metadata).to.deep.equal({ invoice: 'INV-1', note: ' x ' });
    expect(body.fees).to.deep.equal([
      {
        _links: { 'charge-to': { href: `https://api.example/customers/${UUIDS.customer}` } },
        amount: { value: '0.50', currency: 'USD' },
      },
    ]);
    expect(body.achDetails).to.deep.equal({
      source: { addenda: { values: ['SRC'] } },
      destination: { addenda: { values: ['DST'] } },
    });
  });
});
