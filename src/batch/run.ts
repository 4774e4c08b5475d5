/**
 * `payouts run FILE` for real, in four steps under the batch's lock. Memory stays flat however
 * long the file is: the file is streamed once per step and nothing is kept per row but a few
 * bytes (the keys of the file, the journal's index).
 *
 * 1. plan the batch: read, validate and plan the whole file (its digest, its keys, its plan
 *    digest); nothing is sent if it cannot be read, nor with --strict when a row is invalid;
 * 2. load its state: what earlier runs did, from the journal; the file-level refusals (a plan
 *    that is not the approved one too: src/batch/approval.ts); each row's fate counted (to send,
 *    held, created earlier);
 * 3. send: preflight the sources and the balances, then stream the rows still to pay through a
 *    bounded window of transfers, journalling as it goes;
 * 4. write the results: results.csv and summary.json always describe the whole batch, in input
 *    order, from the file read again, the journal's state before this run and this run's records.
 */

import { randomUUID } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DwollaClient } from '../dwolla/client.js';
import { openPayeeCsv } from '../input/csv-reader.js';
import { UsageError } from '../input/usage-error.js';
import { CURRENT_KEY_VERSION, type KeyVersion } from '../plan/keys.js';
import { PlanDigest, type PlanDigestResult } from '../plan/plan-digest.js';
import { isSendable, Planner, type RepeatedValues, type ValidRow } from '../plan/planner.js';
import { RECONCILE_COLUMNS, RUN_STATUSES } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { type ReportedRow, writeReport, writeSummary } from '../results/report.js';
import {
  NeedsAPerson,
  type RowsNeedingAPerson,
  type Summary,
  type SummaryFigures,
  summaryApi,
  summaryWith,
  type Tally,
  ThisRunCounter,
} from '../results/tally.js';
import { type ApiAccess, type Asking, startAccess } from './api-connection.js';
import { InvalidRows, planSummary, refuseInvalidRows, refuseUnapproved } from './approval.js';
import { checkBalances } from './balance-preflight.js';
import { batchFiles } from './batch-folder.js';
import { type BatchPlace, claimOutputDir, placeBatch } from './batch-place.js';
import { loadBatchState, refuseByLedger } from './batch-state.js';
import { ChunkFile, chunkFilePath, readChunks } from './chunk-file.js';
import { allCreatedAsPlanned, fateOf, type Held, rowsToSend, type Survey, surveyRows } from './decide-rows.js';
import { Journal, type JournalState, type OutcomeRecord, readJournal } from './journal.js';
import { KeySet, RowSum } from './key-set.js';
import { Ledger, ledgerPaymentOf } from './ledger.js';
import { acquireBatchLock, type LockInfo } from './lock.js';
import { MassSender, massSources } from './mass-send.js';
import { PendingMassItems } from './pending-mass-items.js';
import { type PreflightOptions, preflightSources, type SourceCheck } from './preflight.js';
import { reconcileCells } from './reconcile.js';
import { RepeatChecks } from './repeat-checks.js';
import { type EmailDestinations, refuseInvalidEmails, runEmailDestinations } from './resolve-emails.js';
import {
  FingerprintingSink,
  fingerprintOf,
  type LinesFingerprint,
  memoBasis,
  memoisedResults,
  resultsMemoPath,
  writeResultsMemo,
} from './results-memo.js';
import type { RunSettings } from './settings.js';
import { type ApiIdentity, apiIdentity } from './state-dir.js';
import { type LedgerSink, Submitter } from './submit.js';
import { toolBuild } from './tool-version.js';

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
  /**
   * The API's account, asked for by the caller ahead of the run (`startAccess` with the same
   * settings), which the run then owns; else the run asks while it plans the file.
   */
  asking?: Asking;
}

export interface BatchRunResult {
  summary: Summary;
  /** The rows that need a person (invalid, failed, review): the first ones, and how many. */
  needsAPerson: RowsNeedingAPerson;
  resultsPath: string;
  simulated: boolean;
}

