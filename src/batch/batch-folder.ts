/**
 * A batch's folder, OUT/BATCH_ID, and the files in it. The run and the dry run make it when it
 * does not exist yet, and remove it again when they fail before writing anything in it, so that
 * a file that cannot be read leaves no empty batch behind.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a batch's files are. */
export function batchFiles(dir: string) {
  return {
    journal: join(dir, 'journal.jsonl'),
    results: join(dir, 'results.csv'),
    summary: join(dir, 'summary.json'),
    plan: join(dir, 'plan.csv'),
    planSummary: join(dir, 'plan.json'),
  };
}

export interface BatchFolder {
  /** Removes the folder if this command made it and it is empty again; never fails. */
  discard(): Promise<void>;
}

/** Makes the batch folder if it does not exist. */
export async function makeBatchFolder(dir: string): Promise<BatchFolder> {
  const made = (await mkdir(dir, { recursive: true })) !== undefined;
  return {
    discard: async () => {
      if (made) {
        await rmdir(dir).catch(() => undefined);
      }
    },
  };
}
