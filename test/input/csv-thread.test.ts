/**
 * Reading on a worker thread (src/input/csv-thread.ts), beyond what test/input/csv-reader.test.ts
 * runs both ways: a reading left early, or closed before it is read past its header, stops its
 * thread. Each case is a real child process running the built reader
 * (the thread runs the built worker module); one that hung would fail by this test's timeout.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { openPayeeCsv } from '../../src/input/csv-reader.js';
import { removeDir, tempDir, UUIDS } from '../helpers.js';

const READER = fileURLToPath(new URL('../../dist/src/input/csv-reader.js', import.meta.url));

/** A child node process that reads `file` on a thread as `how` says, prints what it read, and ends on its own. */
async function readInChild(file: string, how: 'one batch' | 'header only' | 'all'): Promise<string> {
  // Threads of the process (Linux): the reading thread is one while it lives.
  const script = `
    const { readFileSync } = await import('node:fs');
    const { stat } = await import('node:fs/promises');
    const threads = () => Number(/Threads:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    const { openPayeeCsv } = await import(${JSON.stringify(READER)});
    await stat(${JSON.stringify(file)});
    const before = threads();
    const csv = await openPayeeCsv(${JSON.stringify(file)}, { threadFromBytes: 0 });
    const reading = threads();
    let n = 0;
    if (${JSON.stringify(how)} !== 'header only') {
      for await (const batch of csv.batches) {
        n += batch.length;
        if (${JSON.stringify(how)} === 'one batch') break;
      }
    } else {
      await csv.close();
    }
    // Let a thread that was stopped be gone (nothing is timed: the test compares counts).
    await new Promise((resolve) => setTimeout(resolve, 200));
    console.log(String(n), ${JSON.stringify(how)} === 'all' ? csv.digest() : '-', reading - before, threads() - before);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  return stdout.trim();
}

describe('csv-thread: the reading thread never outlives its reading', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  const rows = 20_000;

  before(async function () {
    if (process.platform !== 'linux') {
      this.skip(); // threads are counted in /proc/self/status
    }
    dir = await tempDir('payouts-csv-thread-');
    file = join(dir, 'big.csv');
    const lines = Array.from({ length: rows }, (_, i) => `${UUIDS.a},${1 + (i % 900)}.00,payee ${i}`);
    await writeFile(file, `destination,amount,name\n${lines.join('\n')}\n`);
  });
  after(async () => {
    if (dir) {
      await removeDir(dir);
    }
  });

  it('read to the end: every record and the digest, and the process ends', async () => {
    const here = await openPayeeCsv(file);
    let n = 0;
    for await (const batch of here.batches) {
      n += batch.length;
    }
    expect(n).to.equal(rows);
    expect(await readInChild(file, 'all')).to.equal(`${rows} ${here.digest()} 1 0`);
  });

  it('left after one batch (far fewer than the file holds): its thread is stopped, and the process ends on its own', async () => {
    const [n, , reading, after] = (await readInChild(file, 'one batch')).split(' ');
    expect(Number(n)).to.be.greaterThan(0).and.lessThan(rows);
    expect([reading, after], 'threads while reading, and after').to.deep.equal(['1', '0']);
  });

  it('opened for its header only, then closed: its thread is stopped, and the process ends on its own', async () => {
    expect(await readInChild(file, 'header only')).to.equal('0 - 1 0');
  });
});
