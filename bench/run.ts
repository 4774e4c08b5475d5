/**
 * `npm run bench`: prints figures, asserts nothing. Every payouts child gets a state directory
 * (PAYOUTS_HOME) of its own under a temp folder, never the real one. Sections:
 *   dry-run  — payouts run --dry-run over 100,000 and 1,000,000 generated rows, beside a baseline
 *              that only streams the same file through csv-parse into csv-stringify (rows/s, peak
 *              RSS); and the repeat checks' cost: the same dry runs with a ledger of 1,000,000
 *              earlier payments (bench/ledger.ts) vs an empty state directory, for rows with
 *              paymentIds (one ledger query by paymentId each) and without (one query by
 *              destination and amount within --repeat-window each).
 *   submit   — payouts run against a standalone simulator with 50 ms latency: 2,000 rows from bank
 *              sources at --concurrency 16 (bound 320 rows/s) and from one balance source (bound
 *              20 rows/s: one transfer in flight), each with paymentIds the ledger has never seen
 *              (each row looked up at Dwolla by correlationId before its POST) and without
 *              paymentId (one ledger query, no lookup), and the ratio; and the journal's cost
 *              (rows/s with and without fsync).
 *   scale    — rows × (dry run, real run, rerun) at 100,000 and 1,000,000 rows: rows/s, peak RSS,
 *              journal bytes per row, beside the passthrough baseline; the rerun as a cron retry
 *              makes it (results.csv copied from the memo) and again with its results written in full.
 *   mass     — 20,000 rows (no paymentId) from one balance source against a standalone simulator
 *              with 200 ms latency: `--mode mass-payment` (chunks of 5,000; the simulator's mass
 *              payments take 1 s a step) wall time and rows/s, beside `--mode transfers` (one
 *              transfer in flight: about 67 minutes for 20,000 rows, so measured on 1,000 rows and
 *              its 20,000-row wall time extrapolated), and the ratio.
 * `npm run bench -- dry-run` runs one section.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Journal, JournalDecoder } from '../src/batch/journal.js';
import { preflightSources } from '../src/batch/preflight.js';
import { resultsMemoPath } from '../src/batch/results-memo.js';
import { accountState, apiIdentity, batchStateDir, journalPath } from '../src/batch/state-dir.js';
import { Submitter } from '../src/batch/submit.js';
import { DwollaClient } from '../src/dwolla/client.js';
import { SIMULATOR } from '../src/dwolla/types.js';
import { openPayeeCsv } from '../src/input/csv-reader.js';
import { isSendable, Planner, type SendableRow } from '../src/plan/planner.js';
import { EXIT } from '../src/results/exit-codes.js';
import { writeFinishedBatch } from './finished-batch.js';
import { generatePayees } from './generate.js';
import type { BigLedgerOptions } from './ledger.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '..', 'src', 'cli', 'main.js');

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number | null;
}

/**
 * Runs `node --import rss-probe.js ARGS` (PAYOUTS_HOME=home) and measures wall time and peak RSS.
 * The files earlier runs wrote are flushed to disk first (`sync`): a rerun measured right after a
 * million-row real run otherwise shares the disk with the writeback of its 1.2 GB of journal,
 * ledger and results (it took 18 s there, 14 s on a quiet disk).
 */
