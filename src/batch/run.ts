/**
 * `payouts run FILE` for real, in four steps under the batch's lock:
 *
 * 1. plan the batch: read, validate and plan the whole file; nothing is sent if it cannot be read;
 * 2. load its state: what earlier runs did, from the journal;
 * 3. send: preflight the sources, then submit the rows still to pay, journalling as it goes;
 * 4. write the results: results.csv and summary.json always describe the whole batch, in input
 *    order, from the file read again, the journal's state and this run's outcomes.
 */

import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { openPayeeCsv } from '../input/csv-reader.js';
import { UsageError } from '../input/usage-error.js';
import { CURRENT_KEY_VERSION, type KeyVersion } from '../plan/keys.js';
import { Planner, type ValidRow } from '../plan/planner.js';
import { RECONCILE_COLUMNS, RUN_STATUSES } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { type ReportedRow, writeReport } from '../results/report.js';
import { type Summary, summaryApi, type Tally, thisRunCounts } from '../results/tally.js';
import { type ApiAccess, accessApi } from './api-connection.js';
import { checkBalances } from './balance-preflight.js';
import { batchFiles } from './batch-folder.js';
import { type BatchPlace, claimOutputDir, placeBatch } from './batch-place.js';
import { loadBatchState, refuseByLedger } from './batch-state.js';
import { decideRows, type Held } from './decide-rows.js';
import { Journal, type JournalState, type KeyState } from './journal.js';
import { Ledger } from './ledger.js';
import { acquireBatchLock, type LockInfo } from './lock.js';
import type { RowOutcome } from './outcome.js';
import { preflightSources } from './preflight.js';
import { reconcileCells } from './reconcile.js';
import { RepeatChecks } from './repeat-checks.js';
import type { RunSettings } from './settings.js';
import { apiIdentity } from './state-dir.js';
import { type LedgerSink, type RowToSend, Submitter } from './submit.js';

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

/** The file as planned before anything is sent. */
interface BatchPlan {
  valid: ValidRow[];
  /** The file's digest: the same file must still be there when the results are written. */
  digest: string;
  /** The key version the rows were planned with: the batch's own. */
  keyVersion: KeyVersion;
}

/** What this run's sending did. */
interface Sent {
  /** Each attempted row's outcome, by key. */
  outcomes: ReadonlyMap<string, RowOutcome>;
  /** Stopped by a signal, a changed file or state that could not be written: some rows may not have been tried. */
  stopped: boolean;
}

export async function batchRun(s: RunSettings, deps: BatchRunDeps): Promise<BatchRunResult> {
  const startedAt = deps.clock();
  const runId = randomUUID();
  let plan = await planBatch(s, CURRENT_KEY_VERSION);
  const api = apiIdentity(s);
  const access = await accessApi(s, api, deps);
  try {
    const place = await placeBatch(s, api, access.accountId, { write: true, say: deps.say });
    const lock = await acquireBatchLock(place.stateDir, {
      runId,
      onTakeover: (prev) => sayTakenOver(s, deps, prev),
    });
    try {
      const state = await loadBatchState(s, place.journal, plan.digest);
      if (state.keyVersion !== undefined && state.keyVersion !== plan.keyVersion) {
        plan = await planBatch(s, state.keyVersion);
      }
      const ledger = Ledger.open(place.account.ledger);
      try {
        return await runLocked(s, deps, { runId, startedAt, plan, state, place, access, ledger });
      } finally {
        ledger.close();
      }
    } finally {
      await lock.release();
    }
  } finally {
    await access.close();
  }
}

function sayTakenOver(s: RunSettings, { say, log }: BatchRunDeps, prev: LockInfo | null): void {
  const who = prev ? `pid ${prev.pid} on ${prev.host}, started ${prev.startedAt}` : 'an unreadable lock';
  say(`warning: took over the lock of batch ${s.batchId} left by a run that is no longer alive (${who})`);
  log.warn({ batchId: s.batchId, previous: prev }, 'stale batch lock taken over');
}

/** Step 1. Reads and plans the whole file: its valid rows and its digest. Nothing is made if it cannot be read. */
async function planBatch(s: RunSettings, keyVersion: KeyVersion): Promise<BatchPlan> {
  const csv = await openPayeeCsv(s.file);
  const planner = new Planner(csv.header, { ...s, keyVersion });
  const valid: ValidRow[] = [];
  for await (const record of csv.records) {
    const row = planner.plan(record);
    if (row.status === 'valid') {
      valid.push(row);
    }
  }
  return { valid, digest: csv.digest(), keyVersion };
}

/** What the steps after the lock share. */
interface LockedRun {
  runId: string;
  startedAt: Date;
  plan: BatchPlan;
  state: JournalState;
  place: BatchPlace;
  access: ApiAccess;
  ledger: Ledger;
}

