/**
 * Preloaded into a benchmarked child (`node --import ./rss-probe.js`): on exit, appends the
 * process's peak resident set size (KiB) to the file named by BENCH_RSS_FILE, and its CPU time
 * (user + system, ms) to the file named by BENCH_CPU_FILE.
 */
import { appendFileSync } from 'node:fs';

const rss = process.env.BENCH_RSS_FILE;
const cpu = process.env.BENCH_CPU_FILE;
process.on('exit', () => {
  const usage = process.resourceUsage();
  if (rss) {
    appendFileSync(rss, `${usage.maxRSS}\n`);
  }
  if (cpu) {
    appendFileSync(cpu, `${(usage.userCPUTime + usage.systemCPUTime) / 1000}\n`);
  }
});
