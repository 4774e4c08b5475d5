/**
 * What `payouts run FILE` does: resolves the options, then runs the dry run or the real batch, and
 * turns what happened into the exit code. The edges live here: the clock, signals, the terminal.
 */
import type { Logger } from 'pino';
import { digestNote } from '../../batch/approval.js';
import type { RunSettings } from '../../batch/settings.js';
import type { Summary } from '../../results/tally.js';
import { displayPath } from '../display-path.js';
import { EXIT, exitCodeForError } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { needsAPersonLines } from '../needs-a-person.js';
import type { RunEnd } from '../notify.js';
import { ProgressMeter, progressText } from '../progress.js';
import { defaultBatchId, type RunFlags, resolveRunSettings } from '../run-options.js';
import { capYoungGeneration } from '../young-generation.js';

function describeCounts(summary: Summary): string {
  const counts = Object.entries(summary.byStatus)
    .filter(([, t]) => t.count > 0)
    .map(([status, t]) => `${t.count} ${status} (${t.total})`);
  // The file's total row is not one of its rows (not a payment): said apart.
  const total = summary.totalRow ? [`plus the total row ${summary.totalRow.row} (${summary.totalRow.amount})`] : [];
  return [...counts, ...total].join(', ');
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
  const madeNow = created - foundByLookup;
  // A mass payment's rows are sent before Dwolla processes them: some may not be created yet.
  const notYet = sent > madeNow ? `, ${sent - madeNow} not created (yet): see their status in the results` : '';
  const done = [sent ? `Sent ${plural(sent, 'transfer')}: ${madeNow} created${notYet}` : 'Sent no transfers'];
  if (foundByLookup) {
    done.push(
      `${plural(foundByLookup, 'row')} found created at Dwolla (by lookup, or in a mass payment an earlier run sent; not sent again)`,
    );
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

async function dryRunBatch(settings: RunSettings, log: Logger): Promise<RunEnd> {
  const { dryRun } = await import('../../batch/dry-run.js');
  const { summary, planPath, lookups, needsAPerson, plan } = await dryRun(settings, () => new Date(), log);
  const people = needsAPersonLines(needsAPerson, summary, displayPath(planPath));
  const lookupNote =
    lookups > 0
      ? `${lookups} paymentId row(s) are new to this installation: a real run first looks each up at Dwolla by its correlationId (a dry run has no network).\n`
      : '';
  process.stdout.write(
    `Dry run of ${settings.file} as batch ${settings.batchId}: ${plural(summary.rows, 'row')}: ${describeCounts(summary) || 'none'}; ` +
      `${summary.sameDay.count} would go Same Day. Nothing was sent.\n${lookupNote}${people.map((l) => `${l}\n`).join('')}Plan: ${displayPath(planPath)}\n`,
  );
  process.stdout.write(digestNote(settings, plan, defaultBatchId(settings.file)));
  return {
    batchId: settings.batchId,
    dryRun: true,
    exitCode: summary.exitCode,
    summary,
    needsAPerson,
    resultsFile: displayPath(planPath),
  };
}

async function sendBatch(settings: RunSettings, log: Logger): Promise<RunEnd> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // The API's account is asked for (waits on the network) while the rest of the run loads.
  const { startAccess } = await import('../../batch/api-connection.js');
  const asking = startAccess(settings, { log, say });
  const { batchRun } = await import('../../batch/run.js');
  const signals = stopOnSignals(log);
  try {
    const { summary, resultsPath, simulated, needsAPerson } = await batchRun(settings, {
      log,
      clock: () => new Date(),
      say,
      asking,
      onStoppable: signals.onStoppable,
      ...(process.stderr.isTTY ? { onProgress: progressLine(settings, Date.now()) } : {}),
    });
    const { exitCode } = summary;
    const resultsFile = displayPath(resultsPath);
    const people = needsAPersonLines(needsAPerson, summary, resultsFile).map((l) => `${l}\n`);
    process.stdout.write(
      `${describeThisRun(summary)}\nBatch ${settings.batchId}: ${plural(summary.rows, 'row')}: ${describeCounts(summary) || 'none'}; ${summary.sameDay.count} Same Day (${summary.sameDay.total}).` +
        `${simulated ? ' Simulated: no money moved.' : ''}\n${people.join('')}${NEXT_STEP[exitCode] ?? ''}\nResults: ${resultsFile}\n`,
    );
    return { batchId: settings.batchId, dryRun: false, exitCode, summary, needsAPerson, resultsFile, simulated };
  } finally {
    signals.release();
  }
}

/** What the run knew when it ended: its settings and logger, once resolved. */
interface Known {
  settings?: RunSettings;
  log?: Logger;
}

/**
 * How a run that threw ended: exit 2 or 4, said on stderr (exitCodeForError). An unexpected error
 * is kept, to be thrown after the notification.
 */
function endedBy(err: unknown, flags: RunFlags, known: Known): RunEnd & { unexpected?: unknown } {
  const batchId = known.settings?.batchId ?? flags.batchId ?? '';
  const dryRun = flags.dryRun ?? false;
  try {
    return { batchId, dryRun, exitCode: exitCodeForError(err), error: (err as Error).message };
  } catch (unexpected) {
    return { batchId, dryRun, exitCode: EXIT.incomplete, unexpected };
  }
}

/**
 * --notify-url: once the options are resolved, the run's end is posted whatever its exit code but
 * 4 (the run that holds the lock notifies); never changes the exit code (src/cli/notify.ts).
 */
async function notifyEnd(known: Known, end: RunEnd): Promise<void> {
  const url = known.settings?.notifyUrl;
  if (url === undefined || end.exitCode === EXIT.locked) {
    return;
  }
  const secrets = [process.env.DWOLLA_SECRET ?? '', known.settings?.credentials?.secret ?? ''];
  // Loaded only to notify: it brings axios (about 100 ms to load), which no other run needs.
  const { notifyRunEnd } = await import('../notify.js');
  await notifyRunEnd(url, end, { secrets, ...(known.log ? { log: known.log } : {}) });
}

export async function runAction(flags: RunFlags): Promise<number> {
  // A run streams: a small young generation (src/cli/young-generation.ts). Not the standalone
  // simulator, which keeps every transfer it made.
  capYoungGeneration();
  const known: Known = {};
  let end: RunEnd & { unexpected?: unknown };
  try {
    const settings = resolveRunSettings(flags, process.env);
    known.settings = settings;
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    known.log = log;
    end = await (settings.dryRun ? dryRunBatch(settings, log) : sendBatch(settings, log));
  } catch (err) {
    end = endedBy(err, flags, known);
  }
  await notifyEnd(known, end);
  if (end.unexpected !== undefined) {
    throw end.unexpected;
  }
  return end.exitCode;
}
