/**
 * What `payouts approve` and `payouts cancel` do: resolve the options, release or cancel the
 * batch's deferred mass payments (src/batch/release.ts), say what became of each, and turn the
 * result into the exit code.
 */
import type { ChunkReport, ChunkVerdict, ReleaseAction, ReleaseResult } from '../../batch/release.js';
import { formatCents } from '../../input/money.js';
import { exitCodeForError } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { type ReleaseFlags, resolveReleaseSettings } from '../release-settings.js';

/** What a verdict means, in words, for a mass payment of `batchId`. */
function verdictWords(action: ReleaseAction, r: ChunkReport, batchId: string): string {
  const words: Record<ChunkVerdict, string> = {
    released: 'released (deferred → pending): Dwolla processes it now',
    cancelled: 'cancelled: nothing of it is paid',
    'already-released': `already released (${r.status} at Dwolla): ${action === 'cancel' ? 'it can no longer be cancelled' : 'nothing done'}`,
    'already-cancelled': `already cancelled at Dwolla: ${action === 'approve' ? 'it can no longer be released; to pay its rows, run them in a new batch (--batch-id)' : 'nothing done'}`,
    'other-plan': `prepared with another plan (digest ${r.planDigest.slice(0, 16)}…): left as it is; approve that plan to act on it`,
    'not-created': `not created at Dwolla yet: run the same \`payouts run\` command again (it creates it, deferred), then run this command again`,
    superseded: 'never created at Dwolla (refused; its rows were settled otherwise): nothing to do',
    unknown: `${r.problem ?? 'could not be read'}: run this command again`,
  };
  const name = r.massPaymentId
    ? `Mass payment ${r.massPaymentId}`
    : `Mass payment ${r.correlationId} of batch ${batchId}`;
  return `${name} (${r.items} item${r.items === 1 ? '' : 's'}, ${formatCents(r.totalCents)}): ${words[r.verdict]}.`;
}

function tally(chunks: readonly ChunkReport[]): string {
  const by = new Map<ChunkVerdict, number>();
  for (const c of chunks) {
    by.set(c.verdict, (by.get(c.verdict) ?? 0) + 1);
  }
  return [...by].map(([verdict, n]) => `${n} ${verdict.replace('-', ' ')}`).join(', ');
}

/** The closing lines: the counts, and what to do next. */
function releaseSummary(batchId: string, r: ReleaseResult): string[] {
  const n = r.chunks.length;
  const lines = [`Batch ${batchId}: ${n} deferred mass payment${n === 1 ? '' : 's'}: ${tally(r.chunks)}.`];
  const moved = r.chunks.some((c) => c.verdict !== 'other-plan' && c.verdict !== 'unknown');
  if (moved) {
    lines.push(
      r.action === 'approve'
        ? 'Next: run the same `payouts run` command again to record the transfers (nothing is paid twice).'
        : 'Next: run the same `payouts run` command again: it reports the rows of cancelled mass payments as failed (MassPaymentCancelled), and records the transfers of released ones.',
    );
  }
  return lines;
}

export async function releaseAction(action: ReleaseAction, flags: ReleaseFlags): Promise<number> {
  try {
    const settings = resolveReleaseSettings(action, flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    const { releaseBatch } = await import('../../batch/release.js');
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const result = await releaseBatch(settings, action, {
      log,
      say,
      onChunk: (r) => say(verdictWords(action, r, settings.batchId)),
    });
    say(releaseSummary(settings.batchId, result).join('\n'));
    return result.exitCode;
  } catch (err) {
    return exitCodeForError(err);
  }
}
