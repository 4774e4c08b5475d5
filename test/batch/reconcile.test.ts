import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { RECONCILE_COLUMNS, RESULT_COLUMNS } from '../../src/results/columns.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { type CsvRow, journalOf, readCsvRows, removeDir, runCli, tempDir, UUIDS, writeCsv } from '../helpers.js';
import { DEFAULT_SOURCE, SIM_ENV } from './helpers.js';

const DAY = 24 * 3600 * 1000;

async function readResults(path: string): Promise<{ header: string[]; rows: CsvRow[] }> {
  const text = await readFile(path, 'utf8');
  return { header: (parse(text, { to_line: 1 }) as string[][])[0]!, rows: await readCsvRows(path) };
}

describe('payouts reconcile (built CLI against a simulator)', () => {
  let dir: string;
  let sim: SimulatorHandle;
  beforeEach(async () => {
    dir = await tempDir();
    sim = await startSimulator({ port: 0 });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  it('records statuses and ACH returns in the journal and results.csv; safe to run again; a later run keeps the columns', async () => {
    const file = await writeCsv(
      dir,
      'pay.csv',
      `paymentId,destination,amount,name\nP1,${UUIDS.a},10.00,Ann\nP2,${SPECIAL_IDS.r01Bank},20.00,Bob\nP3,${SPECIAL_IDS.r03Bank},30.00,Cy\nP4,x,1.00,bad\n`,
    );
    const out = join(dir, 'out');
    const common = ['--api-url', sim.url, '--out', out, '--log-level', 'warn'];
    const run = await runCli(['run', file, '--source', DEFAULT_SOURCE, ...common], { env: SIM_ENV });
    expect(run.code, run.stderr).to.equal(1); // P4 is invalid

    let r = await runCli(['reconcile', 'pay', ...common], { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('3 pending');
    let results = await readResults(join(out, 'pay', 'results.csv'));
    expect(results.header).to.deep.equal([...RESULT_COLUMNS, ...RECONCILE_COLUMNS, 'name']);
    expect(results.rows.map((x) => x.transferStatus)).to.deep.equal(['pending', 'pending', 'pending', '']);

    sim.advanceClock(2 * DAY);
    r = await runCli(['reconcile', 'pay', ...common], { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(1);
    results = await readResults(join(out, 'pay', 'results.csv'));
    expect(results.rows.map((x) => [x.paymentId, x.status, x.transferStatus, x.returnCode])).to.deep.equal([
      ['P1', 'created', 'processed', ''],
      ['P2', 'created', 'failed', 'R01'],
      ['P3', 'created', 'failed', 'R03'],
      ['P4', 'invalid', '', ''],
    ]);
    expect(results.rows[1]!.returnReason).to.match(/insufficient funds/i);
    expect(results.rows.map((x) => x.name)).to.deep.equal(['Ann', 'Bob', 'Cy', 'bad']);

    const journal = (await readFile(journalOf('pay', sim.url), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(journal.filter((x) => x.type === 'reconcile')).to.have.length(6);

    // Again: the same answer, the columns not doubled.
    r = await runCli(['reconcile', 'pay', ...common], { env: SIM_ENV });
    expect(r.code).to.equal(1);
    const again = await readResults(join(out, 'pay', 'results.csv'));
    expect(again.header).to.deep.equal(results.header);
    expect(again.rows).to.deep.equal(results.rows);

    // The same run again sends nothing and keeps what reconcile learnt.
    const created = sim.stats().transfersCreated;
    const rerun = await runCli(['run', file, '--source', DEFAULT_SOURCE, ...common], { env: SIM_ENV });
    expect(rerun.code, rerun.stderr).to.equal(1);
    expect(sim.stats().transfersCreated).to.equal(created);
    const afterRun = await readResults(join(out, 'pay', 'results.csv'));
    expect(afterRun.header).to.deep.equal(results.header);
    expect(afterRun.rows.map((x) => x.returnCode)).to.deep.equal(['', 'R01', 'R03', '']);
  });

  it('exits 2 for an unknown batch and for the embedded simulator', async () => {
    const unknown = await runCli(['reconcile', 'nope', '--api-url', sim.url, '--out', dir], { env: SIM_ENV });
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('no batch nope');
    const embedded = await runCli(['reconcile', 'nope', '--out', dir]);
    expect(embedded.code).to.equal(2);
    expect(embedded.stderr).to.contain('--api-url');
  });

  it('exits 3 when transfers cannot be fetched, keeping what was known', async () => {
    const file = await writeCsv(dir, 'p.csv', `paymentId,destination,amount\nP1,${UUIDS.a},10.00\n`);
    const out = join(dir, 'out');
    const run = await runCli(
      ['run', file, '--source', DEFAULT_SOURCE, '--api-url', sim.url, '--out', out, '--log-level', 'warn'],
      { env: SIM_ENV },
    );
    expect(run.code, run.stderr).to.equal(0);
    const port = new URL(sim.url).port;
    await sim.close();
    const r = await runCli(
      [
        'reconcile',
        'p',
        '--api-url',
        `http://127.0.0.1:${port}`,
        '--out',
        out,
        '--max-attempts',
        '1',
        '--log-level',
        'warn',
      ],
      { env: SIM_ENV },
    );
    sim = await startSimulator({ port: 0 });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.contain('1 not reachable');
  });
});
