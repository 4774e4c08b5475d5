import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { RESULT_COLUMNS } from '../../src/results/columns.js';
import { ResultsWriter } from '../../src/results/writer.js';
import { readCsvCells, removeDir, tempDir } from '../helpers.js';

describe('results: ResultsWriter', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('writes the results columns in order, then the carried ones, atomically', async () => {
    const path = join(dir, 'results.csv');
    const w = await ResultsWriter.create(path, ['name', 'status']);
    await w.write({ row: 2, status: 'created', amount: '1.00', errorMessage: '=HYPERLINK("x")' }, [
      'Ann, "A"',
      'carried',
    ]);
    expect(await readdir(dir)).not.to.include('results.csv');
    await w.commit();
    expect(await readdir(dir)).to.deep.equal(['results.csv']);
    const rows = await readCsvCells(path);
    expect(rows[0]).to.deep.equal([...RESULT_COLUMNS, 'name', 'input.status']);
    expect(rows[1]![0]).to.equal('2');
    expect(rows[1]![1]).to.equal('created');
    expect(rows[1]![RESULT_COLUMNS.indexOf('errorMessage')]).to.equal(`'=HYPERLINK("x")`);
    expect(rows[1]!.slice(-2)).to.deep.equal(['Ann, "A"', 'carried']);
  });

  it('starts the file with a UTF-8 BOM (EF BB BF) unless bom is false; the header follows it', async () => {
    const withBom = join(dir, 'with.csv');
    const w = await ResultsWriter.create(withBom, ['Payee Name']);
    await w.write({ row: 2, status: 'planned' }, ['García']);
    await w.commit();
    const bytes = await readFile(withBom);
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3, 7).toString()).to.equal('row,');
    expect((await readCsvCells(withBom))[1]!.at(-1)).to.equal('García');

    const without = join(dir, 'without.csv');
    const plain = await ResultsWriter.create(without, ['Payee Name'], [], { bom: false });
    await plain.write({ row: 2, status: 'planned' }, ['García']);
    await plain.commit();
    expect((await readFile(without)).subarray(0, 4).toString()).to.equal('row,');
    expect(await readFile(without)).to.deep.equal(bytes.subarray(3));
  });

  it("guards the carried columns' header cells against formula injection", async () => {
    const path = join(dir, 'results.csv');
    const w = await ResultsWriter.create(path, ['=HYPERLINK("http://x")', '@note', 'name']);
    await w.write({ row: 2, status: 'created' }, ['a', 'b', 'c']);
    await w.commit();
    const rows = await readCsvCells(path);
    expect(rows[0]!.slice(RESULT_COLUMNS.length)).to.deep.equal([`'=HYPERLINK("http://x")`, "'@note", 'name']);
  });

  it('abort leaves nothing behind and keeps an earlier file', async () => {
    const path = join(dir, 'results.csv');
    const first = await ResultsWriter.create(path, []);
    await first.write({ row: 2, status: 'created' }, []);
    await first.commit();
    const before = await readFile(path, 'utf8');
    const second = await ResultsWriter.create(path, []);
    await second.write({ row: 2, status: 'failed' }, []);
    await second.abort();
    expect(await readdir(dir)).to.deep.equal(['results.csv']);
    expect(await readFile(path, 'utf8')).to.equal(before);
  });

  it('streams many rows with backpressure', async () => {
    const path = join(dir, 'big.csv');
    const w = await ResultsWriter.create(path, ['note']);
    for (let i = 0; i < 20_000; i++) {
      await w.write({ row: i + 2, status: 'planned', amount: '1.00' }, [`note ${i}`]);
    }
    await w.commit();
    const rows = await readCsvCells(path);
    expect(rows).to.have.length(20_001);
    expect(rows[20_000]!.at(-1)).to.equal('note 19999');
  });
});
