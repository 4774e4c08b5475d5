/**
 * `payouts run FILE` for real: lock the batch → read and plan the whole file (nothing is sent
 * if it cannot be read) → check the journal → preflight the sources → submit → report.
 * results.csv and summary.json always describe the whole batch, in input order.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DwollaClient } from '../dwolla/client.js';
import { type CsvHeader, type CsvRecord, openPayeeCsv } from '../input/csv-reader.js';
import { UsageError } from '../input/usage-error.js';
import { Planner, type ValidRow } from '../plan/planner.js';
import { writeFileAtomic } from '../results/atomic-file.js';
import { RECONCILE_COLUMNS, type RowStatus, RUN_STATUSES } from '../results/columns.js';
import { carriedCells, reportInvalid, validResult } from '../results/rows.js';
import { type Summary, Tally } from '../results/tally.js';
import { ResultsWriter } from '../results/writer.js';
import { openApi } from './api-connection.js';
import { BatchStateError } from './errors.js';
import {
  Journal,
  JournalCorruptError,
  type JournalState,
  type KeyState,
  type ReconcileRecord,
  readJournal,
} from './journal.js';
import { acquireBatchLock } from './lock.js';
import { preflightSources } from './preflight.js';
import type { RunSettings } from './settings.js';
import { type RowOutcome, type RowToSend, Submitter } from './submit.js';

export interface BatchRunDeps {
  log: Logger;
  clock: () => Date;
  /** Human messages (the embedded simulator notice, warnings). */
  say: (line: string) => void;
  /** Called as rows settle: progress display. */
  onProgress?: (done: number, total: number) => void;
  /** Registers the function that stops the run (signals). */
  onStoppable?: (stop: () => void) => void;
  /** Retry waits, injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface BatchRunResult {
  summary: Summary;
  resultsPath: string;
  simulated: boolean;
}

/** The status a valid row shows: created in any run wins; else this run's outcome; else not attempted. */
function statusOf(
  own: RowOutcome | undefined,
  journalled: KeyState | undefined,
): { status: RowStatus; outcome: Partial<RowOutcome> } {
  const earlier = journalled?.outcome;
  if (earlier?.status === 'created') {
    return { status: 'created', outcome: earlier };
  }
  if (own) {
    return { status: own.status, outcome: own };
  }
  return { status: 'pending', outcome: {} };
}

/** SPEC's order: 3 (incomplete, or stopped by a signal) before 1 before 0; 4 and 2 end a run earlier. */
function exitCodeOf(tally: Tally, stopped: boolean): number {
  if (stopped || tally.count('unresolved') || tally.count('pending')) {
    return 3;
  }
  if (tally.count('invalid') || tally.count('failed')) {
    return 1;
  }
  return 0;
}

