/**
 * Caps V8's young generation at YOUNG_CAP while the process runs, as `--max-semi-space-size`
 * would; that flag is read only when the heap is made, so a program cannot give it to itself, and
 * the `payouts` executable is started by npm's shims, cron and scripts without it. V8 reads
 * `--semi-space-growth-factor` each time it grows the young generation: a watcher sets it to 1 (no
 * growth) while the young generation is at the cap, and back to 2 (V8's default) once V8 has
 * shrunk it. A streaming run allocates fast and keeps little, and a young generation larger than
 * the cap only holds garbage longer: the default's 32 MB made a 1,000,000-row run's peak RSS
 * about 13-20 MB higher, and no faster (npm run bench). Since the file is parsed on its own
 * thread (src/input/csv-thread.ts), this thread allocates less per row: 8 MB took another 4-5 MB
 * off a 1,000,000-row dry run's peak, in the same time within this machine's noise.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Both semi-spaces, as `new_space`'s size reports them: `--max-semi-space-size=4`. */
const YOUNG_CAP = 8 * 1024 * 1024;
/**
 * How often the young generation's size is looked at (microseconds of work each time). Measured
 * on a 1,000,000-row dry run: every 50 ms, as fast as without the watcher; every 5 ms, half as
 * slow again (V8 left without growth for longer after each time it shrank the space, it seems).
 */
const WATCH_MS = 50;

/** The process's V8, as the watcher sees it (injectable for tests). */
export interface YoungGenerationHeap {
  /** Bytes of the young generation (both semi-spaces). */
  youngBytes: () => number;
  setFlags: (flags: string) => void;
}

const V8_HEAP: YoungGenerationHeap = {
  youngBytes: () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  setFlags: setFlagsFromString,
};

/** The growth factor V8 should use now: none at the cap, V8's default below it. */
export function growthFactorAt(youngBytes: number, cap = YOUNG_CAP): 1 | 2 {
  return youngBytes >= cap ? 1 : 2;
}

/** Starts the watcher; it never keeps the process alive. Returns a function that stops it. */
export function capYoungGeneration(heap: YoungGenerationHeap = V8_HEAP, everyMs = WATCH_MS): () => void {
  let factor = 2;
  const watch = setInterval(() => {
    const now = growthFactorAt(heap.youngBytes());
    if (now !== factor) {
      factor = now;
      heap.setFlags(`--semi-space-growth-factor=${now}`);
    }
  }, everyMs);
  watch.unref();
  return () => clearInterval(watch);
}
