/**
 * `npm run bench`: prints figures, asserts nothing. Sections:
 *   dry-run  — payouts run --dry-run over 100,000 and 1,000,000 generated rows, beside a baseline
 *              that only streams the same file through csv-parse into csv-stringify (rows/s, peak RSS).
 *   submit   — payouts run against a standalone simulator with 50 ms latency: 2,000 rows from bank
 *              sources at --concurrency 16 (bound 320 rows/s) and from one balance source (bound
 *              20 rows/s: one transfer in flight); and the journal's cost (rows/s with and without fsync).
 * `npm run bench -- dry-run` runs one section.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Journal } from '../src/batch/journal.js';
import { preflightSources } from '../src/batch/preflight.js';
import { Submitter } from '../src/batch/submit.js';
import { DwollaClient } from '../src/dwolla/client.js';
import { SIMULATOR } from '../src/dwolla/types.js';
import { openPayeeCsv } from '../src/input/csv-reader.js';
import { isSendable, Planner, type SendableRow } from '../src/plan/planner.js';
import { generatePayees } from './generate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '..', 'src', 'cli', 'main.js');

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number | null;
}

/** Runs `node --import rss-probe.js ARGS` and measures wall time and peak RSS. */
async function measure(args: string[], workDir: string): Promise<Measured> {
  const rssFile = join(workDir, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', join(HERE, 'rss-probe.js'), ...args], {
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
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

async function dryRunSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  try {
    console.log('dry run vs baseline (csv-parse -> csv-stringify), same file, same run');
    console.log('rows       | file MB | baseline rows/s | baseline RSS MB | dry-run rows/s | dry-run RSS MB | ratio');
    for (const rows of [100_000, 1_000_000]) {
      const input = join(work, `payees-${rows}.csv`);
      await generatePayees(input, rows);
      const mb = (await stat(input)).size / 1e6;
      const base = await measure([join(HERE, 'baseline.js'), input, join(work, 'baseline.csv')], work);
      const dry = await measure(
        [
          CLI,
          'run',
          input,
          '--dry-run',
          '--out',
          join(work, 'out'),
          '--now',
          '2026-03-09T08:00:00-05:00',
          '--log-level',
          'warn',
        ],
        work,
      );
      if (base.code !== 0 || dry.code !== 0) {
        throw new Error(`a child failed: baseline ${base.code}, dry run ${dry.code}`);
      }
      const baseRate = rows / base.seconds;
      const dryRate = rows / dry.seconds;
      console.log(
        `${fmt(rows).padEnd(10)} | ${fmt(mb, 1).padStart(7)} | ${fmt(baseRate).padStart(15)} | ${fmt(base.peakRssMb, 1).padStart(15)} | ${fmt(dryRate).padStart(14)} | ${fmt(dry.peakRssMb, 1).padStart(14)} | ${fmt((100 * dryRate) / baseRate, 0)}%`,
      );
      await rm(input);
    }
    console.log('targets: dry run >= 40% of the baseline rows/s; peak RSS < 150 MB and about the same for both sizes');
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

async function validRows(file: string): Promise<SendableRow[]> {
  const csv = await openPayeeCsv(file);
  const planner = new Planner(csv.header, {
    batchId: `bench-${randomUUID()}`,
    allowDuplicates: false,
    defaultSourceId: SIMULATOR.defaultSourceId,
    maxAmountCents: 100_000_000,
  });
  const rows: SendableRow[] = [];
  for await (const record of csv.records) {
    const row = planner.plan(record);
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
async function sendPhaseSeconds(journalPath: string): Promise<number> {
  const times = (await readFile(journalPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; at: string })
    .filter((r) => r.type === 'intent' || r.type === 'outcome')
    .map((r) => Date.parse(r.at));
  return (Math.max(...times) - Math.min(...times)) / 1000;
}

interface SubmitCase {
  name: string;
  file: string;
  args: string[];
  /** rows/s the latency allows at most: transfers in flight / 50 ms. */
  bound: number;
}

/** Runs `payouts run` on a case's file against the standalone simulator at `url`; its batch id. */
async function runCase(c: SubmitCase, url: string, work: string): Promise<string> {
  const batchId = `b-${randomUUID()}`;
  const env = { DWOLLA_KEY: SIMULATOR.key, DWOLLA_SECRET: SIMULATOR.secret };
  const args = ['run', c.file, '--api-url', url, '--out', join(work, 'out'), '--batch-id', batchId];
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const run = spawn(process.execPath, [CLI, ...args, '--log-level', 'warn', ...c.args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    run.on('error', reject);
    run.on('close', resolvePromise);
  });
  if (code !== 0) {
    throw new Error(`run exited ${code}`);
  }
  return batchId;
}

/** Runs one case and prints its line: the whole command's rate, the send phase's, and both against the bound. */
async function measureCase(c: SubmitCase, url: string, work: string, rows: number): Promise<void> {
  const started = process.hrtime.bigint();
  const batchId = await runCase(c, url, work);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = rows / seconds;
  const sendRate = rows / (await sendPhaseSeconds(join(work, 'out', batchId, 'journal.jsonl')));
  console.log(
    `${c.name.padEnd(36)} | ${fmt(seconds, 1).padStart(7)} | ${fmt(rate, 1).padStart(6)} | ${fmt(sendRate, 1).padStart(11)} | ${fmt(c.bound).padStart(12)} | ${fmt((100 * rate) / c.bound)}% / ${fmt((100 * sendRate) / c.bound)}%`,
  );
}

/** The two payee files of the submit section: rows from 4 bank sources, and rows from the balance. */
async function submitCases(work: string, rows: number): Promise<SubmitCase[]> {
  const bankFile = join(work, 'bank.csv');
  const bankSources = Array.from({ length: 4 }, () => randomUUID());
  await generatePayees(bankFile, rows, { bankSource: (i) => bankSources[i % bankSources.length] });
  const balanceFile = join(work, 'balance.csv');
  await generatePayees(balanceFile, rows);
  return [
    { name: '4 bank sources, --concurrency 16', file: bankFile, args: ['--concurrency', '16'], bound: 16 / 0.05 },
    {
      name: 'one balance source, --concurrency 16',
      file: balanceFile,
      args: ['--concurrency', '16', '--source', SIMULATOR.defaultSourceId],
      bound: 1 / 0.05,
    },
  ];
}

async function submitSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  const { url, child } = await startSimulatorChild(['--latency', '50']);
  const rows = 2000;
  try {
    const cases = await submitCases(work, rows);
    console.log(`payouts run against a standalone simulator (${url}) with 50 ms latency, ${fmt(rows)} rows each`);
    console.log('case                                 | seconds | rows/s | send rows/s | bound rows/s | of bound');
    for (const c of cases) {
      await measureCase(c, url, work, rows);
    }
    console.log(
      'target: at least 85% of each bound. rows/s: the whole command (start-up, planning, preflight, report); send rows/s: first intent to last outcome in the journal',
    );
    const bankFile = cases[0]!.file;
    const withSync = await submitInProcess(url, bankFile, work, true);
    const withoutSync = await submitInProcess(url, bankFile, work, false);
    console.log(
      `journal cost (submitter alone, bank sources, concurrency 16): ${fmt(withSync, 1)} rows/s with fsync, ${fmt(withoutSync, 1)} rows/s without`,
    );
  } finally {
    child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

const SECTIONS: Record<string, () => Promise<void>> = { 'dry-run': dryRunSection, submit: submitSection };

const wanted = process.argv.slice(2);
for (const [name, section] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) {
    continue;
  }
  console.log(`\n== ${name} ==`);
  await section();
}
