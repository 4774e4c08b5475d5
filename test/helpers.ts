/** Helpers shared by the tests: temp folders, CSV files, the planner over a real file, the built CLI. */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { accountState, apiIdentity, batchStateDir } from '../src/batch/state-dir.js';
import { SIMULATOR } from '../src/dwolla/types.js';
import { openPayeeCsv } from '../src/input/csv-reader.js';
import { type PlannedRow, type PlanSettings, planRows } from '../src/plan/planner.js';

export const ROOT = resolve(import.meta.dirname, '..');
/** The built CLI; PAYOUTS_TEST_DIST points the tests at another build folder (e.g. `.dist-mine`). */
const CLI = join(ROOT, process.env.PAYOUTS_TEST_DIST ?? 'dist', 'src', 'cli', 'main.js');

/** A temp folder removed after the current mocha suite. */
export async function tempDir(prefix = 'payouts-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function writeCsv(dir: string, name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

export const UUIDS = {
  a: '3f1c8a0e-5b6d-4e2f-9a7b-1c2d3e4f5a6b',
  b: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
  c: 'c0ffee00-1234-4abc-8def-0123456789ab',
  source: 'b4d1c0de-0000-4000-8000-00000000ba1a',
  customer: 'dddddddd-eeee-4fff-8aaa-bbbbbbbbbbbb',
};

const PLAN_DEFAULTS: PlanSettings = {
  batchId: 'test-batch',
  allowDuplicates: false,
  defaultSourceId: UUIDS.source,
  maxAmountCents: 1_000_000,
};

/** Plans a CSV text through the real reader (from a temp file) and the planner. */
export async function planCsv(text: string | Buffer, settings: Partial<PlanSettings> = {}): Promise<PlannedRow[]> {
  const dir = await tempDir();
  try {
    const csv = await openPayeeCsv(await writeCsv(dir, 'in.csv', text));
    const rows: PlannedRow[] = [];
    for await (const row of planRows(csv.header, csv.records, { ...PLAN_DEFAULTS, ...settings })) {
      rows.push(row);
    }
    return rows;
  } finally {
    await removeDir(dir);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Options of node itself, before the script (e.g. --max-old-space-size=64). */
  nodeArgs?: string[];
}

/** The built CLI the tests run; PAYOUTS_TEST_CLI points them at another build (e.g. a mutant). */
const TEST_CLI = process.env.PAYOUTS_TEST_CLI ?? CLI;

/** Starts the built CLI in a child process, to be awaited or signalled. */
export function startCli(args: string[], opts: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), TEST_CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the built CLI in a child process to its end. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

export type CsvRow = Record<string, string>;

/** A results, plan or payee CSV as objects keyed by its header (a UTF-8 BOM, as results.csv has, is skipped). */
export async function readCsvRows(path: string): Promise<CsvRow[]> {
  return parse(await readFile(path, 'utf8'), { bom: true, columns: true }) as CsvRow[];
}

/** A CSV's header and records as arrays of cells (a UTF-8 BOM is skipped). */
export async function readCsvCells(path: string): Promise<string[][]> {
  return parse(await readFile(path, 'utf8'), { bom: true, relax_column_count: true }) as string[][];
}

/**
 * A batch's state folder (journal.jsonl, lock) in this test's PAYOUTS_HOME: for the API at
 * `apiUrl` (a standalone simulator), or the embedded simulator when none is given. Call it inside
 * a test: each test has its own PAYOUTS_HOME (test/setup.ts).
 */
export function stateDirOf(batchId: string, apiUrl?: string): string {
  const home = process.env.PAYOUTS_HOME;
  if (!home) {
    throw new Error('PAYOUTS_HOME is not set (test/setup.ts sets it)');
  }
  const api = apiIdentity({ env: 'simulator', apiUrl });
  return batchStateDir(accountState(home, api, SIMULATOR.accountId), batchId);
}

/** A batch's journal in this test's PAYOUTS_HOME (see stateDirOf). */
export function journalOf(batchId: string, apiUrl?: string): string {
  return join(stateDirOf(batchId, apiUrl), 'journal.jsonl');
}
