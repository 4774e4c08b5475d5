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

export type RowStatus = 'created' | 'invalid' | 'failed' | 'unresolved' | 'pending' | 'review' | 'planned';
export const RUN_STATUSES: readonly RowStatus[] = ['created', 'invalid', 'failed', 'unresolved', 'pending', 'review'];
export const PLAN_STATUSES: readonly RowStatus[] = ['planned', 'invalid'];

export type ResultRow = { row: number; status: RowStatus } & Partial<
  Record<Exclude<ResultColumn, 'row' | 'status'>, string | number>
>;

/** Spreadsheet formula injection guard: a cell starting with = + - @ tab or CR gets a leading '. */
export function guardCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * Header names for the carried columns; one that clashes with a results column becomes
 * `input.NAME`. A header is a cell too: one that a spreadsheet would run is guarded like a cell.
 */
export function carriedHeader(names: readonly string[], extra: readonly string[] = []): string[] {
  const taken = new Set<string>([...RESULT_COLUMNS, ...extra].map((c) => c.toLowerCase()));
  return names.map((n) => (taken.has(n.toLowerCase()) ? `input.${n}` : guardCell(n)));
}
