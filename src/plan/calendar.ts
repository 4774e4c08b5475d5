/**
 * Federal Reserve business days and Same Day ACH windows (the per-row decision is clearing.ts).
 *
 * Pure: no I/O and no clock; every instant is passed in. Calendar dates are `YYYY-MM-DD` strings
 * (civil dates with no time zone); instants are `Date`s. Wall-clock times are America/Chicago,
 * converted with date-fns-tz so that DST is handled by the time zone database.
 */
// A deep import: the package index also loads all of date-fns's formatting (about 20 MB resident),
// so formatting uses the Intl time-zone data directly (what date-fns-tz itself reads).
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';

export const CENTRAL_TIME_ZONE = 'America/Chicago';

/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

export interface Holiday {
  /** The day the Fed is closed for it (the Monday after when it falls on a Sunday); for a Saturday holiday, the Saturday itself. */
  date: IsoDate;
  name: string;
  /** True when moved from a Sunday to the Monday after. */
  observed: boolean;
  /** The holiday's own date. */
  actualDate: IsoDate;
  /** False for a holiday on a Saturday: it is not observed, no day is closed for it (the Friday before stays open). */
  closesFed: boolean;
}

export interface SameDayWindow {
  cutoff: Date;
  fundsAvailableBy: Date;
}

// ---------------------------------------------------------------------------------------------
// Civil dates. A civil date is represented internally as the Date at its UTC midnight, which makes
// day arithmetic and weekdays independent of the process's time zone.

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

function civilDate(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date;
}

function toIsoDate(date: Date): IsoDate {
  return date.toISOString().slice(0, 10);
}

function tryParseIsoDate(value: string): Date | undefined {
  const match = ISO_DATE.exec(value);
  if (!match) {
    return undefined;
  }
  const date = civilDate(Number(match[1]), Number(match[2]), Number(match[3]));
  return toIsoDate(date) === value ? date : undefined;
}

function parseIsoDate(value: IsoDate): Date {
  const date = tryParseIsoDate(value);
  if (!date) {
    throw new RangeError(`not a YYYY-MM-DD calendar date: ${JSON.stringify(value)}`);
  }
  return date;
}

/** True for a real calendar date written `YYYY-MM-DD` (so `2026-02-30` is false). */
export function isIsoDate(value: string): boolean {
  return tryParseIsoDate(value) !== undefined;
}

export function addCalendarDays(date: IsoDate, days: number): IsoDate {
  return toIsoDate(new Date(parseIsoDate(date).getTime() + days * DAY_MS));
}

function dayOfWeek(date: IsoDate): number {
  return parseIsoDate(date).getUTCDay();
}

/** `Monday`, `Tuesday`, … */
export function weekdayName(date: IsoDate): string {
  return WEEKDAY_NAMES[dayOfWeek(date)] as string;
}

export function isWeekend(date: IsoDate): boolean {
  const day = dayOfWeek(date);
  return day === SATURDAY || day === SUNDAY;
}

// ---------------------------------------------------------------------------------------------
// Federal Reserve holidays

interface HolidayRule {
  name: string;
  firstYear?: number;
  dateIn(year: number): Date;
}

function fixedDate(month: number, day: number): (year: number) => Date {
  return (year) => civilDate(year, month, day);
}

function nthWeekday(month: number, weekday: number, n: number): (year: number) => Date {
  return (year) => {
    const first = civilDate(year, month, 1);
    const firstMatch = 1 + ((weekday - first.getUTCDay() + 7) % 7);
    return civilDate(year, month, firstMatch + (n - 1) * 7);
  };
}

function lastWeekday(month: number, weekday: number): (year: number) => Date {
  return (year) => {
    const last = civilDate(year, month + 1, 0);
    return civilDate(year, month, last.getUTCDate() - ((last.getUTCDay() - weekday + 7) % 7));
  };
}

const HOLIDAY_RULES: readonly HolidayRule[] = [
  { name: "New Year's Day", dateIn: fixedDate(1, 1) },
  { name: 'Martin Luther King Jr. Day', dateIn: nthWeekday(1, MONDAY, 3) },
  { name: "Washington's Birthday", dateIn: nthWeekday(2, MONDAY, 3) },
  { name: 'Memorial Day', dateIn: lastWeekday(5, MONDAY) },
  { name: 'Juneteenth', dateIn: fixedDate(6, 19), firstYear: 2022 },
  { name: 'Independence Day', dateIn: fixedDate(7, 4) },
  { name: 'Labor Day', dateIn: nthWeekday(9, MONDAY, 1) },
  { name: 'Columbus Day', dateIn: nthWeekday(10, MONDAY, 2) },
  { name: 'Veterans Day', dateIn: fixedDate(11, 11) },
  { name: 'Thanksgiving Day', dateIn: nthWeekday(11, THURSDAY, 4) },
  { name: 'Christmas Day', dateIn: fixedDate(12, 25) },
];

function toHoliday(name: string, actual: Date): Holiday {
  const actualDate = toIsoDate(actual);
  switch (actual.getUTCDay()) {
    case SUNDAY:
      return { date: addCalendarDays(actualDate, 1), name, observed: true, actualDate, closesFed: true };
    case SATURDAY:
      return { date: actualDate, name, observed: false, actualDate, closesFed: false };
    default:
      return { date: actualDate, name, observed: false, actualDate, closesFed: true };
  }
}