/** The file as planned before anything is sent. */
interface BatchPlan {
  /** The file's digest: the same file must still be there when the results are written. */
  digest: string;
  /** How the file was read (--columns, --delimiter): kept in the run record like the digest. */
  reading: string;
  /** The key version the rows were planned with: the batch's own. */
  keyVersion: KeyVersion;
  /** The file's valid rows by key and what each pays, summed: a rerun compares it with the journal's created rows. */
  rows: RowSum;
  /** What the planning pass found repeated: later passes index only these (src/plan/planner.ts). */
  repeated: RepeatedValues;
  /** The plan digest of the valid rows: what --approve checks (src/batch/approval.ts). */
  planDigest: PlanDigestResult;
  /** The invalid rows: --strict sends nothing when there is one. */
  invalid: InvalidRows;
  /** The sources the valid rows name (the first EARLY_SOURCES of them): looked up early (EarlySources). */
  sources: Set<string>;
}

/** What this run's sending did. */
interface Sent {
  submitter: Submitter | undefined;
  /** Sends the rows that go in mass payments, when the run got that far. */
  mass?: MassSender;
  /** Stopped by a signal, a changed file or state that could not be written: some rows may not have been tried. */
  stopped: boolean;
  /** Where the journal ended before this run wrote to it: what follows is this run's. */
  journalFrom: number;
  /** Where it ended after (its length once this run closed it). */
  journalTo: number;
}

/**
 * The input file, watched from before it is first read: the rows sent are read again from it, so a
 * change at any moment of the run (between the plan and the sending too) stops the sending.
 */
class InputWatch {
  changed = false;
  private readonly listeners: Array<() => void> = [];
  private readonly watcher: FSWatcher | undefined;

  constructor(file: string, log: Logger) {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(file, () => {
        if (!this.changed) {
          log.warn({ file }, 'input file changed: stopping');
        }
        this.changed = true;
        for (const listener of this.listeners) {
          listener();
        }
      });
    } catch {
      watcher = undefined; // a file that cannot be watched cannot be read either: reading it says why
    }
    this.watcher = watcher;
  }

  /** Calls `listener` on a change, at once if one happened already. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
    if (this.changed) {
      listener();
    }
  }

  close(): void {
    this.watcher?.close();
  }
}

export async function batchRun(s: RunSettings, deps: BatchRunDeps): Promise<BatchRunResult> {
  const input = new InputWatch(s.file, deps.log);
  try {
    return await watchedRun(s, deps, input);
  } finally {
    input.close();
  }
}

async function watchedRun(s: RunSettings, deps: BatchRunDeps, input: InputWatch): Promise<BatchRunResult> {
  const startedAt = deps.clock();
  const runId = randomUUID();
  const api = apiIdentity(s);
  const asked = await planWhileAsking(s, deps);
  let plan = asked.plan;
  const { access } = asked;
  try {
    const place = await placeBatch(s, api, access.accountId, { write: true, say: deps.say });
    const lock = await acquireBatchLock(place.stateDir, {
      runId,
      onTakeover: (prev) => sayTakenOver(s, deps, prev),
    });
    try {
      const state = await loadBatchState(s, place.journal, { ...plan, validRows: plan.rows.count });
      if (state.keyVersion !== undefined && state.keyVersion !== plan.keyVersion) {
        plan = await planBatch(s, state.keyVersion);
      }
      const early = EarlySources.start(s, deps, { api, access, plan, state });
      const ledger = Ledger.open(place.account.ledger);
      try {
        return await runLocked(s, deps, { runId, startedAt, plan, state, place, access, ledger, input, early });
      } finally {
        early?.stop();
        ledger.close();
      }
    } finally {
      await lock.release();
    }
  } finally {
    await access.close();
  }
}

/**
 * Step 1 beside the API's account: the account is asked (POST /token, GET /: waits on the
 * network) while the file is planned (CPU). Nothing of the batch is read or written before both
 * are done, and the plan's failures and refusals still come first: they stop the asking.
 */
async function planWhileAsking(s: RunSettings, deps: BatchRunDeps): Promise<{ plan: BatchPlan; access: ApiAccess }> {
  const asking = deps.asking ?? startAccess(s, deps);
  try {
    const plan = await planBatch(s, CURRENT_KEY_VERSION);
    refuseInvalidRows(s, plan.invalid);
    return { plan, access: await asking.access };
  } catch (err) {
    await asking.giveUp();
    throw err;
  }
}

