import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, open as openFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import {
  Ledger,
  LedgerError,
  type LedgerIntent,
  type LedgerOutcome,
  type LedgerPayment,
} from '../../src/batch/ledger.js';
import { kill9, killAll, nextLine, spawnFixture } from '../fixtures/child.js';
import { type Call, canTrace, markerAt, traceFixture } from '../fixtures/strace.js';

const AT = '2025-03-04T15:00:00.000Z';
const LATER = '2025-03-04T15:05:00.000Z';
const DEST = '5cfcdc41-10f6-4a45-b11d-7ac89893d985';
const OTHER_DEST = '0f6c2e3a-8f1e-4c2b-9a44-3d1a2b3c4d5e';
const SRC = 'b268f6b9-db3b-4ecc-83a2-8823a53ec8b7';

function intent(batchId: string, key: string, extra: Partial<LedgerIntent> = {}): LedgerIntent {
  return {
    batchId,
    key,
    row: 2,
    destination: DEST,
    amountCents: 1050,
    correlationId: `corr-${key}`,
    source: SRC,
    at: AT,
    ...extra,
  };
}

function created(batchId: string, key: string, extra: Partial<LedgerOutcome> = {}): LedgerOutcome {
  return {
    batchId,
    key,
    status: 'created',
    transferUrl: `https://api-sandbox.dwolla.com/transfers/t-${key}`,
    transferId: `t-${key}`,
    via: 'post',
    at: LATER,
    ...extra,
  };
}

async function expectRejection(p: Promise<unknown>): Promise<LedgerError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(LedgerError);
    return err as LedgerError;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LedgerError);
    return err as LedgerError;
  }
  throw new Error('expected a LedgerError');
}

function keys(ps: Iterable<LedgerPayment>): string[] {
  return [...ps].map((p) => `${p.batchId}/${p.key}`);
}

