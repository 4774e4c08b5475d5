import { expect } from 'chai';
import { resolveReleaseSettings } from '../../src/cli/release-settings.js';
import { UsageError } from '../../src/input/usage-error.js';

const CREDS = { DWOLLA_KEY: 'k', DWOLLA_SECRET: 's' };
const DIGEST = '9ad379b7130bcb7695f136b5404fa805bdd52979c111c09fb405baf59a487af8';

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  expect.fail('no usage error');
}

describe('resolveReleaseSettings: payouts approve / cancel', () => {
  it('names its API as reconcile does, in its own words', () => {
    expect(usageMessage(() => resolveReleaseSettings('approve', { batchId: 'b', approve: DIGEST }, CREDS))).to.match(
      /^approve needs --env sandbox\|production or --api-url URL \(.*nothing to approve/,
    );
    expect(usageMessage(() => resolveReleaseSettings('cancel', { batchId: 'b', env: 'simulator' }, CREDS))).to.match(
      /^cancel cannot use --env simulator: .*nothing to cancel/,
    );
  });

  it('approve needs --approve; cancel takes it when given; both check it as run does', () => {
    const flags = { batchId: 'b', apiUrl: 'http://127.0.0.1:9' };
    expect(usageMessage(() => resolveReleaseSettings('approve', flags, CREDS))).to.contain('approve needs --approve');
    expect(resolveReleaseSettings('cancel', flags, CREDS).approve).to.equal(undefined);
    const prefix = DIGEST.slice(0, 16).toUpperCase();
    for (const action of ['approve', 'cancel'] as const) {
      expect(resolveReleaseSettings(action, { ...flags, approve: prefix }, CREDS).approve).to.equal(
        DIGEST.slice(0, 16),
      );
      expect(
        usageMessage(() => resolveReleaseSettings(action, { ...flags, approve: DIGEST.slice(0, 15) }, CREDS)),
      ).to.contain('its first 16 or more');
      expect(usageMessage(() => resolveReleaseSettings(action, { ...flags, approve: `${DIGEST}0` }, CREDS))).to.contain(
        '64 hex digits',
      );
    }
  });
});
