import { expect } from 'chai';
import { parseColumnsOption, readHeader } from '../../src/input/header.js';
import { carriedHeader } from '../../src/results/columns.js';
import { carriedColumns } from '../../src/results/rows.js';

describe('results: carried columns', () => {
  it('carries every input column the results do not show in their own, in input order, named as written', () => {
    const header = readHeader(
      [
        'Name',
        'destination',
        'Amount',
        'metadata.Invoice',
        'feeAmount',
        'feeChargeTo',
        'sourceAddenda',
        'destinationAddenda',
        'source',
        'currency',
        'destinationEmail',
        'paymentId',
        'correlationId',
        'clearing',
        '',
        'status',
      ],
      { delimiter: ',' },
    );
    expect(carriedColumns(header)).to.deep.equal([
      { name: 'Name', index: 0 },
      { name: 'metadata.Invoice', index: 3 },
      { name: 'feeAmount', index: 4 },
      { name: 'feeChargeTo', index: 5 },
      { name: 'sourceAddenda', index: 6 },
      { name: 'destinationAddenda', index: 7 },
      { name: 'source', index: 8 },
      { name: 'currency', index: 9 },
      { name: 'destinationEmail', index: 10 },
      { name: 'column15', index: 14 },
      { name: 'status', index: 15 },
    ]);
    // An input column named like a results column is carried under another name.
    expect(carriedHeader(carriedColumns(header).map((c) => c.name)).at(-1)).to.equal('input.status');
  });

  it('a header --columns maps to a results column is shown there, not carried; one mapped elsewhere is carried as written', () => {
    const header = readHeader(['Payee Name', 'Funding Source', 'Amount (USD)', 'Memo'], {
      delimiter: ';',
      columns: parseColumnsOption('Amount (USD)=amount,Funding Source=destination,Memo=metadata.memo'),
    });
    expect(carriedColumns(header).map((c) => c.name)).to.deep.equal(['Payee Name', 'Memo']);
  });

  it('names stay unique: a carried input.status after status is renamed again', () => {
    expect(carriedHeader(['status', 'input.status', 'Row'])).to.deep.equal([
      'input.status',
      'input.input.status',
      'input.Row',
    ]);
  });
});
