/**
 * The plan digest (SPEC `--approve`, maker-checker): one SHA-256 that names what a batch would
 * pay, so that a second person can approve exactly that plan and a run can check, before it sends
 * anything, that the file still says it.
 *
 * v1: SHA-256 over UTF-8 lines, each a JSON array ended by "\n" (JSON escapes every control
 * character, so a line can never run into the next):
 * - `["payouts-plan/v1", batchId]`;
 * - for each valid row, in input order: `[key, destination, amountCents, clearingPolicy]` — the
 *   idempotency key (src/plan/keys.ts), the destination's id as the key sees it, the amount in
 *   integer cents, and the clearing policy (the row's `clearing`, else the run's `--clearing`: the
 *   policy, never the decision, which depends on the time of sending) — with two more elements,
 *   `feeCents, feeChargeTo`, for a row with a facilitator fee: a fee moves money too, and the key
 *   of a row with a paymentId does not cover it;
 * - `["end", rows, totalCents]`.
 *
 * Invalid rows are not in it. Rows an earlier run created are: the digest describes the file's
 * plan, so a rerun after a partial run still matches the approval. Input order is in it: the order
 * is part of what a person approved (reading down a list), and a reordered file is a changed file.
 * Carried columns (name, notes…) are not in it: they are never sent. Nor is the source: a rerun
 * may switch it after a balance shortfall (SPEC), as the keys allow. Streaming: the hash is
 * incremental, and nothing is kept per row. Changing anything here changes every digest:
 * test/plan/plan-digest.test.ts pins a known answer.
 */
import { createHash, type Hash } from 'node:crypto';
import { emailIdentity } from '../input/destination-email.js';
import type { ClearingPolicy } from '../input/validation.js';
import type { ValidRow } from './planner.js';

const VERSION = 'payouts-plan/v1';

/** Hex digits of the digest. */
const DIGEST_DIGITS = 64;

/**
 * The fewest hex digits `--approve` accepts for a prefix of the digest: 64 bits. With 48 (12
 * digits) a maker could search, with a few hours of GPU time, for another plan whose digest starts
 * the same way as the approved one; 64 bits put that out of reach.
 */
export const MIN_APPROVAL_DIGITS = 16;

/** What the digest covers of one valid row. */
export interface DigestEntry {
  key: string;
  destination: string;
  amountCents: number;
  clearing: ClearingPolicy;
  fee?: { cents: number; chargeToId: string };
}

/** A finished digest and what it covers. */
export interface PlanDigestResult {
  /** 64 lower-case hex digits. */
  hex: string;
  /** Valid rows. */
  rows: number;
  totalCents: number;
}

/** The digest's entry of a valid row, with the run's `--clearing` for a row that has no `clearing` of its own. */
function digestEntry(row: ValidRow, runClearing: ClearingPolicy): DigestEntry {
  const { payment } = row;
  return {
    key: row.key,
    // An email row's identity, also once the run has resolved it (src/input/destination-email.ts).
    destination:
      payment.destinationEmail === undefined ? payment.destinationId : emailIdentity(payment.destinationEmail),
    amountCents: payment.amountCents,
    clearing: payment.clearing ?? runClearing,
    ...(payment.fee ? { fee: payment.fee } : {}),
  };
}

const PENDING_CHARS = 64 * 1024;

/** The digest of one plan, fed its valid rows in input order. */
export class PlanDigest {
  private readonly hash: Hash;
  /** Lines not yet hashed: hashed 64 KiB at a time rather than a call per row (the same digest). */
  private pending = '';
  private rows = 0;
  private totalCents = 0;
  private result: PlanDigestResult | undefined;

  constructor(batchId: string) {
    this.hash = createHash('sha256');
    this.hash.update(`${JSON.stringify([VERSION, batchId])}\n`);
  }

  add(e: DigestEntry): void {
    if (this.result) {
      throw new Error('plan digest already finished');
    }
    const line = e.fee
      ? [e.key, e.destination, e.amountCents, e.clearing, e.fee.cents, e.fee.chargeToId]
      : [e.key, e.destination, e.amountCents, e.clearing];
    this.pending += `${JSON.stringify(line)}\n`;
    if (this.pending.length >= PENDING_CHARS) {
      this.hash.update(this.pending);
      this.pending = '';
    }
    this.rows++;
    this.totalCents += e.amountCents;
  }

  /** Adds a valid row (digestEntry). */
  addRow(row: ValidRow, runClearing: ClearingPolicy): void {
    this.add(digestEntry(row, runClearing));
  }

  /** The digest; the same answer however often it is asked, and no row can be added after. */
  finish(): PlanDigestResult {
    if (!this.result) {
      this.hash.update(`${this.pending}${JSON.stringify(['end', this.rows, this.totalCents])}\n`);
      this.pending = '';
      this.result = { hex: this.hash.digest('hex'), rows: this.rows, totalCents: this.totalCents };
    }
    return this.result;
  }
}

/**
 * An `--approve` value as compared: lower-case hex, the whole digest or a prefix of at least
 * MIN_APPROVAL_DIGITS digits; undefined when it is not one.
 */
export function parseApproval(text: string): string | undefined {
  const hex = text.trim().toLowerCase();
  const ok = hex.length >= MIN_APPROVAL_DIGITS && hex.length <= DIGEST_DIGITS && /^[0-9a-f]+$/.test(hex);
  return ok ? hex : undefined;
}

/** Whether an approval (parseApproval's) names this digest. */
export function approves(approval: string, hex: string): boolean {
  return hex.startsWith(approval);
}
