/**
 * `payouts run FILE --dry-run`: read → validate → plan, and report to OUT/BATCH_ID/plan.csv and
 * plan.json. No network, no credentials. It reads (never writes) the batch's state so that it
 * predicts what a real run would do now: rows created earlier, the rows it would send, and the
 * same file-level refusals; a batch's results.csv, summary.json and journal are never touched.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openPayeeCsv } from '../input/csv-reader.js';
import { UsageError } from '../input/usage-error.js';
import type { ClearingPolicy } from '../input/validation.js';
import { clearingColumns, decideClearing, SAME_DAY_LIMIT_CENTS } from '../plan/clearing.js';
import { CURRENT_KEY_VERSION, type KeyVersion } from '../plan/keys.js';
import { PlanDigest, type PlanDigestResult } from '../plan/plan-digest.js';
import { Planner, type RepeatedValues, type ValidRow } from '../plan/planner.js';
import { PLAN_STATUSES } from '../results/columns.js';
import { EXIT } from '../results/exit-codes.js';
import { type ReportedRow, writeReport } from '../results/report.js';
import { NeedsAPerson, type RowsNeedingAPerson, type Summary, summaryApi, type Tally } from '../results/tally.js';
import { InvalidRows, planDigestOf, planSummary, refuseInvalidRows, refuseUnapproved } from './approval.js';
import { batchFiles, makeBatchFolder } from './batch-folder.js';
import { knownAccount, placeBatch } from './batch-place.js';
import { type BatchInput, refuseByLedger, refuseChangedFile } from './batch-state.js';
import { type Fate, fateOf } from './decide-rows.js';
import { BatchStateError } from './errors.js';
import { JournalCorruptError, type JournalState, type KeyState, readJournal } from './journal.js';
import { KeySet } from './key-set.js';
import { Ledger } from './ledger.js';
import { RepeatChecks } from './repeat-checks.js';
import { dryRunEmailDestinations, emailDestinationNote } from './resolve-emails.js';
import type { RunSettings } from './settings.js';
import { apiIdentity } from './state-dir.js';

/** A row a real run would not send because an earlier run created it: shown as it was paid. */
function createdEarlier(known: KeyState | undefined): ReportedRow | undefined {
  const outcome = known?.outcome;
  if (outcome?.status !== 'created') {
    return undefined;
  }
  return { status: 'created', shown: outcome, sameDay: outcome.clearing === 'same-day' };
}

export interface DryRunOutcome {
  summary: Summary;
  /** The rows that need a person (invalid, review): the first ones, and how many. */
  needsAPerson: RowsNeedingAPerson;
  planPath: string;
  /** Rows with a paymentId this installation never paid: a real run looks them up at Dwolla first. */
  lookups: number;
  /** The plan digest (plan.json's planDigest): what a real run's --approve checks. */
  plan: PlanDigestResult;
}

/**
 * How a valid row is planned at one instant. Clearing at one instant depends on the amount only
 * through the Same Day limit, so a dry run, which plans every row at the same instant, has at
 * most six distinct answers.
 */
function plannedAt(now: Date, marginMinutes: number) {
  // By policy, then by whether the amount is over the limit: no key to build for each row.
  const memo = new Map<ClearingPolicy, [ReportedRow | undefined, ReportedRow | undefined]>();
  return (policy: ClearingPolicy, amountCents: number): ReportedRow => {
    const over = amountCents > SAME_DAY_LIMIT_CENTS ? 1 : 0;
    let answers = memo.get(policy);
    if (!answers) {
      answers = [undefined, undefined];
      memo.set(policy, answers);
    }
    let planned = answers[over];
    if (!planned) {
      const cols = clearingColumns(decideClearing({ now, policy, amountCents, cutoffMarginMinutes: marginMinutes }));
      planned = { status: 'planned', shown: cols, sameDay: cols.clearing === 'same-day' };
      answers[over] = planned;
    }
    return planned;
  };
}

/** The batch as a real run would find it now, read only. */
interface FoundBatch {
  outputDir: string;
  journalPath: string | undefined;
  state: JournalState;
  ledger: Ledger | undefined;
}

/**
 * The batch as a real run would find it now, read only: the state of the API account this
 * installation used last (a dry run has no network), or none.
 */
