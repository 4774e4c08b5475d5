import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { DwollaClient } from '../../src/dwolla/client.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { RECONCILE_COLUMNS, RESULT_COLUMNS } from '../../src/results/columns.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { type CsvRow, journalOf, readCsvRows, removeDir, runCli, tempDir, UUIDS, writeCsv } from '../helpers.js';
import { getToken, hal } from '../simulator/helpers.js';
import { DEFAULT_SOURCE, readJournalLines, SIM_ENV } from './helpers.js';

const BANK = SPECIAL_IDS.accountBank;

/** `POST /sandbox-simulations` over HTTP, as one would settle a sandbox batch (OpenAPI simulateBankTransferProcessing). */
async function sandboxSimulation(sim: SimulatorHandle): Promise<void> {
  const res = await fetch(`${sim.url}/sandbox-simulations`, {
    method: 'POST',
    headers: hal(await getToken(sim.url)),
    body: '{}',
  });
  expect(res.status).to.equal(200);
}

async function readResults(path: string): Promise<{ header: string[]; rows: CsvRow[] }> {
  const text = await readFile(path, 'utf8');
  return { header: (parse(text, { bom: true, to_line: 1 }) as string[][])[0]!, rows: await readCsvRows(path) };
}

interface Reconciled {
  type: 'reconcile';
  key: string;
  transferStatus: string;
  returnCode?: string;
  returnReason?: string;
  legs?: Array<{ id: string; status: string; returnCode?: string; returnReason?: string }>;
  fees?: Array<{ id: string; status: string; amount?: string; returnCode?: string }>;
}

/** The reconcile records of a batch's journal, oldest first. */
async function reconcileRecords(batchId: string, sim: SimulatorHandle): Promise<Reconciled[]> {
  return (await readJournalLines(journalOf(batchId, sim.url))).filter(
    (r) => r.type === 'reconcile',
  ) as unknown as Reconciled[];
}

/** The last reconcile record of each row (by idempotency key), in the rows' order. */
async function lastRecords(batchId: string, sim: SimulatorHandle, rows: readonly CsvRow[]): Promise<Reconciled[]> {
  const recs = await reconcileRecords(batchId, sim);
  return rows.map((row) => recs.filter((r) => r.key === row.idempotencyKey).pop()!);
}

