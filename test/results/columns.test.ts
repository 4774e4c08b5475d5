import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import {
  carriedHeader,
  csvCell,
  guardCell,
  quoteCell,
  RESULT_COLUMNS,
  type ResultRow,
  resultCells,
} from '../../src/results/columns.js';

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

  it('a cell is quoted as RFC 4180 says, as csv-stringify quotes it, and reads back as it was', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\r', '\n', '=', "'", 'é', '😀') });
    fc.assert(
      fc.property(text, (value) => {
        const quoted = quoteCell(value);
        expect(quoted === value).to.equal(!/[",\r\n]/.test(value));
        if (!value.includes('\r')) {
          expect(quoted).to.equal(stringify([[value]], { record_delimiter: 'unix' }).slice(0, -1));
        }
        const read = parse(`${quoted},x\n`, { record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true });
        expect(read).to.deep.equal([[value, 'x']]);
      }),
    );
  });

  it('a cell holding a lone CR is quoted: csv-stringify (LF records) left it bare, which breaks the line for readers', () => {
    expect(quoteCell('x\ry')).to.equal('"x\ry"');
  });

  it('a results cell is guarded, then quoted; numbers are written as String() writes them', () => {
    expect(csvCell(undefined)).to.equal('');
    expect(csvCell('')).to.equal('');
    expect(csvCell('=1+1, 2')).to.equal(`"'=1+1, 2"`);
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('\rx')).to.equal(`"'\rx"`);
    expect(csvCell('plain')).to.equal('plain');
    for (const n of [0, 7, 1000, 1234567, -1, 1.5]) {
      expect(csvCell(n)).to.equal(guardCell(String(n)));
    }
  });

  it('resultCells writes every results column, in the order of RESULT_COLUMNS', () => {
    const row = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, `v-${c}`])) as unknown as ResultRow;
    expect(resultCells(row)).to.deep.equal(RESULT_COLUMNS.map((c) => `v-${c}`));
    const empty = RESULT_COLUMNS.slice(2).map(() => '');
    expect(resultCells({ row: 12, status: 'planned' })).to.deep.equal(['12', 'planned', ...empty]);
  });
});
