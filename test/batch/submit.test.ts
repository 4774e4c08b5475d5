/**
 * The submitter in this process against the real simulator over HTTP, with a real journal: what
 * it does when the state can no longer be written mid-run (SPEC: stop sending, report what is
 * known, exit 3), and that no transfer ever leaves without a durable intent.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { Journal } from '../../src/batch/journal.js';
import { Ledger, ledgerPaymentOf } from '../../src/batch/ledger.js';
import type { RowOutcome } from '../../src/batch/outcome.js';
import { preflightSources } from '../../src/batch/preflight.js';
import { type LedgerSink, Submitter } from '../../src/batch/submit.js';
import { DwollaClient } from '../../src/dwolla/client.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { isSendable, type SendableRow } from '../../src/plan/planner.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { planCsv, removeDir, tempDir } from '../helpers.js';
import { makePayees, payeesCsv, readJournalLines } from './helpers.js';

/** The payees' rows as planned with the simulator's balance as default source, all sendable. */
async function sendableRows(payees: Parameters<typeof payeesCsv>[0]): Promise<SendableRow[]> {
  const planned = await planCsv(payeesCsv(payees), { defaultSourceId: SIMULATOR.defaultSourceId });
  return planned.filter((r): r is SendableRow => r.status === 'valid' && isSendable(r));
}

function simulatorClient(sim: SimulatorHandle): DwollaClient {
  return new DwollaClient({ baseUrl: sim.url, key: SIMULATOR.key, secret: SIMULATOR.secret, timeoutMs: 5000 });
}