async function measure(args: string[], workDir: string, home: string): Promise<Measured> {
  const rssFile = join(workDir, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  if (process.platform !== 'win32') {
    execFileSync('sync');
  }
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', join(HERE, 'rss-probe.js'), ...args], {
      // The simulator's published credentials: only runs against a standalone simulator use them.
      env: {
        ...process.env,
        BENCH_RSS_FILE: rssFile,
        PAYOUTS_HOME: home,
        DWOLLA_KEY: SIMULATOR.key,
        DWOLLA_SECRET: SIMULATOR.secret,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolvePromise);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kib = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
  return { seconds, peakRssMb: kib / 1024, code };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function pct(part: number, whole: number): string {
  return `${fmt((100 * part) / whole)}%`;
}

/** The dry runs' clock: the ledger's hits are one day before it, inside the default 3-day --repeat-window. */
const DRY_RUN_NOW = '2026-03-09T08:00:00-05:00';

const LEDGER: BigLedgerOptions = {
  entries: 1_000_000,
  payees: 100_000,
  hitEvery: 100,
  now: DRY_RUN_NOW,
  spanDays: 365,
};

/** Builds the big ledger under `stateDir` in a child process (bench/ledger.ts); its figures. */
async function buildLedger(stateDir: string): Promise<{ hits: number; seconds: number; megabytes: number }> {
  const child = spawn(process.execPath, [join(HERE, 'ledger.js'), stateDir, JSON.stringify(LEDGER)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`building the ledger exited ${code}`);
  }
  return JSON.parse(out) as { hits: number; seconds: number; megabytes: number };
}

interface DryRun extends Measured {
  /** Rows the dry run holds for review (plan.json): the ledger's hits. */
  held: number;
}

/** `payouts run FILE --dry-run` with PAYOUTS_HOME=home: time, peak RSS and rows held. */
async function measureDryRun(input: string, work: string, home: string): Promise<DryRun> {
  const batchId = `dry-${randomUUID()}`;
  const out = join(work, 'out');
  const args = [CLI, 'run', input, '--dry-run', '--out', out, '--batch-id', batchId, '--now', DRY_RUN_NOW];
  const m = await measure([...args, '--log-level', 'warn'], work, home);
  if (m.code !== EXIT.ok && m.code !== EXIT.attention) {
    throw new Error(`dry run of ${input} exited ${m.code}`);
  }
  const plan = JSON.parse(await readFile(join(out, batchId, 'plan.json'), 'utf8')) as {
    byStatus: { review?: { count: number } };
  };
  await rm(join(out, batchId), { recursive: true, force: true });
  return { ...m, held: plan.byStatus.review?.count ?? 0 };
}

/** Both state directories of the dry-run section. */
interface DryRunStates {
  empty: string;
  ledger: string;
}

/** One size: the baseline line, and the ledger-vs-empty lines for rows with and without paymentIds. */
async function dryRunSize(rows: number, work: string, states: DryRunStates): Promise<[string, string[]]> {
  const withIds = join(work, `payees-${rows}.csv`);
  const withoutIds = join(work, `payees-${rows}-no-id.csv`);
  await generatePayees(withIds, rows);
  await generatePayees(withoutIds, rows, { paymentId: () => undefined });
  const mb = (await stat(withIds)).size / 1e6;
  const base = await measure([join(HERE, 'baseline.js'), withIds, join(work, 'baseline.csv')], work, states.empty);
  if (base.code !== 0) {
    throw new Error(`the baseline exited ${base.code}`);
  }
  const ledgerLines: string[] = [];
  let plain: DryRun | undefined;
  for (const [input, kind] of [
    [withIds, 'yes'],
    [withoutIds, 'no'],
  ] as const) {
    const empty = await measureDryRun(input, work, states.empty);
    const full = await measureDryRun(input, work, states.ledger);
    plain ??= empty;
    ledgerLines.push(
      `${fmt(rows).padEnd(10)} | ${kind.padEnd(9)} | ${fmt(rows / empty.seconds).padStart(12)} | ${fmt(empty.peakRssMb, 1).padStart(12)} | ${fmt(rows / full.seconds).padStart(13)} | ${fmt(full.peakRssMb, 1).padStart(13)} | ${fmt(full.held).padStart(5)} | ${pct(empty.seconds, full.seconds).padStart(12)} | ${pct(full.peakRssMb, empty.peakRssMb).padStart(9)}`,
    );
    await rm(input);
  }
  const baseRate = rows / base.seconds;
  const dryRate = rows / plain!.seconds;
  const baseLine = `${fmt(rows).padEnd(10)} | ${fmt(mb, 1).padStart(7)} | ${fmt(baseRate).padStart(15)} | ${fmt(base.peakRssMb, 1).padStart(15)} | ${fmt(dryRate).padStart(14)} | ${fmt(plain!.peakRssMb, 1).padStart(14)} | ${pct(dryRate, baseRate)}`;
  return [baseLine, ledgerLines];
}

async function dryRunSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  try {
    const states = { empty: join(work, 'state-empty'), ledger: join(work, 'state-ledger') };
    await mkdir(states.empty);
    const ledger = await buildLedger(states.ledger);
    const baseLines: string[] = [];
    const ledgerLines: string[] = [];
    for (const rows of [100_000, 1_000_000]) {
      const [baseLine, lines] = await dryRunSize(rows, work, states);
      baseLines.push(baseLine);
      ledgerLines.push(...lines);
    }
    console.log('dry run vs baseline (csv-parse -> csv-stringify), same file, same run; empty state directory');
    console.log('rows       | file MB | baseline rows/s | baseline RSS MB | dry-run rows/s | dry-run RSS MB | ratio');
    console.log(baseLines.join('\n'));
    console.log('targets: dry run >= 40% of the baseline rows/s; peak RSS < 150 MB and about the same for both sizes');
    console.log(
      `\ndry run with a ledger of ${fmt(LEDGER.entries)} earlier payments (${fmt(ledger.megabytes)} MB, built in ${fmt(ledger.seconds, 1)} s) vs an empty state directory, --now ${DRY_RUN_NOW}, --repeat-window 3`,
    );
    console.log(
      `paymentId yes: one ledger query by paymentId per row; no: one query by destination+amount within --repeat-window per row. held: rows the ledger's ${fmt(ledger.hits)} hits put in review`,
    );
    console.log(
      'rows       | paymentId | empty rows/s | empty RSS MB | ledger rows/s | ledger RSS MB | held  | rows/s ratio | RSS ratio',
    );
    console.log(ledgerLines.join('\n'));
    console.log('target: with the ledger at least 90% of the rows/s of the empty state directory (at most 10% slower)');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Starts `payouts simulator` in a child process; resolves with its URL. */
async function startSimulatorChild(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'simulator', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolvePromise, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(seen);
      if (m) {
        resolvePromise(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`simulator exited ${code}`)));
  });
  child.stdout!.resume();
  return { url, child };
}

