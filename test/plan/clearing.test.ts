import { expect } from 'chai';
import type { ClearingPolicy } from '../../src/input/validation.js';
import { formatCentral } from '../../src/plan/calendar.js';
import {
  type ClearingDecision,
  clearingColumns,
  decideClearing,
  SAME_DAY_LIMIT_CENTS,
} from '../../src/plan/clearing.js';

const at = (iso: string): Date => new Date(iso);
const minutes = (n: number): number => n * 60_000;

describe('clearing: decideClearing', () => {
  const decide = (now: string, policy: ClearingPolicy, cutoffMarginMinutes = 10, amountCents = 100_00) =>
    decideClearing({ now: at(now), policy, amountCents, cutoffMarginMinutes });

  const shown = (decision: ClearingDecision) => ({
    clearing: decision.clearing,
    sameDayCutoff: decision.sameDayCutoff && formatCentral(decision.sameDayCutoff),
    fundsAvailableBy: decision.fundsAvailableBy && formatCentral(decision.fundsAvailableBy),
  });

  const sameDay = (cutoff: string, fundsAvailableBy: string) => ({
    clearing: 'same-day',
    sameDayCutoff: cutoff,
    fundsAvailableBy,
  });
  const STANDARD = { clearing: 'standard', sameDayCutoff: undefined, fundsAvailableBy: undefined };

  // Tuesday 2026-03-10 (CDT) and the next business day, Wednesday 2026-03-11.
  const W09 = sameDay('2026-03-10T09:00:00-05:00', '2026-03-10T11:30:00-05:00');
  const W13 = sameDay('2026-03-10T13:00:00-05:00', '2026-03-10T17:00:00-05:00');
  const W15 = sameDay('2026-03-10T15:00:00-05:00', '2026-03-10T17:00:00-05:00');
  const NEXT_DAY_W09 = sameDay('2026-03-11T09:00:00-05:00', '2026-03-11T11:30:00-05:00');
  const windows = [
    { cutoff: '2026-03-10T09:00:00-05:00', it: W09, next: { auto: W13, 'same-day': W13 } },
    { cutoff: '2026-03-10T13:00:00-05:00', it: W13, next: { auto: W15, 'same-day': W15 } },
    { cutoff: '2026-03-10T15:00:00-05:00', it: W15, next: { auto: STANDARD, 'same-day': NEXT_DAY_W09 } },
  ] as const;

  for (const policy of ['auto', 'same-day'] as const) {
    for (const margin of [10, 0]) {
      for (const window of windows) {
        const cutoff = Date.parse(window.cutoff);
        const clock = window.cutoff.slice(11, 16);
        const cases: Array<[string, number, object]> = [
          ['cutoff − margin − 1 min', cutoff - minutes(margin) - minutes(1), window.it],
          ['cutoff − margin exactly', cutoff - minutes(margin), window.it],
          ['cutoff − margin + 1 ms', cutoff - minutes(margin) + 1, window.next[policy]],
          ['the cutoff itself', cutoff, margin === 0 ? window.it : window.next[policy]],
        ];
        for (const [label, now, expected] of cases) {
          it(`${policy}, margin ${margin}: ${clock} window at ${label}`, () => {
            const decision = decideClearing({
              now: new Date(now),
              policy,
              amountCents: 100_00,
              cutoffMarginMinutes: margin,
            });
            expect(shown(decision)).to.deep.equal(expected);
          });
        }
      }
    }
  }

  it('auto after the last cutoff explains why', () => {
    expect(decide('2026-03-10T14:50:00.001-05:00', 'auto').reason).to.equal('after 15:00 CT cutoff − 10 min');
    expect(decide('2026-03-10T15:00:00.001-05:00', 'auto', 0).reason).to.equal('after 15:00 CT cutoff');
  });

  it('auto in time names the window', () => {
    expect(decide('2026-03-10T08:00:00-05:00', 'auto').reason).to.equal('in time for 09:00 CT cutoff − 10 min');
  });

  it('uses the Central date late on a Friday evening (already Saturday in UTC)', () => {
    const now = '2026-03-13T23:30:00-05:00';
    expect(decide(now, 'auto')).to.include({ clearing: 'standard', reason: 'after 15:00 CT cutoff − 10 min' });
    expect(shown(decide(now, 'same-day'))).to.deep.equal(
      sameDay('2026-03-16T09:00:00-05:00', '2026-03-16T11:30:00-05:00'),
    );
  });

  describe('amount limit', () => {
    it('exactly $1,000,000.00 is same-day', () => {
      for (const policy of ['auto', 'same-day'] as const) {
        expect(decide('2026-03-10T08:00:00-05:00', policy, 10, SAME_DAY_LIMIT_CENTS).clearing).to.equal('same-day');
      }
      expect(SAME_DAY_LIMIT_CENTS).to.equal(100_000_000);
    });

    it('one cent more is standard, with the reason', () => {
      for (const policy of ['auto', 'same-day'] as const) {
        const decision = decide('2026-03-10T08:00:00-05:00', policy, 10, 100_000_001);
        expect(shown(decision)).to.deep.equal(STANDARD);
        expect(decision.reason).to.equal('amount over Same Day limit ($1,000,000.00)');
      }
    });
  });

  describe('weekends and holidays', () => {
    it('auto on a Saturday and a Sunday is standard', () => {
      expect(decide('2026-03-14T08:00:00-05:00', 'auto')).to.deep.equal({
        clearing: 'standard',
        reason: '2026-03-14 is a Saturday',
      });
      expect(decide('2026-03-08T08:00:00-05:00', 'auto')).to.deep.equal({
        clearing: 'standard',
        reason: '2026-03-08 is a Sunday',
      });
    });

    it('auto on a holiday morning is standard and names the holiday', () => {
      expect(decide('2026-11-26T08:00:00-06:00', 'auto')).to.deep.equal({
        clearing: 'standard',
        reason: '2026-11-26 is Thanksgiving Day',
      });
      expect(decide('2027-07-05T08:00:00-05:00', 'auto').reason).to.equal('2027-07-05 is Independence Day');
    });

    it('auto on the Friday before a Saturday holiday is same-day', () => {
      expect(shown(decide('2026-07-03T08:00:00-05:00', 'auto'))).to.deep.equal(
        sameDay('2026-07-03T09:00:00-05:00', '2026-07-03T11:30:00-05:00'),
      );
    });

    it("same-day on a Friday evening shows Monday's 09:00 window", () => {
      const decision = decide('2026-03-06T18:00:00-06:00', 'same-day');
      expect(shown(decision)).to.deep.equal(sameDay('2026-03-09T09:00:00-05:00', '2026-03-09T11:30:00-05:00'));
      expect(decision.reason).to.equal('same-day requested; next window 2026-03-09 09:00 CT');
    });

    it("same-day on the Friday before MLK Day shows Tuesday's 09:00 window", () => {
      expect(shown(decide('2026-01-16T16:00:00-06:00', 'same-day'))).to.deep.equal(
        sameDay('2026-01-20T09:00:00-06:00', '2026-01-20T11:30:00-06:00'),
      );
    });

    it('same-day on Thanksgiving eve shows Friday; on a Saturday holiday shows Monday', () => {
      expect(shown(decide('2026-11-25T17:00:00-06:00', 'same-day')).sameDayCutoff).to.equal(
        '2026-11-27T09:00:00-06:00',
      );
      expect(shown(decide('2026-07-04T08:00:00-05:00', 'same-day')).sameDayCutoff).to.equal(
        '2026-07-06T09:00:00-05:00',
      );
    });
  });

  it('standard policy is never same-day, even well before a cutoff', () => {
    expect(decide('2026-03-10T08:00:00-05:00', 'standard')).to.deep.equal({
      clearing: 'standard',
      reason: 'clearing policy is standard',
    });
  });
});

describe('clearing: clearingColumns', () => {
  it('shows a Same Day window in Central Time', () => {
    const decision = decideClearing({
      now: at('2026-03-10T08:00:00-05:00'),
      policy: 'auto',
      amountCents: 100_00,
      cutoffMarginMinutes: 10,
    });
    expect(clearingColumns(decision)).to.deep.equal({
      clearing: 'same-day',
      sameDayCutoff: '2026-03-10T09:00:00-05:00',
      fundsAvailableBy: '2026-03-10T11:30:00-05:00',
    });
  });

  it('shows standard clearing alone, without the reason', () => {
    expect(clearingColumns({ clearing: 'standard', reason: 'clearing policy is standard' })).to.deep.equal({
      clearing: 'standard',
    });
  });
});
