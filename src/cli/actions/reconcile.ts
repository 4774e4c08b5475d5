/**
 * What `payouts reconcile BATCH_ID` does: resolves the options, refreshes the batch's transfer
 * statuses, ACH returns and fee transfers, says what it found, and turns the result into the exit
 * code.
 */
import type { ReconcileResult } from '../../batch/reconcile.js';
import { displayPath } from '../display-path.js';
import { exitCodeForError } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { type ReconcileFlags, resolveReconcileSettings } from '../run-options.js';

const ROW_ORDER = ['pending', 'processed', 'failed', 'cancelled', 'not-found'] as const;
const FEE_ORDER = ['pending', 'processed', 'failed', 'cancelled'] as const;

/** "2 processed, 1 failed" in a fixed order; empty when all counts are 0. */
function counts(by: Partial<Record<string, number>>, order: readonly string[]): string {
  return order
    .filter((k) => (by[k] ?? 0) > 0)
    .map((k) => `${by[k]} ${k}`)
    .join(', ');
}

function total(by: Partial<Record<string, number>>): number {
  return Object.values(by).reduce<number>((sum, n) => sum + (n ?? 0), 0);
}

/** The lines stdout gets: transfers by status, fee transfers by status, what is left to do. */
function reconcileSummary(batchId: string, r: Omit<ReconcileResult, 'exitCode'>): string[] {
  const transfers = total(r.byTransferStatus);
  const fees = total(r.feesByStatus);
  const lines = [
    `Batch ${batchId}: ${transfers} transfer${transfers === 1 ? '' : 's'} read${transfers ? `: ${counts(r.byTransferStatus, ROW_ORDER)}` : ''}.`,
    `Fee transfers: ${fees}${fees ? ` (${counts(r.feesByStatus, FEE_ORDER)})` : ''}.`,
  ];
  if (r.byTransferStatus['not-found']) {
    lines.push(
      `${r.byTransferStatus['not-found']} not-found: the API no longer knows these transfers (see returnReason).`,
    );
  }
  if (r.attention) {
    lines.push(
      `${r.attention} row${r.attention === 1 ? ' needs' : 's need'} a person: see transferStatus and returnReason.`,
    );
  }
  if (r.unknown) {
    lines.push(`${r.unknown} not reachable this time (run again).`);
  }
  lines.push(`Results: ${displayPath(r.resultsPath)}`);
  return lines;
}

export async function reconcileAction(flags: ReconcileFlags): Promise<number> {
  try {
    const settings = resolveReconcileSettings(flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    const { reconcileBatch } = await import('../../batch/reconcile.js');
    const result = await reconcileBatch(settings, { log, say: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`${reconcileSummary(settings.batchId, result).join('\n')}\n`);
    return result.exitCode;
  } catch (err) {
    return exitCodeForError(err);
  }
}
