/**
 * Preloaded into a benchmarked child (`node --import ./rss-probe.js`): on exit, appends the
 * process's peak resident set size (KiB) to the file named by BENCH_RSS_FILE.
 */
import { appendFileSync } from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => appendFileSync(target, `${process.resourceUsage().maxRSS}\n`));
}
