import { integerText } from '../input/money.js';

/**
 * The columns of results.csv and plan.csv (SPEC "Results"), the row statuses, and how a cell is
 * written so that a spreadsheet never runs it as a formula.
 */
export const RESULT_COLUMNS = [
  'row',
  'status',
  'paymentId',
  'destination',
  'amount',
  'clearing',
  'sameDayCutoff',
  'fundsAvailableBy',
  'transferId',
  'transferUrl',
  'idempotencyKey',
  'correlationId',
  'attempts',
  'httpStatus',
  'errorCode',
  'errorMessage',
] as const;
type ResultColumn = (typeof RESULT_COLUMNS)[number];

/** Columns reconcile adds after `errorMessage`. */
export const RECONCILE_COLUMNS = ['transferStatus', 'returnCode', 'returnReason'] as const;
export type ReconcileColumn = (typeof RECONCILE_COLUMNS)[number];

/**
 * `total`: a spreadsheet's total row that matches the rows above (src/plan/total-row.ts); not a
 * payment, so never counted among the rows of the summary or for the exit code.
 */
export type RowStatus = 'created' | 'invalid' | 'failed' | 'unresolved' | 'pending' | 'review' | 'planned' | 'total';
export const RUN_STATUSES: readonly RowStatus[] = ['created', 'invalid', 'failed', 'unresolved', 'pending', 'review'];
export const PLAN_STATUSES: readonly RowStatus[] = ['planned', 'invalid'];

export type ResultRow = { row: number; status: RowStatus } & Partial<
  Record<Exclude<ResultColumn, 'row' | 'status'>, string | number>
>;

/** Spreadsheet formula injection guard: a cell starting with = + - @ tab or CR gets a leading '. */
export function guardCell(value: string): string {
  switch (value.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // CR
      return `'${value}`;
    default:
      return value;
  }
}

const NEEDS_QUOTES = /[",\r\n]/;
/** A cell guardCell or quoteCell would change. */
const NOT_PLAIN = /^[=+\-@\t\r]|[",\r\n]/;

/** A CSV cell as RFC 4180 writes it: quoted when it holds a comma, a double quote, CR or LF, its double quotes doubled. */
export function quoteCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A number cell (a row's line, its attempts, an HTTP status): integerText when it can be. */
function numberText(n: number): string {
  return Number.isSafeInteger(n) && n >= 0 ? integerText(n) : String(n);
}

/** One cell of a results line: guarded (guardCell), then quoted (quoteCell). */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined || value === '') {
    return '';
  }
  const text = typeof value === 'string' ? value : numberText(value);
  return NOT_PLAIN.test(text) ? quoteCell(guardCell(text)) : text;
}

/**
 * The RESULT_COLUMNS cells of a row as CSV (csvCell), in that order. Each column is read by name:
 * this runs for every row of the file (test/results/columns.test.ts checks the order).
 */
export function resultCells(r: ResultRow): string[] {
  return [
    csvCell(r.row),
    csvCell(r.status),
    csvCell(r.paymentId),
    csvCell(r.destination),
    csvCell(r.amount),
    csvCell(r.clearing),
    csvCell(r.sameDayCutoff),
    csvCell(r.fundsAvailableBy),
    csvCell(r.transferId),
    csvCell(r.transferUrl),
    csvCell(r.idempotencyKey),
    csvCell(r.correlationId),
    csvCell(r.attempts),
    csvCell(r.httpStatus),
    csvCell(r.errorCode),
    csvCell(r.errorMessage),
  ];
}

/**
 * Header names for the carried columns; one that clashes (case-insensitively) with a results
 * column, an extra column or an earlier carried one becomes `input.NAME` (`input.input.NAME` if
 * that is taken too): an input `status` column is carried as `input.status`. A header is a cell
 * too: one that a spreadsheet would run is guarded like a cell.
 */
export function carriedHeader(names: readonly string[], extra: readonly string[] = []): string[] {
  const taken = new Set<string>([...RESULT_COLUMNS, ...extra].map((c) => c.toLowerCase()));
  return names.map((n) => {
    let name = guardCell(n);
    while (taken.has(name.toLowerCase())) {
      name = `input.${name}`;
    }
    taken.add(name.toLowerCase());
    return name;
  });
}
