/**
 * Counting a batch's rows by status as they are reported, with their totals in integer cents,
 * and the summary.json (or plan.json) that says it.
 */
import { DWOLLA_URLS } from '../dwolla/types.js';
import { formatCents } from '../input/money.js';
import type { RowStatus } from './columns.js';

interface StatusTotal {
  count: number;
  total: string;
}

/**
 * What this run did, as opposed to what the batch holds: a rerun with nothing left to send has
 * `sent: 0` however many rows byStatus counts as created.
 */
export interface ThisRun {
  /** Rows this run POSTed (whatever the answer). */
  sent: number;
  /** Rows that became `created` in this run, by a POST or found by lookup. */
  created: number;
  /** Of `created`, those found at Dwolla by correlationId (not sent again). */
  foundByLookup: number;
  /** Rows this run held for `review`. */
  held: number;
}

/** Which API the batch ran against. */
export interface SummaryApi {
  /** `simulator` (the embedded one), `sandbox`, `production`, or `api-url` for another --api-url. */
  env: string;
  /** The base URL; absent for the embedded simulator. */
  url?: string;
  /** The Dwolla account, when known. */
  account?: string;
}

export interface Summary {
  batchId: string;
  inputDigest: string;
  startedAt: string;
  finishedAt: string;
  rows: number;
  byStatus: Partial<Record<RowStatus, StatusTotal>>;
  /** The file's total row (status `total`), when it has one: not a payment, not among `rows`. */
  totalRow?: { row: number; amount: string };
  sameDay: StatusTotal;
  thisRun: ThisRun;
  api: SummaryApi;
  exitCode: number;
  /** The plan digest of the file's valid rows (src/plan/plan-digest.ts): what `--approve` checks. */
  planDigest?: string;
  /** What the plan digest covers: its rows, their total, and the run's --clearing policy. */
  planRows?: number;
  planTotal?: string;
  planClearing?: string;
}

/** What a run did with one row, as far as ThisRun counts it (a batch step's RowOutcome is one). */
interface RowAttempt {
  status: string;
  /** POSTs tried. */
  attempts?: number;
  via?: 'post' | 'lookup';
}

/** ThisRun's counts but `held`, added up as the outcomes of the rows this run attempted come. */
export class ThisRunCounter implements Omit<ThisRun, 'held'> {
  sent = 0;
  created = 0;
  foundByLookup = 0;

  add(o: RowAttempt): void {
    if (o.via === 'post' || (o.attempts ?? 0) > 0) {
      this.sent++;
    }
    if (o.status === 'created') {
      this.created++;
      this.foundByLookup += o.via === 'lookup' ? 1 : 0;
    }
  }
}

/**
 * The API of a run's settings as the summary names it: `env` is what --env said only when the
 * URL is that environment's (an --api-url overrides --env, so it is `api-url` then).
 */
export function summaryApi(env: string, apiUrl: string | undefined, account?: string): SummaryApi {
  const known = Object.entries(DWOLLA_URLS).find(([, url]) => url === apiUrl)?.[0];
  const api: SummaryApi = apiUrl === undefined ? { env } : { env: known ?? 'api-url', url: apiUrl };
  return account === undefined ? api : { ...api, account };
}

/** Counts rows and sums amounts (integer cents) by status as rows are reported. */
export class Tally {
  rows = 0;
  private readonly cents = new Map<RowStatus, { count: number; cents: number }>();
  private sameDay = { count: 0, cents: 0 };
  private totalRow: Summary['totalRow'];

  constructor(statuses: readonly RowStatus[]) {
    for (const s of statuses) {
      this.cents.set(s, { count: 0, cents: 0 });
    }
  }

  /** amountCents is undefined for rows whose amount could not be read: they count, with 0. */
  add(status: RowStatus, amountCents: number | undefined, sameDay: boolean): void {
    this.rows++;
    const t = this.cents.get(status) ?? { count: 0, cents: 0 };
    t.count++;
    t.cents += amountCents ?? 0;
    this.cents.set(status, t);
    if (sameDay) {
      this.sameDay.count++;
      this.sameDay.cents += amountCents ?? 0;
    }
  }

  /** Notes the file's total row (src/plan/total-row.ts): not a payment, so not one of the rows. */
  noteTotalRow(line: number, amountCents: number): void {
    this.totalRow = { row: line, amount: formatCents(amountCents) };
  }