function sayTakenOver(s: RunSettings, { say, log }: BatchRunDeps, prev: LockInfo | null): void {
  const who = prev ? `pid ${prev.pid} on ${prev.host}, started ${prev.startedAt}` : 'an unreadable lock';
  say(`warning: took over the lock of batch ${s.batchId} left by a run that is no longer alive (${who})`);
  log.warn({ batchId: s.batchId, previous: prev }, 'stale batch lock taken over');
}

/** Step 1. Reads and plans the whole file: its digest and its rows' keys. Nothing is made if it cannot be read. */
async function planBatch(s: RunSettings, keyVersion: KeyVersion): Promise<BatchPlan> {
  const csv = await openPayeeCsv(s.file, s);
  try {
    const planner = new Planner(csv.header, { ...s, keyVersion });
    const rows = new RowSum();
    const planDigest = new PlanDigest(s.batchId);
    const invalid = new InvalidRows();
    const sources = new Set<string>();
    for await (const row of planner.rows(csv.batches)) {
      if (row.status === 'valid') {
        rows.addRow(row.key, row.payment.destinationId, row.payment.amountCents);
        planDigest.addRow(row, s.clearing);
        if (row.payment.sourceId !== undefined && sources.size < EARLY_SOURCES) {
          sources.add(row.payment.sourceId);
        }
      } else if (row.status === 'invalid') {
        invalid.add(row);
      }
    }
    return {
      digest: csv.digest(),
      reading: csv.reading,
      keyVersion,
      rows,
      repeated: planner.repeated(),
      planDigest: planDigest.finish(),
      invalid,
      sources,
    };
  } finally {
    await csv.close();
  }
}

/** At most this many distinct sources of the file are looked up ahead of the preflight. */
const EARLY_SOURCES = 64;

/**
 * The preflight's source lookups (`GET /funding-sources/{id}`, read-only), started as soon as the
 * batch's state is loaded, so that they wait on the network while the rows are surveyed rather
 * than after. Only for a batch none of whose rows is journalled yet (the file's sources are then
 * those it sends from), through an API already open (the embedded simulator is not started for
 * them). Nothing is decided from them before the preflight, which still runs before the first
 * send: it takes the answers of the sources it needs from here and looks up any other.
 */
class EarlySources {
  private readonly stopping = new AbortController();
  private readonly checks: Promise<Map<string, SourceCheck> | undefined>;

  private constructor(access: ApiAccess, ids: Set<string>, opts: PreflightOptions, concurrency: number) {
    const signal = this.stopping.signal;
    this.checks = access
      .session()
      .then(({ client }) => preflightSources(client, ids, { ...opts, signal }, concurrency))
      .catch(() => undefined); // the preflight looks them up again, and says why they fail
  }

  static start(
    s: RunSettings,
    deps: BatchRunDeps,
    run: { api: ApiIdentity; access: ApiAccess; plan: BatchPlan; state: JournalState },
  ): EarlySources | undefined {
    if (run.api.embedded || !s.credentials || run.state.byKey.size > 0 || run.plan.sources.size === 0) {
      return undefined;
    }
    return new EarlySources(run.access, run.plan.sources, preflightOptions(s, deps), s.concurrency);
  }

  /** The preflight: each of `wanted` checked once, from the early answers where there is one. */
  static async check(
    early: EarlySources | undefined,
    client: DwollaClient,
    wanted: Set<string>,
    opts: PreflightOptions,
    concurrency: number,
  ): Promise<Map<string, SourceCheck>> {
    const known = (await early?.checks) ?? new Map<string, SourceCheck>();
    const rest = await preflightSources(
      client,
      [...wanted].filter((id) => !known.has(id)),
      opts,
      concurrency,
    );
    const checks = new Map<string, SourceCheck>();
    for (const id of wanted) {
      const check = known.get(id) ?? rest.get(id);
      if (check) {
        checks.set(id, check);
      }
    }
    return checks;
  }

  /** Stops lookups still under way (the run ended before its preflight). */
  stop(): void {
    this.stopping.abort();
  }
}

function preflightOptions(s: RunSettings, { sleep }: BatchRunDeps): PreflightOptions {
  return { maxAttempts: s.maxAttempts, ...(sleep ? { sleep } : {}) };
}

/**
 * The file's valid rows, streamed and planned again: the planner is deterministic, so they are
 * step 1's; with `emails`, email rows get their resolved destinations (src/batch/resolve-emails.ts).
 */
