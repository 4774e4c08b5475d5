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

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const POINT = 0x2e;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

/**
 * The cents of a plain amount (AMOUNT with at most MAX_INTEGER_DIGITS integer digits, leading
 * zeros not counted), read digit by digit; -1 for any other text. The fast path of parseAmount:
 * one runs for every row of a file.
 */
function plainCents(text: string): number {
  let i = 0;
  let whole = 0;
  let digits = 0;
  for (; i < text.length && isDigit(text.charCodeAt(i)); i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    digits += digits > 0 || d > 0 ? 1 : 0;
    whole = whole * 10 + d;
  }
  if (i === 0 || digits > MAX_INTEGER_DIGITS) {
    return -1;
  }
  if (i === text.length) {
    return whole * 100;
  }
  const decimals = text.length - i - 1;
  if (text.charCodeAt(i) !== POINT || decimals < 1 || decimals > 2) {
    return -1;
  }
  let fraction = 0;
  for (let j = i + 1; j < text.length; j++) {
    if (!isDigit(text.charCodeAt(j))) {
      return -1;
    }
    fraction = fraction * 10 + (text.charCodeAt(j) - DIGIT_0);
  }
  return whole * 100 + (decimals === 1 ? fraction * 10 : fraction);
}

/** Parses a dollar amount of the input CSV (`10`, `10.5`, `10.00`) into integer cents. */
export function parseAmount(text: string): AmountParse {
  if (text === '') {
    return { ok: false, reason: 'is missing' };
  }
  const cents = plainCents(text);
  if (cents >= 0) {
    return { ok: true, cents };
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

/** '0' … '999'; the same with leading zeros to three digits; '00' … '99'. */
const UP_TO_999 = Array.from({ length: 1000 }, (_, i) => String(i));
const THREE_DIGITS = UP_TO_999.map((d) => d.padStart(3, '0'));
const TWO_DIGITS = UP_TO_999.slice(0, 100).map((d) => d.padStart(2, '0'));

/**
 * The decimal text of a non-negative safe integer, as String(n) writes it, made from a table of
 * three-digit groups. String(n) keeps every string it makes in V8's number-to-string cache: made
 * for each row (its line number, its amount), those strings outlive young collections, are
 * promoted and pile up in the old generation, and the young generation grows to its maximum.
 */
export function integerText(n: number): string {
  if (n < 1000) {
    return UP_TO_999[n]!;
  }
  const thousands = Math.floor(n / 1000);
  return integerText(thousands) + THREE_DIGITS[n - thousands * 1000]!;
}

/** Formats integer cents as a two-decimal dollar string: 123456 → "1234.56". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) {
    throw new RangeError(`not a whole number of cents: ${cents}`);
  }
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100);
  const rest = abs - dollars * 100;
  return `${sign}${integerText(dollars)}.${TWO_DIGITS[rest]!}`;
}
