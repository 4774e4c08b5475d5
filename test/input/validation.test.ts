import { expect } from 'chai';
import { stringify } from 'csv-stringify/sync';
import { type InvalidRow, isSendable, type PlannedRow, type ValidRow } from '../../src/plan/planner.js';
import { planCsv, UUIDS } from '../helpers.js';

type Cells = Record<string, string>;

const BASE: Cells = { destination: UUIDS.a, amount: '10.00' };

/** A CSV with one header of the union of the rows' columns. */
function csvOf(rows: Cells[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return stringify([columns, ...rows.map((r) => columns.map((c) => r[c] ?? ''))]);
}

async function planOne(cells: Cells, settings = {}): Promise<PlannedRow> {
  const rows = await planCsv(csvOf([{ ...BASE, ...cells }]), settings);
  expect(rows).to.have.length(1);
  return rows[0]!;
}

async function expectValid(cells: Cells, settings = {}): Promise<ValidRow> {
  const row = await planOne(cells, settings);
  expect(row.status, row.status === 'invalid' ? row.errors.join('; ') : '').to.equal('valid');
  return row as ValidRow;
}

async function expectInvalid(cells: Cells, ...fragments: string[]): Promise<InvalidRow> {
  const row = await planOne(cells);
  expect(row.status).to.equal('invalid');
  const message = (row as InvalidRow).errors.join('; ');
  for (const f of fragments) {
    expect(message).to.contain(f);
  }
  return row as InvalidRow;
}

describe('validation', () => {
  describe('amount', () => {
    it('0.00 is invalid, 0.01 is valid', async () => {
      await expectInvalid({ amount: '0.00' }, 'at least 0.01');
      expect((await expectValid({ amount: '0.01' })).payment.amountCents).to.equal(1);
    });

    it('max-amount is valid, one cent over is not', async () => {
      expect((await expectValid({ amount: '10000.00' })).payment.amountCents).to.equal(1_000_000);
      await expectInvalid({ amount: '10000.01' }, 'over the maximum of 10000.00');
    });

    it('a raised --max-amount lets larger rows through', async () => {
      const row = await planOne({ amount: '20000.00' }, { maxAmountCents: 2_000_000 });
      expect(row.status).to.equal('valid');
    });

    it('2 decimals are valid, 3 are not', async () => {
      await expectValid({ amount: '10.25' });
      await expectInvalid({ amount: '10.255' }, 'more than 2 decimals');
    });

    it('spreadsheet amounts are read as the same cents, and the same payment, as plain ones', async () => {
      for (const [text, cents] of [
        ['$1,234.56', 123456],
        ['1,234.56', 123456],
        ['.75', 75],
        ['$.75', 75],
        ['1234.5', 123450],
        ['$10', 1000],
        ['$10,000.00', 1_000_000],
      ] as const) {
        const row = await expectValid({ amount: text });
        expect(row.payment.amountCents, text).to.equal(cents);
        const plain = await expectValid({ amount: (cents / 100).toFixed(2) });
        expect(row.key, text).to.equal(plain.key);
      }
    });

    it('a spreadsheet amount over --max-amount is refused like a plain one', async () => {
      await expectInvalid({ amount: '$10,000.01' }, 'amount: 10000.01 is over the maximum of 10000.00');
    });

    for (const [text, why] of [
      ['1.234,56', 'looks like a decimal comma; write 1234.56'],
      ['12,50', 'looks like a decimal comma; write 12.50'],
      ['1,23', 'a comma may only group thousands'],
      ['12,3456', 'badly grouped thousands'],
      ['(25.00)', 'a negative amount in accounting style; payouts only pay'],
      ['+5', 'sign'],
      ['€5', 'another currency'],
      ['5 USD', 'currency code'],
      ['1e3', 'exponent'],
      ['-10.00', 'negative'],
      ['', 'missing'],
    ]) {
      it(`'${text}' is invalid (${why})`, async () => {
        await expectInvalid({ amount: text! }, `amount: `, why!);
      });
    }
  });

  describe('currency', () => {
    it('absent or USD is valid, anything else is not', async () => {
      await expectValid({ currency: '' });
      await expectValid({ currency: 'USD' });
      await expectInvalid({ currency: 'EUR' }, "currency: 'EUR' is not USD");
      await expectInvalid({ currency: 'usd' }, 'currency');
    });
  });

  describe('trimming', () => {
    it('the known cells are read trimmed of any white space, as String.prototype.trim trims', async () => {
      for (const pad of [' ', '\t', '\u00a0', '\u2003', '\ufeff', '  \t ']) {
        const row = await expectValid({
          destination: `${pad}${UUIDS.a}${pad}`,
          amount: `${pad}10.00`,
          paymentId: `P1${pad}`,
        });
        expect(row.payment.destinationId).to.equal(UUIDS.a);
        expect(row.payment.amountCents).to.equal(1000);
        expect(row.payment.paymentId).to.equal('P1');
      }
      const inner = await expectValid({ paymentId: 'P 1', destinationAddenda: ' a b ' });
      expect(inner.payment.paymentId).to.equal('P 1');
      expect(inner.payment.destinationAddenda).to.equal('a b');
    });
  });

  describe('destination and source', () => {
    it('accepts a bare UUID and a funding-source URL, normalized to the lower-case id', async () => {
      expect((await expectValid({ destination: UUIDS.a.toUpperCase() })).payment.destinationId).to.equal(UUIDS.a);
      const url = `https://api-sandbox.dwolla.com/funding-sources/${UUIDS.b}`;
      expect((await expectValid({ destination: url })).payment.destinationId).to.equal(UUIDS.b);
    });

    for (const bad of [
      'not-a-uuid',
      `https://api.dwolla.com/customers/${UUIDS.b}`,
      `https://api.dwolla.com/funding-sources/${UUIDS.b}/extra`,
      `ftp://api.dwolla.com/funding-sources/${UUIDS.b}`,
      `${UUIDS.b}0`,
      '3f1c8a0e-5b6d-4e2f-9a7b-1c2d3e4f5a6',
    ]) {
      it(`refuses destination '${bad}'`, async () => {
        await expectInvalid({ destination: bad }, 'destination:', 'not a funding-source URL');
      });
    }

    it('a missing destination is named', async () => {
      await expectInvalid({ destination: '' }, 'destination: missing');
    });

    it("the row's source overrides the default; a bad one is invalid", async () => {
      expect((await expectValid({ source: UUIDS.c })).payment.sourceId).to.equal(UUIDS.c);
      expect((await expectValid({})).payment.sourceId).to.equal(UUIDS.source);
      await expectInvalid({ source: 'bank-1' }, 'source:');
    });

    it('no source at all is valid but not sendable: only a run with rows left to send needs one (exit 2 there)', async () => {
      const row = await planOne({}, { defaultSourceId: undefined });
      expect(row.status).to.equal('valid');
      expect((row as ValidRow).payment.sourceId).to.equal(undefined);
      expect(isSendable(row as ValidRow)).to.equal(false);
    });
  });

  describe('metadata', () => {
    const pairs = (n: number): Cells =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`metadata.k${i}`, `v${i}`]));

    it('10 pairs are valid, 11 are not', async () => {
      expect((await expectValid(pairs(10))).payment.metadata).to.have.length(10);
      await expectInvalid(pairs(11), 'metadata: 11 pairs, at most 10');
    });

    it('empty cells are not pairs', async () => {
      const row = await expectValid({ ...pairs(11), 'metadata.k10': '' });
      expect(row.payment.metadata).to.have.length(10);
    });

    it('254-character keys and values are valid, 255 are not', async () => {
      const k254 = 'k'.repeat(254);
      const row = await expectValid({ [`metadata.${k254}`]: 'v'.repeat(254) });
      expect(row.payment.metadata).to.deep.equal([[k254, 'v'.repeat(254)]]);
      await expectInvalid({ [`metadata.${'k'.repeat(255)}`]: 'v' }, 'key is 255 characters');
      await expectInvalid({ 'metadata.note': 'v'.repeat(255) }, 'metadata.note: value is 255 characters');
    });

    it('metadata keys keep their case; values are sent as written', async () => {
      const row = await expectValid({ 'Metadata.InvoiceNo': ' INV 7 ' });
      expect(row.payment.metadata).to.deep.equal([['InvoiceNo', ' INV 7 ']]);
    });
  });

  describe('correlationId', () => {
    it('255 characters are valid, 256 are not', async () => {
      const row = await expectValid({ correlationId: 'c'.repeat(255) });
      expect(row.correlationId).to.equal('c'.repeat(255));
      await expectInvalid({ correlationId: 'c'.repeat(256) }, 'correlationId: 256 characters');
    });

    it('a space or # is invalid; . _ - are fine', async () => {
      await expectInvalid({ correlationId: 'batch 7' }, 'correlationId: only letters');
      await expectInvalid({ correlationId: 'batch#7' }, 'correlationId: only letters');
      await expectValid({ correlationId: 'Batch_7.row-12' });
    });

    it('defaults to the idempotency key', async () => {
      const row = await expectValid({});
      expect(row.correlationId).to.equal(row.key);
    });
  });

  describe('fee', () => {
    const fee = (amount: string, chargeTo = UUIDS.customer): Cells => ({ feeAmount: amount, feeChargeTo: chargeTo });

    it('exactly 50% of the amount is valid, one cent over is not', async () => {
      const row = await expectValid({ amount: '10.00', ...fee('5.00') });
      expect(row.payment.fee).to.deep.equal({ cents: 500, chargeToId: UUIDS.customer });
      await expectInvalid({ amount: '10.00', ...fee('5.01') }, 'more than 50% of the amount');
    });

    it('0.01 is valid, 0.00 is not', async () => {
      await expectValid({ ...fee('0.01') });
      await expectInvalid({ ...fee('0.00') }, 'feeAmount: must be at least 0.01');
    });

    it('needs both columns or neither', async () => {
      await expectInvalid({ feeAmount: '1.00' }, 'without feeChargeTo');
      await expectInvalid({ feeChargeTo: UUIDS.customer }, 'without feeAmount');
      expect((await expectValid({ feeAmount: '', feeChargeTo: '' })).payment.fee).to.equal(undefined);
    });

    it('charge-to must be a customer URL or UUID', async () => {
      await expectValid({ ...fee('1.00', `https://api-sandbox.dwolla.com/customers/${UUIDS.customer}`) });
      await expectInvalid(
        { ...fee('1.00', `https://api-sandbox.dwolla.com/funding-sources/${UUIDS.customer}`) },
        'feeChargeTo',
      );
    });

    it('a malformed fee amount is named', async () => {
      await expectInvalid({ ...fee('1,50') }, "feeAmount: '1,50' looks like a decimal comma; write 1.50");
    });

    it('a fee is read in the same format as the amount', async () => {
      const row = await expectValid({ amount: '$1,000.00', ...fee('$2.50') });
      expect(row.payment.fee?.cents).to.equal(250);
      await expectInvalid(
        { amount: '$1,000.00', ...fee('$500.01') },
        'feeAmount: 500.01 is more than 50% of the amount 1000.00',
      );
    });
  });

  describe('addenda', () => {
    it('80 characters are valid, 81 are not', async () => {
      const row = await expectValid({ destinationAddenda: 'a'.repeat(80) });
      expect(row.payment.destinationAddenda).to.equal('a'.repeat(80));
      await expectInvalid({ sourceAddenda: 'a'.repeat(81) }, 'sourceAddenda: 81 characters');
    });

    it('every allowed character passes; others are named', async () => {
      await expectValid({ sourceAddenda: "Az09 -_.~!*'();:@&=+$,/?%#[]" });
      await expectInvalid({ destinationAddenda: 'Bonus <Q4> é' }, 'not allowed', '<', '>', 'é');
    });
  });

  describe('clearing column', () => {
    it('auto, same-day, standard and empty are valid; others are not', async () => {
      for (const c of ['auto', 'same-day', 'standard']) {
        expect((await expectValid({ clearing: c })).payment.clearing).to.equal(c);
      }
      expect((await expectValid({ clearing: '' })).payment.clearing).to.equal(undefined);
      await expectInvalid({ clearing: 'fast' }, "clearing: 'fast'");
    });
  });

  describe('paymentId', () => {
    it('255 characters are valid, 256 are not', async () => {
      await expectValid({ paymentId: 'p'.repeat(255) });
      await expectInvalid({ paymentId: 'p'.repeat(256) }, 'paymentId: 256 characters');
    });
  });

  it('names every rule a row breaks, not only the first', async () => {
    const row = await expectInvalid(
      {
        destination: 'x',
        amount: '(5.00)',
        currency: 'EUR',
        correlationId: 'a b',
        sourceAddenda: '<>',
        clearing: 'soon',
        feeAmount: '1.00',
      },
      'destination:',
      'amount:',
      'currency:',
      'correlationId:',
      'sourceAddenda:',
      'clearing:',
      'fee:',
    );
    expect(row.errors).to.have.length(7);
  });
});