/** Runs `use` against a fresh standalone simulator with 50 ms latency, stopped afterwards. */
async function withSimulator<T>(use: (url: string) => Promise<T>, latencyMs = 50): Promise<T> {
  // A balance that covers every bench file: the balance preflight would otherwise refuse the run.
  const { url, child } = await startSimulatorChild(['--latency', String(latencyMs), '--balance', '100000000.00']);
  try {
    return await use(url);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }
}

async function validRows(file: string): Promise<SendableRow[]> {
  const csv = await openPayeeCsv(file);
  const planner = new Planner(csv.header, {
    batchId: `bench-${randomUUID()}`,
    allowDuplicates: false,
    defaultSourceId: SIMULATOR.defaultSourceId,
    maxAmountCents: 100_000_000,
  });
  const rows: SendableRow[] = [];
  for await (const row of planner.rows(csv.batches)) {
    if (row.status === 'valid' && isSendable(row)) {
      rows.push(row);
    }
  }
  return rows;
}

/** The submitter alone (in this process), journal fsync on or off: the journal's cost. */
async function submitInProcess(url: string, file: string, work: string, fsync: boolean): Promise<number> {
  const rows = await validRows(file);
  const client = new DwollaClient({ baseUrl: url, key: SIMULATOR.key, secret: SIMULATOR.secret, timeoutMs: 30_000 });
  const journal = await Journal.open(join(work, `journal-${fsync}-${randomUUID()}.jsonl`), { fsync });
  const log = pino({ level: 'silent' });
  try {
    const sources = await preflightSources(
      client,
      rows.map((r) => r.payment.sourceId),
      { maxAttempts: 6 },
    );
    const submitter = new Submitter(
      { client, journal, log, clock: () => new Date() },
      { concurrency: 16, maxAttempts: 6, clearing: 'auto', cutoffMarginMinutes: 10, now: undefined },
      sources,
    );
    const started = process.hrtime.bigint();
    const outcomes = await submitter.submitAll(rows.map((row) => ({ row })));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const created = [...outcomes.values()].filter((o) => o.status === 'created').length;
    if (created !== rows.length) {
      throw new Error(`only ${created} of ${rows.length} created`);
    }
    return rows.length / seconds;
  } finally {
    await journal.close();
    client.close();
  }
}

