/**
 * Compact storage for the simulator's transfers: growable columns of numbers in typed-array pages,
 * and columns of amounts, UUIDs and short texts built on them. A million transfers then cost a few
 * dozen bytes each instead of objects, strings and their hidden classes.
 */

type Page = Uint8Array | Int32Array | Uint32Array | Float64Array;

const PAGE_BITS = 16;
const PAGE_MASK = (1 << PAGE_BITS) - 1;

/**
 * A growable column of numbers, `width` per row, in pages of 65,536 rows: growing never copies,
 * and a page is allocated only once a row in it is written. A row never written reads 0.
 */
export class Column {
  private readonly pages: Page[] = [];

  private constructor(
    private readonly newPage: (length: number) => Page,
    private readonly width: number,
  ) {}

  static u8(): Column {
    return new Column((n) => new Uint8Array(n), 1);
  }

  static i32(): Column {
    return new Column((n) => new Int32Array(n), 1);
  }

  static f64(): Column {
    return new Column((n) => new Float64Array(n), 1);
  }

  static u32(width: number): Column {
    return new Column((n) => new Uint32Array(n), width);
  }

  get(row: number, slot = 0): number {
    return this.pages[row >>> PAGE_BITS]?.[(row & PAGE_MASK) * this.width + slot] ?? 0;
  }

  set(row: number, value: number, slot = 0): void {
    const index = row >>> PAGE_BITS;
    let page = this.pages[index];
    if (!page) {
      page = this.newPage((PAGE_MASK + 1) * this.width);
      this.pages[index] = page;
    }
    page[(row & PAGE_MASK) * this.width + slot] = value;
  }
}

/** Cents (bigint in, bigint out), kept as a float64 while exact; a larger amount is kept aside. */
export class AmountColumn {
  private readonly cents = Column.f64();
  private readonly large = new Map<number, bigint>();

  set(row: number, cents: bigint): void {
    if (cents <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.cents.set(row, Number(cents));
    } else {
      this.cents.set(row, Number.NaN);
      this.large.set(row, cents);
    }
  }

  get(row: number): bigint {
    const cents = this.cents.get(row);
    return Number.isNaN(cents) ? (this.large.get(row) ?? 0n) : BigInt(cents);
  }
}

/** A UUID exactly as the simulator writes them: lower-case hex, 8-4-4-4-12. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Words = [number, number, number, number];

/** A text as the columns compare and hash it: a canonical UUID also as its four 32-bit words. */
export interface PackedKey {
  text: string;
  words: Words | undefined;
  hash: number;
}

/** Mixes a UUID's words into a 32-bit hash. */
function hashOfWords(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ b, 0x9e3779b1);
  h = Math.imul(h ^ c, 0x85ebca6b);
  h = Math.imul(h ^ d, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a, 32 bits. */
function hashOfText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Where the 32 hex digits of a canonical UUID are (its hyphens are at 8, 13, 18 and 23). */
const DIGIT_AT = Array.from({ length: 36 }, (_, i) => i).filter((i) => ![8, 13, 18, 23].includes(i));

/** The four 32-bit words of a canonical UUID (lower-case hex digits only). */
function wordsOf(uuid: string): Words {
  const words: Words = [0, 0, 0, 0];
  for (let w = 0; w < 4; w += 1) {
    let word = 0;
    for (let n = w * 8; n < w * 8 + 8; n += 1) {
      const code = uuid.charCodeAt(DIGIT_AT[n] ?? 0);
      word = word * 16 + (code <= 57 ? code - 48 : code - 87); // '0'-'9', 'a'-'f'
    }
    words[w] = word;
  }
  return words;
}

export function packKey(text: string): PackedKey {
  if (!CANONICAL_UUID.test(text)) {
    return { text, words: undefined, hash: hashOfText(text) };
  }
  const words = wordsOf(text);
  return { text, words, hash: hashOfWords(words[0], words[1], words[2], words[3]) };
}

/** A column a RowIndex finds rows in by their text, without rebuilding the text. */
export interface KeyColumn {
  /** packKey(text).hash of the text the row holds. */
  hashOfRow(row: number): number;
  /** Whether the row holds exactly this text. */
  holds(row: number, key: PackedKey): boolean;
}

/** Two hex digits of each byte (Number#toString(16) is several times slower). */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(word: number): string {
  return `${HEX_BYTES[word >>> 24]}${HEX_BYTES[(word >>> 16) & 255]}${HEX_BYTES[(word >>> 8) & 255]}${HEX_BYTES[word & 255]}`;
}

/** Canonical UUIDs as 16 bytes a row (four 32-bit words). */
export class UuidColumn implements KeyColumn {
  private readonly words = Column.u32(4);

  /** `uuid` must be canonical (lower-case 8-4-4-4-12): it reads back identical. */
  set(row: number, uuid: string): void {
    const words = packKey(uuid).words;
    if (!words) {
      throw new RangeError(`not a canonical UUID: ${uuid}`);
    }
    this.setPacked(row, words);
  }

  setPacked(row: number, words: Words): void {
    for (const [slot, word] of words.entries()) {
      this.words.set(row, word, slot);
    }
  }

  get(row: number): string {
    const a = hex8(this.words.get(row, 0));
    const b = hex8(this.words.get(row, 1));
    const c = hex8(this.words.get(row, 2));
    const d = hex8(this.words.get(row, 3));
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  }

  hashOfRow(row: number): number {
    const w = this.words;
    return hashOfWords(w.get(row, 0), w.get(row, 1), w.get(row, 2), w.get(row, 3));
  }

  holds(row: number, key: PackedKey): boolean {
    return key.words?.every((word, slot) => this.words.get(row, slot) === word) ?? false;
  }
}

const ABSENT = 0;
const PACKED = 1;
const OTHER = 2;

/**
 * An optional text a row, read back identical: 16 bytes when it is a canonical UUID (what
 * `payouts run` sends as Idempotency-Key and correlationId), any other text kept aside.
 */
export class TextColumn implements KeyColumn {
  private readonly forms = Column.u8();
  private readonly uuids = new UuidColumn();
  private readonly others = new Map<number, string>();

  set(row: number, text: string | undefined): void {
    const words = text === undefined ? undefined : packKey(text).words;
    this.others.delete(row);
    if (text === undefined) {
      this.forms.set(row, ABSENT);
    } else if (words) {
      this.forms.set(row, PACKED);
      this.uuids.setPacked(row, words);
    } else {
      this.forms.set(row, OTHER);
      this.others.set(row, text);
    }
  }

  get(row: number): string | undefined {
    switch (this.forms.get(row)) {
      case PACKED:
        return this.uuids.get(row);
      case OTHER:
        return this.others.get(row);
      default:
        return undefined;
    }
  }

  hashOfRow(row: number): number {
    switch (this.forms.get(row)) {
      case PACKED:
        return this.uuids.hashOfRow(row);
      case OTHER:
        return hashOfText(this.others.get(row) ?? '');
      default:
        return 0;
    }
  }

  holds(row: number, key: PackedKey): boolean {
    switch (this.forms.get(row)) {
      case PACKED:
        return this.uuids.holds(row, key);
      case OTHER:
        return key.words === undefined && this.others.get(row) === key.text;
      default:
        return false;
    }
  }
}
