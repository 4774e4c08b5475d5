import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  digestNote,
  groupedCents,
  InvalidRows,
  planDigestOf,
  refuseInvalidRows,
  refuseUnapproved,
  shellWord,
} from '../../src/batch/approval.js';
import { BatchStateError } from '../../src/batch/errors.js';
import type { PlanDigestResult } from '../../src/plan/plan-digest.js';
import type { InvalidRow, ValidRow } from '../../src/plan/planner.js';
import { planCsv, removeDir, tempDir, UUIDS } from '../helpers.js';

async function validRows(text: string): Promise<ValidRow[]> {
  return (await planCsv(text)).filter((r): r is ValidRow => r.status === 'valid');
}

async function* each<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function refusal(fn: () => Promise<unknown> | unknown): Promise<BatchStateError> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(BatchStateError);
    return err as BatchStateError;
  }
  return expect.fail('expected a refusal');
}

const FILE = `paymentId,destination,amount\nP1,${UUIDS.a},10.00\nP2,${UUIDS.b},20.00\n`;
const EDITED = `paymentId,destination,amount\nP1,${UUIDS.a},10.00\nP2,${UUIDS.b},25.00\nP3,${UUIDS.c},1234.00\n`;

describe('approval (maker-checker)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  const settings = (over: Record<string, unknown> = {}) => ({
    file: 'pay roll.csv',
    outDir: dir,
    batchId: 'test-batch',
    clearing: 'auto' as const,
    approve: undefined as string | undefined,
    requireApproval: false,
    delimiter: undefined,
    columns: [],
    resume: false,
    ...over,
  });

  async function planOf(text: string): Promise<{ plan: PlanDigestResult; rows: ValidRow[] }> {
    const rows = await validRows(text);
    return { plan: await planDigestOf(settings(), each(rows)), rows };
  }

  it('money as people read it, and a path as a shell reads it back', () => {
    expect(groupedCents(421000)).to.equal('4,210.00');
    expect(groupedCents(5)).to.equal('0.05');
    expect(groupedCents(123456789012)).to.equal('1,234,567,890.12');
    expect(shellWord('out/pay.csv')).to.equal('out/pay.csv');
    expect(shellWord("Nov payroll (Bob's).csv")).to.equal(`'Nov payroll (Bob'\\''s).csv'`);
  });

  it('--strict names the count and the first 20 invalid rows; without --strict, or with none, nothing is refused', async () => {
    const invalid = new InvalidRows();
    for (let i = 0; i < 25; i++) {
      invalid.add({ status: 'invalid', line: i + 2, errors: ['amount: bad', 'currency: EUR'] } as InvalidRow);
    }
    refuseInvalidRows({ strict: false, file: 'f.csv' }, invalid);
    refuseInvalidRows({ strict: true, file: 'f.csv' }, new InvalidRows());
    const err = await refusal(() => refuseInvalidRows({ strict: true, file: 'f.csv' }, invalid));
    expect(err.code).to.equal('BATCH_INVALID_ROWS');
    const lines = err.message.split('\n');
    expect(lines[0]).to.equal('--strict: 25 rows are invalid, so nothing was sent:');
    expect(lines[1]).to.equal('  row 2: amount: bad; currency: EUR');
    expect(lines.filter((l) => l.startsWith('  row '))).to.have.length(20);
    expect(err.message).to.contain('and 5 more');
  });

  it('--require-approval refuses a run with rows to send, not one with nothing left to send', async () => {
    const { plan, rows } = await planOf(FILE);
    const s = settings({ requireApproval: true });
    await refuseUnapproved(s, { plan, toSend: 0, rows: () => each(rows) });
    const err = await refusal(() => refuseUnapproved(s, { plan, toSend: 2, rows: () => each(rows) }));
    expect(err.code).to.equal('BATCH_NOT_APPROVED');
    expect(err.message).to.contain('2 row(s) would be sent; nothing was sent');
    expect(err.message).to.contain("payouts run 'pay roll.csv' --batch-id test-batch --dry-run");
  });

  it('a matching --approve (whole or 16+ digit prefix) is accepted, with or without --require-approval', async () => {
    const { plan, rows } = await planOf(FILE);
    for (const approve of [plan.hex, plan.hex.slice(0, 16)]) {
      await refuseUnapproved(settings({ approve, requireApproval: true }), { plan, toSend: 2, rows: () => each(rows) });
    }
  });

  it('an approval no plan.json here has: the digest now, and that the approved plan is unknown', async () => {
    const { plan, rows } = await planOf(FILE);
    const approve = 'ab'.repeat(32);
    const err = await refusal(() =>
      refuseUnapproved(settings({ approve }), { plan, toSend: 2, rows: () => each(rows) }),
    );
    expect(err.message).to.contain(`this file's plan digest is now ${plan.hex} (2 rows totalling 30.00)`);
    expect(err.message).to.contain('The approved plan is unknown here');
  });

  it("a changed plan: the approved plan's rows and total against the file's now, the rows that differ, and --clearing", async () => {
    const approved = await planOf(FILE);
    const folder = join(dir, 'test-batch');
    await mkdir(folder);
    await writeFile(
      join(folder, 'plan.json'),
      JSON.stringify({
        batchId: 'test-batch',
        finishedAt: '2026-11-30T15:00:00.000Z',
        planDigest: approved.plan.hex,
        planRows: 2,
        planTotal: '30.00',
        planClearing: 'auto',
      }),
    );
    const keys = approved.rows.map((r) => r.key);
    await writeFile(
      join(folder, 'plan.csv'),
      `row,status,paymentId,destination,amount,idempotencyKey\n2,planned,P1,${UUIDS.a},10.00,${keys[0]}\n3,planned,P2,${UUIDS.b},20.00,${keys[1]}\n`,
    );
    const now = await planOf(EDITED);
    const s = settings({ approve: approved.plan.hex.slice(0, 20), clearing: 'standard' });
    const err = await refusal(() => refuseUnapproved(s, { plan: now.plan, toSend: 3, rows: () => each(now.rows) }));
    expect(err.message).to.contain(
      'the approved plan (batch test-batch, dry run of 2026-11-30T15:00:00.000Z) had 2 rows totalling 30.00; this file now has 3 rows totalling 1,269.00',
    );
    expect(err.message).to.contain('--clearing was auto when the plan was approved; this run has --clearing standard');
    expect(err.message).to.contain('row 3: amount 20.00 → 25.00');
    expect(err.message).to.contain(`row 4: added: 1234.00 to ${UUIDS.c} (paymentId P3)`);
  });

  it("the dry run's note: the digest and the command that sends exactly this plan", async () => {
    const { plan } = await planOf(FILE);
    const reading = { delimiter: undefined, columns: [], resume: false };
    const note = digestNote({ file: 'pay.csv', batchId: 'nov', clearing: 'standard', ...reading }, plan, 'pay');
    expect(note).to.contain(`Plan digest: ${plan.hex} (2 rows totalling 30.00).`);
    expect(note).to.contain(`payouts run pay.csv --batch-id nov --clearing standard --approve ${plan.hex}`);
    expect(digestNote({ file: 'pay.csv', batchId: 'pay', clearing: 'auto', ...reading }, plan, 'pay')).to.contain(
      `payouts run pay.csv --approve ${plan.hex}`,
    );
  });

  it('with --deferred, the note says to run deferred and release with payouts approve (never run --approve)', async () => {
    const { plan } = await planOf(FILE);
    const s = { file: 'pay.csv', batchId: 'pay', clearing: 'auto' as const, delimiter: undefined, columns: [] };
    const note = digestNote({ ...s, resume: false, deferred: true }, plan, 'pay');
    expect(note).to.contain('run payouts run pay.csv --deferred');
    expect(note).to.contain(`payouts approve pay --approve ${plan.hex}`);
    expect(note).not.to.contain(`payouts run pay.csv --approve`);
  });

  it('the commands it suggests keep the options that decide how the file is read: --delimiter, --columns, --resume', async () => {
    const { plan } = await planOf(FILE);
    const s = {
      file: 'pay.csv',
      batchId: 'pay',
      clearing: 'auto' as const,
      delimiter: ';' as const,
      columns: [
        { header: 'Amount (USD)', target: 'amount' },
        { header: 'Payee, email', target: 'destinationEmail' },
      ],
      resume: true,
    };
    expect(digestNote(s, plan, 'pay')).to.contain(
      `payouts run pay.csv --delimiter ';' --columns 'Amount (USD)=amount,"Payee, email"=destinationEmail' --resume --approve ${plan.hex}`,
    );
  });
});
