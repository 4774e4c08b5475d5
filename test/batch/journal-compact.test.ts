/**
 * The compact journal (src/batch/journal-format.ts) and the compact key index
 * (src/batch/key-states.ts): every record kind round-trips, old journals and mixed ones read the
 * same, a created row costs under 260 bytes, keys that share a bucket stay apart, damage is
 * found, and a run's own records can be read from where it started.
 */
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import {
  type IntentRecord,
  Journal,
  JournalCorruptError,
  JournalDecoder,
  type JournalRecord,
  type KeyState,
  type OutcomeRecord,
  type ReconcileRecord,
  type RunRecord,
  readJournal,
} from '../../src/batch/journal.js';
import { KeyIndex } from '../../src/batch/key-states.js';

const API = 'https://api-sandbox.dwolla.com';
const T0 = Date.parse('2026-12-02T14:00:00.000Z');
const DEST = 'd23f0824-128b-4f33-8c5c-7fd0a6a3a450';
const SRC = 'b4d1c0de-0000-4000-8000-00000000ba1a';
const SRC2 = 'b268f6b9-db3b-4ecc-83a2-8823a53ec8b7';
const CUTOFF = '2026-12-02T09:00:00-06:00';
const FUNDS = '2026-12-02T11:30:00-06:00';
const STANDARD = { clearing: 'standard', sameDayCutoff: undefined, fundsAvailableBy: undefined } as const;

function iso(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

/** A v2-looking key: a lower-case UUID. */
function uuid(n: number, salt = 0x8d13): string {
  const hex = (n >>> 0).toString(16).padStart(8, '0');
  return `${hex}-96c1-8782-${salt.toString(16).padStart(4, '0')}-c826d8385302`;
}

function runRec(ms: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    type: 'run',
    at: iso(ms),
    runId: `run-${ms}`,
    pid: 4242,
    host: 'box',
    inputDigest: `digest-${ms}`,
    inputFile: 'payees.csv',
    resume: false,
    keyVersion: 'v2',
    ...extra,
  };
}

function intentRec(key: string, ms: number, extra: Partial<IntentRecord> = {}): IntentRecord {
  return {
    type: 'intent',
    at: iso(ms),
    key,
    row: 2,
    correlationId: key,
    destination: DEST,
    amountCents: 125000,
    source: SRC,
    clearing: 'same-day',
    sameDayCutoff: CUTOFF,
    fundsAvailableBy: FUNDS,
    ...extra,
  };
}

function createdRec(key: string, ms: number, extra: Partial<OutcomeRecord> = {}): OutcomeRecord {
  const transferId = `e5f9315b-7567-407c-9272-${(ms % 1e12).toString(16).padStart(12, '0')}`;
  return {
    type: 'outcome',
    at: iso(ms),
    key,
    row: 2,
    status: 'created',
    attempts: 1,
    transferUrl: `${API}/transfers/${transferId}`,
    transferId,
    httpStatus: 201,
    clearing: 'same-day',
    sameDayCutoff: CUTOFF,
    fundsAvailableBy: FUNDS,
    via: 'post',
    ...extra,
  };
}

/** What `readJournal` must make of `records`: the rules of KeyState, on plain objects. */
function expectedStates(records: readonly JournalRecord[]): Map<string, KeyState> {
  const byKey = new Map<string, KeyState>();
  for (const rec of records.map(plain)) {
    if (rec.type === 'run') {
      continue;
    }
    let ks = byKey.get(rec.key);
    if (!ks) {
      ks = { openIntent: false };
      byKey.set(rec.key, ks);
    }
    const created = ks.outcome?.status === 'created';
    if (rec.type === 'intent') {
      ks.intent = rec;
      ks.firstIntentAt ??= rec.at;
      ks.openIntent = !created;
    } else if (rec.type === 'outcome') {
      if (!created) {
        ks.outcome = rec;
      }
      ks.openIntent = false;
    } else {
      ks.reconcile = rec;
    }
  }
  return byKey;
}