async function batchAsFound(s: RunSettings): Promise<FoundBatch> {
  const api = apiIdentity(s);
  const accountId = await knownAccount(s, api);
  if (accountId === undefined) {
    return {
      outputDir: join(s.outDir, s.batchId),
      journalPath: undefined,
      state: await readJournal(''),
      ledger: undefined,
    };
  }
  const place = await placeBatch(s, api, accountId, { write: false, say: () => undefined });
  return {
    outputDir: place.outputDir,
    journalPath: place.journal,
    state: await readJournalState(place.journal),
    ledger: Ledger.openReadOnly(place.account.ledger),
  };
}

/** The journal's state; a damaged journal is refused as a real run would refuse it. */
async function readJournalState(path: string): Promise<JournalState> {
  try {
    return await readJournal(path);
  } catch (err) {
    if (err instanceof JournalCorruptError) {
      throw new BatchStateError('BATCH_CORRUPT', `the journal ${path} is damaged at line ${err.line}: ${err.message}`);
    }
    throw err;
  }
}

/**
 * A first pass over the file, for a batch with a journal: which of the journal's keys the file
 * still has, for the edited-row check (src/batch/repeat-checks.ts), and what the pass found
 * repeated, so that the pass that writes plan.csv indexes only those (src/plan/planner.ts).
 */
async function journalKeysInFile(
  s: RunSettings,
  keyVersion: KeyVersion,
  state: JournalState,
): Promise<{ keys: KeySet; repeated: RepeatedValues; digest: string }> {
  const csv = await openPayeeCsv(s.file, s);
  try {
    const planner = new Planner(csv.header, { ...s, keyVersion });
    const keys = new KeySet();
    for await (const rows of planner.rowBatches(csv.batches)) {
      for (const row of rows) {
        if (row.status === 'valid' && state.byKey.has(row.key)) {
          keys.add(row.key);
        }
      }
    }
    return { keys, repeated: planner.repeated(), digest: csv.digest() };
  } finally {
    await csv.close();
  }
}

export async function dryRun(s: RunSettings, clock: () => Date, log: Logger): Promise<DryRunOutcome> {
  const found = await batchAsFound(s);
  try {
    return await predict(s, { clock, log }, found);
  } finally {
    found.ledger?.close();
  }
}

/** Plans every row as a real run would treat it now, into plan.csv and plan.json. */
async function predict(
  s: RunSettings,
  { clock, log }: { clock: () => Date; log: Logger },
  found: FoundBatch,
): Promise<DryRunOutcome> {
  const startedAt = clock();
  const now = s.now ?? startedAt;
  const keyVersion = found.state.keyVersion ?? CURRENT_KEY_VERSION;
  const first = found.state.byKey.size > 0 ? await journalKeysInFile(s, keyVersion, found.state) : undefined;
  const checks = new RepeatChecks(found.ledger, { ...s, now }, found.state, first?.keys ?? new KeySet(0));
  await refuseUnapprovedPlan(s, keyVersion);
  const emails = await dryRunEmailDestinations(s, { ...s, keyVersion }, found.state, log);
  const csv = await openPayeeCsv(s.file, s);
  const folder = await makeBatchFolder(found.outputDir).catch(async (err: unknown) => {
    await csv.close();
    throw err;
  });
  const files = batchFiles(found.outputDir);
  const planned = plannedAt(now, s.cutoffMarginMinutes);
  const counts = { sourceless: 0, lookups: 0 };
  const plan = { digest: new PlanDigest(s.batchId), invalid: new InvalidRows() };
  const people = new NeedsAPerson();
  log.info({ batchId: s.batchId, file: s.file, now: now.toISOString() }, 'dry run started');
  try {
    const summary = await writeReport({
      csv,
      planner: emails.planner(csv.header, { ...s, keyVersion, repeated: first?.repeated }),
      linesPath: files.plan,
      bom: s.bom,
      summaryPath: files.planSummary,
      statuses: PLAN_STATUSES,
      describe: (row) => {
        const fate = fateOf(row, found.state, checks);
        counts.sourceless += fate.kind === 'sourceless' ? 1 : 0;
        counts.lookups += fate.kind === 'send' && fate.send.lookUpPaymentId ? 1 : 0;
        plan.digest.addRow(row, s.clearing);
        return (
          reportedFate(fate, found.state.byKey.get(row.key)) ??
          withEmailNote(row, planned(row.payment.clearing ?? s.clearing, row.payment.amountCents))
        );
      },
      onInvalid: (row) => {
        plan.invalid.add(row);
        if (row.planned) {
          // The run's digest is taken before emails are resolved: the same rows go in.
          plan.digest.addRow(row.planned, s.clearing);
        }
        log.debug({ row: row.line, status: 'invalid', errors: row.errors }, 'row invalid');
      },
      people,
      summarize: (tally) => {
        if (first && csv.digest() !== first.digest) {
          // Its repeats were found in the file as it was: plan.csv could miss one.
          throw new UsageError('USAGE', `${s.file} changed while the dry run was reading it: run it again`);
        }
        refuseInvalidRows(s, plan.invalid);
        refuseAsARunWould(s, found, { digest: csv.digest(), reading: csv.reading, now, sourceless: counts.sourceless });
        return planJson(s, tally, { inputDigest: csv.digest(), startedAt, finishedAt: clock(), plan: plan.digest });
      },
    });
    log.info({ batchId: s.batchId, rows: summary.rows, exitCode: summary.exitCode }, 'dry run finished');
    return { summary, needsAPerson: people, planPath: files.plan, lookups: counts.lookups, plan: plan.digest.finish() };
  } catch (err) {
    await folder.discard();
    throw err;
  } finally {
    await csv.close();
  }
}

