/**
 * Planning: every record of the payee file in, every row's fate-to-be out, in input order.
 * Validation per row, then the rules that need the rest of the file (repeated paymentId and
 * correlationId, identical rows), then the idempotency key of each valid row. Streams: memory
 * holds three fingerprint indexes, never the rows.
 */
import type { CsvHeader, CsvRecord } from '../input/csv-reader.js';
import { cellOf, type Payment, type ValidationSettings, validateRow } from '../input/validation.js';
import { FingerprintIndex } from './fingerprint-index.js';
import { CURRENT_KEY_VERSION, canonicalContent, idempotencyKey, type KeyVersion, type RowIdentity } from './keys.js';

export interface PlanSettings extends ValidationSettings {
  batchId: string;
  allowDuplicates: boolean;
  /** The batch's key version: v1 for batches journalled before v2; default: the current one. */
  keyVersion?: KeyVersion;
}

interface RowBase {
  line: number;
  /** The record's cells, for the carried columns. */
  cells: string[];
  /** Cells as written, for the results of rows that are invalid. */
  given: { destination: string; amount: string; paymentId: string; correlationId: string };
}

export interface ValidRow extends RowBase {
  status: 'valid';
  payment: Payment;
  key: string;
  /** The correlationId sent: the row's own, else the key. */
  correlationId: string;
}

export interface InvalidRow extends RowBase {
  status: 'invalid';
  errors: string[];
}

export type PlannedRow = ValidRow | InvalidRow;

/** A valid row whose source is known (the row's own or the default): one that can be sent. */
export type SendableRow = ValidRow & { payment: Payment & { sourceId: string } };

export function isSendable(row: ValidRow): row is SendableRow {
  return row.payment.sourceId !== undefined;
}

/** Finds repeats across the file; one instance per planning pass. */
class RepeatFinder {
  private readonly paymentIds = new FingerprintIndex();
  private readonly correlationIds = new FingerprintIndex();
  private readonly contents = new FingerprintIndex();

  constructor(
    private readonly allowDuplicates: boolean,
    private readonly keyVersion: KeyVersion,
  ) {}

  /** Notes the row's paymentId and correlationId; returns the repeats found as errors. */
  idRepeats(line: number, paymentId: string, correlationId: string): string[] {
    const errors: string[] = [];
    if (paymentId !== '') {
      const seen = this.paymentIds.add(paymentId, line);
      if (seen.count > 1) {
        errors.push(`paymentId: '${paymentId}' repeats row ${seen.firstLine}`);
      }
    }
    if (correlationId !== '') {
      const seen = this.correlationIds.add(correlationId, line);
      if (seen.count > 1) {
        errors.push(`correlationId: '${correlationId}' repeats row ${seen.firstLine}`);
      }
    }
    return errors;
  }

  /** The identity of a valid row, or the error when it is an unwanted copy of an earlier row. */
  identity(line: number, payment: Payment): { identity: RowIdentity } | { error: string } {
    if (payment.paymentId !== undefined) {
      return { identity: { kind: 'paymentId', paymentId: payment.paymentId } };
    }
    const canonical = canonicalContent(payment, this.keyVersion);
    const seen = this.contents.add(canonical, line);
    if (seen.count > 1 && !this.allowDuplicates) {
      return {
        error: `row: identical to row ${seen.firstLine} (a copy-paste double payment? give each a paymentId, or use --allow-duplicates)`,
      };
    }
    return { identity: { kind: 'content', canonical, occurrence: seen.count } };
  }
}

/** Plans the records of one file, in input order: one instance per pass over the file. */
export class Planner {
  private readonly repeats: RepeatFinder;

  constructor(
    private readonly header: CsvHeader,
    private readonly settings: PlanSettings,
  ) {
    this.repeats = new RepeatFinder(settings.allowDuplicates, settings.keyVersion ?? CURRENT_KEY_VERSION);
  }

  plan(record: CsvRecord): PlannedRow {
    const { header, settings, repeats } = this;
    const { line, cells } = record;
    const given = {
      destination: cellOf(header, cells, 'destination'),
      amount: cellOf(header, cells, 'amount'),
      paymentId: cellOf(header, cells, 'paymentId'),
      correlationId: cellOf(header, cells, 'correlationId'),
    };
    const errors = record.fieldCountError ? [`row: ${record.fieldCountError}`] : [];
    const check = validateRow(header, cells, settings);
    if (!check.ok) {
      errors.push(...check.errors);
    }
    errors.push(...repeats.idRepeats(line, given.paymentId, given.correlationId));
    if (!check.ok || errors.length) {
      return { status: 'invalid', line, cells, given, errors };
    }

    const found = repeats.identity(line, check.payment);
    if ('error' in found) {
      return { status: 'invalid', line, cells, given, errors: [found.error] };
    }
    const key = idempotencyKey(settings.batchId, found.identity, settings.keyVersion ?? CURRENT_KEY_VERSION);
    return {
      status: 'valid',
      line,
      cells,
      given,
      payment: check.payment,
      key,
      correlationId: check.payment.correlationId ?? key,
    };
  }
}

/** Plans every record of a file, in input order. */
export async function* planRows(
  header: CsvHeader,
  records: AsyncIterable<CsvRecord>,
  settings: PlanSettings,
): AsyncGenerator<PlannedRow> {
  const planner = new Planner(header, settings);
  for await (const record of records) {
    yield planner.plan(record);
  }
}
