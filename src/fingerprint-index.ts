/**
 * A compact set of 64-bit fingerprints (the first 8 bytes of a SHA-256), each remembering the
 * line it was first seen on and how often it was seen. Used to find repeated paymentIds,
 * correlationIds and identical rows in a streamed file without keeping the rows: 16 bytes a slot
 * in typed arrays, so a million distinct values cost ~32 MB at most instead of a Map of strings.
 *
 * Two different values share a fingerprint with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million
 * rows); the only effect would be a row wrongly reported as a repeat, never a double payment.
 */
import { createHash } from 'node:crypto';

const EMPTY = 0;
const MAX_LOAD = 0.7;

export interface Seen {
  /** Line of the first occurrence. */
  firstLine: number;
  /** How many times the value has been seen, this one included. */
  count: number;
}

export class FingerprintIndex {
  private slots: Uint32Array; // per slot: [hi, lo, firstLine, count]
  private mask: number;
  private size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.slots = new Uint32Array(cap * 4);
    this.mask = cap - 1;
  }

  get entries(): number {
    return this.size;
  }

  /** Records one occurrence of `value` at `line`; says where it was first seen and how often. */
  add(value: string, line: number): Seen {
    const digest = createHash('sha256').update(value, 'utf8').digest();
    // lo is never 0, so that [0, 0] marks an empty slot.
    const hi = digest.readUInt32LE(0);
    const lo = (digest.readUInt32LE(4) | 1) >>> 0;
    let i = hi & this.mask;
    for (;;) {
      const at = i * 4;
      if (this.slots[at + 1] === EMPTY) {
        this.slots[at] = hi;
        this.slots[at + 1] = lo;
        this.slots[at + 2] = line;
        this.slots[at + 3] = 1;
        if (++this.size > (this.mask + 1) * MAX_LOAD) this.grow();
        return { firstLine: line, count: 1 };
      }
      if (this.slots[at] === hi && this.slots[at + 1] === lo) {
        const count = this.slots[at + 3]! + 1;
        this.slots[at + 3] = count;
        return { firstLine: this.slots[at + 2]!, count };
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Uint32Array(cap * 4);
    this.mask = cap - 1;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at + 1] === EMPTY) continue;
      let i = old[at]! & this.mask;
      while (this.slots[i * 4 + 1] !== EMPTY) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(at, at + 4), i * 4);
    }
  }
}
