/**
 * The young generation's cap (src/cli/young-generation.ts): V8's growth factor follows the young
 * generation's size, none at the cap and V8's default below it, set only when it changes. What the
 * cap does to a run's peak RSS is measured by `npm run bench`, not asserted.
 */
import { expect } from 'chai';
import { capYoungGeneration, growthFactorAt } from '../../src/cli/young-generation.js';

const MB = 1024 * 1024;

describe('young generation cap', () => {
  it('stops growth at 8 MB (both semi-spaces, as --max-semi-space-size=4) and allows it below', () => {
    expect(growthFactorAt(1 * MB)).to.equal(2);
    expect(growthFactorAt(8 * MB - 1)).to.equal(2);
    expect(growthFactorAt(8 * MB)).to.equal(1);
    expect(growthFactorAt(32 * MB)).to.equal(1);
    expect(growthFactorAt(4 * MB, 4 * MB)).to.equal(1);
  });

  it('sets the growth factor as the size crosses the cap, each change once', async () => {
    const sizes = [1, 8, 16, 16, 32, 16, 1, 1, 4, 16].map((n) => n * MB);
    const flags: string[] = [];
    let seen = 0;
    let stop: () => void = () => undefined;
    await new Promise<void>((done) => {
      stop = capYoungGeneration(
        {
          youngBytes: () => {
            const size = sizes[Math.min(seen, sizes.length - 1)]!;
            seen++;
            if (seen === sizes.length) {
              done();
            }
            return size;
          },
          setFlags: (f) => flags.push(f),
        },
        1,
      );
    });
    stop();
    expect(flags).to.deep.equal([
      '--semi-space-growth-factor=1',
      '--semi-space-growth-factor=2',
      '--semi-space-growth-factor=1',
    ]);
  });
});
