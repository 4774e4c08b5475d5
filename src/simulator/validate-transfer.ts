/**
 * Validation of a `POST /transfers` body as Dwolla documents it (transfers/initiate, the transfer
 * resource's JSON objects, and the 400 error schemas of dwolla-openapi.yml). Every broken rule
 * becomes one embedded error with Dwolla's code, message and path.
 */
import type { EmbeddedError, TransferClearing } from '../dwolla/types.js';
import { fundingSourceIdOfHref, isUuid, type SimFundingSource } from './funding-sources.js';
import { parseAmountCents } from './money.js';

interface ValidFee {
  chargeTo: string;
  amountCents: bigint;
}

export interface ValidTransfer {
  source: SimFundingSource;
  destination: SimFundingSource;
  amountCents: bigint;
  metadata?: Record<string, string>;
  correlationId?: string;
  clearing?: TransferClearing;
  addenda: { source?: string; destination?: string };
  fees: ValidFee[];
}

export type TransferValidation = { ok: true; transfer: ValidTransfer } | { ok: false; errors: EmbeddedError[] };

/** Nacha's Same Day ACH limit per entry. */
const SAME_DAY_LIMIT_CENTS = 100_000_000n;
const MAX_METADATA_PAIRS = 10;
const METADATA_LENGTH_LIMIT = 255; // keys and values must be less than this
const CORRELATION_ID_RE = /^[A-Za-z0-9._-]{1,255}$/;
const ADDENDA_RE = /^[A-Za-z0-9 \-_.~!*'();:@&=+$,/?%#[\]]{1,80}$/;

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function child(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function err(code: string, message: string, path: string): EmbeddedError {
  return { code, message, path };
}

export function validateTransfer(
  body: unknown,
  lookup: (id: string) => SimFundingSource | undefined,
): TransferValidation {
  const errors: EmbeddedError[] = [];

  const source = checkSource(child(child(child(body, '_links'), 'source'), 'href'), lookup, errors);
  const destination = checkDestination(child(child(child(body, '_links'), 'destination'), 'href'), lookup, errors);
  if (source && destination && source.id === destination.id) {
    errors.push(
      err('Invalid', 'Receiver cannot be the owner of the source funding source.', '/_links/destination/href'),
    );
  }

  const amountCents = checkAmount(child(body, 'amount'), errors);
  const metadata = checkMetadata(child(body, 'metadata'), errors);
  const correlationId = checkCorrelationId(child(body, 'correlationId'), errors);
  const clearing = checkClearing(child(body, 'clearing'), amountCents, errors);
  const addenda = {
    source: checkAddenda(child(body, 'achDetails'), 'source', errors),
    destination: checkAddenda(child(body, 'achDetails'), 'destination', errors),
  };
  const fees = checkFees(child(body, 'fees'), amountCents, errors);
  if (source && destination) {
    checkMetadataAllowed(source, metadata, errors);
    checkFeeParties(fees, [source, destination], errors);
  }

  if (errors.length > 0 || !source || !destination || amountCents === undefined) {
    return { ok: false, errors };
  }
  return { ok: true, transfer: { source, destination, amountCents, metadata, correlationId, clearing, addenda, fees } };
}

export function checkSource(
  href: unknown,
  lookup: (id: string) => SimFundingSource | undefined,
  errors: EmbeddedError[],
): SimFundingSource | undefined {
  const path = '/_links/source/href';
  if (absent(href)) {
    errors.push(err('Required', 'Source funding source required.', path));
    return undefined;
  }
  const id = fundingSourceIdOfHref(href);
  const source = id === undefined ? undefined : lookup(id);
  if (!source) {
    errors.push(err('Invalid', 'Funding source not found.', path));
    return undefined;
  }
  if (source.removed || source.status !== 'verified') {
    errors.push(err('Invalid', 'Invalid funding source.', path));
    return undefined;
  }
  return source;
}

function checkDestination(
  href: unknown,
  lookup: (id: string) => SimFundingSource | undefined,
  errors: EmbeddedError[],
): SimFundingSource | undefined {
  const path = '/_links/destination/href';
  if (absent(href)) {
    errors.push(err('Required', 'Destination funding source required.', path));
    return undefined;
  }
  const id = fundingSourceIdOfHref(href);
  const destination = id === undefined ? undefined : lookup(id);
  if (!destination) {
    errors.push(err('Invalid', 'Receiver not found.', path));
    return undefined;
  }
  if (destination.removed) {
    errors.push(err('Invalid', 'Invalid destination funding source.', path));
    return undefined;
  }
  return destination;
}

export function checkAmount(amount: unknown, errors: EmbeddedError[]): bigint | undefined {
  const value = child(amount, 'value');
  const currency = child(amount, 'currency');
  let cents: bigint | undefined;
  if (absent(value)) {
    errors.push(err('Required', 'Amount value required.', '/amount/value'));
  } else {
    cents = parseAmountCents(value);
    if (cents === undefined || cents < 1n) {
      errors.push(
        err('InvalidFormat', 'Invalid amount. The supplied amount must be a positive number.', '/amount/value'),
      );
      cents = undefined;
    }
  }
  if (absent(currency)) {
    errors.push(err('Required', 'Amount currency required.', '/amount/currency'));
  } else if (currency !== 'USD') {
    errors.push(err('Invalid', 'Invalid amount currency. Possible values: USD.', '/amount/currency'));
  }
  return cents;
}

export function checkMetadata(metadata: unknown, errors: EmbeddedError[]): Record<string, string> | undefined {
  if (metadata === undefined || metadata === null) {
    return undefined;
  }
  const invalid = () => errors.push(err('Invalid', 'Invalid metadata.', '/metadata'));
  if (!isObject(metadata)) {
    invalid();
    return undefined;
  }
  const entries = Object.entries(metadata);
  const flat = entries.every(
    ([k, v]) =>
      k.length < METADATA_LENGTH_LIMIT &&
      (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
      String(v).length < METADATA_LENGTH_LIMIT,
  );
  if (entries.length > MAX_METADATA_PAIRS || !flat) {
    invalid();
    return undefined;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

/**
 * Dwolla refuses metadata on a transfer from a balance: "Metadata not supported for this type of
 * transfer." (transfers/initiate, the error table; shape of OpenAPI `InvalidMetadataError`).
 */
export function checkMetadataAllowed(
  source: SimFundingSource,
  metadata: Record<string, string> | undefined,
  errors: EmbeddedError[],
): void {
  if (source.type === 'balance' && metadata !== undefined && Object.keys(metadata).length > 0) {
    errors.push(err('Invalid', 'Metadata not supported for this type of transfer.', '/metadata'));
  }
}

export function checkCorrelationId(correlationId: unknown, errors: EmbeddedError[]): string | undefined {
  if (correlationId === undefined || correlationId === null) {
    return undefined;
  }
  if (typeof correlationId !== 'string' || !CORRELATION_ID_RE.test(correlationId)) {
    const message =
      typeof correlationId === 'string' && correlationId.length >= 1 && correlationId.length <= 255
        ? 'Correlation id may only contain the characters a-Z, 0-9, -, . and _.'
        : 'Correlation id must be at least one character and up to 255 characters when supplied.';
    errors.push(err('InvalidFormat', message, '/correlationId'));
    return undefined;
  }
  return correlationId;
}

export function checkClearing(
  clearing: unknown,
  amountCents: bigint | undefined,
  errors: EmbeddedError[],
): TransferClearing | undefined {
  if (clearing === undefined || clearing === null) {
    return undefined;
  }
  if (!isObject(clearing)) {
    errors.push(err('Invalid', 'Invalid clearing.', '/clearing'));
    return undefined;
  }
  const result: TransferClearing = {};
  const { source, destination } = clearing;
  if (source !== undefined) {
    if (source === 'standard' || source === 'next-available') {
      result.source = source;
    } else {
      errors.push(
        err('Invalid', 'Invalid clearing source. Possible values: standard, next-available.', '/clearing/source'),
      );
    }
  }
  if (destination !== undefined) {
    if (destination === 'next-available') {
      result.destination = destination;
    } else {
      errors.push(
        err('Invalid', 'Invalid clearing destination. Possible value: next-available.', '/clearing/destination'),
      );
    }
  }
  if (result.destination === 'next-available' && amountCents !== undefined && amountCents > SAME_DAY_LIMIT_CENTS) {
    errors.push(
      err(
        'Restricted',
        'Amount is above the allowed threshold for the specified destination clearing type.',
        '/amount/value',
      ),
    );
  }
  return result;
}

export function checkAddenda(
  achDetails: unknown,
  side: 'source' | 'destination',
  errors: EmbeddedError[],
): string | undefined {
  const details = child(achDetails, side);
  if (details === undefined || details === null) {
    return undefined;
  }
  const path = `/achDetails/${side}/addenda/values`;
  const values = child(child(details, 'addenda'), 'values');
  if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') {
    errors.push(err('Invalid', 'Addenda values must be an array containing a single string.', path));
    return undefined;
  }
  const value: string = values[0];
  if (!ADDENDA_RE.test(value)) {
    errors.push(err('InvalidFormat', 'Ach addenda entries can be up to 80 characters when supplied.', path));
    return undefined;
  }
  return value;
}

function chargeToId(href: unknown): string | undefined {
  if (typeof href !== 'string') {
    return undefined;
  }
  try {
    const match = /^\/(?:customers|accounts)\/([^/]+)\/?$/.exec(new URL(href).pathname);
    return match?.[1] && isUuid(match[1]) ? match[1].toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function checkFees(fees: unknown, amountCents: bigint | undefined, errors: EmbeddedError[]): ValidFee[] {
  if (fees === undefined || fees === null) {
    return [];
  }
  if (!Array.isArray(fees)) {
    errors.push(err('Invalid', 'Invalid facilitator fee amount.', '/fees'));
    return [];
  }
  const valid: ValidFee[] = [];
  for (const fee of fees) {
    const chargeTo = chargeToId(child(child(child(fee, '_links'), 'charge-to'), 'href'));
    if (chargeTo === undefined) {
      errors.push(err('Invalid', 'Facilitator fee account not found.', ''));
      continue;
    }
    const feeCents = parseAmountCents(child(child(fee, 'amount'), 'value'));
    if (feeCents === undefined || child(child(fee, 'amount'), 'currency') !== 'USD') {
      errors.push(err('Invalid', 'Invalid facilitator fee amount.', '/fees/_links/charge-to/href'));
      continue;
    }
    if (feeCents < 1n) {
      errors.push(err('Invalid', 'Facilitator fee below minimum.', ''));
      continue;
    }
    valid.push({ chargeTo, amountCents: feeCents });
  }
  const total = valid.reduce((sum, f) => sum + f.amountCents, 0n);
  if (amountCents !== undefined && total * 2n > amountCents) {
    errors.push(err('Invalid', 'Facilitator fee sum too large.', ''));
  }
  return valid;
}

/**
 * A fee is charged to a party of the transfer: the customer owning its source or its destination
 * (OpenAPI `InvalidFacilitatorFeeCollectFromError`), and every fee to the same one (OpenAPI
 * `InvalidFacilitatorFeeCollectFromCombinationError`, whose example ends in a stray quote).
 */
function checkFeeParties(fees: ValidFee[], ends: SimFundingSource[], errors: EmbeddedError[]): void {
  const path = '/fees/_links/charge-to/href';
  const parties = new Set(ends.filter((fs) => fs.owner.kind === 'customer').map((fs) => fs.owner.id));
  if (fees.some((fee) => !parties.has(fee.chargeTo))) {
    errors.push(err('Invalid', 'Unable to charge fee to specified destination.', path));
  } else if (new Set(fees.map((fee) => fee.chargeTo)).size > 1) {
    errors.push(err('Invalid', 'Currently, all fees must be paid by same destination.', path));
  }
}