async function* validRows(
  s: RunSettings,
  plan: Pick<BatchPlan, 'keyVersion'> & Partial<Pick<BatchPlan, 'repeated'>>,
  emails?: EmailDestinations,
): AsyncGenerator<ValidRow> {
  const csv = await openPayeeCsv(s.file, s);
  try {
    const settings = { ...s, keyVersion: plan.keyVersion, repeated: plan.repeated };
    const planner = emails ? emails.planner(csv.header, settings) : new Planner(csv.header, settings);
    for await (const row of planner.rows(csv.batches)) {
      if (row.status === 'valid') {
        yield row;
      }
    }
  } finally {
    await csv.close();
  }
}

/** What the steps after the lock share. */
interface LockedRun {
  /** The input file's watch: its changes stop the sending. */
  input: InputWatch;
  runId: string;
  startedAt: Date;
  plan: BatchPlan;
  state: JournalState;
  place: BatchPlace;
  access: ApiAccess;
  ledger: Ledger;
  /** The sources' lookups started ahead of the preflight, if any. */
  early: EarlySources | undefined;
}

/** The steps after the lock, with the clock of the run's decisions and the repeat checks. */
interface DecidingRun extends LockedRun {
  now: Date;
  checks: RepeatChecks;
  /** The destinations of the rows named by email, resolved before anything is sent. */
  emails: EmailDestinations;
}

/** How far back the lookups before a first send search mass payments not yet complete (deferred ones wait). */
const PENDING_MASS_PAYMENTS_DAYS = 30;

/** Nothing of the file's keys is needed when the journal has none (the edited-row check compares them). */
const NO_KEYS = { has: () => false };

/** When no row of the file will be sent, no journal key needs to be told apart: none is taken as gone. */
const EVERY_KEY = { has: () => true };

/**
 * Which of the journal's keys the file still has, for the edited-row check
 * (src/batch/repeat-checks.ts). None is needed when the journal has no key, or when it created
 * every row of the file as planned (no row is then sent: the survey is skipped, and no row meets
 * the check). Else: the file's keys that the journal names, from a pass over the file (a batch
 * resumed after a crash or an edit). Memory grows with those, never with the file alone.
 */
async function journalKeysInFile(
  rows: () => AsyncIterable<ValidRow>,
  state: JournalState,
  plan: BatchPlan,
): Promise<{ has(key: string): boolean }> {
  if (state.byKey.size === 0) {
    return NO_KEYS;
  }
  if (allCreatedAsPlanned(state, plan.rows)) {
    return EVERY_KEY;
  }
  const keys = new KeySet();
  for await (const row of rows()) {
    if (state.byKey.has(row.key)) {
      keys.add(row.key);
    }
  }
  return keys;
}

/**
 * Steps 2 to 4 under the lock: the batch-level refusals, each row's fate counted (created
 * earlier, held for review, to send), the sending, and the results.
 */
async function runLocked(s: RunSettings, deps: BatchRunDeps, run: LockedRun): Promise<BatchRunResult> {
  const { plan, state, ledger } = run;
  const now = s.now ?? deps.clock();
  refuseByLedger(s, ledger, state, { digest: plan.digest, now, journalPath: run.place.journal });
  const emails = await runEmailDestinations(s, { ...s, keyVersion: plan.keyVersion }, state, {
    session: () => run.access.session(),
    ...deps,
  });
  await refuseInvalidEmails(s, { ...s, keyVersion: plan.keyVersion }, emails);
  const inFile = await journalKeysInFile(() => validRows(s, plan, emails), state, plan);
  const checks = new RepeatChecks(ledger, { ...s, now }, state, inFile);
  const survey = await surveyRows(validRows(s, plan, emails), state, checks, plan);
  if (survey.sourceless > 0) {
    throw new UsageError(
      'USAGE',
      `${survey.sourceless} row(s) left to send name no source, and no default source is set: give --source or PAYOUTS_SOURCE (or a source column)`,
    );
  }
  await refuseUnapproved(s, {
    plan: plan.planDigest,
    toSend: survey.toSend,
    rows: () => validRows(s, plan),
  });
  const deciding: DecidingRun = { ...run, now, checks, emails };
  const sent = await send(s, deps, deciding, survey);
  return writeResults(s, deps, { ...deciding, sent, survey });
}

