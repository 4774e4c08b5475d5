/**
 * Reading a large payee CSV on a worker thread (src/input/csv-thread-worker.ts): the thread runs
 * this module's own reading (`readOnThisThread`: UTF-8 check, digest, csv-parse, line numbers,
 * field counts) and hands the records over in batches, while this thread plans them. Parsing is
 * most of a pass's time (about 5 of a 1,000,000-row dry run's 13 s on this machine); on its own
 * thread it runs beside the rest. What comes over is what the same reading on this thread would
 * yield, in the same order, and the same errors (UsageError with its code and line).
 *
 * Memory stays flat: the thread reads ahead at most CREDIT batches, and its young generation is
 * small. The thread never keeps the process alive on its own: it is referenced only while this
 * thread waits for it.
 */
import { Worker } from 'node:worker_threads';
import type { CsvRecord, RecordSource } from './csv-reader.js';
import type { Delimiter } from './delimiter.js';
import { UsageError, type UsageErrorCode } from './usage-error.js';

/**
 * Batches the thread may read ahead of the one being planned, and records per batch. Measured on
 * a 1,000,000-row dry run (npm run bench): 2 of 64 as fast as 4 of 256, and 8 MB less at its
 * peak; 4 of 1,024 took twice as long (batches that outlive young collections are promoted).
 */
export const CREDIT = 2;
export const RECORDS_PER_BATCH = 64;
/** The thread's young generation, in MB: it allocates fast and keeps nothing (src/cli/young-generation.ts). */
const YOUNG_GENERATION_MB = 4;

/** What the thread is given. */
export interface ThreadInput {
  path: string;
  delimiter: Delimiter | undefined;
}

/** What the thread says, in this order: the delimiter, batches, then the end (or an error, at any point). */
export type ThreadMessage =
  | { kind: 'delimiter'; delimiter: Delimiter }
  | { kind: 'batch'; records: CsvRecord[] }
  | { kind: 'end'; digest: string | undefined }
  | { kind: 'error'; message: string; usage?: { code: UsageErrorCode; line: number | undefined } };

/** The thread's failure as this thread throws it: a UsageError stays one. */
function errorOf(m: Extract<ThreadMessage, { kind: 'error' }>): Error {
  return m.usage ? new UsageError(m.usage.code, m.message, m.usage.line) : new Error(m.message);
}

/**
 * The thread's module, compiled: beside this one; or, when this one runs as TypeScript (the
 * tests, under tsx, which a worker thread of Node 20 cannot load), the one `npm run build` made
 * of the same source, which `npm test` builds first.
 */
function workerModule(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/src/input/csv-thread-worker.js', import.meta.url)
    : new URL('./csv-thread-worker.js', import.meta.url);
}

/** The thread's messages in order, each waited for with the thread referenced. */
class Inbox {
  private readonly queue: Array<ThreadMessage | Error> = [];
  private waiter: ((m: ThreadMessage | Error) => void) | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: ThreadMessage) => this.put(m));
    worker.on('error', (err: Error) => this.put(err));
    // A message that could not be deserialized: the reading cannot go on without it.
    worker.on('messageerror', (err: Error) => this.put(err));
    worker.on('exit', (code) => this.put(new Error(`the thread reading the CSV stopped (exit code ${code})`)));
    worker.unref();
  }

  async next(): Promise<ThreadMessage> {
    const m =
      this.queue.shift() ??
      (await new Promise<ThreadMessage | Error>((resolve) => {
        this.waiter = resolve;
        this.worker.ref();
      }));
    if (m instanceof Error) {
      throw m;
    }
    if (m.kind === 'error') {
      throw errorOf(m);
    }
    return m;
  }

  private put(m: ThreadMessage | Error): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.worker.unref();
      waiter(m);
    } else {
      this.queue.push(m);
    }
  }
}

/** The batches as the thread hands them over; it is stopped when they are left early. */
async function* batchesOf(worker: Worker, inbox: Inbox, state: { digest: string | undefined }) {
  let ended = false;
  try {
    for (;;) {
      const m = await inbox.next();
      if (m.kind === 'end') {
        state.digest = m.digest;
        ended = true;
        return;
      }
      if (m.kind === 'batch') {
        yield m.records;
        worker.postMessage('more');
      }
    }
  } finally {
    if (!ended) {
      await worker.terminate();
    }
  }
}

/** Reads `path` on a worker thread: the same records and digest as `readOnThisThread`. */
export async function readOnAThread(path: string, delimiter?: Delimiter): Promise<RecordSource> {
  const worker = new Worker(workerModule(), {
    // Not this process's node options (--input-type, --import, heap sizes): the thread only reads.
    execArgv: [],
    workerData: { path, delimiter } satisfies ThreadInput,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const inbox = new Inbox(worker);
  let first: ThreadMessage;
  try {
    first = await inbox.next();
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  if (first.kind !== 'delimiter') {
    await worker.terminate();
    throw new Error(`the thread reading the CSV said ${first.kind} before the delimiter`);
  }
  const state: { digest: string | undefined } = { digest: undefined };
  const batches = batchesOf(worker, inbox, state);
  return {
    delimiter: first.delimiter,
    batches,
    digest: () => state.digest,
    close: async () => {
      await batches.return(undefined);
      // Not started, its return() runs no finally: the thread is stopped here (a thread that has
      // ended is not disturbed).
      await worker.terminate();
    },
  };
}
