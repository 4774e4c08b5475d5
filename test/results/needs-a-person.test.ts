import { join } from 'node:path';
import { expect } from 'chai';
import { openPayeeCsv } from '../../src/input/csv-reader.js';
import { Planner } from '../../src/plan/planner.js';
import { RUN_STATUSES } from '../../src/results/columns.js';
import { writeReport } from '../../src/results/report.js';
import { KEPT_FOR_A_PERSON, NeedsAPerson } from '../../src/results/tally.js';
import { removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

describe('results: NeedsAPerson (the rows a person must look at)', () => {
  it('counts every invalid, failed and review row, and keeps only the first ones', () => {
    const people = new NeedsAPerson(3);
    for (let row = 2; row < 12; row++) {
      people.add({ row, status: row % 2 ? 'failed' : 'invalid', errorMessage: `reason ${row}` });
    }
    people.add({ row: 12, status: 'review', errorMessage: 'repeats' });
    expect(people.count).to.equal(11);
    expect(people.first.map((p) => [p.row, p.status, p.errorMessage])).to.deep.equal([
      [2, 'invalid', 'reason 2'],
      [3, 'failed', 'reason 3'],
      [4, 'invalid', 'reason 4'],
    ]);
  });

  it('ignores rows that need no person: created, planned, and unresolved or pending (a rerun settles them)', () => {
    const people = new NeedsAPerson();
    for (const status of ['created', 'planned', 'unresolved', 'pending'] as const) {
      people.add({ row: 2, status, errorMessage: 'x' });
    }
    expect(people.count).to.equal(0);
    expect(people.first).to.deep.equal([]);
  });

  it('keeps at most 100 by default, each cell on one line and bounded, empty cells left out', () => {
    const people = new NeedsAPerson();
    for (let row = 0; row < 1000; row++) {
      people.add({ row, status: 'invalid', errorMessage: `line one\r\nline   two ${'x'.repeat(2000)}`, amount: '' });
    }
    expect(KEPT_FOR_A_PERSON).to.equal(100);
    expect(people.first).to.have.length(100);
    expect(people.count).to.equal(1000);
    const first = people.first[0]!;
    expect(first.errorMessage.startsWith('line one line two x')).to.equal(true);
    expect(first.errorMessage).to.not.match(/[\r\n]/);
    expect(first.errorMessage.length).to.be.at.most(500);
    expect(first).to.not.have.property('amount');
    expect(first).to.not.have.property('paymentId');
  });
});

describe('results: writeReport collects the rows needing a person as it writes them', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('in input order, invalid rows with their cells as given and valid rows as reported', async () => {
    const file =
      'paymentId,destination,amount\n' +
      `P1,${UUIDS.a},10.00\n` +
      'P2,acct-1,1.00\n' +
      `P3,${UUIDS.b},2.50\n` +
      `P4,${UUIDS.c},abc\n` +
      `P5,${UUIDS.c},3.00\n`;
    const csv = await openPayeeCsv(await writeCsv(dir, 'in.csv', file));
    const people = new NeedsAPerson();
    await writeReport({
      csv,
      planner: new Planner(csv.header, {
        batchId: 'b',
        allowDuplicates: false,
        defaultSourceId: UUIDS.source,
        maxAmountCents: 1_000_000,
      }),
      linesPath: join(dir, 'results.csv'),
      summaryPath: join(dir, 'summary.json'),
      statuses: RUN_STATUSES,
      describe: (row) =>
        row.payment.paymentId === 'P3'
          ? { status: 'failed', shown: { errorCode: 'Invalid', errorMessage: 'Dwolla said no' }, sameDay: false }
          : { status: row.payment.paymentId === 'P5' ? 'pending' : 'created', sameDay: false },
      people,
      summarize: (tally) =>
        tally.summary({
          batchId: 'b',
          inputDigest: csv.digest(),
          startedAt: 's',
          finishedAt: 'f',
          thisRun: { sent: 0, created: 0, foundByLookup: 0, held: 0 },
          api: { env: 'simulator' },
          exitCode: 1,
        }),
    });
    expect(people.count).to.equal(3);
    expect(people.first.map((p) => [p.row, p.status, p.paymentId, p.destination, p.amount])).to.deep.equal([
      [3, 'invalid', 'P2', 'acct-1', '1.00'],
      [4, 'failed', 'P3', UUIDS.b, '2.50'],
      [5, 'invalid', 'P4', UUIDS.c, 'abc'],
    ]);
    expect(people.first[0]!.errorMessage).to.match(/destination/);
    expect(people.first[1]!.errorMessage).to.equal('Dwolla said no');
  });
});
