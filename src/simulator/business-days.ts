/**
 * The simulator's own business-day calendar (it must not import src/plan/calendar.ts): Monday to
 * Friday except the Federal Reserve holidays of SPEC.md "Clearing" (a Sunday holiday is observed
 * the Monday after, a Saturday one is not observed), in America/Chicago wall time.
 *
 * Used for Dwolla's cancel window (Dwolla's transfer resource doc: "A bank transfer is
 * cancellable up until 4pm CT on that same business day if the transfer was initiated prior to
 * 4PM CT. If a transfer was initiated after 4pm CT, it can be cancelled anytime before 4pm CT on
 * the following business day.").
 */
// A deep import, as src/plan/calendar.ts does: the package index also loads date-fns's formatting.
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';

const CENTRAL = 'America/Chicago';
const DAY_MS = 86_400_000;
const CANCEL_CUTOFF = '16:00';

/** A civil date as the Date at its UTC midnight. */
function civil(year: number, month: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d;
}

function isoOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function nthMonday(year: number, month: number, n: number): Date {
  const first = civil(year, month, 1);
  return civil(year, month, 1 + ((8 - first.getUTCDay()) % 7) + (n - 1) * 7);
}

function lastMonday(year: number, month: number): Date {
  const last = civil(year, month + 1, 0);
  return civil(year, month, last.getUTCDate() - ((last.getUTCDay() + 6) % 7));
}

function fourthThursday(year: number, month: number): Date {
  const first = civil(year, month, 1);
  return civil(year, month, 1 + ((11 - first.getUTCDay()) % 7) + 21);
}

/** The year's Federal Reserve holidays, on their own dates. */
function holidayDates(year: number): Date[] {
  return [
    civil(year, 1, 1),
    nthMonday(year, 1, 3),
    nthMonday(year, 2, 3),
    lastMonday(year, 5),
    ...(year >= 2022 ? [civil(year, 6, 19)] : []),
    civil(year, 7, 4),
    nthMonday(year, 9, 1),
    nthMonday(year, 10, 2),
    civil(year, 11, 11),
    fourthThursday(year, 11),
    civil(year, 12, 25),
  ];
}

const closedByYear = new Map<number, ReadonlySet<string>>();

/** The dates the Fed is closed for a holiday: a Sunday one moves to Monday, a Saturday one closes nothing. */
function fedClosures(year: number): ReadonlySet<string> {
  let closed = closedByYear.get(year);
  if (!closed) {
    const days = holidayDates(year)
      .filter((d) => d.getUTCDay() !== 6)
      .map((d) => (d.getUTCDay() === 0 ? new Date(d.getTime() + DAY_MS) : d));
    closed = new Set(days.map(isoOf));
    closedByYear.set(year, closed);
  }
  return closed;
}

/** Monday to Friday and not a Federal Reserve holiday; `date` is `YYYY-MM-DD`. */
export function isBusinessDay(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  const weekday = d.getUTCDay();
  return weekday !== 0 && weekday !== 6 && !fedClosures(d.getUTCFullYear()).has(date);
}

function nextDay(date: string): string {
  return isoOf(new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS));
}

const CENTRAL_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: CENTRAL,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date in Central Time at this instant, `YYYY-MM-DD`. */
function centralDate(ms: number): string {
  return CENTRAL_DATE.format(new Date(ms));
}

/** The instant of `time` (`HH:mm`) Central wall time on `date` (DST-aware). */
function centralInstantMs(date: string, time: string): number {
  return fromZonedTime(`${date}T${time}:00`, CENTRAL).getTime();
}

/**
 * The last deadline computed and the earliest instant it was computed for. The deadline is the
 * first business-day 4 pm CT after the instant, so every instant from there until it has it too:
 * a run's transfers, created in time order, mostly skip the time-zone arithmetic (about 30 µs).
 */
let last = { fromMs: Number.POSITIVE_INFINITY, deadlineMs: Number.NEGATIVE_INFINITY };

/**
 * Until when a transfer initiated at `createdMs` may be cancelled: 4 pm CT on the day it was
 * initiated when that is a business day and it was initiated before 4 pm CT; otherwise 4 pm CT on
 * the following business day.
 */
export function cancelDeadlineMs(createdMs: number): number {
  if (last.fromMs <= createdMs && createdMs < last.deadlineMs) {
    return last.deadlineMs;
  }
  const deadlineMs = computeCancelDeadlineMs(createdMs);
  last = { fromMs: createdMs, deadlineMs };
  return deadlineMs;
}

function computeCancelDeadlineMs(createdMs: number): number {
  let day = centralDate(createdMs);
  if (isBusinessDay(day) && createdMs < centralInstantMs(day, CANCEL_CUTOFF)) {
    return centralInstantMs(day, CANCEL_CUTOFF);
  }
  do {
    day = nextDay(day);
  } while (!isBusinessDay(day));
  return centralInstantMs(day, CANCEL_CUTOFF);
}
