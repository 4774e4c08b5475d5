/**
 * Before the first send: rows with metadata whose source is a balance fail (Dwolla refuses them),
 * and a run that would send more from a balance than it holds sends nothing (exit 2). Pure parts
 * first, then the built CLI against a simulator whose balance is set.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { balanceTotals, describeShortfalls, shortfalls } from '../../src/batch/balance-preflight.js';
import type { SourceCheck } from '../../src/batch/preflight.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { readCsvRows, removeDir, runCli, tempDir, writeCsv } from '../helpers.js';
import { DEFAULT_SOURCE, makePayees, payeesCsv, runArgs, SIM_ENV } from './helpers.js';

const BANK = SPECIAL_IDS.accountBank;
const OTHER_BALANCE = SPECIAL_IDS.customerBalance;

const SOURCES = new Map<string, SourceCheck>([
  [DEFAULT_SOURCE, { ok: true, id: DEFAULT_SOURCE, type: 'balance', customerId: undefined }],
  [OTHER_BALANCE, { ok: true, id: OTHER_BALANCE, type: 'balance', customerId: 'c' }],
  [BANK, { ok: true, id: BANK, type: 'bank', customerId: undefined }],
  [SPECIAL_IDS.removedBank, { ok: false, id: SPECIAL_IDS.removedBank, code: 'SourceRemoved', message: 'removed' }],
]);

describe('balance preflight (pure)', () => {
  it('totals what would be sent from each usable balance: not banks, not unusable sources; fees only when charged to the balance owner', () => {
    const amounts = new Map([
      [DEFAULT_SOURCE, { certain: 1000, uncertain: 250, fees: new Map([['payee-customer', 99]]) }],
      [OTHER_BALANCE, { certain: 1, uncertain: 0, fees: new Map([['c', 7]]) }],
      [BANK, { certain: 500_000, uncertain: 0, fees: new Map() }],
      [SPECIAL_IDS.removedBank, { certain: 7, uncertain: 0, fees: new Map() }],
    ]);
    expect([...balanceTotals(amounts, SOURCES)]).to.deep.equal([
      [DEFAULT_SOURCE, 1250],
      [OTHER_BALANCE, 8],
    ]);
    // Rows settled by a lookup before the check come off their source's total.
    expect(balanceTotals(amounts, SOURCES, new Map([[DEFAULT_SOURCE, 250]])).get(DEFAULT_SOURCE)).to.equal(1000);
  });

  it('a source is short only when its total is over its balance (equal is enough)', () => {
    const totals = new Map([
      ['a', 1000],
      ['b', 1001],
      ['c', 5],
    ]);
    const balances = new Map([
      ['a', 1000],
      ['b', 1000],
    ]);
    expect(shortfalls(totals, balances)).to.deep.equal([{ sourceId: 'b', availableCents: 1000, totalCents: 1001 }]);
  });

  it('says the source, the balance, the total and the gap', () => {
    const text = describeShortfalls([{ sourceId: 'src-1', availableCents: 500_000, totalCents: 525_050 }]);
    expect(text).to.contain('nothing was sent');
    expect(text).to.contain('source src-1: balance 5000.00, this run would send 5250.50, short by 250.50');
  });
});

describe('balance preflight and metadata on a balance (built CLI, child process)', function () {
  this.timeout(120_000);
  let dir: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(async () => {
    dir = await tempDir('payouts-balance-');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await removeDir(dir);
  });

  async function simulator(balance: string): Promise<SimulatorHandle> {
    const sim = await startSimulator({ port: 0, balance });
    sims.push(sim);
    return sim;
  }

  it('a run that would overdraw the balance sends nothing and exits 2, naming source, balance, total and gap', async () => {
    const sim = await simulator('100.00');
    const file = await writeCsv(
      dir,
      'pay.csv',
      'paymentId,destination,amount\nP1,6bf46c69-7d2c-4f82-aeea-cbe226e87555,60.00\nP2,13deef86-ab10-41d0-b646-e1f40a097c97,40.01\n',
    );
    const r = await runCli(runArgs(file, sim, join(dir, 'out')), { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`source ${DEFAULT_SOURCE}: balance 100.00, this run would send 100.01, short by 0.01`);
    expect(sim.stats().createRequests).to.equal(0);
  });

  it('exactly the balance is enough: every row is created and the balance is then empty', async () => {
    const sim = await simulator('100.00');
    const file = await writeCsv(
      dir,
      'pay.csv',
      'paymentId,destination,amount\nP1,6bf46c69-7d2c-4f82-aeea-cbe226e87555,60.00\nP2,13deef86-ab10-41d0-b646-e1f40a097c97,40.00\n',
    );
    const r = await runCli(runArgs(file, sim, join(dir, 'out')), { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(2);
  });

  it('rows from a bank do not count against a balance', async () => {
    const sim = await simulator('10.00');
    const file = await writeCsv(
      dir,
      'pay.csv',
      `paymentId,destination,amount,source\nP1,6bf46c69-7d2c-4f82-aeea-cbe226e87555,600.00,${BANK}\nP2,13deef86-ab10-41d0-b646-e1f40a097c97,10.00,\n`,
    );
    const r = await runCli(runArgs(file, sim, join(dir, 'out')), { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(2);
  });

  it('rows with metadata from a balance fail before any send, saying what to do; the same metadata from a bank is sent', async () => {
    const sim = await simulator('1000.00');
    const file = await writeCsv(
      dir,
      'pay.csv',
      [
        'paymentId,destination,amount,source,metadata.invoice',
        'P1,6bf46c69-7d2c-4f82-aeea-cbe226e87555,10.00,,INV-1',
        `P2,13deef86-ab10-41d0-b646-e1f40a097c97,20.00,${BANK},INV-2`,
        'P3,ca02135e-92b1-43f2-8ede-0d7ac3baea9e,30.00,,',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const r = await runCli(runArgs(file, sim, out), { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(1);
    const rows = await readCsvRows(join(out, 'pay', 'results.csv'));
    expect(rows.map((x) => x.status)).to.deep.equal(['failed', 'created', 'created']);
    expect(rows[0]!.errorCode).to.equal('MetadataNotSupported');
    expect(rows[0]!.errorMessage).to.contain('Drop the metadata columns, or send from a bank source');
    expect(rows[0]!.transferId).to.equal('');
    expect(sim.stats().validationFailures, 'nothing refused by the simulator').to.equal(0);
    // The two rows are sent concurrently: in either order.
    expect(sim.transfers().map((t) => t.metadata ?? {})).to.have.deep.members([{ invoice: 'INV-2' }, {}]);
  });

  it('after every local file is lost, a rerun against a spent balance is not refused: the paid rows are found by lookup', async () => {
    const payees = makePayees(5, { prefix: 'LOST' });
    const total = payees.reduce((sum, p) => sum + Math.round(Number(p.amount) * 100), 0);
    const sim = await simulator(`${Math.floor(total / 100)}.${String(total % 100).padStart(2, '0')}`);
    const file = await writeCsv(dir, 'pay.csv', payeesCsv(payees));
    const first = await runCli(runArgs(file, sim, join(dir, 'out')), { env: SIM_ENV });
    expect(first.code, first.stderr).to.equal(0);

    const lostHome = await mkdtemp(join(tmpdir(), 'payouts-lost-home-'));
    try {
      const again = await runCli(runArgs(file, sim, join(dir, 'out2')), {
        env: { ...SIM_ENV, PAYOUTS_HOME: lostHome },
      });
      expect(again.code, again.stderr).to.equal(0);
      const rows = await readCsvRows(join(dir, 'out2', 'pay', 'results.csv'));
      expect(rows.every((x) => x.status === 'created')).to.equal(true);
      expect(sim.transfers(), 'nothing paid twice').to.have.length(5);
    } finally {
      await removeDir(lostHome);
    }
  });
});
