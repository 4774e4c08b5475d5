import { expect } from 'chai';
import { resolveRunSettings } from '../../src/cli/run-options.js';
import { UsageError } from '../../src/input/usage-error.js';

const HEX = '0d970532b02d08ef9de7abc3680b668e6d76fc8f1131864b7b69856d0791419c';

function resolve(flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  return resolveRunSettings({ file: 'pay.csv', ...flags }, env);
}

function usage(fn: () => unknown, fragment: string): void {
  expect(fn).to.throw(UsageError, fragment);
}

describe('run-options: --strict, --approve, --require-approval', () => {
  it('off by default', () => {
    expect(resolve()).to.deep.include({ strict: false, approve: undefined, requireApproval: false });
  });

  it('--strict and --require-approval', () => {
    expect(resolve({ strict: true, requireApproval: true })).to.deep.include({ strict: true, requireApproval: true });
  });

  it('--approve: the whole digest or a 16+ digit prefix, kept lower-case; anything else is a usage error', () => {
    expect(resolve({ approve: HEX.toUpperCase() }).approve).to.equal(HEX);
    expect(resolve({ approve: HEX.slice(0, 16) }).approve).to.equal(HEX.slice(0, 16));
    usage(() => resolve({ approve: HEX.slice(0, 12) }), 'its first 16 or more');
    usage(() => resolve({ approve: 'yes' }), '--approve must be the plan digest');
  });

  it('PAYOUTS_REQUIRE_APPROVAL=1/true requires approval; --no-require-approval cannot lift it', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes']) {
      expect(resolve({}, { PAYOUTS_REQUIRE_APPROVAL: value }).requireApproval, value).to.equal(true);
      expect(resolve({ requireApproval: false }, { PAYOUTS_REQUIRE_APPROVAL: value }).requireApproval).to.equal(true);
    }
    for (const value of ['', '0', 'false']) {
      expect(resolve({}, { PAYOUTS_REQUIRE_APPROVAL: value }).requireApproval, value).to.equal(false);
    }
    usage(() => resolve({}, { PAYOUTS_REQUIRE_APPROVAL: 'on-please' }), 'PAYOUTS_REQUIRE_APPROVAL must be 1 or 0');
  });
});
