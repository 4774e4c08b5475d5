import { expect } from 'chai';
import { defaultBatchId, parseNow, type RunFlags, resolveRunSettings } from '../../src/cli/run-options.js';
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
  it('the default batch id is the base name with other characters replaced', () => {
    expect(defaultBatchId('/data/payees.csv')).to.equal('payees');
    expect(defaultBatchId('Nov payroll (final).csv')).to.equal('Nov-payroll--final-');
    expect(defaultBatchId(`${'x'.repeat(80)}.csv`)).to.have.length(64);
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

  it('sandbox and production need DWOLLA_KEY and DWOLLA_SECRET, except for a dry run', () => {
    usage(() => resolveRunSettings({ file: 'a.csv', env: 'sandbox' }, {}), 'DWOLLA_KEY');
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

  it('refuses out-of-range or malformed options', () => {
    usage(() => resolveRunSettings({ file: 'a.csv', concurrency: 0 }, {}), '--concurrency');
    usage(() => resolveRunSettings({ file: 'a.csv', concurrency: 65 }, {}), '--concurrency');
    usage(() => resolveRunSettings({ file: 'a.csv', batchId: 'a b' }, {}), '--batch-id');
    usage(() => resolveRunSettings({ file: 'a.csv', batchId: '..' }, {}), '--batch-id');
    usage(() => resolveRunSettings({ file: 'a.csv', maxAmount: '$5' }, {}), '--max-amount');
    // yargs refuses an unknown --env first; flags from an untyped caller are still checked.
    const staging: RunFlags = JSON.parse('{ "file": "a.csv", "env": "staging" }');
    usage(() => resolveRunSettings(staging, {}), '--env');
    usage(() => resolveRunSettings({ file: 'a.csv', source: 'acct-1' }, {}), '--source');
    usage(() => resolveRunSettings({ file: 'a.csv', cutoffMargin: -1 }, {}), '--cutoff-margin');
  });
});
