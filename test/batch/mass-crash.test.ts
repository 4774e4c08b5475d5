/**
 * kill -9 trials in Mass Payment mode (issue 12): the built CLI paying a file from one balance
 * source with `--mode mass-payment` is killed with SIGKILL at a moment chosen to hit a dangerous
 * window of the chunk protocol (src/batch/mass-send.ts), then the same command is run again
 * (taking over the stale lock) until it exits 0. The windows, one kind per trial in turn:
 *   intents       — while the rows' intents (naming their chunk) are being journalled;
 *   chunk-record  — as soon as a chunk's record is in mass-payments.jsonl: its POST about to go or
 *                   in flight;
 *   mass-payment  — as soon as the simulator has created a mass payment: its answer (most first-run
 *                   answers are held back by the `slow` fault) not in hand, its Location unrecorded;
 *   waiting       — every chunk's Location recorded, the run polling for `complete`;
 *   items         — while the items are being recorded as the rows' outcomes;
 *   ms            — after a random delay.
 * The first run meets faults on POST /mass-payments (5xx after create, dropped connections, 429,
 * slow answers; seeded), the reruns a plain simulator. At the end, counted at the simulator: every
 * row exactly one transfer (by its correlationId), with its amount and destination; none twice,
 * none missing; and one mass payment per distinct chunk of mass-payments.jsonl (none twice).
 *
 * Sizes: the rows carry no paymentId (a paymentId the ledger has never seen costs one GET per row
 * before it joins a chunk, SPEC rule 2) and unique destinations. All 20 trials pay 12,000 rows in
 * chunks of 5,000 (5,000/5,000/2,000), as issue 12 asks: about 3 minutes on a 2-CPU machine, in
 * one of the suite's parallel workers (the whole `npm test` takes about 4). PAYOUTS_MASS_TRIALS_QUICK=1
 * (for a quick local loop) makes 17 of them pay 1,200 rows in chunks of 500 (the same three-chunk
 * shape) and keeps 12,000 for the trials of the intents, chunk-record and mass-payment windows.
 *
 * Each trial's file, kill moments and faults come from its seed (in the test title); rerun one
 * with PAYOUTS_MASS_CRASH_SEED=<base seed> and `-g "seed <seed>"`; PAYOUTS_CRASH_VERBOSE=1 prints
 * each trial's history. The process timing itself is real.
 */
