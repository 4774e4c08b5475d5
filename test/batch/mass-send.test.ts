/**
 * Mass Payment mode end to end (issue 12): the built CLI against a simulator in this process over
 * HTTP on 127.0.0.1, real files and state in temp folders. Transfers are counted at the simulator.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { type SimulatorHandle, type SimulatorOptions, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { type CliResult, readCsvRows, removeDir, runCli, startCli, stateDirOf, tempDir } from '../helpers.js';
import {
  DEFAULT_SOURCE,
  expectPaidOnce,
  makePayees,
  readJournalLines,
  runArgs,
  SIM_ENV,
  waitFor,
  writePayees,
} from './helpers.js';

describe('Mass Payment mode (built CLI, simulator)', function () {
  this.timeout(120_000);
  let dir: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(async () => {
    dir = await tempDir('payouts-mass-');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await removeDir(dir);
  });

  async function simulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
    const sim = await startSimulator({ port: 0, massPaymentStepMs: 50, ...opts });
    sims.push(sim);
    return sim;
  }

  function run(file: string, sim: SimulatorHandle, extra: string[] = []): Promise<CliResult> {
    return runCli(runArgs(file, sim, join(dir, 'out'), extra), { env: SIM_ENV });
  }

  async function results(batch: string): Promise<Array<Record<string, string>>> {
    return readCsvRows(join(dir, 'out', batch, 'results.csv'));
  }

  /** Dwolla completes the mass payments waiting (pending → processing → complete, POST /sandbox-simulations twice). */
  function completeMassPayments(sim: SimulatorHandle): void {
    sim.simulate();
    sim.simulate();
  }

  it('--mode mass-payment: one mass payment carries every row; each row gets its item’s transfer; a rerun sends nothing', async () => {
    const sim = await simulator();
    const payees = makePayees(30);
    const file = await writePayees(dir, 'payroll.csv', payees);
    const r = await run(file, sim, ['--mode', 'mass-payment']);
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(1);
    expect(sim.massPayments()[0]!.status).to.equal('complete');
    const rows = await results('payroll');
    expectPaidOnce(sim, payees, rows);
    expect(rows.every((x) => x.clearing === 'same-day' || x.clearing === 'standard')).to.equal(true);
    const again = await run(file, sim, ['--mode', 'mass-payment']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/nothing to send/i);
    expect(sim.massPayments()).to.have.length(1);
    expectPaidOnce(sim, payees, await results('payroll'));
  });

  it('--chunk-size splits a source’s rows into mass payments of at most that many items, in file order', async () => {
    // Slow enough that each of the 3 is polled several times (the waits share one stop signal).
    const sim = await simulator({ massPaymentStepMs: 2000 });
    const payees = makePayees(23);
    const file = await writePayees(dir, 'chunks.csv', payees);
    const r = await run(file, sim, ['--mode', 'mass-payment', '--chunk-size', '10']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr, 'no listener left behind by a poll').not.to.contain('MaxListenersExceededWarning');
    const sizes = sim.massPayments().map((m) => m.itemCount);
    expect(sizes).to.deep.equal([10, 10, 3]);
    expectPaidOnce(sim, payees, await results('chunks'));
  });

  it('--mode auto uses Mass Payments only for a source with more rows than --mass-payment-threshold', async () => {
    const sim = await simulator();
    const bank = SPECIAL_IDS.accountBank;
    const payees = [
      ...makePayees(12, { prefix: 'BAL' }),
      ...makePayees(3, { prefix: 'BNK' }).map((p) => ({ ...p, source: bank })),
    ];
    const file = await writePayees(dir, 'auto.csv', payees);
    const r = await run(file, sim, ['--mass-payment-threshold', '10']);
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(1);
    expect(sim.massPayments()[0]!.itemCount).to.equal(12);
    const rows = await results('auto');
    expectPaidOnce(sim, payees, rows);
    expect(sim.transfers().filter((t) => t._links['source-funding-source']?.href?.endsWith(bank))).to.have.length(3);
  });

  it('--mode auto counts only the rows a mass payment can carry against the threshold', async () => {
    const sim = await simulator();
    const bank = SPECIAL_IDS.accountBank;
    const [a, b, c] = makePayees(3);
    const text = [
      'paymentId,destination,amount,source,sourceAddenda',
      `A-1,${a!.destination},10.00,${bank},`,
      `A-2,${b!.destination},11.00,${bank},INV-2`,
      `A-3,${c!.destination},12.00,${bank},INV-3`,
    ].join('\n');
    const file = join(dir, 'addenda.csv');
    await writeFile(file, `${text}\n`);
    // One row fits an item: not more than the threshold of 1, so no mass payment for one item.
    const r = await run(file, sim, ['--mass-payment-threshold', '1']);
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(0);
    expect(sim.transfers()).to.have.length(3);
  });

  it('a mixed file: a row with source addenda goes as a single transfer, an invalid row is invalid, a removed destination’s item fails with Dwolla’s error', async () => {
    const sim = await simulator();
    const text = [
      'paymentId,destination,amount,source,sourceAddenda',
      `P-1,${makePayees(1)[0]!.destination},10.00,,`,
      `P-2,${SPECIAL_IDS.removedBank},11.00,,`,
      'P-3,not-a-uuid,12.00,,',
      `P-4,${makePayees(1)[0]!.destination},13.00,,`,
      `P-5,${makePayees(1)[0]!.destination},14.00,${SPECIAL_IDS.accountBank},INV-5`,
    ].join('\n');
    const file = join(dir, 'mixed.csv');
    await writeFile(file, `${text}\n`);
    const r = await run(file, sim, ['--mode', 'mass-payment']);
    expect(r.code, r.stderr).to.equal(1);
    const rows = await results('mixed');
    expect(rows.map((x) => x.status)).to.deep.equal(['created', 'failed', 'invalid', 'created', 'created']);
    expect(rows[1]!.errorCode, rows[1]!.errorMessage).to.match(/./);
    expect(sim.massPayments()).to.have.length(1);
    expect(sim.massPayments()[0]!.itemCount).to.equal(3);
    expect(sim.transfers()).to.have.length(3);
    const single = sim.transfers().find((t) => t.amount.value === '14.00');
    expect(single?.idempotencyKey, 'the source-addenda row went as its own POST /transfers').to.equal(
      rows[4]!.idempotencyKey,
    );
  });

  it('several sources and a fee: each source its own mass payment, the fee row a single transfer that says so', async () => {
    const sim = await simulator();
    // A payee bank and its customer (src/simulator: any UUID is a bank of its own customer; the
    // fee is charged to that customer, a party to the transfer).
    const dest = '8d116ece-1738-47d9-bd9c-172411e20b8f';
    const customer = '7b0df562-46af-4691-a470-ed7efc508817';
    const bank = SPECIAL_IDS.accountBank;
    const other = makePayees(4, { prefix: 'S' });
    const text = [
      'paymentId,destination,amount,source,feeAmount,feeChargeTo',
      ...other.slice(0, 2).map((p) => `${p.paymentId},${p.destination},${p.amount},,,`),
      ...other.slice(2).map((p) => `${p.paymentId},${p.destination},${p.amount},${bank},,`),
      `F-1,${dest},50.00,,1.00,${customer}`,
    ].join('\n');
    const file = join(dir, 'sources.csv');
    await writeFile(file, `${text}\n`);
    const r = await run(file, sim, ['--mode', 'mass-payment']);
    expect(r.code, r.stderr).to.equal(0);
    expect(
      sim
        .massPayments()
        .map((m) => m.itemCount)
        .sort(),
    ).to.deep.equal([2, 2]);
    const rows = await results('sources');
    expect(rows.map((x) => x.status)).to.deep.equal(Array(5).fill('created'));
    expect(rows[4]!.errorMessage).to.equal(
      'sent as a single transfer: a mass payment item cannot carry a facilitator fee',
    );
    const fee = sim.transfers().find((t) => t.amount.value === '50.00');
    expect(fee?.idempotencyKey).to.equal(rows[4]!.idempotencyKey);
    expect(sim.transfers()).to.have.length(5);
  });

  it('--no-wait exits 3 with the rows pending in their mass payment; the same command later records them, paying nothing twice', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(8);
    const file = await writePayees(dir, 'later.csv', payees);
    const r = await run(file, sim, ['--mode', 'mass-payment', '--no-wait']);
    expect(r.code, r.stderr).to.equal(3);
    const pending = await results('later');
    expect(pending.map((x) => x.status)).to.deep.equal(Array(8).fill('pending'));
    expect(pending[0]!.errorMessage).to.match(/in mass payment .* pending at Dwolla: run the same command again/);
    // The clearing its mass payment asked for, decided when it was sent.
    expect(pending.map((x) => ['same-day', 'standard'].includes(x.clearing!))).to.deep.equal(Array(8).fill(true));
    expect(sim.transfers()).to.have.length(0);
    completeMassPayments(sim);
    const done = await run(file, sim, ['--mode', 'mass-payment']);
    expect(done.code, done.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(1);
    expectPaidOnce(sim, payees, await results('later'));
  });

  it('a rerun with --mode transfers still settles rows sent in an earlier run’s mass payment through it', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(5);
    const file = await writePayees(dir, 'switch.csv', payees);
    expect((await run(file, sim, ['--mode', 'mass-payment', '--no-wait'])).code).to.equal(3);
    completeMassPayments(sim);
    const r = await run(file, sim, ['--mode', 'transfers']);
    expect(r.code, r.stderr).to.equal(0);
    expectPaidOnce(sim, payees, await results('switch'));
  });

  it('a 5xx after the mass payment was created, and a dropped connection: retried with the same key, created once', async () => {
    for (const fault of [{ error5xxAfterRate: 1 }, { dropAfterRate: 1 }]) {
      const sim = await simulator({ ...fault, seed: 7 });
      const payees = makePayees(6);
      const name = `fault-${Object.keys(fault)[0]}`;
      const file = await writePayees(dir, `${name}.csv`, payees);
      const r = await run(file, sim, ['--mode', 'mass-payment']);
      // The retry with the same Idempotency-Key gets the original Location (201), not a second one.
      expect(r.code, r.stderr).to.equal(0);
      expect(sim.massPayments(), 'created once, whatever the retries').to.have.length(1);
      expectPaidOnce(sim, payees, await results(name));
    }
  });

  it('SIGTERM while waiting for a mass payment: exit 3, its rows pending, the lock released; the same command finishes it', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(6);
    const file = await writePayees(dir, 'term.csv', payees);
    const cli = startCli(runArgs(file, sim, join(dir, 'out'), ['--mode', 'mass-payment']), { env: SIM_ENV });
    await waitFor('the mass payment', () => sim.massPayments().length === 1);
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).to.equal(3);
    const rows = await results('term');
    expect(rows.map((x) => x.status)).to.deep.equal(Array(6).fill('pending'));
    expect(rows[0]!.errorMessage).to.contain('stopped while waiting');
    expect(existsSync(join(stateDirOf('term', sim.url), 'lock'))).to.equal(false);
    completeMassPayments(sim);
    const done = await run(file, sim, ['--mode', 'mass-payment']);
    expect(done.code, done.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(1);
    expectPaidOnce(sim, payees, await results('term'));
  });

  it('SIGTERM while a chunk waits for room among 4 open mass payments: nothing of it is journalled or recorded, so a row removed before --resume is never paid', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(10);
    const file = await writePayees(dir, 'room.csv', payees);
    const args = ['--mode', 'mass-payment', '--chunk-size', '2'];
    const cli = startCli(runArgs(file, sim, join(dir, 'out'), args), { env: SIM_ENV });
    await waitFor('4 mass payments', () => sim.massPayments().length === 4);
    // The fifth chunk (rows 9 and 10) now waits for the first mass payment to complete.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).to.equal(3);
    const state = stateDirOf('room', sim.url);
    const intents = (await readJournalLines(join(state, 'journal.jsonl'))).filter((r) => r.type === 'intent');
    expect(intents.map((r) => r.row)).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9]);
    const { readChunks, chunkFilePath } = await import('../../src/batch/chunk-file.js');
    expect((await readChunks(chunkFilePath(state))).size).to.equal(4);
    // Row 10 (payee 9) is removed; the batch goes on with --resume once Dwolla completes the four.
    completeMassPayments(sim);
    const kept = payees.filter((_, i) => i !== 8);
    await writePayees(dir, 'room.csv', kept);
    const resumed = await run(file, sim, [...args, '--resume', '--no-wait']);
    expect(resumed.code, resumed.stderr).to.equal(3);
    expect(sim.massPayments().map((m) => m.itemCount)).to.deep.equal([2, 2, 2, 2, 1]);
    const removed = payees[8]!.destination;
    expect(sim.transfers().filter((t) => t._links.destination?.href.endsWith(removed))).to.deep.equal([]);
    completeMassPayments(sim);
    expect((await run(file, sim, [...args, '--resume'])).code).to.equal(0);
    expectPaidOnce(sim, kept, await results('room'));
  });

  it('Same Day is decided per chunk when it is sent: before a cutoff its items ask next-available, with --clearing standard none do', async () => {
    const sim = await simulator();
    const payees = makePayees(3);
    const { readChunks, chunkFilePath } = await import('../../src/batch/chunk-file.js');
    // Wednesday 2 December 2026, 08:00 Central: before the 09:00 cutoff.
    const morning = ['--mode', 'mass-payment', '--now', '2026-12-02T08:00:00-06:00'];
    const early = await writePayees(dir, 'early.csv', payees);
    expect((await run(early, sim, morning)).code).to.equal(0);
    const [chunk] = [...(await readChunks(chunkFilePath(stateDirOf('early', sim.url)))).values()];
    expect(chunk!.record.body.items.map((i) => i.clearing)).to.deep.equal(
      Array(3).fill({ destination: 'next-available' }),
    );
    const rows = await results('early');
    expect(rows.map((x) => [x.clearing, x.sameDayCutoff])).to.deep.equal(
      Array(3).fill(['same-day', '2026-12-02T09:00:00-06:00']),
    );
    const std = await writePayees(dir, 'std.csv', makePayees(3, { prefix: 'STD' }));
    expect((await run(std, sim, [...morning, '--clearing', 'standard'])).code).to.equal(0);
    const [plain] = [...(await readChunks(chunkFilePath(stateDirOf('std', sim.url)))).values()];
    expect(plain!.record.body.items.map((i) => i.clearing)).to.deep.equal([undefined, undefined, undefined]);
    expect((await results('std')).map((x) => x.clearing)).to.deep.equal(['standard', 'standard', 'standard']);
  });

  it('the batch’s state lost after a mass payment was created, Dwolla’s key forgotten (25 h): the rerun finds it by correlationId, pays nothing twice', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(5).map((p) => ({ ...p, paymentId: '' }));
    const file = join(dir, 'lost.csv');
    await writeFile(file, `destination,amount\n${payees.map((p) => `${p.destination},${p.amount}`).join('\n')}\n`);
    expect((await run(file, sim, ['--mode', 'mass-payment', '--no-wait'])).code).to.equal(3);
    expect(sim.massPayments()).to.have.length(1);
    await removeDir(process.env.PAYOUTS_HOME!);
    await removeDir(join(dir, 'out'));
    sim.advanceClock(25 * 3600 * 1000);
    const r = await run(file, sim, ['--mode', 'mass-payment']);
    expect(r.code, r.stderr).to.equal(0);
    expect(sim.massPayments(), 'the one mass payment, not a second').to.have.length(1);
    const rows = await results('lost');
    expect(rows.map((x) => x.status)).to.deep.equal(Array(5).fill('created'));
    expect(sim.transfers()).to.have.length(5);
  });

  it('the state lost while a mass payment is pending, then chunked otherwise: paymentId rows are found among its items, never sent again', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000 });
    const payees = makePayees(6);
    const file = await writePayees(dir, 'pending.csv', payees);
    expect((await run(file, sim, ['--mode', 'mass-payment', '--chunk-size', '3', '--no-wait'])).code).to.equal(3);
    expect(sim.massPayments()).to.have.length(2);
    await removeDir(process.env.PAYOUTS_HOME!);
    // Another chunk size makes other chunks: the chunk-id search cannot find them; the items can.
    const held = await run(file, sim, ['--mode', 'mass-payment']);
    expect(held.code, held.stderr).to.equal(3);
    expect(sim.massPayments(), 'no third mass payment').to.have.length(2);
    const rows = await results('pending');
    expect(rows.map((x) => x.status)).to.deep.equal(Array(6).fill('pending'));
    expect(rows[0]!.errorMessage).to.match(
      /an item of mass payment .* not complete at Dwolla, has this row's correlationId/,
    );
    completeMassPayments(sim);
    const done = await run(file, sim, ['--mode', 'mass-payment']);
    expect(done.code, done.stderr).to.equal(0);
    expect(sim.massPayments()).to.have.length(2);
    expectPaidOnce(sim, payees, await results('pending'));
  });

  it('a row whose item failed (InsufficientFunds) is sent again by the next run, as a new payment', async () => {
    const sim = await simulator({ massPaymentStepMs: 3_600_000, balance: '100.00' });
    const file = join(dir, 'retry.csv');
    const [a, b] = makePayees(2);
    await writeFile(file, `paymentId,destination,amount\nX-1,${a!.destination},40.00\nX-2,${b!.destination},40.00\n`);
    expect((await run(file, sim, ['--mode', 'mass-payment', '--no-wait'])).code).to.equal(3);
    // Another batch takes 50.00 of the 100.00 before the mass payment is processed: X-2's item fails.
    const other = join(dir, 'other.csv');
    await writeFile(other, `paymentId,destination,amount\nY-1,${makePayees(1)[0]!.destination},50.00\n`);
    expect((await run(other, sim, ['--mode', 'transfers'])).code).to.equal(0);
    completeMassPayments(sim);
    const first = await run(file, sim, ['--mode', 'mass-payment']);
    expect(first.code, first.stderr).to.equal(1);
    expect((await results('retry')).map((x) => `${x.status} ${x.errorCode}`)).to.deep.equal([
      'created ',
      'failed InsufficientFunds',
    ]);
    expect(first.stdout).to.contain('Sent no transfers');
    // The balance is topped up from the account's bank; the next run sends X-2 again, alone, in a
    // new mass payment (X-1 is not sent again).
    const topUp = join(dir, 'topup.csv');
    await writeFile(topUp, `destination,amount\n${DEFAULT_SOURCE},100.00\n`);
    expect((await run(topUp, sim, ['--mode', 'transfers', '--source', SPECIAL_IDS.accountBank])).code).to.equal(0);
    for (let i = 0; i < 4; i++) {
      sim.simulate();
    }
    const again = await run(file, sim, ['--mode', 'mass-payment', '--no-wait']);
    expect(again.code, again.stderr).to.equal(3);
    expect(sim.massPayments().map((m) => m.itemCount)).to.deep.equal([2, 1]);
    expect((await results('retry')).map((x) => x.status)).to.deep.equal(['created', 'pending']);
  });

  it('the chunk record survives in the batch’s state: mass-payments.jsonl holds its keys, body and Location', async () => {
    const sim = await simulator();
    const payees = makePayees(4);
    const file = await writePayees(dir, 'record.csv', payees);
    expect((await run(file, sim, ['--mode', 'mass-payment'])).code).to.equal(0);
    const { readChunks, chunkFilePath } = await import('../../src/batch/chunk-file.js');
    const chunks = [...(await readChunks(chunkFilePath(stateDirOf('record', sim.url)))).values()];
    expect(chunks).to.have.length(1);
    expect(chunks[0]!.record.keys).to.have.length(4);
    expect(chunks[0]!.record.body.items).to.have.length(4);
    expect(chunks[0]!.url).to.equal(`${sim.url}/mass-payments/${sim.massPayments()[0]!.id}`);
    expect(chunks[0]!.record.body._links.source.href).to.contain(DEFAULT_SOURCE);
    // The ledger names the chunk of each row's intent: the chunk's keys, there too.
    const ledger = new Database(join(stateDirOf('record', sim.url), '..', '..', 'ledger.db'), { readonly: true });
    try {
      const keys = ledger
        .prepare('SELECT key FROM payments WHERE mass_payment = ? ORDER BY row')
        .pluck()
        .all(chunks[0]!.record.id);
      expect(keys).to.deep.equal(chunks[0]!.record.keys);
    } finally {
      ledger.close();
    }
  });
});
