import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { type CsvRecord, openPayeeCsv } from '../../src/input/csv-reader.js';
import { UsageError } from '../../src/input/usage-error.js';
import { removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

async function readAll(text: string | Buffer) {
  const dir = await tempDir();
  try {
    const csv = await openPayeeCsv(await writeCsv(dir, 'in.csv', text));
    const records: CsvRecord[] = [];
    for await (const r of csv.records) {
      records.push(r);
    }
    return { header: csv.header, records, digest: csv.digest() };
  } finally {
    await removeDir(dir);
  }
}

async function expectUsage(text: string | Buffer, code: string, fragment: string, line?: number): Promise<void> {
  try {
    await readAll(text);
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    const e = err as UsageError;
    expect(e.code).to.equal(code);
    expect(e.message).to.contain(fragment);
    if (line !== undefined) {
      expect(e.line).to.equal(line);
    }
    return;
  }
  expect.fail(`expected UsageError ${code}`);
}

describe('csv-reader', () => {
  it('matches header names case-insensitively after trimming, and sorts the columns', async () => {
    const { header } = await readAll(' Destination , AMOUNT,metadata.Invoice,Name,paymentid\nx,1,i,n,p\n');
    expect(header.known).to.deep.equal({ destination: 0, amount: 1, paymentId: 4 });
    expect(header.metadata).to.deep.equal([{ key: 'Invoice', index: 2 }]);
    expect(header.carried).to.deep.equal([{ name: 'Name', index: 3 }]);
  });

  it('tolerates a BOM and CRLF, quoted commas and newlines, blank lines', async () => {
    const text = `\uFEFFdestination,amount,notes\r\n${UUIDS.a},1.00,"a, b"\r\n\r\n${UUIDS.b},2.00,"line1\r\nline2"\r\n   \r\n,,\r\n${UUIDS.c},3.00,""""\r\n`;
    const { header, records } = await readAll(text);
    expect(header.names).to.deep.equal(['destination', 'amount', 'notes']);
    expect(records.map((r) => r.line)).to.deep.equal([2, 4, 8]);
    expect(records.map((r) => r.cells[2])).to.deep.equal(['a, b', 'line1\r\nline2', '"']);
    expect(records.every((r) => r.fieldCountError === undefined)).to.equal(true);
  });

  it('a ragged row is yielded with its field-count error; the rows after it are fine', async () => {
    const { records } = await readAll(
      `destination,amount,name\n${UUIDS.a},1.00\n${UUIDS.b},2.00,x,y\n${UUIDS.c},3.00,z\n${UUIDS.c},4.00,z,,\n`,
    );
    expect(records.map((r) => r.fieldCountError)).to.deep.equal([
      'has 2 fields where the header has 3',
      'has 4 fields where the header has 3',
      undefined,
      undefined,
    ]);
  });

  it('an unclosed quote is a usage error naming the line', async () => {
    await expectUsage(
      `destination,amount,name\n${UUIDS.a},1.00,ok\n${UUIDS.b},2.00,"never closed\n${UUIDS.c},3.00,x\n`,
      'INPUT_MALFORMED',
      'quoted field is never closed',
    );
  });

  it('non-UTF-8 bytes are a usage error naming the line', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`destination,amount,name\n${UUIDS.a},1.00,ok\n${UUIDS.b},2.00,Jos`),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    await expectUsage(latin1, 'INPUT_NOT_UTF8', 'not UTF-8', 3);
  });

  it('a truncated multi-byte character at the end is not UTF-8', async () => {
    await expectUsage(
      Buffer.concat([Buffer.from('destination,amount\nx,1,'), Buffer.from([0xe2, 0x82])]),
      'INPUT_NOT_UTF8',
      'not UTF-8',
    );
  });

  it('multi-byte characters across read chunks are decoded whole', async () => {
    const name = 'Zoë 日本 😀'.repeat(20);
    const lines = Array.from({ length: 5000 }, (_, i) => `${UUIDS.a},${i}.00,${name}`);
    const text = `destination,amount,name\n${lines.join('\n')}\n`;
    const { records, digest } = await readAll(text);
    expect(records).to.have.length(5000);
    expect(records.every((r) => r.cells[2] === name)).to.equal(true);
    expect(digest).to.equal(createHash('sha256').update(text).digest('hex'));
  });

  it('a missing amount header is a usage error', async () => {
    await expectUsage(`destination,amt\n${UUIDS.a},1.00\n`, 'INPUT_MISSING_COLUMN', "no 'amount' column", 1);
  });

  it('an empty file is a usage error', async () => {
    await expectUsage('', 'INPUT_EMPTY', 'empty');
    await expectUsage('\n\n\r\n', 'INPUT_EMPTY', 'empty');
  });

  it('a header naming a column twice is a usage error', async () => {
    await expectUsage('destination,amount,Amount\n', 'INPUT_BAD_HEADER', 'appears twice');
  });

  it('a header-only file has no records', async () => {
    const { records } = await readAll('destination,amount\n');
    expect(records).to.deep.equal([]);
  });

  it('a missing file is a usage error', async () => {
    try {
      await openPayeeCsv('/nonexistent/payees.csv');
      expect.fail('expected an error');
    } catch (err) {
      expect(err).to.be.instanceOf(UsageError);
      expect((err as UsageError).code).to.equal('INPUT_UNREADABLE');
    }
  });

  it('the digest is of the bytes: any change changes it', async () => {
    const a = await readAll(`destination,amount\n${UUIDS.a},1.00\n`);
    const b = await readAll(`destination,amount\n${UUIDS.a},1.01\n`);
    expect(a.digest).to.match(/^[0-9a-f]{64}$/);
    expect(a.digest).not.to.equal(b.digest);
  });

  it('batches hand over the same records as records, in order, over many reads of the file', async () => {
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `${UUIDS.a},${i}.00,"n ${i}${i % 7 === 0 ? '\nsecond line' : ''}"`,
    );
    const text = `destination,amount,name\n${lines.join('\n')}\n`;
    const dir = await tempDir();
    try {
      const path = await writeCsv(dir, 'in.csv', text);
      const one = await readAll(text);
      const csv = await openPayeeCsv(path);
      const batched: CsvRecord[] = [];
      let batches = 0;
      for await (const batch of csv.batches) {
        batches++;
        batched.push(...batch);
      }
      expect(batches).to.be.greaterThan(1);
      expect(batched).to.deep.equal(one.records);
      expect(batched.at(-1)!.line).to.equal(1 + 3000 + Math.ceil(3000 / 7));
      expect(csv.digest()).to.equal(one.digest);
    } finally {
      await removeDir(dir);
    }
  });

  it('a quote never closed far into the file is a usage error', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${UUIDS.a},${i}.00,ok`);
    await expectUsage(
      `destination,amount,name\n${lines.join('\n')}\n${UUIDS.b},2.00,"never closed\n${UUIDS.c},3.00,x\n`,
      'INPUT_MALFORMED',
      'quoted field is never closed',
    );
  });

  it('LF, CRLF and CR line ends, mixed in one file and first met far into it, end records alike', async () => {
    const lf = Array.from({ length: 4000 }, (_, i) => `${UUIDS.a},${i}.00,lf ${i}`).join('\n');
    const text = `destination,amount,name\n${lf}\n${UUIDS.b},1.00,crlf\r\n${UUIDS.c},2.00,"a\rb"\r${UUIDS.c},3.00,cr\r\n`;
    const { records } = await readAll(text);
    expect(records).to.have.length(4003);
    expect(records.slice(-3).map((r) => [r.line, r.cells[2]])).to.deep.equal([
      [4002, 'crlf'],
      [4003, 'a\rb'],
      [4005, 'cr'],
    ]);
    const lfOnly = await readAll(`destination,amount,name\n${lf}\n`);
    expect(lfOnly.records.map((r) => r.cells)).to.deep.equal(records.slice(0, 4000).map((r) => r.cells));
  });

  it('a named pipe is read once, as a file is: no scan for CR before the parse', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    this.timeout(10_000); // a pipe opened twice hangs
    const dir = await tempDir();
    try {
      const path = join(dir, 'in.csv');
      execFileSync('sh', ['-c', 'mkfifo "$0"', path]);
      const text = `destination,amount,name\n${UUIDS.a},1.00,"a\r\nb"\r\n${UUIDS.b},2.00,c\n`;
      const writing = writeFile(path, text);
      const csv = await openPayeeCsv(path);
      const seen: Array<[number, string | undefined]> = [];
      for await (const r of csv.records) {
        seen.push([r.line, r.cells[2]]);
      }
      await writing;
      expect(seen).to.deep.equal([
        [2, 'a\r\nb'],
        [4, 'c'],
      ]);
    } finally {
      await removeDir(dir);
    }
  });
});
