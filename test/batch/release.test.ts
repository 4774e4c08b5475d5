/**
 * `payouts approve` and `payouts cancel` (src/batch/release.ts) through the built CLI against a
 * standalone simulator in this process, so that its mass payments and transfers can be counted:
 * a `--deferred` batch released with the dry run's plan digest, or cancelled, then finished by the
 * same `payouts run` command.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { acquireBatchLock } from '../../src/batch/lock.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { type CliResult, readCsvRows, removeDir, runCli, stateDirOf, tempDir } from '../helpers.js';
import { makePayees, type Payee, payeesCsv, runArgs, SIM_ENV, transfersByCorrelationId } from './helpers.js';

const ENV = { ...SIM_ENV, PAYOUTS_REQUIRE_APPROVAL: '' };
const BATCH = 'payroll';
const ROWS = 7;

describe('payouts approve / payouts cancel: deferred mass payments (built CLI, simulator)', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: SimulatorHandle;
  let file: string;
  let out: string;
  let payees: Payee[];
  beforeEach(async () => {
    dir = await tempDir();
    // Mass payments move pending → processing → complete quickly once released.
    sim = await startSimulator({ massPaymentStepMs: 20 });
    out = join(dir, 'out');
    file = join(dir, `${BATCH}.csv`);
    payees = makePayees(ROWS);
    await writeFile(file, payeesCsv(payees));
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  const run = (extra: string[] = []) => runCli(runArgs(file, sim, out, extra), { env: ENV });
  const deferredRun = () => run(['--mode', 'mass-payment', '--deferred']);
  const command = (name: 'approve' | 'cancel', extra: string[] = []) =>
    runCli([name, BATCH, '--api-url', sim.url, '--out', out, '--log-level', 'warn', ...extra], { env: ENV });
  const results = () => readCsvRows(join(out, BATCH, 'results.csv'));
  const statuses = () => sim.massPayments().map((m) => m.status);

  /** The plan digest of the dry run, as it printed it and as plan.json keeps it. */
  async function dryRunDigest(): Promise<string> {
    const r = await run(['--dry-run']);
    expect(r.code, r.stderr).to.equal(0);
    const m = /^Plan digest: ([0-9a-f]{64}) /m.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    const plan = JSON.parse(await readFile(join(out, BATCH, 'plan.json'), 'utf8'));
    expect(plan.planDigest).to.equal(m![1]);
    return m![1]!;
  }

  /** A deferred run: exit 3, every row pending saying how it is released, one deferred mass payment, nothing paid. */
  async function prepareDeferred(): Promise<void> {
    const r = await deferredRun();
    expect(r.code, r.stderr + r.stdout).to.equal(3);
    const rows = await results();
    expect(rows.map((row) => row.status)).to.deep.equal(Array(ROWS).fill('pending'));
    for (const row of rows) {
      expect(row.errorMessage).to.contain(`payouts approve ${BATCH} --api-url ${sim.url} --approve DIGEST`);
    }
    expect(statuses()).to.deep.equal(['deferred']);
    expect(sim.massPayments()[0]!.itemCount).to.equal(ROWS);
    expect(sim.transfers()).to.have.length(0);
  }

  /** Exactly one transfer per row at the simulator, each the row's in results.csv (created). */
  async function expectPaidOnce(r: CliResult): Promise<void> {
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const rows = await results();
    expect(rows.map((row) => row.paymentId)).to.deep.equal(payees.map((p) => p.paymentId));
    expect(sim.transfers()).to.have.length(ROWS);
    const by = transfersByCorrelationId(sim);
    for (const [i, row] of rows.entries()) {
      expect(row.status, `${row.paymentId}: ${row.errorMessage}`).to.equal('created');
      const found = by.get(row.correlationId!) ?? [];
      expect(found, row.paymentId).to.have.length(1);
      expect(row.transferId).to.equal(found[0]!.id);
      expect(found[0]!.amount.value).to.equal(payees[i]!.amount);
    }
  }

  it('approved with the dry run digest: released once; the same run command then records one transfer per row', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const summary = JSON.parse(await readFile(join(out, BATCH, 'summary.json'), 'utf8'));
    expect(summary.planDigest).to.equal(digest);

    const r = await command('approve', ['--approve', digest.slice(0, 16)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Mass payment [0-9a-f-]{36} \(7 items, [\d.]+\): released \(deferred → pending\)/m);
    expect(r.stdout).to.contain('run the same `payouts run` command again to record the transfers');
    expect(statuses()).to.not.include('deferred');

    const again = await command('approve', ['--approve', digest]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already released \((pending|processing|complete) at Dwolla\): nothing done/);
    expect(sim.massPayments()).to.have.length(1);

    await expectPaidOnce(await deferredRun());
    // Once more: nothing is created again.
    await expectPaidOnce(await deferredRun());
    expect(sim.massPayments()).to.have.length(1);
  });

  it('a digest that is not the plan: exit 2, nothing released, and it says which plan and how to see it', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const wrong = `${digest[0] === 'f' ? '0' : 'f'}${digest.slice(1, 20)}`;
    for (const name of ['approve', 'cancel'] as const) {
      const r = await command(name, ['--approve', wrong]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(`prepared with (${digest.slice(0, 8)}…): nothing was`);
      expect(r.stderr).to.contain(`payouts run ${file} --batch-id ${BATCH} --dry-run`);
      expect(statuses()).to.deep.equal(['deferred']);
    }
    // Too short to be an approval: a usage error before anything is read.
    const short = await command('approve', ['--approve', digest.slice(0, 12)]);
    expect(short.code).to.equal(2);
    expect(short.stderr).to.contain('its first 16 or more');
    // No --approve at all.
    const none = await command('approve');
    expect(none.code).to.equal(2);
    expect(statuses()).to.deep.equal(['deferred']);
    expect(sim.transfers()).to.have.length(0);
  });

  it('cancelled: the rerun reports every row failed (MassPaymentCancelled) and nothing is paid', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const r = await command('cancel');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Mass payment [0-9a-f-]{36} \(7 items, [\d.]+\): cancelled: nothing of it is paid\.$/m);
    expect(statuses()).to.deep.equal(['cancelled']);

    const again = await command('cancel', ['--approve', digest]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain('already cancelled at Dwolla: nothing done');
    const approve = await command('approve', ['--approve', digest]);
    expect(approve.code, approve.stderr).to.equal(1);
    expect(approve.stdout).to.contain('already cancelled at Dwolla: it can no longer be released');
    expect(statuses()).to.deep.equal(['cancelled']);

    const rerun = await deferredRun();
    expect(rerun.code, rerun.stderr + rerun.stdout).to.equal(1);
    const rows = await results();
    expect(rows.map((row) => `${row.status} ${row.errorCode}`)).to.deep.equal(
      Array(ROWS).fill('failed MassPaymentCancelled'),
    );
    expect(sim.transfers()).to.have.length(0);
    expect(sim.massPayments()).to.have.length(1);
  });

  it('cancel after approve: exit 1, it can no longer be cancelled, and the rows are paid', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    expect((await command('approve', ['--approve', digest])).code).to.equal(0);
    const r = await command('cancel');
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.match(
      /already released \((pending|processing|complete) at Dwolla\): it can no longer be cancelled/,
    );
    expect(statuses()).to.not.include('cancelled');
    await expectPaidOnce(await deferredRun());
  });

  it('a Location never recorded (crash after the 201): found by correlationId among the account mass payments', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const chunks = join(stateDirOf(BATCH, sim.url), 'mass-payments.jsonl');
    const lines = (await readFile(chunks, 'utf8')).split('\n').filter((l) => l !== '');
    const kept = lines.filter((l) => JSON.parse(l).type !== 'created');
    expect(kept).to.have.length(lines.length - 1);
    await writeFile(chunks, `${kept.join('\n')}\n`);

    const r = await command('approve', ['--approve', digest]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`Mass payment ${sim.massPayments()[0]!.id} (7 items`);
    expect(statuses()).to.not.include('deferred');
    await expectPaidOnce(await deferredRun());
  });

  it('a mass payment whose POST never reached Dwolla: exit 3 until the run creates it; then released and paid once', async () => {
    const digest = await dryRunDigest();
    sim.setFaults({ error5xxBeforeRate: 1 });
    const failed = await run(['--mode', 'mass-payment', '--deferred', '--max-attempts', '1']);
    expect(failed.code, failed.stderr + failed.stdout).to.equal(3);
    expect(sim.massPayments()).to.have.length(0);
    sim.setFaults({});

    const early = await command('approve', ['--approve', digest]);
    expect(early.code, early.stderr).to.equal(3);
    expect(early.stdout).to.contain(
      'not created at Dwolla yet: run the same `payouts run` command again (it creates it, deferred), then run this command again.',
    );
    expect(sim.massPayments()).to.have.length(0);

    const created = await deferredRun();
    expect(created.code, created.stderr + created.stdout).to.equal(3);
    expect(statuses()).to.deep.equal(['deferred']);
    expect((await command('approve', ['--approve', digest])).code).to.equal(0);
    await expectPaidOnce(await deferredRun());
    expect(sim.massPayments()).to.have.length(1);
  });

  it('no such batch, or a batch without deferred mass payments: exit 2', async () => {
    const digest = await dryRunDigest();
    const missing = await command('approve', ['--approve', digest]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain(`no batch ${BATCH}`);
    const direct = await run(['--mode', 'mass-payment']);
    expect(direct.code, direct.stderr).to.equal(0);
    const r = await command('cancel');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('has no deferred mass payments');
  });

  it('a batch another process holds: exit 4, nothing released', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const lock = await acquireBatchLock(stateDirOf(BATCH, sim.url));
    try {
      const r = await command('approve', ['--approve', digest]);
      expect(r.code, r.stderr).to.equal(4);
      expect(r.stderr).to.contain('batch is locked');
    } finally {
      await lock.release();
    }
    expect(statuses()).to.deep.equal(['deferred']);
  });

  it('the API cannot be reached: exit 3 (run again), and nothing is lost', async () => {
    const digest = await dryRunDigest();
    await prepareDeferred();
    const closed = sim;
    await closed.close();
    try {
      const off = await command('approve', ['--approve', digest, '--max-attempts', '1']);
      expect(off.code, off.stderr).to.equal(3);
      expect(off.stdout).to.match(/could not be read \([^)]*\): run this command again\./);
    } finally {
      sim = await startSimulator(); // for afterEach
    }
  });
});
