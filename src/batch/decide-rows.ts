/**
 * A row's fate before this run sends anything: already created (reported, never sent), held for
 * a person (`review`), or to send — first looked up at Dwolla when an earlier run may have sent
 * it, or when it is a paymentId the ledger has never seen.
 */
import { isSendable, type ValidRow } from '../plan/planner.js';
import type { PaidCells } from '../results/rows.js';
import type { JournalState, KeyState } from './journal.js';
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

/** One row's fate before this run sends anything. */
export type Fate =
  | { kind: 'created' }
  | { kind: 'held'; held: Held }
  | { kind: 'send'; send: RowToSend }
  | { kind: 'sourceless' };

export function decideRows(valid: Iterable<ValidRow>, state: JournalState, checks: RepeatChecks): RowDecisions {
  const decisions: RowDecisions = { toSend: [], held: new Map(), sourceless: 0 };
  for (const row of valid) {
    const fate = fateOf(row, state, checks);
    if (fate.kind === 'held') {
      decisions.held.set(row.key, fate.held);
    } else if (fate.kind === 'send') {
      decisions.toSend.push(fate.send);
    } else if (fate.kind === 'sourceless') {
      decisions.sourceless++;
    }
  }
  return decisions;
}

/** A row an earlier run sent: created (never again), or changed since it was sent (held). */
function earlierFate(row: ValidRow, known: KeyState | undefined): Fate | undefined {
  const created = known?.outcome?.status === 'created';
  const changed = known?.intent ? changedAfterSent(row, known.intent, created) : undefined;
  if (known?.intent && changed) {
    const paid = created ? { destination: known.intent.destination, amountCents: known.intent.amountCents } : undefined;
    return { kind: 'held', held: { reason: changed, ...(paid ? { paid } : {}) } };
  }
  return created ? { kind: 'created' } : undefined;
}

/** What becomes of a row: the same decision for the run and for the dry run that predicts it. */
export function fateOf(row: ValidRow, state: JournalState, checks: RepeatChecks): Fate {
  const known = state.byKey.get(row.key);
  const earlier = earlierFate(row, known);
  if (earlier) {
    return earlier;
  }
  const first = known?.intent ? undefined : checks.firstSend(row);
  if (first && 'held' in first) {
    return { kind: 'held', held: { reason: first.held } };
  }
  if (!isSendable(row)) {
    return { kind: 'sourceless' };
  }
  if (known?.intent) {
    return { kind: 'send', send: { row, earlierIntent: known.intent, firstIntentAt: known.firstIntentAt } };
  }
  return { kind: 'send', send: first?.lookUpPaymentId ? { row, lookUpPaymentId: true } : { row } };
}