/** Seconds from the first intent to the last outcome recorded in a batch's journal. */
async function sendPhaseSeconds(journal: string): Promise<number> {
  const decoder = new JournalDecoder();
  const times = (await readFile(journal, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => decoder.decode(l))
    .filter((r) => r.type === 'intent' || r.type === 'outcome')
    .map((r) => Date.parse(r.at));
  return (Math.max(...times) - Math.min(...times)) / 1000;
}

interface SubmitCase {
  name: string;
  /** Which pair it belongs to, for the lookup-cost table. */
  source: string;
  /** Rows carry paymentIds the ledger has never seen: each is looked up at Dwolla before its POST. */
  paymentIds: boolean;
  file: string;
  args: string[];
  /** rows/s the latency allows at most to the POSTs alone: transfers in flight / 50 ms. */
  bound: number;
}

interface CaseRates {
  rate: number;
  sendRate: number;
}

/**
 * Runs `payouts run` on a case's file against the standalone simulator at `url`, with a state
 * directory of its own; its batch's journal, and the CPU time (ms) the run's process used.
 */
async function runCase(c: SubmitCase, url: string, work: string): Promise<{ journal: string; cpuMs: number }> {
  const batchId = `b-${randomUUID()}`;
  const home = join(work, `state-${batchId}`);
  const cpuFile = join(work, `cpu-${batchId}`);
  const env = {
    DWOLLA_KEY: SIMULATOR.key,
    DWOLLA_SECRET: SIMULATOR.secret,
    PAYOUTS_HOME: home,
    BENCH_CPU_FILE: cpuFile,
  };
  // Transfers mode: the bound is per transfer (--mode auto would use Mass Payments above 500 rows).
  const args = [
    'run',
    c.file,
    '--api-url',
    url,
    '--out',
    join(work, 'out'),
    '--batch-id',
    batchId,
    '--mode',
    'transfers',
  ];
  const probe = ['--import', join(HERE, 'rss-probe.js')];
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const run = spawn(process.execPath, [...probe, CLI, ...args, '--log-level', 'warn', ...c.args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    run.on('error', reject);
    run.on('close', resolvePromise);
  });
  if (code !== EXIT.ok) {
    throw new Error(`${c.name}: run exited ${code}`);
  }
  const account = accountState(home, apiIdentity({ env: 'simulator', apiUrl: url }), SIMULATOR.accountId);
  const cpuMs = Number((await readFile(cpuFile, 'utf8')).trim());
  return { journal: journalPath(batchStateDir(account, batchId)), cpuMs };
}

/** Dwolla requests (admin ones excluded) the simulator at `url` has answered. */
async function requestsAnswered(url: string): Promise<number> {
  const res = await fetch(`${url}/__simulator/stats`);
  return ((await res.json()) as { requests: number }).requests;
}

/**
 * Runs one case against a fresh simulator (a paymentId's key and correlationId are the same in
 * every batch: a simulator shared by cases would find the transfers of an earlier case) and
 * prints its line: the whole command's rate, the send phase's, both against the bound, the
 * Dwolla requests per row, and the run process's CPU time per row (all of it: start-up,
 * planning and the report too).
 */
async function measureCase(c: SubmitCase, work: string, rows: number): Promise<CaseRates> {
  return withSimulator(async (url) => {
    const started = process.hrtime.bigint();
    const { journal, cpuMs } = await runCase(c, url, work);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = rows / seconds;
    const sendRate = rows / (await sendPhaseSeconds(journal));
    const perRow = (await requestsAnswered(url)) / rows;
    console.log(
      `${c.name.padEnd(50)} | ${fmt(seconds, 1).padStart(7)} | ${fmt(rate, 1).padStart(6)} | ${fmt(sendRate, 1).padStart(11)} | ${fmt(c.bound).padStart(12)} | ${`${pct(rate, c.bound)} / ${pct(sendRate, c.bound)}`.padStart(9)} | ${fmt(perRow, 2).padStart(12)} | ${fmt(cpuMs / rows, 2).padStart(10)}`,
    );
    return { rate, sendRate };
  });
}

/**
 * The payee files of the submit section: rows from 4 bank sources, and rows from the balance,
 * each with paymentIds (new to every case's empty ledger) and without.
 */
async function submitCases(work: string, rows: number): Promise<SubmitCase[]> {
  const bankSources = Array.from({ length: 4 }, () => randomUUID());
  const kinds = [
    {
      source: '4 bank sources',
      bankSource: (i: number) => bankSources[i % bankSources.length],
      args: ['--concurrency', '16'],
      bound: 16 / 0.05,
    },
    {
      source: 'one balance source',
      bankSource: () => undefined,
      args: ['--concurrency', '16', '--source', SIMULATOR.defaultSourceId],
      bound: 1 / 0.05,
    },
  ];
  const cases: SubmitCase[] = [];
  for (const { source, bankSource, args, bound } of kinds) {
    for (const paymentIds of [false, true]) {
      const file = join(work, `${cases.length}.csv`);
      await generatePayees(file, rows, paymentIds ? { bankSource } : { bankSource, paymentId: () => undefined });
      const which = paymentIds ? 'new paymentIds (looked up)' : 'no paymentId';
      cases.push({ name: `${source}, ${which}`, source, paymentIds, file, args, bound });
    }
  }
  return cases;
}

/** The lookup's cost: each source's rows/s with new paymentIds against without paymentId. */
function printLookupCost(cases: SubmitCase[], rates: Map<SubmitCase, CaseRates>): void {
  console.log(
    "\nrepeat checks' cost on submission: rows with paymentIds new to the ledger (each looked up first: GET /accounts/{id}/transfers?correlationId=…, then POST) vs rows without paymentId (one ledger query, then POST)",
  );
  console.log('source             | no paymentId rows/s | new paymentIds rows/s | ratio | send ratio');
  for (const plain of cases.filter((c) => !c.paymentIds)) {
    const looked = cases.find((c) => c.paymentIds && c.source === plain.source)!;
    const a = rates.get(plain)!;
    const b = rates.get(looked)!;
    console.log(
      `${plain.source.padEnd(18)} | ${fmt(a.rate, 1).padStart(19)} | ${fmt(b.rate, 1).padStart(21)} | ${pct(b.rate, a.rate).padStart(5)} | ${pct(b.sendRate, a.sendRate).padStart(10)}`,
    );
  }
  console.log('target: new paymentIds at least 90% of the rows/s without paymentId (at most 10% slower)');
}

async function submitSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  const rows = 2000;
  try {
    const cases = await submitCases(work, rows);
    console.log(
      `payouts run against a standalone simulator with 50 ms latency (a fresh one and an empty PAYOUTS_HOME per case), ${fmt(rows)} rows each`,
    );
    console.log(
      'case                                               | seconds | rows/s | send rows/s | bound rows/s | of bound  | requests/row | CPU ms/row',
    );
    const rates = new Map<SubmitCase, CaseRates>();
    for (const c of cases) {
      rates.set(c, await measureCase(c, work, rows));
    }
    console.log(
      'targets (issue 10): send rows/s at least 95% of each bound, the whole command at least 90%. rows/s: the whole command (start-up, planning, preflight, report); send rows/s: first intent to last outcome in the journal; bound: POSTs only (transfers in flight / 50 ms); CPU: the run process, all of it',
    );
    printLookupCost(cases, rates);
    // rows without paymentId: their keys are the batch's, so the two runs' transfers are distinct
    const bankFile = cases[0]!.file;
    const [withSync, withoutSync] = await withSimulator(async (url) => [
      await submitInProcess(url, bankFile, work, true),
      await submitInProcess(url, bankFile, work, false),
    ]);
    console.log(
      `\njournal cost (submitter alone, bank sources, no paymentId, concurrency 16): ${fmt(withSync, 1)} rows/s with fsync, ${fmt(withoutSync, 1)} rows/s without`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Files of the scale section: rows from four banks without paymentId (no lookups, no balance lane). */
const SCALE_BANKS = Array.from({ length: 4 }, (_, i) => `5bec1a10-0000-4000-8000-0000000000b${i}`);
/** Sizes paid for real through the simulator in the scale section (a million takes about 6 minutes here). */
const REAL_RUN_MAX = 1_000_000;

interface ScaleFigures {
  base: Measured;
  dry: Measured;
  real?: Measured & { journalBytesPerRow: number };
  /** The rerun a cron retry makes: it finds results.csv as the real run left it (src/batch/results-memo.ts). */
  rerun: Measured;
  /** The same rerun without the results memo: every line written anew (e.g. another --out). */
  rerunInFull: Measured;
}

/** One size of the scale section: baseline, dry run, real run (small sizes), rerun of the finished batch. */
async function scaleSize(rows: number, work: string, url: string): Promise<ScaleFigures> {
  const batchId = `scale-${rows}`;
  const file = join(work, `${batchId}.csv`);
  await generatePayees(file, rows, { bankSource: (i) => SCALE_BANKS[i % 4], paymentId: () => undefined });
  const home = await mkdtemp(join(work, 'home-'));
  const out = join(work, `out-${rows}`);
  const base = await measure([join(HERE, 'baseline.js'), file, join(work, 'baseline.csv')], work, home);
  const dry = await measure([CLI, 'run', file, '--dry-run', '--out', out, '--log-level', 'warn'], work, home);
  // Transfers mode: the flat-memory figures of issue 10 (--mode auto would use Mass Payments for these sources).
  const send = [
    CLI,
    'run',
    file,
    '--api-url',
    url,
    '--out',
    out,
    '--log-level',
    'warn',
    '--concurrency',
    '32',
    '--mode',
    'transfers',
  ];
  const stateDir = batchStateDir(
    accountState(home, apiIdentity({ env: 'simulator', apiUrl: url }), SIMULATOR.accountId),
    batchId,
  );
  const journal = journalPath(stateDir);
  let real: ScaleFigures['real'];
  if (rows <= REAL_RUN_MAX) {
    const m = await measure(send, work, home);
    real = { ...m, journalBytesPerRow: (await stat(journal)).size / rows };
  } else {
    await writeFinishedBatch(file, batchId, url, journal);
  }
  const rerun = await measure(send, work, home);
  await rm(resultsMemoPath(stateDir), { force: true });
  const rerunInFull = await measure(send, work, home);
  for (const m of [base, dry, real, rerun, rerunInFull]) {
    if (m && m.code !== 0) {
      throw new Error(`a run of the scale section (${rows} rows) exited ${m.code}`);
    }
  }
  return { base, dry, ...(real ? { real } : {}), rerun, rerunInFull };
}

/**
 * Rows × (dry run, real run, rerun): rows/s, peak RSS and journal bytes per row, beside the
 * passthrough baseline, at 100,000 and 1,000,000 rows. The real run pays through a standalone
 * simulator without latency (CPU-bound: both processes share this machine); the rerun is of the
 * batch the real run finished (beyond REAL_RUN_MAX, of a finished batch written directly:
 * bench/finished-batch.ts): first as it comes (its results.csv as the real run wrote it, so it is
 * kept: src/batch/results-memo.ts), then without the results memo (every line written anew).
 */
async function scaleSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  try {
    await withSimulator(async (url) => {
      console.log(
        'rows      | baseline rows/s | dry run rows/s (of baseline) | dry peak MB | real run rows/s | real peak MB | journal B/row | rerun s (x dry run) | rerun peak MB | rerun, results in full s (x dry run) | its peak MB',
      );
      for (const rows of [100_000, 1_000_000]) {
        const f = await scaleSize(rows, work, url);
        const r = (m: Measured) => fmt(rows / m.seconds);
        console.log(
          `${fmt(rows).padEnd(9)} | ${r(f.base).padStart(15)} | ${`${r(f.dry)} (${pct(f.base.seconds, f.dry.seconds)})`.padStart(28)} | ${fmt(f.dry.peakRssMb).padStart(11)} | ${(f.real ? r(f.real) : 'not run').padStart(15)} | ${(f.real ? fmt(f.real.peakRssMb) : '-').padStart(12)} | ${(f.real ? fmt(f.real.journalBytesPerRow) : '-').padStart(13)} | ${`${fmt(f.rerun.seconds, 1)} (${fmt(f.rerun.seconds / f.dry.seconds, 2)}x)`.padStart(19)} | ${fmt(f.rerun.peakRssMb).padStart(13)} | ${`${fmt(f.rerunInFull.seconds, 1)} (${fmt(f.rerunInFull.seconds / f.dry.seconds, 2)}x)`.padStart(36)} | ${fmt(f.rerunInFull.peakRssMb).padStart(11)}`,
        );
      }
    }, 0);
    console.log(
      'targets: peak RSS of a real run and a rerun at most 150 MB at 1M rows and flat within 20% from 100k; a rerun at most 2x the dry run; the dry run at least 70% of the baseline and at most 120 MB',
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Rows of the mass section's Mass Payment run, and of its (extrapolated) transfers run. */
const MASS_ROWS = 20_000;
const MASS_TRANSFER_ROWS = 1_000;
const MASS_LATENCY_MS = 200;

interface ModeFigures {
  rows: number;
  seconds: number;
  sendSeconds: number;
  requestsPerRow: number;
  cpuMsPerRow: number;
}

/** `payouts run FILE --mode MODE` from the balance against a fresh simulator with 200 ms latency. */
async function measureMode(mode: 'mass-payment' | 'transfers', rows: number, work: string): Promise<ModeFigures> {
  const file = join(work, `mass-${mode}-${rows}.csv`);
  await generatePayees(file, rows, { paymentId: () => undefined });
  const c: SubmitCase = {
    name: mode,
    source: 'one balance source',
    paymentIds: false,
    file,
    args: ['--source', SIMULATOR.defaultSourceId, '--mode', mode],
    bound: 1000 / MASS_LATENCY_MS,
  };
  return withSimulator(async (url) => {
    const started = process.hrtime.bigint();
    const { journal, cpuMs } = await runCase(c, url, work);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const requestsPerRow = (await requestsAnswered(url)) / rows;
    return { rows, seconds, sendSeconds: await sendPhaseSeconds(journal), requestsPerRow, cpuMsPerRow: cpuMs / rows };
  }, MASS_LATENCY_MS);
}

/**
 * One balance source at 200 ms latency, both modes: Mass Payments (the whole command, including
 * the wait for `complete` and the paging of items) against single transfers (one in flight per
 * balance source: 5 rows/s at most), measured on fewer rows and extrapolated to the same file.
 */
async function massSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  try {
    const mass = await measureMode('mass-payment', MASS_ROWS, work);
    const single = await measureMode('transfers', MASS_TRANSFER_ROWS, work);
    const massRate = mass.rows / mass.seconds;
    const singleRate = single.rows / single.seconds;
    const extrapolated = MASS_ROWS / singleRate;
    console.log(
      `payouts run, ${fmt(MASS_ROWS)} rows without paymentId from one balance source, standalone simulator with ${MASS_LATENCY_MS} ms latency (a fresh one and an empty PAYOUTS_HOME per run)`,
    );
    console.log('mode                  | rows   | seconds  | rows/s | send s   | requests/row | CPU ms/row');
    for (const [name, f] of [
      ['mass-payment', mass],
      ['transfers (measured)', single],
    ] as const) {
      console.log(
        `${name.padEnd(21)} | ${fmt(f.rows).padStart(6)} | ${fmt(f.seconds, 1).padStart(8)} | ${fmt(f.rows / f.seconds, 1).padStart(6)} | ${fmt(f.sendSeconds, 1).padStart(8)} | ${fmt(f.requestsPerRow, 3).padStart(12)} | ${fmt(f.cpuMsPerRow, 2).padStart(10)}`,
      );
    }
    console.log(
      `transfers, ${fmt(MASS_ROWS)} rows: ${fmt(extrapolated)} s (${fmt(extrapolated / 60, 1)} min) EXTRAPOLATED from the ${fmt(MASS_TRANSFER_ROWS)}-row run's ${fmt(singleRate, 2)} rows/s (not run: the bound is one transfer in flight / ${MASS_LATENCY_MS} ms = ${fmt(1000 / MASS_LATENCY_MS)} rows/s)`,
    );
    console.log(
      `ratio, ${fmt(MASS_ROWS)} rows: mass-payment ${fmt(massRate / singleRate, 0)}x the rows/s of transfers (${fmt(mass.seconds, 1)} s vs ${fmt(extrapolated / 60, 1)} min extrapolated)`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SECTIONS: Record<string, () => Promise<void>> = {
  'dry-run': dryRunSection,
  submit: submitSection,
  scale: scaleSection,
  mass: massSection,
};

const wanted = process.argv.slice(2);
for (const [name, section] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) {
    continue;
  }
  console.log(`\n== ${name} ==`);
  await section();
}
