/**
 * Planning: every record of the payee file in, every row's fate-to-be out, in input order.
 * Validation per row, then the rules that need the rest of the file (repeated paymentId and
 * correlationId, identical rows), then the idempotency key of each valid row. Streams: memory
 * holds three fingerprint indexes, never the rows. The file's last record is held back until the
 * file ends: it may be a spreadsheet's total row (src/plan/total-row.ts), which is not a payment.
 */
import type { CsvHeader, CsvRecord } from '../input/csv-reader.js';
import { parseAmount } from '../input/money.js';
import {
  checkRow,
  type KnownCells,
  knownCellsReader,
  type Payment,
  type ValidationSettings,
} from '../input/validation.js';
import { FingerprintIndex, fingerprintOf } from './fingerprint-index.js';
import {
  CURRENT_KEY_VERSION,
  canonicalContent,
  contentKeyDigest,
  type KeyVersion,
  keyFromDigest,
  paymentIdKeyDigest,
} from './keys.js';
import { AmountsAbove, judgeTotalRow } from './total-row.js';

export interface PlanSettings extends ValidationSettings {
  batchId: string;
  allowDuplicates: boolean;
  /** The batch's key version: v1 for batches journalled before v2; default: the current one. */
  keyVersion?: KeyVersion;
  /**
   * For a later pass over a file already planned once: the values that pass found repeated
   * (`Planner.repeated()`). Only those are indexed; any other value is taken as seen once, so the
   * pass holds no index of the whole file. Should the file have changed since, a repeat it now
   * has is missed; so only passes that send nothing take it: a run's survey (it only counts), its
   * results (written again with every value indexed when the file's digest changed), a dry run's
   * plan.csv (refused when the digest changed). The passes that lead to sends index every value.
   */
  repeated?: RepeatedValues;
}

/** The paymentIds, correlationIds and contents a planning pass found more than once, by fingerprint. */
export interface RepeatedValues {
  paymentIds: FingerprintIndex;
  correlationIds: FingerprintIndex;
  contents: FingerprintIndex;
}

interface RowBase {
  line: number;
  /** The record's cells, for the carried columns. */
  cells: string[];
  /** The known cells as written (trimmed), for the results of rows that are invalid. */
  given: KnownCells;
}

export interface ValidRow extends RowBase {
  status: 'valid';
  payment: Payment;
  key: string;
  /** The correlationId sent: the row's own, else the key. */
  correlationId: string;
  /**
   * Why the row cannot be sent now although it is valid, found after planning (its
   * destinationEmail: src/batch/resolve-emails.ts): held for a person (`review`), or left
   * `pending` for a rerun.
   */
  hold?: { status: 'review' | 'pending'; reason: string };
}

export interface InvalidRow extends RowBase {
  status: 'invalid';
  errors: string[];
  /**
   * The valid row it was when planned, for a row made invalid only later (its destinationEmail
   * did not resolve to one bank): the plan digest counts it as planned, as a real run's does.
   */
  planned?: ValidRow;
}

/**
 * A spreadsheet's total row whose amount is the sum of the rows above (src/plan/total-row.ts):
 * not a payment, written to the results with status `total`. One that does not match is an InvalidRow.
 */
export interface TotalRow extends RowBase {
  status: 'total';
  /** What the results say of it: the sum it matches, over how many rows. */
  message: string;
}

export type PlannedRow = ValidRow | InvalidRow | TotalRow;

/** A valid row whose source is known (the row's own or the default): one that can be sent. */
export type SendableRow = ValidRow & { payment: Payment & { sourceId: string } };

export function isSendable(row: ValidRow): row is SendableRow {
  return row.payment.sourceId !== undefined;
}

/**
 * Finds repeats across the file; one instance per planning pass. The indexes of paymentIds and
 * of contents are fed the digests the rows' keys are made of (src/plan/keys.ts): within one batch and
 * key version those are fingerprints of the paymentId and of the content, so each row is hashed once.
 */
class RepeatFinder {
  private readonly paymentIds = new FingerprintIndex();
  private readonly correlationIds = new FingerprintIndex();
  private readonly contents = new FingerprintIndex();

  constructor(private readonly settings: PlanSettings & { keyVersion: KeyVersion }) {}

  /** What this pass found repeated (for a later pass over the same file). */
  repeated(): RepeatedValues {
    return {
      paymentIds: this.paymentIds.repeated(),
      correlationIds: this.correlationIds.repeated(),
      contents: this.contents.repeated(),
    };
  }

  /** Notes one occurrence of the value of `digest` in `index`, unless an earlier pass found it once only. */
  private note(index: keyof RepeatedValues, digest: string, line: number) {
    const only = this.settings.repeated?.[index];
    return only && !only.hasDigest(digest) ? undefined : this[index].addDigest(digest, line);
  }

  /**
   * Notes the row's paymentId and correlationId, pushing the repeats found onto `errors`; the
   * paymentId's key digest, or undefined when the row has no paymentId.
   */
  noteIds(line: number, given: KnownCells, errors: string[]): string | undefined {
    const { paymentId, correlationId } = given;
    let digest: string | undefined;
    if (paymentId !== '') {
      digest = paymentIdKeyDigest(this.settings.batchId, paymentId, this.settings.keyVersion);
      const repeat = this.note('paymentIds', digest, line);
      if (repeat) {
        errors.push(`paymentId: '${paymentId}' repeats row ${repeat.firstLine}`);
      }
    }
    if (correlationId !== '') {
      const repeat = this.note('correlationIds', fingerprintOf(correlationId), line);
      if (repeat) {
        errors.push(`correlationId: '${correlationId}' repeats row ${repeat.firstLine}`);
      }
    }
    return digest;
  }

