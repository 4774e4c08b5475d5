/**
 * The worker thread of src/input/csv-thread.ts: reads the file given in workerData with
 * `readOnThisThread` and posts its records in batches of RECORDS_PER_BATCH, at most CREDIT ahead
 * of the batches the reading thread has taken ('more' gives one back), then the digest. Any
 * failure is posted as an error message (a UsageError with its code and line) and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CsvRecord, readOnThisThread } from './csv-reader.js';
import { CREDIT, RECORDS_PER_BATCH, type ThreadInput, type ThreadMessage } from './csv-thread.js';
import { UsageError } from './usage-error.js';

const port = parentPort;
if (!port) {
  throw new Error('csv-thread-worker runs only as a worker thread');
}
const input = workerData as ThreadInput;

let credit = CREDIT;
let wake: (() => void) | undefined;
port.on('message', () => {
  credit++;
  const resume = wake;
  wake = undefined;
  resume?.();
});

function post(m: ThreadMessage): void {
  port!.postMessage(m);
}

async function hand(records: CsvRecord[]): Promise<void> {
  while (credit === 0) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  credit--;
  post({ kind: 'batch', records });
}

let pending: CsvRecord[] = [];
try {
  const source = await readOnThisThread(input.path, input.delimiter);
  post({ kind: 'delimiter', delimiter: source.delimiter });
  for await (const batch of source.batches) {
    for (const record of batch) {
      pending.push(record);
    }
    if (pending.length >= RECORDS_PER_BATCH) {
      await hand(pending);
      pending = [];
    }
  }
  if (pending.length > 0) {
    await hand(pending);
    pending = [];
  }
  post({ kind: 'end', digest: source.digest() });
} catch (err) {
  // The records read before the failure go first, as the same reading on the other thread yields
  // them before it throws (a bad header before a malformed line is reported as the bad header).
  if (pending.length > 0) {
    post({ kind: 'batch', records: pending });
  }
  post(
    err instanceof UsageError
      ? { kind: 'error', message: err.message, usage: { code: err.code, line: err.line } }
      : { kind: 'error', message: err instanceof Error ? err.message : String(err) },
  );
} finally {
  port.close();
}
