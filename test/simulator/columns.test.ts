/**
 * The compact storage under the simulator's transfers (columns.ts, row-index.ts, row-set.ts): what
 * is written reads back identical, across the 65,536-row pages, at the extremes of each encoding,
 * and through the index's growth.
 */
import { expect } from 'chai';
import { AmountColumn, Column, TextColumn, UuidColumn } from '../../src/simulator/columns.js';
import { RowIndex } from '../../src/simulator/row-index.js';
import { RowSet } from '../../src/simulator/row-set.js';

/** Rows on both sides of page boundaries (a page holds 65,536 rows). */
const EDGE_ROWS = [0, 1, 65_535, 65_536, 65_537, 131_071, 131_072, 1_000_000];

describe('simulator: compact columns', () => {
  it('Column: each width and type reads back what was written, on either side of a page; unwritten rows read 0', () => {
    const u8 = Column.u8();
    const i32 = Column.i32();
    const f64 = Column.f64();
    const u32 = Column.u32(4);
    for (const [n, row] of EDGE_ROWS.entries()) {
      u8.set(row, 255 - n);
      i32.set(row, -2_147_483_648 + n);
      f64.set(row, 1_741_100_400_000.5 + n);
      for (let slot = 0; slot < 4; slot += 1) {
        u32.set(row, 0xffff_fff0 + n + slot, slot);
      }
    }
    for (const [n, row] of EDGE_ROWS.entries()) {
      expect(u8.get(row), `u8 row ${row}`).to.equal(255 - n);
      expect(i32.get(row), `i32 row ${row}`).to.equal(-2_147_483_648 + n);
      expect(f64.get(row), `f64 row ${row}`).to.equal(1_741_100_400_000.5 + n);
      expect(
        [0, 1, 2, 3].map((slot) => u32.get(row, slot)),
        `u32 row ${row}`,
      ).to.deep.equal([0, 1, 2, 3].map((slot) => 0xffff_fff0 + n + slot));
    }
    expect([2, 65_534, 500_000, 2_000_000].map((row) => f64.get(row))).to.deep.equal([0, 0, 0, 0]);
  });

  it('UuidColumn: canonical UUIDs read back identical, the all-zero and all-f ones included', () => {
    const uuids = [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '0000000f-f000-4000-8000-00000000000a',
      'a0b1c2d3-e4f5-4a6b-9c7d-8e9f00112233',
      '5bec1a10-0000-4000-8000-000000000103',
    ];
    const column = new UuidColumn();
    for (const [n, uuid] of uuids.entries()) {
      column.set(EDGE_ROWS[n]!, uuid);
    }
    expect(uuids.map((_, n) => column.get(EDGE_ROWS[n]!))).to.deep.equal(uuids);
    expect(() => column.set(9, 'A0B1C2D3-E4F5-4A6B-9C7D-8E9F00112233'), 'upper-case: not canonical').to.throw(
      RangeError,
    );
  });

  it('TextColumn: absent, a canonical UUID, and any other text (upper-case UUID, Unicode, empty, long) read back identical', () => {
    const texts = [
      undefined,
      'a0b1c2d3-e4f5-4a6b-9c7d-8e9f00112233',
      'A0B1C2D3-E4F5-4A6B-9C7D-8E9F00112233',
      'a0b1c2d3e4f54a6b9c7d8e9f00112233',
      ' a0b1c2d3-e4f5-4a6b-9c7d-8e9f00112233',
      'Zoë ✓ 東京 🙂',
      '',
      'x'.repeat(5000),
    ];
    const column = new TextColumn();
    for (const [n, text] of texts.entries()) {
      column.set(EDGE_ROWS[n]!, text);
    }
    expect(texts.map((_, n) => column.get(EDGE_ROWS[n]!))).to.deep.equal(texts);
    column.set(EDGE_ROWS[1]!, 'now another text');
    column.set(EDGE_ROWS[2]!, undefined);
    expect([column.get(EDGE_ROWS[1]!), column.get(EDGE_ROWS[2]!)]).to.deep.equal(['now another text', undefined]);
  });

  it('AmountColumn: cents read back identical below, at and above 2^53', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const amounts = [1n, 99n, 100_000_000n, max - 1n, max, max + 1n, max + 2n, 10n ** 30n + 7n];
    const column = new AmountColumn();
    for (const [n, cents] of amounts.entries()) {
      column.set(EDGE_ROWS[n]!, cents);
    }
    expect(amounts.map((_, n) => column.get(EDGE_ROWS[n]!))).to.deep.equal(amounts);
  });
});

describe('simulator: RowIndex', () => {
  it('finds every one of 50,000 keys after many growths, UUIDs and other texts alike, and no key it was not given', () => {
    const keys = new TextColumn();
    const index = new RowIndex(keys);
    const keyOf = (row: number) =>
      row % 3 === 0 ? `key-${row}` : `${row.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    for (let row = 0; row < 50_000; row += 1) {
      keys.set(row, keyOf(row));
      index.set(keyOf(row), row);
    }
    const missed = [];
    for (let row = 0; row < 50_000; row += 1) {
      if (index.find(keyOf(row)) !== row) {
        missed.push(row);
      }
    }
    expect(missed).to.deep.equal([]);
    expect(index.find('key-50001')).to.equal(undefined);
    expect(index.find(keyOf(50_001))).to.equal(undefined);
    expect(index.find(keyOf(10).toUpperCase()), 'keys are compared exactly').to.equal(undefined);
    expect(index.find('')).to.equal(undefined);
  });

  it('set() with a key already there points it at the new row (the latest transfer with that key)', () => {
    const keys = new TextColumn();
    const index = new RowIndex(keys);
    const uuid = 'a0b1c2d3-e4f5-4a6b-9c7d-8e9f00112233';
    for (const [row, key] of ['same', uuid, 'same', uuid].entries()) {
      keys.set(row, key);
      index.set(key, row);
    }
    expect([index.find('same'), index.find(uuid)]).to.deep.equal([2, 3]);
  });

  it('over a UuidColumn: finds ids by their text; a text that is not a canonical UUID matches none', () => {
    const ids = new UuidColumn();
    const index = new RowIndex(ids);
    const uuid = 'ffffffff-0000-4000-8000-00000000000f';
    ids.set(70_000, uuid);
    index.set(uuid, 70_000);
    expect([index.find(uuid), index.find(uuid.toUpperCase()), index.find(` ${uuid}`)]).to.deep.equal([
      70_000,
      undefined,
      undefined,
    ]);
  });
});

describe('simulator: RowSet', () => {
  it('walks its rows lowest first, gives the highest first up to a limit, and forgets deleted rows', () => {
    const set = new RowSet();
    for (const row of [...EDGE_ROWS, 31, 32, 63, 64]) {
      set.add(row);
    }
    set.delete(65_536);
    set.delete(7); // never added
    const expected = [0, 1, 31, 32, 63, 64, 65_535, 65_537, 131_071, 131_072, 1_000_000];
    expect([...set.ascending()]).to.deep.equal(expected);
    expect(set.highest(4)).to.deep.equal([1_000_000, 131_072, 131_071, 65_537]);
    expect(set.highest(100)).to.deep.equal([...expected].reverse());
  });
});