  count(status: RowStatus): number {
    return this.cents.get(status)?.count ?? 0;
  }

  /** The rows counted, by status and Same Day. */
  figures(): SummaryFigures {
    const byStatus: Summary['byStatus'] = {};
    for (const [s, t] of this.cents) {
      byStatus[s] = { count: t.count, total: formatCents(t.cents) };
    }
    return {
      rows: this.rows,
      byStatus,
      ...(this.totalRow ? { totalRow: this.totalRow } : {}),
      sameDay: { count: this.sameDay.count, total: formatCents(this.sameDay.cents) },
    };
  }

  summary(meta: SummaryMeta): Summary {
    return summaryWith(this.figures(), meta);
  }
}

/** What a summary says of the rows (`Tally.figures`). */
export type SummaryFigures = Pick<Summary, 'rows' | 'byStatus' | 'sameDay' | 'totalRow'>;

/** What a summary says besides the rows and the plan. */
export type SummaryMeta = Omit<Summary, keyof SummaryFigures>;

/** A summary of `figures` (its fields in the order summary.json shows them). */
export function summaryWith(figures: SummaryFigures, meta: SummaryMeta): Summary {
  const { batchId, inputDigest, startedAt, finishedAt, thisRun, api, exitCode } = meta;
  return {
    batchId,
    inputDigest,
    startedAt,
    finishedAt,
    rows: figures.rows,
    byStatus: figures.byStatus,
    ...(figures.totalRow ? { totalRow: figures.totalRow } : {}),
    sameDay: figures.sameDay,
    thisRun,
    api,
    exitCode,
  };
}

/**
 * The statuses that need a person (SPEC "Exit codes": 1): never sent, or refused for good. Rows
 * `unresolved` or `pending` need a rerun, not a person.
 */
const NEEDS_A_PERSON: ReadonlySet<RowStatus> = new Set<RowStatus>(['invalid', 'failed', 'review']);

/** Rows kept by NeedsAPerson: the terminal shows the first 20, a notification at most 100. */
export const KEPT_FOR_A_PERSON = 100;

/** Longest cell a kept row holds (one line): a huge cell of a file never fills the memory. */
const KEPT_CELL_CHARS = 500;

/** A row that needs a person, as the terminal and a notification show it. */
export interface RowNeedingAPerson {
  row: number;
  status: RowStatus;
  /** Why, on one line (errorMessage of results.csv). */
  errorMessage: string;
  paymentId?: string;
  /** As results.csv shows it: two decimals for a valid row, as given for an invalid one. */
  amount?: string;
  /** As given in the file (a funding source, or whatever an invalid row holds). */
  destination?: string;
}

/** The first rows needing a person and how many there are in all. */
export interface RowsNeedingAPerson {
  first: RowNeedingAPerson[];
  count: number;
}

/** One line, at most KEPT_CELL_CHARS: line breaks and runs of spaces become one space. */
function oneLine(value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > KEPT_CELL_CHARS ? `${text.slice(0, KEPT_CELL_CHARS - 1)}…` : text;
}

/** What a results line holds of a row: ResultRow's cells. */
interface LineCells {
  row: number;
  status: RowStatus;
  paymentId?: string | number;
  destination?: string | number;
  amount?: string | number;
  errorMessage?: string | number;
}

/**
 * Collects the rows that need a person as the results are written: every one is counted, the
 * first KEPT_FOR_A_PERSON are kept, so memory stays flat however large the file.
 */
export class NeedsAPerson implements RowsNeedingAPerson {
  readonly first: RowNeedingAPerson[] = [];
  count = 0;

  constructor(private readonly keep = KEPT_FOR_A_PERSON) {}

  /** Counts (and keeps, while there is room) a results line whose status needs a person. */
  add(line: LineCells): void {
    if (!NEEDS_A_PERSON.has(line.status)) {
      return;
    }
    this.count++;
    if (this.first.length >= this.keep) {
      return;
    }
    const kept: RowNeedingAPerson = {
      row: line.row,
      status: line.status,
      errorMessage: oneLine(line.errorMessage) ?? '',
    };
    for (const name of ['paymentId', 'amount', 'destination'] as const) {
      const value = oneLine(line[name]);
      if (value !== undefined) {
        kept[name] = value;
      }
    }
    this.first.push(kept);
  }
}
