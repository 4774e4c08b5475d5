/**
 * The start-up of `payouts run` overlaps its waits on the network with its work (src/batch/run.ts):
 * the account is asked (POST /token, GET /) while the file is planned, and the sources are looked
 * up while the rows are surveyed. What must not change: each source is looked up once, a refused
 * plan still ends the run in its own words, and an asking given up says nothing and records nothing.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { startAccess } from '../../src/batch/api-connection.js';
import { apiIdentity, readLastAccount } from '../../src/batch/state-dir.js';
import { DwollaCallFailedError } from '../../src/dwolla/retry.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import { readCsvRows, removeDir, runCli, tempDir } from '../helpers.js';
import { runArgs, SIM_ENV, waitFor } from './helpers.js';

const log = pino({ level: 'silent' });

describe('payouts run: start-up overlaps (built CLI, simulator)', function () {
  this.timeout(60_000);

  let dir: string;
  let out: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(async () => {
    dir = await tempDir('payouts-startup-');
    out = join(dir, 'out');
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await removeDir(dir);
  });

  async function simulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
    const sim = await startSimulator({ port: 0, ...opts });
    sims.push(sim);
    return sim;
  }

  /** `rows` rows without paymentId (no lookup before their POST), from the banks of `sources` in turn. */
  async function bankFile(name: string, rows: number, sources: readonly string[]): Promise<string> {
    const lines = ['destination,amount,source'];
    for (let i = 0; i < rows; i++) {
      lines.push(`${randomUUID()},${10 + i}.00,${sources[i % sources.length]}`);
    }
    const file = join(dir, name);
    await writeFile(file, `${lines.join('\n')}\n`);
    return file;
  }

  it('looks each source up once (ahead of the preflight), and none on a rerun with nothing to send', async () => {
    const sim = await simulator();
    const banks = [randomUUID(), randomUUID(), randomUUID()];
    const file = await bankFile('banks.csv', 12, banks);
    const first = await runCli(runArgs(file, sim, out), { env: SIM_ENV });
    expect(first.code, first.stderr).to.equal(0);
    // POST /token, GET /, one GET /funding-sources/{id} per bank, one POST /transfers per row.
    expect(sim.stats().requests).to.equal(2 + banks.length + 12);
    expect(sim.stats().transfersCreated).to.equal(12);
    const again = await runCli(runArgs(file, sim, out), { env: SIM_ENV });
    expect(again.code, again.stderr).to.equal(0);
    expect(sim.stats().requests, 'the rerun: POST /token and GET / only').to.equal(2 + banks.length + 12 + 2);
    const results = await readCsvRows(join(out, 'banks', 'results.csv'));
    expect(results.map((r) => r.status)).to.deep.equal(Array(12).fill('created'));
  });

  it('--strict: an invalid row is refused in its own words, even when the API refuses the credentials', async () => {
    const sim = await simulator();
    const file = await bankFile('strict.csv', 3, [randomUUID()]);
    await writeFile(file, `${randomUUID()},not-an-amount,${randomUUID()}\n`, { flag: 'a' });
    const env = { DWOLLA_KEY: SIMULATOR.key, DWOLLA_SECRET: 'Wr0ng-S3cret' };
    const r = await runCli(runArgs(file, sim, out, ['--strict']), { env });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('--strict: 1 row is invalid, so nothing was sent:');
    expect(r.stderr + r.stdout).not.to.contain('DWOLLA_KEY/DWOLLA_SECRET');
    expect(sim.stats().transfersCreated).to.equal(0);
  });

  describe('startAccess: giving up', () => {
    const settings = (sim: SimulatorHandle) => ({
      env: 'simulator' as const,
      apiUrl: sim.url,
      credentials: { key: SIMULATOR.key, secret: SIMULATOR.secret },
      timeoutMs: 10_000,
      maxAttempts: 3,
      stateDir: process.env.PAYOUTS_HOME as string,
    });

    for (const when of ['at once', 'during a request'] as const) {
      it(`${when}: the asking rejects, says nothing, and records no account`, async () => {
        const sim = await simulator({ latencyMs: 5000 });
        const said: string[] = [];
        const s = settings(sim);
        const asking = startAccess(s, { say: (l) => said.push(l), log });
        if (when === 'during a request') {
          await waitFor('a request at the simulator', () => sim.stats().requests > 0);
        }
        await asking.giveUp();
        const e = await asking.access.then(
          () => expect.fail('the asking resolved'),
          (err: unknown) => err,
        );
        expect(e).to.be.instanceOf(DwollaCallFailedError);
        expect(said).to.deep.equal([]);
        expect(await readLastAccount(s.stateDir, apiIdentity(s))).to.equal(undefined);
      });
    }
  });
});
