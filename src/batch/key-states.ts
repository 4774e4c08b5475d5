/**
 * `JournalState.byKey`: the state of every key a journal names, in a few bytes per key.
 *
 * An idempotency key (src/plan/keys.ts) is a lower-case UUID made of a SHA-256: it is held by 64
 * bits folded from its 128 (`keyWords`), in two u32 words; any other text (hand-written journals, tests) is held as
 * itself in a side map. Its text is read back from the journal when asked for (`keys()`). Two keys
 * of a journal share 64 bits with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million keys): both
 * would take one index. Reading a state back checks each record is the key's, so `get` refuses
 * the journal as damaged rather than give a key another key's state; `has` answers from the bits
 * alone (it may say yes for a key the journal lacks but whose bits it has). Per key it keeps the byte offsets in the journal of the
 * records that make its state (the last intent, the deciding outcome, and, only when there are
 * some, the first intent, the intent a borrowing outcome took its row from, and the last
 * reconcile record), and a few flags. A `KeyState` is made when asked for, by reading those lines
 * back (pread on the journal file, kept open) and checking they are the key's.
 *
 * Memory: an open-addressing table of u32 and a u8 tag (at most 3/4 full, grown by half again) onto columns in pages of 16,384
 * keys: 8 bytes of key, 4 + 4 of offsets, 1 of flags, 4 of the last intent's `paymentTag` (none
 * when read without payments), 4 per optional offset once used; with the table's 7-10, about
 * 28-39 bytes a key (offsets are 8 bytes for a journal over 4 GiB). Nothing is copied to grow but
 * the table.
 */
import { closeSync, readSync } from 'node:fs';
import { decodeLine, type ParsedLine, parseLine, type RecordKind, type Segment } from './journal-format.js';
import {
  type IntentRecord,
  JournalCorruptError,
  type JournalRecord,
  type KeyState,
  type KeyStates,
  type OutcomeRecord,
  type ReconcileRecord,
} from './journal-records.js';
import { halves, keyWords, RowSum } from './key-set.js';

const PAGE_BITS = 14;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

type Page = Uint8Array | Uint32Array | Float64Array;

/** A column of numbers by key index, in pages allocated when first written. */
class Column {
  private readonly pages: Array<Page | undefined> = [];

  constructor(
    private readonly make: (length: number) => Page,
    private readonly stride = 1,
  ) {}

  get(i: number, j = 0): number {
    const page = this.pages[i >>> PAGE_BITS];
    return page === undefined ? 0 : page[(i & PAGE_MASK) * this.stride + j]!;
  }

  /** Whether the `stride` numbers of index `i` are `w`'s. */
  equals(i: number, w: Uint32Array): boolean {
    const page = this.pages[i >>> PAGE_BITS];
    if (page === undefined) {
      return false;
    }
    const at = (i & PAGE_MASK) * this.stride;
    for (let j = 0; j < this.stride; j++) {
      if (page[at + j] !== w[j]) {
        return false;
      }
    }
    return true;
  }

  /** Copies the `stride` numbers of index `i` into `w`. */
  copyTo(i: number, w: Uint32Array): void {
    const page = this.pages[i >>> PAGE_BITS];
    const at = (i & PAGE_MASK) * this.stride;
    for (let j = 0; j < this.stride; j++) {
      w[j] = page?.[at + j] ?? 0;
    }
  }

  set(i: number, value: number, j = 0): void {
    const at = i >>> PAGE_BITS;
    let page = this.pages[at];
    if (page === undefined) {
      if (value === 0) {
        return;
      }
      page = this.make(PAGE * this.stride);
      this.pages[at] = page;
    }
    page[(i & PAGE_MASK) * this.stride + j] = value;
  }

  get bytes(): number {
    return this.pages.reduce((sum, p) => sum + (p?.byteLength ?? 0), 0);
  }
}

const OPEN = 1;
const CREATED = 2;
/** The deciding outcome borrows from an intent (journal-format.ts). */
const BORROWS = 4;
/** The key is not a UUID: it is in the side map. */
const TEXT_KEY = 8;

/** A 32-bit hash of a key's two words, mapped onto the table's buckets. Injectable to test collisions. */
export type BucketOf = (hi: number, lo: number) => number;