import { existsSync } from 'node:fs';
import { open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { chunkFilePath, readChunks } from '../../src/batch/chunk-file.js';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import {
  type CliResult,
  journalOf,
  type RunningCli,
  readCsvRows,
  removeDir,
  startCli,
  stateDirOf,
  tempDir,
} from '../helpers.js';
import {
  DEFAULT_SOURCE,
  makePayees,
  type Payee,
  readJournalLines,
  runArgs,
  SIM_ENV,
  seededRandom,
  transfersByCorrelationId,
  waitFor,
} from './helpers.js';

const TRIALS = 20;
const BASE_SEED = Number(process.env.PAYOUTS_MASS_CRASH_SEED ?? 12_052_026);
const QUICK = process.env.PAYOUTS_MASS_TRIALS_QUICK === '1';
const BIG = { rows: 12_000, chunkSize: 5_000 };
const SMALL = { rows: 1_200, chunkSize: 500 };
/** Runs of one trial, killed or not; the last ones are never killed. */
const MAX_RUNS = 6;
const BATCH = 'mcrash';
/** The simulated ms a mass payment stays pending, then processing: a short wait for `complete`. */
const MASS_STEP_MS = 200;
const PLAIN: SimulatorOptions = { latencyMs: 2, jitterMs: 3 };

const KINDS = ['intents', 'chunk-record', 'mass-payment', 'waiting', 'items', 'ms'] as const;
type Kind = (typeof KINDS)[number];

/**
 * When to kill a run, counted from the run's start: once the journal holds `n` more intents or
 * outcomes, once mass-payments.jsonl holds `k` more chunk records, once the simulator has created
 * `k` more mass payments, once every chunk of the file has its Location (then `afterMs`), or after
 * `afterMs`.
 */
interface KillPlan {
  kind: Kind;
  n: number;
  afterMs: number;
}

function describePlan(p: KillPlan): string {
  switch (p.kind) {
    case 'intents':
      return `${p.n} intents journalled`;
    case 'chunk-record':
      return `chunk record ${p.n} written`;
    case 'mass-payment':
      return `mass payment ${p.n} created at the simulator`;
    case 'waiting':
      return `every Location recorded + ${p.afterMs} ms`;
    case 'items':
      return `${p.n} outcomes journalled`;
    case 'ms':
      return `${p.afterMs} ms`;
  }
}

/**
 * Counts lines appended to a file since the tally began, reading only what is new: the journal's
 * intents (`{"i":`) and outcomes (`{"c":`, `{"f":`, `{"u":`; src/batch/journal-format.ts), the
 * chunk file's records and Locations. Cheap enough to poll every 20 ms beside a 12,000-row run.
 */
class LineTally {
  private offset = 0;
  private partial = '';
  readonly counts = { intents: 0, outcomes: 0, chunks: 0, located: 0 };

  constructor(private readonly path: string) {}

  static async from(path: string): Promise<LineTally> {
    const t = new LineTally(path);
    await t.update();
    t.counts.intents = 0;
    t.counts.outcomes = 0;
    t.counts.chunks = 0;
    t.counts.located = 0;
    return t;
  }

  async update(): Promise<LineTally['counts']> {
    const size = existsSync(this.path) ? (await stat(this.path)).size : 0;
    if (size <= this.offset) {
      return this.counts;
    }
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const lines = (this.partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        this.count(line);
      }
    } finally {
      await fh.close();
    }
    return this.counts;
  }

  private count(line: string): void {
    if (line.startsWith('{"i":')) {
      this.counts.intents++;
    } else if (/^\{"[cfu]":/.test(line)) {
      this.counts.outcomes++;
    } else if (line.startsWith('{"type":"chunk"')) {
      this.counts.chunks++;
    } else if (line.startsWith('{"type":"created"')) {
      this.counts.located++;
    }
  }
}

/** The kills of a trial: the first run's at its kind's window; sometimes the second run's too. */
function killPlans(kind: Kind, rows: number, chunks: number, random: () => number): KillPlan[] {
  const n = (): number => 1 + Math.floor(random() * (rows - 1));
  const k = (): number => 1 + Math.floor(random() * chunks);
  const ms = (): number => 100 + Math.floor(random() * (rows > 5_000 ? 3_000 : 1_500));
  const first: KillPlan = {
    kind,
    n: kind === 'intents' || kind === 'items' ? n() : k(),
    afterMs: kind === 'waiting' ? Math.floor(random() * 200) : ms(),
  };
  if (random() >= 0.3) {
    return [first];
  }
  const secondKind: Kind = random() < 0.5 ? 'items' : 'ms';
  return [first, { kind: secondKind, n: Math.floor(random() * rows * 0.8), afterMs: ms() }];
}

/** The first run's faults on POST /mass-payments: every kind on, rates and delays from the seed. */
function firstFaults(kind: Kind, seed: number, random: () => number): SimulatorOptions {
  return {
    ...PLAIN,
    seed,
    error5xxAfterRate: 0.15 + 0.2 * random(),
    dropAfterRate: 0.15 + 0.2 * random(),
    rate429: 0.15 + 0.2 * random(),
    // Slow answers widen the window between the mass payment's creation and its Location.
    slowRate: kind === 'mass-payment' ? 0.9 : 0.2,
    slowMs: 200 + Math.floor(500 * random()),
  };
}

/** What the kills of all trials hit, to check that they reach the windows that matter. */
const killStats = {
  kills: 0,
  /** Rows whose last journal record is an intent naming a chunk. */
  withChunkIntentsOpen: 0,
  /** A chunk recorded that the simulator has not created (its POST unsent, or not yet arrived). */
  withChunkRecordedNotCreated: 0,
  /** A mass payment created at the simulator whose Location mass-payments.jsonl does not hold. */
  withMassPaymentUnlocated: 0,
  /** Some items recorded as outcomes, not all. */
  whileRecordingItems: 0,
};

interface Trial {
  seed: number;
  kind: Kind;
  rows: number;
  chunkSize: number;
  simulator: SimulatorHandle;
  file: string;
  out: string;
  journal: string;
  chunkFile: string;
  lock: string;
  plans: KillPlan[];
  history: string[];
}

/** Waits until the plan's moment (or the run's end), then kills the run with SIGKILL. */
async function killWhen(t: Trial, run: RunningCli, plan: KillPlan): Promise<{ killed: boolean; result: CliResult }> {
  let exited = false;
  void run.done.then(() => (exited = true));
  const started = Date.now();
  const journal = await LineTally.from(t.journal);
  const chunks = await LineTally.from(t.chunkFile);
  const createdBefore = t.simulator.stats().massPayments.created;
  const expectedChunks = Math.ceil(t.rows / t.chunkSize);
  let locatedAt: number | undefined;
  const due = async (): Promise<boolean> => {
    const j = await journal.update();
    const c = await chunks.update();
    switch (plan.kind) {
      case 'intents':
        return j.intents >= plan.n;
      case 'chunk-record':
        return c.chunks >= plan.n;
      case 'mass-payment':
        return t.simulator.stats().massPayments.created - createdBefore >= plan.n;
      case 'waiting':
        if (locatedAt === undefined && c.located >= expectedChunks) {
          locatedAt = Date.now();
        }
        return locatedAt !== undefined && Date.now() - locatedAt >= plan.afterMs;
      case 'items':
        return j.outcomes >= plan.n;
      case 'ms':
        return Date.now() - started >= plan.afterMs;
    }
  };
  await waitFor(`kill moment ${describePlan(plan)}`, async () => exited || (await due()), 120_000);
  const killed = !exited && run.child.kill('SIGKILL');
  const result = await run.done;
  return { killed: killed && result.signal === 'SIGKILL', result };
}

/** Counts what a kill hit into killStats, and describes it for the trial's history. */
async function recordKill(t: Trial): Promise<string> {
  const last = new Map<string, Record<string, unknown>>();
  for (const r of await readJournalLines(t.journal)) {
    if (r.type === 'intent' || r.type === 'outcome') {
      last.set(String(r.key), r);
    }
  }
  const values = [...last.values()];
  const chunkIntents = values.filter((r) => r.type === 'intent' && typeof r.massPayment === 'string').length;
  const outcomes = values.filter((r) => r.type === 'outcome').length;
  const known = await readChunks(t.chunkFile);
  const atSim = new Set(t.simulator.massPayments().map((m) => m.correlationId));
  const notCreated = [...known.keys()].filter((id) => !atSim.has(id)).length;
  const unlocated = [...atSim].filter((id) => known.get(id ?? '')?.url === undefined).length;
  killStats.kills++;
  killStats.withChunkIntentsOpen += chunkIntents > 0 ? 1 : 0;
  killStats.withChunkRecordedNotCreated += notCreated > 0 ? 1 : 0;
  killStats.withMassPaymentUnlocated += unlocated > 0 ? 1 : 0;
  killStats.whileRecordingItems += outcomes > 0 && outcomes < t.rows ? 1 : 0;
  return `(${chunkIntents} chunk intents open, ${outcomes} outcomes, ${known.size} chunks recorded, ${atSim.size} mass payments at the simulator of which ${unlocated} unlocated, ${notCreated} recorded chunks not created)`;
}

/**
 * Run `i` of a trial: killed at its plan's moment if it has one, else to its end, which must be
 * exit 0 (done) or 3 (incomplete: run again). A run after a kill must take over the stale lock.
 */
async function oneRun(t: Trial, i: number): Promise<'killed' | 'done' | 'incomplete'> {
  const staleLock = existsSync(t.lock);
  const plan = t.plans[i];
  const args = ['--mode', 'mass-payment', '--chunk-size', String(t.chunkSize), '--max-attempts', '10'];
  const started = Date.now();
  const run = startCli(runArgs(t.file, t.simulator, t.out, args), { env: SIM_ENV });
  const { killed, result } = plan ? await killWhen(t, run, plan) : { killed: false, result: await run.done };
  const took = `${Date.now() - started} ms`;
  // Faults meant for the first run only: the reruns meet the plain simulator.
  if (i === 0) {
    const { injected } = t.simulator.stats();
    t.simulator.setFaults({ ...PLAIN, seed: t.seed });
    t.history.push(`faults struck in run 1: ${JSON.stringify(injected)}`);
  }
  if (killed && plan) {
    t.history.push(`run ${i + 1} killed at ${describePlan(plan)}, ${took} ${await recordKill(t)}`);
    return 'killed';
  }
  t.history.push(`run ${i + 1} exit ${result.code}, ${took}`);
  if (staleLock) {
    expect(result.stdout, `seed ${t.seed} run ${i + 1}: stale lock takeover warning`).to.contain('took over the lock');
  }
  if (result.code === 0) {
    return 'done';
  }
  expect(result.code, `seed ${t.seed} run ${i + 1} (${t.history.join('; ')}): ${result.stderr.slice(-2000)}`).to.equal(
    3,
  );
  return 'incomplete';
}

/** The trial's file: destination,amount, no paymentId, a unique destination per row. */
async function writeRows(dir: string, payees: readonly Payee[]): Promise<string> {
  const path = join(dir, `${BATCH}.csv`);
  await writeFile(path, `destination,amount\n${payees.map((p) => `${p.destination},${p.amount}`).join('\n')}\n`);
  return path;
}

/**
 * Every row paid exactly once, counted at the simulator: one transfer by the row's correlationId,
 * with its amount, destination and the balance as source, and its id in results.csv; as many
 * transfers as rows, none with a correlationId seen before. One mass payment per distinct chunk
 * of mass-payments.jsonl, each complete, no two with the same correlationId.
 */
async function expectEveryRowOnce(t: Trial, payees: readonly Payee[]): Promise<void> {
  const results = await readCsvRows(join(t.out, BATCH, 'results.csv'));
  expect(
    results.map((r) => r.destination),
    'results rows in input order',
  ).to.deep.equal(payees.map((p) => p.destination));
  const by = transfersByCorrelationId(t.simulator);
  const missing: number[] = [];
  const duplicated: string[] = [];
  const wrong: string[] = [];
  for (const [i, p] of payees.entries()) {
    const r = results[i]!;
    const found = by.get(r.correlationId!) ?? [];
    if (found.length === 0) {
      missing.push(i + 2);
    } else if (found.length > 1) {
      duplicated.push(`row ${i + 2} x${found.length}`);
    } else {
      const tr = found[0]!;
      const dest = tr._links['destination-funding-source']?.href?.split('/').pop();
      const src = tr._links['source-funding-source']?.href?.split('/').pop();
      if (tr.amount.value !== p.amount || dest !== p.destination || src !== DEFAULT_SOURCE) {
        wrong.push(`row ${i + 2}: ${tr.amount.value} to ${dest} from ${src}`);
      }
      if (r.status !== 'created' || r.transferId !== tr.id) {
        wrong.push(`row ${i + 2}: ${r.status} ${r.transferId} ${r.errorCode} ${r.errorMessage}`);
      }
    }
  }
  const where = `seed ${t.seed} (${t.history.join('; ')})`;
  expect(duplicated, `rows paid more than once, ${where}`).to.deep.equal([]);
  expect(missing.slice(0, 20), `rows never paid (${missing.length}), ${where}`).to.deep.equal([]);
  expect(wrong.slice(0, 20), `rows paid wrongly or recorded wrongly, ${where}`).to.deep.equal([]);
  expect(t.simulator.transfers().length, `transfers at the simulator, ${where}`).to.equal(payees.length);
  expect(t.simulator.stats().duplicatesByCorrelationId, 'duplicatesByCorrelationId').to.equal(0);

  const chunkIds = [...(await readChunks(t.chunkFile)).keys()].sort();
  const massPayments = t.simulator.massPayments();
  expect(
    massPayments.map((m) => m.correlationId).sort(),
    `one mass payment per distinct chunk, ${where}`,
  ).to.deep.equal(chunkIds);
  expect(t.simulator.stats().massPayments.created, 'mass payments created').to.equal(chunkIds.length);
  expect(
    massPayments.reduce((n, m) => n + m.itemCount, 0),
    'items over all mass payments',
  ).to.equal(payees.length);
  expect(massPayments.filter((m) => m.status !== 'complete').map((m) => m.id)).to.deep.equal([]);
}

describe('kill -9 trials in Mass Payment mode: runs killed in the chunk protocol’s windows, rerun until done', function () {
  this.timeout(180_000);

  let dir: string;
  let sim: SimulatorHandle | undefined;
  beforeEach(async () => (dir = await tempDir('payouts-mcrash-')));
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    await removeDir(dir);
  });

  async function trial(seed: number, kind: Kind, size: typeof BIG): Promise<Trial> {
    const random = seededRandom(seed);
    const chunks = Math.ceil(size.rows / size.chunkSize);
    const plans = killPlans(kind, size.rows, chunks, random);
    const simulator = await startSimulator({
      port: 0,
      massPaymentStepMs: MASS_STEP_MS,
      balance: '100000000.00',
      ...firstFaults(kind, seed, random),
    });
    sim = simulator;
    const payees = makePayees(size.rows, { random });
    const t: Trial = {
      seed,
      kind,
      ...size,
      simulator,
      file: await writeRows(dir, payees),
      out: join(dir, 'out'),
      journal: journalOf(BATCH, simulator.url),
      chunkFile: chunkFilePath(stateDirOf(BATCH, simulator.url)),
      lock: join(stateDirOf(BATCH, simulator.url), 'lock'),
      plans,
      history: [],
    };
    for (let i = 0; ; i++) {
      if (i >= MAX_RUNS) {
        throw new Error(`seed ${seed}: not done after ${MAX_RUNS} runs: ${t.history.join('; ')}`);
      }
      if ((await oneRun(t, i)) === 'done') {
        break;
      }
    }
    await expectEveryRowOnce(t, payees);
    expect(existsSync(t.lock), 'lock released after the last run').to.equal(false);
    return t;
  }

  for (let i = 0; i < TRIALS; i++) {
    const seed = BASE_SEED + i;
    const kind = KINDS[i % KINDS.length]!;
    const size = !QUICK || i % 7 === 0 ? BIG : SMALL;
    it(`trial ${i + 1}/${TRIALS} (seed ${seed}, ${size.rows} rows in chunks of ${size.chunkSize}, kill at ${kind}): every row paid exactly once, one mass payment per chunk`, async () => {
      const started = Date.now();
      const { history } = await trial(seed, kind, size);
      if (process.env.PAYOUTS_CRASH_VERBOSE) {
        process.stdout.write(`      seed ${seed} (${Date.now() - started} ms): ${history.join('; ')}\n`);
      }
    });
  }

  it('the kills of these trials hit runs in the middle of the chunk protocol', function () {
    if (killStats.kills === 0) {
      this.skip(); // the trials were filtered out
    }
    // Not a timing assertion on the product: a guard that the trials exercise the dangerous
    // windows (intents naming a chunk not yet settled; a mass payment created, its Location not
    // recorded; items half recorded) rather than only idle moments.
    const stats = JSON.stringify(killStats);
    if (process.env.PAYOUTS_CRASH_VERBOSE) {
      process.stdout.write(`      kills: ${stats}\n`);
    }
    expect(killStats.withChunkIntentsOpen, stats).to.be.at.least(Math.ceil(killStats.kills / 4));
    expect(killStats.withMassPaymentUnlocated, stats).to.be.at.least(1);
    expect(killStats.whileRecordingItems, stats).to.be.at.least(1);
  });
});
