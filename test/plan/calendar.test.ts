import { expect } from 'chai';
import {
  addCalendarDays,
  businessDaysFrom,
  centralDate,
  formatCentral,
  holidayOn,
  holidaysOf,
  isBusinessDay,
  isIsoDate,
  nextWindowAtOrAfter,
  windowsOn,
} from '../../src/plan/calendar.js';

/**
 * The Federal Reserve's holiday schedule, 2024–2030, written out by hand.
 * `closed`: the day the Fed is closed (`actual` given when moved from a Sunday to the Monday).
 * `saturday`: holidays on a Saturday, not observed (the Friday before is a business day).
 */
const FED_SCHEDULE: Record<number, { closed: Array<[string, string, string?]>; saturday: Array<[string, string]> }> = {
  2024: {
    closed: [
      ['2024-01-01', "New Year's Day"],
      ['2024-01-15', 'Martin Luther King Jr. Day'],
      ['2024-02-19', "Washington's Birthday"],
      ['2024-05-27', 'Memorial Day'],
      ['2024-06-19', 'Juneteenth'],
      ['2024-07-04', 'Independence Day'],
      ['2024-09-02', 'Labor Day'],
      ['2024-10-14', 'Columbus Day'],
      ['2024-11-11', 'Veterans Day'],
      ['2024-11-28', 'Thanksgiving Day'],
      ['2024-12-25', 'Christmas Day'],
    ],
    saturday: [],
  },
  2025: {
    closed: [
      ['2025-01-01', "New Year's Day"],
      ['2025-01-20', 'Martin Luther King Jr. Day'],
      ['2025-02-17', "Washington's Birthday"],
      ['2025-05-26', 'Memorial Day'],
      ['2025-06-19', 'Juneteenth'],
      ['2025-07-04', 'Independence Day'],
      ['2025-09-01', 'Labor Day'],
      ['2025-10-13', 'Columbus Day'],
      ['2025-11-11', 'Veterans Day'],
      ['2025-11-27', 'Thanksgiving Day'],
      ['2025-12-25', 'Christmas Day'],
    ],
    saturday: [],
  },
  2026: {
    closed: [
      ['2026-01-01', "New Year's Day"],
      ['2026-01-19', 'Martin Luther King Jr. Day'],
      ['2026-02-16', "Washington's Birthday"],
      ['2026-05-25', 'Memorial Day'],
      ['2026-06-19', 'Juneteenth'],
      ['2026-09-07', 'Labor Day'],
      ['2026-10-12', 'Columbus Day'],
      ['2026-11-11', 'Veterans Day'],
      ['2026-11-26', 'Thanksgiving Day'],
      ['2026-12-25', 'Christmas Day'],
    ],
    saturday: [['2026-07-04', 'Independence Day']],
  },
  2027: {
    closed: [
      ['2027-01-01', "New Year's Day"],
      ['2027-01-18', 'Martin Luther King Jr. Day'],
      ['2027-02-15', "Washington's Birthday"],
      ['2027-05-31', 'Memorial Day'],
      ['2027-07-05', 'Independence Day', '2027-07-04'],
      ['2027-09-06', 'Labor Day'],
      ['2027-10-11', 'Columbus Day'],
      ['2027-11-11', 'Veterans Day'],
      ['2027-11-25', 'Thanksgiving Day'],
    ],
    saturday: [
      ['2027-06-19', 'Juneteenth'],
      ['2027-12-25', 'Christmas Day'],
    ],
  },
  2028: {
    closed: [
      ['2028-01-17', 'Martin Luther King Jr. Day'],
      ['2028-02-21', "Washington's Birthday"],
      ['2028-05-29', 'Memorial Day'],
      ['2028-06-19', 'Juneteenth'],
      ['2028-07-04', 'Independence Day'],
      ['2028-09-04', 'Labor Day'],
      ['2028-10-09', 'Columbus Day'],
      ['2028-11-23', 'Thanksgiving Day'],
      ['2028-12-25', 'Christmas Day'],
    ],
    saturday: [
      ['2028-01-01', "New Year's Day"],
      ['2028-11-11', 'Veterans Day'],
    ],
  },
  2029: {
    closed: [
      ['2029-01-01', "New Year's Day"],
      ['2029-01-15', 'Martin Luther King Jr. Day'],
      ['2029-02-19', "Washington's Birthday"],
      ['2029-05-28', 'Memorial Day'],
      ['2029-06-19', 'Juneteenth'],
      ['2029-07-04', 'Independence Day'],
      ['2029-09-03', 'Labor Day'],
      ['2029-10-08', 'Columbus Day'],
      ['2029-11-12', 'Veterans Day', '2029-11-11'],
      ['2029-11-22', 'Thanksgiving Day'],
      ['2029-12-25', 'Christmas Day'],
    ],
    saturday: [],
  },
  2030: {
    closed: [
      ['2030-01-01', "New Year's Day"],
      ['2030-01-21', 'Martin Luther King Jr. Day'],
      ['2030-02-18', "Washington's Birthday"],
      ['2030-05-27', 'Memorial Day'],
      ['2030-06-19', 'Juneteenth'],
      ['2030-07-04', 'Independence Day'],
      ['2030-09-02', 'Labor Day'],
      ['2030-10-14', 'Columbus Day'],
      ['2030-11-11', 'Veterans Day'],
      ['2030-11-28', 'Thanksgiving Day'],
      ['2030-12-25', 'Christmas Day'],
    ],
    saturday: [],
  },
};

