import { expect } from 'chai';
import { DELIMITERS, delimiterHint, detectDelimiter, parseDelimiterOption } from '../../src/input/delimiter.js';
import { parseColumnsOption } from '../../src/input/header.js';
import { UsageError } from '../../src/input/usage-error.js';

function usage(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).message).to.contain(fragment);
    return;
  }
  expect.fail(`expected a UsageError containing ${fragment}`);
}

describe('input: --delimiter', () => {
  it('detects the delimiter that splits the header line into the most cells', () => {
    expect(detectDelimiter('a,b,c\n1;2;3;4;5\n')).to.equal(',');
    expect(detectDelimiter('\uFEFFName;Destination;Amount\r\n')).to.equal(';');
    expect(detectDelimiter('a\tb\tc;d')).to.equal('\t');
    expect(detectDelimiter('"x;y;z",a,b')).to.equal(',');
    expect(detectDelimiter('"one\ncell;with;semicolons",a')).to.equal(',');
  });

  it('a comma when none occurs, and on a tie the earlier of comma, semicolon, tab', () => {
    expect(detectDelimiter('amount')).to.equal(',');
    expect(detectDelimiter('')).to.equal(',');
    expect(detectDelimiter('a,b;c')).to.equal(',');
    expect(detectDelimiter('a;b\tc')).to.equal(';');
    expect(DELIMITERS).to.deep.equal([',', ';', '\t']);
  });

  it('--delimiter takes , ; tab (and their names); anything else is a usage error', () => {
    expect(parseDelimiterOption(',')).to.equal(',');
    expect(parseDelimiterOption(';')).to.equal(';');
    expect(parseDelimiterOption('tab')).to.equal('\t');
    expect(parseDelimiterOption('TAB')).to.equal('\t');
    expect(parseDelimiterOption('\t')).to.equal('\t');
    expect(parseDelimiterOption('semicolon')).to.equal(';');
    usage(() => parseDelimiterOption('|'), "--delimiter must be , or ; or tab (got '|')");
    usage(() => parseDelimiterOption(''), '--delimiter');
  });

  it('hints at the delimiter a header split with another one still holds', () => {
    expect(delimiterHint(['Name;Destination;Amount'], ',')).to.equal(
      "the header looks semicolon-separated; try --delimiter ';'",
    );
    expect(delimiterHint(['a\tb', 'c'], ',')).to.equal('the header looks tab-separated; try --delimiter tab');
    expect(delimiterHint(['a,b,c'], ';')).to.equal('the header looks comma-separated; try --delimiter ,');
    expect(delimiterHint(['a', 'b'], ',')).to.equal('');
  });
});

describe('input: --columns', () => {
  it('reads HEADER=column pairs; targets case-insensitively, as the contract spells them', () => {
    expect(parseColumnsOption('Amount (USD)=amount, Funding Source = DESTINATION')).to.deep.equal([
      { header: 'Amount (USD)', target: 'amount' },
      { header: 'Funding Source', target: 'destination' },
    ]);
    expect(parseColumnsOption('Email=destinationemail,Inv=Metadata.Invoice No,Fee=feeamount')).to.deep.equal([
      { header: 'Email', target: 'destinationEmail' },
      { header: 'Inv', target: 'metadata.Invoice No' },
      { header: 'Fee', target: 'feeAmount' },
    ]);
    expect(parseColumnsOption('')).to.deep.equal([]);
    expect(parseColumnsOption('A=amount,')).to.deep.equal([{ header: 'A', target: 'amount' }]);
  });

  it('a header holding a comma, = or " is written in double quotes; an unquoted = splits at the last one', () => {
    expect(parseColumnsOption('"Amount, USD"=amount,"To=Acct"=destination,"Say ""hi"""=metadata.hi')).to.deep.equal([
      { header: 'Amount, USD', target: 'amount' },
      { header: 'To=Acct', target: 'destination' },
      { header: 'Say "hi"', target: 'metadata.hi' },
    ]);
    expect(parseColumnsOption('a=b=amount')).to.deep.equal([{ header: 'a=b', target: 'amount' }]);
  });

  it('refuses what cannot be used, naming it', () => {
    usage(() => parseColumnsOption('Amount (USD)=amt'), "'amt' (for 'Amount (USD)') is not a column payouts reads");
    usage(() => parseColumnsOption('Status=status'), "'status' (for 'Status') is not a column payouts reads");
    usage(() => parseColumnsOption('X=metadata.'), "'metadata.' (for 'X') is not a column");
    usage(() => parseColumnsOption('A=amount,B=Amount'), "'amount' is mapped twice (from 'A' and from 'B')");
    usage(() => parseColumnsOption('A=metadata.k,B=metadata.K'), "'metadata.K' is mapped twice");
    usage(() => parseColumnsOption('A=amount,a=destination'), "the header 'a' is mapped twice");
    usage(() => parseColumnsOption('Amount'), "'Amount' is not HEADER=column");
    usage(() => parseColumnsOption('=amount'), "'=amount' is not HEADER=column");
    usage(() => parseColumnsOption('Amount='), "'Amount=' is not HEADER=column");
    usage(() => parseColumnsOption('"Amount, USD=amount'), 'a double quote is never closed');
  });
});
