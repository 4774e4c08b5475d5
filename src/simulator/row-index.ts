/**
 * Rows found by a text key (a transfer id, an Idempotency-Key, a correlationId) without keeping
 * the key twice: an open-addressing table (linear probing) of row numbers, at most half full, so
 * about 8 bytes a row. The keys stay in their column, which hashes and compares them in place.
 */
import { type KeyColumn, type PackedKey, packKey } from './columns.js';

const INITIAL_SLOTS = 1024;

export class RowIndex {
  /** Row + 1 per slot; 0 = empty. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private used = 0;

  constructor(private readonly keys: KeyColumn) {}

  /** The row `key` points at, if any. */
  find(key: string): number | undefined {
    const slot = this.slots[this.slotOf(packKey(key))] ?? 0;
    return slot === 0 ? undefined : slot - 1;
  }

  /** Points `key` (which the row must now hold) at `row`, instead of any earlier row. */
  set(key: string, row: number): void {
    const at = this.slotOf(packKey(key));
    if (this.slots[at] === 0) {
      this.used += 1;
    }
    this.slots[at] = row + 1;
    if (this.used * 2 > this.slots.length) {
      this.grow();
    }
  }

  /** The slot holding `key`, else the empty slot where it would go. */
  private slotOf(key: PackedKey): number {
    const mask = this.slots.length - 1;
    for (let at = key.hash & mask; ; at = (at + 1) & mask) {
      const slot = this.slots[at] ?? 0;
      if (slot === 0 || this.keys.holds(slot - 1, key)) {
        return at;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const slot of old) {
      if (slot === 0) {
        continue;
      }
      let at = this.keys.hashOfRow(slot - 1) & mask;
      while (this.slots[at] !== 0) {
        at = (at + 1) & mask;
      }
      this.slots[at] = slot;
    }
  }
}
