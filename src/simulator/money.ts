/** Dwolla amount strings as integer cents (bigint: no binary floating point anywhere). */

const AMOUNT_RE = /^(\d+)(?:\.(\d+))?$/;

/**
 * Cents of an amount string such as "12.50". More than two decimals are rounded half to even
 * (banker's rounding), as Dwolla documents for `amount.value`. Undefined when not a number.
 */
export function parseAmountCents(value: unknown): bigint | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const match = AMOUNT_RE.exec(value);
  if (!match) {
    return undefined;
  }
  const whole = BigInt(match[1] ?? '0');
  const fraction = match[2] ?? '';
  let cents = whole * 100n + BigInt(fraction.slice(0, 2).padEnd(2, '0'));
  const rest = fraction.slice(2);
  if (rest !== '' && /[1-9]/.test(rest)) {
    const half = '5'.padEnd(rest.length, '0');
    if (rest > half || (rest === half && cents % 2n === 1n)) {
      cents += 1n;
    }
  }
  return cents;
}

export function formatCents(cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}
