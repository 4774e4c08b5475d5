/**
 * Turning a planned row and what became of it into a results line. Shared by the dry run's
 * plan.csv and the real run's results.csv, so both come out of the same code.
 */

import type { CsvHeader } from '../input/csv-reader.js';
import { formatCents, parseAmount } from '../input/money.js';
import type { InvalidRow, PlannedRow, TotalRow, ValidRow } from '../plan/planner.js';
import { RESULT_COLUMNS, type ResultRow, type RowStatus } from './columns.js';
import type { Tally } from './tally.js';
import type { ResultsWriter } from './writer.js';

/** An input column results copy: its header as written in the file, and its index. */
export interface CarriedColumn {
  name: string;
  index: number;
}

/** Known columns the results show in their own columns (what was given, or what was sent). */
const SHOWN: ReadonlySet<string> = new Set<string>(RESULT_COLUMNS);
const carriedByHeader = new WeakMap<CsvHeader, readonly CarriedColumn[]>();

/**
 * The input columns results.csv and plan.csv copy after their own, in input order, headers as
 * written: every column but those the results show in a column of theirs (destination, amount,
 * paymentId, correlationId, clearing, whatever header --columns mapped to them). So metadata.*,
 * the fee and addenda, source, currency, destinationEmail and the columns the tool does not read
 * are all kept. An unnamed column is `columnN`.
 */
export function carriedColumns(header: CsvHeader): readonly CarriedColumn[] {
  let columns = carriedByHeader.get(header);
  if (columns === undefined) {
    const shown = new Set<number>();
    for (const [column, index] of Object.entries(header.known)) {
      if (SHOWN.has(column)) {
        shown.add(index);
      }
    }
    columns = header.names
      .map((name, index) => ({ name: name === '' ? `column${index + 1}` : name, index }))
      .filter((c) => !shown.has(c.index));
    carriedByHeader.set(header, columns);
  }
  return columns;
}

/** The cells of the carried columns (carriedColumns) of a row, as the file has them. */
export function carriedCells(header: CsvHeader, row: PlannedRow): string[] {
  const cells: string[] = [];
  for (const c of carriedColumns(header)) {
    cells.push(row.cells[c.index] ?? '');
  }
  return cells;
}

function invalidResult(row: InvalidRow): ResultRow {
  return {
    row: row.line,
    status: 'invalid',
    paymentId: row.given.paymentId,
    destination: row.given.destination,
    amount: row.given.amount,
    correlationId: row.given.correlationId,
    errorMessage: row.errors.join('; '),
  };
}

/** Adds an invalid row's line to the writer and counts it (with its amount, when that can be read). */
export function reportInvalid(writer: ResultsWriter, tally: Tally, header: CsvHeader, row: InvalidRow): void {
  writer.add(invalidResult(row), carriedCells(header, row));
  const amount = parseAmount(row.given.amount);
  tally.add('invalid', amount.ok ? amount.cents : undefined, false);
}

/**
 * Adds a total row's line to the writer (status `total`, the amount as given, what it matches),
 * and notes it in the tally apart from the rows: it is not a payment.
 */
export function reportTotal(writer: ResultsWriter, tally: Tally, header: CsvHeader, row: TotalRow): void {
  const result: ResultRow = {
    row: row.line,
    status: 'total',
    amount: row.given.amount,
    correlationId: row.given.correlationId,
    errorMessage: row.message,
  };
  writer.add(result, carriedCells(header, row));
  const amount = parseAmount(row.given.amount);
  tally.noteTotalRow(row.line, amount.ok ? amount.cents : 0);
}

/**
 * What is known of a valid row beyond its input: the clearing it asks for, its transfer, or why
 * it failed. A planned clearing (ClearingColumns) or a row's outcome (src/batch/outcome.ts) is
 * one as it is: their fields are named as these columns; other fields are not shown.
 */
export type OutcomeCells = Partial<
  Pick<
    ResultRow,
    | 'clearing'
    | 'sameDayCutoff'
    | 'fundsAvailableBy'
    | 'transferId'
    | 'transferUrl'
    | 'attempts'
    | 'httpStatus'
    | 'errorCode'
    | 'errorMessage'
  >
>;

/** What was paid for a row, shown instead of what the file now says. */
export interface PaidCells {
  destination: string;
  amountCents: number;
}

/**
 * The line of a valid row: the columns every valid row shows, whatever its status, and what is
 * `shown` of it. Built with the same shape every time, in the columns' order: it is made for
 * every row of the file.
 */
export function validResult(row: ValidRow, status: RowStatus, shown: OutcomeCells = {}, paid?: PaidCells): ResultRow {
  return {
    row: row.line,
    status,
    paymentId: row.payment.paymentId ?? '',
    // An email row not resolved yet (a dry run, a failed lookup) shows the email it is paid by.
    destination: paid ? paid.destination : row.given.destination || (row.payment.destinationEmail ?? ''),
    amount: formatCents(paid ? paid.amountCents : row.payment.amountCents),
    clearing: shown.clearing,
    sameDayCutoff: shown.sameDayCutoff,
    fundsAvailableBy: shown.fundsAvailableBy,
    transferId: shown.transferId,
    transferUrl: shown.transferUrl,
    idempotencyKey: row.key,
    correlationId: row.correlationId,
    attempts: shown.attempts,
    httpStatus: shown.httpStatus,
    errorCode: shown.errorCode,
    errorMessage: shown.errorMessage,
  };
}
