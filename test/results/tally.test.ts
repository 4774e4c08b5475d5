import { expect } from 'chai';
import { summaryApi, Tally, ThisRunCounter } from '../../src/results/tally.js';

const THIS_RUN = { sent: 2, created: 2, foundByLookup: 0, held: 0 };

describe('results: Tally', () => {
  it('tallies counts and totals in cents by status', () => {
    const t = new Tally(['created', 'invalid']);
    t.add('created', 1010, true);
    t.add('created', 2020, false);
    t.add('invalid', undefined, false);
    t.add('failed', 5, false);
    const s = t.summary({
      batchId: 'b',
      inputDigest: 'd',
      startedAt: 's',
      finishedAt: 'f',
      thisRun: THIS_RUN,
      api: { env: 'simulator' },
      exitCode: 1,
    });
    expect(s.rows).to.equal(4);
    expect(s.byStatus).to.deep.equal({
      created: { count: 2, total: '30.30' },
      invalid: { count: 1, total: '0.00' },
      failed: { count: 1, total: '0.05' },
    });
    expect(s.sameDay).to.deep.equal({ count: 1, total: '10.10' });
  });

  it('summary.json says what this run did and against which API, in the contract order', () => {
    const t = new Tally(['created']);
    t.add('created', 100, false);
    const s = t.summary({
      batchId: 'b',
      inputDigest: 'd',
      startedAt: 's',
      finishedAt: 'f',
      thisRun: THIS_RUN,
      api: { env: 'sandbox', url: 'https://api-sandbox.dwolla.com', account: 'acct' },
      exitCode: 0,
    });
    expect(Object.keys(JSON.parse(JSON.stringify(s)))).to.deep.equal([
      'batchId',
      'inputDigest',
      'startedAt',
      'finishedAt',
      'rows',
      'byStatus',
      'sameDay',
      'thisRun',
      'api',
      'exitCode',
    ]);
    expect(s.thisRun).to.deep.equal(THIS_RUN);
    expect(s.api).to.deep.equal({ env: 'sandbox', url: 'https://api-sandbox.dwolla.com', account: 'acct' });
  });

  it("counts this run's sends, creations and lookups from its row outcomes", () => {
    const counts = (outcomes: Parameters<ThisRunCounter['add']>[0][]) => {
      const c = new ThisRunCounter();
      for (const o of outcomes) {
        c.add(o);
      }
      return { sent: c.sent, created: c.created, foundByLookup: c.foundByLookup };
    };
    expect(counts([])).to.deep.equal({ sent: 0, created: 0, foundByLookup: 0 });
    expect(
      counts([
        { status: 'created', attempts: 1, via: 'post' },
        { status: 'created', attempts: 3, via: 'post' },
        { status: 'created', attempts: 0, via: 'lookup' },
        { status: 'failed', attempts: 1 }, // refused by Dwolla: sent
        { status: 'unresolved', attempts: 6 }, // retries ran out: sent
        { status: 'failed', attempts: 0 }, // source failed preflight: never sent
        { status: 'unresolved', attempts: 0 }, // lookup failed: never sent
        { status: 'pending', attempts: 0 },
      ]),
    ).to.deep.equal({ sent: 4, created: 3, foundByLookup: 1 });
  });

  it('names the API: the embedded simulator, a Dwolla environment, or another --api-url', () => {
    expect(summaryApi('simulator', undefined)).to.deep.equal({ env: 'simulator' });
    expect(summaryApi('sandbox', 'https://api-sandbox.dwolla.com')).to.deep.equal({
      env: 'sandbox',
      url: 'https://api-sandbox.dwolla.com',
    });
    // --api-url overrides --env: the URL, not the (default) --env, says which API it was.
    expect(summaryApi('simulator', 'https://api.dwolla.com')).to.deep.equal({
      env: 'production',
      url: 'https://api.dwolla.com',
    });
    expect(summaryApi('simulator', 'http://127.0.0.1:8787', 'acct-1')).to.deep.equal({
      env: 'api-url',
      url: 'http://127.0.0.1:8787',
      account: 'acct-1',
    });
  });
});
