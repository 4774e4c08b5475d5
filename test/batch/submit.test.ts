/**
 * The submitter in this process against the real simulator over HTTP, with a real journal: what
 * it does when the state can no longer be written mid-run (SPEC: stop sending, report what is
 * known, exit 3), and that no transfer ever leaves without a durable intent.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { Journal } from '../../src/batch/journal.js';
import { preflightSources } from '../../src/batch/preflight.js';
import { Submitter } from '../../src/batch/submit.js';
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
