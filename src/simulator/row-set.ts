/** A set of row numbers as a bitset: one bit a row, walked in row order or newest (highest) first. */
export class RowSet {
  private words = new Uint32Array(1024);
  /** No word above this one has a bit set. */
  private top = -1;

  add(row: number): void {
    const w = row >>> 5;
    if (w >= this.words.length) {
      const grown = new Uint32Array(Math.max(this.words.length * 2, w + 1));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[w] = (this.words[w] ?? 0) | (1 << (row & 31));
    this.top = Math.max(this.top, w);
  }

  delete(row: number): void {
    const w = row >>> 5;
    if (w < this.words.length) {
      this.words[w] = (this.words[w] ?? 0) & ~(1 << (row & 31));
    }
  }

  /** Every row, lowest first. */
  *ascending(): Generator<number> {
    for (let w = 0; w <= this.top; w += 1) {
      const word = this.words[w] ?? 0;
      for (let bit = 0; word !== 0 && bit < 32; bit += 1) {
        if (word & (1 << bit)) {
          yield w * 32 + bit;
        }
      }
    }
  }

  /** At most `limit` rows, highest first. */
  highest(limit: number): number[] {
    const rows: number[] = [];
    for (let w = this.top; w >= 0 && rows.length < limit; w -= 1) {
      const word = this.words[w] ?? 0;
      for (let bit = 31; word !== 0 && bit >= 0 && rows.length < limit; bit -= 1) {
        if (word & (1 << bit)) {
          rows.push(w * 32 + bit);
        }
      }
    }
    return rows;
  }
}
