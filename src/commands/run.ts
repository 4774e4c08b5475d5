/**
 * `payouts run FILE`: resolves the options, then runs the dry run or the real batch, and turns
 * what happened into the exit code. Messages for people go to stdout/stderr here, at the edge.
 */
import { relative } from 'node:path';
import { dryRun } from '../dry-run.js';
import { createLogger } from '../logger.js';
import type { Summary } from '../results.js';
import { resolveRunSettings, type RunFlags } from '../run-options.js';
import { UsageError } from '../usage-error.js';

export const EXIT = { ok: 0, attention: 1, usage: 2, incomplete: 3, locked: 4 } as const;

function describeCounts(summary: Summary): string {
  return Object.entries(summary.byStatus)
    .map(([status, t]) => `${t.count} ${status} (${t.total})`)
    .join(', ');
}

/** A path relative to the working directory when it is below it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

export async function runCommand(flags: RunFlags): Promise<number> {
  try {
    const settings = resolveRunSettings(flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    if (!settings.dryRun) {
      throw new UsageError('USAGE', 'sending is not available in this version yet: use --dry-run');
    }
    const { summary, planPath } = await dryRun(settings, () => new Date(), log);
    process.stdout.write(
      `Dry run of ${settings.file} as batch ${settings.batchId}: ${summary.rows} rows: ${describeCounts(summary)}; ` +
        `${summary.sameDay.count} would go Same Day. Nothing was sent.\nPlan: ${displayPath(planPath)}\n`,
    );
    return summary.exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`payouts: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
