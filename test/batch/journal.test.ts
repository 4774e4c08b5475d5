import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  type IntentRecord,
  Journal,
  JournalCorruptError,
  JournalDecoder,
  JournalError,
  type JournalRecord,
  type OutcomeRecord,
  type ReconcileRecord,
  type RunRecord,
  readJournal,
} from '../../src/batch/journal.js';
import { kill9, killAll, nextLine, spawnFixture } from '../fixtures/child.js';
import { type Call, canTrace, markerAt, traceFixture } from '../fixtures/strace.js';

const AT = '2025-03-04T15:00:00.000Z';
const DEST = 'https://api-sandbox.dwolla.com/funding-sources/5cfcdc41-10f6-4a45-b11d-7ac89893d985';
const SRC = 'https://api-sandbox.dwolla.com/funding-sources/b268f6b9-db3b-4ecc-83a2-8823a53ec8b7';

function run(digest: string): RunRecord {
  return {
    type: 'run',
    at: AT,
    runId: `run-${digest}`,
    pid: 4242,
    host: 'box',
    inputDigest: digest,
    inputFile: 'payees.csv',
    resume: false,
  };
}

function intent(key: string, row = 2): IntentRecord {
  return { type: 'intent', at: AT, key, row, correlationId: key, destination: DEST, amountCents: 1050, source: SRC };
}

function outcome(key: string, status: OutcomeRecord['status'], extra: Partial<OutcomeRecord> = {}): OutcomeRecord {
  return { type: 'outcome', at: AT, key, row: 2, status, attempts: 1, ...extra };
}

async function expectRejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n'), 'file ends with a newline').to.equal(true);
  return text.slice(0, -1).split('\n');
}

/** The file's records, decoded in order. */
async function records(path: string): Promise<JournalRecord[]> {
  const decoder = new JournalDecoder();
  return (await lines(path)).map((l) => decoder.decode(l));
}

