/**
 * `payouts run FILE --dry-run`: read → validate → plan, and report to OUT/BATCH_ID/plan.csv and
 * plan.json. No network, no credentials, no journal; a batch's results.csv, summary.json and
 * journal are never touched.
 */
import type { Logger } from 'pino';
import { openPayeeCsv } from '../input/csv-reader.js';
import type { ClearingPolicy } from '../input/validation.js';
import { clearingColumns, decideClearing, SAME_DAY_LIMIT_CENTS } from '../plan/clearing.js';
import { Planner } from '../plan/planner.js';
import { PLAN_STATUSES } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { type ReportedRow, writeReport } from '../results/report.js';
import type { Summary } from '../results/tally.js';
import { batchFiles, makeBatchFolder } from './batch-folder.js';
import type { RunSettings } from './settings.js';

export interface DryRunOutcome {
  summary: Summary;
  planPath: string;
}

/**
 * How a valid row is planned at one instant. Clearing at one instant depends on the amount only
 * through the Same Day limit, so a dry run, which plans every row at the same instant, has at
 * most six distinct answers.
 */
function plannedAt(now: Date, marginMinutes: number) {
  const memo = new Map<string, ReportedRow>();
  return (policy: ClearingPolicy, amountCents: number): ReportedRow => {
    const memoKey = `${policy}:${amountCents > SAME_DAY_LIMIT_CENTS}`;
    let planned = memo.get(memoKey);
    if (!planned) {
      const cols = clearingColumns(decideClearing({ now, policy, amountCents, cutoffMarginMinutes: marginMinutes }));
      planned = { status: 'planned', shown: cols, sameDay: cols.clearing === 'same-day' };
      memo.set(memoKey, planned);
    }
    return planned;
  };
}

export async function dryRun(s: RunSettings, clock: () => Date, log: Logger): Promise<DryRunOutcome> {
  const startedAt = clock();
  const csv = await openPayeeCsv(s.file);
  const now = s.now ?? startedAt;
  const folder = await makeBatchFolder(s.batchDir);
  const files = batchFiles(s.batchDir);
  const planned = plannedAt(now, s.cutoffMarginMinutes);
  log.info({ batchId: s.batchId, file: s.file, now: now.toISOString() }, 'dry run started');
  try {
    const summary = await writeReport({
      csv,
      planner: new Planner(csv.header, s),
      linesPath: files.plan,
      summaryPath: files.planSummary,
      statuses: PLAN_STATUSES,
      describe: (row) => planned(row.payment.clearing ?? s.clearing, row.payment.amountCents),
      onInvalid: (row) => log.debug({ row: row.line, status: 'invalid', errors: row.errors }, 'row invalid'),
      summarize: (tally) =>
        tally.summary({
          batchId: s.batchId,
          inputDigest: csv.digest(),
          startedAt: startedAt.toISOString(),
          finishedAt: clock().toISOString(),
          exitCode: tally.count('invalid') > 0 ? EXIT.attention : EXIT.ok,
        }),
    });
    log.info({ batchId: s.batchId, rows: summary.rows, exitCode: summary.exitCode }, 'dry run finished');
    return { summary, planPath: files.plan };
  } catch (err) {
    await folder.discard();
    throw err;
  }
}
