/**
 * Idempotency keys (SPEC "Payment identity"): the same on every run and machine.
 *
 * v2 (current): UUID-formatted SHA-256 over the JSON array
 * - ["payouts/v2", "paymentId", paymentId] for a row with a paymentId: the same key in any batch,
 *   so a paymentId is one payment wherever it appears;
 * - ["payouts/v2", batchId, "content", canonical content, occurrence] otherwise.
 * The canonical content leaves the source out: paying Alice 800.00 is the same payment whichever
 * source funds it, so a rerun with another --source after a shortfall keeps every key. A row that
 * names its payee by `destinationEmail` only has `email:` and the lower-cased trimmed email in
 * place of the destination id (src/input/destination-email.ts): its key is known without a
 * network, and stays the same whichever bank the email resolves to. A row with both columns is
 * keyed by its destination (the email is only carried).
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
  /** The destination id, or an email-only row's email identity. */
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
  const metadata =
    f.metadata.length < 2 ? f.metadata : [...f.metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const fields = [
    f.destinationId,
    f.amountCents,
    f.currency,
    metadata,
    f.fee ? [f.fee.cents, f.fee.chargeToId] : null,
    f.sourceAddenda ?? null,
    f.destinationAddenda ?? null,
    f.correlationId ?? null,
  ];
  if (version === 'v1') {
    fields.unshift(f.sourceId ?? null);
  }
  return JSON.stringify(fields);
}

/** The JSON text the key of a paymentId hashes (the JSON array of the header's list, written out). */
function paymentIdKeyText(batchId: string, paymentId: string, version: KeyVersion): string {
  return version === 'v1'
    ? `["payouts/v1",${JSON.stringify(batchId)},"paymentId",${JSON.stringify(paymentId)}]`
    : `["payouts/v2","paymentId",${JSON.stringify(paymentId)}]`;
}

/** The JSON text the key of a content identity hashes. */
function contentKeyText(batchId: string, canonical: string, occurrence: number, version: KeyVersion): string {
  return `["payouts/${version}",${JSON.stringify(batchId)},"content",${JSON.stringify(canonical)},${occurrence}]`;
}

const VARIANTS = ['8', '9', 'a', 'b'] as const;

/** Formats the first 16 bytes (32 hex digits) of a digest as a version-8, RFC 4122-variant UUID. */
export function keyFromDigest(hex: string): string {
  // The variant nibble: 10xx, from the digest's low two bits of that nibble.
  const variant = VARIANTS[parseInt(hex[16]!, 16) & 0x3];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The hex SHA-256s a row's key is made of (keyFromDigest), by its identity. Within one batch and
 * key version each is a fingerprint of the identity too: the planner's indexes of paymentIds and
 * contents use them, so that a row is hashed once.
 */
export function paymentIdKeyDigest(batchId: string, paymentId: string, version: KeyVersion): string {
  return hash('sha256', paymentIdKeyText(batchId, paymentId, version), 'hex');
}

export function contentKeyDigest(batchId: string, canonical: string, occurrence: number, version: KeyVersion): string {
  return hash('sha256', contentKeyText(batchId, canonical, occurrence, version), 'hex');
}

/** The row's idempotency key: a paymentId's is the same in every batch (v2); a content row's is the batch's. */
export function idempotencyKey(
  batchId: string,
  identity: RowIdentity,
  version: KeyVersion = CURRENT_KEY_VERSION,
): string {
  return keyFromDigest(
    identity.kind === 'paymentId'
      ? paymentIdKeyDigest(batchId, identity.paymentId, version)
      : contentKeyDigest(batchId, identity.canonical, identity.occurrence, version),
  );
}
