import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { AtomicFile, removeOrphanedTemps, writeFileAtomic } from '../../src/results/atomic-file.js';
import { removeDir, tempDir, writeCsv } from '../helpers.js';

/** Above any pid_max (at most 2^22 on Linux): never a live process. */
const DEAD_PID = 2 ** 31 - 1;

describe('results: removeOrphanedTemps', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it("removes the named targets' temp files of dead processes, and nothing else", async () => {
    const files = {
      orphan: `.results.csv.${DEAD_PID}.1700000000000.tmp`,
      orphanSummary: `.summary.json.${DEAD_PID}.1700000000001.tmp`,
      live: `.results.csv.${process.pid}.1700000000002.tmp`,
      otherTarget: `.plan.csv.${DEAD_PID}.1700000000003.tmp`,
      notATemp: `.results.csv.${DEAD_PID}.tmp`,
      target: 'results.csv',
    };
    for (const name of Object.values(files)) {
      await writeCsv(dir, name, 'x');
    }
    const removed = await removeOrphanedTemps(dir, ['results.csv', 'summary.json']);
    expect(removed.sort()).to.deep.equal([join(dir, files.orphan), join(dir, files.orphanSummary)].sort());
    expect((await readdir(dir)).sort()).to.deep.equal(
      [files.live, files.otherTarget, files.notATemp, files.target].sort(),
    );
  });

  it('recognises the temp file an AtomicFile writes, and keeps it while its process lives', async () => {
    const file = await AtomicFile.create(join(dir, 'results.csv'));
    try {
      const [temp] = await readdir(dir);
      expect(temp).to.match(/^\.results\.csv\.\d+\.\d+\.tmp$/);
      expect(await removeOrphanedTemps(dir, ['results.csv'])).to.deep.equal([]);
      expect(await readdir(dir)).to.deep.equal([temp]);
    } finally {
      await file.abort();
    }
  });

  it("every atomic write first clears its own target's orphans (dead processes), and no other file's", async () => {
    const orphan = `.results-memo.json.${DEAD_PID}.1700000000000.tmp`;
    const live = `.results-memo.json.${process.pid}.1700000000001.tmp`;
    const otherTarget = `.summary.json.${DEAD_PID}.1700000000002.tmp`;
    for (const name of [orphan, live, otherTarget]) {
      await writeCsv(dir, name, 'half a file');
    }
    await writeFileAtomic(join(dir, 'results-memo.json'), '{}\n');
    expect((await readdir(dir)).sort()).to.deep.equal([live, otherTarget, 'results-memo.json'].sort());
  });

  it('does nothing for a folder that does not exist', async () => {
    expect(await removeOrphanedTemps(join(dir, 'nope'), ['results.csv'])).to.deep.equal([]);
  });
});