const holidaysByYear = new Map<number, readonly Holiday[]>();

/** The year's Federal Reserve holidays in date order, including Saturday ones (`closesFed: false`). */
export function holidaysOf(year: number): readonly Holiday[] {
  let holidays = holidaysByYear.get(year);
  if (!holidays) {
    holidays = Object.freeze(
      HOLIDAY_RULES.filter((rule) => year >= (rule.firstYear ?? year)).map((rule) =>
        Object.freeze(toHoliday(rule.name, rule.dateIn(year))),
      ),
    );
    holidaysByYear.set(year, holidays);
  }
  return holidays;
}

/** The holiday whose `date` is this day (a closing one, or a Saturday one that closes nothing). */
export function holidayOn(date: IsoDate): Holiday | undefined {
  return holidaysOf(parseIsoDate(date).getUTCFullYear()).find((holiday) => holiday.date === date);
}

export function isBusinessDay(date: IsoDate): boolean {
  return !isWeekend(date) && holidayOn(date) === undefined;
}

/** The first `count` business days on or after `date`. */
export function businessDaysFrom(date: IsoDate, count: number): IsoDate[] {
  const days: IsoDate[] = [];
  for (let day = date; days.length < count; day = addCalendarDays(day, 1)) {
    if (isBusinessDay(day)) {
      days.push(day);
    }
  }
  return days;
}

// ---------------------------------------------------------------------------------------------
// Central Time and Same Day windows

const WINDOW_TIMES = [
  { cutoff: '09:00', fundsAvailableBy: '11:30' },
  { cutoff: '13:00', fundsAvailableBy: '17:00' },
  { cutoff: '15:00', fundsAvailableBy: '17:00' },
] as const;
export const LAST_CUTOFF = WINDOW_TIMES[2].cutoff;

function centralInstant(date: IsoDate, time: string): Date {
  return fromZonedTime(`${date}T${time}:00`, CENTRAL_TIME_ZONE);
}

const CENTRAL_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: CENTRAL_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'longOffset',
});

/** The Central wall-clock time at this instant as `YYYY-MM-DDTHH:mm:ss`, and its UTC offset (`-05:00`). */
function centralWallClock(instant: Date): { wall: string; offset: string } {
  if (Number.isNaN(instant.getTime())) {
    throw new RangeError(`not a valid instant: ${String(instant)}`);
  }
  const p: Record<string, string> = {};
  for (const part of CENTRAL_FORMAT.formatToParts(instant)) {
    p[part.type] = part.value;
  }
  const offset = (p.timeZoneName ?? '').replace(/^GMT/, '') || '+00:00';
  return { wall: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`, offset };
}

/** The calendar date in Central Time at this instant. */
export function centralDate(instant: Date): IsoDate {
  return centralWallClock(instant).wall.slice(0, 10);
}

/** ISO-8601 in Central Time with its offset, e.g. `2026-03-09T09:00:00-05:00`. */
export function formatCentral(instant: Date): string {
  const { wall, offset } = centralWallClock(instant);
  return `${wall}${offset}`;
}

/** The Central wall-clock time, `HH:mm`. */
export function formatCentralClock(instant: Date): string {
  return centralWallClock(instant).wall.slice(11, 16);
}

/** Windows by date: a pure memo (time-zone conversion is the costly part of a clearing decision). */
const windowsByDate = new Map<IsoDate, readonly SameDayWindow[]>();
const MAX_MEMO_DAYS = 400;

/** The day's three Same Day windows, in cutoff order; none on a day that is not a business day. */
export function windowsOn(date: IsoDate): readonly SameDayWindow[] {
  let windows = windowsByDate.get(date);
  if (!windows) {
    windows = !isBusinessDay(date)
      ? []
      : WINDOW_TIMES.map((times) =>
          Object.freeze({
            cutoff: centralInstant(date, times.cutoff),
            fundsAvailableBy: centralInstant(date, times.fundsAvailableBy),
          }),
        );
    if (windowsByDate.size >= MAX_MEMO_DAYS) {
      windowsByDate.clear();
    }
    windowsByDate.set(date, Object.freeze(windows));
  }
  return windows;
}

function isInTimeFor(window: SameDayWindow, instant: Date, marginMinutes: number): boolean {
  return instant.getTime() <= window.cutoff.getTime() - marginMinutes * 60_000;
}

/**
 * The first window, on `instant`'s Central date or a later business day, whose cutoff is at least
 * `marginMinutes` after `instant` (exactly `marginMinutes` before the cutoff still counts).
 */
export function nextWindowAtOrAfter(instant: Date, marginMinutes: number): SameDayWindow {
  if (!Number.isFinite(marginMinutes) || Number.isNaN(instant.getTime())) {
    throw new RangeError(`no Same Day window for an invalid instant or margin (margin ${marginMinutes} min)`);
  }
  for (let day = centralDate(instant); ; day = addCalendarDays(day, 1)) {
    const window = windowsOn(day).find((candidate) => isInTimeFor(candidate, instant, marginMinutes));
    if (window) {
      return window;
    }
  }
}