describe('Submitter when the state cannot be written mid-run', () => {
  let dir: string;
  let sim: SimulatorHandle;

  beforeEach(async () => {
    dir = await tempDir('payouts-submit-');
    sim = await startSimulator({ port: 0, latencyMs: 20 });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  it('stops sending, reports the rows it knows, and sends nothing without a durable intent', async () => {
    const rows = await sendableRows(makePayees(30));
    const client = simulatorClient(sim);
    const journalPath = join(dir, 'journal.jsonl');
    const journal = await Journal.open(journalPath);
    try {
      const sources = await preflightSources(client, [SIMULATOR.defaultSourceId], { maxAttempts: 2 });
      const submitter = new Submitter(
        { client, journal, log: pino({ level: 'silent' }), clock: () => new Date() },
        { concurrency: 2, maxAttempts: 2, clearing: 'standard', cutoffMarginMinutes: 10, now: undefined },
        sources,
      );
      let settled = 0;
      // The journal becomes unwritable after the fifth outcome (a closed journal refuses appends).
      const outcomes = await submitter.submitAll(
        rows.map((row) => ({ row })),
        () => {
          settled++;
          if (settled === 5) {
            void journal.close();
          }
        },
      );
      expect(submitter.stateFailure, 'the failure is reported').to.be.a('string');
      expect(submitter.stopped).to.equal(true);
      const statuses = [...outcomes.values()].map((o) => o.status);
      expect(statuses.filter((s) => s === 'created').length).to.be.at.least(5);
      expect(statuses.filter((s) => s === 'pending').length, 'the rest were not attempted').to.be.greaterThan(0);
      expect(sim.transfers().length, 'it stopped sending').to.be.lessThan(rows.length);
      const intents = new Set(
        (await readJournalLines(journalPath)).filter((r) => r.type === 'intent').map((r) => r.key as string),
      );
      for (const t of sim.transfers()) {
        expect(intents.has(t.idempotencyKey ?? ''), `transfer ${t.id} has a durable intent`).to.equal(true);
      }
    } finally {
      client.close();
      await journal.close().catch(() => undefined);
    }
  });
});

describe('Submitter.submitStream holds a bounded window of rows', () => {
  let dir: string;
  let sim: SimulatorHandle;

  beforeEach(async () => {
    dir = await tempDir('payouts-submit-');
    sim = await startSimulator({ port: 0, latencyMs: 5, balance: '100000000.00' });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  it('never takes more than max(256, 16 x concurrency) rows ahead of those settled, and sends every row once', async () => {
    const rows = await sendableRows(makePayees(1200, { bankShare: 0.5, bankPool: 3 }));
    const client = simulatorClient(sim);
    const journal = await Journal.open(join(dir, 'journal.jsonl'));
    try {
      const sources = await preflightSources(client, new Set(rows.map((r) => r.payment.sourceId)), {
        maxAttempts: 2,
      });
      const submitter = new Submitter(
        { client, journal, log: pino({ level: 'silent' }), clock: () => new Date() },
        { concurrency: 4, maxAttempts: 3, clearing: 'standard', cutoffMarginMinutes: 10, now: undefined },
        sources,
      );
      let taken = 0;
      let settled = 0;
      let mostAhead = 0;
      function* stream() {
        for (const row of rows) {
          taken++;
          mostAhead = Math.max(mostAhead, taken - settled);
          yield { row };
        }
      }
      await submitter.submitStream(stream(), () => {
        settled++;
      });
      expect(settled).to.equal(rows.length);
      expect(mostAhead, 'rows in hand at once').to.be.at.most(256);
      expect(submitter.counts.created).to.equal(rows.length);
      expect(sim.transfers()).to.have.length(rows.length);
    } finally {
      client.close();
      await journal.close().catch(() => undefined);
    }
  });
});

describe('Submitter with a balance source: the next intent is written while the POST before it is in flight', () => {
  let dir: string;
  let sim: SimulatorHandle;
  let ledger: Ledger;

  beforeEach(async () => {
    dir = await tempDir('payouts-submit-');
    // Long enough that an intent (two fsyncs) is durable well before the POST before it returns.
    sim = await startSimulator({ port: 0, latencyMs: 100 });
    ledger = Ledger.open(join(dir, 'ledger.db'));
  });
  afterEach(async () => {
    ledger.close();
    await sim.close();
    await removeDir(dir);
  });

  /**
   * A submitter on real HTTP, a real journal and a real ledger, whose steps are logged in order:
   * `journal K` / `ledger K` when the intent of key K has resolved (is durable) there, `post K`
   * when its POST leaves, `answer K` when it returns. `onIntent` runs at each `ledger K`.
   */
  async function observed(journal: Journal, onIntent: (n: number) => void = () => undefined) {
    const events: string[] = [];
    const client = simulatorClient(sim);
    const createTransfer = client.createTransfer.bind(client);
    client.createTransfer = async (body, key) => {
      events.push(`post ${key}`);
      try {
        return await createTransfer(body, key);
      } finally {
        events.push(`answer ${key}`);
      }
    };
    const append = journal.append.bind(journal);
    journal.append = (rec, opts) => {
      const durable = append(rec, opts);
      if (rec.type === 'intent') {
        void durable.then(() => events.push(`journal ${rec.key}`));
      }
      return durable;
    };
    let intents = 0;
    const sink: LedgerSink = {
      intent: async (row, i) => {
        await ledger.recordIntent({ batchId: 'B', key: i.key, ...ledgerPaymentOf(row), at: i.at });
        events.push(`ledger ${i.key}`);
        onIntent(++intents);
      },
      outcome: (row, o) =>
        ledger.recordOutcome({ batchId: 'B', key: o.key, status: o.status, at: o.at, ...ledgerPaymentOf(row) }),
      flush: () => ledger.flush(),
    };
    const sources = await preflightSources(client, [SIMULATOR.defaultSourceId], { maxAttempts: 2 });
    const submitter = new Submitter(
      { client, journal, ledger: sink, log: pino({ level: 'silent' }), clock: () => new Date() },
      { concurrency: 4, maxAttempts: 2, clearing: 'standard', cutoffMarginMinutes: 10, now: undefined },
      sources,
    );
    return { submitter, events, client };
  }

  it("has each row's intent durable in the journal and the ledger before its POST, one POST at a time", async () => {
    const rows = await sendableRows(makePayees(10));
    const journal = await Journal.open(join(dir, 'journal.jsonl'));
    const { submitter, events, client } = await observed(journal);
    try {
      const outcomes = await submitter.submitAll(rows.map((row) => ({ row })));
      expect([...outcomes.values()].every((o) => o.status === 'created')).to.equal(true);
    } finally {
      client.close();
      await journal.close();
    }
    let inFlight = 0;
    events.forEach((e, i) => {
      const [what, key] = e.split(' ') as [string, string];
      if (what === 'post') {
        expect(events.slice(0, i), `the intent of ${key} before its POST`).to.include.members([
          `journal ${key}`,
          `ledger ${key}`,
        ]);
        inFlight++;
        expect(inFlight, 'POSTs in flight for the balance source').to.equal(1);
      } else if (what === 'answer') {
        inFlight--;
      }
    });
    // Written ahead: some row's intent was durable while the POST of the row before it was in flight.
    const ahead = rows.slice(1).filter((row, i) => {
      const before = rows[i]!.key;
      return events.indexOf(`ledger ${row.key}`) < events.indexOf(`answer ${before}`);
    });
    expect(ahead.length, 'rows whose intent was written during the POST before them').to.be.greaterThan(0);
    expect(sim.stats().maxInFlightPerBalanceSource).to.equal(1);
    expect(sim.stats().concurrencyRejections).to.equal(0);
  });

  it('stopped with a row prepared ahead: that row is pending and reported as never sent, and it was not POSTed', async () => {
    const rows = await sendableRows(makePayees(8));
    const journalPath = join(dir, 'journal.jsonl');
    const journal = await Journal.open(journalPath);
    // Stop once the third intent is durable: the second row's POST is in flight, the third row waits for it.
    let stop: () => void = () => undefined;
    const { submitter, events, client } = await observed(journal, (n) => {
      if (n === 3) {
        stop();
      }
    });
    stop = () => submitter.stop();
    let outcomes: Map<string, RowOutcome>;
    try {
      outcomes = await submitter.submitAll(rows.map((row) => ({ row })));
    } finally {
      client.close();
      await journal.close();
    }
    const posted = new Set(events.filter((e) => e.startsWith('post ')).map((e) => e.slice(5)));
    const intents = (await readJournalLines(journalPath))
      .filter((r) => r.type === 'intent')
      .map((r) => r.key as string);
    const third = rows[2]!.key;
    expect(intents, 'three intents written').to.deep.equal(rows.slice(0, 3).map((r) => r.key));
    expect(posted.has(third), 'the third row was not POSTed').to.equal(false);
    expect(outcomes.get(third)?.status).to.equal('pending');
    for (const row of rows) {
      expect(submitter.sentNothingFor(row.key), row.key).to.equal(intents.includes(row.key) && !posted.has(row.key));
      expect(outcomes.get(row.key)?.status, row.key).to.equal(posted.has(row.key) ? 'created' : 'pending');
    }
    expect(
      sim
        .transfers()
        .map((t) => t.idempotencyKey)
        .sort(),
    ).to.deep.equal([...posted].sort());
  });
});
