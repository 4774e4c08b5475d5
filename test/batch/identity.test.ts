/**
 * Exactly once for what people really do (SPEC "Payment identity, state and reruns"): each test
 * is an operator action that paid twice or silently skipped a payment before the ledger and the
 * state directory, run through the built CLI against a simulator, counting transfers there.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { type CliResult, journalOf, readCsvRows, removeDir, runCli, startCli, tempDir, UUIDS } from '../helpers.js';
import { countOutcomes, DEFAULT_SOURCE, makePayees, runArgs, SIM_ENV, waitFor, writePayees } from './helpers.js';

const DAY_MS = 86_400_000;
const OTHER = '5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('payment identity: what people do around the command (built CLI, simulator)', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(async () => {
    dir = await tempDir('payouts-identity-');
    out = join(dir, 'out');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await removeDir(dir);
  });

  async function simulator(opts: { startTime?: Date; latencyMs?: number } = {}): Promise<SimulatorHandle> {
    const sim = await startSimulator({ port: 0, ...opts });
    sims.push(sim);
    return sim;
  }

  function run(file: string, sim: SimulatorHandle, extra: string[] = [], o = out): Promise<CliResult> {
    return runCli(runArgs(file, sim, o, extra), { env: SIM_ENV });
  }

  const results = (batch: string, o = out) => readCsvRows(join(o, batch, 'results.csv'));
  const paidTo = (sim: SimulatorHandle) =>
    sim.transfers().map((t) => `${t._links['destination-funding-source']?.href?.split('/').pop()} ${t.amount.value}`);

  it('a renamed copy is refused (exit 2, naming the batch); with --allow-repeat its paymentIds are held for review', async () => {
    const sim = await simulator();
    const payees = makePayees(6);
    const file = await writePayees(dir, 'payees.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);
    const copy = join(dir, 'payees (1).csv');
    await copyFile(file, copy);

    const refused = await run(copy, sim);
    expect(refused.code, refused.stderr).to.equal(2);
    expect(refused.stderr).to.contain('identical to the one of batch payees');
    const held = await run(copy, sim, ['--allow-repeat']);
    expect(held.code, held.stderr).to.equal(1);
    const rows = await results(readBatchId(held));
    expect(rows.map((r) => r.status)).to.deep.equal(payees.map(() => 'review'));
    expect(rows[0]!.errorMessage).to.match(
      /already paid in batch payees on \d{4}-\d{2}-\d{2} \(transfer [0-9a-f-]{36}\)/,
    );
    expect(sim.transfers()).to.have.length(6);
  });

  it('the dry run predicts the real run: the same refusal for a renamed copy, review rows, created rows, no network', async () => {
    const sim = await simulator();
    const payees = makePayees(3);
    const file = await writePayees(dir, 'pred.csv', payees);
    const dry = (f: string, extra: string[] = []) =>
      runCli(['run', f, '--dry-run', '--api-url', sim.url, '--out', out, '--log-level', 'warn', ...extra]);
    const before = await dry(file, ['--source', DEFAULT_SOURCE]);
    expect(before.code, before.stderr).to.equal(0);
    expect(before.stdout, 'names the lookup it cannot do').to.contain(
      '3 paymentId row(s) are new to this installation',
    );
    expect((await run(file, sim)).code).to.equal(0);
    const after = await dry(file);
    expect(after.code, after.stderr).to.equal(0);
    expect((await readCsvRows(join(out, 'pred', 'plan.csv'))).map((r) => r.status)).to.deep.equal([
      'created',
      'created',
      'created',
    ]);
    const copy = join(dir, 'pred-copy.csv');
    await copyFile(file, copy);
    const refused = await dry(copy);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('identical to the one of batch pred');
    const allowed = await dry(copy, ['--allow-repeat']);
    expect(allowed.code, allowed.stderr).to.equal(1);
    expect((await readCsvRows(join(out, 'pred-copy', 'plan.csv'))).map((r) => r.status)).to.deep.equal([
      'review',
      'review',
      'review',
    ]);
    expect(sim.transfers()).to.have.length(3);
  });

  it('the same paymentIds in a file of another name are held for review, never paid again', async () => {
    const sim = await simulator();
    const payees = makePayees(4);
    expect((await run(await writePayees(dir, 'nov.csv', payees), sim)).code).to.equal(0);
    const reworded = payees.map((p) => ({ ...p, name: `${p.name} (again)` }));
    const again = await run(await writePayees(dir, 'nov-final.csv', reworded), sim);
    expect(again.code, again.stderr).to.equal(1);
    expect((await results('nov-final')).map((r) => r.status)).to.deep.equal(payees.map(() => 'review'));
    const summary = JSON.parse(await readFile(join(out, 'nov-final', 'summary.json'), 'utf8'));
    expect(summary.thisRun).to.deep.include({ sent: 0, held: 4 });
    expect(sim.transfers()).to.have.length(4);
  });

  it('a paymentId row edited after it was paid is review, and results show what was really paid', async () => {
    const sim = await simulator();
    const text = (amount: string) =>
      `paymentId,destination,amount\nINV-1,${UUIDS.a},${amount}\nINV-2,${UUIDS.b},20.00\n`;
    const file = join(dir, 'inv.csv');
    await writeFile(file, text('900.00'));
    expect((await run(file, sim)).code).to.equal(0);
    await writeFile(file, text('9000.00'));
    const r = await run(file, sim, ['--resume']);
    expect(r.code, r.stderr).to.equal(1);
    const [row1, row2] = await results('inv');
    expect(row1).to.deep.include({ status: 'review', amount: '900.00', destination: UUIDS.a });
    expect(row1!.errorMessage).to.contain('changed after it was paid: paid 900.00');
    expect(row1!.errorMessage).to.contain('the file now says 9000.00');
    expect(row2!.status).to.equal('created');
    expect(paidTo(sim).sort()).to.deep.equal([`${UUIDS.a} 900.00`, `${UUIDS.b} 20.00`].sort());
  });

  it('a content row edited after it was paid (a metadata typo) and --resume is held, not paid a second time', async () => {
    const sim = await simulator();
    // From a bank: Dwolla refuses metadata on a transfer from a balance.
    const bank = SPECIAL_IDS.accountBank;
    const text = (note: string) =>
      `destination,amount,source,metadata.note\n${UUIDS.a},800.00,${bank},${note}\n${UUIDS.b},5.00,${bank},ok\n`;
    const file = join(dir, 'typo.csv');
    await writeFile(file, text('Novmber'));
    expect((await run(file, sim)).code).to.equal(0);
    await writeFile(file, text('November'));
    const r = await run(file, sim, ['--resume']);
    expect(r.code, r.stderr).to.equal(1);
    const rows = await results('typo');
    expect(rows[0]!.status).to.equal('review');
    expect(rows[0]!.errorMessage).to.contain('looks like an edit of a paid row');
    expect(sim.transfers()).to.have.length(2);
    const allowed = await run(file, sim, ['--resume', '--allow-repeat']);
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(sim.transfers(), '--allow-repeat sends it as a new payment').to.have.length(3);
  });

  it('a paymentId typed into a paid content row and --resume is held as an edit of a paid row, not paid again', async () => {
    const sim = await simulator();
    const file = join(dir, 'late-invoice.csv');
    await writeFile(file, `paymentId,destination,amount\n,${UUIDS.a},70.00\nINV-2,${UUIDS.b},5.00\n`);
    expect((await run(file, sim)).code).to.equal(0);
    await writeFile(file, `paymentId,destination,amount\nINV-1,${UUIDS.a},70.00\nINV-2,${UUIDS.b},5.00\n`);
    const r = await run(file, sim, ['--resume']);
    expect(r.code, r.stderr).to.equal(1);
    const rows = await results('late-invoice');
    expect(rows.map((x) => x.status)).to.deep.equal(['review', 'created']);
    expect(rows[0]!.errorMessage).to.contain('looks like an edit of a paid row: this batch already paid 70.00');
    expect(sim.transfers()).to.have.length(2);
  });

  it('the same file read with other --columns is refused (exit 2, nothing sent) unless --resume, where paid rows are held', async () => {
    const sim = await simulator();
    const file = join(dir, 'invoices.csv');
    await writeFile(file, `Invoice,destination,amount\nINV-1,${UUIDS.a},10.00\nINV-2,${UUIDS.b},20.00\n`);
    expect((await run(file, sim)).code).to.equal(0);
    const mapped = ['--columns', 'Invoice=paymentId'];
    const refused = await run(file, sim, mapped);
    expect(refused.code, refused.stderr).to.equal(2);
    expect(refused.stderr).to.contain('read /');
    expect(refused.stderr).to.contain('another way (--columns or --delimiter differ)');
    expect(refused.stderr).to.contain('"delimiter \',\'; amount: amount; destination: destination"');
    expect(refused.stderr).to.contain(
      'now as "delimiter \',\'; amount: amount; destination: destination; paymentId: Invoice"',
    );
    const dry = await run(file, sim, [...mapped, '--dry-run']);
    expect(dry.code, 'a dry run refuses as the run would').to.equal(2);
    const resumed = await run(file, sim, [...mapped, '--resume']);
    expect(resumed.code, resumed.stderr).to.equal(1);
    expect((await results('invoices')).map((x) => x.status)).to.deep.equal(['review', 'review']);
    expect(sim.transfers()).to.have.length(2);
    const same = await run(file, sim, mapped);
    expect(same.code, 'the reading of the last run is the batch’s now').to.equal(1);
    expect(sim.transfers()).to.have.length(2);
  });

  it('a row repeating another batch’s destination and amount within --repeat-window is held; after the window it is paid', async () => {
    const sim = await simulator();
    const row = `destination,amount\n${UUIDS.c},42.00\n`;
    await writeFile(join(dir, 'mon.csv'), row);
    expect((await run(join(dir, 'mon.csv'), sim)).code).to.equal(0);
    await writeFile(join(dir, 'tue.csv'), `${row}${OTHER},1.00\n`);
    const held = await run(join(dir, 'tue.csv'), sim);
    expect(held.code, held.stderr).to.equal(1);
    const rows = await results('tue');
    expect(rows.map((r) => r.status)).to.deep.equal(['review', 'created']);
    expect(rows[0]!.errorMessage).to.match(/repeats a payment of batch mon on .* within 3 days/);
    expect(sim.transfers()).to.have.length(2);
    const later = new Date(Date.now() + 4 * DAY_MS).toISOString();
    await writeFile(join(dir, 'fri.csv'), row);
    const paid = await run(join(dir, 'fri.csv'), sim, ['--now', later]);
    expect(paid.code, paid.stderr).to.equal(0);
    expect(paidTo(sim).filter((p) => p === `${UUIDS.c} 42.00`)).to.have.length(2);
  });

  it('next month’s identical payroll.csv is refused as already paid (exit 2), and runs as a new --batch-id', async () => {
    const sim = await simulator();
    const file = join(dir, 'payroll.csv');
    await writeFile(file, `destination,amount\n${UUIDS.a},100.00\n${UUIDS.b},200.00\n`);
    expect((await run(file, sim)).code).to.equal(0);
    const sameDay = await run(file, sim);
    expect(sameDay.code, 'a cron retry the same day: nothing to send').to.equal(0);
    expect(sameDay.stdout).to.contain('Nothing to send');
    const nextMonth = new Date(Date.now() + 31 * DAY_MS).toISOString();
    const refused = await run(file, sim, ['--now', nextMonth]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.match(/already paid on \d{4}-\d{2}-\d{2}; to pay this file again use a new --batch-id/);
    expect(sim.transfers()).to.have.length(2);
    const fresh = await run(file, sim, ['--now', nextMonth, '--batch-id', 'payroll-2027-01']);
    expect(fresh.code, fresh.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(4);
  });

  it('a journal cut short or deleted is refused (exit 2) instead of paying again, even a day later', async () => {
    const sim = await simulator();
    const payees = makePayees(5);
    const file = await writePayees(dir, 'cut.csv', payees);
    const first = runCli(runArgs(file, sim, out, ['--max-attempts', '1']), { env: SIM_ENV });
    expect((await first).code).to.equal(0);
    const journal = journalOf('cut', sim.url);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    await writeFile(journal, `${lines.slice(0, 4).join('\n')}\n`);
    sim.advanceClock(DAY_MS + 3_600_000);
    const cut = await run(file, sim);
    expect(cut.code, cut.stderr).to.equal(2);
    expect(cut.stderr).to.contain('lacks row');
    await rm(journal);
    const gone = await run(file, sim);
    expect(gone.code, gone.stderr).to.equal(2);
    expect(sim.transfers()).to.have.length(5);
  });

  it('a correlationId reused from last month never settles this month’s row by lookup: it is paid', async () => {
    const monthAgo = new Date(Date.now() - 30 * DAY_MS);
    const sim = await simulator({ startTime: monthAgo });
    const text = `destination,amount,correlationId\n${UUIDS.a},50.00,rent-a\n${UUIDS.b},60.00,rent-b\n`;
    const oct = join(dir, 'oct.csv');
    await writeFile(oct, text);
    expect((await run(oct, sim, ['--now', monthAgo.toISOString()])).code).to.equal(0);
    sim.advanceClock(30 * DAY_MS);
    // This month's file: the same rows, a new batch; its first POSTs fail before anything is
    // created, so a rerun looks the rows up by correlationId and finds last month's transfers.
    const nov = join(dir, 'nov.csv');
    await writeFile(nov, `${text}${UUIDS.c},1.00,other\n`);
    sim.setFaults({ error5xxBeforeRate: 1 });
    const failing = await run(nov, sim, ['--max-attempts', '1', '--repeat-window', '0']);
    expect(failing.code, failing.stderr).to.equal(3);
    sim.setFaults({});
    const rerun = await run(nov, sim, ['--repeat-window', '0']);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(sim.transfers(), 'last month’s 2 and this month’s 3').to.have.length(5);
    const rows = await results('nov');
    expect(rows.every((r) => r.status === 'created')).to.equal(true);
  });

  it('an input file edited during a run stops it: exit 3 with results written, never 2; a rerun with --resume finishes', async () => {
    const sim = await simulator({ latencyMs: 60 });
    const payees = makePayees(40);
    const file = await writePayees(dir, 'live.csv', payees);
    const running = startCli(runArgs(file, sim, out, ['--concurrency', '1']), { env: SIM_ENV });
    await waitFor('a few outcomes', async () => (await countOutcomes(journalOf('live', sim.url))) >= 3);
    await writeFile(file, `${await readFile(file, 'utf8')}PAY-9999,${OTHER},1.00,,late\n`);
    const r = await running.done;
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout + r.stderr).to.contain('changed while the batch was running');
    const rows = await results('live');
    expect(rows).to.have.length(41);
    expect(sim.transfers().length, 'it stopped sending').to.be.lessThan(40);
    const resumed = await run(file, sim, ['--resume']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(41);
  });

  it('a journal an older version kept in OUT is adopted only by the API its transfers were made at', async () => {
    const sim = await simulator();
    const payees = makePayees(4);
    const file = await writePayees(dir, 'old.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);
    // Make it look like an older version's batch: the journal in OUT, no state directory.
    const journalText = await readFile(journalOf('old', sim.url), 'utf8');
    await rm(process.env.PAYOUTS_HOME!, { recursive: true, force: true });
    await writeFile(join(out, 'old', 'journal.jsonl'), journalText);
    const otherOut = join(dir, 'other');
    await mkdir(join(otherOut, 'old'), { recursive: true });
    const sandboxJournal = journalText.replaceAll(sim.url, 'https://api-sandbox.dwolla.com');
    await writeFile(join(otherOut, 'old', 'journal.jsonl'), sandboxJournal);

    // A rehearsal never adopts a real API's journal (its rows were not paid in the rehearsal).
    const rehearsal = await runCli(['run', file, '--out', otherOut, '--log-level', 'warn']);
    expect(rehearsal.code, rehearsal.stderr).to.equal(0);
    expect(rehearsal.stdout + rehearsal.stderr).to.contain('not adopted');
    expect(await readFile(join(otherOut, 'old', 'journal.jsonl'), 'utf8')).to.equal(sandboxJournal);
    // The API that made the transfers adopts it: nothing is sent again.
    const adopted = await run(file, sim);
    expect(adopted.code, adopted.stderr).to.equal(0);
    expect(adopted.stdout + adopted.stderr).to.contain('moved from');
    expect(adopted.stdout).to.contain('Nothing to send');
    expect(sim.transfers()).to.have.length(4);
  });

  it('a rerun from another folder with another --out after a crash pays nothing twice', async () => {
    const sim = await simulator({ latencyMs: 30 });
    const payees = makePayees(10);
    const file = await writePayees(dir, 'wander.csv', payees);
    const crashed = runCli(runArgs(file, sim, out, ['--concurrency', '1']), { env: SIM_ENV });
    await waitFor('a few outcomes', async () => (await countOutcomes(journalOf('wander', sim.url))) >= 2).catch(
      () => undefined,
    );
    await crashed;
    const elsewhere = join(dir, 'elsewhere');
    const r = await runCli(
      ['run', file, '--api-url', sim.url, '--source', DEFAULT_SOURCE, '--out', elsewhere, '--log-level', 'warn'],
      { env: SIM_ENV, cwd: dir },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(10);
    expect((await results('wander', elsewhere)).every((x) => x.status === 'created')).to.equal(true);
  });
});

/** The batch id the human summary names ("Batch NAME: …"). */
function readBatchId(r: CliResult): string {
  const m = /Batch (\S+?):/.exec(r.stdout);
  if (!m?.[1]) {
    throw new Error(`no batch named in: ${r.stdout}`);
  }
  return m[1];
}
