import { expect } from 'chai';
import { carriedHeader, guardCell } from '../../src/results/columns.js';

describe('results: columns', () => {
  it('guards cells against spreadsheet formula injection', () => {
    for (const v of ['=SUM(A1)', '+1', '-1', '@cmd', '\tx', '\rx']) {
      expect(guardCell(v)).to.equal(`'${v}`);
    }
    for (const v of ['', 'plain', '10.00', "'quoted", ' =x']) {
      expect(guardCell(v)).to.equal(v);
    }
  });

  it('renames carried columns that clash with results columns', () => {
    expect(carriedHeader(['name', 'Status', 'row', 'email'])).to.deep.equal([
      'name',
      'input.Status',
      'input.row',
      'email',
    ]);
    expect(carriedHeader(['returnCode'], ['returnCode'])).to.deep.equal(['input.returnCode']);
  });

  it('guards carried header names like cells, after renaming a clash', () => {
    expect(carriedHeader(['=cmd|calc', '+x', '-y', '@SUM(A1)', '\tt', '\rr', 'name', "'q", 'Status'])).to.deep.equal([
      "'=cmd|calc",
      "'+x",
      "'-y",
      "'@SUM(A1)",
      "'\tt",
      "'\rr",
      'name',
      "'q",
      'input.Status',
    ]);
  });
});
