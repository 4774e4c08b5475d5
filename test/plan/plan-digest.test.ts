import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { ClearingPolicy } from '../../src/input/validation.js';
import {
  approves,
  MIN_APPROVAL_DIGITS,
  PlanDigest,
  type PlanDigestResult,
  parseApproval,
} from '../../src/plan/plan-digest.js';
import { planCsv, UUIDS } from '../helpers.js';

/** The plan digest of a CSV text, planned by the real reader and planner (batch `test-batch`). */
async function digestOf(
  text: string,
  clearing: ClearingPolicy = 'auto',
  batchId = 'test-batch',
): Promise<PlanDigestResult> {
  const digest = new PlanDigest(batchId);
  for (const row of await planCsv(text, { batchId })) {
    if (row.status === 'valid') {
      digest.addRow(row, clearing);
    }
  }
  return digest.finish();
}

const HEADER = 'paymentId,destination,amount,name,clearing';
const ROW_A = `P1,${UUIDS.a},10.00,Ann,`;
const ROW_B = `P2,${UUIDS.b},20.00,Bob,`;
const ROW_C = `,${UUIDS.c},30.00,Cy,`;
const FILE = [HEADER, ROW_A, ROW_B, ROW_C].join('\n');

describe('plan digest', () => {
  it('known answer (v1): the versioned lines, hashed with SHA-256', () => {
    // Computed independently (python hashlib) over:
    // ["payouts-plan/v1","payroll-2026-11"]\n["6da2c8ec-…",UUIDS.a,1050,"auto"]\n["end",1,1050]\n
    const digest = new PlanDigest('payroll-2026-11');
    digest.add({
      key: '6da2c8ec-362f-8ffa-ad17-c0c499484312',
      destination: UUIDS.a,
      amountCents: 1050,
      clearing: 'auto',
    });
    expect(digest.finish()).to.deep.equal({
      hex: '0d970532b02d08ef9de7abc3680b668e6d76fc8f1131864b7b69856d0791419c',
      rows: 1,
      totalCents: 1050,
    });
  });

  it('is the SHA-256 of its lines however many rows it has (lines are hashed in chunks)', () => {
    const digest = new PlanDigest('big');
    const lines = [`${JSON.stringify(['payouts-plan/v1', 'big'])}\n`];
    for (let i = 0; i < 5000; i++) {
      const key = `00000000-0000-8000-8000-${String(i).padStart(12, '0')}`;
      digest.add({
        key,
        destination: UUIDS.a,
        amountCents: i + 1,
        clearing: 'auto',
        fee: { cents: 1, chargeToId: UUIDS.b },
      });
      lines.push(`${JSON.stringify([key, UUIDS.a, i + 1, 'auto', 1, UUIDS.b])}\n`);
    }
    lines.push(`${JSON.stringify(['end', 5000, (5000 * 5001) / 2])}\n`);
    expect(digest.finish().hex).to.equal(createHash('sha256').update(lines.join('')).digest('hex'));
  });

  it('counts and totals the valid rows; invalid rows are not in it', async () => {
    const plan = await digestOf(FILE);
    expect(plan.rows).to.equal(3);
    expect(plan.totalCents).to.equal(6000);
    expect(plan.hex).to.match(/^[0-9a-f]{64}$/);
    const withInvalid = await digestOf([HEADER, ROW_A, `P9,not-a-uuid,5.00,Bad,`, ROW_B, ROW_C].join('\n'));
    expect(withInvalid).to.deep.equal(plan);
  });

  it('is the same for the same file, and the batch id is in it', async () => {
    expect(await digestOf(FILE)).to.deep.equal(await digestOf(FILE));
    expect((await digestOf(FILE, 'auto', 'other-batch')).hex).not.to.equal((await digestOf(FILE)).hex);
  });

  it('an amount, a destination or a paymentId changes it', async () => {
    const base = (await digestOf(FILE)).hex;
    expect((await digestOf(FILE.replace('20.00', '20.01'))).hex).not.to.equal(base);
    expect((await digestOf(FILE.replace(`P2,${UUIDS.b}`, `P2,${UUIDS.c}`))).hex).not.to.equal(base);
    expect((await digestOf(FILE.replace('P2,', 'P2b,'))).hex).not.to.equal(base);
  });

  it("a row's clearing column and the run's --clearing change it: the policy is approved, not the decision", async () => {
    const base = (await digestOf(FILE)).hex;
    const rowStandard = FILE.replace(`${ROW_B}`, `${ROW_B}standard`);
    expect((await digestOf(rowStandard)).hex).not.to.equal(base);
    expect((await digestOf(FILE, 'standard')).hex).not.to.equal(base);
    // A row's own `auto` is the same policy as --clearing auto.
    expect((await digestOf(FILE.replace(`${ROW_B}`, `${ROW_B}auto`))).hex).to.equal(base);
  });

  it("a row's fee changes it, also on a row with a paymentId (whose key the fee is not in)", async () => {
    const fees = (fee: string) =>
      [`${HEADER},feeAmount,feeChargeTo`, `${ROW_A},${fee},${UUIDS.customer}`, `${ROW_B},,`].join('\n');
    const one = await digestOf(fees('1.00'));
    const two = await digestOf(fees('2.00'));
    expect(one.rows).to.equal(2);
    expect(one.hex).not.to.equal(two.hex);
    expect(one.hex).not.to.equal((await digestOf([HEADER, ROW_A, ROW_B].join('\n'))).hex);
  });

  it('carried columns (names, notes) are not in it: they are never sent', async () => {
    const base = (await digestOf(FILE)).hex;
    expect((await digestOf(FILE.replace('Bob', 'Robert'))).hex).to.equal(base);
    const notes = [`${HEADER},notes`, `${ROW_A},x`, `${ROW_B},y`, `${ROW_C},z`].join('\n');
    expect((await digestOf(notes)).hex).to.equal(base);
  });

  it('input order is in it: a reordered file is another plan', async () => {
    const reordered = [HEADER, ROW_B, ROW_A, ROW_C].join('\n');
    const plan = await digestOf(reordered);
    expect(plan.rows).to.equal(3);
    expect(plan.totalCents).to.equal(6000);
    expect(plan.hex).not.to.equal((await digestOf(FILE)).hex);
  });

  it('an empty plan has a digest too, and finish() is final', () => {
    const digest = new PlanDigest('b');
    const done = digest.finish();
    expect(done.rows).to.equal(0);
    expect(digest.finish()).to.equal(done);
    expect(() => digest.add({ key: 'k', destination: 'd', amountCents: 1, clearing: 'auto' })).to.throw('finished');
  });

  it('--approve takes the whole digest or a prefix of at least 16 hex digits, any case', () => {
    const hex = '0d970532b02d08ef9de7abc3680b668e6d76fc8f1131864b7b69856d0791419c';
    expect(MIN_APPROVAL_DIGITS).to.equal(16);
    expect(parseApproval(hex)).to.equal(hex);
    expect(parseApproval(` ${hex.toUpperCase()} `)).to.equal(hex);
    expect(parseApproval(hex.slice(0, 16))).to.equal(hex.slice(0, 16));
    for (const bad of [hex.slice(0, 15), hex.slice(0, 12), `${hex}0`, `${hex.slice(0, 20)}g`, '', 'sha256:abc']) {
      expect(parseApproval(bad), bad).to.equal(undefined);
    }
    expect(approves(hex.slice(0, 16), hex)).to.equal(true);
    expect(approves(hex, hex)).to.equal(true);
    expect(approves(`${hex.slice(0, 15)}0`, hex)).to.equal(false);
  });
});
