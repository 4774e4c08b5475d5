/** Simulated time: flows with real time from `startTime`, plus whatever the tests advance it by. */
export class SimulatedClock {
  private offsetMs: number;
  /** The simulated time it started at: what existed at the start (the balances) dates from it. */
  readonly startMs: number;

  constructor(startTime: Date = new Date()) {
    this.startMs = startTime.getTime();
    this.offsetMs = this.startMs - Date.now();
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`advanceClock: ${ms} is not a duration of 0 or more ms`);
    }
    this.offsetMs += ms;
  }

  set(to: Date): void {
    if (Number.isNaN(to.getTime())) {
      throw new RangeError('clock: invalid date');
    }
    this.offsetMs = to.getTime() - Date.now();
  }
}