describe('journal', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payouts-journal-'));
    path = join(dir, 'batch', 'journal.jsonl');
  });

  afterEach(async () => {
    await killAll();
    await rm(dir, { recursive: true, force: true });
  });

  async function write(...recs: JournalRecord[]): Promise<void> {
    const j = await Journal.open(path);
    for (const r of recs) {
      await j.append(r);
    }
    await j.close();
  }

  it('round-trips every record type', async () => {
    const created = outcome('k1', 'created', {
      transferUrl: 'https://api-sandbox.dwolla.com/transfers/15c6bcce-46f7-e811-8112-e8dd3bececa8',
      transferId: '15c6bcce-46f7-e811-8112-e8dd3bececa8',
      httpStatus: 201,
      clearing: 'same-day',
      sameDayCutoff: '2025-03-04T13:00:00-06:00',
      fundsAvailableBy: '2025-03-04T17:00:00-06:00',
      via: 'post',
    });
    const failed = outcome('k2', 'failed', {
      httpStatus: 400,
      errorCode: 'ValidationError',
      errorMessage: 'Invalid amount.',
      attempts: 2,
    });
    const rec: ReconcileRecord = {
      type: 'reconcile',
      at: AT,
      key: 'k1',
      transferStatus: 'failed',
      returnCode: 'R01',
      returnReason: 'Insufficient Funds',
    };
    await write(run('d1'), intent('k1'), created, intent('k2', 3), failed, rec);

    const state = await readJournal(path);
    expect(state.runs).to.deep.equal([run('d1')]);
    expect(state.lastDigest).to.equal('d1');
    expect(state.tornTail).to.equal(false);
    expect([...state.byKey.keys()]).to.deep.equal(['k1', 'k2']);
    expect(state.keyVersion, 'a run record without keyVersion is a v1 batch').to.equal('v1');
    expect(state.byKey.get('k1')).to.deep.equal({
      intent: intent('k1'),
      firstIntentAt: intent('k1').at,
      outcome: created,
      reconcile: rec,
      openIntent: false,
    });
    expect(state.byKey.get('k2')).to.deep.equal({
      intent: intent('k2', 3),
      firstIntentAt: intent('k2', 3).at,
      outcome: failed,
      openIntent: false,
    });
    expect(await records(path)).to.deep.equal([run('d1'), intent('k1'), created, intent('k2', 3), failed, rec]);
  });

  it('reads a missing file as an empty journal, without creating it', async () => {
    const state = await readJournal(path);
    expect(state.runs).to.deep.equal([]);
    expect(state.lastDigest).to.equal(undefined);
    expect(state.byKey.size).to.equal(0);
    expect(state.tornTail).to.equal(false);
    const err = await expectRejection(readFile(path));
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });

  it("takes the batch's digest from the last run record", async () => {
    await write(run('first'), intent('k1'), run('second'));
    const state = await readJournal(path);
    expect(state.runs.map((r) => r.inputDigest)).to.deep.equal(['first', 'second']);
    expect(state.lastDigest).to.equal('second');
  });

  it('appends to an existing journal across opens', async () => {
    await write(run('d1'), intent('k1'));
    await write(run('d1'), outcome('k1', 'created'));
    expect(await lines(path)).to.have.length(4);
    expect((await readJournal(path)).byKey.get('k1')?.outcome?.status).to.equal('created');
  });

  it('has a record on disk as soon as append resolves', async () => {
    const j = await Journal.open(path);
    await j.append(intent('k1'));
    expect(await records(path)).to.deep.equal([intent('k1')]);
    await j.append(intent('k2'));
    expect(await lines(path)).to.have.length(2);
    await j.close();
  });

  describe('durability', () => {
    const isJournal = (c: Call) => c.path.endsWith('journal.jsonl');
    const isWrite = (c: Call) => ['write', 'writev', 'pwrite64'].includes(c.name) && isJournal(c);
    const isSync = (c: Call) => (c.name === 'fdatasync' || c.name === 'fsync') && isJournal(c);

    it('strace: an append resolves only once its write is durable (the file opened O_DSYNC, or an fdatasync after the write)', async function () {
      if (!canTrace()) {
        this.skip(); // no strace here, or ptrace not allowed
      }
      const calls = await traceFixture('durable-writes.ts', ['journal', path]);
      const dsync = calls.some((c) => c.name === 'openat' && isJournal(c) && c.text.includes('O_DSYNC'));
      let from = markerAt(calls, 'opened');
      for (const marker of ['intent-resolved', 'outcome-resolved']) {
        const resolved = markerAt(calls, marker);
        const writes = calls.filter((c) => isWrite(c) && c.at > from && c.at < resolved);
        expect(writes, `the record of ${marker}`).to.not.be.empty;
        const last = writes[writes.length - 1]!.at;
        const synced = dsync || calls.some((c) => isSync(c) && c.at > last && c.at < resolved);
        expect(synced, `${marker}: durable before it resolved`).to.equal(true);
        from = resolved;
      }
    });
  });

  describe('group commit', () => {
    it('writes 200 concurrent appends whole, with fewer fsyncs than records', async () => {
      const j = await Journal.open(path);
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      await Promise.all(keys.map((k, i) => j.append(intent(k, i + 2))));
      expect(j.stats.records).to.equal(200);
      expect(j.stats.syncs).to.be.within(1, 199);
      await j.close();

      const recs = (await records(path)) as IntentRecord[];
      expect(recs).to.have.length(200);
      expect(recs.map((r) => r.key).sort()).to.deep.equal([...keys].sort());
      for (const r of recs) {
        expect(r).to.deep.equal(intent(r.key, r.row));
      }
    });

    it('keeps records whole when appends keep arriving while a group is being written', async () => {
      const j = await Journal.open(path);
      // 64 workers, each appending its next record as soon as the previous one is durable
      await Promise.all(
        Array.from({ length: 64 }, async (_, w) => {
          for (let i = 0; i < 10; i++) {
            await j.append(intent(`w${w}-${i}`));
          }
        }),
      );
      expect(j.stats.records).to.equal(640);
      expect(j.stats.writes).to.be.greaterThan(1);
      expect(j.stats.syncs).to.equal(j.stats.writes);
      expect(j.stats.syncs).to.be.lessThan(640);
      await j.close();

      const state = await readJournal(path);
      expect(state.byKey.size).to.equal(640);
      // each worker's records are in its own order
      const order = (await records(path)).map((r) => (r as IntentRecord).key).filter((k) => k.startsWith('w7-'));
      expect(order).to.deep.equal(Array.from({ length: 10 }, (_, i) => `w7-${i}`));
    });

    it('an outcome appended with linger waits for company: written with the next urgent record, on flush or on close', async () => {
      // A linger longer than any test: nothing but the journal's own triggers can write it.
      const j = await Journal.open(path, { lingerMs: 600_000 });
      await j.append(run('d1'));
      let written = false;
      const first = j.append(outcome('k1', 'created'), { linger: true }).then(() => {
        written = true;
      });
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(written, 'not written alone').to.equal(false);
      expect(await lines(path)).to.have.length(1);
      const writes = j.stats.writes;
      await j.append(intent('k2'));
      await first;
      expect(j.stats.writes - writes, 'one write for both').to.equal(1);

      const second = j.append(outcome('k2', 'created'), { linger: true });
      await j.flush();
      await second;
      expect(await lines(path)).to.have.length(4);

      const third = j.append(outcome('k3', 'failed'), { linger: true });
      await j.close();
      await third;
      expect(await lines(path)).to.have.length(5);
    });

    it('skips fsync with fsync: false', async () => {
      const j = await Journal.open(path, { fsync: false });
      await Promise.all([j.append(intent('k1')), j.append(intent('k2'))]);
      expect(j.stats).to.deep.equal({ records: 2, writes: 1, syncs: 0 });
      await j.close();
      expect((await readJournal(path)).byKey.size).to.equal(2);
    });

    it('close waits for queued appends; later appends reject with JOURNAL_CLOSED', async () => {
      const j = await Journal.open(path);
      const pending = Array.from({ length: 20 }, (_, i) => j.append(intent(`k${i}`)));
      await j.close();
      await Promise.all(pending);
      expect(await lines(path)).to.have.length(20);
      const err = await expectRejection(j.append(intent('late')));
      expect(err).to.be.instanceOf(JournalError);
      expect((err as JournalError).code).to.equal('JOURNAL_CLOSED');
      expect(await lines(path)).to.have.length(20);
    });
  });

  describe('torn tail and corruption', () => {
    it('ignores a torn last line, and the next open starts on a fresh line', async () => {
      await write(run('d1'), intent('k1'));
      const fragment = JSON.stringify(outcome('k1', 'created')).slice(0, 25);
      await appendFile(path, fragment);

      const torn = await readJournal(path);
      expect(torn.tornTail).to.equal(true);
      expect(torn.runs).to.have.length(1);
      expect(torn.byKey.get('k1')).to.deep.equal({
        intent: intent('k1'),
        firstIntentAt: intent('k1').at,
        openIntent: true,
      });

      await write(intent('k2'));
      const state = await readJournal(path);
      expect(state.tornTail).to.equal(false);
      expect([...state.byKey.keys()]).to.deep.equal(['k1', 'k2']);
      const text = await readFile(path, 'utf8');
      expect(text).not.to.include(fragment);
      expect(await lines(path)).to.have.length(3);
    });

    it('ignores a newline-terminated garbage last line (power loss) and truncates it on open', async () => {
      await write(intent('k1'));
      await appendFile(path, '\0\0\0\0\0\0\n');
      const torn = await readJournal(path);
      expect(torn.tornTail).to.equal(true);
      expect(torn.byKey.size).to.equal(1);

      await write(intent('k2'));
      expect((await records(path)).map((r) => (r as IntentRecord).key)).to.deep.equal(['k1', 'k2']);
    });

    it('treats a file holding only a torn record as empty', async () => {
      await write(); // creates the empty file
      await appendFile(path, '{"type":"run","at":');
      const state = await readJournal(path);
      expect(state.tornTail).to.equal(true);
      expect(state.runs).to.deep.equal([]);
    });

    it('throws JournalCorruptError with the line number for a bad line in the middle', async () => {
      await write(run('d1'), intent('k1'));
      await appendFile(path, `{"type":"intent","at":"x","key":\n${JSON.stringify(intent('k2'))}\n`);

      const err = await expectRejection(readJournal(path));
      expect(err).to.be.instanceOf(JournalCorruptError);
      expect((err as JournalCorruptError).code).to.equal('JOURNAL_CORRUPT');
      expect((err as JournalCorruptError).line).to.equal(3);
      expect(err.message).to.include('line 3');
    });

    it('treats an unknown record type in the middle as corruption', async () => {
      await write(intent('k1'));
      await appendFile(path, `{"type":"payment","at":"x","key":"k9"}\n${JSON.stringify(intent('k2'))}\n`);
      const err = await expectRejection(readJournal(path));
      expect((err as JournalCorruptError).line).to.equal(2);
      expect(err.message).to.include('unknown record type');
    });
  });

  describe('key state', () => {
    it('never downgrades a created key', async () => {
      const created = outcome('k1', 'created', {
        transferUrl: 'https://x/transfers/1',
        transferId: '1',
        via: 'lookup',
      });
      await write(intent('k1'), created, outcome('k1', 'unresolved', { attempts: 6 }), outcome('k1', 'failed'));
      const ks = (await readJournal(path)).byKey.get('k1');
      expect(ks?.outcome).to.deep.equal(created);
      expect(ks?.openIntent).to.equal(false);
    });

    it('marks an intent without a later outcome as open', async () => {
      await write(
        intent('a'),
        intent('b'),
        outcome('b', 'failed'),
        intent('b'),
        intent('c'),
        outcome('c', 'unresolved'),
      );
      const { byKey } = await readJournal(path);
      expect(byKey.get('a')?.openIntent).to.equal(true);
      expect(byKey.get('b')?.openIntent).to.equal(true);
      expect(byKey.get('b')?.outcome?.status).to.equal('failed');
      expect(byKey.get('c')?.openIntent).to.equal(false);
    });
  });

  it('refuses records with credential-like fields and writes nothing', async () => {
    const j = await Journal.open(path);
    const leaky = { ...outcome('k1', 'failed'), request: { headers: { Authorization: 'Bearer abc' } } };
    const err = await expectRejection(j.append(leaky as JournalRecord));
    expect((err as JournalError).code).to.equal('JOURNAL_SECRET_FIELD');
    expect(err.message).not.to.include('abc');
    const err2 = await expectRejection(j.append({ ...intent('k2'), access_token: 'abc' } as JournalRecord));
    expect((err2 as JournalError).code).to.equal('JOURNAL_SECRET_FIELD');
    await j.append(intent('k3'));
    await j.close();
    const text = await readFile(path, 'utf8');
    expect(text).not.to.include('abc');
    expect(await lines(path)).to.have.length(1);
  });

  it('survives SIGKILL: readable, with every append the child saw resolve', async () => {
    const child = spawnFixture('journal-appender.ts', [path]);
    const durable: string[] = [];
    while (durable.length < 500) {
      const line = await nextLine(child);
      expect(line).to.match(/^durable /);
      durable.push(line.slice('durable '.length));
    }
    await kill9(child);
    // anything the child printed before dying was durable too
    for (;;) {
      const r = await child.lines.next();
      if (r.done) {
        break;
      }
      durable.push(r.value.slice('durable '.length));
    }

    const state = await readJournal(path);
    for (const key of durable) {
      expect(state.byKey.has(key), key).to.equal(true);
    }

    await write(intent('after-crash'));
    const after = await readJournal(path);
    expect(after.tornTail).to.equal(false);
    expect(after.byKey.has('after-crash')).to.equal(true);
    expect(after.byKey.size).to.equal(state.byKey.size + 1);
  });
});