/** Step 3. Checks the sources and balances, journals this run's start, then streams the rows still to pay, if any. */
async function send(s: RunSettings, deps: BatchRunDeps, run: DecidingRun, survey: Survey): Promise<Sent> {
  const journal = await Journal.open(run.place.journal);
  const journalFrom = journal.size;
  let started = false;
  const start = async (apiBase?: string) => {
    if (!started) {
      started = true;
      await journalRunStart(s, deps, { ...run, apiBase }, journal, survey);
    }
  };
  let sent: Omit<Sent, 'journalTo'>;
  try {
    if (survey.toSend === 0) {
      await start();
      sent = { submitter: undefined, stopped: false, journalFrom };
    } else {
      sent = await submitRows(s, deps, { run, journal, start }, survey, journalFrom);
    }
  } finally {
    // A journal that failed mid-run was reported (and stopped the run); the results still get written.
    await journal.close().catch((err: unknown) => deps.log.error({ err }, 'journal close failed'));
  }
  return { ...sent, journalTo: journal.size };
}

/** The run record, in the journal and the ledger: written just before this run's first record. */
async function journalRunStart(
  s: RunSettings,
  deps: BatchRunDeps,
  run: DecidingRun & { apiBase: string | undefined },
  journal: Journal,
  survey: Survey,
): Promise<void> {
  const { runId, plan } = run;
  await journal.append({
    type: 'run',
    at: run.startedAt.toISOString(),
    runId,
    pid: process.pid,
    host: hostname(),
    inputDigest: plan.digest,
    inputFile: s.file,
    reading: plan.reading,
    resume: s.resume,
    keyVersion: plan.keyVersion,
    // Transfer URLs under it are journalled by id alone.
    ...(run.apiBase ? { apiBase: run.apiBase } : {}),
  });
  run.ledger.recordRun({
    batchId: s.batchId,
    inputDigest: plan.digest,
    inputFile: s.file,
    keyVersion: plan.keyVersion,
    at: run.now.toISOString(),
  });
  deps.log.info({ batchId: s.batchId, runId, toSend: survey.toSend, held: survey.held }, 'run started');
}

/**
 * Opens the API, checks the rows' sources and balances (nothing journalled yet: a refusal leaves
 * no trace that would refuse the corrected file), then streams the rows to the submitter.
 */
async function submitRows(
  s: RunSettings,
  deps: BatchRunDeps,
  { run, journal, start }: { run: DecidingRun; journal: Journal; start: (apiBase?: string) => Promise<void> },
  survey: Survey,
  journalFrom: number,
): Promise<Omit<Sent, 'journalTo'>> {
  const { log, clock, sleep } = deps;
  const { client } = await run.access.session();
  const opts = preflightOptions(s, deps);
  const sources = await EarlySources.check(run.early, client, survey.sources, opts, s.concurrency);
  const ledger = ledgerSink(run.ledger, s.batchId);
  const submitter = new Submitter({ client, journal, ledger, log, clock, ...(sleep ? { sleep } : {}) }, s, sources);
  deps.onStoppable?.(() => submitter.stop());
  // The input file changing under the run stops it: what was planned may no longer be what the file says.
  run.input.onChange(() => submitter.stop());
  // The passes that lead to sends index every value again, as the planning pass did, rather than
  // only its repeats: should the file be edited before the watch sees it, a repeat it now has is
  // still invalid, never sent (the survey and the results may take the planning pass's word).
  const sending = { keyVersion: run.plan.keyVersion };
  const toSend = () => rowsToSend(validRows(s, sending, run.emails), run.state, run.checks);
  const settled = await checkBalances({ client, submitter, sources, opts }, survey, toSend, () =>
    start(client.baseUrl),
  );
  await start(client.baseUrl);
  let done = settled.size;
  const progress = () => deps.onProgress?.(++done, survey.toSend);
  const toSendNow = () => rowsToSend(validRows(s, sending, run.emails), run.state, run.checks, settled);
  const mass = await massSender(s, deps, { run, client, submitter, sources, survey });
  submitter.watchMassPayments(
    new PendingMassItems(client, submitter.retryOptions, run.now.getTime() - PENDING_MASS_PAYMENTS_DAYS * 86_400_000),
  );
  submitter.annotate((row) => (isSendable(row) ? mass.sender.singleNote(row) : undefined));
  if (mass.used) {
    // Mass payments first: Dwolla processes them while the single transfers go.
    await mass.sender.send(
      only(toSendNow(), (r) => mass.sender.takes(r)),
      progress,
    );
  }
  const singles = only(toSendNow(), (r) => !mass.sender.takes(r) && !mass.sender.withholds(r));
  await submitter.submitStream(singles, progress);
  if (mass.used) {
    await mass.sender.finish(progress);
    const line = mass.sender.summaryLine();
    if (line) {
      deps.say(line);
    }
  }
  if (submitter.stateFailure) {
    deps.say(
      `error: the state could not be written (${submitter.stateFailure}): sending stopped; nothing was sent without a durable intent. Fix it and run the same command again.`,
    );
  }
  return { submitter, mass: mass.sender, stopped: submitter.stopped, journalFrom };
}