/**
 * Steps 2 to 4 under the lock: the batch-level refusals, each row's fate (created earlier, held
 * for review, to send), the sending, and the results.
 */
async function runLocked(s: RunSettings, deps: BatchRunDeps, run: LockedRun): Promise<BatchRunResult> {
  const { plan, state, ledger } = run;
  const now = s.now ?? deps.clock();
  refuseByLedger(s, ledger, state, { digest: plan.digest, now, journalPath: run.place.journal });
  // The keys in the file matter only to the check of edited rows of a batch that ran before.
  const keysInFile = new Set(state.byKey.size > 0 ? plan.valid.map((r) => r.key) : []);
  const checks = new RepeatChecks(ledger, { ...s, now }, state, keysInFile);
  const decisions = decideRows(plan.valid, state, checks);
  if (decisions.sourceless > 0) {
    throw new UsageError(
      'USAGE',
      `${decisions.sourceless} row(s) left to send name no source, and no default source is set: give --source or PAYOUTS_SOURCE (or a source column)`,
    );
  }
  const sent = await send(s, deps, { ...run, now }, decisions.toSend);
  return writeResults(s, deps, { ...run, sent, held: decisions.held, now });
}

/** Step 3. Journals this run's start, then sends the rows still to pay, if any. */
async function send(
  s: RunSettings,
  deps: BatchRunDeps,
  run: LockedRun & { now: Date },
  toSend: RowToSend[],
): Promise<Sent> {
  const { runId, plan } = run;
  const journal = await Journal.open(run.place.journal);
  try {
    await journal.append({
      type: 'run',
      at: run.startedAt.toISOString(),
      runId,
      pid: process.pid,
      host: hostname(),
      inputDigest: plan.digest,
      inputFile: s.file,
      resume: s.resume,
      keyVersion: plan.keyVersion,
    });
    run.ledger.recordRun({
      batchId: s.batchId,
      inputDigest: plan.digest,
      inputFile: s.file,
      keyVersion: plan.keyVersion,
      at: run.now.toISOString(),
    });
    deps.log.info({ batchId: s.batchId, runId, valid: plan.valid.length, toSend: toSend.length }, 'run started');
    return toSend.length
      ? await submitRows(s, deps, { journal, access: run.access, ledger: ledgerSink(run.ledger, s.batchId) }, toSend)
      : { outcomes: new Map(), stopped: false };
  } finally {
    // A journal that failed mid-run was reported (and stopped the run); the results still get written.
    await journal.close().catch((err: unknown) => deps.log.error({ err }, 'journal close failed'));
  }
}

/** Opens the API, checks the rows' sources and balances, then submits the rows. */
async function submitRows(
  s: RunSettings,
  deps: BatchRunDeps,
  { journal, access, ledger }: { journal: Journal; access: ApiAccess; ledger: LedgerSink },
  toSend: RowToSend[],
): Promise<Sent> {
  const { log, clock, sleep } = deps;
  const { client } = await access.session();
  const retry = { maxAttempts: s.maxAttempts, ...(sleep ? { sleep } : {}) };
  const sources = await preflightSources(
    client,
    // The sources rows are sent from, and those earlier intents were sent from (their lookups).
    toSend.flatMap((r) =>
      r.earlierIntent ? [r.row.payment.sourceId, r.earlierIntent.source] : [r.row.payment.sourceId],
    ),
    retry,
    s.concurrency,
  );
  const submitter = new Submitter({ client, journal, ledger, log, clock, ...(sleep ? { sleep } : {}) }, s, sources);
  deps.onStoppable?.(() => submitter.stop());
  // The input file changing under the run stops it: what was planned may no longer be what the file says.
  const watcher = watch(s.file, () => {
    deps.log.warn({ file: s.file }, 'input file changed: stopping');
    submitter.stop();
  });
  try {
    const outcomes = await checkBalances(client, submitter, sources, toSend, retry);
    let done = outcomes.size;
    const rest = done > 0 ? toSend.filter((r) => !outcomes.has(r.row.key)) : toSend;
    for (const [key, outcome] of await submitter.submitAll(rest, () => deps.onProgress?.(++done, toSend.length))) {
      outcomes.set(key, outcome);
    }
    if (submitter.stateFailure) {
      deps.say(
        `error: the state could not be written (${submitter.stateFailure}): sending stopped; nothing was sent without a durable intent. Fix it and run the same command again.`,
      );
    }
    return { outcomes, stopped: submitter.stopped };
  } finally {
    watcher.close();
  }
}

/**
 * Step 4. results.csv and summary.json: the file streamed again, each valid row joined with what
 * the journal said before this run and this run's outcome.
 */
