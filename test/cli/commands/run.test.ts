import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { RESULT_COLUMNS } from '../../../src/results/columns.js';
import {
  type CliResult,
  ROOT,
  readCsvRows,
  removeDir,
  runCli,
  startCli,
  tempDir,
  UUIDS,
  writeCsv,
} from '../../helpers.js';

describe('payouts run --dry-run (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('plans every row of samples/payees.csv and exits 0', async () => {
    const out = join(dir, 'out');
    const r = await runCli([
      'run',
      join(ROOT, 'samples/payees.csv'),
      '--dry-run',
      '--out',
      out,
      '--now',
      '2026-03-09T08:00:00-05:00',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Nothing was sent');
    const rows = await readCsvRows(join(out, 'payees', 'plan.csv'));
    expect(rows).to.have.length(25);
    expect(rows.every((x) => x.status === 'planned')).to.equal(true);
    expect(rows.every((x) => x.clearing === 'same-day' && x.sameDayCutoff === '2026-03-09T09:00:00-05:00')).to.equal(
      true,
    );
    expect(
      rows.every((x) => /^[0-9a-f-]{36}$/.test(x.idempotencyKey!) && x.correlationId === x.idempotencyKey),
    ).to.equal(true);
    const header = Object.keys(rows[0]!);
    expect(header.slice(0, RESULT_COLUMNS.length)).to.deep.equal([...RESULT_COLUMNS]);
    // Every input column the results do not show in their own (SPEC "Results"), in input order.
    expect(header.slice(RESULT_COLUMNS.length)).to.deep.equal([
      'name',
      'email',
      'currency',
      'invoice',
      'department',
      'destinationAddenda',
      'feeAmount',
      'feeChargeTo',
      'notes',
    ]);

    const plan = JSON.parse(await readFile(join(out, 'payees', 'plan.json'), 'utf8'));
    const totalCents = rows.reduce((sum, x) => sum + Math.round(Number(x.amount!.replace('.', ''))), 0);
    expect(plan.batchId).to.equal('payees');
    expect(plan.rows).to.equal(25);
    expect(plan.exitCode).to.equal(0);
    expect(plan.byStatus.planned.count).to.equal(25);
    expect(plan.byStatus.planned.total).to.equal(
      `${Math.floor(totalCents / 100)}.${String(totalCents % 100).padStart(2, '0')}`,
    );
    expect(plan.sameDay.count).to.equal(25);
    expect(plan.inputDigest).to.match(/^[0-9a-f]{64}$/);
    expect(await readdir(join(out, 'payees'))).to.have.members(['plan.csv', 'plan.json']);
  });

  it('marks each bad row of samples/payees-with-errors.csv invalid with its rule, and exits 1', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', join(ROOT, 'samples/payees-with-errors.csv'), '--dry-run', '--out', out]);
    expect(r.code, r.stderr).to.equal(1);
    const rows = await readCsvRows(join(out, 'payees-with-errors', 'plan.csv'));
    const expectations: Array<[string, string]> = [
      ['amount with a decimal comma', 'looks like a decimal comma; write 1234.56'],
      ['negative amount in accounting parentheses', 'a negative amount in accounting style'],
      ['amount with three decimals', 'more than 2 decimals'],
      ['zero amount', 'at least 0.01'],
      ['negative amount', 'negative'],
      ['amount over the 10000.00 maximum', 'over the maximum'],
      ['amount in exponent notation', 'exponent'],
      ['missing destination', 'destination: missing'],
      ['destination is not a UUID or funding-source URL', 'destination:'],
      ['currency other than USD', 'currency'],
      ['correlationId with a space', 'correlationId'],
      ['fee over 50% of the amount', 'more than 50%'],
      ['fee without feeChargeTo', 'without feeChargeTo'],
      ['addenda over 80 characters', 'at most 80'],
      ['addenda with a forbidden character', 'not allowed'],
      ['unknown clearing value', 'clearing'],
      ["paymentId repeated from ERR-001's row", 'repeats row 2'],
      ['identical to the row above (copy-paste double payment)', 'identical to row'],
      ['wrong number of fields', 'fields where the header has'],
    ];
    for (const [comment, fragment] of expectations) {
      const row = rows.find((x) => x.comment === comment);
      expect(row, comment).to.not.equal(undefined);
      expect(row!.status, comment).to.equal('invalid');
      expect(row!.errorMessage, comment).to.contain(fragment);
    }
    // A dry run does not contact Dwolla: the two rows only Dwolla's rules refuse are planned (see the real run below).
    expect(rows.filter((x) => x.status === 'planned').map((x) => x.comment)).to.deep.equal([
      'valid row for comparison',
      'first of two identical rows without paymentId',
      'metadata on a transfer from the balance (Dwolla refuses it)',
      'fee charged to a customer who is not a party to the transfer',
    ]);
    const neg = rows.find((x) => x.comment === 'negative amount')!;
    expect(neg.amount).to.equal("'-40.00");
  });

  it('exits 2 with one line on stderr and writes nothing for a file without an amount column', async () => {
    const file = await writeCsv(dir, 'bad.csv', `destination,amt\n${UUIDS.a},1.00\n`);
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain("no 'amount' column");
    expect(existsSync(join(out, 'bad'))).to.equal(false);
  });

  it('exits 2 and leaves no half-written plan for a file that is not UTF-8 past its first rows', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${UUIDS.a},${i + 1}.00,name ${i}`).join('\n');
    const file = await writeCsv(
      dir,
      'latin1.csv',
      Buffer.concat([Buffer.from(`destination,amount,name\n${rows}\n${UUIDS.b},1.00,Jos`), Buffer.from([0xe9, 0x0a])]),
    );
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--dry-run', '--out', out, '--allow-duplicates']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('not UTF-8').and.contain('line 3002');
    expect(existsSync(join(out, 'latin1'))).to.equal(false);
  });

  it('exits 2 for a command line yargs refuses, without running anything', async () => {
    const sample = join(ROOT, 'samples/payees.csv');
    for (const args of [
      ['run', '--out', dir],
      ['run', sample, '--dry-run', '--out', dir, '--bogus'],
      ['run', sample, '--dry-run', '--out', dir, '--concurrency'],
      ['frobnicate'],
      [],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' '))
        .to.match(/^payouts: /)
        .and.not.contain('unexpected error');
    }
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('exits 2 for a missing file and for bad options', async () => {
    expect((await runCli(['run', join(dir, 'nope.csv'), '--dry-run', '--out', dir])).code).to.equal(2);
    const file = await writeCsv(dir, 'ok.csv', `destination,amount\n${UUIDS.a},1.00\n`);
    for (const bad of [
      ['--batch-id', 'a/b'],
      ['--concurrency', '0'],
      ['--concurrency', '65'],
      ['--max-amount', '1e3'],
      ['--now', 'tomorrow'],
      ['--clearing', 'fast'],
      ['--source', 'nope'],
    ]) {
      const r = await runCli(['run', file, '--dry-run', '--out', dir, ...bad]);
      expect(r.code, bad.join(' ')).to.equal(2);
      expect(r.stderr, bad.join(' ')).to.match(/^payouts: /);
    }
  });

  it("never touches a batch's results.csv, summary.json or journal", async () => {
    const file = await writeCsv(dir, 'batch.csv', `destination,amount\n${UUIDS.a},1.00\n`);
    const out = join(dir, 'out');
    await mkdir(join(out, 'batch'), { recursive: true });
    for (const f of ['results.csv', 'summary.json', 'journal.jsonl']) {
      await writeFile(join(out, 'batch', f), `original ${f}`);
    }
    const r = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(r.code, r.stderr).to.equal(0);
    for (const f of ['results.csv', 'summary.json', 'journal.jsonl']) {
      expect(await readFile(join(out, 'batch', f), 'utf8')).to.equal(`original ${f}`);
    }
  });

  it('honours --batch-id, --clearing, --cutoff-margin and the row clearing column', async () => {
    const file = await writeCsv(
      dir,
      'c.csv',
      `destination,amount,clearing\n${UUIDS.a},1.00,\n${UUIDS.b},2.00,standard\n${UUIDS.c},3.00,same-day\n`,
    );
    const out = join(dir, 'out');
    // 08:49 CT: 11 minutes before the 09:00 cutoff.
    let r = await runCli([
      'run',
      file,
      '--dry-run',
      '--out',
      out,
      '--batch-id',
      'B1',
      '--now',
      '2026-03-09T08:49:00-05:00',
      '--cutoff-margin',
      '10',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    let rows = await readCsvRows(join(out, 'B1', 'plan.csv'));
    expect(rows.map((x) => x.clearing)).to.deep.equal(['same-day', 'standard', 'same-day']);
    r = await runCli([
      'run',
      file,
      '--dry-run',
      '--out',
      out,
      '--batch-id',
      'B2',
      '--now',
      '2026-03-09T08:49:00-05:00',
      '--cutoff-margin',
      '15',
    ]);
    rows = await readCsvRows(join(out, 'B2', 'plan.csv'));
    expect(rows.map((x) => x.sameDayCutoff)).to.deep.equal([
      '2026-03-09T13:00:00-05:00',
      '',
      '2026-03-09T13:00:00-05:00',
    ]);
    r = await runCli([
      'run',
      file,
      '--dry-run',
      '--out',
      out,
      '--batch-id',
      'B3',
      '--clearing',
      'standard',
      '--now',
      '2026-03-09T08:00:00-05:00',
    ]);
    rows = await readCsvRows(join(out, 'B3', 'plan.csv'));
    expect(rows.map((x) => x.clearing)).to.deep.equal(['standard', 'standard', 'same-day']);
  });

  it('the package bin runs as an executable (what npx payouts starts)', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
      bin: { payouts: string };
    };
    const out = await new Promise<string>((resolvePromise, reject) => {
      execFile(join(ROOT, pkg.bin.payouts), ['--version'], (err, stdout) =>
        err ? reject(err) : resolvePromise(stdout),
      );
    });
    expect(out.trim()).to.equal(pkg.version);
  });

  it('--help describes every option, --version prints the version', async () => {
    const help = await runCli(['run', '--help']);
    for (const opt of [
      '--dry-run',
      '--env',
      '--api-url',
      '--source',
      '--out',
      '--batch-id',
      '--resume',
      '--allow-duplicates',
      '--concurrency',
      '--clearing',
      '--cutoff-margin',
      '--now',
      '--max-amount',
      '--max-attempts',
      '--timeout',
      '--log-level',
      '--log-file',
    ]) {
      expect(help.stdout).to.contain(opt);
    }
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect((await runCli(['--version'])).stdout.trim()).to.equal(pkg.version);
  });
});

describe('payouts run against the embedded simulator (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('the quick start: creates every sample row, says no money moved, exits 0; a rerun sends nothing', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', join(ROOT, 'samples/payees.csv'), '--out', out]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('no money moves');
    expect(r.stdout).to.contain('25 created');
    const rows = await readCsvRows(join(out, 'payees', 'results.csv'));
    expect(rows).to.have.length(25);
    expect(
      rows.every(
        (x) => x.status === 'created' && /\/transfers\/[0-9a-f-]{36}$/.test(x.transferUrl!) && x.attempts === '1',
      ),
    ).to.equal(true);
    const summary = JSON.parse(await readFile(join(out, 'payees', 'summary.json'), 'utf8'));
    expect(summary.byStatus.created.count).to.equal(25);
    expect(summary.exitCode).to.equal(0);
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; row?: number; key?: string; status?: string; transferId?: string });
    const perRow = logs.filter((l) => l.msg === 'row created');
    expect(perRow).to.have.length(25);
    expect(perRow.every((l) => l.row && l.key && l.status === 'created' && l.transferId)).to.equal(true);

    const again = await runCli(['run', join(ROOT, 'samples/payees.csv'), '--out', out]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).not.to.contain('embedded Dwolla simulator at');
    const rowsAgain = await readCsvRows(join(out, 'payees', 'results.csv'));
    expect(rowsAgain.map((x) => [x.row, x.status, x.transferId])).to.deep.equal(
      rows.map((x) => [x.row, x.status, x.transferId]),
    );
  });

  it('the errors sample exits 1: invalid rows reported, the two Dwolla refuses failed with why, valid ones created', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', join(ROOT, 'samples/payees-with-errors.csv'), '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(1);
    const rows = await readCsvRows(join(out, 'payees-with-errors', 'results.csv'));
    expect(rows.filter((x) => x.status === 'created')).to.have.length(2);
    expect(rows.filter((x) => x.status === 'invalid')).to.have.length(19);
    const failed = rows.filter((x) => x.status === 'failed');
    expect(failed.map((x) => [x.paymentId, x.errorCode, x.httpStatus])).to.deep.equal([
      ['ERR-023', 'MetadataNotSupported', ''],
      ['ERR-024', 'ValidationError', '400'],
    ]);
    expect(failed[0]!.errorMessage).to.contain('Drop the metadata columns, or send from a bank source');
    expect(failed[1]!.errorMessage).to.contain('Unable to charge fee to specified destination.');
  });

  it('the overdraw sample sends nothing and exits 2, naming the source, its balance, the total and the gap', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', join(ROOT, 'samples/payees-overdraw.csv'), '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(
      'source 5bec1a10-0000-4000-8000-000000000002: balance 5000.00, this run would send 5250.50, short by 250.50',
    );
    expect(existsSync(join(out, 'payees-overdraw', 'results.csv'))).to.equal(false);
  });
});

describe('payouts run: what people really do (built CLI, child process)', () => {
  const SAMPLE = join(ROOT, 'samples/payees.csv');
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  /**
   * Runs the CLI with its stdout or stderr read by a reader that goes away: at once (before the
   * child writes anything), or after the first chunk, as `| head -1` does.
   */
  function runWithClosedOutput(args: string[], which: 'stdout' | 'stderr', when: 'at once' | 'first chunk') {
    const running = startCli(args, { env: { PAYOUTS_HOME: join(dir, `home-${which}-${when}`) } });
    const stream = running.child[which]!;
    if (when === 'at once') {
      stream.destroy();
    } else {
      stream.once('data', () => stream.destroy());
    }
    return running.done;
  }

  async function expectSampleComplete(out: string, r: CliResult): Promise<void> {
    expect(r.code, r.stderr).to.equal(0);
    const rows = await readCsvRows(join(out, 'payees', 'results.csv'));
    expect(rows).to.have.length(25);
    expect(rows.every((x) => x.status === 'created' && x.transferId)).to.equal(true);
    expect(JSON.parse(await readFile(join(out, 'payees', 'summary.json'), 'utf8')).exitCode).to.equal(0);
  }

  it('a closed stdout (| head -1) never changes the exit code, and results.csv is complete', async () => {
    for (const when of ['first chunk', 'at once'] as const) {
      const out = join(dir, `out-${when.replace(' ', '-')}`);
      await expectSampleComplete(out, await runWithClosedOutput(['run', SAMPLE, '--out', out], 'stdout', when));
    }
    const out = join(dir, 'out-dry');
    const dry = await runWithClosedOutput(['run', SAMPLE, '--dry-run', '--out', out], 'stdout', 'at once');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(await readCsvRows(join(out, 'payees', 'plan.csv'))).to.have.length(25);
  });

  it('a closed stderr never changes the exit code: 0 for the sample, 2 for a usage error', async () => {
    for (const when of ['first chunk', 'at once'] as const) {
      const out = join(dir, `out-${when.replace(' ', '-')}`);
      await expectSampleComplete(out, await runWithClosedOutput(['run', SAMPLE, '--out', out], 'stderr', when));
    }
    const missing = await runWithClosedOutput(['run', join(dir, 'nope.csv'), '--out', dir], 'stderr', 'at once');
    expect(missing.code).to.equal(2);
    const badOption = await runWithClosedOutput(
      ['run', SAMPLE, '--out', dir, '--concurrency', '0'],
      'stderr',
      'at once',
    );
    expect(badOption.code).to.equal(2);
  });

  it('a log file that cannot be written (/dev/full) is said once and never ends the run', async function () {
    if (!existsSync('/dev/full')) {
      this.skip();
    }
    const out = join(dir, 'out');
    const r = await runCli(['run', SAMPLE, '--out', out, '--log-file', '/dev/full']);
    await expectSampleComplete(out, r);
    expect(r.stderr.match(/cannot write logs to \/dev\/full/g)).to.have.length(1);
  });

  it('refuses an --api-url carrying a password (exit 2) and never prints the password', async () => {
    const apiUrl = 'http://payer:Hunter2-s3cr3t@127.0.0.1:9';
    const env = { DWOLLA_KEY: 'key', DWOLLA_SECRET: 'secret' };
    const fast = ['--max-attempts', '1', '--timeout', '1'];
    for (const args of [
      ['run', SAMPLE, '--out', dir, '--api-url', apiUrl, ...fast],
      ['run', SAMPLE, '--out', dir, '--dry-run', '--api-url', apiUrl],
      ['reconcile', 'payees', '--out', dir, '--api-url', apiUrl, ...fast],
    ]) {
      for (const r of [
        await runCli(args, { env }),
        await runCli(args, { env: { DWOLLA_KEY: '', DWOLLA_SECRET: '' } }),
      ]) {
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
        expect(r.stdout + r.stderr, args.join(' ')).not.to.contain('Hunter2');
        expect(r.stderr, args.join(' ')).to.contain(
          "--api-url must not carry a user name or password (got 'http://***@127.0.0.1:9')",
        );
      }
    }
    expect(existsSync(join(dir, 'payees'))).to.equal(false);
  });

  it("removes a killed report's orphaned temp files on the next run, and keeps a live process's", async () => {
    const out = join(dir, 'out');
    const batch = join(out, 'payees');
    await mkdir(batch, { recursive: true });
    const dead = 2 ** 31 - 1; // above any pid_max: never a live process
    const orphan = (name: string) => `.${name}.${dead}.1700000000000.tmp`;
    const live = `.plan.csv.${process.pid}.1700000000000.tmp`; // this test's own process: alive
    for (const name of [...['plan.csv', 'plan.json', 'results.csv', 'summary.json'].map(orphan), live]) {
      await writeFile(join(batch, name), 'half a file');
    }
    const dry = await runCli(['run', SAMPLE, '--dry-run', '--out', out]);
    expect(dry.code, dry.stderr).to.equal(0);
    let left = await readdir(batch);
    expect(left).to.include.members([live, orphan('results.csv'), orphan('summary.json'), 'plan.csv', 'plan.json']);
    expect(left).not.to.include.members([orphan('plan.csv')]);
    expect(left).not.to.include.members([orphan('plan.json')]);
    const plan = JSON.parse(await readFile(join(batch, 'plan.json'), 'utf8'));
    expect(plan.thisRun).to.deep.equal({ sent: 0, created: 0, foundByLookup: 0, held: 0 });
    expect(plan.api).to.deep.equal({ env: 'simulator' });

    const real = await runCli(['run', SAMPLE, '--out', out]);
    expect(real.code, real.stderr).to.equal(0);
    left = await readdir(batch);
    expect(left.filter((n) => n.endsWith('.tmp'))).to.deep.equal([live]);
  });

  it('says what this run did: a first run sent 25, the rerun had nothing to send', async () => {
    const out = join(dir, 'out');
    const first = await runCli(['run', SAMPLE, '--out', out, '--log-level', 'warn']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.contain('Sent 25 transfers: 25 created.').and.not.contain('Nothing to send');
    let summary = JSON.parse(await readFile(join(out, 'payees', 'summary.json'), 'utf8'));
    expect(summary.thisRun).to.deep.equal({ sent: 25, created: 25, foundByLookup: 0, held: 0 });
    expect(summary.api).to.deep.equal({ env: 'simulator' });

    const again = await runCli(['run', SAMPLE, '--out', out, '--log-level', 'warn']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout)
      .to.contain('Nothing to send: all 25 rows were created by earlier runs.')
      .and.contain('25 created')
      .and.not.contain('Sent ');
    summary = JSON.parse(await readFile(join(out, 'payees', 'summary.json'), 'utf8'));
    expect(summary.thisRun).to.deep.equal({ sent: 0, created: 0, foundByLookup: 0, held: 0 });
    expect(summary.byStatus.created.count).to.equal(25);
  });
});
