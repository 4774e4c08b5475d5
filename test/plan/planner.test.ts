import { expect } from 'chai';
import fc from 'fast-check';
import { openPayeeCsv } from '../../src/input/csv-reader.js';
import type { InvalidRow, PlannedRow, PlanSettings, TotalRow, ValidRow } from '../../src/plan/planner.js';
import { Planner } from '../../src/plan/planner.js';
import { planCsv, removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

const SETTINGS = { batchId: 'b', allowDuplicates: false, defaultSourceId: UUIDS.source, maxAmountCents: 1_000_000 };

const HEADER = 'paymentId,correlationId,destination,amount,name\n';

describe('plan', () => {
  it('a repeated paymentId is invalid and names the first row', async () => {
    const rows = await planCsv(`${HEADER}P1,,${UUIDS.a},1.00,x\nP2,,${UUIDS.a},2.00,y\nP1,,${UUIDS.b},3.00,z\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'invalid']);
    expect((rows[2] as InvalidRow).errors).to.deep.equal(["paymentId: 'P1' repeats row 2"]);
  });

  it('a repeated correlationId is invalid and names the first row', async () => {
    const rows = await planCsv(`${HEADER},C1,${UUIDS.a},1.00,x\n,C1,${UUIDS.b},2.00,y\n`);
    expect(rows[1]!.status).to.equal('invalid');
    expect((rows[1] as InvalidRow).errors.join()).to.contain("correlationId: 'C1' repeats row 2");
  });

  it('an identical row is invalid without --allow-duplicates, naming the first', async () => {
    const rows = await planCsv(`${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,other name\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'invalid']);
    expect((rows[1] as InvalidRow).errors.join()).to.contain('identical to row 2');
  });

  it('identical rows get distinct keys with --allow-duplicates', async () => {
    const rows = await planCsv(`${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,x\n`, {
      allowDuplicates: true,
    });
    expect(rows.every((r) => r.status === 'valid')).to.equal(true);
    const keys = rows.map((r) => (r as ValidRow).key);
    expect(new Set(keys).size).to.equal(3);
  });

  it('identical content with different paymentIds is two payments', async () => {
    const rows = await planCsv(`${HEADER}P1,,${UUIDS.a},1.00,x\nP2,,${UUIDS.a},1.00,x\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid']);
  });

  it('rows differing in any sent field are not identical', async () => {
    const rows = await planCsv(
      `destination,amount,metadata.n\n${UUIDS.a},1.00,a\n${UUIDS.a},1.00,b\n${UUIDS.a},1.01,a\n${UUIDS.b},1.00,a\n`,
    );
    expect(rows.every((r) => r.status === 'valid')).to.equal(true);
  });

  it('row numbers are the line each record starts on, counting blank lines and multi-line fields', async () => {
    const text = `${HEADER}\nP1,,${UUIDS.a},1.00,"two\nlines"\n\n\nP2,,${UUIDS.a},2.00,x\n`;
    const rows = await planCsv(text);
    expect(rows.map((r) => r.line)).to.deep.equal([3, 7]);
  });
});

describe('plan: a total row', () => {
  const BODY = `name,destination,amount\nAl,${UUIDS.a},10.00\nBo,${UUIDS.b},20.00\n`;

  function total(row: PlannedRow | undefined): TotalRow {
    expect(row?.status, row?.status === 'invalid' ? row.errors.join('; ') : '').to.equal('total');
    return row as TotalRow;
  }

  it('the last row, labelled Total, with the sum of the rows above, is a total row, not a payment', async () => {
    const rows = await planCsv(`${BODY}Total,,30.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'total']);
    const t = total(rows[2]);
    expect(t.line).to.equal(4);
    expect(t.message).to.equal('total row: 30.00, matches the sum of the 2 rows above');
  });

  for (const label of ['TOTAL:', 'Grand total', ' total ', 'Totals']) {
    it(`'${label}' labels a total row`, async () => {
      total((await planCsv(`${BODY}"${label}",,30.00\n`))[2]);
    });
  }

  it('without a label, an amount that is the sum of the rows above makes a total row', async () => {
    total((await planCsv(`${BODY},,30.00\n`))[2]);
  });

  it('a spreadsheet total ($ and thousands) is read like any amount and kept as given', async () => {
    const rows = await planCsv(`${BODY.replace('10.00', '"$1,000.00"')}Total,,"$1,020.00"\n`);
    const t = total(rows[2]);
    expect(t.given.amount).to.equal('$1,020.00');
    expect(t.message).to.contain('1020.00');
  });

  it('a labelled total that is not the sum is invalid, so that a person looks', async () => {
    const rows = await planCsv(`${BODY}Total,,31.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'invalid']);
    expect((rows[2] as InvalidRow).errors).to.deep.equal([
      'total row says 31.00 but the 2 rows above sum to 30.00: a row may be missing or changed',
    ]);
  });

  it('the sum counts every row above whose amount can be read, invalid ones too', async () => {
    const rows = await planCsv(`${BODY}Cy,not-a-uuid,5.00\nDi,${UUIDS.c},(4.00)\nTotal,,35.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'invalid', 'invalid', 'total']);
    expect(total(rows[4]).message).to.equal('total row: 35.00, matches the sum of the 3 rows above');
  });

  it('is only ever the last row: the same row earlier is a row without a destination', async () => {
    const rows = await planCsv(`${BODY}Total,,30.00\nCy,${UUIDS.c},1.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'invalid', 'valid']);
    expect((rows[2] as InvalidRow).errors.join()).to.contain('destination: missing');
  });

  it('blank lines after it do not matter: it is the last non-blank record', async () => {
    const rows = await planCsv(`${BODY}Total,,30.00\n\n,,\n`);
    expect(total(rows[2]).line).to.equal(4);
    expect(rows).to.have.length(3);
  });

  it('a last row with a destination, a paymentId or an unreadable amount is planned as a row', async () => {
    const withId = await planCsv(`paymentId,${BODY.replace(/\n(?=.)/g, '\n,')}P9,Total,,30.00\n`);
    expect((withId[2] as InvalidRow).errors)
      .to.have.length(1)
      .and.satisfy((e: string[]) => e[0]!.startsWith('destination: missing'));
    const withDestination = await planCsv(`${BODY}Total,${UUIDS.c},30.00\n`);
    expect(withDestination[2]!.status).to.equal('valid');
    const unreadable = await planCsv(`${BODY}Total,,"30,00"\n`);
    expect((unreadable[2] as InvalidRow).errors.join()).to.contain('decimal comma');
  });

  it('a last row naming a destinationEmail is a payee, not a total', async () => {
    const rows = await planCsv(
      `name,destination,destinationEmail,amount\nAl,${UUIDS.a},,10.00\nTotal,,al@example.com,10.00\n`,
    );
    expect(rows[1]!.status).to.not.equal('total');
  });

  it('an unlabelled lone 0.00 without a destination is an invalid row, not a total of nothing', async () => {
    const rows = await planCsv('name,destination,amount\nAl,,0.00\n');
    expect(rows[0]!.status).to.equal('invalid');
  });

  it('a total equal to the one row above is not a copy of it, and leaves its key alone', async () => {
    const one = `name,destination,amount\nAl,${UUIDS.a},10.00\n`;
    const alone = await planCsv(one);
    const rows = await planCsv(`${one},,10.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'total']);
    expect((rows[0] as ValidRow).key).to.equal((alone[0] as ValidRow).key);
  });

  it('is found after thousands of rows, across the reader batches, every row in order', async () => {
    const n = 5000;
    const lines = Array.from({ length: n }, (_, i) => `P${i},payee ${i},${UUIDS.a},1.01`).join('\n');
    const dir = await tempDir();
    try {
      const file = await writeCsv(dir, 'in.csv', `paymentId,name,destination,amount\n${lines}\n,TOTAL,,"$5,050.00"\n`);
      const csv = await openPayeeCsv(file);
      const planner = new Planner(csv.header, SETTINGS);
      const batches: PlannedRow[][] = [];
      for await (const batch of planner.rowBatches(csv.batches)) {
        batches.push(batch);
      }
      expect(batches.length).to.be.greaterThan(2);
      const rows = batches.flat();
      expect(rows.map((r) => r.line)).to.deep.equal(Array.from({ length: n + 1 }, (_, i) => i + 2));
      expect(rows.slice(0, n).every((r) => r.status === 'valid')).to.equal(true);
      expect(total(rows[n]).message).to.equal(`total row: 5050.00, matches the sum of the ${n} rows above`);
    } finally {
      await removeDir(dir);
    }
  });
});

