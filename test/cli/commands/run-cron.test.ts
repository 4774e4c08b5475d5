/**
 * `payouts run` as cron runs it (built CLI): --log-file creates its folders or refuses before
 * anything is sent, and SIGTERM sent to a wrapper that `exec`s the installed binary reaches the
 * payer (exit 3, lock released).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { type SimulatorHandle, startSimulator } from '../../../src/simulator/index.js';
import {
  countOutcomes,
  expectExactlyOnce,
  makePayees,
  runArgs,
  SIM_ENV,
  waitFor,
  writePayees,
} from '../../batch/helpers.js';
import {
  type CliResult,
  journalOf,
  ROOT,
  readCsvRows,
  removeDir,
  runCli,
  stateDirOf,
  tempDir,
  UUIDS,
  writeCsv,
} from '../../helpers.js';

const FILE = `paymentId,destination,amount\nP1,${UUIDS.a},1.00\nP2,${UUIDS.b},2.00\n`;

describe('payouts run --log-file (built CLI)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('creates the missing folders of the log file and writes every line there', async () => {
    const file = await writeCsv(dir, 'pay.csv', FILE);
    const log = join(dir, 'logs', '2026', '12', 'payouts.log');
    const r = await runCli(['run', file, '--out', join(dir, 'out'), '--log-file', log]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).to.include.members(['run started', 'run finished']);
    expect(lines.filter((l) => l.msg === 'row created')).to.have.length(2);
  });

  for (const [what, make, why] of [
    [
      'a file in the way of its folder',
      (d: string) => writeFile(join(d, 'logs'), 'x'),
      'a file is in the way of its folder',
    ],
    [
      'a folder where the file should be',
      (d: string) => mkdir(join(d, 'logs', 'payouts.log'), { recursive: true }),
      'it is a folder',
    ],
  ] as const) {
    it(`exits 2 before anything is sent when it cannot be created: ${what}`, async () => {
      await make(dir);
      const file = await writeCsv(dir, 'pay.csv', FILE);
      const out = join(dir, 'out');
      const log = join(dir, 'logs', 'payouts.log');
      for (const args of [[], ['--dry-run']]) {
        const r = await runCli(['run', file, '--out', out, '--log-file', log, ...args]);
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.contain(`payouts: cannot write logs to --log-file ${log}: ${why}`);
        expect(r.stderr).to.contain('Nothing was sent');
        expect(r.stderr).to.not.contain('unexpected error');
      }
      expect(existsSync(out), 'no output folder').to.equal(false);
      expect(existsSync(journalOf('pay')), 'no journal').to.equal(false);
    });
  }

  it('exits 2 when its folder cannot be written (permission)', async function () {
    if (process.getuid?.() === 0) {
      this.skip(); // root writes anywhere
    }
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    const file = await writeCsv(dir, 'pay.csv', FILE);
    const r = await runCli(['run', file, '--out', join(dir, 'out'), '--log-file', join(locked, 'sub', 'p.log')]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('permission denied');
  });
});

/** The built CLI the other tests run (PAYOUTS_TEST_DIST), as package.json's `bin` names it. */
function builtBin(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { payouts: string } };
  expect(pkg.bin.payouts).to.equal('dist/src/cli/main.js');
  return join(ROOT, process.env.PAYOUTS_TEST_DIST ?? 'dist', 'src', 'cli', 'main.js');
}

describe('payouts run under cron: the installed binary, exec, SIGTERM (built CLI)', function () {
  this.timeout(120_000);

  let dir: string;
  let sim: SimulatorHandle | undefined;
  beforeEach(async () => (dir = await tempDir('payouts-cron-')));
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    await removeDir(dir);
  });

  it('the bin is node itself: a #!/usr/bin/env node script, executable, with no shell wrapper', () => {
    const bin = builtBin();
    expect(readFileSync(bin, 'utf8').split('\n')[0]).to.equal('#!/usr/bin/env node');
    expect(readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').split('\n')[0]).to.equal('#!/usr/bin/env node');
    expect(
      () => accessSync(bin, constants.X_OK),
      `${bin} must be executable (npm run build does chmod 755)`,
    ).to.not.throw();
  });

  it('SIGTERM to a `bash -c "exec ./node_modules/.bin/payouts run …"` wrapper reaches the payer: exit 3, lock released', async () => {
    sim = await startSimulator({ port: 0, latencyMs: 100 });
    // As npm installs it: node_modules/.bin/payouts is a link to the package's bin.
    await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true });
    await symlink(builtBin(), join(dir, 'node_modules', '.bin', 'payouts'));
    const payees = makePayees(100, { bankShare: 1, bankPool: 5 });
    const file = await writePayees(dir, 'term.csv', payees);
    const out = join(dir, 'out');
    const quoted = runArgs(file, sim, out, ['--concurrency', '2'])
      .map((a) => `'${a}'`)
      .join(' ');
    const wrapper = spawn('bash', ['-c', `cd '${dir}' || exit 2\nexec ./node_modules/.bin/payouts ${quoted}`], {
      env: { ...process.env, ...SIM_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    wrapper.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    wrapper.stdout.resume();
    const done = new Promise<CliResult>((resolve, reject) => {
      wrapper.on('error', reject);
      wrapper.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
    const journal = journalOf('term', sim.url);
    await waitFor('5 outcomes', async () => (await countOutcomes(journal)) >= 5);
    if (existsSync(`/proc/${wrapper.pid}/comm`)) {
      // exec: the wrapper's pid is node now, not a shell that would die and leave node running.
      expect((await readFile(`/proc/${wrapper.pid}/comm`, 'utf8')).trim()).to.equal('node');
    }
    wrapper.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.contain('SIGTERM: no new transfers');
    expect(existsSync(join(stateDirOf('term', sim.url), 'lock')), 'lock released').to.equal(false);
    const results = await readCsvRows(join(out, 'term', 'results.csv'));
    const created = results.filter((x) => x.status === 'created');
    expect(created.length).to.be.at.least(5);
    expect(created.length, 'stopped before the end').to.be.below(100);
    // A stop leaves rows pending (not tried) or unresolved (a rerun looks them up): never lost.
    const others = results.filter((x) => !['created', 'pending', 'unresolved'].includes(x.status!));
    expect(others.map((x) => `${x.row} ${x.status} ${x.errorMessage}`)).to.deep.equal([]);
    const atDwolla = new Set(sim.transfers().map((t) => t.id));
    expect(created.filter((x) => !atDwolla.has(x.transferId!))).to.deep.equal([]);

    const again = await runCli(runArgs(file, sim, out, ['--concurrency', '2']), { env: SIM_ENV });
    expect(again.code, again.stderr).to.equal(0);
    expectExactlyOnce(sim, payees, await readCsvRows(join(out, 'term', 'results.csv')));
  });
});
