/**
 * A batch's state as its journal tells it, and the refusals that follow from it before anything
 * is sent: a damaged journal, a file changed without --resume. The run and the dry run share them.
 */
import { centralDate } from '../plan/calendar.js';
import { BatchStateError } from './errors.js';
import { JournalCorruptError, type JournalState, readJournal } from './journal.js';
import type { Ledger } from './ledger.js';
import type { RunSettings } from './settings.js';

/**
 * What earlier runs of the batch did, from its journal. A damaged journal, or a file that
 * changed since the last run without --resume, ends the run before anything is sent.
 */
export async function loadBatchState(
  s: Pick<RunSettings, 'batchId' | 'file' | 'resume'>,
  journalPath: string,
  input: BatchInput & { validRows?: number },
): Promise<JournalState> {
  let state: JournalState;
  try {
    // Its key table sized for the file's rows (a finished batch's journal names each once).
    state = await readJournal(journalPath, { expectedKeys: input.validRows ?? 0 });
  } catch (err) {
    if (err instanceof JournalCorruptError) {
      throw new BatchStateError(
        'BATCH_CORRUPT',
        `the journal ${journalPath} is damaged at line ${err.line}: ${err.message}`,
      );
    }
    throw err;
  }
  refuseChangedFile(s, state, input);
  return state;
}

/** The file as this run reads it: its bytes' digest, and how it is read (src/input/header.ts `readingOf`). */
export interface BatchInput {
  digest: string;
  reading: string;
}

/**
 * A file that changed since the batch's last run continues the batch only with --resume. So does
 * the same file read another way (--columns, --delimiter): a column newly read as paymentId, say,
 * makes every row another payment, which would be paid again. Runs recorded before readings were
 * kept name none: only their digest is compared.
 */
export function refuseChangedFile(
  s: Pick<RunSettings, 'batchId' | 'file' | 'resume'>,
  state: JournalState,
  input: BatchInput,
): void {
  if (s.resume || state.lastDigest === undefined) {
    return;
  }
  if (state.lastDigest !== input.digest) {
    throw new BatchStateError(
      'BATCH_INPUT_CHANGED',
      `batch ${s.batchId} was run with a different ${s.file} (it has changed since). Run again with --resume to continue that batch with the edited file (rows already created are not sent again), or with a new --batch-id to start a separate batch.`,
    );
  }
  const before = state.runs[state.runs.length - 1]?.reading;
  if (before !== undefined && before !== input.reading) {
    throw new BatchStateError(
      'BATCH_INPUT_CHANGED',
      `batch ${s.batchId} read ${s.file} another way (--columns or --delimiter differ): it was read as "${before}", now as "${input.reading}". Nothing was sent. Run it with the options of its earlier runs; or with --resume to continue the batch reading it this way (rows already sent are not sent again; new rows to payees it already paid are held for review); or with a new --batch-id for a separate batch.`,
    );
  }
}

/**
 * The refusals the ledger knows of, before anything is sent:
 * - the ledger recorded payments of this batch that its journal lacks: the journal was cut or
 *   replaced, and going on could pay them again;
 * - the batch was completed on an earlier Central Time day: next month's identical file is a new
 *   payroll, never "already paid" (a same-day rerun reports "nothing to send");
 * - a new batch whose file is byte for byte the file another batch ran within --repeat-window
 *   days (a renamed or copied file), unless --allow-repeat. Next month's identical payroll under
 *   a new --batch-id is outside the window: it is a new payroll.
 */
export function refuseByLedger(
  s: Pick<RunSettings, 'batchId' | 'allowRepeat' | 'repeatWindowDays'>,
  ledger: Ledger,
  state: JournalState,
  run: { digest: string; now: Date; journalPath: string },
): void {
  for (const key of ledger.keysOfBatch(s.batchId)) {
    const p = state.byKey.has(key) ? undefined : ledger.paymentOfBatch(s.batchId, key);
    if (p) {
      throw new BatchStateError(
        'BATCH_CORRUPT',
        `the journal ${run.journalPath} lacks row ${p.row} (key ${p.key}) that the ledger recorded on ${p.firstIntentAt}: it was cut short or replaced; nothing is sent. Restore the journal, or look at 'payouts history --batch ${s.batchId}'`,
      );
    }
  }
  const completed = ledger.batch(s.batchId)?.completedAt;
  if (completed !== undefined && centralDate(new Date(completed)) < centralDate(run.now)) {
    throw new BatchStateError(
      'BATCH_ALREADY_PAID',
      `batch ${s.batchId} was already paid on ${centralDate(new Date(completed))}; to pay this file again use a new --batch-id`,
    );
  }
  const since = run.now.getTime() - s.repeatWindowDays * 86_400_000;
  const twins = state.runs.length === 0 && !s.allowRepeat ? ledger.batchesWithDigest(run.digest, s.batchId) : [];
  const twin = twins.find((b) => Date.parse(b.lastRunAt) >= since);
  if (twin) {
    throw new BatchStateError(
      'BATCH_SAME_FILE',
      `this file is identical to the one of batch ${twin.batchId} (${twin.inputFile}, first run ${twin.firstRunAt.slice(0, 10)}): a renamed or copied file? Nothing was sent. Rerun that batch, or use --allow-repeat to pay it as a new batch (paymentIds already paid stay protected)`,
    );
  }
}
