/**
 * `payouts reconcile BATCH_ID`: refreshes the status of every transfer the batch created, following
 * its chain to the leg that reaches the payee, with any leg's ACH return and the fee transfers
 * (src/batch/transfer-chain.ts); appends what it learnt to the journal and rewrites results.csv
 * with `transferStatus`, `returnCode` and `returnReason` after `errorMessage`. Safe to run any
 * number of times. Exit: 3 when some transfer could not be read (run again), else 1 when a row
 * needs a person (failed, cancelled or not-found, or a failed or cancelled fee), else 0.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { callFailure } from '../dwolla/retry.js';
import type { TransferStatus } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import { writeFileAtomic } from '../results/atomic-file.js';
import { guardCell, RECONCILE_COLUMNS, RESULT_COLUMNS, type ReconcileColumn } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { UTF8_BOM } from '../results/writer.js';
import { type ApiAccess, accessApi } from './api-connection.js';
import { batchFiles } from './batch-folder.js';
import { type BatchPlace, placeBatch } from './batch-place.js';
import { BatchStateError } from './errors.js';
import { Journal, type KeyState, type ReconcileRecord, readJournal } from './journal.js';
import { acquireBatchLock } from './lock.js';
import type { ReconcileSettings } from './settings.js';
import { apiIdentity } from './state-dir.js';
import { type ChainReader, needsAttention, readTransferFinding } from './transfer-chain.js';

/** A row's status after reconcile: its transfer's, or `not-found` (the API answered 404). */
type RowTransferStatus = ReconcileRecord['transferStatus'];

export interface ReconcileResult {
  /** Created transfers by the row's status (the leg that reaches the payee, or a failed leg). */
  byTransferStatus: Partial<Record<RowTransferStatus, number>>;
  /** Fee transfers by status. */
  feesByStatus: Partial<Record<TransferStatus, number>>;
  /** Rows that need a person: a transfer failed, cancelled or not found, or a fee failed or cancelled. */
  attention: number;
  /** Transfers whose status could not be fetched this time. */
  unknown: number;
  exitCode: number;
  resultsPath: string;
}

/** A row's reconcile columns: what the last reconcile learnt of its transfer (blank: nothing yet). */
export function reconcileCells(rec: ReconcileRecord | undefined): Record<ReconcileColumn, string> {
  return {
    transferStatus: rec?.transferStatus ?? '',
    returnCode: rec?.returnCode ?? '',
    returnReason: [rec?.returnReason, rec?.notFound].filter((t) => t).join('; '),
  };
}

/**
 * Rewrites results.csv with the reconcile columns after `errorMessage` (replacing them if an
 * earlier reconcile added them), matching rows by idempotency key. A UTF-8 BOM stays as the run
 * wrote it (there unless the run had --no-bom).
 */
async function addReconcileColumns(resultsPath: string, byKey: ReadonlyMap<string, KeyState>): Promise<void> {
  const text = await readFile(resultsPath, 'utf8');
  const bom = text.startsWith(UTF8_BOM) ? UTF8_BOM : '';
  const rows = parse(text, { bom: true, relax_column_count: true }) as string[][];
  const header = rows[0] ?? [];
  const base = RESULT_COLUMNS.length;
  if (RESULT_COLUMNS.some((c, i) => header[i] !== c)) {
    throw new BatchStateError('BATCH_CORRUPT', `${resultsPath} does not start with the results columns`);
  }
  const hadReconcile = RECONCILE_COLUMNS.every((c, i) => header[base + i] === c);
  const carriedFrom = base + (hadReconcile ? RECONCILE_COLUMNS.length : 0);
  const keyAt = RESULT_COLUMNS.indexOf('idempotencyKey');
  const out = rows.map((cells, i) => {
    const reconciled = i === 0 ? undefined : reconcileCells(byKey.get(cells[keyAt] ?? '')?.reconcile);
    const extra = reconciled ? RECONCILE_COLUMNS.map((c) => reconciled[c]) : [...RECONCILE_COLUMNS];
    return [...cells.slice(0, base), ...extra.map(guardCell), ...cells.slice(carriedFrom)];
  });
  await writeFileAtomic(resultsPath, `${bom}${stringify(out, { record_delimiter: 'unix' })}`);
}

export async function reconcileBatch(
  s: ReconcileSettings,
  deps: { log: Logger; say: (line: string) => void },
): Promise<ReconcileResult> {
  const api = apiIdentity(s);
  const access = await accessApi(s, api, deps);
  try {
    const place = await placeBatch(s, api, access.accountId, { write: true, say: deps.say });
    return await reconcilePlaced(s, deps, place, access);
  } finally {
    await access.close();
  }
}

