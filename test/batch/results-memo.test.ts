/**
 * The results memo (src/batch/results-memo.ts): a rerun of a finished batch that sends nothing
 * rewrites results.csv from its own checked bytes when it would write the very same ones, and writes it in full whenever
 * anything it was made from, or the file itself, is not as it was.
 */
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  FingerprintingSink,
  memoisedResults,
  resultsMemoPath,
  writeResultsMemo,
} from '../../src/batch/results-memo.js';
import type { Summary } from '../../src/results/tally.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { deadPid } from '../fixtures/child.js';
import { journalOf, removeDir, runCli, stateDirOf, tempDir } from '../helpers.js';
import { makePayees, payeesCsv, runArgs, SIM_ENV, writePayees } from './helpers.js';

const COUNTS = {
  rows: 2,
  byStatus: { created: { count: 2, total: '3.00' } },
  sameDay: { count: 0, total: '0.00' },
};

const yes = async () => true;

describe('results memo (unit)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('payouts-memo-');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  async function memoised(lines: string, basis = 'basis', journalBytes = 100) {
    const results = join(dir, 'results.csv');
    await writeFile(results, lines);
    const sink = new FingerprintingSink();
    sink.add(Buffer.from(lines));
    const memo = resultsMemoPath(dir);
    await writeResultsMemo(memo, { basis, journalBytes, results: sink.finish(), counts: COUNTS });
    return { results, memo };
  }

  it('applies to the same basis, journal length and bytes, and gives back the counts', async () => {
    const { results, memo } = await memoised('row,status\n2,created\n');
    const kept = await memoisedResults(memo, 'basis', 100, results, yes);
    expect(kept?.counts).to.deep.equal(COUNTS);
    expect(kept?.results.bytes).to.equal(21);
  });

  it('does not apply when the last check fails (the input changed), and leaves the file untouched', async () => {
    const { results, memo } = await memoised('row,status\n2,created\n');
    const ino = (await stat(results)).ino;
    expect(await memoisedResults(memo, 'basis', 100, results, async () => false)).to.equal(undefined);
    expect((await stat(results)).ino).to.equal(ino);
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.not.equal(undefined);
    expect((await stat(results)).ino, 'rewritten by a rename').to.not.equal(ino);
  });

  it("clears a rewrite's temp file left by a killed run, then rewrites", async () => {
    const { results, memo } = await memoised('row,status\n2,created\n');
    const orphan = join(dir, `.results.csv.${await deadPid()}.1700000000000.tmp`);
    await writeFile(orphan, 'row,status\n2,cre');
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.not.equal(undefined);
    expect(existsSync(orphan)).to.equal(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('does not apply to another basis or journal length', async () => {
    const { results, memo } = await memoised('row,status\n2,created\n');
    expect(await memoisedResults(memo, 'other', 100, results, yes)).to.equal(undefined);
    expect(await memoisedResults(memo, 'basis', 101, results, yes)).to.equal(undefined);
  });

  it('does not apply once the file is edited (same length), cut, or gone', async () => {
    const { results, memo } = await memoised('row,status\n2,created\n');
    await writeFile(results, 'row,status\n2,createD\n');
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
    await writeFile(results, 'row,status\n');
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
    await rm(results);
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
  });

  it('is no memo when missing or damaged', async () => {
    const { results, memo } = await memoised('x\n');
    await writeFile(memo, '{"format":1,"basis":"basis"');
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
    await writeFile(memo, '{"format":2}');
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
    await rm(memo);
    expect(await memoisedResults(memo, 'basis', 100, results, yes)).to.equal(undefined);
  });
});

describe('results memo: reruns of a finished batch (built CLI, child process)', function () {
  this.timeout(120_000);

  let dir: string;
  let out: string;
  let sim: SimulatorHandle;

  beforeEach(async () => {
    dir = await tempDir('payouts-memo-');
    out = join(dir, 'out');
    sim = await startSimulator({ port: 0 });
  });
  afterEach(async () => {
    await sim.close();
    await removeDir(dir);
  });

  const resultsPath = (outDir = out) => join(outDir, 'pay', 'results.csv');
  const summaryOf = async (outDir = out) =>
    JSON.parse(await readFile(join(outDir, 'pay', 'summary.json'), 'utf8')) as Summary;
  const memoPath = () => resultsMemoPath(stateDirOf('pay', sim.url));

  /** Whether the last run took results.csv from the memo (its log says so). */
  let fromMemo = false;

  async function run(file: string, extra: string[] = [], outDir = out): Promise<number | null> {
    const r = await runCli(runArgs(file, sim, outDir, ['--log-level', 'info', ...extra]), { env: SIM_ENV });
    fromMemo = r.stderr.includes('results.csv from the memo');
    return r.code;
  }

  /** A file of `n` valid rows, paid by a first run. */
  async function finished(n = 5): Promise<string> {
    const file = await writePayees(dir, 'pay.csv', makePayees(n));
    expect(await run(file)).to.equal(0);
    return file;
  }

  it('rewrites results.csv from the memo (same bytes, renamed over it) and summary.json anew, run after run', async () => {
    const file = await finished();
    expect(fromMemo, 'the first run writes in full').to.equal(false);
    let last = await stat(resultsPath());
    const bytes = await readFile(resultsPath());
    const before = await summaryOf();
    for (let i = 0; i < 2; i++) {
      expect(await run(file)).to.equal(0);
      expect(fromMemo).to.equal(true);
      const now = await stat(resultsPath());
      // SPEC: rewritten atomically (temp file + rename) at the end of every run
      expect(now.ino, 'results.csv replaced by a rename').to.not.equal(last.ino);
      last = now;
      expect(await readFile(resultsPath())).to.deep.equal(bytes);
      expect(readdirSync(join(out, 'pay')).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
      const summary = await summaryOf();
      expect(summary.byStatus).to.deep.equal(before.byStatus);
      expect(summary.rows).to.equal(5);
      expect(summary.thisRun).to.deep.equal({ sent: 0, created: 0, foundByLookup: 0, held: 0 });
      expect(summary.exitCode).to.equal(0);
      expect(summary.startedAt).to.not.equal(before.startedAt);
      const memo = JSON.parse(await readFile(memoPath(), 'utf8')) as { journalBytes: number };
      expect(memo.journalBytes, 'the memo follows the journal').to.equal((await stat(journalOf('pay', sim.url))).size);
    }
    expect(sim.transfers().length).to.equal(5);
  });

  it('keeps exactly what a full rewrite writes', async () => {
    const file = await finished();
    expect(await run(file)).to.equal(0);
    expect(fromMemo).to.equal(true);
    const kept = await readFile(resultsPath());
    await rm(memoPath());
    expect(await run(file)).to.equal(0);
    expect(fromMemo, 'written in full without the memo').to.equal(false);
    expect(await readFile(resultsPath())).to.deep.equal(kept);
  });

  it('writes results.csv in full when it was edited or removed', async () => {
    const file = await finished();
    const bytes = await readFile(resultsPath());
    const edited = Buffer.from(bytes);
    edited[edited.length - 2] = edited[edited.length - 2] === 0x41 ? 0x42 : 0x41;
    await writeFile(resultsPath(), edited);
    expect(await run(file)).to.equal(0);
    expect(fromMemo).to.equal(false);
    expect(await readFile(resultsPath())).to.deep.equal(bytes);
    await rm(resultsPath());
    expect(await run(file)).to.equal(0);
    expect(fromMemo).to.equal(false);
    expect(await readFile(resultsPath())).to.deep.equal(bytes);
  });

  it('writes results.csv in full with --no-bom, and into another --out', async () => {
    const file = await finished();
    const bytes = await readFile(resultsPath());
    expect(await run(file, ['--no-bom'])).to.equal(0);
    expect(await readFile(resultsPath())).to.deep.equal(bytes.subarray(3));
    const other = join(dir, 'other-out');
    expect(await run(file, ['--no-bom'], other)).to.equal(0);
    expect(await readFile(resultsPath(other))).to.deep.equal(bytes.subarray(3));
    expect(sim.transfers().length).to.equal(5);
  });

  it('writes results.csv in full once the journal has grown (records another run did not make)', async () => {
    const file = await finished();
    // A record the memo did not see: a torn-free line of another run record.
    const journal = journalOf('pay', sim.url);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    await appendFile(journal, `${lines[0]}\n`);
    expect(await run(file)).to.equal(0);
    expect(fromMemo).to.equal(false);
  });

  it('keeps no memo of a batch with a row for a person', async () => {
    const payees = makePayees(3);
    const file = join(dir, 'pay.csv');
    await writeFile(file, `${payeesCsv(payees)}PAY-X,not-a-destination,1.00,,Bad\n`);
    expect(await run(file)).to.equal(1);
    expect(existsSync(memoPath())).to.equal(false);
    expect(await run(file)).to.equal(1);
    expect(fromMemo).to.equal(false);
  });
});
