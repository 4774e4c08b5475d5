/**
 * What changed between an approved plan (its dry run's plan.csv) and the file's plan now, row by
 * row, for the message of a refused `--approve`. Both are streamed in input order and compared
 * through a bounded look-ahead window, so memory stays flat however long the files are: a row
 * moved further than the window is reported as gone from one place and added at another. Only the
 * first few differences are wanted, and the comparison stops there.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { ValidRow } from '../plan/planner.js';
import { guardCell } from '../results/columns.js';
import { validResult } from '../results/rows.js';

/** A valid row of a plan as plan.csv shows it: what the comparison reads. */
export interface PlanLine {
  row: string;
  key: string;
  paymentId: string;
  destination: string;
  amount: string;
}

export type PlanChange =
  | { kind: 'added'; now: PlanLine }
  | { kind: 'removed'; was: PlanLine }
  | { kind: 'changed'; was: PlanLine; now: PlanLine }
  | { kind: 'moved'; was: PlanLine; now: PlanLine };

/** Rows each side looks ahead to find where a row went. */
const WINDOW = 256;

/** A valid row as plan.csv would show it (a planned row: the file's destination and amount). */
export function planLineOf(row: ValidRow): PlanLine {
  const line = validResult(row, 'planned');
  return {
    row: String(line.row),
    key: row.key,
    // plan.csv guards cells a spreadsheet would run (src/results/columns.ts): compared as written there.
    paymentId: guardCell(String(line.paymentId ?? '')),
    destination: guardCell(String(line.destination ?? '')),
    amount: String(line.amount ?? ''),
  };
}

/** The valid rows of a plan.csv (rows with an idempotency key that are not invalid), streamed. */
export async function* planCsvLines(path: string): AsyncGenerator<PlanLine> {
  const input = createReadStream(path);
  try {
    const records = input.pipe(parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true }));
    for await (const r of records as AsyncIterable<Record<string, string | undefined>>) {
      const key = r.idempotencyKey ?? '';
      if (key === '' || r.status === 'invalid') {
        continue;
      }
      yield {
        row: r.row ?? '',
        key,
        paymentId: r.paymentId ?? '',
        destination: r.destination ?? '',
        amount: r.amount ?? '',
      };
    }
  } finally {
    input.destroy();
  }
}

/** One side's next rows, read ahead up to WINDOW. */
class Lookahead {
  readonly rows: PlanLine[] = [];
  private ended = false;

  constructor(private readonly source: AsyncIterator<PlanLine>) {}

  async fill(): Promise<void> {
    while (!this.ended && this.rows.length < WINDOW) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else {
        this.rows.push(next.value);
      }
    }
  }

  indexOf(key: string): number {
    return this.rows.findIndex((r) => r.key === key);
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}

function sameCells(a: PlanLine, b: PlanLine): boolean {
  return a.destination === b.destination && a.amount === b.amount && a.paymentId === b.paymentId;
}

/**
 * The differences at the head of both sides, consuming what they cover: the same row (by key)
 * with other cells, rows added before a row both have, rows gone before one, or, when neither head
 * is found ahead in the other side, the head row changed in place.
 */
function step(was: PlanLine[], now: PlanLine[], whereInNow: number, whereInWas: number): PlanChange[] {
  const [a, b] = [was[0], now[0]];
  if (!a) {
    return [{ kind: 'added', now: now.shift()! }];
  }
  if (!b) {
    return [{ kind: 'removed', was: was.shift()! }];
  }
  if (a.key === b.key) {
    was.shift();
    now.shift();
    return sameCells(a, b) ? [] : [{ kind: 'changed', was: a, now: b }];
  }
  if (whereInNow > 0 && (whereInWas < 0 || whereInNow <= whereInWas)) {
    return now.splice(0, whereInNow).map((r): PlanChange => ({ kind: 'added', now: r }));
  }
  if (whereInWas > 0) {
    return was.splice(0, whereInWas).map((r): PlanChange => ({ kind: 'removed', was: r }));
  }
  was.shift();
  now.shift();
  return [{ kind: 'changed', was: a, now: b }];
}

