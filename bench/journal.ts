/**
 * The journal's bench (issue 10, "The journal"): writes ROWS rows as a run journals them (a run
 * record with the API base, then each row's intent and its created outcome: Same Day clearing,
 * one source, the correlationId the key), then reads the journal back as a rerun does. Prints,
 * never asserts:
 *   bytes/row       the journal's size over the rows (the run record included)
 *   write s         appending them, 1,000 in flight, without fsync (the encoding's cost)
 *   load s          `readJournal`: the whole file streamed, the key index built
 *   index B/key     the key index's own bytes (table and columns) over the keys
 *   heap/RSS MB     after the load (heapUsed after a GC), and the peak RSS of the loading
 *                   process: the load runs in a child process of its own, as a rerun would
 *   states s        every key's state made once, streaming `byKey.values()` (what a rerun's
 *                   results and repeat checks read)
 * Usage: `node dist/bench/journal.js [ROWS]` (default 100,000), or `benchJournal(rows)`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalRecord, readJournal } from '../src/batch/journal.js';
import { KeyIndex } from '../src/batch/key-states.js';

export interface JournalBench {
  rows: number;
  bytesPerRow: number;
  writeSeconds: number;
  loadSeconds: number;
  indexBytesPerKey: number;
  heapMb: number;
  rssMb: number;
  /** The loading process's peak RSS (Node's own ~40 MB included). */
  peakRssMb: number;
  statesSeconds: number;
}

const API = 'https://api-sandbox.dwolla.com';
const SOURCE = 'b4d1c0de-0000-4000-8000-00000000ba1a';
const IN_FLIGHT = 1000;

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** Row `i`'s two records, at `t` ms (a Same Day window of 2026-12-02). */
function rowRecords(i: number, t: number): JournalRecord[] {
  const key = randomUUID();
  const transferId = randomUUID();
  const at = new Date(t).toISOString();
  const clearing = {
    clearing: 'same-day',
    sameDayCutoff: '2026-12-02T09:00:00-06:00',
    fundsAvailableBy: '2026-12-02T11:30:00-06:00',
  } as const;
  return [
    {
      type: 'intent',
      at,
      key,
      row: i + 2,
      correlationId: key,
      destination: randomUUID(),
      amountCents: 10_000 + (i % 90_000),
      source: SOURCE,
      ...clearing,
    },
    {
      type: 'outcome',
      at: new Date(t + 45).toISOString(),
      key,
      row: i + 2,
      status: 'created',
      attempts: 1,
      transferUrl: `${API}/transfers/${transferId}`,
      transferId,
      httpStatus: 201,
      ...clearing,
      via: 'post',
    },
  ];
}

async function writeRows(path: string, rows: number): Promise<void> {
  const journal = await Journal.open(path, { fsync: false });
  const start = Date.parse('2026-12-02T13:00:00.000Z');
  await journal.append({
    type: 'run',
    at: new Date(start).toISOString(),
    runId: randomUUID(),
    pid: process.pid,
    host: 'bench',
    inputDigest: 'bench',
    inputFile: 'bench.csv',
    resume: false,
    keyVersion: 'v2',
    apiBase: API,
  });
  for (let i = 0; i < rows; i += IN_FLIGHT) {
    const group: Array<Promise<void>> = [];
    for (let j = i; j < Math.min(rows, i + IN_FLIGHT); j++) {
      // intents go out together, then their outcomes: as rows in flight interleave
      const [intent, outcome] = rowRecords(j, start + j * 3);
      group.push(journal.append(intent!), journal.append(outcome!));
    }
    await Promise.all(group);
  }
  await journal.close();
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

type Loaded = Omit<JournalBench, 'rows' | 'bytesPerRow' | 'writeSeconds'>;

/** Loads the journal at `path` as a rerun does, then makes every key's state once. */
async function load(path: string, rows: number): Promise<Loaded> {
  let since = process.hrtime.bigint();
  const state = await readJournal(path);
  const loadSeconds = seconds(since);
  gc();
  const mem = process.memoryUsage();
  since = process.hrtime.bigint();
  let created = 0;
  for (const ks of state.byKey.values()) {
    created += ks.outcome?.status === 'created' ? 1 : 0;
  }
  if (created !== rows) {
    throw new Error(`read back ${created} created rows of ${rows}`);
  }
  return {
    loadSeconds,
    indexBytesPerKey: state.byKey instanceof KeyIndex ? state.byKey.bytes / state.byKey.size : Number.NaN,
    heapMb: mem.heapUsed / 2 ** 20,
    rssMb: mem.rss / 2 ** 20,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    statesSeconds: seconds(since),
  };
}

/** `load` in a process of its own (as a rerun is), so that the writing does not count in its memory. */
async function loadInChild(path: string, rows: number): Promise<Loaded> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--load', path, String(rows)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`the journal load exited ${code}`);
  }
  return JSON.parse(out) as Loaded;
}

export async function benchJournal(rows: number): Promise<JournalBench> {
  const dir = await mkdtemp(join(tmpdir(), 'payouts-bench-journal-'));
  try {
    const path = join(dir, 'journal.jsonl');
    const since = process.hrtime.bigint();
    await writeRows(path, rows);
    const writeSeconds = seconds(since);
    const { size } = await stat(path);
    return { rows, bytesPerRow: size / rows, writeSeconds, ...(await loadInChild(path, rows)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatJournalBench(b: JournalBench): string {
  return [
    `journal ${b.rows.toLocaleString('en-US')} rows:`,
    `${b.bytesPerRow.toFixed(0)} bytes/row,`,
    `write ${b.writeSeconds.toFixed(1)} s,`,
    `load ${b.loadSeconds.toFixed(2)} s,`,
    `index ${b.indexBytesPerKey.toFixed(1)} B/key,`,
    `heap ${b.heapMb.toFixed(0)} MB, RSS ${b.rssMb.toFixed(0)} MB after load (peak ${b.peakRssMb.toFixed(0)} MB),`,
    `all states ${b.statesSeconds.toFixed(1)} s`,
  ].join(' ');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--load') {
    console.log(JSON.stringify(await load(process.argv[3]!, Number(process.argv[4]))));
  } else {
    console.log(formatJournalBench(await benchJournal(Number(process.argv[2] ?? 100_000))));
  }
}
