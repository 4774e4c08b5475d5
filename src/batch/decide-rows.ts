/**
 * A row's fate before this run sends anything: already created (reported, never sent), held for
 * a person (`review`), or to send — first looked up at Dwolla when an earlier run may have sent
 * it, or when it is a paymentId the ledger has never seen.
 */
import { isSendable, type ValidRow } from '../plan/planner.js';
import type { PaidCells } from '../results/rows.js';
import type { JournalState } from './journal.js';
import { changedAfterSent, type RepeatChecks } from './repeat-checks.js';
import type { RowToSend } from './submit.js';

/** A row held for a person: why, and what was paid when it differs from the file. */
export interface Held {
  reason: string;
  paid?: PaidCells;
}

export interface RowDecisions {
  toSend: RowToSend[];
  /** Rows held for review, by key. */
  held: Map<string, Held>;
  /** Valid rows that would be sent but have no source (none in the row, no default). */
  sourceless: number;
}

export function decideRows(valid: Iterable<ValidRow>, state: JournalState, checks: RepeatChecks): RowDecisions {
  const decisions: RowDecisions = { toSend: [], held: new Map(), sourceless: 0 };
  for (const row of valid) {
    decideRow(row, state, checks, decisions);
  }
  return decisions;
}

function decideRow(row: ValidRow, state: JournalState, checks: RepeatChecks, d: RowDecisions): void {
  const known = state.byKey.get(row.key);
  const created = known?.outcome?.status === 'created';
  if (known?.intent) {
    const changed = changedAfterSent(row, known.intent, created);
    if (changed) {
      const paid = created
        ? { destination: known.intent.destination, amountCents: known.intent.amountCents }
        : undefined;
      d.held.set(row.key, { reason: changed, ...(paid ? { paid } : {}) });
      return;
    }
  }
  if (created) {
    return;
  }
  if (!isSendable(row)) {
    d.sourceless++;
    return;
  }
  if (known?.intent) {
    d.toSend.push({ row, earlierIntent: known.intent, firstIntentAt: known.firstIntentAt });
    return;
  }
  const first = checks.firstSend(row);
  if ('held' in first) {
    d.held.set(row.key, { reason: first.held });
    return;
  }
  d.toSend.push(first.lookUpPaymentId ? { row, lookUpPaymentId: true } : { row });
}
