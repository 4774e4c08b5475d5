/**
 * Money as integer cents, from parsing to output. Never a binary float: amounts are parsed from
 * their decimal text digit by digit and formatted back the same way.
 *
 * An amount is written as people and spreadsheets write US dollars (SPEC "Input CSV", `amount`):
 * `10`, `10.5`, `10.00`, `.75`, `1,234.56`, `$1,234.56`. A `$` may be followed by spaces (`$ 1,234.56`:
 * Excel's Accounting format writes it so). Anything that could mean another number, or no payment at
 * all, is refused with a hint: a decimal comma (`1.234,56`), badly grouped thousands (`12,3456`),
 * accounting parentheses (`(25.00)`), a sign, an exponent, another currency, more than 2 decimals.
 */

export type AmountParse = { ok: true; cents: number } | { ok: false; reason: string };

/**
 * `$` (spaces may follow), then the dollars, plain or grouped by commas in threes after a first
 * group of 1–3 digits (not starting with 0: `0,123` is more likely a decimal comma), then up to 2
 * decimals. Either the dollars or the decimals may be left out (`.75`, `10`), not both.
 */
const AMOUNT = /^(?:\$[ \u00a0]*)?(\d+|[1-9]\d{0,2}(?:,\d{3})+)?(?:\.(\d{1,2}))?$/;
/** Up to 13 integer digits keeps every amount well inside Number.MAX_SAFE_INTEGER cents. */
const MAX_INTEGER_DIGITS = 13;
/** A `$` and the spaces after it, at the start of an amount. */
const DOLLAR_PREFIX = /^\$[ \u00a0]*/;

/** A reason an amount is refused: the pattern that finds it, and what to say (from the match). */
interface Refusal {
  test: RegExp;
  why: string | ((m: RegExpExecArray) => string);
}

/** Refusals read on the whole text (with its `$`), first match wins. */
const TEXT_REFUSALS: readonly Refusal[] = [
  { test: /^(?:\$[ \u00a0]*)?[-\u2212]$/, why: 'is a dash, a zero in accounting style: must be at least 0.01' },
  {
    test: /^(?:\$[ \u00a0]*)?\(.*\)$/,
    why: 'is in parentheses, a negative amount in accounting style; payouts only pay',
  },
  { test: /^[-\u2212]|^\$[ \u00a0]*[-\u2212]|[-\u2212]$/, why: 'is negative; payouts only pay' },
  { test: /^(?:\$[ \u00a0]*)?\+/, why: 'has a sign: write the amount without +' },
  {
    test: /^US\$|^USD(?=[ \u00a0]*[\d.,])|(?<=[\d.,])[ \u00a0]*USD$/i,
    why: 'has a currency code: write the number alone (amounts are US dollars), with or without a $ before it',
  },
  {
    test: /^([A-Za-z]{3})(?=[ \u00a0]*[\d.,])|(?<=[\d.,])[ \u00a0]*([A-Za-z]{3})$/,
    why: (m) => `is in another currency (${(m[1] ?? m[2])!.toUpperCase()}): only US dollars are paid`,
  },
  { test: /(?!\$)\p{Sc}/u, why: (m) => `is in another currency (${m[0]}): only US dollars are paid` },
  { test: /(?<=[\d.,])[ \u00a0]*\$$/, why: 'has the $ after the number: write it before the number, or leave it out' },
  { test: /^(?:\$[ \u00a0]*)?\d*\.?\d*[eE][-+]?\d+$/, why: 'uses exponent notation' },
];

/** Refusals read on the number once a `$` prefix is taken off, first match wins. */
const NUMBER_REFUSALS: readonly Refusal[] = [
  { test: /^\.?$/, why: 'has no digits' },
  {
    test: /\d[ \u00a0\u202f]+\d/,
    why: 'has spaces between its digits: group thousands with commas (1,234.56) or not at all',
  },
  {
    test: /^(\d{1,3}(?:\.\d{3})+|\d+),(\d{1,2})$/,
    why: (m) =>
      `looks like a decimal comma; write ${m[1]!.replaceAll('.', '')}.${m[2]} (a comma may only group thousands, as in 1,234.56)`,
  },
  {
    test: /^(\d+|[1-9]\d{0,2}(?:,\d{3})+)?\.(\d{3,})$/,
    why: (m) =>
      /^[1-9]\d{0,2}$/.test(m[1] ?? '') && m[2]!.length === 3
        ? `has more than 2 decimals (if the point groups thousands, write ${m[1]}${m[2]})`
        : 'has more than 2 decimals',
  },
  {
    test: /^[1-9]\d{0,2}(?:\.\d{3}){2,}$/,
    why: (m) => `groups thousands with points; write ${m[0].replaceAll('.', '')}`,
  },
  {
    test: /,/,
    why: 'has badly grouped thousands: after the first 1 to 3 digits, each comma must be followed by exactly 3 digits, as in 1,234,567.89',
  },
  { test: /^[\d,]+\.$/, why: 'needs digits after the point' },
];

/** The first refusal of `rules` that `text` matches, as said. */
function refusalOf(rules: readonly Refusal[], text: string): string | undefined {
  for (const { test, why } of rules) {
    const m = test.exec(text);
    if (m) {
      return typeof why === 'string' ? why : why(m);
    }
  }
  return undefined;
}

/** Why a non-empty, trimmed amount text is not an amount (AMOUNT), for the row's errorMessage. */
function whyMalformed(text: string): string {
  return (
    refusalOf(TEXT_REFUSALS, text) ??
    refusalOf(NUMBER_REFUSALS, text.replace(DOLLAR_PREFIX, '')) ??
    'is not a dollar amount like 10, 10.50, .75 or $1,234.56'
  );
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

/**
 * Parses a dollar amount (`10`, `10.5`, `.75`, `$1,234.56`; see AMOUNT) into integer cents; spaces
 * around it are ignored.
 */
export function parseAmount(text: string): AmountParse {
  const cents = plainCents(text);
  if (cents >= 0) {
    return { ok: true, cents };
  }
  const trimmed = text.trim();
  if (trimmed === '') {
    return { ok: false, reason: 'is missing' };
  }
  const m = AMOUNT.exec(trimmed);
  if (!m || (m[1] === undefined && m[2] === undefined)) {
    return { ok: false, reason: `'${trimmed}' ${whyMalformed(trimmed)}` };
  }
  const whole = (m[1] ?? '0').replaceAll(',', '').replace(/^0+(?=\d)/, '');
  if (whole.length > MAX_INTEGER_DIGITS) {
    return { ok: false, reason: `'${trimmed}' is too large` };
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
