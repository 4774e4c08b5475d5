/**
 * Money as integer cents, from parsing to output. Never a binary float: amounts are parsed from
 * their decimal text digit by digit and formatted back the same way.
 */

export type AmountParse = { ok: true; cents: number } | { ok: false; reason: string };

const AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;
/** Up to 13 integer digits keeps every amount well inside Number.MAX_SAFE_INTEGER cents. */
const MAX_INTEGER_DIGITS = 13;

/** Why a non-empty amount text is not of the form `digits[.d[d]]`, for the row's errorMessage. */
function whyMalformed(text: string): string {
  if (/^[-−]/.test(text)) {
    return 'is negative';
  }
  if (/^\+/.test(text)) {
    return 'has a sign';
  }
  if (/[$€£¥]|usd/i.test(text)) {
    return 'has a currency symbol';
  }
  if (/^\d*\.?\d*[eE][-+]?\d+$/.test(text)) {
    return 'uses exponent notation';
  }
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) {
    return 'has a thousands separator';
  }
  if (/^\d+\.\d{3,}$/.test(text)) {
    return 'has more than 2 decimals';
  }
  if (/^\d+\.$/.test(text) || /^\.\d+$/.test(text)) {
    return 'needs digits on both sides of the point';
  }
  return 'is not a dollar amount like 10, 10.5 or 10.00';
}

/** Parses a dollar amount of the input CSV (`10`, `10.5`, `10.00`) into integer cents. */
export function parseAmount(text: string): AmountParse {
  if (text === '') {
    return { ok: false, reason: 'is missing' };
  }
  const m = AMOUNT.exec(text);
  if (!m) {
    return { ok: false, reason: `'${text}' ${whyMalformed(text)}` };
  }
  const whole = m[1]!.replace(/^0+(?=\d)/, '');
  if (whole.length > MAX_INTEGER_DIGITS) {
    return { ok: false, reason: `'${text}' is too large` };
  }
  const fraction = (m[2] ?? '').padEnd(2, '0');
  return { ok: true, cents: Number(whole) * 100 + Number(fraction) };
}

/** Formats integer cents as a two-decimal dollar string: 123456 → "1234.56". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) {
    throw new RangeError(`not a whole number of cents: ${cents}`);
  }
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100);
  const rest = abs % 100;
  return `${sign}${dollars}.${rest < 10 ? '0' : ''}${rest}`;
}
