/**
 * The built CLI with the simulator's money and credentials: `payouts simulator --balance`, its
 * --help, PAYOUTS_SIMULATOR_BALANCE for the embedded simulator of `payouts run`, and a run whose
 * DWOLLA_SECRET the API refuses.
 */
import { expect } from 'chai';
import { SIMULATOR } from '../../../src/dwolla/types.js';
import { type SimulatorHandle, startSimulator } from '../../../src/simulator/index.js';
import { makePayees, writePayees } from '../../batch/helpers.js';
import { removeDir, runCli, startCli, tempDir } from '../../helpers.js';
import { Session } from '../../simulator/helpers.js';

/** The environment of a child without credentials or a balance of the caller's own. */
const CLEAN_ENV = { DWOLLA_KEY: '', DWOLLA_SECRET: '', PAYOUTS_SIMULATOR_BALANCE: '' };

describe('payouts simulator / run: balance and credentials (built CLI)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => removeDir(dir));

  it('payouts simulator --balance sets the default balance, over PAYOUTS_SIMULATOR_BALANCE', async () => {
    const cli = startCli(['simulator', '--port', '0', '--balance', '42.50'], {
      env: { ...CLEAN_ENV, PAYOUTS_SIMULATOR_BALANCE: '99.00' },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        cli.child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Stop with Ctrl\+C/.exec(out);
          if (m?.[1]) {
            resolve(m[1]);
          }
        });
        cli.child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const api = await Session.open(url);
      const r = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`);
      expect(r.body.balance).to.deep.equal({ value: '42.50', currency: 'USD' });
    } finally {
      cli.child.kill('SIGINT');
    }
    const done = await cli.done;
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.contain('Default source balance: 42.50 USD (--balance;');
  });

  it('payouts simulator --help names --balance, PAYOUTS_SIMULATOR_BALANCE and the credentials it accepts', async () => {
    const r = await runCli(['simulator', '--help'], { env: CLEAN_ENV });
    expect(r.code).to.equal(0);
    const help = r.stdout.replace(/\s+/g, ' '); // as wrapped to the terminal's width
    expect(help).to.contain('--balance starting amount of the default balance, USD');
    expect(help).to.contain('else PAYOUTS_SIMULATOR_BALANCE');
    expect(help).to.contain('accepts only DWOLLA_KEY and DWOLLA_SECRET from the environment when both are set');
    expect(help).to.contain('any other pair gets 401 invalid_client');
  });

  it('payouts simulator --balance with a bad amount exits 2', async () => {
    const r = await runCli(['simulator', '--port', '0', '--balance', 'lots'], { env: CLEAN_ENV });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("--balance must be an amount of US dollars such as 250000.00, got 'lots'");
  });

  it('payouts run: a bad PAYOUTS_SIMULATOR_BALANCE for the embedded simulator exits 2, nothing sent', async () => {
    const file = await writePayees(dir, 'bal.csv', makePayees(1));
    const r = await runCli(['run', file, '--out', dir], { env: { ...CLEAN_ENV, PAYOUTS_SIMULATOR_BALANCE: '1e6' } });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(
      "PAYOUTS_SIMULATOR_BALANCE must be a dollar amount like 250000.00 for the embedded simulator's balance (got '1e6')",
    );
  });

  describe('a DWOLLA_SECRET the API refuses', () => {
    let sim: SimulatorHandle;
    beforeEach(async () => {
      sim = await startSimulator();
    });
    afterEach(() => sim.close());

    it('exits 2 saying the API refused DWOLLA_KEY/DWOLLA_SECRET, never printing them, and sends nothing', async () => {
      const secret = 'N0t-The-Secret-Z9';
      const file = await writePayees(dir, 'creds.csv', makePayees(2));
      const args = ['run', file, '--api-url', sim.url, '--source', SIMULATOR.defaultSourceId, '--out', dir];
      const env = { ...CLEAN_ENV, DWOLLA_KEY: 'k3y-not-printed', DWOLLA_SECRET: secret };
      const r = await runCli([...args, '--log-level', 'debug'], { env });
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(`the API (${sim.url}) refused DWOLLA_KEY/DWOLLA_SECRET (HTTP 401 invalid_client`);
      expect(r.stdout + r.stderr).not.to.contain(secret);
      expect(r.stdout + r.stderr).not.to.contain('k3y-not-printed');
      expect(sim.stats()).to.deep.include({ tokensIssued: 0, createRequests: 0 });
    });
  });
});
