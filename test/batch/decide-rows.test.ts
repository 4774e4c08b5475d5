import { join } from 'node:path';
import { expect } from 'chai';
import { surveyRows } from '../../src/batch/decide-rows.js';
import { Journal, readJournal } from '../../src/batch/journal.js';
import { KeySet, RowSum } from '../../src/batch/key-set.js';
import { RepeatChecks } from '../../src/batch/repeat-checks.js';
import type { ValidRow } from '../../src/plan/planner.js';
import { planCsv, removeDir, tempDir, UUIDS } from '../helpers.js';

const AT = '2025-03-04T15:00:00.000Z';
const CSV = `paymentId,destination,amount\nP-1,${UUIDS.a},10.00\nP-2,${UUIDS.b},20.00\n,${UUIDS.c},30.00\n`;

async function validRows(text = CSV): Promise<ValidRow[]> {
  return (await planCsv(text)).filter((r): r is ValidRow => r.status === 'valid');
}

/** Rows that fail the test when read: the survey must not read the file again. */
async function* unread(): AsyncGenerator<ValidRow> {
  yield* [];
  throw new Error('the rows were read');
}

async function* each(rows: ValidRow[]): AsyncGenerator<ValidRow> {
  yield* rows;
}

/** A journal where each row of `sent` has an intent paying `amountOf(row)` and, when `created`, a created outcome. */
async function journalOf(
  dir: string,
  sent: ValidRow[],
  opts: { created?: (row: ValidRow) => boolean; amountOf?: (row: ValidRow) => number } = {},
) {
  const path = join(dir, 'journal.jsonl');
  const journal = await Journal.open(path, { fsync: false });
  await journal.append({
    type: 'run',
    at: AT,
    runId: 'r',
    pid: 1,
    host: 'h',
    inputDigest: 'd',
    inputFile: 'in.csv',
    resume: false,
  });
  for (const row of sent) {
    const { key, line, payment } = row;
    const amountCents = opts.amountOf?.(row) ?? payment.amountCents;
    await journal.append({
      type: 'intent',
      at: AT,
      key,
      row: line,
      correlationId: key,
      destination: payment.destinationId,
      amountCents,
      source: UUIDS.source,
    });
    if (opts.created?.(row) ?? true) {
      await journal.append({
        type: 'outcome',
        at: AT,
        key,
        row: line,
        status: 'created',
        attempts: 1,
        transferId: `t${line}`,
      });
    }
  }
  await journal.close();
  return readJournal(path);
}

/** The file's keys (the edited-row check's) and its planned rows' sum (the survey's), as a run has them. */
function planned(rows: ValidRow[]): { has(key: string): boolean; rows: RowSum } {
  const keys = new KeySet();
  const sum = new RowSum();
  for (const row of rows) {
    keys.add(row.key);
    sum.addRow(row.key, row.payment.destinationId, row.payment.amountCents);
  }
  return { has: (key) => keys.has(key), rows: sum };
}

const SETTINGS = { batchId: 'test-batch', now: new Date(AT), repeatWindowDays: 3, allowRepeat: false };

describe('surveyRows on a rerun', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('does not read the file again when the journal created every planned row as it still reads', async () => {
    const rows = await validRows();
    const state = await journalOf(dir, rows);
    const keys = planned(rows);
    const survey = await surveyRows(unread(), state, new RepeatChecks(undefined, SETTINGS, state, keys), keys);
    expect(survey).to.include({ toSend: 0, held: 0, sourceless: 0 });
    // the same answer as the survey that reads every row
    const full = await surveyRows(each(rows), state, new RepeatChecks(undefined, SETTINGS, state, keys));
    expect(full).to.include({ toSend: 0, held: 0, sourceless: 0 });
  });

  it('reads the rows when a created row now pays another amount (held: changed after it was paid)', async () => {
    const rows = await validRows();
    const state = await journalOf(dir, rows, {
      amountOf: (r) => (r.payment.paymentId === 'P-2' ? 1999 : r.payment.amountCents),
    });
    const keys = planned(rows);
    const survey = await surveyRows(each(rows), state, new RepeatChecks(undefined, SETTINGS, state, keys), keys);
    expect(survey).to.include({ toSend: 0, held: 1 });
  });

  it('reads the rows when a row is not created (an open intent, or never sent)', async () => {
    const rows = await validRows();
    const open = await journalOf(dir, rows, { created: (r) => r.payment.paymentId !== 'P-1' });
    const keys = planned(rows);
    const survey = await surveyRows(each(rows), open, new RepeatChecks(undefined, SETTINGS, open, keys), keys);
    expect(survey).to.include({ toSend: 1, held: 0 });
    const fewer = await journalOf(join(dir, 'two'), rows.slice(0, 2));
    const second = await surveyRows(each(rows), fewer, new RepeatChecks(undefined, SETTINGS, fewer, keys), keys);
    expect(second).to.include({ toSend: 1, held: 0 });
  });
});
