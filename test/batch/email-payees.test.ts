/**
 * Payees by email, end to end: the built CLI in a child process against a simulator started in
 * this process (`--api-url`), so that what reached it is counted: each distinct email looked up
 * once (GET /customers, GET /customers/{id}/funding-sources), the resolved rows paid once to the
 * payee's bank, the others invalid with messages that name no account, and a rerun of the
 * finished batch sends nothing. The dry run against the same API resolves too, writing no state.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { DwollaClient } from '../../src/dwolla/client.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { journalOf, readCsvRows, removeDir, runCli, stateDirOf, tempDir, UUIDS, writeCsv } from '../helpers.js';
import { readJournalLines, runArgs, SIM_ENV } from './helpers.js';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** A Google Sheets export of names, emails and dollar amounts (CRLF), mapped with --columns. */
const SHEET = [
  'Name,Email,Amount',
  'Pat Lee,pat.lee@example.com,"$1,234.56"',
  'Nobody,nobody@example.com,$10.00',
  'Two Banks,twobanks@example.com,$20.00',
  'Pat Lee (bonus),PAT.LEE@example.com,$50.00',
  '',
].join('\r\n');
const COLUMNS = ['--columns', 'Email=destinationEmail,Amount=amount'];

/** The same, with a Destination column, and a payee named by it. */
const SHEET_WITH_IDS = [
  'Name,Email,Amount,Destination',
  'Pat Lee,pat.lee@example.com,"$1,234.56",',
  'Nobody,nobody@example.com,$10.00,',
  'Two Banks,twobanks@example.com,$20.00,',
  'Pat Lee (bonus),PAT.LEE@example.com,$50.00,',
  `Alex by id,,$7.00,${UUIDS.a}`,
  '',
].join('\r\n');

