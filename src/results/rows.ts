/**
 * Turning a planned row and what became of it into a results line. Shared by the dry run's
 * plan.csv and the real run's results.csv, so both come out of the same code.
 */

import type { CsvHeader } from '../input/csv-reader.js';
import { formatCents, parseAmount } from '../input/money.js';
import type { ClearingColumns } from '../plan/clearing.js';
import type { InvalidRow, PlannedRow, ValidRow } from '../plan/planner.js';
import type { ResultRow, RowStatus } from './columns.js';
import type { Tally } from './tally.js';
import type { ResultsWriter } from './writer.js';

/** The cells of the carried (not sent) columns of a row. */
export function carriedCells(header: CsvHeader, row: PlannedRow): string[] {
  return header.carried.map((c) => row.cells[c.index] ?? '');
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

/** Writes an invalid row's line and counts it (with its amount, when that can be read). */
export async function reportInvalid(
  writer: ResultsWriter,
  tally: Tally,
  header: CsvHeader,
  row: InvalidRow,
): Promise<void> {
  await writer.write(invalidResult(row), carriedCells(header, row));
  const amount = parseAmount(row.given.amount);
  tally.add('invalid', amount.ok ? amount.cents : undefined, false);
}

/** The columns every valid row shows, whatever its status. */
export function validResult(row: ValidRow, status: RowStatus, clearing?: ClearingColumns): ResultRow {
  return {
    row: row.line,
    status,
    paymentId: row.payment.paymentId ?? '',
    destination: row.given.destination,
    amount: formatCents(row.payment.amountCents),
    ...clearing,
    idempotencyKey: row.key,
    correlationId: row.correlationId,
  };
}
