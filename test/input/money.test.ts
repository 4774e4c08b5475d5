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
      // As spreadsheets write dollars: a $ prefix, thousands grouped by commas, no leading zero.
      ['.75', 75],
      ['1234.5', 123450],
      ['$1,234.56', 123456],
      ['1,234.56', 123456],
      ['1,234', 123400],
      ['12,345,678.9', 1234567890],
      ['$10', 1000],
      ['$.75', 75],
      ['$0.01', 1],
      ['$ 1,234.56', 123456], // Excel's Accounting format puts spaces after the $
      [' 10 ', 1000],
      ['$9,999,999,999,999.99', 999999999999999],
    ];
    for (const [text, cents] of good) {
      it(`reads '${text}' as ${cents} cents`, () => {
        expect(parseAmount(text)).to.deep.equal({ ok: true, cents });
      });
    }

    const bad: Array<[string, string]> = [
      ['', 'is missing'],
      ['   ', 'is missing'],
      ['1.234,56', 'looks like a decimal comma; write 1234.56'],
      ['$1.234,56', 'looks like a decimal comma; write 1234.56'],
      ['12,50', 'looks like a decimal comma; write 12.50'],
      ['1,23', 'a comma may only group thousands'],
      ['12,3456', 'badly grouped thousands'],
      ['1,2345.00', 'badly grouped thousands'],
      ['12,34,567', 'badly grouped thousands'],
      ['1,234,56', 'badly grouped thousands'],
      ['0,123', 'badly grouped thousands'],
      ['(25.00)', 'a negative amount in accounting style; payouts only pay'],
      ['($25.00)', 'a negative amount in accounting style'],
      ['$ -', 'a zero in accounting style'],
      ['-5', 'is negative'],
      ['-5.00', 'negative'],
      ['$-5', 'negative'],
      ['5-', 'negative'],
      ['+5', 'sign'],
      ['1e3', 'exponent'],
      ['$1E3', 'exponent'],
      ['€5', 'another currency (€)'],
      ['£5', 'another currency (£)'],
      ['EUR 5', 'another currency (EUR)'],
      ['USD 5', 'currency code'],
      ['5 USD', 'currency code'],
      ['US$5', 'currency code'],
      ['5$', 'the $ after the number'],
      ['1 234.56', 'spaces between its digits'],
      ['10.005', 'more than 2 decimals'],
      ['1,234.567', 'more than 2 decimals'],
      ['1.234', 'if the point groups thousands, write 1234'],
      ['1.234.567', 'groups thousands with points; write 1234567'],
      ['10.', 'digits after the point'],
      ['.', 'no digits'],
      ['$', 'no digits'],
      ['$$5', 'not a dollar amount'],
      ['ten', 'not a dollar amount'],
      ['10000000000000.00', 'too large'],
      ['$10,000,000,000,000.00', 'too large'],
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

  describe('parseAmount of grouped amounts', () => {
    /** 123456 → "1,234.56", as a spreadsheet's currency format writes it. */
    function grouped(cents: number): string {
      const [whole, fraction] = formatCents(cents).split('.');
      return `${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${fraction}`;
    }

    it('reads any amount written with a $ and thousands separators as the same cents as written plainly', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.boolean(), (cents, dollar) => {
          const text = `${dollar ? '$' : ''}${grouped(cents)}`;
          expect(parseAmount(text), text).to.deep.equal({ ok: true, cents });
          expect(parseAmount(text)).to.deep.equal(parseAmount(formatCents(cents)));
        }),
      );
    });

    it('never reads a number with a comma where the thousands are not in threes', () => {
      const text = fc
        .tuple(fc.stringMatching(/^[1-9]\d{0,3}$/), fc.stringMatching(/^\d{1,2}$|^\d{4,5}$/))
        .map(([a, b]) => `${a},${b}`);
      fc.assert(
        fc.property(text, (t) => {
          expect(parseAmount(t).ok, t).to.equal(false);
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
