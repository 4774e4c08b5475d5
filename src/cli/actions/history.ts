/**
 * What `payouts history` does: queries the ledger of every account of one API in the state
 * directory (STATE/<api>/<account>/ledger.db) and prints the matching payments as CSV, newest
 * first. Read-only: no ledger, folder or state file is ever created or written (a missing state
 * directory is simply an empty history), and nothing touches the network.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import { type HistoryFilter, Ledger, LedgerError, type LedgerPayment } from '../../batch/ledger.js';
import { type AccountState, type ApiIdentity, accountState, apiIdentity } from '../../batch/state-dir.js';
import { parseFundingSourceRef } from '../../input/dwolla-ids.js';
import { formatCents } from '../../input/money.js';
import { UsageError } from '../../input/usage-error.js';
import { CENTRAL_TIME_ZONE, isIsoDate } from '../../plan/calendar.js';
import { guardCell } from '../../results/columns.js';
import type { HistoryArgs } from '../commands/history.js';
import { displayPath } from '../display-path.js';
import { EXIT, exitCodeForError } from '../exit-codes.js';
import { DEFAULTS } from '../options.js';
import { apiUrlOf, stateDirectory } from '../run-options.js';

const HISTORY_COLUMNS = [
  'firstIntentAt',
  'settledAt',
  'status',
  'batchId',
  'row',
  'paymentId',
  'destination',
  'amount',
  'transferId',
  'transferUrl',
  'via',
  'correlationId',
  'account',
] as const;

const MAX_LIMIT = 100_000;
/** Lines stringified and written at a time. */
const ROWS_PER_WRITE = 1000;

/** The flags of `payouts history`; any may be left out (a test passes only some). */
type HistoryFlags = Partial<HistoryArgs>;

interface HistoryQuery {
  filter: Omit<HistoryFilter, 'limit'>;
  limit: number;
  api: ApiIdentity;
  stateDir: string;
}

/** A ledger entry and the account (folder) whose ledger holds it. */
interface AccountPayment {
  payment: LedgerPayment;
  account: string;
}

interface HistoryResult {
  /** The newest `limit` matches of every account, newest first. */
  shown: AccountPayment[];
  /** Every match. */
  total: number;
  ledgers: number;
}

/** A filter's value: trimmed, and never empty. */
function filterValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const text = value.trim();
  if (text === '') {
    throw new UsageError('USAGE', `--${name} must not be empty`);
  }
  return text;
}

function parseDestination(value: string | undefined): string | undefined {
  const text = filterValue('destination', value);
  if (text === undefined) {
    return undefined;
  }
  const id = parseFundingSourceRef(text);
  if (id === undefined) {
    throw new UsageError('USAGE', `--destination must be a funding-source URL or UUID (got '${text}')`);
  }
  return id;
}

const SINCE_TIME =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/;

/**
 * --since as an ISO-8601 UTC instant: a YYYY-MM-DD date is the start of that Central Time day; a
 * time with an offset (or Z) is that instant; a time without one is Central Time, as --now reads it.
 */
function parseSince(text: string): string {
  if (isIsoDate(text)) {
    return fromZonedTime(`${text}T00:00:00`, CENTRAL_TIME_ZONE).toISOString();
  }
  const m = SINCE_TIME.exec(text);
  let date = new Date(Number.NaN);
  if (m && isIsoDate(m[1]!)) {
    const offset = m[5];
    date =
      offset === undefined
        ? fromZonedTime(text, CENTRAL_TIME_ZONE)
        : new Date(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  }
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      'USAGE',
      `--since must be a date YYYY-MM-DD (Central Time) or an ISO-8601 time like 2026-11-01T08:00:00-06:00 (got '${text}')`,
    );
  }
  return date.toISOString();
}

function checkLimit(value: number | undefined): number {
  const limit = value ?? DEFAULTS.historyLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new UsageError('USAGE', `--limit must be a whole number from 1 to ${MAX_LIMIT} (got ${value})`);
  }
  return limit;
}

