import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { describeChange, firstChanges, type PlanLine, planCsvLines } from '../../src/batch/plan-diff.js';

function line(row: number, key: string, amount = '10.00', destination = `dest-${key}`, paymentId = ''): PlanLine {
  return { row: String(row), key, paymentId, destination, amount };
}

async function* stream(lines: PlanLine[], closed?: { count: number }): AsyncGenerator<PlanLine> {
  try {
    yield* lines;
  } finally {
    if (closed) {
      closed.count++;
    }
  }
}

async function diff(was: PlanLine[], now: PlanLine[], limit = 10) {
  const { changes, more } = await firstChanges(stream(was), stream(now), limit);
  return { lines: changes.map(describeChange), more };
}

/** n rows with keys k0…k(n-1), on lines 2…n+1. */
function rows(n: number): PlanLine[] {
  return Array.from({ length: n }, (_, i) => line(i + 2, `k${i}`));
}

describe('plan diff (what changed since the approved plan)', () => {
  it('no difference for the same rows', async () => {
    expect(await diff(rows(5), rows(5))).to.deep.equal({ lines: [], more: false });
  });

  it('an amount changed on a row with the same key (a paymentId row)', async () => {
    const now = rows(3);
    now[1] = line(3, 'k1', '12.50', 'dest-k1');
    expect((await diff(rows(3), now)).lines).to.deep.equal(['row 3: amount 10.00 → 12.50']);
  });

  it('an amount changed on a row whose key changed with it (a content row): the row changed in place', async () => {
    const now = rows(3);
    now[1] = line(3, 'k1-new', '35.00', 'dest-k1');
    expect((await diff(rows(3), now)).lines).to.deep.equal(['row 3: amount 10.00 → 35.00']);
  });

  it('a row added and a row gone', async () => {
    const was = rows(4);
    const now = [was[0]!, line(3, 'new', '5.00', 'dest-new', 'P9'), was[1]!, was[3]!].map((r, i) => ({
      ...r,
      row: String(i + 2),
    }));
    expect((await diff(was, now)).lines).to.deep.equal([
      'row 3: added: 5.00 to dest-new (paymentId P9)',
      'approved row 4 is gone: 10.00 to dest-k2',
    ]);
  });

  it('two rows swapped: one moved', async () => {
    const was = rows(3);
    const now = [was[1]!, was[0]!, was[2]!].map((r, i) => ({ ...r, row: String(i + 2) }));
    expect((await diff(was, now)).lines).to.deep.equal(['row 2: moved from row 3: 10.00 to dest-k1']);
  });

  it('rows added at the end, and the same rows many times further on (past the look-ahead window)', async () => {
    const was = rows(1000);
    const now = [...rows(1000), line(1002, 'extra', '1.00')];
    expect((await diff(was, now)).lines).to.deep.equal(['row 1002: added: 1.00 to dest-extra']);
    const inserted = [line(2, 'first', '1.00'), ...rows(1000)];
    expect((await diff(was, inserted)).lines).to.deep.equal(['row 2: added: 1.00 to dest-first']);
  });

  it('stops at the limit, says there are more, and closes both sides', async () => {
    const was = rows(50);
    const now = rows(50).map((r) => ({ ...r, amount: '11.00' }));
    const closed = { count: 0 };
    const { changes, more } = await firstChanges(stream(was, closed), stream(now, closed), 10);
    expect(changes).to.have.length(10);
    expect(more).to.equal(true);
    expect(closed.count).to.equal(2);
  });

  it("reads a plan.csv's valid rows (BOM, quoted cells; invalid and total rows left out)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-diff-'));
    try {
      const path = join(dir, 'plan.csv');
      await writeFile(
        path,
        '\uFEFFrow,status,paymentId,destination,amount,idempotencyKey,name\r\n' +
          '2,planned,P1,d1,10.00,k1,"Smith, Ann"\r\n' +
          '3,invalid,,bad,x,,Bob\r\n' +
          '4,created,,d3,30.00,k3,Cy\r\n' +
          '5,total,,,40.00,,Total\r\n',
      );
      const lines: PlanLine[] = [];
      for await (const l of planCsvLines(path)) {
        lines.push(l);
      }
      expect(lines).to.deep.equal([
        { row: '2', key: 'k1', paymentId: 'P1', destination: 'd1', amount: '10.00' },
        { row: '4', key: 'k3', paymentId: '', destination: 'd3', amount: '30.00' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
