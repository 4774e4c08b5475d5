/**
 * Validation of a `POST /mass-payments` body: what Dwolla refuses with 400 when the mass payment is
 * created (OpenAPI initiateMassPayment; Dwolla's mass payment docs, "Initiate a mass payment": "400
 * ValidationError. Can be: Items exceeded maximum count of 5000, Invalid amount, Invalid metadata,
 * Invalid job item correlation ID, or Invalid funding source."). The rules of a field are those of
 * the same field of a transfer (validate-transfer.ts), an item's errors pathed `/items/{index}/…`.
 *
 * Not checked here: whether a destination can receive. Dwolla reports that per item when the mass
 * payment is processed (the docs' "Mass payment item failures": "Receiver not found.", …).
 *
 * Properties OpenAPI does not list are ignored, as for transfers: the request schema names no
 * `fees` on an item and does not forbid other properties (no `additionalProperties: false`), so an
 * item's `fees` is not charged (facilitator fees need `POST /transfers`); `processingChannel`
 * (RTP) is not modelled either.
 */
import { type EmbeddedError, MASS_PAYMENT_MAX_ITEMS } from '../dwolla/types.js';
import type { SimFundingSource } from './funding-sources.js';
import {
  checkAddenda,
  checkAmount,
  checkClearing,
  checkCorrelationId,
  checkMetadata,
  checkMetadataAllowed,
  checkSource,
  child,
  isObject,
} from './validate-transfer.js';

/** One valid item, as the request gave it. */
export interface ValidItem {
  destinationHref: string;
  amountCents: bigint;
  metadata?: Record<string, string>;
  correlationId?: string;
  /** `clearing.destination: next-available` (Same Day for the payee). */
  sameDay: boolean;
  /** `achDetails.destination` addenda. */
  addenda?: string;
}

export interface ValidMassPayment {
  source: SimFundingSource;
  /** `_links.source.href` as given. */
  sourceHref: string;
  items: ValidItem[];
  metadata?: Record<string, string>;
  correlationId?: string;
  /** Top-level `clearing.source`. */
  clearingSource?: 'standard' | 'next-available';
  /** Top-level `achDetails.source` addenda. */
  addenda?: string;
  /** `status: "deferred"` (the only status a request may give: OpenAPI, docs "Acceptable value is: deferred"). */
  deferred: boolean;
}

export type MassPaymentValidation =
  | { ok: true; massPayment: ValidMassPayment }
  | { ok: false; errors: EmbeddedError[] };

/** Only one side of a `clearing` object is a mass payment's (OpenAPI: `source` at the top, `destination` per item). */
function sideOf(clearing: unknown, side: 'source' | 'destination'): unknown {
  if (!isObject(clearing)) {
    return clearing; // absent stays absent; anything else is refused by checkClearing
  }
  return clearing[side] === undefined ? {} : { [side]: clearing[side] };
}

function checkStatus(status: unknown, errors: EmbeddedError[]): boolean {
  if (status === undefined || status === null) {
    return false;
  }
  if (status !== 'deferred') {
    // OpenAPI StatusInvalidError's wording.
    errors.push({ code: 'Invalid', message: 'Status invalid.', path: '/status' });
  }
  return status === 'deferred';
}

/** The items array, or an error: required, not empty, at most 5,000 (docs: "Items exceeded maximum count of 5000"). */
function checkItemsArray(items: unknown, errors: EmbeddedError[]): unknown[] | undefined {
  if (!Array.isArray(items) || items.length === 0) {
    errors.push({ code: 'Required', message: 'Items required.', path: '/items' });
    return undefined;
  }
  if (items.length > MASS_PAYMENT_MAX_ITEMS) {
    errors.push({
      code: 'Invalid',
      message: `Items exceeded maximum count of ${MASS_PAYMENT_MAX_ITEMS}.`,
      path: '/items',
    });
    return undefined;
  }
  return items;
}

/** One item: its fields checked as a transfer's, every error pathed `/items/{index}/…`. */
function checkItem(
  item: unknown,
  index: number,
  source: SimFundingSource | undefined,
  errors: EmbeddedError[],
): ValidItem | undefined {
  const found: EmbeddedError[] = [];
  const href = child(child(child(item, '_links'), 'destination'), 'href');
  if (typeof href !== 'string' || href === '') {
    found.push({ code: 'Required', message: 'Destination funding source required.', path: '/_links/destination/href' });
  }
  const amountCents = checkAmount(child(item, 'amount'), found);
  const metadata = checkMetadata(child(item, 'metadata'), found);
  if (source) {
    // As for a transfer from a balance: "Metadata not supported for this type of transfer."
    checkMetadataAllowed(source, metadata, found);
  }
  const correlationId = checkCorrelationId(child(item, 'correlationId'), found);
  const clearing = checkClearing(sideOf(child(item, 'clearing'), 'destination'), amountCents, found);
  const addenda = checkAddenda(child(item, 'achDetails'), 'destination', found);
  for (const e of found) {
    errors.push({ ...e, path: `/items/${index}${e.path ?? ''}` });
  }
  if (found.length > 0 || typeof href !== 'string' || amountCents === undefined) {
    return undefined;
  }
  return { destinationHref: href, amountCents, metadata, correlationId, sameDay: !!clearing?.destination, addenda };
}

function checkItems(body: unknown, source: SimFundingSource | undefined, errors: EmbeddedError[]): ValidItem[] {
  const raw = checkItemsArray(child(body, 'items'), errors);
  const items: ValidItem[] = [];
  for (const [index, item] of (raw ?? []).entries()) {
    const valid = checkItem(item, index, source, errors);
    if (valid) {
      items.push(valid);
    }
  }
  return items;
}

export function validateMassPayment(
  body: unknown,
  lookup: (id: string) => SimFundingSource | undefined,
): MassPaymentValidation {
  const errors: EmbeddedError[] = [];
  const sourceHref = child(child(child(body, '_links'), 'source'), 'href');
  const source = checkSource(sourceHref, lookup, errors);
  const metadata = checkMetadata(child(body, 'metadata'), errors);
  const correlationId = checkCorrelationId(child(body, 'correlationId'), errors);
  const clearing = checkClearing(sideOf(child(body, 'clearing'), 'source'), undefined, errors);
  const addenda = checkAddenda(child(body, 'achDetails'), 'source', errors);
  const deferred = checkStatus(child(body, 'status'), errors);
  const items = checkItems(body, source, errors);
  if (errors.length > 0 || !source || typeof sourceHref !== 'string') {
    return { ok: false, errors };
  }
  return {
    ok: true,
    massPayment: {
      source,
      sourceHref,
      items,
      metadata,
      correlationId,
      clearingSource: clearing?.source,
      addenda,
      deferred,
    },
  };
}
