/**
 * The per-row clearing decision (SPEC "Clearing"): whether a row sent at a given instant asks
 * for Same Day ACH, which window it targets, and how the results show it. Pure: the time is
 * passed in.
 */
import type { ClearingPolicy } from '../input/validation.js';
import {
  centralDate,
  formatCentral,
  formatCentralClock,
  holidayOn,
  type IsoDate,
  isWeekend,
  LAST_CUTOFF,
  nextWindowAtOrAfter,
  type SameDayWindow,
  weekdayName,
} from './calendar.js';

/** Nacha's Same Day ACH per-payment limit: $1,000,000.00. */
export const SAME_DAY_LIMIT_CENTS = 100_000_000;

export interface ClearingDecision {
  clearing: 'same-day' | 'standard';
  sameDayCutoff?: Date;
  fundsAvailableBy?: Date;
  reason: string;
}

function cutoffLabel(clock: string, marginMinutes: number): string {
  return marginMinutes === 0 ? `${clock} CT cutoff` : `${clock} CT cutoff − ${marginMinutes} min`;
}

function standard(reason: string): ClearingDecision {
  return { clearing: 'standard', reason };
}

function sameDay(window: SameDayWindow, reason: string): ClearingDecision {
  return { clearing: 'same-day', sameDayCutoff: window.cutoff, fundsAvailableBy: window.fundsAvailableBy, reason };
}

function whyNoWindowToday(today: IsoDate, marginMinutes: number): string {
  if (isWeekend(today)) {
    return `${today} is a ${weekdayName(today)}`;
  }
  const holiday = holidayOn(today);
  if (holiday) {
    return `${today} is ${holiday.name}`;
  }
  return `after ${cutoffLabel(LAST_CUTOFF, marginMinutes)}`;
}

/**
 * Whether a row sent at `now` asks for Same Day ACH, and which window it targets.
 *
 * - `standard`: never.
 * - over SAME_DAY_LIMIT_CENTS: never.
 * - `same-day`: always; the window shown is the first one whose cutoff is at least the margin after `now`.
 * - `auto`: only when that window is on `now`'s own Central date (a business day).
 */
export function decideClearing(input: {
  now: Date;
  policy: ClearingPolicy;
  amountCents: number;
  cutoffMarginMinutes: number;
}): ClearingDecision {
  const { now, policy, amountCents, cutoffMarginMinutes } = input;
  if (policy === 'standard') {
    return standard('clearing policy is standard');
  }
  if (amountCents > SAME_DAY_LIMIT_CENTS) {
    return standard('amount over Same Day limit ($1,000,000.00)');
  }

  const today = centralDate(now);
  const window = nextWindowAtOrAfter(now, cutoffMarginMinutes);
  const windowDate = centralDate(window.cutoff);
  const windowClock = formatCentralClock(window.cutoff);
  if (windowDate === today) {
    return sameDay(window, `in time for ${cutoffLabel(windowClock, cutoffMarginMinutes)}`);
  }
  if (policy === 'same-day') {
    return sameDay(window, `same-day requested; next window ${windowDate} ${windowClock} CT`);
  }
  return standard(whyNoWindowToday(today, cutoffMarginMinutes));
}

/** Clearing columns as results show them. */
export interface ClearingColumns {
  clearing: 'same-day' | 'standard';
  sameDayCutoff?: string;
  fundsAvailableBy?: string;
}

export function clearingColumns(decision: ClearingDecision): ClearingColumns {
  const cols: ClearingColumns = { clearing: decision.clearing };
  if (decision.sameDayCutoff) {
    cols.sameDayCutoff = formatCentral(decision.sameDayCutoff);
  }
  if (decision.fundsAvailableBy) {
    cols.fundsAvailableBy = formatCentral(decision.fundsAvailableBy);
  }
  return cols;
}