describe('plan: a later pass given what the first found repeated (Planner.repeated)', () => {
  /** Plans `text` twice: once in full, once more given the first pass's repeats; both passes' rows. */
  async function twoPasses(text: string, settings: Partial<PlanSettings> = {}) {
    const dir = await tempDir();
    try {
      const path = await writeCsv(dir, 'in.csv', text);
      const pass = async (more: Partial<PlanSettings>) => {
        const csv = await openPayeeCsv(path);
        const planner = new Planner(csv.header, { ...SETTINGS, ...settings, ...more });
        const rows: PlannedRow[] = [];
        for await (const row of planner.rows(csv.batches)) {
          rows.push(row);
        }
        return { rows, repeated: planner.repeated() };
      };
      const first = await pass({});
      const later = await pass({ repeated: first.repeated });
      return { first: first.rows, later: later.rows, repeated: first.repeated };
    } finally {
      await removeDir(dir);
    }
  }

  it('plans every row as the first pass did, over random files of repeated paymentIds, correlationIds and rows', async () => {
    const dests = [UUIDS.a, UUIDS.b];
    const cell = (xs: string[]) => fc.constantFrom('', ...xs);
    const row = fc
      .tuple(cell(['P1', 'P2', 'P3']), cell(['C1', 'C2']), fc.constantFrom(...dests), fc.constantFrom('1.00', '2.00'))
      .map((cells) => cells.join(','));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), fc.boolean(), async (rows, allowDuplicates) => {
        const text = `paymentId,correlationId,destination,amount\n${rows.join('\n')}\n`;
        const { first, later } = await twoPasses(text, { allowDuplicates });
        expect(later).to.deep.equal(first);
      }),
      { numRuns: 60, seed: 20261202 },
    );
  });

  it('indexes only the values seen more than once', async () => {
    const text = `${HEADER}P1,C1,${UUIDS.a},1.00,x\nP2,,${UUIDS.a},2.00,y\nP1,C1,${UUIDS.b},3.00,z\n,,${UUIDS.b},4.00,u\n,,${UUIDS.b},4.00,v\n`;
    const { repeated } = await twoPasses(text);
    expect([repeated.paymentIds.entries, repeated.correlationIds.entries, repeated.contents.entries]).to.deep.equal([
      1, 1, 1,
    ]);
  });

  it('a repeat the first pass did not see (the file changed since) gives both rows one key: one payment, never two', async () => {
    const dir = await tempDir();
    try {
      const path = await writeCsv(dir, 'in.csv', `${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.b},1.00,y\n`);
      let csv = await openPayeeCsv(path);
      const first = new Planner(csv.header, { ...SETTINGS, allowDuplicates: true });
      for await (const _ of first.rows(csv.batches)) {
        // the first pass
      }
      await writeCsv(dir, 'in.csv', `${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,x\n`);
      csv = await openPayeeCsv(path);
      const later = new Planner(csv.header, { ...SETTINGS, allowDuplicates: true, repeated: first.repeated() });
      const keys: string[] = [];
      for await (const row of later.rows(csv.batches)) {
        keys.push((row as ValidRow).key);
      }
      expect(keys[0]).to.equal(keys[1]);
    } finally {
      await removeDir(dir);
    }
  });
});
