/**
 * A finished batch as a run would have left it, written without sending anything: the journal's
 * run record, then every valid row's intent and created outcome. For measuring (and testing) a
 * rerun of a large batch without first paying it through the simulator, which takes an hour at a
 * million rows. The transfers it names do not exist anywhere.
 */
import { Journal } from '../src/batch/journal.js';
import { openPayeeCsv } from '../src/input/csv-reader.js';
import { Planner, type ValidRow } from '../src/plan/planner.js';

/** Reads the whole file: its digest (the run record's inputDigest). */
async function digestOf(file: string): Promise<string> {
  const csv = await openPayeeCsv(file);
  for await (const _ of csv.records) {
    // read to the end: the digest covers the whole file
  }
  return csv.digest();
}

/** A created row's intent and outcome, as a run journals them. */
function journalled(journal: Journal, row: ValidRow, at: string, apiUrl: string): Array<Promise<void>> {
  const { key, line, payment, correlationId } = row;
  const transferId = `00000000-0000-4000-8000-${line.toString(16).padStart(12, '0')}`;
  return [
    journal.append({
      type: 'intent',
      at,
      key,
      row: line,
      correlationId,
      destination: payment.destinationId,
      amountCents: payment.amountCents,
      source: payment.sourceId ?? '',
      clearing: 'standard',
    }),
    journal.append({
      type: 'outcome',
      at,
      key,
      row: line,
      status: 'created',
      attempts: 1,
      transferUrl: `${apiUrl}/transfers/${transferId}`,
      transferId,
      httpStatus: 201,
      clearing: 'standard',
      via: 'post',
    }),
  ];
}

/** The transfer id the finished batch names for the row on `line`. */
export function finishedTransferId(line: number): string {
  return `00000000-0000-4000-8000-${line.toString(16).padStart(12, '0')}`;
}

/**
 * Writes the journal at `journalPath` of batch `batchId` (the file's valid rows all created at
 * `apiUrl`), planned with the default settings of `payouts run` (--max-amount 10000.00).
 */
export async function writeFinishedBatch(
  file: string,
  batchId: string,
  apiUrl: string,
  journalPath: string,
): Promise<void> {
  const digest = await digestOf(file);
  const csv = await openPayeeCsv(file);
  const planner = new Planner(csv.header, {
    batchId,
    maxAmountCents: 1_000_000,
    allowDuplicates: false,
    keyVersion: 'v2',
  });
  const journal = await Journal.open(journalPath);
  try {
    const at = new Date().toISOString();
    await journal.append({
      type: 'run',
      at,
      runId: 'finished-batch',
      pid: process.pid,
      host: 'bench',
      inputDigest: digest,
      inputFile: file,
      resume: false,
      keyVersion: 'v2',
      apiBase: apiUrl,
    });
    const pending: Array<Promise<void>> = [];
    for await (const row of planner.rows(csv.batches)) {
      if (row.status !== 'valid') {
        throw new Error(`row ${row.line} is invalid: a finished batch here has only valid rows`);
      }
      pending.push(...journalled(journal, row, at, apiUrl));
      if (pending.length >= 4000) {
        await Promise.all(pending.splice(0)); // appends made together are committed together
      }
    }
    await Promise.all(pending);
  } finally {
    await journal.close();
  }
}
