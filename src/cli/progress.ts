/**
 * The progress line of a run on a terminal: rows done / total, the rate over the last few seconds
 * (an average since the start says little an hour into a million rows), the ETA, and the Same Day
 * cutoff the batch is racing, if any. `progressText` is pure (the time comes in); `ProgressMeter`
 * keeps the recent samples.
 */
import { centralDate, formatCentralClock, nextWindowAtOrAfter } from '../plan/calendar.js';

/** How far back the rate looks. */
const RATE_WINDOW_MS = 10_000;

/** `h:mm:ss`, or `m:ss` under an hour. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressState {
  done: number;
  total: number;
  /** Rows per second, recently. */
  rate: number;
  now: Date;
  /** Minutes before a cutoff after which its window is no longer targeted (--cutoff-margin). */
  cutoffMarginMinutes: number;
  /** Whether rows may go Same Day (--clearing is not `standard`). */
  sameDay: boolean;
}

/** The line, e.g. `120000/1000000 rows (12%), 310/s, ETA 47:19; Same Day cutoff 13:00 CT in 21:40, ~403000 rows by then`. */
export function progressText(p: ProgressState): string {
  const pct = p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100;
  const left = p.total - p.done;
  const eta = p.rate > 0 ? formatDuration(left / p.rate) : '?';
  const line = `${p.done}/${p.total} rows (${pct}%), ${p.rate.toFixed(p.rate < 10 ? 1 : 0)}/s, ETA ${eta}`;
  return left > 0 && p.sameDay ? `${line}${racing(p, left)}` : line;
}

/** The cutoff of today's next Same Day window still in reach, and how many rows the rate gets there before it. */
function racing(p: ProgressState, left: number): string {
  const window = nextWindowAtOrAfter(p.now, p.cutoffMarginMinutes);
  if (centralDate(window.cutoff) !== centralDate(p.now)) {
    return '';
  }
  const lastSend = window.cutoff.getTime() - p.cutoffMarginMinutes * 60_000;
  const seconds = (lastSend - p.now.getTime()) / 1000;
  const byThen = Math.min(left, Math.floor(seconds * p.rate));
  const verdict = byThen >= left ? 'all rows by then' : `~${byThen} rows by then`;
  return `; Same Day cutoff ${formatCentralClock(window.cutoff)} CT in ${formatDuration(seconds)}, ${verdict}`;
}

/** Samples of (time, rows done), for the recent rate. */
export class ProgressMeter {
  private readonly samples: Array<[number, number]> = [];

  constructor(private readonly startedMs: number) {
    this.samples.push([startedMs, 0]);
  }

  /** Records `done` at `nowMs`; the rate over the last RATE_WINDOW_MS (or since the start). */
  rate(done: number, nowMs: number): number {
    this.samples.push([nowMs, done]);
    while (this.samples.length > 2 && this.samples[1]![0] <= nowMs - RATE_WINDOW_MS) {
      this.samples.shift();
    }
    const [t0, d0] = this.samples[0]!;
    const seconds = (nowMs - Math.max(t0, this.startedMs)) / 1000;
    return seconds > 0 ? (done - d0) / seconds : 0;
  }
}
