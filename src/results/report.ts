/**
 * A batch's report, the same step for the dry run (plan.csv and plan.json) and the real run
 * (results.csv and summary.json): the file is streamed again and planned, every row gets one
 * line, in input order, and is counted; then the summary of those counts. Both files are written
 * atomically, the lines first: a report that fails leaves the earlier one as it was.
 */

import type { PayeeCsv } from '../input/csv-reader.js';
import type { InvalidRow, Planner, ValidRow } from '../plan/planner.js';
import { type BytesSink, writeFileAtomic } from './atomic-file.js';
import type { RowStatus } from './columns.js';
import {
  carriedCells,
  carriedColumns,
  type OutcomeCells,
  type PaidCells,
  reportInvalid,
  reportTotal,
  validResult,
} from './rows.js';
import { type NeedsAPerson, type Summary, Tally } from './tally.js';
import { ResultsWriter } from './writer.js';

/** How a valid row is reported. Not changed by the report: one may serve many rows. */
export interface ReportedRow {
  status: RowStatus;
  /** Its clearing, its transfer or why it failed. */
  shown?: OutcomeCells;
  /** Cells of the extra columns. */
  extra?: Partial<Record<string, string>>;
  /** Counted among the summary's Same Day rows. */
  sameDay: boolean;
  /** What was actually paid, when it differs from what the file now says (a row changed after it was paid). */
  paid?: PaidCells;
}

interface ReportSpec {
  /** The file, opened for this report: its records are read here. */
  csv: PayeeCsv;
  /** A planner for this pass over `csv`. */
  planner: Planner;
  linesPath: string;
  summaryPath: string;
  /** The statuses the summary lists, even when no row has them. */
  statuses: readonly RowStatus[];
  /** Columns after the results ones, before the carried ones (reconcile's). */
  extraColumns?: readonly string[];
  /** Start the file with a UTF-8 BOM, for Excel (default: true; --no-bom: false). */
  bom?: boolean | undefined;
  /** Sees every byte of the lines' file as it is written. */
  linesSink?: BytesSink;
  describe: (row: ValidRow) => ReportedRow;
  /** Called after an invalid row's line is written. */
  onInvalid?: (row: InvalidRow) => void;
  /** Collects the rows that need a person (invalid, failed, review) as their lines are written. */
  people?: NeedsAPerson;
  /** The summary, once every row is counted; throwing abandons the report. */
  summarize: (tally: Tally) => Summary;
}

/** What NeedsAPerson reads of an invalid row: its line of the results, as reportInvalid writes it. */
function personLine(row: InvalidRow) {
  const { paymentId, amount, destination } = row.given;
  return {
    row: row.line,
    status: 'invalid' as const,
    paymentId,
    amount,
    destination,
    errorMessage: row.errors.join('; '),
  };
}

/**
 * Writes the lines, then the summary; resolves with the summary. Each atomic write first removes
 * what an earlier write of its file left when its process was killed mid-write (its temp files).
 */
export async function writeReport(spec: ReportSpec): Promise<Summary> {
  const { csv, planner, describe } = spec;
  const carriedNames = carriedColumns(csv.header).map((c) => c.name);
  const writer = await ResultsWriter.create(spec.linesPath, carriedNames, spec.extraColumns, {
    bom: spec.bom,
    sink: spec.linesSink,
  });
  const tally = new Tally(spec.statuses);
  try {
    for await (const rows of planner.rowBatches(csv.batches)) {
      for (const row of rows) {
        if (row.status === 'total') {
          reportTotal(writer, tally, csv.header, row);
          continue;
        }
        if (row.status === 'invalid') {
          reportInvalid(writer, tally, csv.header, row);
          spec.people?.add(personLine(row));
          spec.onInvalid?.(row);
          continue;
        }
        const reported = describe(row);
        const line = validResult(row, reported.status, reported.shown, reported.paid);
        writer.add(line, carriedCells(csv.header, row), reported.extra);
        spec.people?.add(line);
        tally.add(reported.status, reported.paid?.amountCents ?? row.payment.amountCents, reported.sameDay);
      }
      await writer.flushIfFull();
    }
    const summary = spec.summarize(tally);
    await writer.commit();
    await writeSummary(spec.summaryPath, summary);
    return summary;
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * Writes summary.json (or plan.json) atomically; like every atomic write, it first removes the
 * temp files a killed earlier write of it left (src/results/atomic-file.ts).
 */
export async function writeSummary(path: string, summary: Summary): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(summary, null, 2)}\n`);
}