/**
 * The run's Mass Payment sender (src/batch/mass-send.ts): `used` when a source sends in mass
 * payments now, or earlier runs recorded chunks (their rows are settled through them whatever
 * --mode says).
 */
async function massSender(
  s: RunSettings,
  deps: BatchRunDeps,
  a: {
    run: DecidingRun;
    client: DwollaClient;
    submitter: Submitter;
    sources: Map<string, SourceCheck>;
    survey: Survey;
  },
): Promise<{ sender: MassSender; used: boolean }> {
  const chunkFile = new ChunkFile(chunkFilePath(a.run.place.stateDir));
  const known = await readChunks(chunkFile.path);
  const mass = massSources(s, a.survey.fresh, a.sources);
  const sender = new MassSender(
    {
      client: a.client,
      submitter: a.submitter,
      chunkFile,
      known,
      log: deps.log,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    },
    { ...s, planDigest: a.run.plan.planDigest.hex, releaseOptions: releaseOptions(s) },
    a.sources,
    mass,
  );
  return { sender, used: mass.size > 0 || known.size > 0 };
}

/** The option `payouts approve`/`cancel` need to reach this batch's API (its --state and --out are the run's). */
function releaseOptions(s: RunSettings): string {
  return s.apiUrl ? `--api-url ${s.apiUrl}` : `--env ${s.env}`;
}

/** The rows `keep` keeps, as they come. */
async function* only<T>(rows: AsyncIterable<T>, keep: (row: T) => boolean): AsyncGenerator<T> {
  for await (const row of rows) {
    if (keep(row)) {
      yield row;
    }
  }
}

/**
 * Step 4. results.csv and summary.json: the file streamed again, each valid row joined with what
 * the journal said before this run and what this run journalled. A rerun that sent nothing and
 * finds the results of a finished batch as its last run left them keeps them (src/batch/results-memo.ts).
 */
async function writeResults(
  s: RunSettings,
  deps: BatchRunDeps,
  run: DecidingRun & { sent: Sent; survey: Survey },
): Promise<BatchRunResult> {
  const { state, sent } = run;
  await claimOutputDir(run.place);
  const files = batchFiles(run.place.outputDir);
  const summaryOf = summaryMaker(s, deps, run);
  // Once reconcile has run on the batch, results keep its columns.
  const extraColumns = state.byKey.anyReconciled ? RECONCILE_COLUMNS : [];
  const memo = resultsMemoPath(run.place.stateDir);
  const basis = memoBasis({
    ...s,
    ...run.plan,
    inputDigest: run.plan.digest,
    resultsPath: resolve(files.results),
    extraColumns,
    toolBuild: toolBuild(),
  });
  // The input is hashed again: a change the watch missed (a symlink pointed elsewhere) writes in full.
  const inputUnchanged = async () => (await fingerprintOf(s.file))?.sha256 === run.plan.digest;
  const kept = sentNothingToFinished(run)
    ? await memoisedResults(memo, basis, sent.journalFrom, files.results, inputUnchanged)
    : undefined;
  let reported: Reported;
  if (kept) {
    const summary = summaryOf(kept.counts, EXIT.ok);
    await writeSummary(files.summary, summary);
    reported = { summary, people: new NeedsAPerson(), changed: false, lines: kept.results };
    deps.log.info(
      { batchId: s.batchId },
      'results.csv from the memo: the bytes the last run wrote, checked and rewritten',
    );
  } else {
    reported = await reportInFull(s, deps, run, { files, extraColumns, summaryOf });
  }
  const { summary, people } = reported;
  if (summary.exitCode === EXIT.ok || summary.exitCode === EXIT.attention) {
    run.ledger.markComplete(s.batchId, run.now.toISOString());
  }
  if (summary.exitCode === EXIT.ok && !reported.changed) {
    await writeResultsMemo(memo, {
      basis,
      journalBytes: sent.journalTo,
      results: reported.lines,
      counts: summary,
    }).catch((err: unknown) =>
      deps.log.warn({ err }, 'results memo not written: the next run writes the results in full'),
    );
  }
  deps.log.info({ batchId: s.batchId, exitCode: summary.exitCode, byStatus: summary.byStatus }, 'run finished');
  return { summary, needsAPerson: people, resultsPath: files.results, simulated: s.apiUrl === undefined };
}

