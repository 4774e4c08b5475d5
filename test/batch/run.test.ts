/**
 * `payouts run` for real, end to end: the built CLI in a child process against a simulator
 * started in this process (`--api-url`). Every test counts what reached the simulator: each
 * valid row paid exactly once, none missing, whatever faults, stops and reruns happened.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  type FaultOptions,
  type SimulatorHandle,
  type SimulatorOptions,
  SPECIAL_IDS,
  startSimulator,
} from '../../src/simulator/index.js';
import {
  type CliResult,
  journalOf,
  readCsvRows,
  removeDir,
  runCli,
  startCli,
  stateDirOf,
  tempDir,
} from '../helpers.js';
import {
  countOutcomes,
  DEFAULT_SOURCE,
  expectExactlyOnce,
  makePayees,
  type Payee,
  payeesCsv,
  type Row,
  readJournalLines,
  runArgs,
  SIM_ENV,
  transfersByCorrelationId,
  waitFor,
  writePayees,
} from './helpers.js';

describe('payouts run against the simulator (built CLI, child process)', function () {
  this.timeout(120_000);

  let dir: string;
  let out: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(async () => {
    dir = await tempDir('payouts-batch-');
    out = join(dir, 'out');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await removeDir(dir);
  });

  async function simulator(faults: SimulatorOptions = {}): Promise<SimulatorHandle> {
    const sim = await startSimulator({ port: 0, ...faults });
    sims.push(sim);
    return sim;
  }

  /** The batch folder of a file named `name`.csv. */
  const batchDir = (name: string) => join(out, name);
  const resultsOf = (name: string) => readCsvRows(join(batchDir(name), 'results.csv'));

  function run(
    file: string,
    sim: SimulatorHandle,
    extra: string[] = [],
    env: NodeJS.ProcessEnv = SIM_ENV,
  ): Promise<CliResult> {
    return runCli(runArgs(file, sim, out, extra), { env });
  }

  /** Runs the same command until it exits 0 (at most `max` times); returns every exit code. */
  async function runUntilDone(file: string, sim: SimulatorHandle, extra: string[], max = 4): Promise<number[]> {
    const codes: number[] = [];
    for (let i = 0; i < max; i++) {
      const r = await run(file, sim, extra);
      codes.push(r.code ?? -1);
      if (r.code === 0) {
        return codes;
      }
      expect(r.code, `a faulty run ends 0 or 3 (incomplete), got ${r.code}: ${r.stderr.slice(-2000)}`).to.equal(3);
    }
    throw new Error(`still not done after ${max} runs: exit codes ${codes.join(', ')}`);
  }

  it('pays 30 rows once each, in input order, with summary and an intent before every outcome', async () => {
    const sim = await simulator();
    const payees = makePayees(30, { bankShare: 0.3 });
    const file = await writePayees(dir, 'happy.csv', payees);

    const r = await run(file, sim);
    expect(r.code, r.stderr).to.equal(0);

    const results = await resultsOf('happy');
    expect(results).to.have.length(30);
    expectExactlyOnce(sim, payees, results);
    for (const [i, row] of results.entries()) {
      expect(row.row).to.equal(String(i + 2));
      expect(row.status).to.equal('created');
      expect(row.transferUrl).to.equal(`${sim.url}/transfers/${row.transferId}`);
      expect(row.correlationId).to.equal(row.idempotencyKey);
      expect(row.name).to.equal(payees[i]!.name);
    }
    expect(sim.stats().createRequests).to.equal(30);

    const summary = JSON.parse(await readFile(join(batchDir('happy'), 'summary.json'), 'utf8'));
    const totalCents = payees.reduce((s, p) => s + Number(p.amount.replace('.', '')), 0);
    expect(summary.batchId).to.equal('happy');
    expect(summary.rows).to.equal(30);
    expect(summary.exitCode).to.equal(0);
    expect(summary.inputDigest).to.match(/^[0-9a-f]{64}$/);
    expect(summary.byStatus.created).to.deep.equal({
      count: 30,
      total: `${Math.floor(totalCents / 100)}.${String(totalCents % 100).padStart(2, '0')}`,
    });
    for (const s of ['invalid', 'failed', 'unresolved', 'pending']) {
      expect(summary.byStatus[s].count, s).to.equal(0);
    }

    const journal = await readJournalLines(journalOf('happy', sim.url));
    expect(journal[0]!.type).to.equal('run');
    for (const row of results) {
      const idx = journal.map((rec, i) => (rec.key === row.idempotencyKey ? i : -1)).filter((i) => i >= 0);
      const kinds = idx.map((i) => journal[i]!.type);
      expect(kinds, `journal records of row ${row.row}`).to.deep.equal(['intent', 'outcome']);
      const outcome = journal[idx[1]!]!;
      expect(outcome.status).to.equal('created');
      expect(outcome.via).to.equal('post');
      expect(outcome.transferId).to.equal(row.transferId);
      expect(journal[idx[0]!]!.correlationId).to.equal(row.correlationId);
    }
  });

  it('sends nothing when a finished batch is run again, and reports the same rows', async () => {
    const sim = await simulator();
    const payees = makePayees(30, { bankShare: 0.3 });
    const file = await writePayees(dir, 'again.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);
    const first = await resultsOf('again');
    const before = sim.stats();

    const r = await run(file, sim);
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.stats().createRequests, 'POST /transfers on the rerun').to.equal(before.createRequests);
    expect(sim.transfers()).to.have.length(30);
    const second = await resultsOf('again');
    expect(second).to.deep.equal(first);
    expectExactlyOnce(sim, payees, second);
  });

  describe('faults: every row still paid exactly once', () => {
    /** 40 rows (half from banks, half from the balance) through `faults`, rerun until done. */
    async function underFaults(
      name: string,
      faults: FaultOptions,
      extra: string[] = [],
      during?: (sim: SimulatorHandle, journal: string) => Promise<void>,
    ) {
      const sim = await simulator({ seed: 7, ...faults });
      const payees = makePayees(40, { bankShare: 0.5 });
      const file = await writePayees(dir, `${name}.csv`, payees);
      const args = ['--max-attempts', '10', '--concurrency', '6', ...extra];
      let codes: number[];
      if (during) {
        const first = startCli(runArgs(file, sim, out, args), { env: SIM_ENV });
        await during(sim, journalOf(name, sim.url));
        const r = await first.done;
        codes = [r.code ?? -1];
        if (r.code !== 0) {
          expect(r.code, r.stderr).to.equal(3);
          codes.push(...(await runUntilDone(file, sim, args)));
        }
      } else {
        codes = await runUntilDone(file, sim, args);
      }
      expectExactlyOnce(sim, payees, await resultsOf(name));
      return { sim, codes };
    }

    it('5xx after the transfer is created (error5xxAfterRate 0.3)', async () => {
      const { sim } = await underFaults('after5xx', { error5xxAfterRate: 0.3 });
      expect(sim.stats().injected.error5xxAfter).to.be.greaterThan(0);
      expect(sim.stats().idempotentReplays, 'retries answered with the original transfer').to.be.greaterThan(0);
    });

    it('connections dropped after the transfer is created (dropAfterRate 0.3)', async () => {
      const { sim } = await underFaults('drop', { dropAfterRate: 0.3 });
      expect(sim.stats().injected.dropAfter).to.be.greaterThan(0);
      expect(sim.stats().idempotentReplays).to.be.greaterThan(0);
    });

    it('a 429 storm (rate429 0.3)', async () => {
      const { sim } = await underFaults('storm', { rate429: 0.3 });
      expect(sim.stats().injected.rate429).to.be.greaterThan(0);
    });

    it('5xx before anything is created (error5xxBeforeRate 0.3)', async () => {
      const { sim } = await underFaults('before5xx', { error5xxBeforeRate: 0.3 });
      expect(sim.stats().injected.error5xxBefore).to.be.greaterThan(0);
    });

    it('answers slower than --timeout 1 (slowRate 0.3, slowMs 3000)', async () => {
      const { sim } = await underFaults('slow', { slowRate: 0.3, slowMs: 3000 }, ['--timeout', '1']);
      expect(sim.stats().injected.slow).to.be.greaterThan(0);
      expect(sim.stats().idempotentReplays).to.be.greaterThan(0);
    });

    it('access tokens expiring mid-run (tokenLifetimeSec 2, clock advanced)', async () => {
      const { sim } = await underFaults('tokens', { tokenLifetimeSec: 2, latencyMs: 30 }, [], async (sim, journal) => {
        // Expire whatever token the client holds, several times while it sends.
        for (let i = 1; i <= 4; i++) {
          await waitFor(
            `${i * 5} outcomes`,
            async () => (await countOutcomes(journal)) >= i * 5 || sim.transfers().length >= 40,
          );
          sim.advanceClock(5_000);
        }
      });
      expect(sim.stats().tokensIssued, 'tokens issued').to.be.greaterThan(1);
    });

    it('everything at once (5xx before/after, drops, 429, slow, jitter, short tokens)', async () => {
      const { sim } = await underFaults(
        'mixed',
        {
          error5xxBeforeRate: 0.1,
          error5xxAfterRate: 0.1,
          dropAfterRate: 0.1,
          rate429: 0.1,
          slowRate: 0.05,
          slowMs: 3000,
          latencyMs: 5,
          jitterMs: 20,
          tokenLifetimeSec: 3,
        },
        ['--timeout', '1'],
      );
      const injected = sim.stats().injected;
      expect(Object.values(injected).filter((n) => n > 0).length, JSON.stringify(injected)).to.be.greaterThan(2);
    });
  });

  it('retries a 409 (same key still processing) from a second client racing the same keys', async () => {
    // Two runs of the same batch id in two --out folders: same keys, no shared lock. Each
    // transfer takes 800 ms to process, so one run's POSTs meet the other's in flight.
    const sim = await simulator({ latencyMs: 800 });
    const payees = makePayees(16, { bankShare: 1 });
    const file = await writePayees(dir, 'race.csv', payees);
    const args = (o: string) => [
      'run',
      file,
      '--api-url',
      sim.url,
      '--source',
      DEFAULT_SOURCE,
      '--out',
      o,
      '--concurrency',
      '16',
      '--max-attempts',
      '20',
      '--log-level',
      'warn',
    ];
    // Two installations (two state directories) racing the same keys: one batch lock cannot hold them apart.
    const a = startCli(args(join(dir, 'a')), { env: SIM_ENV });
    const b = startCli(args(join(dir, 'b')), { env: { ...SIM_ENV, PAYOUTS_HOME: join(dir, 'other-home') } });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).to.equal(0);
    expect(rb.code, rb.stderr).to.equal(0);
    expect(sim.stats().idempotencyConflicts, '409 answers').to.be.greaterThan(0);
    const resA = await readCsvRows(join(dir, 'a', 'race', 'results.csv'));
    const resB = await readCsvRows(join(dir, 'b', 'race', 'results.csv'));
    expectExactlyOnce(sim, payees, resA);
    expectExactlyOnce(sim, payees, resB);
    expect(
      resA.some((r) => Number(r.attempts) > 1) || resB.some((r) => Number(r.attempts) > 1),
      'some row retried after its 409',
    ).to.equal(true);
  });

  it('leaves rows unresolved (exit 3) when retries run out, and a rerun pays them once', async () => {
    const sim = await simulator({ error5xxBeforeRate: 1 });
    const payees = makePayees(8, { bankShare: 0.5 });
    const file = await writePayees(dir, 'exhaust.csv', payees);

    const r = await run(file, sim, ['--max-attempts', '2']);
    expect(r.code, r.stderr).to.equal(3);
    const results = await resultsOf('exhaust');
    expect(results.map((x) => x.status)).to.deep.equal(payees.map(() => 'unresolved'));
    for (const x of results) {
      expect(x.attempts).to.equal('2');
      expect(x.httpStatus).to.match(/^50[03]$/);
      expect(x.errorCode).to.equal('ServerError');
    }
    expect(sim.transfers()).to.have.length(0);
    const summary = JSON.parse(await readFile(join(batchDir('exhaust'), 'summary.json'), 'utf8'));
    expect(summary.exitCode).to.equal(3);
    expect(summary.byStatus.unresolved.count).to.equal(8);

    sim.setFaults({});
    const again = await run(file, sim, ['--max-attempts', '2']);
    expect(again.code, again.stderr).to.equal(0);
    expectExactlyOnce(sim, payees, await resultsOf('exhaust'));
  });

  it('settles an intent without an outcome by correlationId lookup 25 hours later, when Dwolla has forgotten the key', async () => {
    // Every POST creates its transfer and then loses the answer: the journal has intents, no created outcome.
    const sim = await simulator({ dropAfterRate: 1 });
    const payees = makePayees(10, { bankShare: 0.5 });
    const file = await writePayees(dir, 'lookup.csv', payees);

    const r = await run(file, sim, ['--max-attempts', '1']);
    expect(r.code, r.stderr).to.equal(3);
    expect((await resultsOf('lookup')).every((x) => x.status === 'unresolved')).to.equal(true);
    expect(sim.transfers()).to.have.length(10);
    const posts = sim.stats().createRequests;

    sim.advanceClock(25 * 3600 * 1000);
    sim.setFaults({});
    const again = await run(file, sim, ['--max-attempts', '1']);
    expect(again.code, again.stderr).to.equal(0);
    expect(sim.stats().createRequests, 'no POST on the rerun: the lookup found every transfer').to.equal(posts);
    const results = await resultsOf('lookup');
    expectExactlyOnce(sim, payees, results);

    const journal = await readJournalLines(journalOf('lookup', sim.url));
    for (const row of results) {
      const outcomes = journal.filter((x) => x.type === 'outcome' && x.key === row.idempotencyKey);
      expect(
        outcomes.map((o) => o.status),
        `row ${row.row}`,
      ).to.deep.equal(['unresolved', 'created']);
      expect(outcomes[1]!.via, `row ${row.row}`).to.equal('lookup');
      expect(outcomes[1]!.transferId).to.equal(row.transferId);
      expect(row.clearing, `row ${row.row}: the clearing decided when it was sent, from its intent`).to.be.oneOf([
        'same-day',
        'standard',
      ]);
    }
  });

  it('refuses a changed file (exit 2) unless --resume, which sends only the new rows', async () => {
    const sim = await simulator();
    const payees = makePayees(10, { bankShare: 0.3 });
    const file = await writePayees(dir, 'monthly.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);

    const edited: Payee[] = [
      { ...payees[0]!, name: 'Renamed Payee' },
      ...payees.slice(1),
      ...makePayees(3, { prefix: 'NEW', bankShare: 0.3 }),
    ];
    await writeFile(file, payeesCsv(edited));
    const resultsBefore = await readFile(join(batchDir('monthly'), 'results.csv'));

    const refused = await run(file, sim);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('--resume').and.to.contain('--batch-id');
    expect(sim.transfers()).to.have.length(10);
    expect(await readFile(join(batchDir('monthly'), 'results.csv'))).to.deep.equal(resultsBefore);

    const posts = sim.stats().createRequests;
    const resumed = await run(file, sim, ['--resume']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(sim.stats().createRequests - posts, 'POSTs of the resumed run').to.equal(3);
    const results = await resultsOf('monthly');
    expectExactlyOnce(sim, edited, results);
    expect(results[0]!.name).to.equal('Renamed Payee');

    // The edited file is now the batch's file: a plain rerun is accepted and sends nothing.
    const plain = await run(file, sim);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(sim.stats().createRequests - posts).to.equal(3);
  });

  it('exits 4 naming the holder when another run holds the batch, and the holder finishes', async () => {
    const sim = await simulator({ latencyMs: 300 });
    const payees = makePayees(20);
    const file = await writePayees(dir, 'held.csv', payees);
    const first = startCli(runArgs(file, sim, out, ['--concurrency', '1']), { env: SIM_ENV });
    await waitFor('the first outcome', async () => (await countOutcomes(journalOf('held', sim.url))) >= 1);

    const second = await run(file, sim, ['--concurrency', '1']);
    expect(second.code, second.stderr).to.equal(4);
    expect(second.stderr).to.contain(`pid ${first.child.pid}`);

    const r = await first.done;
    expect(r.code, r.stderr).to.equal(0);
    expectExactlyOnce(sim, payees, await resultsOf('held'));
  });

  it('stops on SIGTERM with exit 3, losing no row, and a rerun finishes the batch', async () => {
    const sim = await simulator({ latencyMs: 100 });
    const payees = makePayees(100, { bankShare: 1, bankPool: 5 });
    const file = await writePayees(dir, 'term.csv', payees);
    const journal = journalOf('term', sim.url);
    const running = startCli(runArgs(file, sim, out, ['--concurrency', '2']), { env: SIM_ENV });
    await waitFor('5 outcomes', async () => (await countOutcomes(journal)) >= 5);
    running.child.kill('SIGTERM');
    const r = await running.done;
    expect(r.code, r.stderr).to.equal(3);

    const results = await resultsOf('term');
    expect(results).to.have.length(100);
    const created = results.filter((x) => x.status === 'created');
    const pending = results.filter((x) => x.status === 'pending');
    expect(created.length + pending.length, 'every row created or pending').to.equal(100);
    expect(created.length).to.be.at.least(5);
    expect(pending.length).to.be.at.least(1);
    // What reached Dwolla is exactly what results.csv reports created: requests in flight finished.
    expect(
      sim
        .transfers()
        .map((t) => t.id)
        .sort(),
    ).to.deep.equal(created.map((x) => x.transferId).sort());
    const summary = JSON.parse(await readFile(join(batchDir('term'), 'summary.json'), 'utf8'));
    expect(summary.byStatus.pending.count).to.equal(pending.length);
    expect(existsSync(join(stateDirOf('term', sim.url), 'lock')), 'lock released').to.equal(false);

    const again = await run(file, sim, ['--concurrency', '2']);
    expect(again.code, again.stderr).to.equal(0);
    expectExactlyOnce(sim, payees, await resultsOf('term'));
  });

  it('keeps at most --concurrency transfers in flight, and one per balance source', async () => {
    const sim = await simulator({ latencyMs: 50 });
    const banks = makePayees(60, { bankShare: 1 });
    const bankFile = await writePayees(dir, 'banks.csv', banks);
    const r = await run(bankFile, sim, ['--concurrency', '5']);
    expect(r.code, r.stderr).to.equal(0);
    expectExactlyOnce(sim, banks, await resultsOf('banks'));
    expect(sim.stats().maxInFlight).to.be.at.most(5);
    expect(sim.stats().maxInFlight, 'sends overlap').to.be.at.least(2);

    const sim2 = await simulator({ latencyMs: 20 });
    const balance = makePayees(30);
    const balanceFile = await writePayees(dir, 'balance.csv', balance);
    const r2 = await run(balanceFile, sim2, ['--concurrency', '8']);
    expect(r2.code, r2.stderr).to.equal(0);
    expectExactlyOnce(sim2, balance, await resultsOf('balance'));
    expect(sim2.stats().maxInFlightPerBalanceSource).to.equal(1);
    expect(sim2.stats().concurrencyRejections).to.equal(0);
  });

  it('fails rows whose source is removed or unverified without sending them (exit 1)', async () => {
    const sim = await simulator();
    const good = makePayees(6, { bankShare: 0.5 });
    const bad = makePayees(4, { prefix: 'BAD' });
    bad[0]!.source = SPECIAL_IDS.removedBank;
    bad[1]!.source = SPECIAL_IDS.unverifiedBank;
    bad[2]!.source = SPECIAL_IDS.removedBank;
    bad[3]!.source = SPECIAL_IDS.unverifiedBank;
    const all = [good[0]!, bad[0]!, good[1]!, bad[1]!, good[2]!, good[3]!, bad[2]!, good[4]!, bad[3]!, good[5]!];
    const file = await writePayees(dir, 'preflight.csv', all);

    const r = await run(file, sim);
    expect(r.code, r.stderr).to.equal(1);
    const results = await resultsOf('preflight');
    for (const [i, p] of all.entries()) {
      const row = results[i]!;
      expect(row.paymentId).to.equal(p.paymentId);
      if (p.source === SPECIAL_IDS.removedBank) {
        expect([row.status, row.errorCode]).to.deep.equal(['failed', 'SourceRemoved']);
      } else if (p.source === SPECIAL_IDS.unverifiedBank) {
        expect([row.status, row.errorCode]).to.deep.equal(['failed', 'SourceUnverified']);
      } else {
        expect(row.status).to.equal('created');
      }
    }
    const sources = sim.transfers().map((t) => t._links['source-funding-source']?.href ?? '');
    expect(
      sources.filter((s) => s.endsWith(SPECIAL_IDS.removedBank) || s.endsWith(SPECIAL_IDS.unverifiedBank)),
    ).to.deep.equal([]);
    expect(sim.stats().createRequests, 'only the good rows were POSTed').to.equal(6);
    const by = transfersByCorrelationId(sim);
    for (const row of results.filter((x) => x.status === 'created')) {
      expect(by.get(row.correlationId!)).to.have.length(1);
    }
    const summary = JSON.parse(await readFile(join(batchDir('preflight'), 'summary.json'), 'utf8'));
    expect(summary.byStatus.failed.count).to.equal(4);
    expect(summary.exitCode).to.equal(1);
  });

  it("fails a row Dwolla refuses for good (400) with Dwolla's code and embedded path (exit 1)", async () => {
    const sim = await simulator();
    const payees = makePayees(5);
    payees[2]!.destination = SPECIAL_IDS.removedBank;
    const file = await writePayees(dir, 'refused.csv', payees);

    const r = await run(file, sim, ['--max-attempts', '5']);
    expect(r.code, r.stderr).to.equal(1);
    const results = await resultsOf('refused');
    const bad = results[2]!;
    expect(bad.status).to.equal('failed');
    expect(bad.httpStatus).to.equal('400');
    expect(bad.errorCode).to.equal('ValidationError');
    expect(bad.errorMessage).to.contain('/_links/destination/href');
    expect(bad.attempts, 'a permanent refusal is not retried').to.equal('1');
    expect(results.filter((x) => x.status === 'created')).to.have.length(4);
    expect(sim.transfers()).to.have.length(4);
    expect(sim.stats().validationFailures).to.equal(1);
  });

  it('keeps DWOLLA_SECRET and access tokens out of logs, results, summary and journal', async () => {
    const secret = 'supersecret-XYZ';
    const sim = await simulator({
      credentials: { key: 'key-ABC', secret },
      seed: 3,
      dropAfterRate: 0.2,
      error5xxBeforeRate: 0.2,
      tokenLifetimeSec: 2,
      latencyMs: 20,
    });
    const payees = makePayees(20, { bankShare: 0.5 });
    const file = await writePayees(dir, 'secret.csv', payees);
    const env = { DWOLLA_KEY: 'key-ABC', DWOLLA_SECRET: secret };
    const outputs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await run(file, sim, ['--log-level', 'debug', '--max-attempts', '10'], env);
      outputs.push(r.stdout, r.stderr);
      if (r.code === 0) {
        break;
      }
    }
    expectExactlyOnce(sim, payees, await resultsOf('secret'));
    const files = [
      join(batchDir('secret'), 'results.csv'),
      join(batchDir('secret'), 'summary.json'),
      journalOf('secret', sim.url),
    ];
    for (const f of files) {
      outputs.push(await readFile(f, 'utf8'));
    }
    const basic = Buffer.from(`key-ABC:${secret}`).toString('base64');
    for (const [i, text] of outputs.entries()) {
      const what = i < outputs.length - files.length ? `CLI output ${i}` : files[i - (outputs.length - files.length)];
      expect(text, what).to.not.contain(secret);
      expect(text, what).to.not.contain(basic);
      expect(text, what).to.not.contain('access_token');
      expect(text, what).to.not.match(/Bearer\s+[A-Za-z0-9_-]{20,}/);
    }
  });

  it('--dry-run leaves the results, summary and journal of a batch that ran untouched, and predicts its rows as created', async () => {
    const sim = await simulator();
    const payees = makePayees(8);
    const file = await writePayees(dir, 'dry.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);
    const paths = [
      join(batchDir('dry'), 'results.csv'),
      join(batchDir('dry'), 'summary.json'),
      journalOf('dry', sim.url),
    ];
    const before = await Promise.all(paths.map((p) => readFile(p)));

    // No credentials: a dry run reads the state of the account this API answered last.
    const dry = await runCli(['run', file, '--dry-run', '--api-url', sim.url, '--out', out]);
    expect(dry.code, dry.stderr).to.equal(0);
    const after = await Promise.all(paths.map((p) => readFile(p)));
    for (const [i, p] of paths.entries()) {
      expect(after[i]!.equals(before[i]!), p).to.equal(true);
    }
    const plan: Row[] = await readCsvRows(join(batchDir('dry'), 'plan.csv'));
    expect(plan.map((x) => x.status)).to.deep.equal(payees.map(() => 'created'));
    expect(sim.transfers()).to.have.length(8);
  });

  it('send-only configuration is needed only when rows remain to send', async () => {
    const sim = await simulator();
    const payees = makePayees(4);
    const file = await writePayees(dir, 'cfg.csv', payees);
    const bare = ['run', file, '--api-url', sim.url, '--out', out, '--log-level', 'warn'];
    // Rows to send, no credentials: a usage error, nothing sent.
    const noCreds = await runCli([...bare, '--source', DEFAULT_SOURCE]);
    expect(noCreds.code, noCreds.stderr).to.equal(2);
    expect(noCreds.stderr).to.contain('DWOLLA_KEY');
    // Rows to send, no source: a usage error, never a batch of invalid rows.
    const noSource = await runCli(bare, { env: SIM_ENV });
    expect(noSource.code, noSource.stderr).to.equal(2);
    expect(noSource.stderr).to.contain('--source');
    expect(sim.transfers()).to.have.length(0);
    expect((await run(file, sim)).code).to.equal(0);
    // Everything created: neither the source nor the credentials are needed to report it.
    const report = await runCli(bare);
    expect(report.code, report.stderr).to.equal(0);
    expect((await resultsOf('cfg')).map((x) => x.status)).to.deep.equal(payees.map(() => 'created'));
    expect(sim.transfers()).to.have.length(4);
  });

  it('a rehearsal on the embedded simulator and a real run of the same file never see each other', async () => {
    const sim = await simulator();
    const payees = makePayees(6);
    const file = await writePayees(dir, 'both.csv', payees);
    const rehearsal = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(rehearsal.code, rehearsal.stderr).to.equal(0);
    const real = await run(file, sim);
    expect(real.code, real.stderr).to.equal(0);
    expect(sim.transfers(), 'the real run sent every row').to.have.length(6);
    expectExactlyOnce(sim, payees, await resultsOf('both'));
    // The rehearsal again: it does not overwrite the real batch's results, and sends in its own simulator.
    const realResults = await readFile(join(batchDir('both'), 'results.csv'));
    const again = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout + again.stderr).to.contain('both.simulator');
    expect(await readFile(join(batchDir('both'), 'results.csv'))).to.deep.equal(realResults);
    expect(sim.transfers()).to.have.length(6);
  });

  it('another --out or a lost output folder does not pay a row again', async () => {
    const sim = await simulator();
    const payees = makePayees(5, { bankShare: 0.5 });
    const file = await writePayees(dir, 'moved.csv', payees);
    expect((await run(file, sim)).code).to.equal(0);
    await removeDir(out);
    const other = join(dir, 'elsewhere');
    const r = await runCli(runArgs(file, sim, other), { env: SIM_ENV });
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.transfers()).to.have.length(5);
    const rows = await readCsvRows(join(other, 'moved', 'results.csv'));
    expect(rows.map((x) => x.status)).to.deep.equal(payees.map(() => 'created'));
  });

  it('a rerun with another --source after a shortfall keeps every key: rows paid are not paid again', async () => {
    const sim = await simulator({ latencyMs: 30 });
    // Rows without paymentId: their identity is their content, which leaves the source out.
    const payees = makePayees(12).map((p) => ({ ...p, paymentId: '' }));
    const file = await writePayees(dir, 'switch.csv', payees);
    const first = startCli(runArgs(file, sim, out, ['--concurrency', '1']), { env: SIM_ENV });
    await waitFor('3 outcomes', async () => (await countOutcomes(journalOf('switch', sim.url))) >= 3);
    first.child.kill('SIGKILL');
    await first.done;
    expect(sim.transfers().length).to.be.greaterThan(0);
    const bank = '5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b'; // any unknown id is a verified bank in the simulator
    const r = await runCli(['run', file, '--api-url', sim.url, '--source', bank, '--out', out, '--log-level', 'warn'], {
      env: SIM_ENV,
    });
    expect(r.code, r.stderr).to.equal(0);
    const paidTo = sim.transfers().map((t) => t._links['destination-funding-source']?.href?.split('/').pop());
    expect(paidTo.sort(), 'each payee paid exactly once').to.deep.equal(payees.map((p) => p.destination).sort());
    expect((await resultsOf('switch')).map((x) => x.status)).to.deep.equal(payees.map(() => 'created'));
  });
});
