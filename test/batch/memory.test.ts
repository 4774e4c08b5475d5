/**
 * Memory stays flat however long the file is: a real run of the built CLI in a child process whose
 * V8 heap is capped at 64 MB. A run that kept anything sizeable per row (a row object, an outcome,
 * a journal state object) runs out of heap and dies (exit 134; the version before streaming does),
 * so the test fails rather than slows down: no timing is asserted. One run pays 50,000 rows (far
 * more than the sender's window of rows in hand), the other reruns a finished 200,000-row batch;
 * both files are large enough to be parsed on a worker thread (src/input/csv-thread.ts). The sending side's bound is
 * test/batch/submit.test.ts's (the window of rows in hand); `npm run bench` prints RSS figures.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { finishedTransferId, writeFinishedBatch } from '../../bench/finished-batch.js';
import { THREAD_FROM_BYTES } from '../../src/input/csv-reader.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { journalOf, readCsvRows, removeDir, runCli, tempDir } from '../helpers.js';
import { SIM_ENV } from './helpers.js';

const HEAP_CAP = ['--max-old-space-size=64'];

/** `n` rows without paymentId from four banks (no lookups, no balance lane): the cheapest rows to send. */
function payeeFile(n: number, amount = (i: number) => 1 + (i % 500)): string {
  const lines = ['destination,amount,source,name'];
  for (let i = 0; i < n; i++) {
    const id = i.toString(16).padStart(12, '0');
    const cents = amount(i);
    lines.push(
      `0000${id.slice(0, 4)}-0000-4000-8000-${id},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')},5bec1a10-0000-4000-8000-0000000000a${i % 4},Payee ${i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('memory stays flat: real runs in a 64 MB heap (built CLI, child process)', function () {
  this.timeout(300_000);
  let dir: string;
  let sim: SimulatorHandle;

  beforeEach(async () => {
    dir = await tempDir('payouts-memory-');
    sim = await startSimulator({ port: 0 });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  it('pays a 50,000-row batch for real, one transfer a row, every row created once and reported in input order', async () => {
    const n = 50_000;
    const file = join(dir, 'big.csv');
    await writeFile(file, payeeFile(n));
    expect((await stat(file)).size, 'parsed on a worker thread').to.be.at.least(THREAD_FROM_BYTES);
    const out = join(dir, 'out');
    const r = await runCli(
      [
        'run',
        file,
        '--api-url',
        sim.url,
        '--out',
        out,
        '--log-level',
        'warn',
        '--mode',
        'transfers',
        '--concurrency',
        '16',
      ],
      { env: SIM_ENV, nodeArgs: HEAP_CAP },
    );
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const stats = sim.stats();
    expect([stats.transfersCreated, stats.duplicatesByCorrelationId]).to.deep.equal([n, 0]);
    const rows = await readCsvRows(join(out, 'big', 'results.csv'));
    expect(rows).to.have.length(n);
    expect(rows.every((x, i) => x.status === 'created' && x.row === String(i + 2))).to.equal(true);
    expect(new Set(rows.map((x) => x.transferId)).size).to.equal(n);
  });

  it('reruns a finished 200,000-row batch (journal of 400,000 records) and reports every row as created', async () => {
    const n = 200_000;
    const file = join(dir, 'huge.csv');
    await writeFile(file, payeeFile(n));
    expect((await stat(file)).size, 'parsed on a worker thread').to.be.at.least(THREAD_FROM_BYTES);
    // The batch as a finished run would have left it: a run record, then every row's intent and outcome.
    await writeFinishedBatch(file, 'huge', sim.url, journalOf('huge', sim.url));

    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--api-url', sim.url, '--out', out, '--log-level', 'warn'], {
      env: SIM_ENV,
      nodeArgs: HEAP_CAP,
    });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    expect(r.stdout).to.contain('Nothing to send');
    expect(sim.stats().createRequests, 'nothing sent').to.equal(0);
    const rows = await readCsvRows(join(out, 'huge', 'results.csv'));
    expect(rows).to.have.length(n);
    expect(rows.every((x, i) => x.status === 'created' && x.row === String(i + 2))).to.equal(true);
    expect(rows[n - 1]!.transferId).to.equal(finishedTransferId(n + 1));
  });
});
