import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { openPayeeCsv } from '../../src/input/csv-reader.js';
import { type InvalidRow, Planner } from '../../src/plan/planner.js';
import { PLAN_STATUSES, RESULT_COLUMNS } from '../../src/results/columns.js';
import { writeReport, writeSummary } from '../../src/results/report.js';
import type { Tally } from '../../src/results/tally.js';
import { type CsvRow, readCsvRows, removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

const SETTINGS = { batchId: 'b', allowDuplicates: false, defaultSourceId: UUIDS.source, maxAmountCents: 1_000_000 };
/** Above any pid_max: never a live process. */
const DEAD_PID = 2 ** 31 - 1;
const FILE = `paymentId,destination,amount,name\nP1,${UUIDS.a},10.00,Ann\nP2,x,1.00,bad\nP3,${UUIDS.b},2.50,Cy\n`;

describe('results: writeReport', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  async function report(summarize: (tally: Tally) => void = () => undefined, file = FILE) {
    const csv = await openPayeeCsv(await writeCsv(dir, 'in.csv', file));
    const invalid: InvalidRow[] = [];
    const summary = await writeReport({
      csv,
      planner: new Planner(csv.header, SETTINGS),
      linesPath: join(dir, 'out', 'plan.csv'),
      summaryPath: join(dir, 'out', 'plan.json'),
      statuses: PLAN_STATUSES,
      describe: (row) => ({
        status: 'planned',
        shown: { clearing: row.payment.amountCents > 500 ? 'same-day' : 'standard', attempts: 3 },
        sameDay: row.payment.amountCents > 500,
      }),
      onInvalid: (row) => invalid.push(row),
      summarize: (tally) => {
        summarize(tally);
        return tally.summary({
          batchId: 'b',
          inputDigest: csv.digest(),
          startedAt: 's',
          finishedAt: 'f',
          thisRun: { sent: 0, created: 0, foundByLookup: 0, held: 0 },
          api: { env: 'simulator' },
          exitCode: 1,
        });
      },
    });
    return { summary, invalid };
  }

  it('writes every row in input order, with what is shown of it, then the summary', async () => {
    await mkdir(join(dir, 'out'));
    const { summary, invalid } = await report();
    expect(invalid.map((r) => r.line)).to.deep.equal([3]);
    const rows: CsvRow[] = await readCsvRows(join(dir, 'out', 'plan.csv'));
    expect(rows.map((r) => [r.row, r.status, r.paymentId, r.clearing, r.attempts, r.name])).to.deep.equal([
      ['2', 'planned', 'P1', 'same-day', '3', 'Ann'],
      ['3', 'invalid', 'P2', '', '', 'bad'],
      ['4', 'planned', 'P3', 'standard', '3', 'Cy'],
    ]);
    expect(Object.keys(rows[0]!)).to.deep.equal([...RESULT_COLUMNS, 'name']);
    expect(summary.byStatus).to.deep.equal({
      planned: { count: 2, total: '12.50' },
      invalid: { count: 1, total: '1.00' },
    });
    expect(summary.sameDay).to.deep.equal({ count: 1, total: '10.00' });
    expect(JSON.parse(await readFile(join(dir, 'out', 'plan.json'), 'utf8'))).to.deep.equal(summary);
  });

  it('writes a total row as such, amount as given, apart from the rows the summary counts', async () => {
    await mkdir(join(dir, 'out'));
    const { summary } = await report(undefined, `${FILE},,"$13.50",Total\n`);
    const rows: CsvRow[] = await readCsvRows(join(dir, 'out', 'plan.csv'));
    expect(rows.map((r) => [r.row, r.status, r.amount, r.name])).to.deep.equal([
      ['2', 'planned', '10.00', 'Ann'],
      ['3', 'invalid', '1.00', 'bad'],
      ['4', 'planned', '2.50', 'Cy'],
      ['5', 'total', '$13.50', 'Total'],
    ]);
    expect(rows[3]!.errorMessage).to.equal('total row: 13.50, matches the sum of the 3 rows above');
    expect(rows[3]!.idempotencyKey).to.equal('');
    expect(summary.rows).to.equal(3);
    expect(summary.byStatus).to.deep.equal({
      planned: { count: 2, total: '12.50' },
      invalid: { count: 1, total: '1.00' },
    });
    expect(summary.totalRow).to.deep.equal({ row: 5, amount: '13.50' });
  });

  it("removes the temp files of a killed earlier report before writing, and keeps a live process's", async () => {
    await mkdir(join(dir, 'out'));
    const orphans = ['.plan.csv', '.plan.json'].map((n) => `${n}.${DEAD_PID}.1700000000000.tmp`);
    const live = `.plan.csv.${process.pid}.1700000000000.tmp`;
    const other = `.results.csv.${DEAD_PID}.1700000000000.tmp`;
    for (const name of [...orphans, live, other]) {
      await writeCsv(dir, `out/${name}`, 'half a file');
    }
    await report();
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal([other, live, 'plan.csv', 'plan.json'].sort());
  });

  it("writeSummary alone removes its own file's temp files left by a killed write, and no other", async () => {
    await mkdir(join(dir, 'out'));
    const orphan = `.summary.json.${DEAD_PID}.1700000000000.tmp`;
    const live = `.summary.json.${process.pid}.1700000000000.tmp`;
    const other = `.results.csv.${DEAD_PID}.1700000000000.tmp`;
    for (const name of [orphan, live, other]) {
      await writeCsv(dir, `out/${name}`, 'half a file');
    }
    const { summary } = await report();
    await writeSummary(join(dir, 'out', 'summary.json'), summary);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(
      [other, live, 'plan.csv', 'plan.json', 'summary.json'].sort(),
    );
  });

  it('a summary that throws leaves the earlier report as it was, and no temp file', async () => {
    await mkdir(join(dir, 'out'));
    await writeCsv(dir, 'out/plan.csv', 'earlier\n');
    await expectRejection(
      report(() => {
        throw new Error('no summary');
      }),
    );
    expect(await readFile(join(dir, 'out', 'plan.csv'), 'utf8')).to.equal('earlier\n');
    expect(await readdir(join(dir, 'out'))).to.deep.equal(['plan.csv']);
  });
});

async function expectRejection(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect((err as Error).message).to.equal('no summary');
    return;
  }
  throw new Error('expected a rejection');
}
