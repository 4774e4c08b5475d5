import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { type CsvReadOptions, type CsvRecord, openPayeeCsv } from '../../src/input/csv-reader.js';
import { parseColumnsOption } from '../../src/input/header.js';
import { UsageError } from '../../src/input/usage-error.js';
import { removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

/**
 * Every test below runs twice: with the file read on this thread, and on a worker thread
 * (src/input/csv-thread.ts; a real file is read there from THREAD_FROM_BYTES on, any file with
 * threadFromBytes 0). Both must yield the same records, digest and errors.
 */
const READINGS: Array<[string, CsvReadOptions]> = [
  ['', {}],
  [' (on a worker thread)', { threadFromBytes: 0 }],
];

for (const [how, thread] of READINGS) {
  async function readAll(text: string | Buffer, given: CsvReadOptions = {}) {
    const options = { ...thread, ...given };
    const dir = await tempDir();
    try {
      const csv = await openPayeeCsv(await writeCsv(dir, 'in.csv', text), options);
      const records: CsvRecord[] = [];
      for await (const r of csv.records) {
        records.push(r);
      }
      return { header: csv.header, records, digest: csv.digest() };
    } finally {
      await removeDir(dir);
    }
  }

  async function expectUsage(
    text: string | Buffer,
    code: string,
    fragment: string,
    line?: number,
    options: CsvReadOptions = {},
  ): Promise<void> {
    try {
      await readAll(text, { ...thread, ...options });
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

  describe(`csv-reader${how}`, () => {
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

    it('a bad header is reported as such even when a quote never closed follows it: the records before a failure come first', async () => {
      // The quote swallows the rest of the file (a megabyte, many reads): the header is read long before.
      const rows = Array.from({ length: 10 }, (_, i) => `${UUIDS.a},${i + 1}.00`).join('\n');
      const text = `destination,amt\n${rows}\n${UUIDS.b},"never closed ${'x'.repeat(1024 * 1024)}\n`;
      await expectUsage(text, 'INPUT_MISSING_COLUMN', "no 'amount' column", 1);
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
        await openPayeeCsv('/nonexistent/payees.csv', thread);
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
        const csv = await openPayeeCsv(path, thread);
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
        const csv = await openPayeeCsv(path, thread);
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
    it('a header with destinationEmail and no destination column is read', async () => {
      const { header } = await readAll('Name,destinationEmail,amount\nAnn,ann@example.com,1.00\n');
      expect(header.known).to.deep.equal({ destinationEmail: 1, amount: 2 });
    });

    it('a header with neither destination nor destinationEmail names both', async () => {
      await expectUsage(
        'Name,amount\nAnn,1\n',
        'INPUT_MISSING_COLUMN',
        "no 'destination' (or 'destinationEmail') column",
      );
    });
  });

  describe(`csv-reader: delimiter${how}`, () => {
    const semicolons = `\uFEFFdestination;amount;Memo\r\n${UUIDS.a};1,234.56;"a; b"\r\n${UUIDS.b};2.00;x\r\n`;

    it('reads a semicolon-separated file (BOM, CRLF), detected from the header; the digest is of the bytes', async () => {
      const { header, records, digest } = await readAll(semicolons);
      expect(header.names).to.deep.equal(['destination', 'amount', 'Memo']);
      expect(records.map((r) => r.cells)).to.deep.equal([
        [UUIDS.a, '1,234.56', 'a; b'],
        [UUIDS.b, '2.00', 'x'],
      ]);
      expect(digest).to.equal(createHash('sha256').update(semicolons).digest('hex'));
    });

    it('reads a tab-separated file, detected from the header', async () => {
      const { header, records } = await readAll(`destination\tamount\tnote, with comma\n${UUIDS.a}\t1.00\tx, y\n`);
      expect(header.names).to.deep.equal(['destination', 'amount', 'note, with comma']);
      expect(records[0]!.cells).to.deep.equal([UUIDS.a, '1.00', 'x, y']);
    });

    it('counts delimiters outside quotes only, and a tie goes to the comma', async () => {
      const quoted = await readAll(`destination,amount,"a;b;c;d"\n${UUIDS.a},1.00,x\n`);
      expect(quoted.header.names).to.deep.equal(['destination', 'amount', 'a;b;c;d']);
      const tie = await readAll(`destination,amount,memo;x;y\n${UUIDS.a},1.00,x\n`);
      expect(tie.header.names).to.deep.equal(['destination', 'amount', 'memo;x;y']);
    });

    it('--delimiter overrides the detection', async () => {
      const { header, records } = await readAll(`destination;amount;a,b,c\n${UUIDS.a};1.00;x,y,z\n`, {
        delimiter: ';',
      });
      expect(header.names).to.deep.equal(['destination', 'amount', 'a,b,c']);
      expect(records[0]!.cells).to.deep.equal([UUIDS.a, '1.00', 'x,y,z']);
      const tab = await readAll(`destination\tamount\n${UUIDS.a}\t1.00\n`, { delimiter: '\t' });
      expect(tab.records[0]!.cells).to.deep.equal([UUIDS.a, '1.00']);
    });

    it('a comma forced on a semicolon file is a usage error with a hint', async () => {
      await expectUsage(
        `Name;Destination;Amount\nAnn;${UUIDS.a};1.00\n`,
        'INPUT_MISSING_COLUMN',
        "(found: Name;Destination;Amount): the header looks semicolon-separated; try --delimiter ';'",
        1,
        { delimiter: ',' },
      );
      await expectUsage(`Name\tDestination\tAmount\n`, 'INPUT_MISSING_COLUMN', 'try --delimiter tab', 1, {
        delimiter: ';',
      });
    });

    it('a header split into one cell without any delimiter gets no delimiter hint', async () => {
      try {
        await readAll('payee list\nAnn\n');
        expect.fail('expected a usage error');
      } catch (err) {
        expect((err as UsageError).message).not.to.contain('--delimiter');
      }
    });
  });

  describe(`csv-reader: --columns${how}`, () => {
    const quickbooks = `\uFEFFPayee Name;Funding Source;Amount (USD);Memo\r\nAnn;${UUIDS.a};$1,234.56;March\r\n`;
    const columns = (text: string) => ({ columns: parseColumnsOption(text) });

    it("maps the file's headers to the contract's columns, case-insensitively; the rest are carried", async () => {
      const { header, records } = await readAll(
        quickbooks,
        columns('amount (usd)=amount, Funding Source = destination,Memo=metadata.memo'),
      );
      expect(header.names).to.deep.equal(['Payee Name', 'Funding Source', 'Amount (USD)', 'Memo']);
      expect(header.known).to.deep.equal({ destination: 1, amount: 2 });
      expect(header.metadata).to.deep.equal([{ key: 'memo', index: 3 }]);
      expect(header.carried).to.deep.equal([{ name: 'Payee Name', index: 0 }]);
      expect(records[0]!.cells).to.deep.equal(['Ann', UUIDS.a, '$1,234.56', 'March']);
    });

    it('maps a header holding a comma or = written in double quotes', async () => {
      const { header } = await readAll(
        `"Amount, USD";"To=Account"\n1.00;${UUIDS.a}\n`,
        columns('"Amount, USD"=amount,"To=Account"=destination'),
      );
      expect(header.known).to.deep.equal({ amount: 0, destination: 1 });
    });

    it('a header the file lacks, or a column the file has under its own name too, is a usage error naming it', async () => {
      await expectUsage(quickbooks, 'INPUT_BAD_HEADER', "--columns: 'Amount' is not a header of the file", 1, {
        ...columns('Amount=amount,Funding Source=destination'),
      });
      await expectUsage(
        `Total,amount,destination\n1,1,${UUIDS.a}\n`,
        'INPUT_BAD_HEADER',
        "--columns maps 'Total' to 'amount', but the file has a 'amount' column too",
        1,
        columns('Total=amount'),
      );
    });

    it('the column a mapped header had is free for another: a swap is fine', async () => {
      const { header } = await readAll(
        `amount,destination,Pay\n1,${UUIDS.a},2\n`,
        columns('amount=feeAmount,Pay=amount'),
      );
      expect(header.known).to.deep.equal({ feeAmount: 0, destination: 1, amount: 2 });
    });

    it('a mapped header the wrong delimiter hid gets the delimiter hint', async () => {
      await expectUsage(quickbooks, 'INPUT_BAD_HEADER', "try --delimiter ';'", 1, {
        delimiter: ',',
        ...columns('Amount (USD)=amount'),
      });
    });

    it('missing required columns suggest the --columns line from headers that look like them', async () => {
      await expectUsage(
        quickbooks,
        'INPUT_MISSING_COLUMN',
        `try --columns "Amount (USD)=amount,Funding Source=destination"`,
        1,
      );
      await expectUsage(
        `Name,E-mail,"Amount, $"\nAnn,a@example.com,1\n`,
        'INPUT_MISSING_COLUMN',
        `try --columns '"Amount, $"=amount,E-mail=destinationEmail'`,
        1,
      );
      await expectUsage(`Payee,Sum\nAnn,1\n`, 'INPUT_MISSING_COLUMN', `map the file's own headers with --columns`, 1);
    });
  });
}
