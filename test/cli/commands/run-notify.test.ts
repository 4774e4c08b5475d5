/**
 * `payouts run` through the built CLI: the rows that need a person on the terminal, and
 * --notify-url posting to a real receiver on 127.0.0.1.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { acquireBatchLock } from '../../../src/batch/lock.js';
import { readCsvRows, removeDir, runCli, stateDirOf, tempDir, UUIDS, writeCsv } from '../../helpers.js';
import { type Receiver, startReceiver } from '../helpers.js';

const MIXED =
  'paymentId,destination,amount,name\n' +
  `P1,${UUIDS.a},10.00,Ann\n` +
  'P2,acct-12345,5.00,Bob\n' +
  `P3,${UUIDS.b},abc,Cy\n` +
  `P4,${UUIDS.c},2.50,Di\n`;

/** `bad` invalid rows (no amount can be read), then one valid row. */
function manyInvalid(bad: number): string {
  const lines = ['paymentId,destination,amount'];
  for (let i = 1; i <= bad; i++) {
    lines.push(`B${i},${UUIDS.a},x${i}`);
  }
  lines.push(`OK,${UUIDS.b},1.00`);
  return `${lines.join('\n')}\n`;
}

const NEEDS_A_PERSON = new Set(['invalid', 'failed', 'review']);

describe('payouts run: the rows that need a person, on the terminal (built CLI)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('lists each one (row, status, reason) after the counts, for a run and a dry run', async () => {
    const file = await writeCsv(dir, 'mixed.csv', MIXED);
    const out = join(dir, 'out');
    for (const args of [['--dry-run'], []]) {
      const r = await runCli(['run', file, '--out', out, '--log-level', 'warn', ...args]);
      expect(r.code, r.stderr).to.equal(1);
      const lines = r.stdout.split('\n');
      const at = lines.findIndex((l) => l.startsWith('2 rows need a person'));
      expect(at, r.stdout).to.be.greaterThan(0);
      expect(lines[at + 1]).to.match(/^ {2}row 3 invalid: destination: 'acct-12345' /);
      expect(lines[at + 2]).to.match(/^ {2}row 4 invalid: amount: /);
      expect(r.stdout).to.not.contain('more: see');
    }
  });

  it('shows the first 20 and where the rest are', async () => {
    const file = await writeCsv(dir, 'many.csv', manyInvalid(25));
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(1);
    const listed = r.stdout.split('\n').filter((l) => /^ {2}row \d+ invalid: /.test(l));
    expect(listed.map((l) => Number(/row (\d+)/.exec(l)![1]))).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    expect(r.stdout).to.contain('25 rows need a person');
    expect(r.stdout).to.contain(`… and 5 more: see ${join(out, 'many', 'results.csv')}`);
  });

  it('a run with no such row lists none', async () => {
    const file = await writeCsv(dir, 'fine.csv', `paymentId,destination,amount\nP1,${UUIDS.a},1.00\n`);
    const r = await runCli(['run', file, '--out', join(dir, 'out'), '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.not.contain('need a person');
    expect(r.stdout).to.not.match(/^ {2}row /m);
  });
});

