import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { FingerprintIndex, fingerprintOf, type Seen } from '../../src/plan/fingerprint-index.js';

/** One occurrence of `value` at `line`: where it was first seen and how often. */
function add(index: FingerprintIndex, value: string, line: number): Seen {
  return index.addDigest(fingerprintOf(value), line) ?? { firstLine: line, count: 1 };
}

describe('FingerprintIndex', () => {
  it('remembers the first line and counts repeats', () => {
    const index = new FingerprintIndex();
    expect(add(index, 'a', 2)).to.deep.equal({ firstLine: 2, count: 1 });
    expect(add(index, 'b', 3)).to.deep.equal({ firstLine: 3, count: 1 });
    expect(add(index, 'a', 7)).to.deep.equal({ firstLine: 2, count: 2 });
    expect(add(index, 'a', 9)).to.deep.equal({ firstLine: 2, count: 3 });
    expect(index.entries).to.equal(2);
  });

  it('keeps every value through many growths', () => {
    const index = new FingerprintIndex(16);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      expect(add(index, `value-${i}`, i + 2).count).to.equal(1);
    }
    expect(index.entries).to.equal(n);
    for (let i = 0; i < n; i += 97) {
      expect(add(index, `value-${i}`, 0)).to.deep.equal({ firstLine: i + 2, count: 2 });
    }
  });

  it('addDigest says nothing for a new value and where a repeat was first seen, through many growths', () => {
    const index = new FingerprintIndex(16);
    const digest = (i: number) => createHash('sha256').update(`v${i}`).digest('hex');
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      expect(index.addDigest(digest(i), i + 2)).to.equal(undefined);
    }
    expect(index.entries).to.equal(n);
    for (let i = 0; i < n; i += 101) {
      expect(index.addDigest(digest(i), n + 10)).to.deep.equal({ firstLine: i + 2, count: 2 });
    }
    expect(index.addDigest(digest(0), n + 11)).to.deep.equal({ firstLine: 2, count: 3 });
    expect(index.entries).to.equal(n);
  });
});
