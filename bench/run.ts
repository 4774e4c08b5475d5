/**
 * `npm run bench`: prints figures, asserts nothing. Sections:
 *   dry-run  — payouts run --dry-run over 100,000 and 1,000,000 generated rows, beside a baseline
 *              that only streams the same file through csv-parse into csv-stringify (rows/s, peak RSS).
 * `npm run bench -- dry-run` runs one section.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePayees } from './generate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '..', 'src', 'cli.js');

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number | null;
}

/** Runs `node --import rss-probe.js ARGS` and measures wall time and peak RSS. */
async function measure(args: string[], workDir: string): Promise<Measured> {
  const rssFile = join(workDir, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', join(HERE, 'rss-probe.js'), ...args], {
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolvePromise);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kib = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
  return { seconds, peakRssMb: kib / 1024, code };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function dryRunSection(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'payouts-bench-'));
  try {
    console.log('dry run vs baseline (csv-parse -> csv-stringify), same file, same run');
    console.log('rows       | file MB | baseline rows/s | baseline RSS MB | dry-run rows/s | dry-run RSS MB | ratio');
    for (const rows of [100_000, 1_000_000]) {
      const input = join(work, `payees-${rows}.csv`);
      await generatePayees(input, rows);
      const mb = (await stat(input)).size / 1e6;
      const base = await measure([join(HERE, 'baseline.js'), input, join(work, 'baseline.csv')], work);
      const dry = await measure(
        [CLI, 'run', input, '--dry-run', '--out', join(work, 'out'), '--now', '2026-03-09T08:00:00-05:00', '--log-level', 'warn'],
        work,
      );
      if (base.code !== 0 || dry.code !== 0) throw new Error(`a child failed: baseline ${base.code}, dry run ${dry.code}`);
      const baseRate = rows / base.seconds;
      const dryRate = rows / dry.seconds;
      console.log(
        `${fmt(rows).padEnd(10)} | ${fmt(mb, 1).padStart(7)} | ${fmt(baseRate).padStart(15)} | ${fmt(base.peakRssMb, 1).padStart(15)} | ${fmt(dryRate).padStart(14)} | ${fmt(dry.peakRssMb, 1).padStart(14)} | ${fmt((100 * dryRate) / baseRate, 0)}%`,
      );
      await rm(input);
    }
    console.log('targets: dry run >= 40% of the baseline rows/s; peak RSS < 150 MB and about the same for both sizes');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SECTIONS: Record<string, () => Promise<void>> = { 'dry-run': dryRunSection };

const wanted = process.argv.slice(2);
for (const [name, section] of Object.entries(SECTIONS)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await section();
}
