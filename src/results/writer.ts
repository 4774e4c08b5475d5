/**
 * The report: `results.csv` / `plan.csv` (one line per input row, in input order, the results
 * columns then the carried input columns) and `summary.json` / `plan.json`. Files are written to
 * a temp file in the same folder, flushed to disk and renamed, so a reader never sees half a file.
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { formatCents } from '../input/money.js';

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

export type RowStatus = 'created' | 'invalid' | 'failed' | 'unresolved' | 'pending' | 'planned';
export const RUN_STATUSES: readonly RowStatus[] = ['created', 'invalid', 'failed', 'unresolved', 'pending'];
export const PLAN_STATUSES: readonly RowStatus[] = ['planned', 'invalid'];

export type ResultRow = { row: number; status: RowStatus } & Partial<
  Record<Exclude<ResultColumn, 'row' | 'status'>, string | number>
>;

/** Spreadsheet formula injection guard: a cell starting with = + - @ tab or CR gets a leading '. */
export function guardCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Header names for the carried columns; one that clashes with a results column becomes `input.NAME`. */
export function carriedHeader(names: readonly string[], extra: readonly string[] = []): string[] {
  const taken = new Set<string>([...RESULT_COLUMNS, ...extra].map((c) => c.toLowerCase()));
  return names.map((n) => (taken.has(n.toLowerCase()) ? `input.${n}` : n));
}

/** Writes a file atomically: everything goes to a temp file that is renamed over the target on commit. */
export class AtomicFile {
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    return new AtomicFile(path, tmp, await open(tmp, 'w'));
  }

  write(data: string): Promise<unknown> {
    return this.handle.write(data);
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const file = await AtomicFile.create(path);
  try {
    await file.write(data);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/** Rows gathered before they are stringified and written in one go. */
const ROWS_PER_WRITE = 1000;

/**
 * Writes result lines into an AtomicFile. Rows are gathered in small batches and turned into CSV
 * by csv-stringify, so a large file costs one write per thousand rows and memory stays flat.
 */
export class ResultsWriter {
  private batch: string[][] = [];

  private constructor(
    private readonly file: AtomicFile,
    private readonly extra: readonly string[],
  ) {}

  static async create(
    path: string,
    carriedNames: readonly string[],
    extraColumns: readonly string[] = [],
  ): Promise<ResultsWriter> {
    const writer = new ResultsWriter(await AtomicFile.create(path), extraColumns);
    writer.batch.push([...RESULT_COLUMNS, ...extraColumns, ...carriedHeader(carriedNames, extraColumns)]);
    return writer;
  }

  /** Adds one line; every thousandth call waits for the disk. */
  async write(row: ResultRow, carried: readonly string[], extra: Partial<Record<string, string>> = {}): Promise<void> {
    const cells: string[] = [];
    for (const c of RESULT_COLUMNS) {
      cells.push(guardCell(String(row[c] ?? '')));
    }
    for (const c of this.extra) {
      cells.push(guardCell(extra[c] ?? ''));
    }
    for (const c of carried) {
      cells.push(guardCell(c));
    }
    this.batch.push(cells);
    if (this.batch.length >= ROWS_PER_WRITE) {
      await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (!this.batch.length) {
      return;
    }
    const text = stringify(this.batch, { record_delimiter: 'unix' });
    this.batch = [];
    await this.file.write(text);
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }

  async abort(): Promise<void> {
    this.batch = [];
    await this.file.abort();
  }
}

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
