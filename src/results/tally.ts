/**
 * Counting a batch's rows by status as they are reported, with their totals in integer cents,
 * and the summary.json (or plan.json) that says it.
 */
import { formatCents } from '../input/money.js';
import type { RowStatus } from './columns.js';

interface StatusTotal {
  count: number;
  total: string;
}

export interface Summary {
  batchId: string;
  inputDigest: string;
  startedAt: string;
  finishedAt: string;
  rows: number;
  byStatus: Partial<Record<RowStatus, StatusTotal>>;
  sameDay: StatusTotal;
  exitCode: number;
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
    const { batchId, inputDigest, startedAt, finishedAt, exitCode } = meta;
    return {
      batchId,
      inputDigest,
      startedAt,
      finishedAt,
      rows: this.rows,
      byStatus,
      sameDay: { count: this.sameDay.count, total: formatCents(this.sameDay.cents) },
      exitCode,
    };
  }
}
