/**
 * Helpers of the end-to-end `payouts run` tests (test/batch-run*.test.ts): payee files, the
 * arguments of a run against a simulator, the journal reader, and the count of transfers at the
 * simulator by correlationId. The CLI runner and the CSV reader are test/helpers.ts's.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { JournalDecoder } from '../../src/batch/journal.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import type { SimulatorHandle, SimulatorTransfer } from '../../src/simulator/index.js';

/** What the simulator accepts; any non-empty pair works, these are its documented ones. */
export const SIM_ENV = { DWOLLA_KEY: SIMULATOR.key, DWOLLA_SECRET: SIMULATOR.secret };
export const DEFAULT_SOURCE = SIMULATOR.defaultSourceId;

import type { CsvRow as Row } from '../helpers.js';

/** The simulator's seeded PRNG (mulberry32), so that a seeded trial is reproducible. */
export { seededRandom } from '../../src/simulator/faults.js';
export type { Row };

/** A UUID (v4 layout) from a PRNG, so a seeded trial's file is reproducible. */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface Payee {
  paymentId: string;
  destination: string;
  /** Two decimals. */
  amount: string;
  /** Empty: the default source (the simulator's balance). */
  source: string;
  name: string;
}

export interface PayeeOptions {
  /** Seeded PRNG; default Math.random. */
  random?: () => number;
  /** Fraction of rows (0..1) with a `source` column naming a bank (a random UUID). Default 0. */
  bankShare?: number;
  /** Distinct bank sources to draw from (fewer sources: a shorter preflight). Default: one per row. */
  bankPool?: number;
  /** Prefix of the paymentIds. Default "PAY". */
  prefix?: string;
}

/** `n` payees with unique paymentIds, random destinations and amounts. */
export function makePayees(n: number, opts: PayeeOptions = {}): Payee[] {
  const random = opts.random ?? Math.random;
  const prefix = opts.prefix ?? 'PAY';
  const newUuid = () => (opts.random ? uuidFrom(random) : randomUUID());
  const pool = opts.bankPool ? Array.from({ length: opts.bankPool }, newUuid) : undefined;
  const bank = () => (pool ? pool[Math.floor(random() * pool.length)]! : newUuid());
  return Array.from({ length: n }, (_, i) => {
    const cents = 100 + Math.floor(random() * 500_000);
    return {
      paymentId: `${prefix}-${String(i + 1).padStart(4, '0')}`,
      destination: newUuid(),
      amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      source: random() < (opts.bankShare ?? 0) ? bank() : '',
      name: `Payee ${i + 1}`,
    };
  });
}

