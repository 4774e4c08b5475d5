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
  sameDay: StatusTotal;
  thisRun: ThisRun;
  api: SummaryApi;
  exitCode: number;
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

  count(status: RowStatus): number {
    return this.cents.get(status)?.count ?? 0;
  }

  summary(meta: Omit<Summary, 'rows' | 'byStatus' | 'sameDay'>): Summary {
    const byStatus: Summary['byStatus'] = {};
    for (const [s, t] of this.cents) {
      byStatus[s] = { count: t.count, total: formatCents(t.cents) };
    }
    const { batchId, inputDigest, startedAt, finishedAt, thisRun, api, exitCode } = meta;
    return {
      batchId,
      inputDigest,
      startedAt,
      finishedAt,
      rows: this.rows,
      byStatus,
      sameDay: { count: this.sameDay.count, total: formatCents(this.sameDay.cents) },
      thisRun,
      api,
      exitCode,
    };
  }
}
