/**
 * What `payouts calendar [--from DATE] [--days N]` does: prints business days and Same Day ACH
 * windows, Central Time, from today's Central date unless --from says otherwise.
 */
import { UsageError } from '../../input/usage-error.js';
import {
  addCalendarDays,
  CENTRAL_TIME_ZONE,
  centralDate,
  formatCentral,
  formatCentralClock,
  holidayOn,
  type IsoDate,
  isIsoDate,
  isWeekend,
  type SameDayWindow,
  weekdayName,
  windowsOn,
} from '../../plan/calendar.js';
import type { CalendarArgs } from '../commands/calendar.js';
import { EXIT, exitCodeForError } from '../exit-codes.js';

const MAX_CALENDAR_DAYS = 366;

export interface CalendarOptions {
  from: IsoDate;
  days: number;
}

export function validateCalendarArgs(opts: CalendarOptions): void {
  if (!isIsoDate(opts.from)) {
    throw new UsageError('USAGE', `--from must be a real date written YYYY-MM-DD, got ${JSON.stringify(opts.from)}`);
  }
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_CALENDAR_DAYS) {
    throw new UsageError('USAGE', `--days must be a whole number from 1 to ${MAX_CALENDAR_DAYS}, got ${opts.days}`);
  }
}

/** The calendar as text, one line per day and one per Same Day window; a UsageError for bad options. */
export function calendarText(opts: CalendarOptions): string {
  validateCalendarArgs(opts);
  const dates = Array.from({ length: opts.days }, (_, index) => addCalendarDays(opts.from, index));
  const lastDate = addCalendarDays(opts.from, opts.days - 1);
  const header = [
    `Business days and Same Day ACH windows, Central Time (${CENTRAL_TIME_ZONE})`,
    `${opts.from} to ${lastDate} (${opts.days} ${opts.days === 1 ? 'day' : 'days'})`,
    '',
  ];
  return `${[...header, ...dates.flatMap(describeDay)].join('\n')}\n`;
}

function describeDay(date: IsoDate): string[] {
  const heading = `${date} ${weekdayName(date).slice(0, 3)}`;
  const holiday = holidayOn(date);
  if (holiday?.closesFed) {
    const observed = holiday.observed ? ` (observed, actual ${holiday.actualDate})` : '';
    return [`${heading}  closed, holiday: ${holiday.name}${observed}`];
  }
  if (holiday) {
    const friday = addCalendarDays(date, -1);
    return [
      `${heading}  weekend; Saturday holiday ${holiday.name} (not observed: no day is closed, Friday ${friday} stays open)`,
    ];
  }
  if (isWeekend(date)) {
    return [`${heading}  weekend`];
  }
  return [`${heading}  business day`, ...windowsOn(date).map(describeWindow)];
}

function describeWindow(window: SameDayWindow): string {
  const cutoff = `cutoff ${formatCentralClock(window.cutoff)} CT (${formatCentral(window.cutoff)})`;
  const funds = `funds by ${formatCentralClock(window.fundsAvailableBy)} CT (${formatCentral(window.fundsAvailableBy)})`;
  return `    ${cutoff} → ${funds}`;
}

export function calendarAction(args: CalendarArgs): number {
  try {
    process.stdout.write(calendarText({ from: args.from ?? centralDate(new Date()), days: args.days }));
    return EXIT.ok;
  } catch (err) {
    return exitCodeForError(err);
  }
}
