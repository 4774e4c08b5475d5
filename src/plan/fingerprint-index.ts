/**
 * A compact set of 64-bit fingerprints (the first 8 bytes of a SHA-256), each remembering the
 * line it was first seen on and how often it was seen. Used to find repeated paymentIds,
 * correlationIds and identical rows in a streamed file without keeping the rows: 12 bytes a slot
 * in one typed array (counts above 1, which are rare, in a small Map), so a million distinct values
 * cost 24 MB at most instead of a Map of strings.
 *
 * Two different values share a fingerprint with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million
 * rows); the only effect would be a row wrongly reported as a repeat, never a double payment.
 */
import { hash } from 'node:crypto';

const EMPTY = 0;
const MAX_LOAD = 0.75;
const WORDS = 3; // per slot: [hi, lo, firstLine]

export interface Seen {
  /** Line of the first occurrence. */
  firstLine: number;
  /** How many times the value has been seen, this one included. */
  count: number;
}

export class FingerprintIndex {
  private slots: Uint32Array;
  private mask: number;
  private size = 0;
  /** Counts of values seen more than once, by the line they were first seen on (unique per value). */
  private readonly repeats = new Map<number, number>();

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) {
      cap *= 2;
    }
    this.slots = new Uint32Array(cap * WORDS);
    this.mask = cap - 1;
  }

  get entries(): number {
    return this.size;
  }

  /** Records one occurrence of `value` at `line`; says where it was first seen and how often. */
  add(value: string, line: number): Seen {
    // The hex form is the fastest one-shot digest in Node (no Buffer per call).
    const hex = hash('sha256', value, 'hex');
    const hi = parseInt(hex.slice(0, 8), 16);
    // lo is never 0, so that lo = 0 marks an empty slot.
    const lo = (parseInt(hex.slice(8, 16), 16) | 1) >>> 0;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const at = i * WORDS;
      if (this.slots[at + 1] === EMPTY) {
        this.slots[at] = hi;
        this.slots[at + 1] = lo;
        this.slots[at + 2] = line;
        if (++this.size > (this.mask + 1) * MAX_LOAD) {
          this.grow();
        }
        return { firstLine: line, count: 1 };
      }
      if (this.slots[at] === hi && this.slots[at + 1] === lo) {
        const firstLine = this.slots[at + 2]!;
        const count = (this.repeats.get(firstLine) ?? 1) + 1;
        this.repeats.set(firstLine, count);
        return { firstLine, count };
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Uint32Array(cap * WORDS);
    this.mask = cap - 1;
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at + 1] === EMPTY) {
        continue;
      }
      let i = old[at]! & this.mask;
      while (this.slots[i * WORDS + 1] !== EMPTY) {
        i = (i + 1) & this.mask;
      }
      this.slots.set(old.subarray(at, at + WORDS), i * WORDS);
    }
  }
}