export async function batchRun(s: RunSettings, deps: BatchRunDeps): Promise<BatchRunResult> {
  const { log, clock, say } = deps;
  const startedAt = clock();
  const madeDir = (await mkdir(s.batchDir, { recursive: true })) !== undefined;
  const runId = randomUUID();
  const lock = await acquireBatchLock(s.batchDir, {
    runId,
    onTakeover: (prev) => {
      const who = prev ? `pid ${prev.pid} on ${prev.host}, started ${prev.startedAt}` : 'an unreadable lock';
      say(`warning: took over the lock of batch ${s.batchId} left by a run that is no longer alive (${who})`);
      log.warn({ batchId: s.batchId, previous: prev }, 'stale batch lock taken over');
    },
  });
  try {
    // 1. Read and plan the whole file before anything is sent.
    let header: CsvHeader;
    let digest: string;
    const toPlan: ValidRow[] = [];
    try {
      const first = await openPayeeCsv(s.file);
      header = first.header;
      const planner = new Planner(header, s);
      for await (const record of first.records) {
        const row = planner.plan(record);
        if (row.status === 'valid') {
          toPlan.push(row);
        }
      }
      digest = first.digest();
    } catch (err) {
      if (madeDir) {
        await lock.release();
        await rmdir(s.batchDir).catch(() => undefined);
      }
      throw err;
    }

    // 2. The journal: what earlier runs did, and whether this is the same file.
    const journalPath = join(s.batchDir, 'journal.jsonl');
    let state: JournalState;
    try {
      state = await readJournal(journalPath);
    } catch (err) {
      if (err instanceof JournalCorruptError) {
        throw new BatchStateError(
          'BATCH_CORRUPT',
          `the journal ${journalPath} is damaged at line ${err.line}: ${err.message}`,
        );
      }
      throw err;
    }
    if (state.lastDigest !== undefined && state.lastDigest !== digest && !s.resume) {
      throw new BatchStateError(
        'BATCH_INPUT_CHANGED',
        `batch ${s.batchId} was run with a different ${s.file} (it has changed since). Run again with --resume to continue that batch with the edited file (rows already created are not sent again), or with a new --batch-id to start a separate batch.`,
      );
    }
    const toSend: RowToSend[] = [];
    for (const row of toPlan) {
      const known = state.byKey.get(row.key);
      if (known?.outcome?.status === 'created') {
        continue;
      }
      toSend.push(known?.intent ? { row, earlierIntent: known.intent } : { row });
    }

    const journal = await Journal.open(journalPath);
    let outcomes = new Map<string, RowOutcome>();
    let stopped = false;
    try {
      await journal.append({
        type: 'run',
        at: startedAt.toISOString(),
        runId,
        pid: process.pid,
        host: hostname(),
        inputDigest: digest,
        inputFile: s.file,
        resume: s.resume,
      });
      log.info({ batchId: s.batchId, runId, valid: toPlan.length, toSend: toSend.length }, 'run started');

      // 3. Send.
      if (toSend.length) {
        const api = await openApi(s, say);
        const client = new DwollaClient({
          baseUrl: api.baseUrl,
          key: api.key,
          secret: api.secret,
          timeoutMs: s.timeoutMs,
          logger: log,
        });
        try {
          const retry = { maxAttempts: s.maxAttempts, ...(deps.sleep ? { sleep: deps.sleep } : {}) };
          const sources = await preflightSources(
            client,
            toSend.map((r) => r.row.payment.sourceId),
            retry,
            s.concurrency,
          );
          const submitter = new Submitter(
            { client, journal, log, clock, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
            s,
            sources,
          );
          deps.onStoppable?.(() => submitter.stop());
          let done = 0;
          outcomes = await submitter.submitAll(toSend, () => deps.onProgress?.(++done, toSend.length));
          stopped = submitter.stopped;
        } finally {
          client.close();
          await api.close();
        }
      }
    } finally {
      await journal.close();
    }

    // 4. Report: the whole batch, in input order, from the file again, what the journal said
    // before this run, and this run's outcomes.
    const resultsPath = join(s.batchDir, 'results.csv');
    const again = await openPayeeCsv(s.file);
    // Once reconcile has run on the batch, results keep its columns.
    const reconciled = [...state.byKey.values()].some((k) => k.reconcile);
    const writer = await ResultsWriter.create(
      resultsPath,
      again.header.carried.map((c) => c.name),
      reconciled ? RECONCILE_COLUMNS : [],
    );
    const tally = new Tally(RUN_STATUSES);
    try {
      await reportRows(again.header, again.records, new Planner(again.header, s), writer, tally, (row) => {
        const journalled = state.byKey.get(row.key);
        return { ...statusOf(outcomes.get(row.key), journalled), reconcile: journalled?.reconcile };
      });
      if (again.digest() !== digest) {
        throw new UsageError(
          'INPUT_UNREADABLE',
          `${s.file} changed while the batch was running; run the same command again (with --resume) to report on the edited file`,
        );
      }
      const exitCode = exitCodeOf(tally, stopped);
      const summary = tally.summary({
        batchId: s.batchId,
        inputDigest: digest,
        startedAt: startedAt.toISOString(),
        finishedAt: clock().toISOString(),
        exitCode,
      });
      await writer.commit();
      await writeFileAtomic(join(s.batchDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
      log.info({ batchId: s.batchId, exitCode, byStatus: summary.byStatus }, 'run finished');
      return { summary, resultsPath, simulated: s.apiUrl === undefined };
    } catch (err) {
      await writer.abort();
      throw err;
    }
  } finally {
    await lock.release();
  }
}

async function reportRows(
  header: CsvHeader,
  records: AsyncIterable<CsvRecord>,
  planner: Planner,
  writer: ResultsWriter,
  tally: Tally,
  statusOfRow: (row: ValidRow) => {
    status: RowStatus;
    outcome: Partial<RowOutcome>;
    reconcile: ReconcileRecord | undefined;
  },
): Promise<void> {
  for await (const record of records) {
    const row = planner.plan(record);
    if (row.status === 'invalid') {
      await reportInvalid(writer, tally, header, row);
      continue;
    }
    const { status, outcome, reconcile } = statusOfRow(row);
    const clearing = outcome.clearing
      ? { clearing: outcome.clearing, sameDayCutoff: outcome.sameDayCutoff, fundsAvailableBy: outcome.fundsAvailableBy }
      : undefined;
    const result = validResult(row, status, clearing);
    for (const f of ['transferId', 'transferUrl', 'attempts', 'httpStatus', 'errorCode', 'errorMessage'] as const) {
      const v = outcome[f];
      if (v !== undefined && !(f === 'attempts' && status === 'pending')) {
        result[f] = v;
      }
    }
    const extra = reconcile
      ? {
          transferStatus: reconcile.transferStatus,
          returnCode: reconcile.returnCode ?? '',
          returnReason: reconcile.returnReason ?? '',
        }
      : {};
    await writer.write(result, carriedCells(header, row), extra);
    tally.add(status, row.payment.amountCents, status === 'created' && outcome.clearing === 'same-day');
  }
}