async function reconcilePlaced(
  s: ReconcileSettings,
  deps: { log: Logger; say: (line: string) => void },
  place: BatchPlace,
  access: ApiAccess,
): Promise<ReconcileResult> {
  const journalPath = place.journal;
  const resultsPath = batchFiles(place.outputDir).results;
  if (!existsSync(journalPath)) {
    throw new UsageError(
      'USAGE',
      `no batch ${s.batchId} of ${place.api.label} (account ${place.accountId}) in ${s.stateDir}: run it first`,
    );
  }
  const lock = await acquireBatchLock(place.stateDir, {
    onTakeover: (prev) =>
      deps.say(
        `warning: took over the lock of batch ${s.batchId} left by a dead process (${prev ? `pid ${prev.pid}` : 'unreadable'})`,
      ),
  });
  try {
    const state = await readJournal(journalPath);
    const { client } = await access.session();
    const reader: ChainReader = { client, maxAttempts: s.maxAttempts, warn: (f, m) => deps.log.warn(f, m) };
    const tally = await reconcileCreated(state.byKey, reader, journalPath, s.concurrency, deps.log);
    if (existsSync(resultsPath)) {
      // The journal as it is now, with this reconcile's records.
      await addReconcileColumns(resultsPath, (await readJournal(journalPath)).byKey);
    }
    // SPEC "Exit codes": incomplete (run again) before attention before ok.
    const exitCode = tally.unknown > 0 ? EXIT.incomplete : tally.attention > 0 ? EXIT.attention : EXIT.ok;
    return { ...tally, exitCode, resultsPath };
  } finally {
    await lock.release();
  }
}

type Tally = Pick<ReconcileResult, 'byTransferStatus' | 'feesByStatus' | 'attention' | 'unknown'>;

function count<K extends string>(by: Partial<Record<K, number>>, k: K): void {
  by[k] = (by[k] ?? 0) + 1;
}

function countRecord(tally: Tally, rec: ReconcileRecord): void {
  count(tally.byTransferStatus, rec.transferStatus);
  for (const fee of rec.fees ?? []) {
    count(tally.feesByStatus, fee.status);
  }
  if (needsAttention(rec)) {
    tally.attention++;
  }
}

/** Keys whose transfers are read together: what is held at once, whatever the batch's size. */
const RECONCILE_CHUNK = 1024;

/**
 * Reads every created transfer (bounded concurrency) and journals what was learnt. A transfer that
 * could not be read keeps its earlier record. The keys' states stream from the journal, a chunk at
 * a time.
 */
async function reconcileCreated(
  byKey: ReadonlyMap<string, KeyState>,
  reader: ChainReader,
  journalPath: string,
  concurrency: number,
  log: Logger,
): Promise<Tally> {
  const tally: Tally = { byTransferStatus: {}, feesByStatus: {}, attention: 0, unknown: 0 };
  const journal = await Journal.open(journalPath);
  const one = async (key: string, ks: KeyState): Promise<void> => {
    const row = ks.outcome!.row;
    const transferId = ks.outcome!.transferId!;
    let rec: ReconcileRecord;
    try {
      rec = {
        type: 'reconcile',
        at: new Date().toISOString(),
        key,
        ...keepKnown(ks.reconcile, await readTransferFinding(reader, transferId)),
      };
    } catch (err) {
      tally.unknown++;
      log.warn({ row, key, transferId, error: callFailure(err).summary }, 'transfer status unknown');
      return;
    }
    await journal.append(rec);
    countRecord(tally, rec);
    log.info(
      { row, key, transferId, transferStatus: rec.transferStatus, returnCode: rec.returnCode, legs: rec.legs },
      'transfer reconciled',
    );
  };
  try {
    const limit = pLimit(concurrency);
    let chunk: Array<[string, KeyState]> = [];
    const readChunk = () => Promise.all(chunk.map(([key, ks]) => limit(() => one(key, ks))));
    for (const [key, ks] of byKey) {
      if (ks.outcome?.status === 'created' && ks.outcome.transferId) {
        chunk.push([key, ks]);
      }
      if (chunk.length === RECONCILE_CHUNK) {
        await readChunk();
        chunk = [];
      }
    }
    await readChunk();
  } finally {
    await journal.close();
  }
  return tally;
}

/**
 * A 404 for a transfer an earlier reconcile saw settle (processed, failed with a return, or
 * cancelled) does not erase what was learnt: the earlier finding stays, with the 404 noted beside
 * it (still a finding for a person). Otherwise the new finding.
 */
function keepKnown(
  earlier: ReconcileRecord | undefined,
  finding: Omit<ReconcileRecord, 'type' | 'at' | 'key'>,
): Omit<ReconcileRecord, 'type' | 'at' | 'key'> {
  if (finding.transferStatus !== 'not-found' || !earlier || ['not-found', 'pending'].includes(earlier.transferStatus)) {
    return finding;
  }
  const { type: _type, at: _at, key: _key, notFound: _old, ...known } = earlier;
  return { ...known, notFound: finding.returnReason ?? 'the API no longer knows the transfer' };
}
