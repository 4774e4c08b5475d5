/**
 * `payouts reconcile BATCH_ID`: refreshes the status of every transfer the batch created
 * (`GET /transfers/{id}`) and, for failed ones, the ACH return (`GET /transfers/{id}/failure`);
 * appends what it learnt to the journal and rewrites results.csv with `transferStatus`,
 * `returnCode` and `returnReason` after `errorMessage`. Safe to run any number of times.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { DwollaClient } from '../dwolla/client.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import type { TransferStatus } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import { writeFileAtomic } from '../results/atomic-file.js';
import { guardCell, RECONCILE_COLUMNS, RESULT_COLUMNS, type ReconcileColumn } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { type ApiAccess, accessApi } from './api-connection.js';
import { batchFiles } from './batch-folder.js';
import { type BatchPlace, placeBatch } from './batch-place.js';
import { BatchStateError } from './errors.js';
import { Journal, type KeyState, type ReconcileRecord, readJournal } from './journal.js';
import { acquireBatchLock } from './lock.js';
import type { ReconcileSettings } from './settings.js';
import { apiIdentity } from './state-dir.js';

export interface ReconcileResult {
  byTransferStatus: Partial<Record<TransferStatus, number>>;
  /** Transfers whose status could not be fetched this time. */
  unknown: number;
  exitCode: number;
  resultsPath: string;
}

/** Fetches one transfer's status (and its return when failed) as a journal record. */
async function refresh(
  client: DwollaClient,
  key: string,
  transferId: string,
  maxAttempts: number,
): Promise<ReconcileRecord> {
  const { value: transfer } = await withRetries(() => client.getTransfer(transferId), { maxAttempts });
  const rec: ReconcileRecord = {
    type: 'reconcile',
    at: new Date().toISOString(),
    key,
    transferStatus: transfer.status,
  };
  if (transfer.status === 'failed') {
    const { value: failure } = await withRetries(() => client.getTransferFailure(transferId), { maxAttempts });
    rec.returnCode = failure.code;
    rec.returnReason = failure.description;
  }
  return rec;
}

/** A row's reconcile columns: what the last reconcile learnt of its transfer (blank: nothing yet). */
export function reconcileCells(rec: ReconcileRecord | undefined): Record<ReconcileColumn, string> {
  return {
    transferStatus: rec?.transferStatus ?? '',
    returnCode: rec?.returnCode ?? '',
    returnReason: rec?.returnReason ?? '',
  };
}

/**
 * Rewrites results.csv with the reconcile columns after `errorMessage` (replacing them if an
 * earlier reconcile added them), matching rows by idempotency key.
 */
async function addReconcileColumns(resultsPath: string, byKey: ReadonlyMap<string, KeyState>): Promise<void> {
  const rows = parse(await readFile(resultsPath, 'utf8'), { relax_column_count: true }) as string[][];
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
  await writeFileAtomic(resultsPath, stringify(out, { record_delimiter: 'unix' }));
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
    const created = [...state.byKey.entries()].filter(
      ([, ks]) => ks.outcome?.status === 'created' && ks.outcome.transferId,
    );
    const { client } = await access.session();
    const journal = await Journal.open(journalPath);
    const byTransferStatus: ReconcileResult['byTransferStatus'] = {};
    let unknown = 0;
    try {
      const limit = pLimit(s.concurrency);
      await Promise.all(
        created.map(([key, ks]) =>
          limit(async () => {
            try {
              const rec = await refresh(client, key, ks.outcome!.transferId!, s.maxAttempts);
              await journal.append(rec);
              ks.reconcile = rec;
              byTransferStatus[rec.transferStatus] = (byTransferStatus[rec.transferStatus] ?? 0) + 1;
              deps.log.info(
                {
                  row: ks.outcome!.row,
                  key,
                  transferId: ks.outcome!.transferId,
                  transferStatus: rec.transferStatus,
                  returnCode: rec.returnCode,
                },
                'transfer reconciled',
              );
            } catch (err) {
              unknown++;
              const why = callFailure(err).summary;
              deps.log.warn(
                { row: ks.outcome!.row, key, transferId: ks.outcome!.transferId, error: why },
                'transfer status unknown',
              );
            }
          }),
        ),
      );
    } finally {
      await journal.close();
    }
    if (existsSync(resultsPath)) {
      await addReconcileColumns(resultsPath, state.byKey);
    }
    const needsAttention = (byTransferStatus.failed ?? 0) + (byTransferStatus.cancelled ?? 0) > 0;
    const exitCode = unknown > 0 ? EXIT.incomplete : needsAttention ? EXIT.attention : EXIT.ok;
    return { byTransferStatus, unknown, exitCode, resultsPath };
  } finally {
    await lock.release();
  }
}
