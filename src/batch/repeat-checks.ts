/**
 * The checks before a row's first send (SPEC "Before a row's first send"), in SPEC's order. A row
 * held is `review`: never sent, and the results say why, naming the earlier batch, date and
 * transfer. Pure: the ledger's answers, the batch's journal and the time come in.
 *
 * 1. Its paymentId was already paid (or has an open intent) in another batch → held.
 * 2. Its paymentId is not in the ledger → looked up at Dwolla by its correlationId before it is
 *    sent (done by the submitter; here the row is only marked).
 * 3. A row without paymentId whose destination and amount another batch paid within
 *    --repeat-window days → held, unless --allow-repeat.
 * 4. On --resume (and on any later run of a batch continued so), a new row without paymentId to a
 *    destination this batch already paid by a row no longer in the file (an edit of a paid row)
 *    → held, unless --allow-repeat. A new paymentId row too (after check 1): SPEC names rows
 *    without one, but a paymentId added to a paid row (typed in, or a column newly read as
 *    paymentId) makes it a new payment that the lookup of check 2 cannot find.
 *
 * And a paymentId row this batch already paid whose amount or destination now differs is held:
 * it changed after it was paid; the results show what was paid.
 */
import { formatCents } from '../input/money.js';
import type { ValidRow } from '../plan/planner.js';
import type { IntentRecord, JournalState } from './journal.js';
import type { LedgerPayment } from './ledger.js';

const DAY_MS = 86_400_000;

/** The ledger's answers the checks need (src/batch/ledger.ts). */
export interface RepeatLedger {
  byPaymentId(paymentId: string): LedgerPayment[];
  latestPaidToDestination(q: {
    destination: string;
    amountCents: number;
    since: string;
    excludeBatchId: string;
  }): LedgerPayment | undefined;
}

export interface RepeatSettings {
  batchId: string;
  now: Date;
  repeatWindowDays: number;
  allowRepeat: boolean;
}

/** What the checks decide for a row before its first send. */
export type FirstSend = { held: string } | { lookUpPaymentId: boolean };

export class RepeatChecks {
  /**
   * Destinations this batch paid by rows that are no longer in the file (check 4), by destination:
   * found when a row first needs them (a run with no row to send reads no key back).
   */
  private gone: Map<string, IntentRecord> | undefined;

  constructor(
    private readonly ledger: RepeatLedger | undefined,
    private readonly settings: RepeatSettings,
    private readonly state: JournalState,
    private readonly keysInFile: { has(key: string): boolean },
  ) {}

  /** A batch continued with an edited file (--resume, and every run after it): what it paid by rows no longer in the file. */
  private goneByDestination(): Map<string, IntentRecord> {
    if (this.gone === undefined) {
      this.gone = new Map();
      for (const key of this.state.byKey.keys()) {
        const ks = this.keysInFile.has(key) ? undefined : this.state.byKey.get(key);
        if (ks?.intent) {
          this.gone.set(ks.intent.destination, ks.intent);
        }
      }
    }
    return this.gone;
  }

  /** Checks 1 to 4 for a row this batch has never sent. */
  firstSend(row: ValidRow): FirstSend {
    const paymentId = row.payment.paymentId;
    if (paymentId !== undefined) {
      const earlier = this.ledger?.byPaymentId(paymentId).filter((p) => p.batchId !== this.settings.batchId) ?? [];
      const paid = earlier.find((p) => p.status === 'created' || p.status === 'intent');
      if (paid) {
        return { held: describePaymentIdRepeat(paymentId, paid) };
      }
      // Check 4 for a paymentId row too: a paymentId typed in (or newly read with --columns) on a
      // row this batch paid without it would be another payment to Dwolla.
      const edited = this.settings.allowRepeat ? undefined : this.editOfPaidRow(row);
      return edited ? { held: edited } : { lookUpPaymentId: earlier.length === 0 };
    }
    if (this.settings.allowRepeat) {
      return { lookUpPaymentId: false };
    }
    const held = this.repeatWithinWindow(row) ?? this.editOfPaidRow(row);
    return held ? { held } : { lookUpPaymentId: false };
  }

  /** Check 4: the row's destination was paid by this batch through a row no longer in the file. */
  private editOfPaidRow(row: ValidRow): string | undefined {
    const gone = this.goneByDestination().get(row.payment.destinationId);
    return gone
      ? `looks like an edit of a paid row: this batch already paid ${formatCents(gone.amountCents)} to ${gone.destination} (row ${gone.row}, ${gone.at.slice(0, 10)}), a row no longer in the file; run with --allow-repeat to send it as well`
      : undefined;
  }

  private repeatWithinWindow(row: ValidRow): string | undefined {
    const { repeatWindowDays, now, batchId } = this.settings;
    if (!this.ledger || repeatWindowDays <= 0) {
      return undefined;
    }
    const since = new Date(now.getTime() - repeatWindowDays * DAY_MS).toISOString();
    const paid = this.ledger.latestPaidToDestination({
      destination: row.payment.destinationId,
      amountCents: row.payment.amountCents,
      since,
      excludeBatchId: batchId,
    });
    if (!paid) {
      return undefined;
    }
    return `repeats a payment of batch ${paid.batchId} on ${paid.firstIntentAt.slice(0, 10)} (${transferOf(paid)}): ${formatCents(paid.amountCents)} to ${paid.destination} within ${repeatWindowDays} days; run with --allow-repeat to send it anyway`;
  }
}

function transferOf(p: LedgerPayment): string {
  return p.transferId ? `transfer ${p.transferId}` : 'outcome unknown: an open intent';
}

function describePaymentIdRepeat(paymentId: string, p: LedgerPayment): string {
  const when = (p.settledAt ?? p.firstIntentAt).slice(0, 10);
  return p.status === 'created'
    ? `paymentId ${paymentId} was already paid in batch ${p.batchId} on ${when} (transfer ${p.transferId ?? 'unknown'}): ${formatCents(p.amountCents)} to ${p.destination}`
    : `paymentId ${paymentId} has an open intent in batch ${p.batchId} since ${when} (it may have been paid): run that batch again to settle it`;
}

/**
 * A row this batch already sent (an intent) whose amount or destination in the file now differs
 * from what was sent: held, never re-sent. Undefined when it still says the same.
 */
export function changedAfterSent(row: ValidRow, intent: IntentRecord, created: boolean): string | undefined {
  if (intent.destination === row.payment.destinationId && intent.amountCents === row.payment.amountCents) {
    return undefined;
  }
  const was = `${formatCents(intent.amountCents)} to ${intent.destination}`;
  const now = `${formatCents(row.payment.amountCents)} to ${row.payment.destinationId}`;
  return created
    ? `changed after it was paid: paid ${was}; the file now says ${now}`
    : `changed after it was sent (outcome unknown): sent ${was}; the file now says ${now}; run the original file again to settle it`;
}