/** What writing the results made: the summary, the rows for a person, and the lines' bytes. */
interface Reported {
  summary: Summary;
  people: NeedsAPerson;
  /** The file changed under the run: the results describe it as it is now. */
  changed: boolean;
  lines: LinesFingerprint;
}

/** The summary of this run's results, from their figures and exit code. */
function summaryMaker(
  s: RunSettings,
  deps: BatchRunDeps,
  run: DecidingRun & { sent: Sent; survey: Survey },
): (figures: SummaryFigures, exitCode: number) => Summary {
  const counts = run.sent.submitter?.counts ?? new ThisRunCounter();
  return (figures, exitCode) => ({
    ...summaryWith(figures, {
      batchId: s.batchId,
      inputDigest: run.plan.digest,
      startedAt: run.startedAt.toISOString(),
      finishedAt: deps.clock().toISOString(),
      thisRun: {
        sent: counts.sent,
        created: counts.created,
        foundByLookup: counts.foundByLookup,
        held: run.survey.held,
      },
      api: summaryApi(s.env, s.apiUrl),
      exitCode,
    }),
    ...planSummary(run.plan.planDigest, s.clearing),
  });
}

/** Every row's line written anew: the file streamed again, joined with the journal. */
async function reportInFull(
  s: RunSettings,
  deps: BatchRunDeps,
  run: DecidingRun & { sent: Sent; survey: Survey },
  how: {
    files: ReturnType<typeof batchFiles>;
    extraColumns: readonly string[];
    summaryOf: (figures: SummaryFigures, exitCode: number) => Summary;
  },
): Promise<Reported> {
  const { sent } = run;
  // This run's records, only to report them: no payment tags (4 bytes a row at the peak of a run),
  // and a key table sized once for the rows it sent.
  const mine = await readJournal(run.place.journal, {
    from: sent.journalFrom,
    payments: false,
    expectedKeys: run.survey.toSend,
  });
  // The file streamed with only the repeats the planning pass found indexed; should the file have
  // changed since, streamed again with every value indexed, so that the results find its repeats.
  const report = async (repeated: RepeatedValues | undefined): Promise<Reported> => {
    const csv = await openPayeeCsv(s.file, s);
    try {
      const people = new NeedsAPerson();
      const linesSink = new FingerprintingSink();
      let changed = false;
      const summary = await writeReport({
        csv,
        planner: run.emails.planner(csv.header, { ...s, keyVersion: run.plan.keyVersion, repeated }),
        linesPath: how.files.results,
        bom: s.bom,
        linesSink,
        summaryPath: how.files.summary,
        statuses: RUN_STATUSES,
        extraColumns: how.extraColumns,
        describe: (row) => describeRow(row, run, mine),
        people,
        summarize: (tally) => {
          // A run that has sent anything never exits 2: the file changed under it, so the results
          // describe the file as it is now, and the run is incomplete.
          changed = csv.digest() !== run.plan.digest;
          return how.summaryOf(tally.figures(), changed ? EXIT.incomplete : exitCodeOf(tally, sent.stopped));
        },
      });
      return { summary, people, changed, lines: linesSink.finish() };
    } finally {
      await csv.close();
    }
  };
  const reported = await report(run.plan.repeated);
  if (!reported.changed) {
    return reported;
  }
  deps.say(
    `warning: ${s.file} changed while the batch was running: sending stopped. Run the same command again with --resume to continue with the edited file (nothing is paid twice).`,
  );
  return report(undefined);
}

/**
 * This run sent nothing and changed nothing, and every row of the file is valid and was created
 * as it now says: results made now would be what the last run made of the same file and journal.
 */