/** A record as JSON keeps it (no undefined fields). */
function plain<T>(rec: T): T {
  return JSON.parse(JSON.stringify(rec)) as T;
}

describe('compact journal', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payouts-journal-compact-'));
    path = join(dir, 'journal.jsonl');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Appends each group through a journal of its own (a run each), in the given format. */
  async function write(
    groups: ReadonlyArray<readonly JournalRecord[]>,
    format: 'compact' | 'legacy' = 'compact',
  ): Promise<void> {
    for (const recs of groups) {
      const j = await Journal.open(path, { fsync: false, format });
      for (const r of recs) {
        await j.append(r);
      }
      await j.close();
    }
  }

  async function lines(): Promise<string[]> {
    return (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  }

  async function decoded(): Promise<JournalRecord[]> {
    const decoder = new JournalDecoder();
    return (await lines()).map((l) => decoder.decode(l));
  }

  /** The file reads back as `records`, line by line and as key states. */
  async function expectReadsAs(records: readonly JournalRecord[]): Promise<void> {
    expect(await decoded()).to.deep.equal(records.map(plain));
    const state = await readJournal(path);
    const want = expectedStates(records);
    expect([...state.byKey.keys()]).to.deep.equal([...want.keys()]);
    expect(state.byKey.size).to.equal(want.size);
    for (const [key, ks] of want) {
      expect(state.byKey.has(key), key).to.equal(true);
      expect(state.byKey.get(key), key).to.deep.equal(ks);
    }
    expect([...state.byKey.entries()]).to.deep.equal([...want.entries()]);
    expect(state.byKey.anyReconciled).to.equal([...want.values()].some((ks) => ks.reconcile));
    expect(state.runs).to.deep.equal(records.filter((r) => r.type === 'run').map(plain));
  }

  it('round-trips every record kind, writing what cannot be derived and nothing twice', async () => {
    const a = uuid(1);
    const b = uuid(2);
    const c = uuid(3);
    const lookupId = 'f0000000-7567-407c-9272-000000000001';
    const recs: JournalRecord[] = [
      runRec(0, { apiBase: API }),
      intentRec(a, 96),
      intentRec(b, 97, { row: 3, correlationId: 'payroll-3', source: SRC2, ...STANDARD }),
      intentRec(c, 98, { row: 4, clearing: undefined, sameDayCutoff: undefined, fundsAvailableBy: undefined }),
      createdRec(a, 113),
      // another row than its intent's, its own clearing, no URL where one could be derived
      {
        type: 'outcome',
        at: iso(150),
        key: b,
        row: 9,
        status: 'failed',
        attempts: 2,
        httpStatus: 400,
        errorCode: 'ValidationError',
        errorMessage: 'Invalid amount.',
        clearing: 'same-day',
        sameDayCutoff: CUTOFF,
        fundsAvailableBy: FUNDS,
      },
      { type: 'outcome', at: iso(151), key: c, row: 4, status: 'unresolved', attempts: 6, errorCode: 'Timeout' },
      intentRec(b, 200, { row: 3, correlationId: 'payroll-3', source: SRC2, ...STANDARD }),
      // found by lookup: a URL other than the derived one, no httpStatus
      createdRec(b, 210, {
        row: 3,
        attempts: 0,
        httpStatus: undefined,
        transferId: lookupId,
        transferUrl: `https://api.dwolla.com/transfers/${lookupId}`,
        clearing: 'standard',
        sameDayCutoff: undefined,
        fundsAvailableBy: undefined,
        via: 'lookup',
      }),
      intentRec(c, 300, { row: 4 }),
      // a created outcome without a URL, and without the intent's clearing
      createdRec(c, 301, {
        row: 4,
        transferUrl: undefined,
        clearing: undefined,
        sameDayCutoff: undefined,
        fundsAvailableBy: undefined,
      }),
      {
        type: 'reconcile',
        at: iso(5000),
        key: a,
        transferStatus: 'failed',
        returnCode: 'R01',
        returnReason: 'Insufficient Funds',
        legs: [{ id: 'e5f9315b-7567-407c-9272-000000000071', status: 'failed', returnCode: 'R01' }],
        fees: [{ id: 'fee-1', status: 'processed', amount: '1.00' }],
      },
      { type: 'reconcile', at: iso(5001), key: b, transferStatus: 'not-found' },
    ];
    await write([recs]);
    const text = await readFile(path, 'utf8');
    expect(text.split(API).length - 1, 'the API base once (the run record); the lookup URL is another API').to.equal(1);
    expect(text).not.to.include('"type":"intent"');
    expect(text).not.to.include(CUTOFF);
    await expectReadsAs(recs);
  });

  it('keeps what it cannot make compact: odd times and clearing, extra fields, fields named like short ones', async () => {
    const a = uuid(1);
    const recs: JournalRecord[] = [
      runRec(0, { at: '2026-12-02T14:00:00Z' }), // not toISOString's text: no time base
      intentRec(a, 1, { at: '2026-12-02T14:00:01Z', sameDayCutoff: '2026-12-02 09:00 CT' }),
      { ...createdRec(a, 2), traceId: 'abc', nested: { n: 1 } } as OutcomeRecord,
      { ...intentRec(uuid(2), 3), d: 'a field named like the destination' } as IntentRecord,
      { ...intentRec(uuid(3), 4), 7: 'an index-like name' } as IntentRecord,
    ];
    await write([recs]);
    const raw = await lines();
    expect(raw[1]).to.include('"at":"2026-12-02T14:00:01Z"');
    expect(raw[3], 'written as the record is').to.match(/^\{"type":"intent"/);
    expect(raw[4], 'written as the record is').to.match(/^\{"7":/);
    await expectReadsAs(recs);
  });

  it('costs under 260 bytes for a created row (intent and outcome), with or without paymentId', async () => {
    const rows = 1000;
    const recs: JournalRecord[] = [runRec(0, { apiBase: API })];
    for (let i = 0; i < rows; i++) {
      // keys as src/plan/keys.ts makes them; the correlationId is the key unless the row gives one
      const key = uuid(0x9a000000 + i * 7919, 0x8000 + (i % 0x3fff));
      const ms = 3_600_000 + i * 50;
      recs.push(intentRec(key, ms, { row: 100_000 + i, amountCents: 100_000 + i }));
      recs.push(createdRec(key, ms + 40, { row: 100_000 + i }));
    }
    await write([recs]);
    const raw = await lines();
    const perRow = (raw.slice(1).join('\n').length + 1) / rows;
    expect(perRow).to.be.below(260);
    const [intentLine, outcomeLine] = [raw[3]!, raw[4]!];
    expect(intentLine.length + outcomeLine.length + 2, `${intentLine}\n${outcomeLine}`).to.be.below(260);
    for (const line of [intentLine, outcomeLine]) {
      expect(line, 'greppable by its key').to.include((recs[3] as IntentRecord).key);
    }
    await expectReadsAs(recs);
  });

  it('reads old journals and mixed ones the same as it writes them', async () => {
    // An old journal, as the previous version wrote it (captured from `payouts run samples/payees.csv`).
    const old = [
      '{"type":"run","at":"2026-12-02T07:56:56.130Z","runId":"fb3a2917-f532-4046-bde7-d0a096c66b29","pid":26439,"host":"vm","inputDigest":"ed5f1d60cb2d6cecc3314cb18af367fbb7622cc375b3868d9d82e8c6e84bf8f7","inputFile":"samples/payees.csv","resume":false,"keyVersion":"v2"}',
      '{"type":"intent","at":"2026-12-02T07:56:56.226Z","key":"b28340f8-96c1-8782-9d13-c826d8385302","row":2,"correlationId":"b28340f8-96c1-8782-9d13-c826d8385302","destination":"d23f0824-128b-4f33-8c5c-7fd0a6a3a450","amountCents":125000,"source":"b4d1c0de-0000-4000-8000-00000000ba1a","clearing":"same-day","sameDayCutoff":"2026-12-02T09:00:00-06:00","fundsAvailableBy":"2026-12-02T11:30:00-06:00"}',
      '{"type":"outcome","at":"2026-12-02T07:56:56.243Z","key":"b28340f8-96c1-8782-9d13-c826d8385302","row":2,"status":"created","attempts":1,"transferUrl":"http://127.0.0.1:36805/transfers/e5f9315b-7567-407c-9272-c3d4c6d2d231","transferId":"e5f9315b-7567-407c-9272-c3d4c6d2d231","httpStatus":201,"clearing":"same-day","sameDayCutoff":"2026-12-02T09:00:00-06:00","fundsAvailableBy":"2026-12-02T11:30:00-06:00","via":"post"}',
    ];
    await writeFile(path, `${old.join('\n')}\n`);
    const oldRecords = old.map((l) => JSON.parse(l) as JournalRecord);
    await expectReadsAs(oldRecords);

    // A newer version continues it: a rerun finds the key created and resends another.
    const key = 'b28340f8-96c1-8782-9d13-c826d8385302';
    const other = uuid(7);
    const newer: JournalRecord[] = [
      runRec(10_000, { apiBase: 'http://127.0.0.1:36805' }),
      intentRec(other, 10_010, { row: 3 }),
      createdRec(other, 10_020, { row: 3, transferUrl: 'http://127.0.0.1:36805/transfers/x1', transferId: 'x1' }),
      { type: 'reconcile', at: iso(20_000), key, transferStatus: 'processed' },
    ];
    await write([newer]);
    // and an old version writes after it again
    const older: JournalRecord[] = [runRec(30_000), intentRec(uuid(8), 30_001), createdRec(uuid(8), 30_002)];
    await write([older], 'legacy');
    expect((await lines()).slice(-2).every((l) => l.startsWith('{"type":'))).to.equal(true);
    await expectReadsAs([...oldRecords, ...newer, ...older]);
  });

  it('round-trips any sequence of runs, records and writers (old and new format, text and UUID keys)', async () => {
    const keys = [uuid(1), uuid(2), 'k3', uuid(2, 0x8d14)];
    const time = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 10_000_000 }).map(iso) },
      { weight: 1, arbitrary: fc.constantFrom('2026-12-02T14:00:00Z', 'soon') },
    );
    const clearing = fc.constantFrom<Partial<Pick<IntentRecord, 'clearing' | 'sameDayCutoff' | 'fundsAvailableBy'>>>(
      { clearing: 'same-day', sameDayCutoff: CUTOFF, fundsAvailableBy: FUNDS },
      {
        clearing: 'same-day',
        sameDayCutoff: '2026-12-03T13:45:00-06:00',
        fundsAvailableBy: '2026-12-03T17:00:00-06:00',
      },
      { clearing: 'standard' },
      { clearing: undefined, sameDayCutoff: undefined, fundsAvailableBy: undefined },
      { clearing: 'same-day', sameDayCutoff: 'tomorrow' },
    );
    const key = fc.constantFrom(...keys);
    const row = fc.constantFrom(2, 3, 1_000_001);
    const step = fc.oneof(
      fc.record({ writer: fc.constantFrom('compact', 'legacy') as fc.Arbitrary<'compact' | 'legacy'> }),
      fc
        .record({ at: time, apiBase: fc.constantFrom(API, `${API}/`, undefined) })
        .map(({ at, apiBase }): JournalRecord => ({ ...runRec(0, { at }), ...(apiBase ? { apiBase } : {}) })),
      fc.record({ key, at: time, row, clearing, source: fc.constantFrom(SRC, SRC2), own: fc.boolean() }).map(
        (r): JournalRecord =>
          intentRec(r.key, 0, {
            ...r.clearing,
            at: r.at,
            row: r.row,
            source: r.source,
            correlationId: r.own ? 'mine' : r.key,
          }),
      ),
      fc
        .record({
          key,
          at: time,
          row,
          clearing,
          status: fc.constantFrom('created', 'failed', 'unresolved') as fc.Arbitrary<OutcomeRecord['status']>,
          attempts: fc.constantFrom(0, 1, 2),
          http: fc.constantFrom(201, 400, undefined),
          via: fc.constantFrom('post', 'lookup', undefined) as fc.Arbitrary<OutcomeRecord['via']>,
          url: fc.constantFrom('derived', 'other', 'none'),
        })
        .map((r): JournalRecord => {
          const id = r.status === 'created' ? 'e5f9315b-7567-407c-9272-c3d4c6d2d231' : undefined;
          const transferUrl =
            id === undefined || r.url === 'none'
              ? undefined
              : r.url === 'derived'
                ? `${API}/transfers/${id}`
                : 'http://x/t/1';
          return {
            type: 'outcome',
            at: r.at,
            key: r.key,
            row: r.row,
            status: r.status,
            attempts: r.attempts,
            transferUrl,
            transferId: id,
            httpStatus: r.http,
            via: r.via,
            ...r.clearing,
          };
        }),
      fc.record({ key, at: time, status: fc.constantFrom('processed', 'failed', 'not-found') }).map(
        (r): JournalRecord => ({
          type: 'reconcile',
          at: r.at,
          key: r.key,
          transferStatus: r.status as ReconcileRecord['transferStatus'],
          ...(r.status === 'failed' ? { returnCode: 'R01', legs: [{ id: 't1', status: 'failed' }] } : {}),
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        await rm(path, { force: true });
        const written: JournalRecord[] = [];
        let j = await Journal.open(path, { fsync: false });
        for (const s of steps) {
          if ('writer' in s) {
            await j.close();
            j = await Journal.open(path, { fsync: false, format: s.writer });
          } else {
            await j.append(s);
            written.push(s);
          }
        }
        await j.close();
        await expectReadsAs(written);
      }),
      { numRuns: 150 },
    );
  });

  describe('the key index', () => {
    it('keeps keys that share a bucket apart (every key in one bucket)', async () => {
      // Keys that differ in one word (any of the four), in one bit, in case, or not UUIDs at all.
      const keys = [
        uuid(1),
        uuid(2),
        uuid(1, 0x8d14),
        'b28340f8-96c1-8782-9d13-c826d8385302',
        'b28340f8-96c1-8782-9d13-c826d8385303',
        // held by 64 bits folded from the 128: a difference in a middle word counts too
        'b28340f8-96c2-8782-9d13-c826d8385302',
        'b28340f8-96c1-8783-9d13-c826d8385302',
        'B28340F8-96C1-8782-9D13-C826D8385302',
        'k1',
        ...Array.from({ length: 300 }, (_, i) => uuid(0x1000 + i)),
      ];
      const recs: JournalRecord[] = [runRec(0, { apiBase: API })];
      keys.forEach((k, i) => {
        recs.push(intentRec(k, i, { row: i + 2 }));
        if (i % 3 === 0) {
          recs.push(createdRec(k, i + 1, { row: i + 2 }));
        }
      });
      await write([recs]);
      for (const bucketOf of [() => 0, (w0: number) => w0 & 1]) {
        const state = await readJournal(path, { bucketOf });
        expect([...state.byKey.keys()]).to.deep.equal(keys);
        keys.forEach((k, i) => {
          const ks = state.byKey.get(k);
          expect(ks?.intent?.key, k).to.equal(k);
          expect(ks?.intent?.row, k).to.equal(i + 2);
          expect(ks?.outcome?.status, k).to.equal(i % 3 === 0 ? 'created' : undefined);
        });
        // in the same bucket, but not in the journal
        for (const absent of [uuid(3), uuid(1, 0x8d15), 'b28340f8-96c1-8782-9d13-c826d8385304', 'k2']) {
          expect(state.byKey.has(absent), absent).to.equal(false);
          expect(state.byKey.get(absent), absent).to.equal(undefined);
        }
      }
    });

    it('streams: values() and entries() are iterators, and stopping early reads no further', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => uuid(i));
      await write([[runRec(0), ...keys.map((k, i) => intentRec(k, i))]]);
      const state = await readJournal(path);
      // a state is made when asked for: damage past it is found only when reached
      const text = await readFile(path, 'utf8');
      const at = text.indexOf(`"i":"${keys[10]}"`);
      await writeFile(path, `${text.slice(0, at)}"i":"${uuid(999)}"${text.slice(at + keys[10]!.length + 6)}`);
      const values = state.byKey.values();
      expect(Array.isArray(values)).to.equal(false);
      expect(values.next().value?.intent?.key).to.equal(keys[0]);
      let seen = 1;
      for (const ks of values) {
        if (ks.intent?.key === keys[5]) {
          break;
        }
        seen++;
      }
      expect(seen).to.equal(5);
      expect(() => [...state.byKey.values()]).to.throw(JournalCorruptError, /of key/);
    });

    it('finds every key after growing many times, and tells absent ones apart', async () => {
      // 6,000 keys: the table (1,024 buckets at first, at most 3/4 full) grows by half again 6 times
      const keys = Array.from({ length: 6000 }, (_, i) => uuid(i, 0x5a17));
      await write([[runRec(0), ...keys.map((k, i) => intentRec(k, i, { row: i + 2 }))]]);
      const state = await readJournal(path);
      expect(state.byKey.size).to.equal(keys.length);
      keys.forEach((k, i) => {
        if (i % 97 === 0) {
          expect(state.byKey.get(k)?.intent?.row, k).to.equal(i + 2);
        }
        expect(state.byKey.has(k), k).to.equal(true);
      });
      for (let i = 0; i < 6000; i++) {
        expect(state.byKey.has(uuid(i, 0x5a18))).to.equal(false);
      }
      // sized for the keys it will hold: the same answers from a table that never grew (8,001
      // buckets rather than 11,664 after six growths); too small a guess still grows
      for (const expectedKeys of [6000, 10]) {
        const sized = await readJournal(path, { expectedKeys });
        expect(keys.filter((k) => !sized.byKey.has(k))).to.deep.equal([]);
        expect(sized.byKey.get(keys[4321]!)).to.deep.equal(state.byKey.get(keys[4321]!));
        const [a, b] = [state.byKey, sized.byKey];
        if (!(a instanceof KeyIndex && b instanceof KeyIndex)) {
          throw new Error('readJournal gives a KeyIndex');
        }
        expect(b.bytes, String(expectedKeys)).to.equal(expectedKeys === 10 ? a.bytes : a.bytes - (11_664 - 8001) * 5);
      }
    });

    it('read without payments: the same states in 4 bytes a key fewer, and createdRows() refused', async () => {
      const keys = Array.from({ length: 17_000 }, (_, i) => uuid(i, 0x7e57));
      await write([[runRec(0), ...keys.flatMap((k, i) => [intentRec(k, i), createdRec(k, i + 1)])]]);
      const full = await readJournal(path);
      const lean = await readJournal(path, { payments: false });
      const [a, b] = [full.byKey, lean.byKey];
      if (!(a instanceof KeyIndex && b instanceof KeyIndex)) {
        throw new Error('readJournal gives a KeyIndex');
      }
      expect(a!.bytes - b!.bytes).to.be.at.least(4 * 16_384 * 2);
      for (const k of [keys[0]!, keys[12_345]!, keys[16_999]!]) {
        expect(lean.byKey.get(k)).to.deep.equal(full.byKey.get(k));
      }
      expect(a!.createdRows().count).to.equal(keys.length);
      expect(() => b!.createdRows()).to.throw(/without payments/);
    });

    it('says whether any key was reconciled', async () => {
      const a = uuid(1);
      await write([[runRec(0), intentRec(a, 1), createdRec(a, 2)]]);
      expect((await readJournal(path)).byKey.anyReconciled).to.equal(false);
      await write([[{ type: 'reconcile', at: iso(3), key: a, transferStatus: 'processed' }]]);
      expect((await readJournal(path)).byKey.anyReconciled).to.equal(true);
    });
  });

  describe('damage', () => {
    it('ignores a torn compact last line, and the next open cuts it', async () => {
      const a = uuid(1);
      await write([[runRec(0, { apiBase: API }), intentRec(a, 1)]]);
      const full = `${JSON.stringify({ c: a, a: 2, id: 'x' })}\n`;
      await appendFile(path, full.slice(0, 30));
      const torn = await readJournal(path);
      expect(torn.tornTail).to.equal(true);
      expect(torn.byKey.get(a)?.openIntent).to.equal(true);
      const j = await Journal.open(path);
      expect(j.size, 'where the next record starts').to.equal((await stat(path)).size);
      await j.close();
      expect(await readFile(path, 'utf8')).not.to.include(full.slice(0, 30));
    });

    it('finds a compact line that refers to what the journal lacks, with its line number', async () => {
      const a = uuid(1);
      const cases: Array<[string, RegExp]> = [
        [JSON.stringify({ c: uuid(9), at: 5, id: 'x' }), /refers to an intent the journal lacks/],
        [JSON.stringify({ i: uuid(9), at: 5, r: 2, d: DEST, m: 1 }), /without its source/],
        [JSON.stringify({ i: uuid(9), a: 5, r: 2, d: DEST, m: 1, s: SRC }), /from a run record the journal lacks/],
        [JSON.stringify({ i: uuid(9), at: 5, r: 2, d: DEST, m: '1', s: SRC }), /"m" is "1"/],
        [JSON.stringify({ q: uuid(9), at: 5 }), /unknown record type/],
        [JSON.stringify({ c: uuid(9), a: 5, at: 5 }), /exactly one of "a" and "at"/],
      ];
      for (const [line, reason] of cases) {
        await rm(path, { force: true });
        await write([[intentRec(a, 1)]]); // no run record: `a` has no base either
        await appendFile(path, `${line}\n${JSON.stringify({ i: a, at: 9, r: 2, d: DEST, m: 1, s: SRC })}\n`);
        const err = await readJournal(path).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, line).to.be.instanceOf(JournalCorruptError);
        expect((err as JournalCorruptError).line, line).to.equal(2);
        expect((err as Error).message, line).to.match(reason);
      }
    });

    it("finds a file changed under a state: a key's line that is no longer its", async () => {
      const a = uuid(1);
      const b = uuid(2);
      await write([[runRec(0), intentRec(a, 1), intentRec(b, 2)]]);
      const state = await readJournal(path);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replaceAll(a, uuid(3))); // same length, same file
      expect(state.byKey.get(b)?.intent?.key).to.equal(b);
      expect(() => state.byKey.get(a)).to.throw(JournalCorruptError, /expected a intent record of key/);
    });
  });

  describe('one run of many', () => {
    it("reads from where a journal was opened: that run's records only", async () => {
      const [a, b] = [uuid(1), uuid(2)];
      await write([[runRec(0, { apiBase: API }), intentRec(a, 1), createdRec(a, 2), intentRec(b, 3)]]);
      const j = await Journal.open(path);
      const from = j.size;
      expect(from).to.equal((await stat(path)).size);
      const mine: JournalRecord[] = [runRec(100, { apiBase: API }), intentRec(b, 101), createdRec(b, 102)];
      for (const r of mine) {
        await j.append(r);
      }
      expect(j.size).to.equal((await stat(path)).size);
      await j.close();
      const own = await readJournal(path, { from });
      expect([...own.byKey.keys()]).to.deep.equal([b]);
      expect(own.runs).to.deep.equal([mine[0]]);
      expect(own.byKey.get(b)).to.deep.equal(expectedStates(mine).get(b));
      const all = await readJournal(path);
      expect(all.byKey.get(b)?.firstIntentAt).to.equal(iso(3));
    });
  });
});