const mixWords: BucketOf = (hi, lo) => {
  let h = Math.imul(hi, 0x9e3779b1) ^ Math.imul(lo, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
};

/** Reads records back from the journal by byte offset, through a small window over the file. */
export class LineReader {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private winStart = 0;
  private winLength = 0;

  constructor(
    readonly path: string,
    readonly fd: number,
    /** By offset, the first at 0. */
    private readonly segments: readonly Segment[],
    /** Where the journal's records end (a torn tail is past it). */
    private readonly end: number,
  ) {}

  /** The key of the record at `offset`. */
  keyAt(offset: number): string {
    const p = parseLine(this.lineAt(offset));
    if (typeof p === 'string' || p.kind === 'run') {
      throw this.corrupt(offset, 'expected a record of a key (the file changed after it was read)');
    }
    return p.key;
  }

  /** The key's record of `kind` at `offset`; a line that is not (the file changed) is corruption. */
  record(offset: number, key: string, kind: RecordKind, borrowed?: IntentRecord): JournalRecord {
    const p = parseLine(this.lineAt(offset));
    if (typeof p === 'string') {
      throw new JournalCorruptError(this.path, 0, p, offset);
    }
    if (p.key !== key || p.kind !== kind) {
      throw this.corrupt(offset, `expected a ${kind} record of key ${key} (the file changed after it was read)`);
    }
    return decodeLine(p as ParsedLine, this.segmentAt(offset), borrowed);
  }

  private corrupt(offset: number, reason: string): JournalCorruptError {
    return new JournalCorruptError(this.path, 0, reason, offset);
  }

  private segmentAt(offset: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.offset <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return this.segments[lo]!;
  }

  private lineAt(offset: number): string {
    let from = offset - this.winStart;
    if (from < 0 || from >= this.winLength) {
      this.fill(offset);
      from = 0;
    }
    for (;;) {
      const nl = this.buf.indexOf(10, from);
      if (nl !== -1 && nl < this.winLength) {
        return this.buf.toString('utf8', from, nl);
      }
      if (from === 0 && this.winLength < this.buf.length) {
        throw this.corrupt(offset, 'a record without its end of line');
      }
      if (from === 0) {
        this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
      this.fill(offset);
      from = 0;
    }
  }

  private fill(offset: number): void {
    this.winStart = offset;
    this.winLength = 0;
    const length = Math.min(this.buf.length, this.end - offset);
    this.winLength = length > 0 ? readSync(this.fd, this.buf, 0, length, offset) : 0;
    if (this.winLength === 0) {
      throw this.corrupt(offset, 'a record past the end of the file (the file changed after it was read)');
    }
  }
}

/** Closes a reader's file once its index is collected. */
const closeWhenCollected = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

export interface KeyIndexOptions {
  /** Offsets need 8 bytes (a journal of 4 GiB or more). */
  wideOffsets?: boolean;
  bucketOf?: BucketOf;
  /**
   * Keep each last intent's `paymentTag`, for `createdRows()` (default). An index read only to
   * report rows (this run's own records) leaves them out: 4 bytes a key fewer.
   */
  payments?: boolean;
  /**
   * About how many keys it will hold, when known: the table starts large enough for them, never
   * growing through smaller sizes (each growth briefly holds the old table and the new one).
   */
  expectedKeys?: number;
}

/**
 * Every key of a journal and the offsets of the records that make its state; a read-only Map of
 * key to `KeyState` (in the order keys first appear), each state read back from the file when
 * asked for. `values()` and `entries()` make one state at a time.
 */
export class KeyIndex implements KeyStates {
  private count = 0;
  private reconciled = false;
  /** Key index + 1 by bucket; 0 is empty. */
  private table: Uint32Array;
  /** By bucket, 8 bits of the key's hash (never 0): most other keys are passed over without reading their words. */
  private tags: Uint8Array;
  /** The tag of the key `probe` looked for last. */
  private tag = 0;
  /** The key's 64 bits (`keyWords`). */
  private readonly words = new Column((n) => new Uint32Array(n), 2);
  private readonly flags = new Column((n) => new Uint8Array(n));
  /** Offsets + 1 (0: none). */
  private readonly lastIntent: Column;
  private readonly outcome: Column;
  /** Only where it differs from `lastIntent`. */
  private readonly firstIntent: Column;
  /** Only where the deciding outcome borrows from an intent before `lastIntent`. */
  private readonly outcomeIntent: Column;
  private readonly reconcile: Column;
  /** `paymentTag` of the last intent (src/batch/key-set.ts). */
  private readonly paid = new Column((n) => new Uint32Array(n));
  private readonly byText = new Map<string, number>();
  private readonly textOf = new Map<number, string>();
  private readonly w = new Uint32Array(2);
  private readonly bucketOf: BucketOf;
  private readonly payments: boolean;
  private reader: LineReader | undefined;

  constructor(opts: KeyIndexOptions = {}) {
    const offsets = opts.wideOffsets ? (n: number) => new Float64Array(n) : (n: number) => new Uint32Array(n);
    this.lastIntent = new Column(offsets);
    this.outcome = new Column(offsets);
    this.firstIntent = new Column(offsets);
    this.outcomeIntent = new Column(offsets);
    this.reconcile = new Column(offsets);
    this.bucketOf = opts.bucketOf ?? mixWords;
    this.payments = opts.payments ?? true;
    const buckets = Math.max(1024, Math.ceil(((opts.expectedKeys ?? 0) * 4) / 3) + 1);
    this.table = new Uint32Array(buckets);
    this.tags = new Uint8Array(buckets);
  }

  get size(): number {
    return this.count;
  }

  get anyReconciled(): boolean {
    return this.reconciled;
  }

  get [Symbol.toStringTag](): string {
    return 'KeyIndex';
  }

  /** Bytes held by the index (its table and columns; text keys not counted). */
  get bytes(): number {
    const columns = [
      this.words,
      this.flags,
      this.paid,
      this.lastIntent,
      this.outcome,
      this.firstIntent,
      this.outcomeIntent,
    ];
    const table = this.table.byteLength + this.tags.byteLength;
    return table + [...columns, this.reconcile].reduce((sum, c) => sum + c.bytes, 0);
  }

  /** Reads states back through `reader` from now on; its file is closed once the index is collected. */
  attach(reader: LineReader): void {
    this.reader = reader;
    closeWhenCollected.register(this, reader.fd);
  }

  /** The index of `key`, added if new. */
  slot(key: string): number {
    const w = this.w;
    if (!keyWords(key, w)) {
      return this.textSlot(key);
    }
    const pos = this.probe(w);
    const found = this.table[pos]!;
    if (found !== 0) {
      return found - 1;
    }
    const i = this.count++;
    this.words.set(i, w[0]!, 0);
    this.words.set(i, w[1]!, 1);
    this.table[pos] = i + 1;
    this.tags[pos] = this.tag;
    if (this.count * 4 > this.table.length * 3) {
      this.grow();
    }
    return i;
  }

  hasIntent(i: number): boolean {
    return this.lastIntent.get(i) !== 0;
  }

  /** An intent at `offset`, paying what `tag` (`paymentTag`) hashes. */
  noteIntent(i: number, offset: number, tag: number): void {
    if (this.payments) {
      this.paid.set(i, tag);
    }
    const last = this.lastIntent.get(i);
    const f = this.flags.get(i);
    if (last !== 0) {
      if (this.firstIntent.get(i) === 0) {
        this.firstIntent.set(i, last);
      }
      if ((f & BORROWS) !== 0 && this.outcomeIntent.get(i) === 0) {
        this.outcomeIntent.set(i, last);
      }
    }
    this.lastIntent.set(i, offset + 1);
    this.flags.set(i, (f & CREATED) === 0 ? f | OPEN : f & ~OPEN);
  }

  /** A `created` outcome is final: later outcomes only close an open intent. */
  noteOutcome(i: number, offset: number, created: boolean, borrows: boolean): void {
    const f = this.flags.get(i) & ~OPEN;
    if ((f & CREATED) !== 0) {
      this.flags.set(i, f);
      return;
    }
    this.outcome.set(i, offset + 1);
    this.outcomeIntent.set(i, 0);
    this.flags.set(i, (f & TEXT_KEY) | (created ? CREATED : 0) | (borrows ? BORROWS : 0));
  }

  noteReconcile(i: number, offset: number): void {
    this.reconcile.set(i, offset + 1);
    this.reconciled = true;
  }

  /**
   * The keys with a `created` outcome, each with what its last intent paid, as a `RowSum` (the
   * planned rows' sum is compared with it); a created key without an intent counts as paying
   * nothing.
   */
  createdRows(): RowSum {
    if (!this.payments) {
      throw new Error('this key index was read without payments: createdRows() needs them');
    }
    const sum = new RowSum();
    for (let i = 0; i < this.count; i++) {
      const f = this.flags.get(i);
      if ((f & CREATED) === 0) {
        continue;
      }
      const tag = this.lastIntent.get(i) === 0 ? 0 : this.paid.get(i);
      if ((f & TEXT_KEY) !== 0) {
        const [hi, lo] = halves(this.textOf.get(i)!);
        sum.add(hi, lo, tag);
      } else {
        sum.add(this.words.get(i, 0), (this.words.get(i, 1) | 1) >>> 0, tag);
      }
    }
    return sum;
  }

  get(key: string): KeyState | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.stateAt(i, key);
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  *keys(): MapIterator<string> {
    for (let i = 0; i < this.count; i++) {
      yield this.keyAt(i);
    }
    return undefined;
  }

  *values(): MapIterator<KeyState> {
    for (let i = 0; i < this.count; i++) {
      yield this.stateAt(i, this.keyAt(i));
    }
    return undefined;
  }

  *entries(): MapIterator<[string, KeyState]> {
    for (let i = 0; i < this.count; i++) {
      const key = this.keyAt(i);
      yield [key, this.stateAt(i, key)];
    }
    return undefined;
  }

  [Symbol.iterator](): MapIterator<[string, KeyState]> {
    return this.entries();
  }

  forEach(
    callback: (value: KeyState, key: string, map: ReadonlyMap<string, KeyState>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, state] of this.entries()) {
      callback.call(thisArg, state, key, this);
    }
  }

  private textSlot(key: string): number {
    const found = this.byText.get(key);
    if (found !== undefined) {
      return found;
    }
    const i = this.count++;
    this.byText.set(key, i);
    this.textOf.set(i, key);
    this.flags.set(i, TEXT_KEY);
    return i;
  }

  private find(key: string): number {
    if (this.count === 0) {
      // A batch's first run asks of every row: nothing to parse.
      return -1;
    }
    const w = this.w;
    if (!keyWords(key, w)) {
      return this.byText.get(key) ?? -1;
    }
    return this.table[this.probe(w)]! - 1;
  }

  /**
   * The table position holding the key of words `w`, or the empty one where it would go. The
   * hash's high bits choose the bucket (multiply and shift: any table length works, so the table
   * grows by half again rather than doubling), and its low bits make the tag.
   */
  private probe(w: Uint32Array): number {
    const size = this.table.length;
    const hash = this.bucketOf(w[0]!, w[1]!) >>> 0;
    const tag = (hash & 0xff) | 1;
    this.tag = tag;
    let pos = Math.floor((hash * size) / 0x1_0000_0000);
    for (;;) {
      const entry = this.table[pos]!;
      if (entry === 0 || (this.tags[pos] === tag && this.words.equals(entry - 1, w))) {
        return pos;
      }
      pos = pos + 1 === size ? 0 : pos + 1;
    }
  }

  /** A table half again as long (doubling would leave it up to 5/8 empty, and hold 3 lengths while it grows). */
  private grow(): void {
    this.table = new Uint32Array(Math.ceil(this.table.length * 1.5));
    this.tags = new Uint8Array(this.table.length);
    const w = this.w;
    for (let i = 0; i < this.count; i++) {
      if ((this.flags.get(i) & TEXT_KEY) === 0) {
        this.words.copyTo(i, w);
        const pos = this.probe(w);
        this.table[pos] = i + 1;
        this.tags[pos] = this.tag;
      }
    }
  }

  /** The text of key `i`: read back from any of its records. */
  private keyAt(i: number): string {
    if ((this.flags.get(i) & TEXT_KEY) !== 0) {
      return this.textOf.get(i)!;
    }
    const offset = this.lastIntent.get(i) || this.outcome.get(i) || this.reconcile.get(i);
    if (this.reader === undefined || offset === 0) {
      throw new Error(`key ${i} of the index has no record to read its text from`);
    }
    const key = this.reader.keyAt(offset - 1);
    const w = this.w;
    if (!keyWords(key, w) || !this.words.equals(i, w)) {
      throw new JournalCorruptError(
        this.reader.path,
        0,
        `expected a record of key ${i + 1} of the index, found one of key ${key} (the file changed after it was read)`,
        offset - 1,
      );
    }
    return key;
  }

  /** The state of key `key` (index `i`), read back from the journal. */
  private stateAt(i: number, key: string): KeyState {
    const f = this.flags.get(i);
    const state: KeyState = { openIntent: (f & OPEN) !== 0 };
    const reader = this.reader;
    if (reader === undefined) {
      return state;
    }
    const last = this.lastIntent.get(i);
    if (last !== 0) {
      state.intent = reader.record(last - 1, key, 'intent') as IntentRecord;
      const first = this.firstIntent.get(i);
      state.firstIntentAt = first === 0 ? state.intent.at : reader.record(first - 1, key, 'intent').at;
    }
    const outcome = this.outcome.get(i);
    if (outcome !== 0) {
      const from = this.outcomeIntent.get(i);
      const borrowed =
        (f & BORROWS) === 0 || from === 0 ? state.intent : (reader.record(from - 1, key, 'intent') as IntentRecord);
      state.outcome = reader.record(outcome - 1, key, 'outcome', borrowed) as OutcomeRecord;
    }
    const reconcile = this.reconcile.get(i);
    if (reconcile !== 0) {
      state.reconcile = reader.record(reconcile - 1, key, 'reconcile') as ReconcileRecord;
    }
    return state;
  }
}
