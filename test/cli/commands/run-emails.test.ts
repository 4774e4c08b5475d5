/**
 * `payouts run` with a name/email/amount file (the `destinationEmail` column), through the built
 * CLI against the embedded simulator: the email that resolves is paid, `nobody@…` and
 * `twobanks@…` are invalid with messages naming no account, exit 1; a rerun sends nothing. The
 * counting at the simulator itself is test/batch/email-payees.test.ts's (a standalone one).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { readJournalLines } from '../../batch/helpers.js';
import { journalOf, readCsvRows, removeDir, runCli, tempDir, writeCsv } from '../../helpers.js';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const PAYEES = [
  'name,destinationEmail,amount',
  'Alice Smith,alice.smith@example.com,120.00',
  'Nobody,nobody@example.com,10.00',
  'Pat Two Banks,twobanks@example.com,20.00',
  'Typo,alice.smith@example,5.00',
  'Nothing,,6.00',
  '',
].join('\n');

describe('payouts run: payees by email against the embedded simulator (built CLI, child process)', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;

  beforeEach(async () => {
    dir = await tempDir('payouts-cli-email-');
    out = join(dir, 'out');
  });
  afterEach(() => removeDir(dir));

  it('pays the email that resolves, refuses nobody@ and twobanks@ by name (exit 1); a rerun sends nothing', async () => {
    const file = await writeCsv(dir, 'team.csv', PAYEES);
    const r = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('Sent 1 transfer: 1 created.');
    expect(r.stdout).to.contain(
      'row 4 invalid: destinationEmail twobanks@example.com: 2 verified banks for Twobanks (Checking, Savings); use the destination column',
    );

    const results = await readCsvRows(join(out, 'team', 'results.csv'));
    const [alice, nobody, two, typo, nothing] = results;
    expect(alice).to.include({ status: 'created', amount: '120.00', destinationEmail: 'alice.smith@example.com' });
    expect(alice!.destination).to.match(UUID_RE);
    expect(alice!.transferUrl).to.match(/\/transfers\//);
    expect(nobody).to.include({
      status: 'invalid',
      destination: '',
      errorMessage:
        'destinationEmail nobody@example.com: no Dwolla customer has this email; add the payee at Dwolla, or use the destination column',
    });
    expect(two).to.include({
      status: 'invalid',
      errorMessage:
        'destinationEmail twobanks@example.com: 2 verified banks for Twobanks (Checking, Savings); use the destination column',
    });
    for (const row of [nobody, two]) {
      expect(row!.errorMessage).to.not.match(UUID_RE);
    }
    expect(typo!.status).to.equal('invalid');
    expect(typo!.errorMessage).to.contain("destinationEmail: 'alice.smith@example' is not an email address");
    expect(nothing!.errorMessage).to.contain('destination: missing');

    // One intent, to the bank the results name.
    const intents = (await readJournalLines(journalOf('team'))).filter((rec) => rec.type === 'intent');
    expect(intents.map((i) => i.destination)).to.deep.equal([alice!.destination]);

    const again = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(again.code, again.stderr).to.equal(1);
    expect(again.stdout).to.contain('Nothing to send');
    const summary = JSON.parse(await readFile(join(out, 'team', 'summary.json'), 'utf8'));
    expect(summary.thisRun).to.include({ sent: 0, created: 0 });
    expect((await readJournalLines(journalOf('team'))).filter((rec) => rec.type === 'intent')).to.have.length(1);
    const rerun = await readCsvRows(join(out, 'team', 'results.csv'));
    expect(rerun[0]).to.include({ status: 'created', destination: alice!.destination, transferId: alice!.transferId });
  });

  it('a dry run plans email rows by their email (in the destination column), "resolved … when sent", and the same keys as the run', async () => {
    const file = await writeCsv(dir, 'team.csv', PAYEES);
    const dry = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(dry.code, dry.stderr).to.equal(1);
    const plan = await readCsvRows(join(out, 'team', 'plan.csv'));
    expect(plan.slice(0, 3).map((r) => [r.status, r.destination, r.errorMessage])).to.deep.equal([
      ['planned', 'alice.smith@example.com', 'destination: resolved from alice.smith@example.com when sent'],
      ['planned', 'nobody@example.com', 'destination: resolved from nobody@example.com when sent'],
      ['planned', 'twobanks@example.com', 'destination: resolved from twobanks@example.com when sent'],
    ]);
    const run = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(run.code, run.stderr).to.equal(1);
    const results = await readCsvRows(join(out, 'team', 'results.csv'));
    expect(results[0]!.idempotencyKey).to.equal(plan[0]!.idempotencyKey);
  });
});
