import { expect } from 'chai';
import fc from 'fast-check';
import { formatCents, integerText, parseAmount } from '../../src/input/money.js';

describe('money', () => {
  describe('parseAmount', () => {
    const good: Array<[string, number]> = [
      ['10', 1000],
      ['10.5', 1050],
      ['10.00', 1000],
      ['0.01', 1],
      ['0.1', 10],
      ['007.07', 707],
      ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in binary floating point
      ['1.15', 115],
      ['9999999999999.99', 999999999999999],
    ];
    for (const [text, cents] of good) {
      it(`reads '${text}' as ${cents} cents`, () => {
        expect(parseAmount(text)).to.deep.equal({ ok: true, cents });
      });
    }

    const bad: Array<[string, string]> = [
      ['', 'is missing'],
      ['$10', 'currency symbol'],
      ['1,000.00', 'thousands separator'],
      ['1e3', 'exponent'],
      ['-5.00', 'negative'],
      ['+5', 'sign'],
      ['10.005', 'more than 2 decimals'],
      ['10.', 'both sides'],
      ['.5', 'both sides'],
      ['ten', 'not a dollar amount'],
      [' 10', 'not a dollar amount'],
      ['10000000000000.00', 'too large'],
    ];
    for (const [text, reason] of bad) {
      it(`refuses '${text}' (${reason})`, () => {
        const r = parseAmount(text);
        expect(r.ok).to.equal(false);
        if (!r.ok) {
          expect(r.reason).to.contain(reason);
        }
      });
    }
  });

  describe('formatCents', () => {
    it('writes two decimals', () => {
      expect(formatCents(0)).to.equal('0.00');
      expect(formatCents(1)).to.equal('0.01');
      expect(formatCents(10)).to.equal('0.10');
      expect(formatCents(123456)).to.equal('1234.56');
      expect(formatCents(-250)).to.equal('-2.50');
    });

    it('round-trips every cent value of a range through parse', () => {
      for (let cents = 0; cents < 100_000; cents += 7) {
        const r = parseAmount(formatCents(cents));
        expect(r).to.deep.equal({ ok: true, cents });
      }
    });

    it('refuses fractional cents', () => {
      expect(() => formatCents(1.5)).to.throw(RangeError);
    });

    it('writes what the decimal arithmetic says for any safe number of cents', () => {
      fc.assert(
        fc.property(fc.maxSafeInteger(), (cents) => {
          const abs = BigInt(Math.abs(cents));
          const expected = `${cents < 0 ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
          expect(formatCents(cents)).to.equal(expected);
        }),
      );
    });
  });

  describe('parseAmount and its fast path', () => {
    it('agrees with the decimal reading of digits[.d[d]] for any such text', () => {
      const amount = fc
        .tuple(fc.stringMatching(/^\d{1,16}$/), fc.constantFrom('', '.', '.5', '.05', '.50', '.123', 'x'))
        .map(([whole, tail]) => whole + tail);
      fc.assert(
        fc.property(amount, (text) => {
          const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
          const r = parseAmount(text);
          if (!m || m[1]!.replace(/^0+(?=\d)/, '').length > 13) {
            expect(r.ok, text).to.equal(false);
            return;
          }
          const cents = BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
          expect(r, text).to.deep.equal({ ok: true, cents: Number(cents) });
        }),
      );
    });
  });

  describe('integerText', () => {
    it('is String(n) for any non-negative safe integer', () => {
      for (const n of [0, 9, 10, 999, 1000, 1001, 100000, 999999, 1000000, Number.MAX_SAFE_INTEGER]) {
        expect(integerText(n)).to.equal(String(n));
      }
      fc.assert(
        fc.property(fc.maxSafeNat(), (n) => {
          expect(integerText(n)).to.equal(String(n));
        }),
      );
    });
  });
});