/** plan.json: the counts, the exit code a real run would have, and the plan digest a real run's --approve checks. */
function planJson(
  s: RunSettings,
  tally: Tally,
  p: { inputDigest: string; startedAt: Date; finishedAt: Date; plan: PlanDigest },
): Summary {
  const summary = tally.summary({
    batchId: s.batchId,
    inputDigest: p.inputDigest,
    startedAt: p.startedAt.toISOString(),
    finishedAt: p.finishedAt.toISOString(),
    thisRun: { sent: 0, created: 0, foundByLookup: 0, held: 0 },
    api: summaryApi(s.env, s.apiUrl),
    exitCode: tally.count('invalid') > 0 || tally.count('review') > 0 ? EXIT.attention : EXIT.ok,
  });
  return { ...summary, ...planSummary(p.plan.finish(), s.clearing) };
}

/**
 * --approve in a dry run: refused as a real run would refuse it, before plan.csv and plan.json are
 * written, so that the approved plan's files stay there to say what changed. --require-approval is
 * not checked: a dry run is how a digest is had.
 */
async function refuseUnapprovedPlan(s: RunSettings, keyVersion: KeyVersion): Promise<void> {
  if (s.approve === undefined) {
    return;
  }
  const rows = () => validRowsOf(s, keyVersion);
  await refuseUnapproved({ ...s, requireApproval: false }, { plan: await planDigestOf(s, rows()), toSend: 0, rows });
}

/** The file's valid rows, in input order. */
async function* validRowsOf(s: RunSettings, keyVersion: KeyVersion): AsyncGenerator<ValidRow> {
  const csv = await openPayeeCsv(s.file, s);
  try {
    for await (const row of new Planner(csv.header, { ...s, keyVersion }).rows(csv.batches)) {
      if (row.status === 'valid') {
        yield row;
      }
    }
  } finally {
    await csv.close();
  }
}

/** A planned email row whose destination is resolved only when sent: says so in errorMessage. */
function withEmailNote(row: ValidRow, planned: ReportedRow): ReportedRow {
  const note = emailDestinationNote(row);
  return note === undefined ? planned : { ...planned, shown: { ...planned.shown, errorMessage: note } };
}

/** A row a real run would not plan to send: created earlier (shown as paid) or held for review. */
function reportedFate(fate: Fate, known: KeyState | undefined): ReportedRow | undefined {
  if (fate.kind === 'created') {
    return createdEarlier(known);
  }
  if (fate.kind === 'held') {
    const { reason, paid } = fate.held;
    return { status: 'review', shown: { errorMessage: reason }, sameDay: false, ...(paid ? { paid } : {}) };
  }
  return undefined;
}

/** The file-level refusals a real run would make now (exit 2). */
function refuseAsARunWould(
  s: RunSettings,
  found: FoundBatch,
  run: BatchInput & { now: Date; sourceless: number },
): void {
  refuseChangedFile(s, found.state, run);
  if (found.ledger && found.journalPath) {
    refuseByLedger(s, found.ledger, found.state, { digest: run.digest, now: run.now, journalPath: found.journalPath });
  }
  if (run.sourceless > 0) {
    throw new UsageError(
      'USAGE',
      `${run.sourceless} row(s) a real run would send name no source, and no default source is set: give --source or PAYOUTS_SOURCE (or a source column)`,
    );
  }
}
