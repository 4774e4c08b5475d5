/**
 * A batch's state as its journal tells it, and the refusals that follow from it before anything
 * is sent: a damaged journal, a file changed without --resume. The run and the dry run share them.
 */
import { BatchStateError } from './errors.js';
import { JournalCorruptError, type JournalState, readJournal } from './journal.js';
import type { RunSettings } from './settings.js';

/**
 * What earlier runs of the batch did, from its journal. A damaged journal, or a file that
 * changed since the last run without --resume, ends the run before anything is sent.
 */
export async function loadBatchState(
  s: Pick<RunSettings, 'batchId' | 'file' | 'resume'>,
  journalPath: string,
  digest: string,
): Promise<JournalState> {
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
  refuseChangedFile(s, state, digest);
  return state;
}

/** A file that changed since the batch's last run continues the batch only with --resume. */
export function refuseChangedFile(
  s: Pick<RunSettings, 'batchId' | 'file' | 'resume'>,
  state: JournalState,
  digest: string,
): void {
  if (state.lastDigest !== undefined && state.lastDigest !== digest && !s.resume) {
    throw new BatchStateError(
      'BATCH_INPUT_CHANGED',
      `batch ${s.batchId} was run with a different ${s.file} (it has changed since). Run again with --resume to continue that batch with the edited file (rows already created are not sent again), or with a new --batch-id to start a separate batch.`,
    );
  }
}
