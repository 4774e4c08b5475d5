/**
 * `payouts reconcile BATCH_ID`: resolves the options, refreshes the batch's transfer statuses
 * and ACH returns, and turns the result into the exit code.
 */
import { BatchLockedError } from '../batch-lock.js';
import { createLogger } from '../logger.js';
import { resolveReconcileSettings, type ReconcileFlags } from '../run-options.js';
import { UsageError } from '../usage-error.js';
import { displayPath, EXIT } from './run.js';

export async function reconcileCommand(flags: ReconcileFlags): Promise<number> {
  try {
    const settings = resolveReconcileSettings(flags, process.env);
    const log = createLogger({ level: settings.logLevel, file: settings.logFile });
    const { reconcileBatch } = await import('../reconcile.js');
    const result = await reconcileBatch(settings, { log, say: (line) => process.stdout.write(`${line}\n`) });
    const counts = Object.entries(result.byTransferStatus).map(([status, n]) => `${n} ${status}`);
    if (result.unknown) counts.push(`${result.unknown} not reachable this time (run again)`);
    process.stdout.write(`Batch ${settings.batchId}: ${counts.join(', ') || 'no created transfers'}.\nResults: ${displayPath(result.resultsPath)}\n`);
    return result.exitCode;
  } catch (err) {
    if (err instanceof BatchLockedError) {
      process.stderr.write(`payouts: ${err.message}\n`);
      return EXIT.locked;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`payouts: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
