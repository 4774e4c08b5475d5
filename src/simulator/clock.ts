/** Simulated time: flows with real time from `startTime`, plus whatever the tests advance it by. */
export class SimulatedClock {
  private offsetMs: number;

  constructor(startTime: Date = new Date()) {
    this.offsetMs = startTime.getTime() - Date.now();
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