function only(ps: LedgerPayment[]): LedgerPayment {
  expect(ps).to.have.length(1);
  return ps[0]!;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('ledger', () => {
  let dir: string;
  let path: string;
  const opened: Ledger[] = [];

  function open(p = path, opts = {}): Ledger {
    const l = Ledger.open(p, opts);
    opened.push(l);
    return l;
  }

  function openReadOnly(p = path): Ledger | undefined {
    const l = Ledger.openReadOnly(p);
    if (l) {
      opened.push(l);
    }
    return l;
  }

  /** One entry per key of `batchId`, all in one group; `outcome` then records them created. */
  async function seed(l: Ledger, batchId: string, n: number, extra: Partial<LedgerIntent> = {}): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        l.recordIntent(intent(batchId, `k${String(i).padStart(5, '0')}`, { row: i + 2, ...extra })),
      ),
    );
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payouts-ledger-'));
    path = join(dir, 'sandbox', 'acct-1', 'ledger.db');
  });

  afterEach(async () => {
    await killAll();
    for (const l of opened.splice(0)) {
      l.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  describe('open', () => {
    it('creates the folder, the file and the schema, in WAL mode with synchronous=FULL', () => {
      const l = open();
      expect(existsSync(path)).to.equal(true);
      expect(l.settings()).to.deep.equal({
        journalMode: 'wal',
        synchronous: 2,
        busyTimeoutMs: 10_000,
        foreignKeys: false,
      });
      expect(l.countOfBatch('A')).to.equal(0);
    });

    it('takes the busy timeout from the options', () => {
      expect(open(path, { busyTimeoutMs: 1234 }).settings().busyTimeoutMs).to.equal(1234);
    });

    it('reopens an existing ledger with its entries', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1'));
      l.close();
      expect(keys(open().paymentsOfBatch('A'))).to.deep.equal(['A/k1']);
    });

    it('fails with LEDGER_OPEN_FAILED when the folder cannot be created (a path under a file)', async () => {
      const file = join(dir, 'file');
      await writeFile(file, 'x');
      const err = thrown(() => Ledger.open(join(file, 'acct', 'ledger.db')));
      expect(err.code).to.equal('LEDGER_OPEN_FAILED');
    });

    it('fails with LEDGER_UNREADABLE on a file that is not a database', async () => {
      const file = join(dir, 'garbage.db');
      await writeFile(file, 'this is not a ledger\n'.repeat(500));
      expect(thrown(() => Ledger.open(file)).code).to.equal('LEDGER_UNREADABLE');
      expect(thrown(() => Ledger.openReadOnly(file)).code).to.equal('LEDGER_UNREADABLE');
      expect(readFileSync(file, 'utf8')).to.equal('this is not a ledger\n'.repeat(500));
    });

    it('treats an empty file as a new ledger (a crash between creating the file and its schema)', async () => {
      const file = join(dir, 'empty.db');
      await writeFile(file, '');
      expect(Ledger.openReadOnly(file)).to.equal(undefined);
      const l = open(file);
      await l.recordIntent(intent('A', 'k1'));
      expect(openReadOnly(file)?.countOfBatch('A')).to.equal(1);
    });

    it("fails with LEDGER_UNREADABLE on another application's SQLite database", () => {
      const file = join(dir, 'other.db');
      const other = new Database(file);
      other.exec('CREATE TABLE payments (x)');
      other.close();
      expect(thrown(() => Ledger.open(file)).code).to.equal('LEDGER_UNREADABLE');
      expect(thrown(() => Ledger.openReadOnly(file)).code).to.equal('LEDGER_UNREADABLE');
    });

    it('upgrades a schema 1 ledger in place (payments.mass_payment added), keeping its payments', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1'));
      l.close();
      const db = new Database(path);
      db.exec('ALTER TABLE payments DROP COLUMN mass_payment');
      db.pragma('user_version = 1');
      db.close();
      const again = open();
      await again.recordIntent(intent('A', 'k2', { massPayment: 'payouts-mp-1' }));
      expect(keys(again.paymentsOfBatch('A'))).to.deep.equal(['A/k1', 'A/k2']);
      again.close();
      const check = new Database(path, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).to.equal(2);
      const rows = check.prepare('SELECT key, mass_payment AS m FROM payments ORDER BY key').all();
      check.close();
      expect(rows).to.deep.equal([
        { key: 'k1', m: null },
        { key: 'k2', m: 'payouts-mp-1' },
      ]);
    });

    it('fails with LEDGER_UNREADABLE on a ledger of a newer schema', () => {
      open().close();
      const db = new Database(path);
      db.pragma('user_version = 99');
      db.close();
      const err = thrown(() => Ledger.open(path));
      expect(err.code).to.equal('LEDGER_UNREADABLE');
      expect(err.message).to.contain('schema version 99');
    });

    it('gives LEDGER_UNREADABLE, not a crash, when pages past the header are damaged', async () => {
      const l = open();
      await seed(l, 'A', 2000);
      l.close();
      const fh = await openFile(path, 'r+');
      try {
        const junk = Buffer.alloc(4096 * 16, 0xa5);
        await fh.write(junk, 0, junk.length, 4096);
      } finally {
        await fh.close();
      }
      const err = thrown(() => {
        const damaged = open();
        return [...damaged.paymentsOfBatch('A')];
      });
      expect(err.code).to.equal('LEDGER_UNREADABLE');
    });
  });

  describe('openReadOnly', () => {
    it('is undefined when there is no ledger, and creates neither the file nor its folder', () => {
      expect(Ledger.openReadOnly(path)).to.equal(undefined);
      expect(existsSync(join(dir, 'sandbox'))).to.equal(false);
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it('is undefined under a file (ENOTDIR)', async () => {
      await writeFile(join(dir, 'file'), 'x');
      expect(Ledger.openReadOnly(join(dir, 'file', 'ledger.db'))).to.equal(undefined);
    });

    it('reads an existing ledger, refuses writes and leaves its content unchanged', async () => {
      const w = open();
      await w.recordIntent(intent('A', 'k1'));
      w.recordRun({ batchId: 'A', inputDigest: 'd1', inputFile: 'a.csv', keyVersion: 'v2', at: AT });
      w.close();
      const before = sha256(path);

      const r = openReadOnly()!;
      expect(r.readOnly).to.equal(true);
      expect(keys(r.history())).to.deep.equal(['A/k1']);
      expect(r.batch('A')?.inputDigest).to.equal('d1');
      expect((await expectRejection(r.recordIntent(intent('A', 'k2')))).code).to.equal('LEDGER_READ_ONLY');
      expect((await expectRejection(r.recordOutcome(created('A', 'k1')))).code).to.equal('LEDGER_READ_ONLY');
      expect(thrown(() => r.markComplete('A', AT)).code).to.equal('LEDGER_READ_ONLY');
      expect(
        thrown(() => r.recordRun({ batchId: 'B', inputDigest: 'd', inputFile: 'b.csv', keyVersion: 'v2', at: AT }))
          .code,
      ).to.equal('LEDGER_READ_ONLY');
      r.close();
      expect(sha256(path)).to.equal(before);
      expect(open().countOfBatch('A')).to.equal(1);
    });

    it("keeps the same small page cache as a writer (4 MB, not better-sqlite3's 16 MB)", async () => {
      const w = open();
      await w.recordIntent(intent('A', 'k1'));
      const r = openReadOnly()!;
      // The connection is private: read through TypeScript's element-access escape hatch.
      // biome-ignore lint/complexity/useLiteralKeys: db is private, and only element access reaches it
      const cacheOf = (l: Ledger) => Number(l['db'].pragma('cache_size', { simple: true }));
      expect([cacheOf(w), cacheOf(r)]).to.deep.equal([-4096, -4096]);
    });

    it('sees what a writer commits while it is open', async () => {
      const w = open();
      await w.recordIntent(intent('A', 'k1'));
      const r = openReadOnly()!;
      await w.recordIntent(intent('A', 'k2'));
      expect(r.countOfBatch('A')).to.equal(2);
    });
  });

  describe('intents and outcomes', () => {
    it('round-trips an intent and its outcome', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1', { paymentId: 'PAY-1', row: 7 }));
      expect(only([...l.paymentsOfBatch('A')])).to.deep.equal({
        batchId: 'A',
        key: 'k1',
        row: 7,
        paymentId: 'PAY-1',
        destination: DEST,
        amountCents: 1050,
        correlationId: 'corr-k1',
        source: SRC,
        firstIntentAt: AT,
        status: 'intent',
      });
      await l.recordOutcome(created('A', 'k1'));
      expect(only([...l.paymentsOfBatch('A')])).to.deep.equal({
        batchId: 'A',
        key: 'k1',
        row: 7,
        paymentId: 'PAY-1',
        destination: DEST,
        amountCents: 1050,
        correlationId: 'corr-k1',
        source: SRC,
        firstIntentAt: AT,
        status: 'created',
        transferUrl: 'https://api-sandbox.dwolla.com/transfers/t-k1',
        transferId: 't-k1',
        settledAt: LATER,
        via: 'post',
      });
    });

    it('stores times as ISO-8601 UTC and destinations as the lower-case funding-source id', async () => {
      const l = open();
      await l.recordIntent(
        intent('A', 'k1', {
          at: '2025-03-04T09:00:00-06:00',
          destination: `https://api-sandbox.dwolla.com/funding-sources/${DEST.toUpperCase()}`,
        }),
      );
      const p = only([...l.paymentsOfBatch('A')]);
      expect(p.firstIntentAt).to.equal(AT);
      expect(p.destination).to.equal(DEST);
    });

    it('rejects an invalid amount or time with LEDGER_INVALID_ARGUMENT and writes nothing', async () => {
      const l = open();
      const errs = await Promise.all([
        expectRejection(l.recordIntent(intent('A', 'k1', { amountCents: 10.5 }))),
        expectRejection(l.recordIntent(intent('A', 'k2', { at: 'yesterday' }))),
        expectRejection(l.recordOutcome(created('A', 'k3', { at: 'never' }))),
      ]);
      expect(errs.map((e) => e.code)).to.deep.equal([
        'LEDGER_INVALID_ARGUMENT',
        'LEDGER_INVALID_ARGUMENT',
        'LEDGER_INVALID_ARGUMENT',
      ]);
      expect(l.countOfBatch('A')).to.equal(0);
    });

    it("keeps 'created' final: a later failed or unresolved outcome, or a new intent, changes nothing", async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1'));
      await l.recordOutcome(created('A', 'k1'));
      const before = only([...l.paymentsOfBatch('A')]);
      await l.recordOutcome({ batchId: 'A', key: 'k1', status: 'failed', at: '2025-03-05T00:00:00.000Z' });
      await l.recordOutcome({ batchId: 'A', key: 'k1', status: 'unresolved', at: '2025-03-05T00:00:00.000Z' });
      await l.recordOutcome(created('A', 'k1', { transferId: 't-other', at: '2025-03-05T00:00:00.000Z' }));
      await l.recordIntent(intent('A', 'k1', { amountCents: 9999, at: '2025-03-06T00:00:00.000Z' }));
      expect(only([...l.paymentsOfBatch('A')])).to.deep.equal(before);
      expect(before.status).to.equal('created');
    });

    it('keeps first_intent_at when an intent is recorded again, and reopens a failed entry', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1'));
      await l.recordOutcome({ batchId: 'A', key: 'k1', status: 'failed', via: 'post', at: LATER });
      expect(only([...l.paymentsOfBatch('A')]).status).to.equal('failed');
      await l.recordIntent(intent('A', 'k1', { amountCents: 2000, row: 9, at: '2025-03-05T12:00:00.000Z' }));
      const { at: _at, ...fields } = intent('A', 'k1', { amountCents: 2000, row: 9 });
      expect(only([...l.paymentsOfBatch('A')])).to.deep.equal({ ...fields, firstIntentAt: AT, status: 'intent' });
    });

    it('records an unresolved outcome, which a later created outcome replaces', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1'));
      await l.recordOutcome({ batchId: 'A', key: 'k1', status: 'unresolved', at: LATER });
      expect(only([...l.paymentsOfBatch('A')])).to.include({ status: 'unresolved', settledAt: LATER });
      await l.recordOutcome(created('A', 'k1', { via: 'lookup' }));
      expect(only([...l.paymentsOfBatch('A')])).to.include({ status: 'created', via: 'lookup', transferId: 't-k1' });
    });

    it('records a transfer found by lookup without an intent when the outcome carries the payment', async () => {
      const l = open();
      const { batchId: _b, key: _k, at: _a, ...payment } = intent('A', 'k1', { paymentId: 'PAY-1' });
      await l.recordOutcome(created('A', 'k1', { ...payment, via: 'lookup' }));
      expect(only(l.byPaymentId('PAY-1'))).to.deep.include({
        key: 'k1',
        status: 'created',
        via: 'lookup',
        destination: DEST,
        amountCents: 1050,
        firstIntentAt: LATER,
        settledAt: LATER,
      });
    });

    it('rejects only the outcome without an intent nor payment fields (LEDGER_NOT_FOUND); its group commits', async () => {
      const l = open();
      const [orphan, fine] = await Promise.allSettled([
        l.recordOutcome(created('A', 'nobody')),
        l.recordIntent(intent('A', 'k1')),
      ]);
      expect(orphan.status).to.equal('rejected');
      expect(((orphan as PromiseRejectedResult).reason as LedgerError).code).to.equal('LEDGER_NOT_FOUND');
      expect(fine.status).to.equal('fulfilled');
      expect(keys(l.paymentsOfBatch('A'))).to.deep.equal(['A/k1']);
    });
  });

  describe('group commit', () => {
    it('commits 100 concurrent intents in one transaction, and every caller resolves', async () => {
      const l = open();
      const before = { ...l.stats };
      const settled = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => l.recordIntent(intent('A', `k${i}`, { row: i + 2 }))),
      );
      expect(settled.every((s) => s.status === 'fulfilled')).to.equal(true);
      expect(l.stats.transactions - before.transactions).to.equal(1);
      expect(l.stats.records - before.records).to.equal(100);
      expect(l.countOfBatch('A')).to.equal(100);
    });

    it('resolves an intent only once it is committed (visible to another connection)', async () => {
      const l = open();
      const other = open();
      const p = l.recordIntent(intent('A', 'k1'));
      expect(other.countOfBatch('A')).to.equal(0);
      await p;
      expect(other.countOfBatch('A')).to.equal(1);
    });

    it('flush waits for queued writes', async () => {
      const l = open();
      const other = open();
      const p = l.recordIntent(intent('A', 'k1'));
      await l.flush();
      expect(other.countOfBatch('A')).to.equal(1);
      await p;
      await l.flush(); // nothing queued
    });

    it('close commits what is queued; later calls fail with LEDGER_CLOSED', async () => {
      const l = open();
      const p = l.recordIntent(intent('A', 'k1'));
      l.close();
      await p;
      expect((await expectRejection(l.recordIntent(intent('A', 'k2')))).code).to.equal('LEDGER_CLOSED');
      expect(thrown(() => l.countOfBatch('A')).code).to.equal('LEDGER_CLOSED');
      expect(thrown(() => [...l.history()]).code).to.equal('LEDGER_CLOSED');
      l.close(); // idempotent
      expect(open().countOfBatch('A')).to.equal(1);
    });

    it('rejects every waiter of a group with LEDGER_WRITE_FAILED when the write fails (busy past the timeout)', async () => {
      const l = open(path, { busyTimeoutMs: 50 });
      const blocker = new Database(path);
      blocker.exec('BEGIN IMMEDIATE');
      try {
        const errs = await Promise.all([
          expectRejection(l.recordIntent(intent('A', 'k1'))),
          expectRejection(l.recordIntent(intent('A', 'k2'))),
          expectRejection(l.recordOutcome(created('A', 'k1'))),
          expectRejection(l.flush()),
        ]);
        for (const err of errs) {
          expect(err.code).to.equal('LEDGER_WRITE_FAILED');
          expect(err).to.equal(errs[0]);
        }
        expect((errs[0]!.cause as { code?: string }).code).to.equal('SQLITE_BUSY');
        const run = { batchId: 'A', inputDigest: 'd', inputFile: 'a.csv', keyVersion: 'v2', at: AT };
        expect(thrown(() => l.recordRun(run)).code).to.equal('LEDGER_WRITE_FAILED');
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }
      // the failed group left nothing behind, and the ledger is writable again
      expect(l.countOfBatch('A')).to.equal(0);
      await l.recordIntent(intent('A', 'k3'));
      expect(keys(l.paymentsOfBatch('A'))).to.deep.equal(['A/k3']);
    });
  });

  describe('fsyncs of the WAL (on the thread pool, not the event loop)', () => {
    const isWal = (c: Call) => c.path.endsWith('ledger.db-wal');
    const isSync = (c: Call) => (c.name === 'fdatasync' || c.name === 'fsync') && isWal(c);
    const isFrame = (c: Call) => c.name === 'pwrite64' && isWal(c);
    const between = (calls: Call[], test: (c: Call) => boolean, from: number, to: number) =>
      calls.filter((c) => test(c) && c.at > from && c.at < to);

    it('resolves each intent of a group only after the one fsync of the WAL made after their commit', async () => {
      const l = open();
      const before = l.stats.walSyncs;
      const seen: number[] = [];
      await Promise.all(
        [1, 2, 3].map((i) => l.recordIntent(intent('A', `k${i}`)).then(() => seen.push(l.stats.walSyncs))),
      );
      expect(seen).to.deep.equal([before + 1, before + 1, before + 1]);
    });

    it('commits an outcome alone without an fsync; the next intent, a flush or close makes it durable', async () => {
      const l = open();
      const other = open(); // another connection: close is then no checkpoint, only this ledger's own sync
      await Promise.all(['k1', 'k2', 'k3'].map((k) => l.recordIntent(intent('A', k))));
      const s0 = l.stats.walSyncs;

      await l.recordOutcome(created('A', 'k1'));
      expect(l.stats.walSyncs, 'no fsync for an outcome alone').to.equal(s0);
      const k1 = [...other.paymentsOfBatch('A')].find((p) => p.key === 'k1');
      expect(k1, 'committed: another connection sees it').to.include({ status: 'created' });
      await l.recordIntent(intent('A', 'k4'));
      expect(l.stats.walSyncs, "the next intent's fsync covers it").to.equal(s0 + 1);
      await l.flush();
      expect(l.stats.walSyncs, 'nothing was left to sync').to.equal(s0 + 1);

      await l.recordOutcome(created('A', 'k2'));
      await l.flush();
      expect(l.stats.walSyncs, 'flush syncs an outcome alone').to.equal(s0 + 2);

      await l.recordOutcome(created('A', 'k3'));
      l.close();
      expect(l.stats.walSyncs, 'close syncs what is left').to.equal(s0 + 3);
      expect([...other.paymentsOfBatch('A')].map((p) => p.status)).to.deep.equal([
        'created',
        'created',
        'created',
        'intent',
      ]);
    });

    it("strace: an intent resolves after its frames were written to the WAL and fsync'd; an outcome alone is fsync'd at close", async function () {
      if (!canTrace()) {
        this.skip(); // no strace here, or ptrace not allowed
      }
      const calls = await traceFixture('durable-writes.ts', ['ledger', path]);
      const opened = markerAt(calls, 'opened');
      const intentResolved = markerAt(calls, 'intent-resolved');
      const outcomeResolved = markerAt(calls, 'outcome-resolved');
      const closed = markerAt(calls, 'closed');

      const intentFrames = between(calls, isFrame, opened, intentResolved);
      expect(intentFrames, "the intent's frames").to.not.be.empty;
      const intentSyncs = between(calls, isSync, intentFrames[intentFrames.length - 1]!.at, intentResolved);
      expect(intentSyncs, 'an fsync of the WAL after them, before the intent resolved').to.not.be.empty;

      const outcomeFrames = between(calls, isFrame, intentResolved, outcomeResolved);
      expect(outcomeFrames, "the outcome's frames").to.not.be.empty;
      expect(between(calls, isSync, intentResolved, outcomeResolved), 'no fsync for an outcome alone').to.be.empty;
      const atClose = between(calls, isSync, outcomeFrames[outcomeFrames.length - 1]!.at, closed);
      expect(atClose, 'an fsync of the WAL after them, before close returned').to.not.be.empty;
    });
  });

  describe('batches', () => {
    const run = (batchId: string, digest: string, at: string) => ({
      batchId,
      inputDigest: digest,
      inputFile: `${batchId}.csv`,
      keyVersion: 'payouts/v2',
      at,
    });

    it('records runs: first_run_at and key_version kept, last_run_at, digest and file updated', () => {
      const l = open();
      l.recordRun(run('A', 'd1', AT));
      l.recordRun({ ...run('A', 'd2', LATER), inputFile: 'renamed.csv', keyVersion: 'payouts/v3' });
      expect(l.batch('A')).to.deep.equal({
        batchId: 'A',
        inputDigest: 'd2',
        inputFile: 'renamed.csv',
        keyVersion: 'payouts/v2',
        firstRunAt: AT,
        lastRunAt: LATER,
      });
      expect(l.batch('B')).to.equal(undefined);
    });

    it('marks a batch complete; a later run keeps completed_at', () => {
      const l = open();
      l.recordRun(run('A', 'd1', AT));
      l.markComplete('A', LATER);
      expect(l.batch('A')?.completedAt).to.equal(LATER);
      l.recordRun(run('A', 'd1', '2025-03-05T15:00:00.000Z'));
      expect(l.batch('A')?.completedAt).to.equal(LATER);
      expect(thrown(() => l.markComplete('nope', LATER)).code).to.equal('LEDGER_NOT_FOUND');
    });

    it('finds the other batches with a digest', () => {
      const l = open();
      l.recordRun(run('A', 'same', AT));
      l.recordRun(run('B', 'same', LATER));
      l.recordRun(run('C', 'other', AT));
      expect(l.batchesWithDigest('same', 'B').map((b) => b.batchId)).to.deep.equal(['A']);
      expect(l.batchesWithDigest('same', 'X').map((b) => b.batchId)).to.deep.equal(['A', 'B']);
      expect(l.batchesWithDigest('none', 'X')).to.deep.equal([]);
    });
  });

  describe('queries', () => {
    it('byPaymentId: the entries of every batch for that paymentId, newest first', async () => {
      const l = open();
      await l.recordIntent(intent('A', 'k1', { paymentId: 'PAY-1' }));
      await l.recordIntent(intent('B', 'k1', { paymentId: 'PAY-1', at: LATER }));
      await l.recordIntent(intent('B', 'k2', { paymentId: 'PAY-2' }));
      await l.recordIntent(intent('C', 'k3'));
      expect(keys(l.byPaymentId('PAY-1'))).to.deep.equal(['B/k1', 'A/k1']);
      expect(keys(l.byPaymentId('PAY-3'))).to.deep.equal([]);
    });

    it('paidToDestination: created, open and unresolved entries of other batches since a time, same amount', async () => {
      const l = open();
      const q = { destination: DEST, amountCents: 1050, since: '2025-03-01', excludeBatchId: 'OWN' };
      await Promise.all([
        l.recordIntent(intent('B1', 'created')),
        l.recordIntent(intent('B2', 'open', { at: '2025-03-02T00:00:00.000Z' })),
        l.recordIntent(intent('B3', 'unresolved')),
        l.recordIntent(intent('B4', 'failed')),
        l.recordIntent(intent('B5', 'old', { at: '2025-02-28T23:59:59.999Z' })),
        l.recordIntent(intent('B6', 'edge', { at: '2025-03-01T00:00:00.000Z' })),
        l.recordIntent(intent('B7', 'amount', { amountCents: 1051 })),
        l.recordIntent(intent('B8', 'dest', { destination: OTHER_DEST })),
        l.recordIntent(intent('OWN', 'own')),
      ]);
      await Promise.all([
        l.recordOutcome(created('B1', 'created')),
        l.recordOutcome({ batchId: 'B3', key: 'unresolved', status: 'unresolved', at: LATER }),
        l.recordOutcome({ batchId: 'B4', key: 'failed', status: 'failed', at: LATER }),
      ]);
      expect(keys(l.paidToDestination(q)).sort()).to.deep.equal(['B1/created', 'B2/open', 'B3/unresolved', 'B6/edge']);
      expect(
        keys(l.paidToDestination({ ...q, destination: `HTTPS://X/funding-sources/${DEST.toUpperCase()}` })),
      ).to.have.length(4);
      expect(keys(l.paidToDestination({ ...q, since: '2025-03-04T15:00:00.001Z' }))).to.deep.equal([]);
      expect(keys(l.paidToDestination({ ...q, excludeBatchId: 'B1' }))).to.not.include('B1/created');
      expect(keys(l.paidToDestination({ ...q, excludeBatchId: 'B1' }))).to.include('OWN/own');
      expect(l.paidToDestination({ ...q, limit: 2 })).to.have.length(2);
      // The per-row check asks only for the newest: the same entry paidToDestination lists first.
      expect(l.latestPaidToDestination(q)?.key).to.equal(l.paidToDestination(q)[0]?.key);
      expect(l.latestPaidToDestination({ ...q, since: '2025-03-04T15:00:00.001Z' })).to.equal(undefined);
    });

    it('destinationsPaidInBatch: this batch only, to that destination, not failed', async () => {
      const l = open();
      await Promise.all([
        l.recordIntent(intent('A', 'k1', { amountCents: 1 })),
        l.recordIntent(intent('A', 'k2', { amountCents: 2 })),
        l.recordIntent(intent('A', 'k3', { destination: OTHER_DEST })),
        l.recordIntent(intent('A', 'k4')),
        l.recordIntent(intent('B', 'k5')),
      ]);
      await l.recordOutcome(created('A', 'k1'));
      await l.recordOutcome({ batchId: 'A', key: 'k4', status: 'failed', at: LATER });
      expect(keys(l.destinationsPaidInBatch('A', DEST)).sort()).to.deep.equal(['A/k1', 'A/k2']);
      expect(keys(l.destinationsPaidInBatch('A', DEST.toUpperCase()))).to.have.length(2);
      expect(keys(l.destinationsPaidInBatch('B', OTHER_DEST))).to.deep.equal([]);
    });

    it('paymentsOfBatch streams a batch larger than a page, in key order, each entry once', async () => {
      const l = open();
      await seed(l, 'A', 1234);
      await seed(l, 'B', 3);
      const got = keys(l.paymentsOfBatch('A'));
      expect(got).to.have.length(1234);
      expect(new Set(got).size).to.equal(1234);
      expect(got).to.deep.equal([...got].sort());
      expect(l.countOfBatch('A')).to.equal(1234);
      expect(l.countOfBatch('B')).to.equal(3);
      expect(l.countOfBatch('none')).to.equal(0);
    });

    it('lets the same Ledger write while one of its iterators is being consumed', async () => {
      const l = open();
      await seed(l, 'A', 1200);
      let n = 0;
      for (const p of l.paymentsOfBatch('A')) {
        if (n++ % 100 === 0) {
          await l.recordOutcome(created('A', p.key));
        }
      }
      expect(n).to.equal(1200);
      expect([...l.paymentsOfBatch('A')].filter((p) => p.status === 'created')).to.have.length(12);
    });

    it('history: newest first, by paymentId, destination, batch and since, with a limit', async () => {
      const l = open();
      await Promise.all([
        l.recordIntent(intent('A', 'k1', { paymentId: 'PAY-1', at: '2025-03-01T10:00:00.000Z' })),
        l.recordIntent(intent('A', 'k2', { destination: OTHER_DEST, at: '2025-03-02T10:00:00.000Z' })),
        l.recordIntent(intent('B', 'k1', { paymentId: 'PAY-1', at: '2025-03-03T10:00:00.000Z' })),
        l.recordIntent(intent('B', 'k3', { at: '2025-03-04T10:00:00.000Z' })),
      ]);
      expect(keys(l.history())).to.deep.equal(['B/k3', 'B/k1', 'A/k2', 'A/k1']);
      expect(keys(l.history({ paymentId: 'PAY-1' }))).to.deep.equal(['B/k1', 'A/k1']);
      expect(keys(l.history({ destination: OTHER_DEST.toUpperCase() }))).to.deep.equal(['A/k2']);
      expect(keys(l.history({ batchId: 'A' }))).to.deep.equal(['A/k2', 'A/k1']);
      expect(keys(l.history({ since: '2025-03-02' }))).to.deep.equal(['B/k3', 'B/k1', 'A/k2']);
      expect(keys(l.history({ since: '2025-03-02T10:00:00.001Z', destination: DEST }))).to.deep.equal(['B/k3', 'B/k1']);
      expect(keys(l.history({ batchId: 'B', paymentId: 'PAY-1' }))).to.deep.equal(['B/k1']);
      expect(keys(l.history({ limit: 3 }))).to.deep.equal(['B/k3', 'B/k1', 'A/k2']);
      expect(keys(l.history({ batchId: 'none' }))).to.deep.equal([]);
      expect(thrown(() => [...l.history({ since: 'last week' })]).code).to.equal('LEDGER_INVALID_ARGUMENT');
    });

    it('history pages through many entries with the same time, each once', async () => {
      const l = open();
      await seed(l, 'A', 1100);
      await seed(l, 'B', 100, { at: LATER });
      const all = keys(l.history());
      expect(all).to.have.length(1200);
      expect(new Set(all).size).to.equal(1200);
      expect(all.slice(0, 100).every((k) => k.startsWith('B/'))).to.equal(true);
      expect(keys(l.history({ batchId: 'A' }))).to.have.length(1100);
      expect(keys(l.history({ limit: 501 }))).to.have.length(501);
    });

    it('uses an index, not a scan of payments, for every query', () => {
      const l = open();
      const plans: [string, string[]][] = [
        ['byPaymentId', l.queryPlan('byPaymentId')],
        ['paidToDestination', l.queryPlan('paidToDestination')],
        ['latestPaidToDestination', l.queryPlan('latestPaidToDestination')],
        ['destinationsPaidInBatch', l.queryPlan('destinationsPaidInBatch')],
        ['paymentsOfBatch', l.queryPlan('paymentsOfBatch')],
        ['keysOfBatch', l.queryPlan('keysOfBatch')],
        ['countOfBatch', l.queryPlan('countOfBatch')],
        ['batchesWithDigest', l.queryPlan('batchesWithDigest')],
        ['history', l.queryPlan('history')],
        ['history since', l.queryPlan('history', { since: AT })],
        ['history paymentId', l.queryPlan('history', { paymentId: 'P' })],
        ['history destination', l.queryPlan('history', { destination: DEST })],
        ['history batch', l.queryPlan('history', { batchId: 'A' })],
      ];
      for (const [name, plan] of plans) {
        const search = plan.filter((d) => /^(SEARCH|SCAN) (payments|batches)\b/.test(d));
        expect(search, `${name}: ${plan.join('; ')}`).to.have.length(1);
        expect(search[0], name).to.match(/^SEARCH \w+ USING (COVERING )?INDEX /);
      }
      expect(l.queryPlan('byPaymentId')[0]).to.contain('payments_payment_id (payment_id=?)');
      expect(l.queryPlan('paidToDestination')[0]).to.contain(
        'payments_repeat (destination=? AND amount_cents=? AND first_intent_at>?)',
      );
      expect(l.queryPlan('paidToDestination').join()).to.not.contain('TEMP B-TREE');
      // the rerun's check reads every key of a batch: from the index alone, never a table row
      expect(l.queryPlan('keysOfBatch').join()).to.match(/USING COVERING INDEX/);
      expect(l.queryPlan('history', { batchId: 'A' }).join()).to.not.contain('TEMP B-TREE');
    });
  });

  describe('concurrency and durability', () => {
    it('two connections on one file write different batches at once', async () => {
      const a = open();
      const b = open();
      await Promise.all([
        ...Array.from({ length: 300 }, (_, i) => a.recordIntent(intent('A', `k${i}`))),
        ...Array.from({ length: 300 }, (_, i) => b.recordIntent(intent('B', `k${i}`))),
      ]);
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          await a.recordOutcome(created('A', `k${i}`));
          await b.recordOutcome(created('B', `k${i}`));
        }),
      );
      const c = open();
      expect(c.countOfBatch('A')).to.equal(300);
      expect(c.countOfBatch('B')).to.equal(300);
      expect([...c.history({ since: LATER })].length).to.equal(0);
      expect([...c.paymentsOfBatch('B')].filter((p) => p.status === 'created')).to.have.length(50);
    });

    it('another process writes the same file at the same time: both sets of entries are there', async () => {
      open().close(); // schema in place, so that both sides start writing at once
      const child = spawnFixture('ledger-writer.ts', [path, 'CHILD', '400']);
      expect(await nextLine(child)).to.equal('ready');
      const l = open();
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < 400) {
            const key = `k${next++}`;
            await l.recordIntent(intent('PARENT', key));
            await l.recordOutcome(created('PARENT', key));
          }
        }),
      );
      expect(await nextLine(child)).to.equal('ok');
      const exit = await child.exited;
      expect(exit.code, child.stderr()).to.equal(0);
      expect(l.countOfBatch('PARENT')).to.equal(400);
      expect(l.countOfBatch('CHILD')).to.equal(400);
      expect([...l.paymentsOfBatch('CHILD')].every((p) => p.status === 'created')).to.equal(true);
    });

    it('several processes creating the same new ledger at once all succeed', async () => {
      const children = ['P1', 'P2', 'P3'].map((b) => spawnFixture('ledger-writer.ts', [path, b, '20']));
      for (const child of children) {
        const exit = await child.exited;
        expect(exit.code, child.stderr()).to.equal(0);
      }
      const l = open();
      expect(['P1', 'P2', 'P3'].map((b) => l.countOfBatch(b))).to.deep.equal([20, 20, 20]);
    });

    it('an intent that resolved survives a SIGKILL of its process', async () => {
      const child = spawnFixture('ledger-writer.ts', [path, 'KILLED', '1', 'hold']);
      expect(await nextLine(child)).to.equal('ready');
      expect(await nextLine(child)).to.equal('ok');
      await kill9(child);
      const l = open();
      expect(only([...l.paymentsOfBatch('KILLED')])).to.include({ key: 'KILLED-000000', status: 'created' });
    });

    it('every intent reported durable by a writer killed mid-stream is in the ledger', async () => {
      const child = spawnFixture('ledger-writer.ts', [path, 'STREAM', '0']);
      expect(await nextLine(child)).to.equal('ready');
      const durable: string[] = [];
      while (durable.length < 200) {
        durable.push((await nextLine(child)).replace(/^durable /, ''));
      }
      await kill9(child);
      const l = open();
      const present = new Set([...l.paymentsOfBatch('STREAM')].map((p) => p.key));
      expect(durable.filter((k) => !present.has(k))).to.deep.equal([]);
      expect(l.byPaymentId(durable[0]!)).to.have.length(1);
    });
  });
});
