/**
 * Idempotency keys: the same on every run, machine and version (SPEC "Idempotency").
 *
 * key = UUID-formatted SHA-256 over the JSON array ["payouts/v1", batchId, ...identity], where the
 * identity is ["paymentId", paymentId] when the row has one, else ["content", canonical content,
 * occurrence]. The first 16 bytes of the digest are laid out as an RFC 9562 version-8 (custom)
 * UUID. Changing anything here changes every key: test/keys.test.ts pins a known answer.
 */
import { createHash } from 'node:crypto';

export const KEY_NAMESPACE = 'payouts/v1';

/** What a payment is, for its key: the caller's paymentId, or its content and occurrence. */
export type RowIdentity =
  | { kind: 'paymentId'; paymentId: string }
  | { kind: 'content'; canonical: string; occurrence: number };

/** The fields of a row that make up its canonical content (everything that is sent, normalized). */
export interface CanonicalFields {
  sourceId: string;
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

/** A deterministic text of the row's content: sorted metadata, ids lower-cased by the caller. */
export function canonicalContent(f: CanonicalFields): string {
  const metadata = [...f.metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    f.sourceId,
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

function identityParts(identity: RowIdentity): unknown[] {
  return identity.kind === 'paymentId'
    ? ['paymentId', identity.paymentId]
    : ['content', identity.canonical, identity.occurrence];
}

/** Formats the first 16 bytes of a digest as a version-8, RFC 4122-variant UUID. */
export function uuidFromDigest(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The row's idempotency key within a batch. */
export function idempotencyKey(batchId: string, identity: RowIdentity): string {
  const text = JSON.stringify([KEY_NAMESPACE, batchId, ...identityParts(identity)]);
  return uuidFromDigest(createHash('sha256').update(text, 'utf8').digest());
}
