/**
 * A row's fate before this run sends anything: already created (reported, never sent), held for
 * a person (`review`), or to send — first looked up at Dwolla when an earlier run may have sent
 * it, or when it is a paymentId the ledger has never seen.
 */
import { massPaymentMisfit } from '../dwolla/mass-payment-request.js';
import { isSendable, type ValidRow } from '../plan/planner.js';
import type { PaidCells } from '../results/rows.js';
import type { JournalState, KeyState } from './journal.js';
import type { RowSum } from './key-set.js';
import { MASS_PAYMENT_CANCELLED } from './mass-send.js';
import { changedAfterSent, type RepeatChecks } from './repeat-checks.js';
import { needsLookup, type RowToSend } from './submit.js';

/** A row held for a person: why, and what was paid when it differs from the file. */
export interface Held {
  reason: string;
  paid?: PaidCells;
}

/** One row's fate before this run sends anything. */
export type Fate =
  | { kind: 'created' }
  | { kind: 'held'; held: Held }
  | { kind: 'send'; send: RowToSend }
  | { kind: 'sourceless' }
  /** Not sent in this run, for a reason a rerun may not have (its destinationEmail could not be looked up). */
  | { kind: 'wait'; reason: string };

/** What this run would do with the file's rows, counted in one pass before anything is sent. */
export interface Survey {
  /** Rows to send (some looked up first). */
  toSend: number;
  /** Rows held for review. */
  held: number;
  /** Valid rows that would be sent but have no source (none in the row, no default). */
  sourceless: number;
  /** The sources rows would be sent from, and those earlier intents were sent from (their lookups). */
  sources: Set<string>;
  /** By source: what the rows to send without metadata would take from it, for the balance preflight. */
  amounts: Map<string, SourceAmounts>;
  /**
   * By source: rows to send that no earlier run sent and a mass payment item can carry (--mode
   * auto counts them against its threshold).
   */
  fresh: Map<string, number>;
}

/** What a run would send from one source, in cents (rows with metadata left out: from a balance they fail unsent). */
export interface SourceAmounts {
  /** Rows sent without a lookup first. */
  certain: number;
  /** Rows looked up first: an earlier run may have paid them already. */
  uncertain: number;
  /** Fees of those rows, by the customer charged. */
  fees: Map<string, number>;
}

/**
 * Counts each row's fate over the streamed valid rows, keeping nothing per row. With `planned`,
 * the keys of the file's valid rows as planned (their `rows` summed with what each pays): when
 * the journal created every one of them, paying what the file still says, each row's fate is
 * `created`, and `rows` is not read at all (a rerun of a finished batch).
 */
export async function surveyRows(
  rows: AsyncIterable<ValidRow>,
  state: JournalState,
  checks: RepeatChecks,
  planned?: { readonly rows: RowSum },
): Promise<Survey> {
  const survey: Survey = {
    toSend: 0,
    held: 0,
    sourceless: 0,
    sources: new Set(),
    amounts: new Map(),
    fresh: new Map(),
  };
  if (planned && allCreatedAsPlanned(state, planned.rows)) {
    return survey;
  }
  for await (const row of rows) {
    const fate = fateOf(row, state, checks);
    if (fate.kind === 'held') {
      survey.held++;
    } else if (fate.kind === 'sourceless') {
      survey.sourceless++;
    } else if (fate.kind === 'send') {
      survey.toSend++;
      countToSend(survey, fate.send);
    }
  }
  return survey;
}

/**
 * The journal created every planned row's key, and what each key's last intent paid is what its
 * row pays: `fateOf` would say `created` for every row (`earlierFate`: created, not changed).
 */
export function allCreatedAsPlanned(state: JournalState, planned: RowSum): boolean {
  const created = planned.count > 0 ? state.byKey.createdRows?.() : undefined;
  return created?.equals(planned) ?? false;
}

function countToSend(survey: Survey, send: RowToSend): void {
  const { payment } = send.row;
  survey.sources.add(payment.sourceId);
  if (send.earlierIntent) {
    survey.sources.add(send.earlierIntent.source);
  } else if (massPaymentMisfit(payment) === undefined) {
    survey.fresh.set(payment.sourceId, (survey.fresh.get(payment.sourceId) ?? 0) + 1);
  }
  // Metadata from a balance fails unsent. A row of a mass payment an earlier run sent is settled
  // through it (its items), sending no new money; only a chunk Dwolla never got is sent again.
  if (payment.metadata.length > 0 || (send.earlierIntent?.massPayment !== undefined && !send.failedBefore)) {
    return;
  }
  let amounts = survey.amounts.get(payment.sourceId);
  if (!amounts) {
    amounts = { certain: 0, uncertain: 0, fees: new Map() };
    survey.amounts.set(payment.sourceId, amounts);
  }
  if (needsLookup(send)) {
    amounts.uncertain += payment.amountCents;
  } else {
    amounts.certain += payment.amountCents;
  }
  if (payment.fee) {
    amounts.fees.set(payment.fee.chargeToId, (amounts.fees.get(payment.fee.chargeToId) ?? 0) + payment.fee.cents);
  }
}

/** The rows to send, as the streamed valid rows come, but those in `skip` (settled earlier in this run). */
export async function* rowsToSend(
  rows: AsyncIterable<ValidRow>,
  state: JournalState,
  checks: RepeatChecks,
  skip?: { has(key: string): boolean },
): AsyncGenerator<RowToSend> {
  for await (const row of rows) {
    const fate = fateOf(row, state, checks);
    if (fate.kind === 'send' && !skip?.has(row.key)) {
      yield fate.send;
    }
  }
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
export function fateOf(
  row: ValidRow,
  state: JournalState,
  checks: RepeatChecks,
  known: KeyState | undefined = state.byKey.get(row.key),
): Fate {
  const earlier = earlierFate(row, known);
  if (earlier) {
    return earlier;
  }
  if (row.hold) {
    const { status, reason } = row.hold;
    return status === 'review' ? { kind: 'held', held: { reason } } : { kind: 'wait', reason };
  }
  const first = known?.intent ? undefined : checks.firstSend(row);
  if (first && 'held' in first) {
    return { kind: 'held', held: { reason: first.held } };
  }
  if (!isSendable(row)) {
    return { kind: 'sourceless' };
  }
  if (known?.intent) {
    // Refused by Dwolla: sent again. Cancelled by a person (`payouts cancel`): never.
    const failedBefore = known.outcome?.status === 'failed' && known.outcome.errorCode !== MASS_PAYMENT_CANCELLED;
    return {
      kind: 'send',
      send: {
        row,
        earlierIntent: known.intent,
        firstIntentAt: known.firstIntentAt,
        ...(failedBefore ? { failedBefore } : {}),
      },
    };
  }
  return { kind: 'send', send: first?.lookUpPaymentId ? { row, lookUpPaymentId: true } : { row } };
}
