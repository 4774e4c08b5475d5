import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { removeDir, runCli, tempDir } from '../../helpers.js';

const ENV = { DWOLLA_KEY: 'key', DWOLLA_SECRET: 'secret' };

describe('payouts reconcile: which API (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('exits 2 without --env or --api-url, saying why (no default: the embedded simulator keeps nothing)', async () => {
    const r = await runCli(['reconcile', 'payees', '--out', dir], { env: ENV });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('reconcile needs --env sandbox|production or --api-url URL');
    expect(r.stderr).to.contain('the embedded simulator keeps nothing between runs');
    expect(r.stderr).to.contain('standalone `payouts simulator`');
    expect(r.stdout).to.equal('');
    expect(existsSync(join(dir, 'payees'))).to.equal(false);
  });

  it('exits 2 for --env simulator, saying why and how to reconcile a rehearsal', async () => {
    const r = await runCli(['reconcile', 'payees', '--out', dir, '--env', 'simulator'], { env: ENV });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('reconcile cannot use --env simulator');
    expect(r.stderr).to.contain('nothing to reconcile');
    expect(r.stderr).to.contain('--api-url');
  });

  it('--help shows no default API and names the exit codes of the new findings', async () => {
    const r = await runCli(['reconcile', '--help']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).not.to.contain('"simulator"');
    expect(r.stdout).to.contain('required unless --api-url');
    expect(r.stdout).to.contain('not-found');
    expect(r.stdout).to.contain('fee transfer');
  });
});