describe('payouts run with payees by email (built CLI, child process, standalone simulator)', function () {
  this.timeout(120_000);

  let dir: string;
  let out: string;
  let sim: SimulatorHandle;

  beforeEach(async () => {
    dir = await tempDir('payouts-email-');
    out = join(dir, 'out');
    sim = await startSimulator({ port: 0 });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  /** Pat's one verified bank at the simulator, as Dwolla's API gives it. */
  async function patsBank(): Promise<string> {
    const client = new DwollaClient({
      baseUrl: sim.url,
      key: SIMULATOR.key,
      secret: SIMULATOR.secret,
      timeoutMs: 5000,
    });
    try {
      const [pat] = await client.findCustomersByEmail('pat.lee@example.com');
      const [bank] = await client.listCustomerFundingSources(pat!.id, { removed: false });
      return bank!.id;
    } finally {
      client.close();
    }
  }

  it('resolves each email once, pays the resolved rows once to the bank, refuses the others by name; a rerun sends nothing', async () => {
    const file = await writeCsv(dir, 'sheet.csv', SHEET_WITH_IDS);
    const columns = ['--columns', 'Email=destinationEmail,Amount=amount,Destination=destination'];
    const first = await runCli(runArgs(file, sim, out, columns), { env: SIM_ENV });
    expect(first.code, first.stderr).to.equal(1);
    const stats = sim.stats();
    // pat (twice in the file), nobody, twobanks: three searches; nobody has no customer: two bank lists.
    expect(stats.customerSearches).to.equal(3);
    expect(stats.customerFundingSourceLists).to.equal(2);
    expect(stats.createRequests).to.equal(3);

    const bank = await patsBank();
    const results = await readCsvRows(join(out, 'sheet', 'results.csv'));
    const byName = (name: string) => results.find((r) => r.Name === name)!;
    for (const name of ['Pat Lee', 'Pat Lee (bonus)']) {
      expect(byName(name).status, name).to.equal('created');
      expect(byName(name).destination, name).to.equal(bank);
      expect(byName(name).Email, `${name}: the email is carried`).to.match(/^pat\.lee@example\.com$/i);
    }
    expect(byName('Alex by id')).to.include({ status: 'created', destination: UUIDS.a });
    expect(byName('Nobody')).to.include({
      status: 'invalid',
      errorMessage:
        'destinationEmail nobody@example.com: no Dwolla customer has this email; add the payee at Dwolla, or use the destination column',
    });
    expect(byName('Two Banks')).to.include({
      status: 'invalid',
      errorMessage:
        'destinationEmail twobanks@example.com: 2 verified banks for Twobanks (Checking, Savings); use the destination column',
    });
    for (const name of ['Nobody', 'Two Banks']) {
      expect(byName(name).errorMessage).to.not.match(UUID_RE);
      expect(byName(name).destination).to.equal('');
    }

    // At the simulator: one transfer per resolved row, to Pat's bank, for the row's amount.
    const toPat = sim.transfers().filter((t) => t._links['destination-funding-source']!.href.endsWith(bank));
    expect(toPat.map((t) => t.amount.value).sort()).to.deep.equal(['1234.56', '50.00']);
    // The journal's intents and the ledger record the bank paid.
    const intents = (await readJournalLines(journalOf('sheet', sim.url))).filter((r) => r.type === 'intent');
    expect(intents.map((r) => r.destination).sort()).to.deep.equal([bank, bank, UUIDS.a].sort());
    const history = await runCli(['history', '--destination', bank, '--api-url', sim.url], { env: SIM_ENV });
    expect(history.code, history.stderr).to.equal(0);
    expect(history.stdout.trim().split('\n')).to.have.length(3); // the header and Pat's two payments

    // Rerun: nothing sent; Pat's email not looked up again (its rows are created), the two others are.
    const again = await runCli(runArgs(file, sim, out, columns), { env: SIM_ENV });
    expect(again.code, again.stderr).to.equal(1);
    expect(again.stdout).to.contain('Nothing to send');
    expect(sim.stats().createRequests).to.equal(3);
    expect(sim.stats().customerSearches).to.equal(stats.customerSearches + 1 + 2); // patsBank's own, nobody, twobanks
    const rerun = await readCsvRows(join(out, 'sheet', 'results.csv'));
    expect(rerun.map((r) => [r.status, r.destination])).to.deep.equal(results.map((r) => [r.status, r.destination]));
  });

  it('a dry run against the API resolves the emails and writes no state; without an API it plans them as resolved when sent', async () => {
    const file = await writeCsv(dir, 'sheet.csv', SHEET);
    const bank = await patsBank();
    const before = sim.stats().customerSearches;
    const dry = await runCli([...runArgs(file, sim, out, COLUMNS), '--dry-run'], { env: SIM_ENV });
    expect(dry.code, dry.stderr).to.equal(1);
    expect(sim.stats().customerSearches - before).to.equal(3);
    expect(sim.stats().createRequests).to.equal(0);
    expect(existsSync(stateDirOf('sheet', sim.url)), 'no state written').to.equal(false);
    const plan = await readCsvRows(join(out, 'sheet', 'plan.csv'));
    expect(plan.map((r) => [r.Name, r.status, r.destination])).to.deep.equal([
      ['Pat Lee', 'planned', bank],
      ['Nobody', 'invalid', ''],
      ['Two Banks', 'invalid', ''],
      ['Pat Lee (bonus)', 'planned', bank],
    ]);

    // The same dry run without the API: no network; email rows planned, resolved when sent.
    const offline = await runCli(['run', file, '--dry-run', '--out', join(dir, 'offline'), ...COLUMNS]);
    expect(offline.code, offline.stderr).to.equal(0);
    const offlinePlan = await readCsvRows(join(dir, 'offline', 'sheet', 'plan.csv'));
    expect(offlinePlan.map((r) => [r.status, r.destination, r.errorMessage])).to.deep.equal([
      ['planned', 'pat.lee@example.com', 'destination: resolved from pat.lee@example.com when sent'],
      ['planned', 'nobody@example.com', 'destination: resolved from nobody@example.com when sent'],
      ['planned', 'twobanks@example.com', 'destination: resolved from twobanks@example.com when sent'],
      ['planned', 'pat.lee@example.com', 'destination: resolved from pat.lee@example.com when sent'],
    ]);
    // The same keys with and without the network: an email row's identity is its email.
    for (const i of [0, 3]) {
      expect(offlinePlan[i]!.idempotencyKey).to.equal(plan[i]!.idempotencyKey);
    }
    // One plan digest with and without the network, rows that did not resolve included (as a
    // real run's digest, taken before emails are looked up, has them): an approval of either holds.
    const digestOf = async (path: string) => JSON.parse(await readFile(path, 'utf8')).planDigest as string;
    const online = await digestOf(join(out, 'sheet', 'plan.json'));
    expect(online).to.match(/^[0-9a-f]{64}$/);
    expect(await digestOf(join(dir, 'offline', 'sheet', 'plan.json'))).to.equal(online);
  });

  it('--strict: an email that resolves to no single bank sends nothing (exit 2), naming the row', async () => {
    const file = await writeCsv(dir, 'sheet.csv', SHEET);
    const r = await runCli([...runArgs(file, sim, out, COLUMNS), '--strict'], { env: SIM_ENV });
    expect(r.code, r.stdout).to.equal(2);
    expect(r.stderr).to.contain('row 3: destinationEmail nobody@example.com: no Dwolla customer has this email');
    expect(sim.stats().createRequests).to.equal(0);
  });
});
