/**
 * What `payouts reconcile BATCH_ID` does: resolves the options, refreshes the batch's transfer
 * statuses and ACH returns, and turns the result into the exit code.
 */
import { displayPath } from '../display-path.js';
import { exitCodeForError } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { type ReconcileFlags, resolveReconcileSettings } from '../run-options.js';

export async function reconcileAction(flags: ReconcileFlags): Promise<number> {
  try {
    const settings = resolveReconcileSettings(flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    const { reconcileBatch } = await import('../../batch/reconcile.js');
    const result = await reconcileBatch(settings, { log, say: (line) => process.stdout.write(`${line}\n`) });
    const counts = Object.entries(result.byTransferStatus).map(([status, n]) => `${n} ${status}`);
    if (result.unknown) {
      counts.push(`${result.unknown} not reachable this time (run again)`);
    }
    process.stdout.write(
      `Batch ${settings.batchId}: ${counts.join(', ') || 'no created transfers'}.\nResults: ${displayPath(result.resultsPath)}\n`,
    );
    return result.exitCode;
  } catch (err) {
    return exitCodeForError(err);
  }
}
