/**
 * `payouts calendar [--from DATE] [--days N]`: business days and Same Day ACH windows, Central Time.
 * Returns the text to print; the default `from` (today's Central date) is chosen by the CLI.
 */
import {
  addCalendarDays,
  CENTRAL_TIME_ZONE,
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

const MAX_CALENDAR_DAYS = 366;

export class CalendarUsageError extends Error {
  override name = 'CalendarUsageError';
}

export interface CalendarOptions {
  from: IsoDate;
  days: number;
}

export function validateCalendarArgs(opts: CalendarOptions): void {
  if (!isIsoDate(opts.from)) {
    throw new CalendarUsageError(`--from must be a real date written YYYY-MM-DD, got ${JSON.stringify(opts.from)}`);
  }
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_CALENDAR_DAYS) {
    throw new CalendarUsageError(`--days must be a whole number from 1 to ${MAX_CALENDAR_DAYS}, got ${opts.days}`);
  }
}

export function calendarCommand(opts: CalendarOptions): string {
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
