/**
 * Validation of one payee row against Dwolla's transfer rules (SPEC "Validation"). Pure: the
 * row's cells and the run's settings in, either the payment to send or every rule it broke.
 * Rules that need the rest of the file (repeated paymentId, correlationId, identical rows) are
 * the planner's (src/plan/planner.ts).
 */
import type { CsvHeader, KnownColumn } from './csv-reader.js';
import { emailIdentity, isPlausibleEmail } from './destination-email.js';
import { parseCustomerRef, parseFundingSourceRef } from './dwolla-ids.js';
import { formatCents, parseAmount } from './money.js';

export const CLEARING_POLICIES = ['auto', 'same-day', 'standard'] as const;
export type ClearingPolicy = (typeof CLEARING_POLICIES)[number];
const MAX_METADATA_PAIRS = 10;
/** Metadata keys and values must be under 255 characters. */
const MAX_METADATA_LENGTH = 254;
const MAX_CORRELATION_ID_LENGTH = 255;
const MAX_PAYMENT_ID_LENGTH = 255;
const MAX_ADDENDA_LENGTH = 80;
const CORRELATION_ID = /^[A-Za-z0-9._-]+$/;
const ADDENDA = /^[A-Za-z0-9 \-_.~!*'();:@&=+$,/?%#[\]]*$/;

/** A valid row: everything that is sent, normalized. */
export interface Payment {
  /**
   * The row's source, else the default source; undefined when neither is given: only sending
   * needs a source, so that is a usage error of a run with rows left to send, not an invalid row.
   */
  sourceId: string | undefined;
  /**
   * The destination funding source's id; for a row with only a `destinationEmail`, its email
   * identity (destination-email.ts) until the run resolves it (src/batch/resolve-emails.ts).
   */
  destinationId: string;
  /**
   * The lower-cased email of a row that names its payee by `destinationEmail` only. Absent when
   * the row has a `destination`: that one is paid, and the email is only carried to the results.
   */
  destinationEmail?: string;
  amountCents: number;
  currency: 'USD';
  /** Metadata pairs in column order. */
  metadata: Array<[string, string]>;
  fee?: { cents: number; chargeToId: string };
  sourceAddenda?: string;
  destinationAddenda?: string;
  /** The row's own correlationId; absent when it defaults to the idempotency key. */
  correlationId?: string;
  paymentId?: string;
  /** The row's own `clearing` column, overriding `--clearing`. */
  clearing?: ClearingPolicy;
}

export interface ValidationSettings {
  /** Funding-source id used when the row has no `source`. */
  defaultSourceId?: string;
  maxAmountCents: number;
}

/** The trimmed cells of every known column of a row ('' for a column the file lacks). */
export type KnownCells = Record<KnownColumn, string>;

/** Every known cell empty: what a row keeps of its cells once nothing reads them (src/batch/mass-send.ts). */
export const EMPTY_KNOWN_CELLS: KnownCells = Object.freeze({
  destination: '',
  destinationEmail: '',
  amount: '',
  currency: '',
  source: '',
  paymentId: '',
  correlationId: '',
  feeAmount: '',
  feeChargeTo: '',
  sourceAddenda: '',
  destinationAddenda: '',
  clearing: '',
});

/**
 * A reader of the known cells of a file's rows: the columns are looked up once, in the header,
 * and every row's cells are read into an object of one shape.
 */
export function knownCellsReader(header: CsvHeader): (cells: readonly string[]) => KnownCells {
  const at = (column: KnownColumn) => header.known[column] ?? -1;
  const [destination, amount, currency, source, paymentId, correlationId] = [
    at('destination'),
    at('amount'),
    at('currency'),
    at('source'),
    at('paymentId'),
    at('correlationId'),
  ];
  const [feeAmount, feeChargeTo, sourceAddenda, destinationAddenda, clearing] = [
    at('feeAmount'),
    at('feeChargeTo'),
    at('sourceAddenda'),
    at('destinationAddenda'),
    at('clearing'),
  ];
  const destinationEmail = at('destinationEmail');
  return (cells) => ({
    destination: trimmedCell(cells, destination),
    destinationEmail: trimmedCell(cells, destinationEmail),
    amount: trimmedCell(cells, amount),
    currency: trimmedCell(cells, currency),
    source: trimmedCell(cells, source),
    paymentId: trimmedCell(cells, paymentId),
    correlationId: trimmedCell(cells, correlationId),
    feeAmount: trimmedCell(cells, feeAmount),
    feeChargeTo: trimmedCell(cells, feeChargeTo),
    sourceAddenda: trimmedCell(cells, sourceAddenda),
    destinationAddenda: trimmedCell(cells, destinationAddenda),
    clearing: trimmedCell(cells, clearing),
  });
}

function trimmedCell(cells: readonly string[], index: number): string {
  const cell = index < 0 ? '' : (cells[index] ?? '');
  return hasPrintableAsciiEnds(cell) ? cell : cell.trim();
}

/** Whether a cell starts and ends with a printable ASCII character (not a space): trim() would leave it as it is. */
function hasPrintableAsciiEnds(cell: string): boolean {
  const first = cell.charCodeAt(0);
  const last = cell.charCodeAt(cell.length - 1);
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f;
}

/**
 * Checks every rule, in this order, so that errorMessage names every rule the row broke: each
 * broken rule is pushed onto `errors`. The metadata pairs are read from the row's `cells`. The
 * payment when the row broke none (`errors` unchanged).
 */
export function checkRow(
  cell: KnownCells,
  metadataColumns: CsvHeader['metadata'],
  cells: readonly string[],
  settings: ValidationSettings,
  errors: string[],
): Payment | undefined {
  const before = errors.length;
  const destination = checkDestination(cell.destination, cell.destinationEmail, errors);
  const sourceId = checkSource(cell.source, settings.defaultSourceId, errors);
  const amountCents = checkAmount(cell.amount, settings.maxAmountCents, errors);
  checkCurrency(cell.currency, errors);
  const metadata = checkMetadata(metadataColumns, cells, errors);
  const correlationId = checkCorrelationId(cell.correlationId, errors);
  const paymentId = checkPaymentId(cell.paymentId, errors);
  const fee = checkFee(cell.feeAmount, cell.feeChargeTo, amountCents, errors);
  const sourceAddenda = checkAddenda('sourceAddenda', cell.sourceAddenda, errors);
  const destinationAddenda = checkAddenda('destinationAddenda', cell.destinationAddenda, errors);
  const clearing = checkClearing(cell.clearing, errors);

  if (errors.length > before || !destination || amountCents === undefined) {
    return undefined;
  }
  const payment: Payment = { sourceId, ...destination, amountCents, currency: 'USD', metadata };
  // An optional part the row leaves empty is absent from the payment (never '').
  if (fee) {
    payment.fee = fee;
  }
  if (sourceAddenda) {
    payment.sourceAddenda = sourceAddenda;
  }
  if (destinationAddenda) {
    payment.destinationAddenda = destinationAddenda;
  }
  if (correlationId) {
    payment.correlationId = correlationId;
  }
  if (paymentId) {
    payment.paymentId = paymentId;
  }
  if (clearing) {
    payment.clearing = clearing;
  }
  return payment;
}

/**
 * The row's `destination` (a funding-source URL or UUID), else its `destinationEmail` (an email,
 * resolved through Dwolla when the row is sent; its email identity until then). When both are
 * given, the destination is paid and the email is only carried to the results.
 */
function checkDestination(
  text: string,
  emailText: string,
  errors: string[],
): Pick<Payment, 'destinationId' | 'destinationEmail'> | undefined {
  if (text === '' && emailText === '') {
    errors.push('destination: missing (give a destination or a destinationEmail)');
    return undefined;
  }
  if (text === '') {
    if (!isPlausibleEmail(emailText)) {
      errors.push(
        `destinationEmail: '${emailText}' is not an email address (one @, no spaces, a dot in the domain, at most 254 characters)`,
      );
      return undefined;
    }
    const email = emailText.toLowerCase();
    return { destinationId: emailIdentity(email), destinationEmail: email };
  }
  const id = parseFundingSourceRef(text);
  if (!id) {
    errors.push(`destination: '${text}' is not a funding-source URL (…/funding-sources/{id}) or UUID`);
    return undefined;
  }
  return { destinationId: id };
}

/** The row's source, else the default source (--source, PAYOUTS_SOURCE or the simulator's). */
function checkSource(text: string, defaultSourceId: string | undefined, errors: string[]): string | undefined {
  if (text === '') {
    return defaultSourceId;
  }
  const id = parseFundingSourceRef(text);
  if (!id) {
    errors.push(`source: '${text}' is not a funding-source URL (…/funding-sources/{id}) or UUID`);
  }
  return id;
}

function checkAmount(text: string, maxAmountCents: number, errors: string[]): number | undefined {
  const amount = parseAmount(text);
  if (!amount.ok) {
    errors.push(`amount: ${amount.reason}`);
    return undefined;
  }
  if (amount.cents < 1) {
    errors.push('amount: must be at least 0.01');
    return undefined;
  }
  if (amount.cents > maxAmountCents) {
    errors.push(
      `amount: ${formatCents(amount.cents)} is over the maximum of ${formatCents(maxAmountCents)} (--max-amount)`,
    );
    return undefined;
  }
  return amount.cents;
}

function checkCurrency(text: string, errors: string[]): void {
  if (text !== '' && text !== 'USD') {
    errors.push(`currency: '${text}' is not USD`);
  }
}

/** The non-empty `metadata.KEY` cells as pairs, in column order. */
function checkMetadata(
  columns: CsvHeader['metadata'],
  cells: readonly string[],
  errors: string[],
): Array<[string, string]> {
  const metadata: Array<[string, string]> = [];
  for (const { key, index } of columns) {
    const value = cells[index] ?? '';
    if (value !== '') {
      checkMetadataPair(key, value, errors);
      metadata.push([key, value]);
    }
  }
  if (metadata.length > MAX_METADATA_PAIRS) {
    errors.push(`metadata: ${metadata.length} pairs, at most ${MAX_METADATA_PAIRS}`);
  }
  return metadata;
}

function checkMetadataPair(key: string, value: string, errors: string[]): void {
  if (key.length > MAX_METADATA_LENGTH) {
    errors.push(`metadata.${key.slice(0, 20)}…: key is ${key.length} characters, must be under 255`);
  }
  if (value.length > MAX_METADATA_LENGTH) {
    errors.push(`metadata.${key}: value is ${value.length} characters, must be under 255`);
  }
}

function checkCorrelationId(text: string, errors: string[]): string {
  if (text.length > MAX_CORRELATION_ID_LENGTH) {
    errors.push(`correlationId: ${text.length} characters, at most ${MAX_CORRELATION_ID_LENGTH}`);
  }
  if (text !== '' && !CORRELATION_ID.test(text)) {
    errors.push('correlationId: only letters, digits, ".", "_" and "-" are allowed');
  }
  return text;
}

function checkPaymentId(text: string, errors: string[]): string {
  if (text.length > MAX_PAYMENT_ID_LENGTH) {
    errors.push(`paymentId: ${text.length} characters, at most ${MAX_PAYMENT_ID_LENGTH}`);
  }
  return text;
}

/** The row's own clearing policy, overriding --clearing; undefined when the cell is empty. */
function checkClearing(text: string, errors: string[]): ClearingPolicy | undefined {
  if (text === '') {
    return undefined;
  }
  if (!isClearingPolicy(text)) {
    errors.push(`clearing: '${text}' is not auto, same-day or standard`);
    return undefined;
  }
  return text;
}

function isClearingPolicy(text: string): text is ClearingPolicy {
  return (CLEARING_POLICIES as readonly string[]).includes(text);
}

function checkFee(
  amountText: string,
  chargeToText: string,
  amountCents: number | undefined,
  errors: string[],
): Payment['fee'] {
  if (amountText === '' && chargeToText === '') {
    return undefined;
  }
  if (amountText === '') {
    errors.push('fee: feeChargeTo is given without feeAmount (give both or neither)');
    return undefined;
  }
  if (chargeToText === '') {
    errors.push('fee: feeAmount is given without feeChargeTo (give both or neither)');
  }
  const chargeToId = chargeToText === '' ? undefined : parseCustomerRef(chargeToText);
  if (chargeToText !== '' && !chargeToId) {
    errors.push(`feeChargeTo: '${chargeToText}' is not a customer URL (…/customers/{id}) or UUID`);
  }
  const fee = parseAmount(amountText);
  if (!fee.ok) {
    errors.push(`feeAmount: ${fee.reason}`);
    return undefined;
  }
  if (fee.cents < 1) {
    errors.push('feeAmount: must be at least 0.01');
  } else if (amountCents !== undefined && fee.cents * 2 > amountCents) {
    errors.push(`feeAmount: ${formatCents(fee.cents)} is more than 50% of the amount ${formatCents(amountCents)}`);
  }
  return chargeToId ? { cents: fee.cents, chargeToId } : undefined;
}

function checkAddenda(column: string, value: string, errors: string[]): string | undefined {
  if (value === '') {
    return undefined;
  }
  if (value.length > MAX_ADDENDA_LENGTH) {
    errors.push(`${column}: ${value.length} characters, at most ${MAX_ADDENDA_LENGTH}`);
  }
  if (!ADDENDA.test(value)) {
    const bad = [...new Set([...value].filter((ch) => !ADDENDA.test(ch)))].join('');
    errors.push(
      `${column}: character${bad.length === 1 ? '' : 's'} not allowed in ACH addenda: ${JSON.stringify(bad)}`,
    );
  }
  return value;
}
