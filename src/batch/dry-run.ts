/**
 * `payouts run FILE --dry-run`: read → validate → plan, and report to OUT/BATCH_ID/plan.csv and
 * plan.json. No network, no credentials, no journal; a batch's results.csv, summary.json and
 * journal are never touched.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openPayeeCsv } from '../input/csv-reader.js';
import type { ClearingPolicy } from '../input/validation.js';
import { type ClearingColumns, clearingColumns, decideClearing, SAME_DAY_LIMIT_CENTS } from '../plan/clearing.js';
import { Planner } from '../plan/planner.js';
import { writeFileAtomic } from '../results/atomic-file.js';
import { PLAN_STATUSES } from '../results/columns.js';
import { carriedCells, reportInvalid, validResult } from '../results/rows.js';
import { type Summary, Tally } from '../results/tally.js';
import { ResultsWriter } from '../results/writer.js';
import type { RunSettings } from './settings.js';

export interface DryRunOutcome {
  summary: Summary;
  planPath: string;
}

/**
 * Clearing at one instant depends on the amount only through the Same Day limit, so a dry run,
 * which plans every row at the same instant, has at most six distinct answers.
 */
function clearingAt(now: Date, marginMinutes: number) {
  const memo = new Map<string, ClearingColumns>();
  return (policy: ClearingPolicy, amountCents: number): ClearingColumns => {
    const memoKey = `${policy}:${amountCents > SAME_DAY_LIMIT_CENTS}`;
    let cols = memo.get(memoKey);
    if (!cols) {
      cols = clearingColumns(decideClearing({ now, policy, amountCents, cutoffMarginMinutes: marginMinutes }));
      memo.set(memoKey, cols);
    }
    return cols;
  };
}

async function makeDir(dir: string): Promise<boolean> {
  const made = await mkdir(dir, { recursive: true });
  return made !== undefined;
}

export async function dryRun(s: RunSettings, clock: () => Date, log: Logger): Promise<DryRunOutcome> {
  const startedAt = clock();
  const csv = await openPayeeCsv(s.file);
  const now = s.now ?? startedAt;
  const created = await makeDir(s.batchDir);
  const planPath = join(s.batchDir, 'plan.csv');
  const writer = await ResultsWriter.create(
    planPath,
    csv.header.carried.map((c) => c.name),
  );
  const tally = new Tally(PLAN_STATUSES);
  const clearing = clearingAt(now, s.cutoffMarginMinutes);
  log.info({ batchId: s.batchId, file: s.file, now: now.toISOString() }, 'dry run started');
  try {
    const planner = new Planner(csv.header, s);
    for await (const record of csv.records) {
      const row = planner.plan(record);
      if (row.status === 'invalid') {
        await reportInvalid(writer, tally, csv.header, row);
        log.debug({ row: row.line, status: 'invalid', errors: row.errors }, 'row invalid');
        continue;
      }
      const cols = clearing(row.payment.clearing ?? s.clearing, row.payment.amountCents);
      await writer.write(validResult(row, 'planned', cols), carriedCells(csv.header, row));
      tally.add('planned', row.payment.amountCents, cols.clearing === 'same-day');
    }
    const exitCode = tally.count('invalid') > 0 ? 1 : 0;
    const summary = tally.summary({
      batchId: s.batchId,
      inputDigest: csv.digest(),
      startedAt: startedAt.toISOString(),
      finishedAt: clock().toISOString(),
      exitCode,
    });
    await writer.commit();
    await writeFileAtomic(join(s.batchDir, 'plan.json'), `${JSON.stringify(summary, null, 2)}\n`);
    log.info({ batchId: s.batchId, rows: summary.rows, exitCode }, 'dry run finished');
    return { summary, planPath };
  } catch (err) {
    await writer.abort();
    if (created) {
      await rmdir(s.batchDir).catch(() => undefined);
    }
    throw err;
  }
}
