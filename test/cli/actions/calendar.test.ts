import { expect } from 'chai';
import { calendarText, validateCalendarArgs } from '../../../src/cli/actions/calendar.js';
import { UsageError } from '../../../src/input/usage-error.js';

/** The lines that start a day (`YYYY-MM-DD Www  …`). */
const dayLines = (output: string) =>
  output.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} [A-Z][a-z]{2} {2}/.test(line));

describe('calendar command', () => {
  it('prints a Thanksgiving week: the holiday by name, weekends, and windows with offsets', () => {
    const output = calendarText({ from: '2026-11-23', days: 7 });
    expect(dayLines(output)).to.deep.equal([
      '2026-11-23 Mon  business day',
      '2026-11-24 Tue  business day',
      '2026-11-25 Wed  business day',
      '2026-11-26 Thu  closed, holiday: Thanksgiving Day',
      '2026-11-27 Fri  business day',
      '2026-11-28 Sat  weekend',
      '2026-11-29 Sun  weekend',
    ]);
    expect(output).to.contain(
      '    cutoff 09:00 CT (2026-11-27T09:00:00-06:00) → funds by 11:30 CT (2026-11-27T11:30:00-06:00)\n',
    );
    expect(output).not.to.contain('2026-11-26T');
    expect(output.match(/cutoff 09:00 CT/g)).to.have.length(4);
    expect(output.match(/cutoff 15:00 CT/g)).to.have.length(4);
  });

  it('prints exactly this for a Saturday holiday weekend', () => {
    expect(calendarText({ from: '2026-07-03', days: 3 })).to.equal(
      [
        'Business days and Same Day ACH windows, Central Time (America/Chicago)',
        '2026-07-03 to 2026-07-05 (3 days)',
        '',
        '2026-07-03 Fri  business day',
        '    cutoff 09:00 CT (2026-07-03T09:00:00-05:00) → funds by 11:30 CT (2026-07-03T11:30:00-05:00)',
        '    cutoff 13:00 CT (2026-07-03T13:00:00-05:00) → funds by 17:00 CT (2026-07-03T17:00:00-05:00)',
        '    cutoff 15:00 CT (2026-07-03T15:00:00-05:00) → funds by 17:00 CT (2026-07-03T17:00:00-05:00)',
        '2026-07-04 Sat  weekend; Saturday holiday Independence Day (not observed: no day is closed, Friday 2026-07-03 stays open)',
        '2026-07-05 Sun  weekend',
        '',
      ].join('\n'),
    );
  });

  it('marks a holiday moved from Sunday as observed, with its actual date', () => {
    const output = calendarText({ from: '2027-07-02', days: 5 });
    expect(dayLines(output)).to.include(
      '2027-07-05 Mon  closed, holiday: Independence Day (observed, actual 2027-07-04)',
    );
    expect(dayLines(output)).to.include('2027-07-04 Sun  weekend');
    expect(output).to.contain('cutoff 09:00 CT (2027-07-06T09:00:00-05:00)');
  });

  it('prints the offset change across spring forward', () => {
    const output = calendarText({ from: '2026-03-06', days: 4 });
    expect(output).to.contain(
      'cutoff 13:00 CT (2026-03-06T13:00:00-06:00) → funds by 17:00 CT (2026-03-06T17:00:00-06:00)',
    );
    expect(output).to.contain(
      'cutoff 13:00 CT (2026-03-09T13:00:00-05:00) → funds by 17:00 CT (2026-03-09T17:00:00-05:00)',
    );
  });

  it('crosses a year end, and says "1 day" for a single day', () => {
    expect(dayLines(calendarText({ from: '2027-12-30', days: 3 }))).to.deep.equal([
      '2027-12-30 Thu  business day',
      '2027-12-31 Fri  business day',
      "2028-01-01 Sat  weekend; Saturday holiday New Year's Day (not observed: no day is closed, Friday 2027-12-31 stays open)",
    ]);
    expect(calendarText({ from: '2026-01-01', days: 1 })).to.contain('2026-01-01 to 2026-01-01 (1 day)\n');
  });

  it('prints a whole year: 366 days', () => {
    expect(dayLines(calendarText({ from: '2028-01-01', days: 366 }))).to.have.length(366);
  });

  describe('arguments', () => {
    for (const from of ['2026-02-30', '2026-2-3', '2026/02/03', 'tomorrow', '', '2026-02-03T00:00']) {
      it(`rejects --from ${JSON.stringify(from)}`, () => {
        expect(() => validateCalendarArgs({ from, days: 7 }))
          .to.throw(UsageError, '--from must be a real date written YYYY-MM-DD')
          .with.property('code', 'USAGE');
        expect(() => calendarText({ from, days: 7 })).to.throw(UsageError);
      });
    }

    for (const days of [0, -1, 367, 1.5, Number.NaN]) {
      it(`rejects --days ${days}`, () => {
        expect(() => validateCalendarArgs({ from: '2026-03-09', days })).to.throw(
          UsageError,
          `--days must be a whole number from 1 to 366, got ${days}`,
        );
      });
    }

    it('accepts --days 1 and 366', () => {
      expect(() => validateCalendarArgs({ from: '2026-03-09', days: 1 })).not.to.throw();
      expect(() => validateCalendarArgs({ from: '2026-03-09', days: 366 })).not.to.throw();
    });

    it("is the app's usage error (an Error with code USAGE)", () => {
      expect(() => validateCalendarArgs({ from: 'tomorrow', days: 7 }))
        .to.throw(Error)
        .that.is.instanceOf(UsageError)
        .with.property('code', 'USAGE');
    });
  });
});