/** Every calendar date from `first` to `last` inclusive, by the test's own arithmetic. */
function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) {
    dates.push(new Date(t).toISOString().slice(0, 10));
  }
  return dates;
}

function isSaturdayOrSunday(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

const at = (iso: string): Date => new Date(iso);

describe('calendar: Federal Reserve holidays', () => {
  for (const [yearText, schedule] of Object.entries(FED_SCHEDULE)) {
    const year = Number(yearText);

    it(`${year}: closing holidays match the Fed's schedule`, () => {
      const closing = holidaysOf(year)
        .filter((holiday) => holiday.closesFed)
        .map((holiday) => [holiday.date, holiday.name, holiday.observed, holiday.actualDate]);
      const expected = schedule.closed.map(([date, name, actual]) => [
        date,
        name,
        actual !== undefined,
        actual ?? date,
      ]);
      expect(closing).to.deep.equal(expected);
    });

    it(`${year}: Saturday holidays are listed but close nothing`, () => {
      const saturday = holidaysOf(year)
        .filter((holiday) => !holiday.closesFed)
        .map((holiday) => [holiday.date, holiday.name, holiday.observed, holiday.actualDate]);
      expect(saturday).to.deep.equal(schedule.saturday.map(([date, name]) => [date, name, false, date]));
    });
  }

  it('every day of 2024–2030 is a business day exactly when it is a weekday off the schedule', () => {
    const closed = new Set(Object.values(FED_SCHEDULE).flatMap((schedule) => schedule.closed.map(([date]) => date)));
    const wrong = datesBetween('2024-01-01', '2030-12-31').filter(
      (date) => isBusinessDay(date) !== (!isSaturdayOrSunday(date) && !closed.has(date)),
    );
    expect(wrong).to.deep.equal([]);
  });

  it('keeps the Friday before a Saturday holiday open', () => {
    for (const friday of ['2026-07-03', '2027-06-18', '2027-12-24', '2027-12-31', '2028-11-10']) {
      expect(isBusinessDay(friday), friday).to.equal(true);
      expect(windowsOn(friday), friday).to.have.length(3);
    }
  });

  it('closes the Monday after a Sunday holiday, not the Sunday itself as a holiday', () => {
    expect(holidayOn('2027-07-05')).to.include({ name: 'Independence Day', observed: true, actualDate: '2027-07-04' });
    expect(holidayOn('2027-07-04')).to.equal(undefined);
    expect(isBusinessDay('2027-07-05')).to.equal(false);
    expect(isBusinessDay('2027-07-06')).to.equal(true);
  });

  it('has no Juneteenth before 2022', () => {
    expect(holidaysOf(2021).map((holiday) => holiday.name)).not.to.include('Juneteenth');
    expect(isBusinessDay('2021-06-18')).to.equal(true);
    expect(holidayOn('2022-06-20')).to.include({ name: 'Juneteenth', observed: true, actualDate: '2022-06-19' });
  });

  it('returns a frozen list that callers cannot corrupt', () => {
    expect(Object.isFrozen(holidaysOf(2026))).to.equal(true);
    expect(Object.isFrozen(holidaysOf(2026)[0])).to.equal(true);
  });
});

describe('calendar: dates', () => {
  it('validates YYYY-MM-DD calendar dates', () => {
    for (const good of ['2026-01-01', '2028-02-29', '2026-12-31']) {
      expect(isIsoDate(good), good).to.equal(true);
    }
    for (const bad of [
      '2026-02-29',
      '2026-13-01',
      '2026-00-10',
      '2026-1-5',
      '20260105',
      '',
      'today',
      '2026-01-01T00:00',
    ]) {
      expect(isIsoDate(bad), bad).to.equal(false);
    }
  });

  it('adds calendar days across month, year and DST boundaries', () => {
    expect(addCalendarDays('2026-03-07', 2)).to.equal('2026-03-09');
    expect(addCalendarDays('2026-10-31', 2)).to.equal('2026-11-02');
    expect(addCalendarDays('2027-12-31', 1)).to.equal('2028-01-01');
    expect(addCalendarDays('2028-03-01', -1)).to.equal('2028-02-29');
  });

  it('lists business days on or after a date', () => {
    expect(businessDaysFrom('2026-11-25', 3)).to.deep.equal(['2026-11-25', '2026-11-27', '2026-11-30']);
    expect(businessDaysFrom('2026-01-17', 2)).to.deep.equal(['2026-01-20', '2026-01-21']);
    expect(businessDaysFrom('2026-03-08', 0)).to.deep.equal([]);
  });

  it('takes the Central date of an instant, not the UTC one', () => {
    expect(centralDate(at('2026-03-10T04:59:59Z'))).to.equal('2026-03-09');
    expect(centralDate(at('2026-03-10T05:00:00Z'))).to.equal('2026-03-10');
    expect(centralDate(at('2026-01-10T05:59:59Z'))).to.equal('2026-01-09');
    expect(centralDate(at('2026-01-10T06:00:00Z'))).to.equal('2026-01-10');
  });
});

describe('calendar: Same Day windows and DST', () => {
  it('spring forward (2026-03-08): the clock jumps from 01:59:59 CST to 03:00 CDT', () => {
    expect(formatCentral(at('2026-03-08T07:59:59Z'))).to.equal('2026-03-08T01:59:59-06:00');
    expect(formatCentral(at('2026-03-08T08:00:00Z'))).to.equal('2026-03-08T03:00:00-05:00');
    expect(windowsOn('2026-03-08')).to.deep.equal([]);
  });

  it('fall back (2026-11-01): 01:00 happens twice, first CDT then CST', () => {
    expect(formatCentral(at('2026-11-01T06:00:00Z'))).to.equal('2026-11-01T01:00:00-05:00');
    expect(formatCentral(at('2026-11-01T07:00:00Z'))).to.equal('2026-11-01T01:00:00-06:00');
    expect(windowsOn('2026-11-01')).to.deep.equal([]);
  });

  const windowsAsText = (date: string) =>
    windowsOn(date).map((window) => [formatCentral(window.cutoff), formatCentral(window.fundsAvailableBy)]);

  it('windows on Friday 2026-03-06 are CST (-06:00)', () => {
    expect(windowsAsText('2026-03-06')).to.deep.equal([
      ['2026-03-06T09:00:00-06:00', '2026-03-06T11:30:00-06:00'],
      ['2026-03-06T13:00:00-06:00', '2026-03-06T17:00:00-06:00'],
      ['2026-03-06T15:00:00-06:00', '2026-03-06T17:00:00-06:00'],
    ]);
    expect(windowsOn('2026-03-06')[0]?.cutoff.toISOString()).to.equal('2026-03-06T15:00:00.000Z');
  });

  it('windows on Monday 2026-03-09 are CDT (-05:00)', () => {
    expect(windowsAsText('2026-03-09')).to.deep.equal([
      ['2026-03-09T09:00:00-05:00', '2026-03-09T11:30:00-05:00'],
      ['2026-03-09T13:00:00-05:00', '2026-03-09T17:00:00-05:00'],
      ['2026-03-09T15:00:00-05:00', '2026-03-09T17:00:00-05:00'],
    ]);
    expect(windowsOn('2026-03-09').map((window) => window.cutoff.toISOString())).to.deep.equal([
      '2026-03-09T14:00:00.000Z',
      '2026-03-09T18:00:00.000Z',
      '2026-03-09T20:00:00.000Z',
    ]);
  });

  it('windows around fall back: Friday 2026-10-30 is -05:00, Monday 2026-11-02 is -06:00', () => {
    expect(windowsOn('2026-10-30')[0]?.cutoff.toISOString()).to.equal('2026-10-30T14:00:00.000Z');
    expect(windowsOn('2026-11-02')[0]?.cutoff.toISOString()).to.equal('2026-11-02T15:00:00.000Z');
    expect(formatCentral(windowsOn('2026-11-02')[2]!.fundsAvailableBy)).to.equal('2026-11-02T17:00:00-06:00');
  });

  it('has no windows on a holiday', () => {
    expect(windowsOn('2026-11-26')).to.deep.equal([]);
  });

  it('rejects a margin or an instant that could never find a window, instead of looping', () => {
    expect(() => nextWindowAtOrAfter(at('2026-03-10T08:00:00-05:00'), Number.NaN)).to.throw(RangeError);
    expect(() => nextWindowAtOrAfter(at('2026-03-10T08:00:00-05:00'), Number.POSITIVE_INFINITY)).to.throw(RangeError);
    expect(() => nextWindowAtOrAfter(at('not a time'), 10)).to.throw(RangeError);
  });

  it('finds the next window several business days away for a margin longer than a day', () => {
    const window = nextWindowAtOrAfter(at('2026-03-13T08:00:00-05:00'), 2 * 24 * 60);
    expect(formatCentral(window.cutoff)).to.equal('2026-03-16T09:00:00-05:00');
  });
});