/** The key of a row reported added or gone; undefined for other changes. */
function keyOf(c: PlanChange): string | undefined {
  if (c.kind === 'added') {
    return c.now.key;
  }
  return c.kind === 'removed' ? c.was.key : undefined;
}

/** A row reported gone from one place and added at another is one row moved (or changed, when its cells differ too). */
function pairMoves(changes: PlanChange[]): PlanChange[] {
  const out: PlanChange[] = [];
  for (const c of changes) {
    const key = keyOf(c);
    const i = key === undefined ? -1 : out.findIndex((o) => o.kind !== c.kind && keyOf(o) === key);
    const other = out[i];
    if (other?.kind === 'removed' && c.kind === 'added') {
      out[i] = moved(other.was, c.now);
    } else if (other?.kind === 'added' && c.kind === 'removed') {
      out[i] = moved(c.was, other.now);
    } else {
      out.push(c);
    }
  }
  return out;
}

function moved(was: PlanLine, now: PlanLine): PlanChange {
  return sameCells(was, now) ? { kind: 'moved', was, now } : { kind: 'changed', was, now };
}

/**
 * The first `limit` differences between the approved plan and the plan now, and whether there
 * are more. Both sources are closed when it returns.
 */
export async function firstChanges(
  approved: AsyncIterable<PlanLine>,
  current: AsyncIterable<PlanLine>,
  limit = 10,
): Promise<{ changes: PlanChange[]; more: boolean }> {
  const was = new Lookahead(approved[Symbol.asyncIterator]());
  const now = new Lookahead(current[Symbol.asyncIterator]());
  const found: PlanChange[] = [];
  try {
    // Read one past the limit: there are more when it is reached.
    while (found.length <= limit) {
      await Promise.all([was.fill(), now.fill()]);
      if (was.rows.length === 0 && now.rows.length === 0) {
        break;
      }
      const [a, b] = [was.rows[0], now.rows[0]];
      const ahead = a && b && a.key !== b.key ? [now.indexOf(a.key), was.indexOf(b.key)] : [-1, -1];
      found.push(...step(was.rows, now.rows, ahead[0]!, ahead[1]!));
    }
  } finally {
    await Promise.all([was.close(), now.close()]);
  }
  const changes = pairMoves(found);
  return { changes: changes.slice(0, limit), more: changes.length > limit };
}

/** What a row pays, in words. */
function pays(r: PlanLine): string {
  return `${r.amount} to ${r.destination}${r.paymentId ? ` (paymentId ${r.paymentId})` : ''}`;
}

/** The cells that differ, `was → now`; the key alone when none does. */
function cellChanges(was: PlanLine, now: PlanLine): string {
  const parts: string[] = [];
  for (const name of ['amount', 'destination', 'paymentId'] as const) {
    if (was[name] !== now[name]) {
      parts.push(`${name} ${was[name] || '(none)'} → ${now[name] || '(none)'}`);
    }
  }
  return parts.length > 0
    ? parts.join(', ')
    : `${pays(now)}: its other sent cells changed (metadata, fee, addenda or correlationId)`;
}

/** One difference in words, naming the row of the file now (or of the approved plan for a row gone). */
export function describeChange(c: PlanChange): string {
  switch (c.kind) {
    case 'added':
      return `row ${c.now.row}: added: ${pays(c.now)}`;
    case 'removed':
      return `approved row ${c.was.row} is gone: ${pays(c.was)}`;
    case 'moved':
      return `row ${c.now.row}: moved from row ${c.was.row}: ${pays(c.now)}`;
    default:
      return `row ${c.now.row}${c.was.row === c.now.row ? '' : ` (approved row ${c.was.row})`}: ${cellChanges(c.was, c.now)}`;
  }
}
