/**
 * A compact set of the idempotency keys of a file: 8 bytes a key in one typed array (at most twice
 * that with the table's slack), where a Set of strings costs about a hundred. A key is a
 * UUID-formatted SHA-256 (src/plan/keys.ts), so its first 64 bits are already a fingerprint.
 *
 * Used to tell which of a batch's journalled keys are no longer in an edited file (rule 4 of the
 * repeat checks). Two keys share 64 bits with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million
 * rows); the effect would be an edited row not held for review, never a row paid twice by this
 * batch (its own keys are exact in the journal).
 */

const MAX_LOAD = 0.7;

/** The first 64 bits of a UUID-formatted key as two 32-bit halves; lo is never 0 (0 marks an empty slot). */
function halves(key: string): [number, number] {
  const hi = Number.parseInt(key.slice(0, 8), 16) >>> 0;
  const lo = (Number.parseInt(key.slice(9, 13) + key.slice(14, 18), 16) | 1) >>> 0;
  return [hi, lo];
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
