import { expect } from 'chai';
import { runCli } from '../../helpers.js';

describe('payouts calendar (built CLI, child process)', () => {
  it('prints the days from --from and exits 0', async () => {
    const r = await runCli(['calendar', '--from', '2026-11-23', '--days', '3']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('2026-11-23 to 2026-11-25 (3 days)\n');
    expect(r.stderr).to.equal('');
  });

  it('exits 2 with one line on stderr for a bad --from or --days, printing no calendar', async () => {
    for (const [args, message] of [
      [['--from', '2026-02-30'], 'payouts: --from must be a real date written YYYY-MM-DD, got "2026-02-30"\n'],
      [['--days', '0'], 'payouts: --days must be a whole number from 1 to 366, got 0\n'],
    ] as const) {
      const r = await runCli(['calendar', ...args]);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.equal(message);
      expect(r.stdout).to.equal('');
    }
  });

  it('exits 2 for an option without its value, like any command line yargs refuses', async () => {
    const r = await runCli(['calendar', '--from']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal("payouts: Not enough arguments following: from\nRun 'payouts --help' for usage.\n");
  });
});
