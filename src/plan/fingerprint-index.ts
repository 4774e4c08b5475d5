/**
 * A compact set of 64-bit fingerprints (the first 8 bytes of a SHA-256), each remembering the
 * line it was first seen on and how often it was seen. Used to find repeated paymentIds,
 * correlationIds and identical rows in a streamed file without keeping the rows: 12 bytes a slot
 * in typed arrays (counts above 1, which are rare, in a small Map), so a million distinct values
 * cost about 16 MB instead of a Map of strings.
 *
 * The slots are split into SEGMENTS open-addressing tables by the fingerprint's top bits, each
 * grown on its own by a quarter: growing never holds two copies of the whole index (a single
 * table doubling from 12 to 24 MB held 36 MB at once), and the tables stay 68–85% full. Measured
 * over 100k to 1.5M values: 15–17 bytes a value, against 17–23 when they were grown by half at
 * 75% (2 MB less at a million), at the same speed (inserting a million: 340–410 ms either way).
 *
 * Two different values share a fingerprint with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million
 * rows); the only effect would be a row wrongly reported as a repeat, never a double payment.
 */
import { hash } from 'node:crypto';

const EMPTY = 0;
const MAX_LOAD = 0.85;
const GROWTH = 1.25;
const WORDS = 3; // per slot: [hi, lo, firstLine]
const SEGMENT_BITS = 6;
const SEGMENTS = 1 << SEGMENT_BITS;
const MIN_SEGMENT_SLOTS = 8;
const TWO_TO_32 = 2 ** 32;

export interface Seen {
  /** Line of the first occurrence. */
  firstLine: number;
  /** How many times the value has been seen, this one included. */
  count: number;
}

/** The slot a fingerprint's probe starts at in a table of `slots` slots (lo spread over them). */
function home(lo: number, slots: number): number {
  return Math.floor((lo / TWO_TO_32) * slots);
}

/** The 32-bit number of the 8 hex digits of `hex` from `from` (read without slicing the string). */
function hexWord(hex: string, from: number): number {
  let word = 0;
  for (let i = from; i < from + 8; i++) {
    const c = hex.charCodeAt(i);
    // 0-9 are 0x30-0x39, a-f 0x61-0x66, A-F 0x41-0x46.
    word = word * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return word;
}

/** The SHA-256 of `value` in hex: the hex form is the fastest one-shot digest in Node (no Buffer per call). */
export function fingerprintOf(value: string): string {
  return hash('sha256', value, 'hex');
}

export class FingerprintIndex {
  private readonly tables: Uint32Array<ArrayBuffer>[] = [];
  private readonly used = new Uint32Array(SEGMENTS);
  private size = 0;
  /** Counts of values seen more than once, by the line they were first seen on (unique per value). */
  private readonly repeats = new Map<number, number>();

  constructor(initialCapacity = 1024) {
    const slots = Math.max(MIN_SEGMENT_SLOTS, Math.ceil(initialCapacity / SEGMENTS));
    for (let s = 0; s < SEGMENTS; s++) {
      this.tables.push(new Uint32Array(slots * WORDS));
    }
  }

  get entries(): number {
    return this.size;
  }

  /** Whether the value whose SHA-256 (hex) is `hex` is in the index. */
  hasDigest(hex: string): boolean {
    const hi = hexWord(hex, 0);
    const lo = (hexWord(hex, 8) | 1) >>> 0;
    const table = this.tables[hi >>> (32 - SEGMENT_BITS)]!;
    const slots = table.length / WORDS;
    for (let i = home(lo, slots); ; i = i + 1 === slots ? 0 : i + 1) {
      const at = i * WORDS;
      if (table[at + 1] === EMPTY) {
        return false;
      }
      if (table[at] === hi && table[at + 1] === lo) {
        return true;
      }
    }
  }

  /**
   * The values seen more than once, as an index of their fingerprints: all that a later pass over
   * the same file needs to index to find the same repeats (src/plan/planner.ts). Usually empty.
   */
  repeated(): FingerprintIndex {
    const out = new FingerprintIndex(this.repeats.size);
    for (const table of this.tables) {
      for (let at = 0; at < table.length; at += WORDS) {
        if (table[at + 1] !== EMPTY && this.repeats.has(table[at + 2]!)) {
          out.place(table[at]!, table[at + 1]!, table[at + 2]!);
        }
      }
    }
    return out;
  }

  /**
   * Records one occurrence of the value whose SHA-256 (hex, at least 16 digits) is `hex`, for a
   * caller that hashes the value anyway (one index is fed one kind of digest throughout). Undefined
   * when the value is new (nothing is allocated then); else where it was first seen and how often.
   */
  addDigest(hex: string, line: number): Seen | undefined {
    // lo is never 0, so that lo = 0 marks an empty slot.
    return this.place(hexWord(hex, 0), (hexWord(hex, 8) | 1) >>> 0, line);
  }

  /** Adds fingerprint (hi, lo) first seen at `line`, or counts one more occurrence of it. */
  private place(hi: number, lo: number, line: number): Seen | undefined {
    const segment = hi >>> (32 - SEGMENT_BITS);
    const table = this.tables[segment]!;
    const slots = table.length / WORDS;
    for (let i = home(lo, slots); ; i = i + 1 === slots ? 0 : i + 1) {
      const at = i * WORDS;
      if (table[at + 1] === EMPTY) {
        table[at] = hi;
        table[at + 1] = lo;
        table[at + 2] = line;
        this.size++;
        if (++this.used[segment]! > slots * MAX_LOAD) {
          this.grow(segment);
        }
        return undefined;
      }
      if (table[at] === hi && table[at + 1] === lo) {
        const firstLine = table[at + 2]!;
        const count = (this.repeats.get(firstLine) ?? 1) + 1;
        this.repeats.set(firstLine, count);
        return { firstLine, count };
      }
    }
  }

  private grow(segment: number): void {
    const old = this.tables[segment]!;
    const slots = Math.ceil((old.length / WORDS) * GROWTH);
    const table = new Uint32Array(slots * WORDS);
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at + 1] === EMPTY) {
        continue;
      }
      let i = home(old[at + 1]!, slots);
      while (table[i * WORDS + 1] !== EMPTY) {
        i = i + 1 === slots ? 0 : i + 1;
      }
      table[i * WORDS] = old[at]!;
      table[i * WORDS + 1] = old[at + 1]!;
      table[i * WORDS + 2] = old[at + 2]!;
    }
    this.tables[segment] = table;
    // Release the old table now: left to the GC it would outlive many growths (the typed array
    // is an old object, freed only by a full collection), and the tables replaced in a few
    // seconds add up to more than the index itself. A transferred buffer's memory moves to a
    // new, short-lived ArrayBuffer: it is freed by the next minor collection.
    structuredClone(old.buffer, { transfer: [old.buffer] });
  }
}
