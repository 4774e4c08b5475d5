/**
 * What `payouts run FILE` does: resolves the options, then runs the dry run or the real batch, and
 * turns what happened into the exit code. The edges live here: the clock, signals, the terminal.
 */
import type { Logger } from 'pino';
import type { RunSettings } from '../../batch/settings.js';
import type { Summary } from '../../results/tally.js';
import { displayPath } from '../display-path.js';
import { EXIT, exitCodeForError } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { ProgressMeter, progressText } from '../progress.js';
import { type RunFlags, resolveRunSettings } from '../run-options.js';

function describeCounts(summary: Summary): string {
  return Object.entries(summary.byStatus)
    .filter(([, t]) => t.count > 0)
    .map(([status, t]) => `${t.count} ${status} (${t.total})`)
    .join(', ');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A run that did nothing: nothing left to send, or nothing sent though some rows remain. */
function describeIdleRun(summary: Summary, createdEarlier: number): string {
  const { rows } = summary;
  const invalid = summary.byStatus.invalid?.count ?? 0;
  if (rows === 0) {
    return 'Nothing to send: the file has no rows.';
  }
  if (createdEarlier === rows) {
    return `Nothing to send: ${rows === 1 ? 'its one row was' : `all ${rows} rows were`} created by earlier runs.`;
  }
  if (createdEarlier + invalid === rows) {
    return `Nothing to send: ${plural(createdEarlier, 'row')} created by earlier runs, ${invalid} invalid.`;
  }
  return `Nothing was sent in this run${createdEarlier ? ` (${plural(createdEarlier, 'row')} created by earlier runs)` : ''}.`;
}

/**
 * What this run did, in words, before the batch's totals: a rerun with nothing left to send never
 * reads like one that sent every row (SPEC "Results": thisRun).
 */
function describeThisRun(summary: Summary): string {
  const { sent, created, foundByLookup, held } = summary.thisRun;
  const createdEarlier = (summary.byStatus.created?.count ?? 0) - created;
  if (sent === 0 && foundByLookup === 0 && held === 0) {
    return describeIdleRun(summary, createdEarlier);
  }
  const done = [sent ? `Sent ${plural(sent, 'transfer')}: ${created - foundByLookup} created` : 'Sent no transfers'];
  if (foundByLookup) {
    done.push(`${plural(foundByLookup, 'row')} found already created at Dwolla by lookup (not sent again)`);
  }
  if (held) {
    done.push(`${plural(held, 'row')} held for review`);
  }
  if (createdEarlier) {
    done.push(`${plural(createdEarlier, 'row')} created by earlier runs`);
  }
  return `${done.join('; ')}.`;
}

const NEXT_STEP: Record<number, string> = {
  [EXIT.ok]: 'Every row is created.',
  [EXIT.attention]:
    'Some rows need a person (invalid, failed, or held for review: never sent): see errorMessage in the results.',
  [EXIT.incomplete]: 'Incomplete: run the same command again to finish the batch (nothing is paid twice).',
};

/** A progress line on a terminal (src/cli/progress.ts), at most four times a second. */
function progressLine(settings: RunSettings, startedMs: number) {
  const meter = new ProgressMeter(startedMs);
  let last = 0;
  return (done: number, total: number) => {
    const nowMs = Date.now();
    if (done < total && nowMs - last < 250) {
      return;
    }
    last = nowMs;
    const text = progressText({
      done,
      total,
      rate: meter.rate(done, nowMs),
      // With --now, decisions are made at that fixed instant: so is the cutoff raced.
      now: settings.now ?? new Date(nowMs),
      cutoffMarginMinutes: settings.cutoffMarginMinutes,
      sameDay: settings.clearing !== 'standard',
    });
    process.stderr.write(`\r${text}\x1b[K${done === total ? '\n' : ''}`);
  };
}

/**
 * SIGINT/SIGTERM during a run: the first stops new transfers and lets those in flight finish (once
 * the run says how to stop it, through `onStoppable`); a second exits at once.
 */
function stopOnSignals(log: Logger) {
  let stop: (() => void) | undefined;
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled > 1) {
      process.stderr.write(
        `\npayouts: ${signal} again: exiting now; the journal is safe, run the same command again\n`,
      );
      process.exit(EXIT.incomplete);
    }
    process.stderr.write(
      `\npayouts: ${signal}: no new transfers; letting those in flight finish, then writing results\n`,
    );
    log.warn({ signal }, 'stopping');
    stop?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    onStoppable: (fn: () => void) => {
      stop = fn;
      if (signalled) {
        fn();
      }
    },
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function dryRunBatch(settings: RunSettings, log: Logger): Promise<number> {
  const { dryRun } = await import('../../batch/dry-run.js');
  const { summary, planPath, lookups } = await dryRun(settings, () => new Date(), log);
  const lookupNote =
    lookups > 0
      ? `${lookups} paymentId row(s) are new to this installation: a real run first looks each up at Dwolla by its correlationId (a dry run has no network).\n`
      : '';
  process.stdout.write(
    `Dry run of ${settings.file} as batch ${settings.batchId}: ${summary.rows} rows: ${describeCounts(summary) || 'none'}; ` +
      `${summary.sameDay.count} would go Same Day. Nothing was sent.\n${lookupNote}Plan: ${displayPath(planPath)}\n`,
  );
  return summary.exitCode;
}

async function sendBatch(settings: RunSettings, log: Logger): Promise<number> {
  const { batchRun } = await import('../../batch/run.js');
  const signals = stopOnSignals(log);
  try {
    const { summary, resultsPath, simulated } = await batchRun(settings, {
      log,
      clock: () => new Date(),
      say: (line) => process.stdout.write(`${line}\n`),
      onStoppable: signals.onStoppable,
      ...(process.stderr.isTTY ? { onProgress: progressLine(settings, Date.now()) } : {}),
    });
    const { exitCode } = summary;
    process.stdout.write(
      `${describeThisRun(summary)}\nBatch ${settings.batchId}: ${summary.rows} rows: ${describeCounts(summary) || 'none'}; ${summary.sameDay.count} Same Day (${summary.sameDay.total}).` +
        `${simulated ? ' Simulated: no money moved.' : ''}\n${NEXT_STEP[exitCode] ?? ''}\nResults: ${displayPath(resultsPath)}\n`,
    );
    return exitCode;
  } finally {
    signals.release();
  }
}

export async function runAction(flags: RunFlags): Promise<number> {
  try {
    const settings = resolveRunSettings(flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    return await (settings.dryRun ? dryRunBatch(settings, log) : sendBatch(settings, log));
  } catch (err) {
    return exitCodeForError(err);
  }
}