describe('payouts reconcile (built CLI against a standalone simulator)', () => {
  let dir: string;
  let out: string;
  let sim: SimulatorHandle;
  let common: string[];
  beforeEach(async () => {
    dir = await tempDir();
    out = join(dir, 'out');
    sim = await startSimulator({ port: 0 });
    common = ['--api-url', sim.url, '--out', out, '--log-level', 'warn'];
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  const reconcile = (batchId: string) => runCli(['reconcile', batchId, ...common], { env: SIM_ENV });
  const run = (file: string, extra: string[] = []) =>
    runCli(['run', file, '--source', DEFAULT_SOURCE, ...common, ...extra], { env: SIM_ENV });

  it('a balance-sourced batch (single legs): pending until simulated, then processed or failed with its return; safe to run again', async () => {
    const file = await writeCsv(
      dir,
      'pay.csv',
      `paymentId,destination,amount,name\nP1,${UUIDS.a},10.00,Ann\nP2,${SPECIAL_IDS.r01Bank},20.00,Bob\nP3,${SPECIAL_IDS.r03Bank},30.00,Cy\nP4,x,1.00,bad\n`,
    );
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(1); // P4 is invalid

    let r = await reconcile('pay');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('3 transfers read: 3 pending.');
    expect(r.stdout).to.contain('Fee transfers: 0.');
    let results = await readResults(join(out, 'pay', 'results.csv'));
    expect(results.header).to.deep.equal([...RESULT_COLUMNS, ...RECONCILE_COLUMNS, 'name']);
    expect(results.rows.map((x) => x.transferStatus)).to.deep.equal(['pending', 'pending', 'pending', '']);

    sim.simulate();
    r = await reconcile('pay');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('3 transfers read: 1 processed, 2 failed.');
    expect(r.stdout).to.contain('2 rows need a person');
    results = await readResults(join(out, 'pay', 'results.csv'));
    expect(results.rows.map((x) => [x.paymentId, x.status, x.transferStatus, x.returnCode])).to.deep.equal([
      ['P1', 'created', 'processed', ''],
      ['P2', 'created', 'failed', 'R01'],
      ['P3', 'created', 'failed', 'R03'],
      ['P4', 'invalid', '', ''],
    ]);
    expect(results.rows[1]!.returnReason).to.equal('Insufficient Funds');
    expect(results.rows.map((x) => x.name)).to.deep.equal(['Ann', 'Bob', 'Cy', 'bad']);

    // One leg each: the created transfer is the one that reaches the payee.
    const recs = await lastRecords('pay', sim, results.rows.slice(0, 3));
    expect(recs.map((x) => x.legs)).to.deep.equal([
      [{ id: results.rows[0]!.transferId, status: 'processed' }],
      [{ id: results.rows[1]!.transferId, status: 'failed', returnCode: 'R01', returnReason: 'Insufficient Funds' }],
      [
        {
          id: results.rows[2]!.transferId,
          status: 'failed',
          returnCode: 'R03',
          returnReason: 'No Account/Unable to Locate Account',
        },
      ],
    ]);
    expect(await reconcileRecords('pay', sim)).to.have.length(6);

    // Again: the same answer, the columns not doubled.
    r = await reconcile('pay');
    expect(r.code).to.equal(1);
    const again = await readResults(join(out, 'pay', 'results.csv'));
    expect(again.header).to.deep.equal(results.header);
    expect(again.rows).to.deep.equal(results.rows);

    // The same run again sends nothing and keeps what reconcile learnt.
    const created = sim.stats().transfersCreated;
    const rerun = await run(file);
    expect(rerun.code, rerun.stderr).to.equal(1);
    expect(sim.stats().transfersCreated).to.equal(created);
    const afterRun = await readResults(join(out, 'pay', 'results.csv'));
    expect(afterRun.header).to.deep.equal(results.header);
    expect(afterRun.rows.map((x) => x.returnCode)).to.deep.equal(['', 'R01', 'R03', '']);
  });

  it('a bank-sourced batch settled by two simulations: an R01 on the funded leg of one row is caught, the others processed', async () => {
    const file = await writeCsv(
      dir,
      'bank.csv',
      `paymentId,destination,amount,source\nB1,${UUIDS.a},10.00,${BANK}\nB2,${UUIDS.b},20.00,${BANK}\nB3,${UUIDS.c},30.00,${BANK}\n`,
    );
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const created = await readCsvRows(join(out, 'bank', 'results.csv'));
    sim.stageReturn(created[1]!.transferId!, 'funded', 'R01');

    // First simulation: the funding legs are processed, the funded legs not yet: pending.
    await sandboxSimulation(sim);
    let r = await reconcile('bank');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('3 transfers read: 3 pending.');
    let recs = await lastRecords('bank', sim, created);
    expect(recs.map((x) => x.legs?.map((l) => l.status))).to.deep.equal([
      ['processed', 'pending'],
      ['processed', 'pending'],
      ['processed', 'pending'],
    ]);
    for (const [i, rec] of recs.entries()) {
      expect(rec.legs![0]!.id).to.equal(created[i]!.transferId);
      expect(rec.legs![1]!.id)
        .to.match(/^[0-9a-f-]{36}$/)
        .and.not.equal(created[i]!.transferId);
    }

    // Second simulation: the funded legs; B2's is returned R01.
    await sandboxSimulation(sim);
    r = await reconcile('bank');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('3 transfers read: 2 processed, 1 failed.');
    const results = await readResults(join(out, 'bank', 'results.csv'));
    expect(results.rows.map((x) => [x.paymentId, x.transferStatus, x.returnCode, x.returnReason])).to.deep.equal([
      ['B1', 'processed', '', ''],
      ['B2', 'failed', 'R01', 'Insufficient Funds'],
      ['B3', 'processed', '', ''],
    ]);
    recs = await lastRecords('bank', sim, created);
    expect(recs[1]!.legs!.map((l) => [l.status, l.returnCode])).to.deep.equal([
      ['processed', undefined],
      ['failed', 'R01'],
    ]);

    // Run twice: stable.
    r = await reconcile('bank');
    expect(r.code, r.stderr).to.equal(1);
    expect((await readResults(join(out, 'bank', 'results.csv'))).rows).to.deep.equal(results.rows);
    expect((await lastRecords('bank', sim, created)).map((x) => x.legs)).to.deep.equal(recs.map((x) => x.legs));
  });

  it('a return on the funding leg: the row is failed with that return though the funded leg is cancelled', async () => {
    const file = await writeCsv(
      dir,
      'fund.csv',
      `paymentId,destination,amount,source\nF1,${UUIDS.a},10.00,${BANK}\nF2,${UUIDS.b},20.00,${BANK}\n`,
    );
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const created = await readCsvRows(join(out, 'fund', 'results.csv'));
    sim.stageReturn(created[0]!.transferId!, 'funding', 'R01');

    sim.simulate();
    const r = await reconcile('fund');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('2 transfers read: 1 pending, 1 failed.');
    const results = await readResults(join(out, 'fund', 'results.csv'));
    expect(results.rows.map((x) => [x.paymentId, x.transferStatus, x.returnCode, x.returnReason])).to.deep.equal([
      ['F1', 'failed', 'R01', 'Insufficient Funds'],
      ['F2', 'pending', '', ''],
    ]);
    const [f1] = await lastRecords('fund', sim, created);
    expect(f1!.legs!.map((l) => [l.status, l.returnCode])).to.deep.equal([
      ['failed', 'R01'],
      ['cancelled', undefined],
    ]);
  });

  it("records a row's fee transfers and their statuses, and says how many fees", async () => {
    const client = new DwollaClient({
      baseUrl: sim.url,
      key: SIMULATOR.key,
      secret: SIMULATOR.secret,
      timeoutMs: 5000,
    });
    const customerOf = async (fs: string) => (await client.getFundingSource(fs))._links.customer!.href;
    const payeeA = await customerOf(UUIDS.a);
    const payeeR01 = await customerOf(SPECIAL_IDS.r01Bank);
    client.close();
    const file = await writeCsv(
      dir,
      'fees.csv',
      `paymentId,destination,amount,feeAmount,feeChargeTo\nC1,${UUIDS.a},10.00,1.25,${payeeA}\nC2,${SPECIAL_IDS.r01Bank},20.00,2.00,${payeeR01}\nC3,${UUIDS.b},5.00,,\n`,
    );
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const created = await readCsvRows(join(out, 'fees', 'results.csv'));

    let r = await reconcile('fees');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Fee transfers: 2 (2 pending).');
    let recs = await lastRecords('fees', sim, created);
    expect(recs.map((x) => x.fees?.map((f) => [f.status, f.amount]))).to.deep.equal([
      [['pending', '1.25']],
      [['pending', '2.00']],
      [],
    ]);

    sim.simulate();
    r = await reconcile('fees');
    expect(r.code, r.stderr).to.equal(1);
    recs = await lastRecords('fees', sim, created);
    expect(recs.map((x) => x.fees?.map((f) => f.status))).to.deep.equal([['processed'], ['failed'], []]);
    const feeId = recs[0]!.fees![0]!.id;
    expect(feeId)
      .to.match(/^[0-9a-f-]{36}$/)
      .and.not.equal(created[0]!.transferId);
    expect(r.stdout).to.contain('Fee transfers: 2 (1 processed, 1 failed).');
    const results = await readResults(join(out, 'fees', 'results.csv'));
    // The payout's own return is what C2's row says; its failed fee is in the journal.
    expect(results.rows.map((x) => [x.transferStatus, x.returnCode, x.returnReason])).to.deep.equal([
      ['processed', '', ''],
      ['failed', 'R01', 'Insufficient Funds'],
      ['processed', '', ''],
    ]);
  });

  it('a transfer the API no longer knows (404) is marked not-found and exits 1, never 3; reruns keep it until it is found', async () => {
    const file = await writeCsv(
      dir,
      'gone.csv',
      `paymentId,destination,amount\nG1,${UUIDS.a},10.00\nG2,${UUIDS.b},20.00\n`,
    );
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const created = await readCsvRows(join(out, 'gone', 'results.csv'));
    sim.simulate();

    // G1's transfer id, hand-edited in the journal, names a transfer the simulator does not know.
    const journal = journalOf('gone', sim.url);
    const original = await readFile(journal, 'utf8');
    const realId = created[0]!.transferId!;
    const unknownId = '0dead000-0000-4000-8000-000000000404';
    await writeFile(journal, original.split(realId).join(unknownId));

    for (let i = 0; i < 2; i++) {
      const r = await reconcile('gone');
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stdout).to.contain('2 transfers read: 1 processed, 1 not-found.');
      expect(r.stdout).to.contain('the API no longer knows');
      const rows = (await readResults(join(out, 'gone', 'results.csv'))).rows;
      expect(rows.map((x) => [x.transferStatus, x.returnCode, x.returnReason])).to.deep.equal([
        ['not-found', '', `the API no longer knows transfer ${unknownId}`],
        ['processed', '', ''],
      ]);
    }
    expect((await lastRecords('gone', sim, created))[0]).to.include({ transferStatus: 'not-found' });

    // A run of the batch shows it too (from the journal).
    const rerun = await run(file);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect((await readCsvRows(join(out, 'gone', 'results.csv')))[0]!.transferStatus).to.equal('not-found');

    // Once a reconcile finds the transfer again, the row shows what it found.
    const now = await readFile(journal, 'utf8');
    await writeFile(journal, now.split(unknownId).join(realId));
    const r = await reconcile('gone');
    expect(r.code, r.stderr).to.equal(0);
    const rows = (await readResults(join(out, 'gone', 'results.csv'))).rows;
    expect(rows.map((x) => [x.transferStatus, x.returnReason])).to.deep.equal([
      ['processed', ''],
      ['processed', ''],
    ]);
  });

  it('a fresh simulator at the same address knows none of the transfers: every row not-found, exit 1', async () => {
    const file = await writeCsv(dir, 'lost.csv', `paymentId,destination,amount\nL1,${UUIDS.a},10.00\n`);
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const transferId = (await readCsvRows(join(out, 'lost', 'results.csv')))[0]!.transferId!;
    await sim.close();
    sim = await startSimulator({ port: Number(new URL(common[1]!).port) });
    expect(sim.url).to.equal(common[1]);

    const r = await reconcile('lost');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('1 transfer read: 1 not-found.');
    const [row] = (await readResults(join(out, 'lost', 'results.csv'))).rows;
    expect([row!.transferStatus, row!.returnReason]).to.deep.equal([
      'not-found',
      `the API no longer knows transfer ${transferId}`,
    ]);
  });

  it('a 404 after a return was seen keeps the return (never forgotten), notes the 404, and still exits 1', async () => {
    const file = await writeCsv(dir, 'seen.csv', `paymentId,destination,amount\nS1,${SPECIAL_IDS.r01Bank},10.00\n`);
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    const transferId = (await readCsvRows(join(out, 'seen', 'results.csv')))[0]!.transferId!;
    await sandboxSimulation(sim);
    expect((await reconcile('seen')).code).to.equal(1);
    await sim.close();
    sim = await startSimulator({ port: Number(new URL(common[1]!).port) });

    const r = await reconcile('seen');
    expect(r.code, r.stderr).to.equal(1);
    const [row] = (await readResults(join(out, 'seen', 'results.csv'))).rows;
    expect([row!.transferStatus, row!.returnCode, row!.returnReason]).to.deep.equal([
      'failed',
      'R01',
      `Insufficient Funds; the API no longer knows transfer ${transferId}`,
    ]);
  });

  it('exits 2 for an unknown batch, without --env or --api-url, and for --env simulator', async () => {
    const unknown = await runCli(['reconcile', 'nope', '--api-url', sim.url, '--out', dir], { env: SIM_ENV });
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('no batch nope');
    const noApi = await runCli(['reconcile', 'nope', '--out', dir], { env: SIM_ENV });
    expect(noApi.code).to.equal(2);
    expect(noApi.stderr).to.contain('reconcile needs --env sandbox|production or --api-url URL');
    const embedded = await runCli(['reconcile', 'nope', '--out', dir, '--env', 'simulator'], { env: SIM_ENV });
    expect(embedded.code).to.equal(2);
    expect(embedded.stderr).to.contain('nothing to reconcile');
  });

  it('exits 3 when transfers cannot be fetched, keeping what was known', async () => {
    const file = await writeCsv(dir, 'p.csv', `paymentId,destination,amount\nP1,${UUIDS.a},10.00\n`);
    const sent = await run(file);
    expect(sent.code, sent.stderr).to.equal(0);
    let r = await reconcile('p');
    expect(r.code, r.stderr).to.equal(0);
    const port = new URL(sim.url).port;
    await sim.close();
    r = await runCli(
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
    expect((await readCsvRows(join(out, 'p', 'results.csv')))[0]!.transferStatus).to.equal('pending');
  });
});
