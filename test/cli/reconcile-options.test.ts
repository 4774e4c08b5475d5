import { expect } from 'chai';
import { resolveReconcileSettings } from '../../src/cli/run-options.js';
import { DWOLLA_URLS } from '../../src/dwolla/types.js';
import { UsageError } from '../../src/input/usage-error.js';

const CREDS = { DWOLLA_KEY: 'k', DWOLLA_SECRET: 's' };

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  expect.fail('no usage error');
}

describe('resolveReconcileSettings: an API named explicitly', () => {
  it('refuses no --env and no --api-url, and --env simulator, each saying why', () => {
    expect(usageMessage(() => resolveReconcileSettings({ batchId: 'b' }, CREDS))).to.match(
      /^reconcile needs --env sandbox\|production or --api-url URL \(the embedded simulator keeps nothing between runs/,
    );
    expect(usageMessage(() => resolveReconcileSettings({ batchId: 'b', env: 'simulator' }, CREDS))).to.match(
      /^reconcile cannot use --env simulator: the embedded simulator keeps nothing between runs, so it has nothing to reconcile; .*standalone `payouts simulator`/,
    );
  });

  it('takes --env sandbox / production and --api-url (which overrides --env, as in run)', () => {
    expect(resolveReconcileSettings({ batchId: 'b', env: 'sandbox' }, CREDS).apiUrl).to.equal(DWOLLA_URLS.sandbox);
    expect(resolveReconcileSettings({ batchId: 'b', env: 'production' }, CREDS).apiUrl).to.equal(
      DWOLLA_URLS.production,
    );
    expect(resolveReconcileSettings({ batchId: 'b', apiUrl: 'http://127.0.0.1:8787/' }, CREDS).apiUrl).to.equal(
      'http://127.0.0.1:8787',
    );
    expect(
      resolveReconcileSettings({ batchId: 'b', env: 'simulator', apiUrl: 'http://127.0.0.1:8787' }, CREDS).apiUrl,
    ).to.equal('http://127.0.0.1:8787');
  });

  it('refuses an --env that is no API, with or without --api-url', () => {
    for (const flags of [{ env: 'staging' }, { env: 'staging', apiUrl: 'http://127.0.0.1:8787' }]) {
      expect(usageMessage(() => resolveReconcileSettings({ batchId: 'b', ...flags }, CREDS))).to.equal(
        "--env must be sandbox or production (got 'staging')",
      );
    }
  });

  it('still needs credentials for the API it names', () => {
    expect(usageMessage(() => resolveReconcileSettings({ batchId: 'b', env: 'sandbox' }, {}))).to.contain(
      'DWOLLA_KEY and DWOLLA_SECRET must be set',
    );
  });
});
