/**
 * Maker-checker through the built CLI against a simulator (in this process, so that its transfers
 * can be counted): the dry run's plan digest, --approve, --require-approval and --strict.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { type SimulatorHandle, startSimulator } from '../../../src/simulator/index.js';
import { makePayees, payeesCsv, runArgs, SIM_ENV } from '../../batch/helpers.js';
import { type CliResult, removeDir, runCli, tempDir } from '../../helpers.js';

const ENV = { ...SIM_ENV, PAYOUTS_REQUIRE_APPROVAL: '' };

/** The digest the dry run printed, checked against its plan.json. */
async function dryRunDigest(r: CliResult, planJson: string): Promise<string> {
  expect(r.code, r.stderr).to.equal(0);
  const m = /^Plan digest: ([0-9a-f]{64}) \((\d+) rows totalling ([\d,.]+)\)\.$/m.exec(r.stdout);
  expect(m, r.stdout).to.not.equal(null);
  const plan = JSON.parse(await readFile(planJson, 'utf8'));
  expect(plan.planDigest).to.equal(m![1]);
  expect(plan.planRows).to.equal(Number(m![2]));
  expect(r.stdout).to.contain(`--approve ${m![1]}`);
  return m![1]!;
}

describe('payouts run: approval (maker-checker) and --strict (built CLI, simulator)', () => {
  let dir: string;
  let sim: SimulatorHandle;
  let file: string;
  let out: string;
  beforeEach(async () => {
    dir = await tempDir();
    sim = await startSimulator();
    out = join(dir, 'out');
    file = join(dir, 'payroll.csv');
    await writeFile(file, payeesCsv(makePayees(4)));
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  const run = (extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runCli(runArgs(file, sim, out, extra), { env: { ...ENV, ...env } });
  const created = () => sim.stats().createRequests;

  it('the dry run prints the plan digest; --approve with it sends every row; a rerun with it sends nothing more', async () => {
    const digest = await dryRunDigest(await run(['--dry-run']), join(out, 'payroll', 'plan.json'));
    expect(created()).to.equal(0);
    const r = await run(['--approve', digest]);
    expect(r.code, r.stderr).to.equal(0);
    expect(created()).to.equal(4);
    const summary = JSON.parse(await readFile(join(out, 'payroll', 'summary.json'), 'utf8'));
    expect(summary.planDigest).to.equal(digest);
    // The digest is the file's plan, rows created earlier included: the same command reruns cleanly.
    const again = await run(['--approve', digest.slice(0, 16)]);
    expect(again.code, again.stderr).to.equal(0);
    expect(created()).to.equal(4);
  });

  it('one amount edited after the approval: exit 2, nothing sent, and the message says what changed', async () => {
    const digest = await dryRunDigest(await run(['--dry-run']), join(out, 'payroll', 'plan.json'));
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    const cells = lines[2]!.split(',');
    const was = cells[2]!;
    cells[2] = '9999.99';
    lines[2] = cells.join(',');
    await writeFile(file, lines.join('\n'));
    const r = await run(['--approve', digest]);
    expect(r.code, r.stderr).to.equal(2);
    expect(created()).to.equal(0);
    expect(r.stderr).to.contain('is not the approved one');
    expect(r.stderr).to.match(
      /the approved plan \(batch payroll, dry run of [^)]+\) had 4 rows totalling [\d,.]+; this file now has 4 rows totalling/,
    );
    expect(r.stderr).to.contain(`row 3: amount ${was} → 9999.99`);
    expect(existsSync(join(out, 'payroll', 'results.csv'))).to.equal(false);
    // The dry run with --approve predicts the same refusal, and leaves the approved plan.json as it was.
    const dry = await run(['--dry-run', '--approve', digest]);
    expect(dry.code, dry.stderr).to.equal(2);
    expect(dry.stderr).to.contain(`row 3: amount ${was} → 9999.99`);
    expect(JSON.parse(await readFile(join(out, 'payroll', 'plan.json'), 'utf8')).planDigest).to.equal(digest);
  });

  it('--require-approval, or PAYOUTS_REQUIRE_APPROVAL=1, refuses to send without --approve; a matching one sends', async () => {
    for (const [extra, env] of [
      [['--require-approval'], {}],
      [[], { PAYOUTS_REQUIRE_APPROVAL: '1' }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const r = await run(extra, env);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain('approval is required');
      expect(r.stderr).to.contain('--dry-run');
    }
    expect(created()).to.equal(0);
    // The dry run is how the digest is had: it is not refused.
    const digest = await dryRunDigest(
      await run(['--dry-run'], { PAYOUTS_REQUIRE_APPROVAL: '1' }),
      join(out, 'payroll', 'plan.json'),
    );
    const r = await run(['--approve', digest], { PAYOUTS_REQUIRE_APPROVAL: '1' });
    expect(r.code, r.stderr).to.equal(0);
    expect(created()).to.equal(4);
    // Nothing left to send: no approval needed to finish the report.
    const idle = await run([], { PAYOUTS_REQUIRE_APPROVAL: '1' });
    expect(idle.code, idle.stderr).to.equal(0);
    expect(idle.stdout).to.contain('Nothing to send');
  });

  it('--help describes --strict, --approve and --require-approval', async () => {
    const help = await runCli(['run', '--help']);
    for (const opt of ['--strict', '--approve', '--require-approval', 'PAYOUTS_REQUIRE_APPROVAL']) {
      expect(help.stdout).to.contain(opt);
    }
  });

  it('--strict with one invalid row: exit 2, nothing sent, the row named; the dry run predicts it', async () => {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = lines[3]!.replace(/,[\d.]+,/, ',12.345,');
    await writeFile(file, lines.join('\n'));
    const dry = await run(['--dry-run', '--strict']);
    expect(dry.code, dry.stderr).to.equal(2);
    const r = await run(['--strict']);
    expect(r.code, r.stderr).to.equal(2);
    expect(created()).to.equal(0);
    for (const res of [dry, r]) {
      expect(res.stderr).to.contain('--strict: 1 row is invalid, so nothing was sent:');
      expect(res.stderr).to.match(/ {2}row 4: amount: .*12\.345/);
    }
    expect(existsSync(join(out, 'payroll', 'results.csv'))).to.equal(false);
    // Without --strict the valid rows are sent and the invalid one reported (exit 1).
    const loose = await run();
    expect(loose.code, loose.stderr).to.equal(1);
    expect(created()).to.equal(3);
  });
});
