/** Helpers shared by the tests: temp folders, CSV files, the planner over a real file, the built CLI. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openPayeeCsv } from '../src/csv-reader.js';
import { planRows, type PlannedRow, type PlanSettings } from '../src/plan.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

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

export const PLAN_DEFAULTS: PlanSettings = {
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
    for await (const row of planRows(csv.header, csv.records, { ...PLAN_DEFAULTS, ...settings })) rows.push(row);
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

/** Runs the built CLI in a child process. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