/** The flags checked and resolved; a UsageError (exit 2) for anything unusable. */
function resolveHistoryQuery(flags: HistoryFlags, env: NodeJS.ProcessEnv): HistoryQuery {
  const filter: HistoryQuery['filter'] = {};
  const paymentId = filterValue('payment-id', flags.paymentId);
  const destination = parseDestination(flags.destination);
  const batchId = filterValue('batch', flags.batch);
  const since = filterValue('since', flags.since);
  if (paymentId !== undefined) {
    filter.paymentId = paymentId;
  }
  if (destination !== undefined) {
    filter.destination = destination;
  }
  if (batchId !== undefined) {
    filter.batchId = batchId;
  }
  if (since !== undefined) {
    filter.since = parseSince(since);
  }
  return {
    filter,
    limit: checkLimit(flags.limit),
    api: apiIdentity(apiUrlOf(flags)),
    stateDir: stateDirectory(flags.state, env),
  };
}

/**
 * The account folders of the API (STATE/<api>/<account>, see state-dir.ts), by name; none when
 * the API (or the state directory) has no folder.
 */
function accountsOf(stateDir: string, api: ApiIdentity): { account: string; state: AccountState }[] {
  const dir = join(stateDir, api.slug);
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return [];
    }
    throw new UsageError('USAGE', `cannot read the state directory ${dir}: ${(err as Error).message}`);
  }
  return names.map((account) => ({ account, state: accountState(stateDir, api, account) }));
}

/** One ledger's newest `limit` matches, and how many match in all. */
function queryLedger(ledger: Ledger, query: HistoryQuery): { payments: LedgerPayment[]; total: number } {
  const payments: LedgerPayment[] = [];
  let total = 0;
  for (const p of ledger.history(query.filter)) {
    if (total < query.limit) {
      payments.push(p);
    }
    total++;
  }
  return { payments, total };
}

function runQuery(query: HistoryQuery): HistoryResult {
  const found: AccountPayment[] = [];
  let total = 0;
  let ledgers = 0;
  for (const { account, state } of accountsOf(query.stateDir, query.api)) {
    const ledger = Ledger.openReadOnly(state.ledger);
    if (ledger === undefined) {
      continue;
    }
    ledgers++;
    try {
      const one = queryLedger(ledger, query);
      total += one.total;
      found.push(...one.payments.map((payment) => ({ payment, account })));
    } finally {
      ledger.close();
    }
  }
  // Stable: entries of one ledger that share a time keep the ledger's order.
  found.sort((a, b) => compareDesc(a.payment.firstIntentAt, b.payment.firstIntentAt));
  return { shown: found.slice(0, query.limit), total, ledgers };
}

function compareDesc(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? 1 : -1;
}

function cells({ payment: p, account }: AccountPayment): string[] {
  const values: Record<(typeof HISTORY_COLUMNS)[number], string | number | undefined> = {
    firstIntentAt: p.firstIntentAt,
    settledAt: p.settledAt,
    status: p.status,
    batchId: p.batchId,
    row: p.row,
    paymentId: p.paymentId,
    destination: p.destination,
    amount: formatCents(p.amountCents),
    transferId: p.transferId,
    transferUrl: p.transferUrl,
    via: p.via,
    correlationId: p.correlationId,
    account,
  };
  return HISTORY_COLUMNS.map((c) => guardCell(String(values[c] ?? '')));
}

function writeCsv(shown: AccountPayment[]): void {
  process.stdout.write(stringify([[...HISTORY_COLUMNS]], { record_delimiter: 'unix' }));
  for (let i = 0; i < shown.length; i += ROWS_PER_WRITE) {
    const lines = shown.slice(i, i + ROWS_PER_WRITE).map(cells);
    process.stdout.write(stringify(lines, { record_delimiter: 'unix' }));
  }
}

/** The line for stderr: why nothing matched, or that only the newest are shown; else none. */
function note(query: HistoryQuery, result: HistoryResult): string | undefined {
  if (result.total === 0) {
    const where =
      result.ledgers === 0
        ? `no ${query.api.label} ledger in ${displayPath(query.stateDir)}`
        : `${query.api.label} ledger in ${displayPath(query.stateDir)}`;
    const hint = query.api.embedded ? '; real payments: --env production' : '';
    return `no payments match (${where}${hint})`;
  }
  if (result.total > result.shown.length) {
    return `${result.total} payments; showing the newest ${result.shown.length}: use --limit to see more`;
  }
  return undefined;
}

export function historyAction(flags: HistoryFlags): number {
  try {
    const query = resolveHistoryQuery(flags, process.env);
    const result = runQuery(query);
    writeCsv(result.shown);
    const line = note(query, result);
    if (line !== undefined) {
      process.stderr.write(`${line}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof LedgerError) {
      process.stderr.write(`payouts: ${err.message}\n`);
      return EXIT.usage;
    }
    return exitCodeForError(err);
  }
}
