import { expect } from 'chai';
import { Tally } from '../../src/results/tally.js';

describe('results: Tally', () => {
  it('tallies counts and totals in cents by status', () => {
    const t = new Tally(['created', 'invalid']);
    t.add('created', 1010, true);
    t.add('created', 2020, false);
    t.add('invalid', undefined, false);
    t.add('failed', 5, false);
    const s = t.summary({ batchId: 'b', inputDigest: 'd', startedAt: 's', finishedAt: 'f', exitCode: 1 });
    expect(s.rows).to.equal(4);
    expect(s.byStatus).to.deep.equal({
      created: { count: 2, total: '30.30' },
      invalid: { count: 1, total: '0.00' },
      failed: { count: 1, total: '0.05' },
    });
    expect(s.sameDay).to.deep.equal({ count: 1, total: '10.10' });
  });
});