export function payeesCsv(payees: readonly Payee[]): string {
  const lines = ['paymentId,destination,amount,source,name'];
  for (const p of payees) {
    lines.push([p.paymentId, p.destination, p.amount, p.source, p.name].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export async function writePayees(dir: string, name: string, payees: readonly Payee[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, payeesCsv(payees));
  return path;
}

export async function readJournalLines(path: string): Promise<Array<Record<string, unknown>>> {
  if (!existsSync(path)) {
    return [];
  }
  const text = await readFile(path, 'utf8');
  const out: Array<Record<string, unknown>> = [];
  // The records as the program sees them (the compact lines decoded: src/batch/journal-format.ts).
  const decoder = new JournalDecoder();
  for (const line of text.split('\n')) {
    if (line === '') {
      continue;
    }
    try {
      out.push(decoder.decode(line) as unknown as Record<string, unknown>);
    } catch {
      // a torn last line (the writer was killed mid-write)
    }
  }
  return out;
}

/** Outcome records in the journal so far. */
export async function countOutcomes(journalPath: string): Promise<number> {
  return (await readJournalLines(journalPath)).filter((r) => r.type === 'outcome').length;
}

/** Polls `check` every 20 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The arguments of a real run of `file` against the simulator `sim` (its balance as the default source), into `out`. */
export function runArgs(file: string, sim: SimulatorHandle, out: string, extra: string[] = []): string[] {
  const quiet = extra.includes('--log-level') ? [] : ['--log-level', 'warn'];
  return ['run', file, '--api-url', sim.url, '--source', DEFAULT_SOURCE, '--out', out, ...quiet, ...extra];
}

/** The simulator's transfers grouped by correlationId. */
export function transfersByCorrelationId(sim: SimulatorHandle): Map<string, SimulatorTransfer[]> {
  const by = new Map<string, SimulatorTransfer[]>();
  for (const t of sim.transfers()) {
    const id = t.correlationId ?? '';
    by.set(id, [...(by.get(id) ?? []), t]);
  }
  return by;
}

function fundingSourceId(href: string | undefined): string | undefined {
  return href?.split('/').pop()?.toLowerCase();
}

/**
 * The safety property: the simulator holds exactly one transfer per payee (found by the
 * correlationId results.csv names for the row), with the row's destination, amount and source,
 * and nothing else; results.csv says `created` for every row, with that transfer's id.
 */
export function expectExactlyOnce(sim: SimulatorHandle, payees: readonly Payee[], results: readonly Row[]): void {
  expect(
    results.map((r) => r.paymentId),
    'results rows in input order',
  ).to.deep.equal(payees.map((p) => p.paymentId));
  const by = transfersByCorrelationId(sim);
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (const [i, p] of payees.entries()) {
    const r = results[i]!;
    const found = by.get(r.correlationId!) ?? [];
    if (found.length === 0) {
      missing.push(p.paymentId);
    }
    if (found.length > 1) {
      duplicated.push(`${p.paymentId} x${found.length}`);
    }
    if (found.length !== 1) {
      continue;
    }
    const t = found[0]!;
    expect(t.amount.value, `${p.paymentId} amount`).to.equal(p.amount);
    expect(fundingSourceId(t._links['destination-funding-source']?.href), `${p.paymentId} destination`).to.equal(
      p.destination.toLowerCase(),
    );
    expect(fundingSourceId(t._links['source-funding-source']?.href), `${p.paymentId} source`).to.equal(
      (p.source || DEFAULT_SOURCE).toLowerCase(),
    );
    expect(t.idempotencyKey, `${p.paymentId} key`).to.equal(r.idempotencyKey);
    expect(r.transferId, `${p.paymentId} transferId`).to.equal(t.id);
  }
  expect(duplicated, 'rows paid more than once').to.deep.equal([]);
  expect(missing, 'rows never paid').to.deep.equal([]);
  expect(sim.transfers().length, 'transfers at the simulator').to.equal(payees.length);
  expect(sim.stats().duplicatesByCorrelationId, 'duplicatesByCorrelationId').to.equal(0);
  const notCreated = results
    .filter((r) => r.status !== 'created')
    .map((r) => `${r.paymentId}: ${r.status} ${r.errorCode ?? ''} ${r.errorMessage ?? ''}`);
  expect(notCreated, 'rows not created').to.deep.equal([]);
}

/**
 * Mass Payment mode's safety property: every payee paid exactly once (by its row's correlationId),
 * with its amount, by the transfer its row names; nothing else at the simulator. (An item's
 * transfer has no Idempotency-Key of its own, so `expectExactlyOnce` does not apply.)
 */
export function expectPaidOnce(
  sim: SimulatorHandle,
  payees: readonly Payee[],
  rows: ReadonlyArray<Record<string, string>>,
): void {
  const by = transfersByCorrelationId(sim);
  const wrong: string[] = [];
  for (const [i, p] of payees.entries()) {
    const r = rows[i]!;
    const found = by.get(r.correlationId!) ?? [];
    if (found.length !== 1 || found[0]!.amount.value !== p.amount || r.transferId !== found[0]!.id) {
      wrong.push(`${p.paymentId}: ${found.length} transfer(s), row ${r.status} ${r.transferId} ${r.errorMessage}`);
    }
  }
  expect(wrong, 'rows not paid exactly once').to.deep.equal([]);
  expect(sim.transfers(), 'transfers at the simulator').to.have.length(payees.length);
}
