/**
 * A compact set of the idempotency keys of a file: 8 bytes a key in one typed array (at most twice
 * that with the table's slack), where a Set of strings costs about a hundred. A key is a
 * UUID-formatted SHA-256 (src/plan/keys.ts), so 64 of its bits are already a fingerprint.
 *
 * Used to tell which of a batch's journalled keys are no longer in an edited file (rule 4 of the
 * repeat checks). Two keys share 64 bits with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million
 * rows); the effect would be an edited row not held for review, never a row paid twice by this
 * batch (its own keys are exact in the journal).
 */

const MAX_LOAD = 0.7;

/** The value of each lower-case hex digit by char code; -1 for any other. */
const HEX_VALUE = Int8Array.from({ length: 128 }, (_, c) => {
  if (c >= 48 && c <= 57) {
    return c - 48;
  }
  return c >= 97 && c <= 102 ? c - 87 : -1;
});

/** `acc` followed by the `n` lower-case hex digits of `key` from `at`, as a number; -1 if one is not. */
function hexRun(key: string, at: number, n: number, acc = 0): number {
  if (acc < 0) {
    return -1;
  }
  let value = acc;
  for (let p = at; p < at + n; p++) {
    const c = key.charCodeAt(p);
    const digit = c < 128 ? HEX_VALUE[c]! : -1;
    if (digit < 0) {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

/**
 * 64 bits of a lower-case UUID (8-4-4-4-12 hex digits) into `out`, folded from its 128 so that
 * keys differing in any one of their four words differ (a key's bits are a SHA-256's, so the
 * fold of two keys is as likely to collide as any 64 of their bits); false for any other text.
 */
export function keyWords(key: string, out: Uint32Array): boolean {
  if (key.length !== 36) {
    return false;
  }
  if (key.charCodeAt(8) !== 45 || key.charCodeAt(13) !== 45 || key.charCodeAt(18) !== 45 || key.charCodeAt(23) !== 45) {
    return false;
  }
  const w0 = hexRun(key, 0, 8);
  const w1 = hexRun(key, 14, 4, hexRun(key, 9, 4));
  const w2 = hexRun(key, 24, 4, hexRun(key, 19, 4));
  const w3 = hexRun(key, 28, 8);
  if (w0 < 0 || w1 < 0 || w2 < 0 || w3 < 0) {
    return false;
  }
  // Multiplying by an odd constant is one-to-one on 32 bits: one word changed changes a half.
  out[0] = (w0 ^ Math.imul(w2, 0x9e3779b1)) >>> 0;
  out[1] = (w3 ^ Math.imul(w1, 0x85ebca6b)) >>> 0;
  return true;
}

const WORDS = new Uint32Array(2);

/**
 * A key as two 32-bit halves: a UUID's `keyWords`, any other text hashed (FNV-1a, two seeds);
 * lo is never 0 (0 marks an empty slot).
 */
export function halves(key: string): [number, number] {
  if (keyWords(key, WORDS)) {
    return [WORDS[0]!, (WORDS[1]! | 1) >>> 0];
  }
  let hi = 0x811c9dc5;
  let lo = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    hi = Math.imul(hi ^ key.charCodeAt(i), 0x01000193);
    lo = Math.imul(lo ^ key.charCodeAt(i), 0x9e3779b1);
  }
  return [hi >>> 0, (lo | 1) >>> 0];
}

/**
 * A 32-bit hash of what a row pays, its destination and amount: the fields a rerun compares with
 * what was sent (`changedAfterSent`).
 */
export function paymentTag(destination: string, amountCents: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < destination.length; i++) {
    h = Math.imul(h ^ destination.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (amountCents >>> 0), 0x01000193);
  return Math.imul(h ^ Math.floor(amountCents / 2 ** 32), 0x01000193) >>> 0;
}

/**
 * An order-free 64-bit sum over rows of (key, destination, amount), and how many rows: two
 * multisets of rows with the same count and sum are the same rows, but for a chance of about
 * 2⁻⁶⁴ (2⁻³² for a row whose key is the same and whose payment differs). A few bytes whatever
 * the file's length: it lets a rerun see that every row of the file was created as it still
 * reads (src/batch/decide-rows.ts) without reading the file again.
 */
export class RowSum {
  count = 0;
  private low = 0;
  private high = 0;

  /** A row of key `key` (a UUID) paying `amountCents` to `destination`. */
  addRow(key: string, destination: string, amountCents: number): void {
    const [hi, lo] = halves(key);
    this.add(hi, lo, paymentTag(destination, amountCents));
  }

  /** A row by its key's 64 bits (`halves`) (`hi`, `lo` as `KeySet` takes them) and `paymentTag`. */
  add(hi: number, lo: number, tag: number): void {
    let a = Math.imul(hi ^ tag, 0x9e3779b1) ^ lo;
    a = Math.imul(a ^ (a >>> 15), 0x85ebca6b);
    a ^= a >>> 13;
    let b = Math.imul(lo ^ ((tag << 16) | (tag >>> 16)), 0xc2b2ae35) ^ hi;
    b = Math.imul(b ^ (b >>> 16), 0x27d4eb2f);
    b ^= b >>> 15;
    const low = this.low + (a >>> 0);
    this.low = low >>> 0;
    this.high = (this.high + (b >>> 0) + (low > 0xffffffff ? 1 : 0)) >>> 0;
    this.count++;
  }

  equals(other: RowSum): boolean {
    return this.count === other.count && this.low === other.low && this.high === other.high;
  }
}

export class KeySet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity / MAX_LOAD) {
      cap *= 2;
    }
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`. */
  add(key: string): void {
    const [hi, lo] = halves(key);
    if (this.insert(hi, lo) && ++this.count > (this.mask + 1) * MAX_LOAD) {
      this.grow();
    }
  }

  has(key: string): boolean {
    const [hi, lo] = halves(key);
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const slotLo = this.slots[i * 2 + 1];
      if (slotLo === 0) {
        return false;
      }
      if (slotLo === lo && this.slots[i * 2] === hi) {
        return true;
      }
    }
  }

  /** Places a fingerprint; false when it was there already. */
  private insert(hi: number, lo: number): boolean {
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const slotLo = this.slots[i * 2 + 1];
      if (slotLo === 0) {
        this.slots[i * 2] = hi;
        this.slots[i * 2 + 1] = lo;
        return true;
      }
      if (slotLo === lo && this.slots[i * 2] === hi) {
        return false;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let at = 0; at < old.length; at += 2) {
      if (old[at + 1] !== 0) {
        this.insert(old[at]!, old[at + 1]!);
      }
    }
  }
}