  /** The key digest of a valid row without paymentId, or the error when it is an unwanted copy of an earlier row. */
  contentDigest(line: number, payment: Payment): string | { error: string } {
    const { batchId, keyVersion, allowDuplicates } = this.settings;
    const canonical = canonicalContent(payment, keyVersion);
    const first = contentKeyDigest(batchId, canonical, 1, keyVersion);
    const repeat = this.note('contents', first, line);
    if (!repeat) {
      return first;
    }
    if (!allowDuplicates) {
      return {
        error: `row: identical to row ${repeat.firstLine} (a copy-paste double payment? give each a paymentId, or use --allow-duplicates)`,
      };
    }
    return contentKeyDigest(batchId, canonical, repeat.count, keyVersion);
  }
}

/**
 * Plans the records of one file, in input order: one instance per pass over the file, read through
 * rows() or rowBatches() once. The last record read is held back until the next one comes, or the
 * file ends: only then is it known to be the last, which may be a total row.
 */
export class Planner {
  private readonly repeats: RepeatFinder;
  private readonly knownCells: (cells: readonly string[]) => KnownCells;
  /** The amounts of the rows planned so far, for a total row's check. */
  private readonly above = new AmountsAbove();
  private held: CsvRecord | undefined;

  constructor(
    private readonly header: CsvHeader,
    private readonly settings: PlanSettings,
  ) {
    this.repeats = new RepeatFinder({ ...settings, keyVersion: settings.keyVersion ?? CURRENT_KEY_VERSION });
    this.knownCells = knownCellsReader(header);
  }

  /** The values this pass found repeated, once it is over: a later pass's `repeated` setting. */
  repeated(): RepeatedValues {
    return this.repeats.repeated();
  }

  /** Every row of the file's records (given in batches, as PayeeCsv reads them), one at a time. */
  async *rows(batches: AsyncIterable<readonly CsvRecord[]>): AsyncGenerator<PlannedRow> {
    for await (const records of batches) {
      for (const row of this.planBatch(records)) {
        yield row;
      }
    }
    const last = this.end();
    if (last) {
      yield last;
    }
  }

  /** Every row of the file's records, a batch at a time (none empty): no promise per row. */
  async *rowBatches(batches: AsyncIterable<readonly CsvRecord[]>): AsyncGenerator<PlannedRow[]> {
    for await (const records of batches) {
      const rows = this.planBatch(records);
      if (rows.length > 0) {
        yield rows;
      }
    }
    const last = this.end();
    if (last) {
      yield [last];
    }
  }

  /** The rows of the records before the last of `records`, and of the one held back before them; holds that last one back. */
  private planBatch(records: readonly CsvRecord[]): PlannedRow[] {
    const rows: PlannedRow[] = [];
    for (const record of records) {
      if (this.held) {
        rows.push(this.plan(this.held, this.knownCells(this.held.cells)));
      }
      this.held = record;
    }
    return rows;
  }

  /** The row of the file's last record: a total row, or planned as any other. */
  private end(): PlannedRow | undefined {
    const record = this.held;
    if (!record) {
      return undefined;
    }
    this.held = undefined;
    const { line, cells } = record;
    const given = this.knownCells(cells);
    const total = judgeTotalRow(given, cells, this.above);
    if (!total) {
      return this.plan(record, given);
    }
    return total.matches
      ? { status: 'total', line, cells, given, message: total.message }
      : { status: 'invalid', line, cells, given, errors: [total.message] };
  }

  private plan(record: CsvRecord, given: KnownCells): ValidRow | InvalidRow {
    const { line, cells } = record;
    const errors = record.fieldCountError ? [`row: ${record.fieldCountError}`] : [];
    const payment = checkRow(given, this.header.metadata, cells, this.settings, errors);
    this.noteAmount(payment, given.amount);
    const paymentIdDigest = this.repeats.noteIds(line, given, errors);
    if (!payment || errors.length > 0) {
      return { status: 'invalid', line, cells, given, errors };
    }
    // A valid row's paymentId is its trimmed cell: the digest noted is its key's.
    const digest = paymentIdDigest ?? this.repeats.contentDigest(line, payment);
    if (typeof digest !== 'string') {
      return { status: 'invalid', line, cells, given, errors: [digest.error] };
    }
    const key = keyFromDigest(digest);
    return { status: 'valid', line, cells, given, payment, key, correlationId: payment.correlationId ?? key };
  }

  /** Adds a row's amount, when it can be read, to the sum a total row is checked against. */
  private noteAmount(payment: Payment | undefined, amount: string): void {
    if (payment) {
      this.above.add(payment.amountCents);
      return;
    }
    const parsed = parseAmount(amount);
    if (parsed.ok) {
      this.above.add(parsed.cents);
    } else {
      this.above.addUnreadable();
    }
  }
}

/** Plans every record of a file, in input order (the last may be a total row). */
export async function* planRows(
  header: CsvHeader,
  records: AsyncIterable<CsvRecord>,
  settings: PlanSettings,
): AsyncGenerator<PlannedRow> {
  yield* new Planner(header, settings).rows(oneRecordBatches(records));
}

async function* oneRecordBatches(records: AsyncIterable<CsvRecord>): AsyncGenerator<CsvRecord[]> {
  for await (const record of records) {
    yield [record];
  }
}
