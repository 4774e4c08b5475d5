import { expect } from 'chai';
import type { InvalidRow, ValidRow } from '../../src/plan/planner.js';
import { planCsv, UUIDS } from '../helpers.js';

const HEADER = 'paymentId,correlationId,destination,amount,name\n';

describe('plan', () => {
  it('a repeated paymentId is invalid and names the first row', async () => {
    const rows = await planCsv(`${HEADER}P1,,${UUIDS.a},1.00,x\nP2,,${UUIDS.a},2.00,y\nP1,,${UUIDS.b},3.00,z\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'invalid']);
    expect((rows[2] as InvalidRow).errors).to.deep.equal(["paymentId: 'P1' repeats row 2"]);
  });

  it('a repeated correlationId is invalid and names the first row', async () => {
    const rows = await planCsv(`${HEADER},C1,${UUIDS.a},1.00,x\n,C1,${UUIDS.b},2.00,y\n`);
    expect(rows[1]!.status).to.equal('invalid');
    expect((rows[1] as InvalidRow).errors.join()).to.contain("correlationId: 'C1' repeats row 2");
  });

  it('an identical row is invalid without --allow-duplicates, naming the first', async () => {
    const rows = await planCsv(`${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,other name\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'invalid']);
    expect((rows[1] as InvalidRow).errors.join()).to.contain('identical to row 2');
  });

  it('identical rows get distinct keys with --allow-duplicates', async () => {
    const rows = await planCsv(`${HEADER},,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,x\n,,${UUIDS.a},1.00,x\n`, {
      allowDuplicates: true,
    });
    expect(rows.every((r) => r.status === 'valid')).to.equal(true);
    const keys = rows.map((r) => (r as ValidRow).key);
    expect(new Set(keys).size).to.equal(3);
  });

  it('identical content with different paymentIds is two payments', async () => {
    const rows = await planCsv(`${HEADER}P1,,${UUIDS.a},1.00,x\nP2,,${UUIDS.a},1.00,x\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid']);
  });

  it('rows differing in any sent field are not identical', async () => {
    const rows = await planCsv(
      `destination,amount,metadata.n\n${UUIDS.a},1.00,a\n${UUIDS.a},1.00,b\n${UUIDS.a},1.01,a\n${UUIDS.b},1.00,a\n`,
    );
    expect(rows.every((r) => r.status === 'valid')).to.equal(true);
  });

  it('row numbers are the line each record starts on, counting blank lines and multi-line fields', async () => {
    const text = `${HEADER}\nP1,,${UUIDS.a},1.00,"two\nlines"\n\n\nP2,,${UUIDS.a},2.00,x\n`;
    const rows = await planCsv(text);
    expect(rows.map((r) => r.line)).to.deep.equal([3, 7]);
  });
});
