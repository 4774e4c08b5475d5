/**
 * A counting semaphore for submission's stages (src/batch/submit.ts): `acquire` resolves, in the
 * order of the calls, with the function that gives the slot back (once, however often it is
 * called). Unlike a task limiter, a slot can be taken in one stage and given back in another (a
 * row holds its place among the rows being prepared until it holds a slot to POST).
 *
 * `refillAt` (default size - 1: a plain semaphore): once every slot is taken, none is given again
 * until at most `refillAt` are held; then the waiters get the free slots together, in one turn,
 * so that what they do next (write their intents) forms one group.
 */
export class Slots {
  private held = 0;
  /** Every slot was taken, and not enough have been given back since. */
  private gated = false;
  /** Waiters in call order; `head` is the next one (no shift() per release). */
  private waiting: Array<(release: () => void) => void> = [];
  private head = 0;

  constructor(
    private readonly size: number,
    private readonly refillAt = size - 1,
  ) {
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`slots: size must be a positive integer, got ${size}`);
    }
    if (!(Number.isInteger(refillAt) && refillAt >= 0 && refillAt < size)) {
      throw new RangeError(`slots: refillAt must be an integer from 0 to ${size - 1}, got ${refillAt}`);
    }
  }

  acquire(): Promise<() => void> {
    if (!this.gated && this.held < this.size && this.head === this.waiting.length) {
      this.take();
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
    });
  }

  private take(): void {
    this.held++;
    if (this.held === this.size) {
      this.gated = true;
    }
  }

  private releaser(): () => void {
    let held = true;
    return () => {
      if (held) {
        held = false;
        this.release();
      }
    };
  }

  private release(): void {
    this.held--;
    if (this.gated && this.held <= this.refillAt) {
      this.gated = false;
    }
    while (!this.gated && this.held < this.size && this.head < this.waiting.length) {
      const next = this.waiting[this.head++]!;
      this.take();
      next(this.releaser());
    }
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }
}
