import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  defaultBatchId,
  parseNow,
  type RunFlags,
  resolveReconcileSettings,
  resolveRunSettings,
} from '../../src/cli/run-options.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { UsageError } from '../../src/input/usage-error.js';

function usage(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.contain(fragment);
    return;
  }
  expect.fail(`expected a UsageError about ${fragment}`);
}

describe('run-options', () => {
  it('the default batch id is the base name when that is already a batch id', () => {
    expect(defaultBatchId('/data/payees.csv')).to.equal('payees');
    expect(defaultBatchId('payroll_2026-11.v2.csv')).to.equal('payroll_2026-11.v2');
    expect(defaultBatchId(`/data/${'x'.repeat(64)}.csv`)).to.equal('x'.repeat(64));
  });

  it('a changed base name keeps its uniqueness: other characters replaced, shortened, hash suffix', () => {
    const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 8);
    expect(defaultBatchId('Nov payroll (final).csv')).to.equal(`Nov-payroll--final--${hash('Nov payroll (final)')}`);
    // Both were `payees--1-` before: one batch for two files.
    const round = defaultBatchId('/data/payees (1).csv');
    const square = defaultBatchId('/data/payees [1].csv');
    expect(round).to.equal(`payees--1--${hash('payees (1)')}`);
    expect(square).to.equal(`payees--1--${hash('payees [1]')}`);
    expect(round).not.to.equal(square);
    // Two names that differ only after character 64 were cut to the same 64 characters.
    const long = 'x'.repeat(70);
    const a = defaultBatchId(`${long}a.csv`);
    const b = defaultBatchId(`${long}b.csv`);
    expect(a).not.to.equal(b);
    expect(a).to.equal(`${'x'.repeat(55)}-${hash(`${long}a`)}`);
    const odd = `Payroll — ${'très long nom de fichier '.repeat(8)}`;
    expect(odd).to.have.length.above(200);
    for (const id of [defaultBatchId(`/data/${odd}.csv`), a, b, round, square]) {
      expect(id).to.match(/^[A-Za-z0-9._-]{1,64}$/);
    }
    expect(defaultBatchId(`/data/${odd}.csv`)).to.have.length(64);
  });

  it('a default batch id never starts with - and is never empty, . or ..', () => {
    const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 8);
    expect(defaultBatchId('(1).csv')).to.equal(`1--${hash('(1)')}`);
    expect(defaultBatchId('日本.csv')).to.equal(`batch-${hash('日本')}`);
    expect(defaultBatchId('..csv')).to.equal(`.-${hash('.')}`);
    expect(defaultBatchId('')).to.equal(`batch-${hash('')}`);
  });

  it('--now with an offset is that instant; without one it is Central Time', () => {
    expect(parseNow('2026-03-09T08:45:00-05:00').toISOString()).to.equal('2026-03-09T13:45:00.000Z');
    expect(parseNow('2026-03-09T08:45:00Z').toISOString()).to.equal('2026-03-09T08:45:00.000Z');
    expect(parseNow('2026-03-06T08:45').toISOString()).to.equal('2026-03-06T14:45:00.000Z');
    expect(parseNow('2026-03-09T08:45').toISOString()).to.equal('2026-03-09T13:45:00.000Z');
    usage(() => parseNow('tomorrow'), '--now');
  });

  it('the embedded simulator needs no credentials and has a default source', () => {
    const s = resolveRunSettings({ file: 'a.csv' }, {});
    expect(s.apiUrl).to.equal(undefined);
    expect(s.defaultSourceId).to.equal(SIMULATOR.defaultSourceId);
    expect(s.credentials).to.equal(undefined);
    expect(s.concurrency).to.equal(4);
    expect(s.maxAmountCents).to.equal(1_000_000);
  });

  it('sandbox and production take DWOLLA_KEY and DWOLLA_SECRET; only sending needs them (checked then)', () => {
    expect(resolveRunSettings({ file: 'a.csv', env: 'sandbox' }, {}).credentials).to.equal(undefined);
    const s = resolveRunSettings({ file: 'a.csv', env: 'production' }, { DWOLLA_KEY: 'k', DWOLLA_SECRET: 's' });
    expect(s.apiUrl).to.equal('https://api.dwolla.com');
    expect(s.defaultSourceId).to.equal(undefined);
    expect(resolveRunSettings({ file: 'a.csv', env: 'sandbox', dryRun: true }, {}).apiUrl).to.equal(
      'https://api-sandbox.dwolla.com',
    );
  });

  it('--api-url overrides --env; PAYOUTS_SOURCE is the default source', () => {
    const s = resolveRunSettings(
      { file: 'a.csv', env: 'production', apiUrl: 'http://127.0.0.1:8787/' },
      {
        DWOLLA_KEY: 'k',
        DWOLLA_SECRET: 's',
        PAYOUTS_SOURCE: `https://x/funding-sources/${SIMULATOR.defaultSourceId.toUpperCase()}`,
      },
    );
    expect(s.apiUrl).to.equal('http://127.0.0.1:8787');
    expect(s.defaultSourceId).to.equal(SIMULATOR.defaultSourceId);
  });

  it('refuses an --api-url carrying a user name or password, and never shows the password', () => {
    for (const apiUrl of [
      'https://user:s3cr3t-pw@api.example.com',
      'https://user:s3cr3t-pw@api.example.com/',
      'http://:s3cr3t-pw@127.0.0.1:8787',
      'https://us@er:s3cr3t-pw@@api.example.com',
      'https://user:s3cr3t-pw/x@api.example.com',
      'user:s3cr3t-pw@api.example.com',
      'ftp://user:s3cr3t-pw@api.example.com',
    ]) {
      for (const resolveApi of [
        () => resolveRunSettings({ file: 'a.csv', apiUrl }, { DWOLLA_KEY: 'k', DWOLLA_SECRET: 's' }),
        () => resolveRunSettings({ file: 'a.csv', apiUrl, dryRun: true }, {}),
        () => resolveReconcileSettings({ batchId: 'b', apiUrl }, { DWOLLA_KEY: 'k', DWOLLA_SECRET: 's' }),
      ]) {
        try {
          resolveApi();
          expect.fail(`accepted ${apiUrl}`);
        } catch (err) {
          expect(err, apiUrl).to.be.instanceOf(UsageError);
          const { message } = err as Error;
          expect(message, apiUrl).to.contain('--api-url must not carry a user name or password');
          expect(message, apiUrl).not.to.contain('s3cr3t');
          expect(message, apiUrl).to.contain('***@');
        }
      }
    }
    usage(
      () => resolveRunSettings({ file: 'a.csv', apiUrl: 'https://u:pw@api.example.com/v1' }, {}),
      "'https://***@api.example.com/v1'",
    );
    usage(
      () => resolveRunSettings({ file: 'a.csv', apiUrl: 'https://user@api.example.com' }, {}),
      "'https://***@api.example.com'",
    );
  });

  it('--delimiter, --columns and --no-bom: how the file is read and results are written', () => {
    const d = resolveRunSettings({ file: 'a.csv' }, {});
    expect([d.delimiter, d.columns, d.bom]).to.deep.equal([undefined, [], true]);
    const s = resolveRunSettings(
      { file: 'a.csv', delimiter: 'tab', columns: 'Amount (USD)=amount,Funding Source=destination', bom: false },
      {},
    );
    expect(s.delimiter).to.equal('\t');
    expect(s.columns).to.deep.equal([
      { header: 'Amount (USD)', target: 'amount' },
      { header: 'Funding Source', target: 'destination' },
    ]);
    expect(s.bom).to.equal(false);
    expect(resolveRunSettings({ file: 'a.csv', noBom: true }, {}).bom).to.equal(false);
    usage(() => resolveRunSettings({ file: 'a.csv', delimiter: '|' }, {}), '--delimiter');
    usage(() => resolveRunSettings({ file: 'a.csv', columns: 'Total=sum' }, {}), "--columns: 'sum'");
  });

  it('refuses out-of-range or malformed options', () => {
    usage(() => resolveRunSettings({ file: 'a.csv', concurrency: 0 }, {}), '--concurrency');
    usage(() => resolveRunSettings({ file: 'a.csv', concurrency: 65 }, {}), '--concurrency');
    usage(() => resolveRunSettings({ file: 'a.csv', batchId: 'a b' }, {}), '--batch-id');
    usage(() => resolveRunSettings({ file: 'a.csv', batchId: '..' }, {}), '--batch-id');
    usage(() => resolveRunSettings({ file: 'a.csv', maxAmount: '5,00' }, {}), '--max-amount');
    usage(() => resolveRunSettings({ file: 'a.csv', maxAmount: '0' }, {}), '--max-amount');
    expect(resolveRunSettings({ file: 'a.csv', maxAmount: '$20,000.00' }, {}).maxAmountCents).to.equal(2_000_000);
    // yargs refuses an unknown --env first; flags from an untyped caller are still checked.
    const staging: RunFlags = JSON.parse('{ "file": "a.csv", "env": "staging" }');
    usage(() => resolveRunSettings(staging, {}), '--env');
    usage(() => resolveRunSettings({ file: 'a.csv', source: 'acct-1' }, {}), '--source');
    usage(() => resolveRunSettings({ file: 'a.csv', cutoffMargin: -1 }, {}), '--cutoff-margin');
  });

  it("PAYOUTS_SIMULATOR_BALANCE sets the embedded simulator's balance; an invalid one is a usage error", () => {
    expect(resolveRunSettings({ file: 'a.csv' }, {}).simulatorBalance).to.equal(undefined);
    expect(resolveRunSettings({ file: 'a.csv' }, { PAYOUTS_SIMULATOR_BALANCE: '' }).simulatorBalance).to.equal(
      undefined,
    );
    // Read as amounts are, and handed to the simulator with two decimals.
    for (const [ok, balance] of [
      ['250000.00', '250000.00'],
      ['7', '7.00'],
      ['0.5', '0.50'],
      ['$250,000', '250000.00'],
    ]) {
      const s = resolveRunSettings({ file: 'a.csv' }, { PAYOUTS_SIMULATOR_BALANCE: ok });
      expect(s.simulatorBalance).to.equal(balance);
    }
    for (const bad of ['abc', '-1.00', '1.000,00', '1.234', '€5']) {
      usage(
        () => resolveRunSettings({ file: 'a.csv' }, { PAYOUTS_SIMULATOR_BALANCE: bad }),
        `PAYOUTS_SIMULATOR_BALANCE must be a dollar amount like 250000.00 for the embedded simulator's balance (got '${bad}')`,
      );
    }
    // A real or standalone API has its own balances: the variable is not read.
    const sandbox = resolveRunSettings({ file: 'a.csv', env: 'sandbox' }, { PAYOUTS_SIMULATOR_BALANCE: 'abc' });
    expect(sandbox.simulatorBalance).to.equal(undefined);
  });
});
