/**
 * src/cli/notify.ts against a real receiver on 127.0.0.1: what is posted, the retries, the bounds,
 * and what is never carried.
 */
import { expect } from 'chai';
import { notificationOf, notificationText, postNotification, type RunEnd } from '../../src/cli/notify.js';
import type { Summary } from '../../src/results/tally.js';
import { UUIDS } from '../helpers.js';
import { type Receiver, startReceiver } from './helpers.js';

const SUMMARY: Summary = {
  batchId: 'payroll-2026-12',
  inputDigest: 'abc',
  startedAt: '2026-12-01T13:30:00.000Z',
  finishedAt: '2026-12-01T13:30:05.000Z',
  rows: 28,
  byStatus: {
    created: { count: 25, total: '2500.00' },
    invalid: { count: 2, total: '20.00' },
    failed: { count: 1, total: '5.00' },
    unresolved: { count: 0, total: '0.00' },
  },
  sameDay: { count: 25, total: '2500.00' },
  thisRun: { sent: 26, created: 25, foundByLookup: 0, held: 0 },
  api: { env: 'production', url: 'https://api.dwolla.com' },
  exitCode: 1,
};

const END: RunEnd = {
  batchId: 'payroll-2026-12',
  dryRun: false,
  exitCode: 1,
  summary: SUMMARY,
  resultsFile: 'output/payroll-2026-12/results.csv',
  needsAPerson: {
    count: 3,
    first: [
      {
        row: 4,
        status: 'invalid',
        errorMessage: "destination: 'acct-12345' is not a funding source",
        destination: 'acct-12345',
        amount: '10.00',
      },
      { row: 9, status: 'invalid', errorMessage: 'amount: missing', destination: UUIDS.a, paymentId: 'P-9' },
      {
        row: 12,
        status: 'failed',
        errorMessage: 'Dwolla refused it',
        destination: `https://api.dwolla.com/funding-sources/${UUIDS.b}`,
        amount: '5.00',
      },
    ],
  },
};

const FAST = { tryTimeoutMs: 300, backoffMs: 10, deadlineMs: 3000 };

describe('cli: notify (--notify-url)', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('posts summary.json, the rows needing a person and a Slack text line as JSON', async () => {
    receiver = await startReceiver([200]);
    const failure = await postNotification(receiver.url, notificationOf(END, []), FAST);
    expect(failure).to.equal(undefined);
    expect(receiver.received).to.have.length(1);
    const [got] = receiver.received;
    expect(got!.method).to.equal('POST');
    expect(got!.path).to.equal('/hooks/T0/B0/s3cr3t-path');
    expect(got!.contentType).to.match(/^application\/json/);
    const body = got!.body;
    expect(body.text).to.equal(
      'payouts: batch payroll-2026-12 finished: 25 created, 2 invalid, 1 failed (exit 1): 3 rows need a person',
    );
    for (const [field, value] of Object.entries(SUMMARY)) {
      expect(body[field], field).to.deep.equal(value);
    }
    expect(body.dryRun).to.equal(false);
    expect(body.rowsNeedingAPersonCount).to.equal(3);
    expect(body.resultsFile).to.equal('output/payroll-2026-12/results.csv');
    // A destination that is not a funding-source reference is left out; one that is, is its id.
    expect(body.rowsNeedingAPerson).to.deep.equal([
      { row: 4, status: 'invalid', errorMessage: "destination: 'acct-12345' is not a funding source", amount: '10.00' },
      { row: 9, status: 'invalid', errorMessage: 'amount: missing', destination: UUIDS.a, paymentId: 'P-9' },
      { row: 12, status: 'failed', errorMessage: 'Dwolla refused it', destination: UUIDS.b, amount: '5.00' },
    ]);
  });

  it('tries again after a 500 and a 429, and stops at the first 2xx', async () => {
    receiver = await startReceiver([500, 429, 204]);
    const failure = await postNotification(receiver.url, notificationOf(END, []), FAST);
    expect(failure).to.equal(undefined);
    expect(receiver.received).to.have.length(3);
    expect(new Set(receiver.received.map((r) => r.text)).size, 'the same body each time').to.equal(1);
  });

  it('gives up after its tries on 5xx, and at once on another 4xx, saying why', async () => {
    receiver = await startReceiver([503]);
    expect(await postNotification(receiver.url, notificationOf(END, []), FAST)).to.equal('HTTP 503');
    expect(receiver.received).to.have.length(3);
    await receiver.close();
    receiver = await startReceiver([404]);
    expect(await postNotification(receiver.url, notificationOf(END, []), FAST)).to.equal('HTTP 404');
    expect(receiver.received).to.have.length(1);
  });

  it('a receiver that never answers: each try times out and the post ends by its deadline', async () => {
    receiver = await startReceiver(['hang']);
    const failure = await postNotification(receiver.url, notificationOf(END, []), {
      tries: 5,
      tryTimeoutMs: 5000,
      backoffMs: 10,
      deadlineMs: 400,
    });
    expect(failure).to.equal('no answer in time');
    expect(receiver.received, 'the deadline cut the first try short').to.have.length(1);
  });

  it('a signal stops it', async () => {
    receiver = await startReceiver(['hang']);
    const stop = new AbortController();
    const posting = postNotification(receiver.url, notificationOf(END, []), {
      ...FAST,
      tryTimeoutMs: 60_000,
      deadlineMs: 60_000,
      signal: stop.signal,
    });
    while (receiver.received.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    stop.abort();
    expect(await posting).to.match(/^stopped by a signal/);
  });

  it('a refused connection is a network failure (its errno)', async () => {
    receiver = await startReceiver([200]);
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    expect(await postNotification(url, notificationOf(END, []), FAST)).to.equal('ECONNREFUSED');
  });

  it('never carries a secret, wherever it would appear', () => {
    const secret = 'Sup3r-S3cret-value';
    const leaky: RunEnd = {
      ...END,
      needsAPerson: {
        count: 1,
        first: [{ row: 2, status: 'invalid', errorMessage: `paymentId: '${secret}' is too long`, paymentId: secret }],
      },
      error: `something about ${secret}`,
    };
    const text = JSON.stringify(notificationOf(leaky, [secret, undefined, '']));
    expect(text).to.not.contain(secret);
    expect(text).to.contain('[redacted]');
  });

  it('says what happened in the text: a dry run, an incomplete run, an early end', () => {
    const plan: Summary = { ...SUMMARY, byStatus: { planned: { count: 5, total: '5.00' } }, exitCode: 0 };
    expect(notificationText({ batchId: 'b', dryRun: true, exitCode: 0, summary: plan, simulated: true })).to.equal(
      'payouts: dry run of batch b planned: 5 planned (exit 0); nothing was sent (simulator: no money moved)',
    );
    const incomplete: Summary = {
      ...SUMMARY,
      byStatus: { created: { count: 2, total: '2.00' }, pending: { count: 3, total: '3.00' } },
    };
    expect(notificationText({ batchId: 'b', dryRun: false, exitCode: 3, summary: incomplete })).to.equal(
      'payouts: batch b finished: 2 created, 3 pending (exit 3): incomplete, run the same command again',
    );
    expect(
      notificationText({ batchId: 'b', dryRun: false, exitCode: 2, error: "no 'amount' column <here> & there" }),
    ).to.equal("payouts: batch b ended without results (exit 2): no 'amount' column &lt;here&gt; &amp; there");
  });
});