function sentNothingToFinished(run: DecidingRun & { sent: Sent; survey: Survey }): boolean {
  const { sent, survey, plan } = run;
  return (
    sent.submitter === undefined &&
    !sent.stopped &&
    survey.toSend === 0 &&
    survey.held === 0 &&
    plan.invalid.count === 0 &&
    !run.input.changed &&
    !run.emails.resolvedAny &&
    allCreatedAsPlanned(run.state, plan.rows)
  );
}

/**
 * How a valid row is reported: created in any run wins; else what this run journalled for it;
 * else its fate (held for review, or not attempted: pending, with why when known).
 */
function describeRow(row: ValidRow, run: DecidingRun & { sent: Sent }, mine: JournalState): ReportedRow {
  const own = mine.byKey.get(row.key);
  if (own?.outcome) {
    return reportedOutcome(own.outcome, reconcileOf(run.state, row.key));
  }
  // In a mass payment not yet complete (deferred, --no-wait, stopped), or withheld by --deferred.
  const lookedUp = run.sent.submitter?.pendingReason(row.key);
  const waiting =
    run.sent.mass?.pendingShown(row.key) ?? (lookedUp === undefined ? undefined : { errorMessage: lookedUp });
  if (waiting !== undefined) {
    return { status: 'pending', shown: waiting, sameDay: false };
  }
  // An intent this run wrote but never sent (it stopped first) falls through: pending.
  if (own?.openIntent && !run.sent.submitter?.sentNothingFor(row.key)) {
    // Sent in this run, but its outcome could not be made durable: a rerun looks it up first.
    return {
      status: 'unresolved',
      shown: {
        ...own.intent,
        errorCode: 'StateUnwritable',
        errorMessage:
          'sent; its outcome could not be recorded: run the same command again (it looks the transfer up first)',
      },
      sameDay: false,
    };
  }
  // Not sent by this run: what it was before (held, or created by an earlier run), else pending.
  const earlier = run.state.byKey.get(row.key);
  const fate = fateOf(row, run.state, run.checks, earlier);
  if (fate.kind === 'held') {
    return heldRow(fate.held);
  }
  if (fate.kind === 'wait') {
    return { status: 'pending', shown: { errorMessage: fate.reason }, sameDay: false };
  }
  const extra = earlier?.reconcile ? reconcileCells(earlier.reconcile) : undefined;
  if (fate.kind === 'created' && earlier?.outcome) {
    return reportedOutcome(earlier.outcome, extra);
  }
  const why = run.sent.submitter?.whyPending(row.payment.sourceId);
  return { status: 'pending', ...(why ? { shown: why } : {}), extra, sameDay: false };
}

/** A row's reconcile columns, once reconcile has run on the batch. */
function reconcileOf(state: JournalState, key: string): ReportedRow['extra'] {
  if (!state.byKey.anyReconciled) {
    return undefined;
  }
  const rec = state.byKey.get(key)?.reconcile;
  return rec ? reconcileCells(rec) : undefined;
}

/** A row held for a person: `review`, with why, and what was paid when it differs from the file. */
function heldRow(held: Held): ReportedRow {
  return {
    status: 'review',
    shown: { errorMessage: held.reason },
    sameDay: false,
    ...(held.paid ? { paid: held.paid } : {}),
  };
}

/** The submitter's records of intents and outcomes into the ledger, for this batch. */
function ledgerSink(ledger: Ledger, batchId: string): LedgerSink {
  return {
    intent: (row, i) =>
      ledger.recordIntent({
        batchId,
        key: i.key,
        ...ledgerPaymentOf(row),
        at: i.at,
        ...(i.massPayment ? { massPayment: i.massPayment } : {}),
      }),
    outcome: (row, o) =>
      ledger.recordOutcome({
        batchId,
        key: o.key,
        status: o.status,
        transferUrl: o.transferUrl,
        transferId: o.transferId,
        via: o.via,
        at: o.at,
        ...ledgerPaymentOf(row),
      }),
    flush: () => ledger.flush(),
  };
}

/** A journalled outcome as reported. A pending row shows why, not its attempts. */
function reportedOutcome(outcome: OutcomeRecord, extra: ReportedRow['extra']): ReportedRow {
  const { status } = outcome;
  return {
    status,
    shown: outcome,
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