describe('payouts run --notify-url (built CLI, a receiver on 127.0.0.1)', () => {
  let dir: string;
  let receiver: Receiver | undefined;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await removeDir(dir);
  });

  it('posts summary.json, the rows needing a person and a text line when the run ends; a 500 is tried again', async () => {
    receiver = await startReceiver([500, 200]);
    const file = await writeCsv(dir, 'mixed.csv', MIXED);
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out, '--notify-url', receiver.url, '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.not.contain('could not notify');
    expect(receiver.received).to.have.length(2);
    const body = receiver.received[1]!.body;
    const summary = JSON.parse(await readFile(join(out, 'mixed', 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const [field, value] of Object.entries(summary)) {
      expect(body[field], field).to.deep.equal(value);
    }
    expect(body.dryRun).to.equal(false);
    expect(body.simulated).to.equal(true);
    expect(body.text).to.equal(
      'payouts: batch mixed finished: 2 created, 2 invalid (exit 1): 2 rows need a person (simulator: no money moved)',
    );
    const results = await readCsvRows(join(out, 'mixed', 'results.csv'));
    const people = results.filter((x) => NEEDS_A_PERSON.has(x.status!));
    expect(body.rowsNeedingAPersonCount).to.equal(people.length);
    expect(body.rowsNeedingAPerson).to.deep.equal([
      { row: 3, status: 'invalid', errorMessage: people[0]!.errorMessage, paymentId: 'P2', amount: '5.00' },
      {
        row: 4,
        status: 'invalid',
        errorMessage: people[1]!.errorMessage,
        paymentId: 'P3',
        amount: 'abc',
        destination: UUIDS.b,
      },
    ]);
  });

  it('a dry run notifies too, with dryRun: true and plan.json', async () => {
    receiver = await startReceiver([200]);
    const file = await writeCsv(dir, 'mixed.csv', MIXED);
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--dry-run', '--out', out, '--notify-url', receiver.url]);
    expect(r.code, r.stderr).to.equal(1);
    expect(receiver.received).to.have.length(1);
    const body = receiver.received[0]!.body;
    const plan = JSON.parse(await readFile(join(out, 'mixed', 'plan.json'), 'utf8')) as Record<string, unknown>;
    expect(body.byStatus).to.deep.equal(plan.byStatus);
    expect(body.dryRun).to.equal(true);
    expect(body.text).to.match(
      /^payouts: dry run of batch mixed planned: 2 planned, 2 invalid \(exit 1\): 2 rows need a person; nothing was sent$/,
    );
    expect(body.rowsNeedingAPersonCount).to.equal(2);
  });

  it('keeps at most 100 rows needing a person, and counts them all', async () => {
    receiver = await startReceiver([200]);
    const file = await writeCsv(dir, 'many.csv', manyInvalid(130));
    const r = await runCli([
      'run',
      file,
      '--out',
      join(dir, 'out'),
      '--notify-url',
      receiver.url,
      '--log-level',
      'warn',
    ]);
    expect(r.code, r.stderr).to.equal(1);
    const body = receiver.received[0]!.body;
    expect(body.rowsNeedingAPerson).to.have.length(100);
    expect(body.rowsNeedingAPersonCount).to.equal(130);
  });

  it('a receiver that never answers never changes the exit code; a warning names only its origin', async () => {
    receiver = await startReceiver(['hang']);
    const file = await writeCsv(dir, 'mixed.csv', MIXED);
    const r = await runCli([
      'run',
      file,
      '--out',
      join(dir, 'out'),
      '--notify-url',
      receiver.url,
      '--log-level',
      'warn',
    ]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.signal).to.equal(null);
    const origin = new URL(receiver.url).origin;
    expect(r.stderr).to.contain(`payouts: warning: could not notify ${origin} (no answer in time)`);
    expect(r.stderr + r.stdout, 'the webhook path (its secret, for Slack) is never shown').to.not.contain(
      's3cr3t-path',
    );
    expect(receiver.received.length).to.be.at.least(1);
  });

  it('never carries DWOLLA_SECRET, even when set in the environment and found in a row', async () => {
    receiver = await startReceiver([200]);
    const secret = 'Zq9-not-for-slack-7Hx';
    const file = await writeCsv(dir, 'leak.csv', `paymentId,destination,amount\n${secret},${UUIDS.a},oops\n`);
    const r = await runCli(['run', file, '--out', join(dir, 'out'), '--notify-url', receiver.url], {
      env: { DWOLLA_KEY: 'key', DWOLLA_SECRET: secret },
    });
    expect(r.code, r.stderr).to.equal(1);
    expect(receiver.received).to.have.length(1);
    expect(receiver.received[0]!.text).to.not.contain(secret);
    expect(receiver.received[0]!.body.rowsNeedingAPerson).to.deep.equal([
      {
        row: 2,
        status: 'invalid',
        errorMessage: (receiver.received[0]!.body.rowsNeedingAPerson as Array<{ errorMessage: string }>)[0]!
          .errorMessage,
        paymentId: '[redacted]',
        amount: 'oops',
        destination: UUIDS.a,
      },
    ]);
  });

  it('an early end (exit 2) is posted with why; exit 4 (another run holds the lock) is not', async () => {
    receiver = await startReceiver([200]);
    const noAmount = await writeCsv(dir, 'noamount.csv', `paymentId,destination\nP1,${UUIDS.a}\n`);
    const r = await runCli(['run', noAmount, '--out', join(dir, 'out'), '--notify-url', receiver.url]);
    expect(r.code, r.stderr).to.equal(2);
    expect(receiver.received).to.have.length(1);
    const body = receiver.received[0]!.body;
    expect(body).to.include({ batchId: 'noamount', exitCode: 2, dryRun: false, rowsNeedingAPersonCount: 0 });
    expect(body.error)
      .to.be.a('string')
      .and.match(/amount/);
    expect(body.text).to.match(/^payouts: batch noamount ended without results \(exit 2\): /);
    expect(body).to.not.have.property('byStatus');

    const file = await writeCsv(dir, 'held.csv', MIXED);
    const lock = await acquireBatchLock(stateDirOf('held'));
    try {
      const locked = await runCli(['run', file, '--out', join(dir, 'out'), '--notify-url', receiver.url]);
      expect(locked.code, locked.stderr).to.equal(4);
    } finally {
      await lock.release();
    }
    expect(receiver.received).to.have.length(1);
  });

  it('refuses a URL that is not http(s) or carries a user name or password (exit 2), never echoing it; reads PAYOUTS_NOTIFY_URL', async () => {
    const file = await writeCsv(dir, 'mixed.csv', MIXED);
    const out = join(dir, 'out');
    for (const url of [
      'ftp://hooks.example/s3cr3t-path',
      'https://bot:hunter2@hooks.example/s3cr3t-path',
      'hooks.example/x',
    ]) {
      const r = await runCli(['run', file, '--out', out, '--notify-url', url]);
      expect(r.code, url).to.equal(2);
      expect(r.stderr).to.contain('--notify-url');
      expect(r.stderr).to.not.contain('s3cr3t-path');
      expect(r.stderr).to.not.contain('hunter2');
    }
    receiver = await startReceiver([200]);
    const r = await runCli(['run', file, '--out', out, '--dry-run'], { env: { PAYOUTS_NOTIFY_URL: receiver.url } });
    expect(r.code, r.stderr).to.equal(1);
    expect(receiver.received).to.have.length(1);
  });
});