async function writeResults(
  s: RunSettings,
  deps: BatchRunDeps,
  run: LockedRun & { sent: Sent; held: ReadonlyMap<string, Held>; now: Date },
): Promise<BatchRunResult> {
  const { state, sent, held } = run;
  await claimOutputDir(run.place);
  const files = batchFiles(run.place.outputDir);
  const csv = await openPayeeCsv(s.file);
  // Once reconcile has run on the batch, results keep its columns.
  const reconciled = [...state.byKey.values()].some((k) => k.reconcile);
  const summary = await writeReport({
    csv,
    planner: new Planner(csv.header, { ...s, keyVersion: run.plan.keyVersion }),
    linesPath: files.results,
    summaryPath: files.summary,
    statuses: RUN_STATUSES,
    extraColumns: reconciled ? RECONCILE_COLUMNS : [],
    describe: (row) => heldRow(held.get(row.key)) ?? reportedRow(sent.outcomes.get(row.key), state.byKey.get(row.key)),
    summarize: (tally) => {
      // A run that has sent anything never exits 2: the file changed under it, so the results
      // describe the file as it is now, and the run is incomplete.
      const changed = csv.digest() !== run.plan.digest;
      if (changed) {
        deps.say(
          `warning: ${s.file} changed while the batch was running: sending stopped. Run the same command again with --resume to continue with the edited file (nothing is paid twice).`,
        );
      }
      return tally.summary({
        batchId: s.batchId,
        inputDigest: run.plan.digest,
        startedAt: run.startedAt.toISOString(),
        finishedAt: deps.clock().toISOString(),
        thisRun: { ...thisRunCounts(sent.outcomes.values()), held: held.size },
        api: summaryApi(s.env, s.apiUrl),
        exitCode: changed ? EXIT.incomplete : exitCodeOf(tally, sent.stopped),
      });
    },
  });
  if (summary.exitCode === EXIT.ok || summary.exitCode === EXIT.attention) {
    run.ledger.markComplete(s.batchId, run.now.toISOString());
  }
  deps.log.info({ batchId: s.batchId, exitCode: summary.exitCode, byStatus: summary.byStatus }, 'run finished');
  return { summary, resultsPath: files.results, simulated: s.apiUrl === undefined };
}

/** A row held for a person: `review`, with why, and what was paid when it differs from the file. */
function heldRow(held: Held | undefined): ReportedRow | undefined {
  if (held === undefined) {
    return undefined;
  }
  return {
    status: 'review',
    shown: { errorMessage: held.reason },
    sameDay: false,
    ...(held.paid ? { paid: held.paid } : {}),
  };
}

/** The submitter's records of intents and outcomes into the ledger, for this batch. */
function ledgerSink(ledger: Ledger, batchId: string): LedgerSink {
  const payment = (row: ValidRow) => ({
    row: row.line,
    paymentId: row.payment.paymentId,
    destination: row.payment.destinationId,
    amountCents: row.payment.amountCents,
    correlationId: row.correlationId,
    source: row.payment.sourceId ?? '',
  });
  return {
    intent: (row, i) => ledger.recordIntent({ batchId, key: i.key, ...payment(row), at: i.at }),
    outcome: (row, o) =>
      ledger.recordOutcome({
        batchId,
        key: o.key,
        status: o.status,
        transferUrl: o.transferUrl,
        transferId: o.transferId,
        via: o.via,
        at: o.at,
        ...payment(row),
      }),
  };
}

/**
 * How a valid row is reported: created in any run wins; else this run's outcome; else not
 * attempted. A pending row shows why, not its attempts.
 */
function reportedRow(own: RowOutcome | undefined, journalled: KeyState | undefined): ReportedRow {
  const earlier = journalled?.outcome;
  const outcome = earlier?.status === 'created' ? earlier : own;
  const extra = journalled?.reconcile ? reconcileCells(journalled.reconcile) : undefined;
  if (outcome === undefined) {
    return { status: 'pending', extra, sameDay: false };
  }
  const { status } = outcome;
  return {
    status,
    shown: status === 'pending' ? { ...outcome, attempts: undefined } : outcome,
    extra,
    sameDay: status === 'created' && outcome.clearing === 'same-day',
  };
}

/** SPEC's order: incomplete (also when stopped by a signal) before attention before ok; locked and usage end a run earlier. */
function exitCodeOf(tally: Tally, stopped: boolean): number {
  if (stopped || tally.count('unresolved') || tally.count('pending')) {
    return EXIT.incomplete;
  }
  if (tally.count('invalid') || tally.count('failed') || tally.count('review')) {
    return EXIT.attention;
  }
  return EXIT.ok;
}
