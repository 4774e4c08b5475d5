/**
 * Idempotency keys: the same on every run, machine and version (SPEC "Idempotency").
 *
 * key = UUID-formatted SHA-256 over the JSON array ["payouts/v1", batchId, ...identity], where the
 * identity is ["paymentId", paymentId] when the row has one, else ["content", canonical content,
 * occurrence]. The first 16 bytes of the digest are laid out as an RFC 9562 version-8 (custom)
 * UUID. Changing anything here changes every key: test/keys.test.ts pins a known answer.
 */
import { hash } from 'node:crypto';

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

/** Formats the first 16 bytes (32 hex digits) of a digest as a version-8, RFC 4122-variant UUID. */
function uuidFromHex(hex: string): string {
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The row's idempotency key within a batch. */
export function idempotencyKey(batchId: string, identity: RowIdentity): string {
  const text = JSON.stringify([KEY_NAMESPACE, batchId, ...identityParts(identity)]);
  return uuidFromHex(hash('sha256', text, 'hex'));
}
