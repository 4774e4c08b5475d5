/**
 * Idempotency keys (SPEC "Payment identity"): the same on every run and machine.
 *
 * v2 (current): UUID-formatted SHA-256 over the JSON array
 * - ["payouts/v2", "paymentId", paymentId] for a row with a paymentId: the same key in any batch,
 *   so a paymentId is one payment wherever it appears;
 * - ["payouts/v2", batchId, "content", canonical content, occurrence] otherwise.
 * The canonical content leaves the source out: paying Alice 800.00 is the same payment whichever
 * source funds it, so a rerun with another --source after a shortfall keeps every key.
 *
 * v1 (batches journalled before v2 keep it): ["payouts/v1", batchId, ...identity], with the
 * source in the canonical content.
 *
 * The first 16 bytes of the digest are laid out as an RFC 9562 version-8 (custom) UUID. Changing
 * anything here changes every key: test/plan/keys.test.ts pins known answers.
 */
import { hash } from 'node:crypto';

export type KeyVersion = 'v1' | 'v2';
/** The key version of new batches. */
export const CURRENT_KEY_VERSION: KeyVersion = 'v2';

/** What a payment is, for its key: the caller's paymentId, or its content and occurrence. */
export type RowIdentity =
  | { kind: 'paymentId'; paymentId: string }
  | { kind: 'content'; canonical: string; occurrence: number };

/** The fields of a row that make up its canonical content (everything that is sent, normalized). */
export interface CanonicalFields {
  sourceId: string | undefined;
  destinationId: string;
  amountCents: number;
  currency: string;
  metadata: ReadonlyArray<readonly [string, string]>;
  fee?: { cents: number; chargeToId: string };
  sourceAddenda?: string;
  destinationAddenda?: string;
  /** The row's own correlationId, not the defaulted one. */
  correlationId?: string;
}

/**
 * A deterministic text of the row's content: sorted metadata, ids lower-cased by the caller; the
 * source only in v1.
 */
export function canonicalContent(f: CanonicalFields, version: KeyVersion = CURRENT_KEY_VERSION): string {
  const metadata = [...f.metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    ...(version === 'v1' ? [f.sourceId ?? null] : []),
    f.destinationId,
    f.amountCents,
    f.currency,
    metadata,
    f.fee ? [f.fee.cents, f.fee.chargeToId] : null,
    f.sourceAddenda ?? null,
    f.destinationAddenda ?? null,
    f.correlationId ?? null,
  ]);
}

function keyParts(batchId: string, identity: RowIdentity, version: KeyVersion): unknown[] {
  if (version === 'v1') {
    return identity.kind === 'paymentId'
      ? ['payouts/v1', batchId, 'paymentId', identity.paymentId]
      : ['payouts/v1', batchId, 'content', identity.canonical, identity.occurrence];
  }
  return identity.kind === 'paymentId'
    ? ['payouts/v2', 'paymentId', identity.paymentId]
    : ['payouts/v2', batchId, 'content', identity.canonical, identity.occurrence];
}

/** Formats the first 16 bytes (32 hex digits) of a digest as a version-8, RFC 4122-variant UUID. */
function uuidFromHex(hex: string): string {
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The row's idempotency key: a paymentId's is the same in every batch (v2); a content row's is the batch's. */
export function idempotencyKey(
  batchId: string,
  identity: RowIdentity,
  version: KeyVersion = CURRENT_KEY_VERSION,
): string {
  return uuidFromHex(hash('sha256', JSON.stringify(keyParts(batchId, identity, version)), 'hex'));
}
