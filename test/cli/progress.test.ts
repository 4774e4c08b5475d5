import { expect } from 'chai';
import { formatDuration, ProgressMeter, progressText } from '../../src/cli/progress.js';

describe('progress line', () => {
  // Tuesday 1 December 2026, 12:30 Central (CST, -06:00): the 13:00 cutoff is next.
  const at1230 = new Date('2026-12-01T18:30:00Z');
  const base = { cutoffMarginMinutes: 10, sameDay: true };

  it('formats durations as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).to.equal('0:00');
    expect(formatDuration(65)).to.equal('1:05');
    expect(formatDuration(3 * 3600 + 2 * 60 + 9)).to.equal('3:02:09');
  });

  it('shows done/total, percent, the rate, the ETA and the cutoff being raced with how many rows make it', () => {
    const text = progressText({ ...base, done: 100_000, total: 1_000_000, rate: 300, now: at1230 });
    // 20 minutes to the last send before 13:00 (margin 10): 1,200 s × 300/s = 360,000 rows of 900,000 left.
    expect(text).to.equal(
      '100000/1000000 rows (10%), 300/s, ETA 50:00; Same Day cutoff 13:00 CT in 20:00, ~360000 rows by then',
    );
  });

  it('says all rows make the cutoff when they do; nothing about it with --clearing standard or once done', () => {
    expect(progressText({ ...base, done: 900, total: 1000, rate: 5, now: at1230 })).to.contain('all rows by then');
    expect(progressText({ ...base, sameDay: false, done: 900, total: 1000, rate: 5, now: at1230 })).to.equal(
      '900/1000 rows (90%), 5.0/s, ETA 0:20',
    );
    expect(progressText({ ...base, done: 1000, total: 1000, rate: 5, now: at1230 })).to.not.contain('cutoff');
  });

  it('after the last cutoff of the day (or on a weekend) races no cutoff', () => {
    const evening = new Date('2026-12-01T23:00:00Z'); // 17:00 CT
    expect(progressText({ ...base, done: 1, total: 10, rate: 1, now: evening })).to.not.contain('cutoff');
    const saturday = new Date('2026-12-05T16:00:00Z');
    expect(progressText({ ...base, done: 1, total: 10, rate: 1, now: saturday })).to.not.contain('cutoff');
  });

  it('measures the rate over the last ten seconds, not since the start', () => {
    const meter = new ProgressMeter(0);
    expect(meter.rate(10, 60_000)).to.be.closeTo(10 / 60, 1e-9); // a slow first minute
    for (let t = 61_000; t <= 80_000; t += 1000) {
      meter.rate(10 + (t - 60_000) / 10, t); // then 100 rows/s
    }
    expect(meter.rate(10 + 2100, 81_000)).to.be.closeTo(100, 1e-9);
  });
});
