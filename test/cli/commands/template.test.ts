import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { readCsvRows, removeDir, runCli, tempDir, writeCsv } from '../../helpers.js';

/** The header and example line `payouts template` wrote, as cells. */
function cellsOf(text: string): string[][] {
  return parse(text) as string[][];
}

describe('payouts template (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('writes the usual columns and one example line to stdout, exit 0', async () => {
    const r = await runCli(['template']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    const [header, example, ...rest] = cellsOf(r.stdout);
    expect(header).to.deep.equal(['name', 'destination', 'amount', 'paymentId']);
    expect(example).to.have.length(4);
    expect(rest).to.deep.equal([]);
  });

  it('--with-optional adds every column of the contract', async () => {
    const r = await runCli(['template', '--with-optional']);
    expect(r.code, r.stderr).to.equal(0);
    const [header, example] = cellsOf(r.stdout);
    expect(header).to.deep.equal([
      'name',
      'destination',
      'destinationEmail',
      'amount',
      'currency',
      'source',
      'paymentId',
      'correlationId',
      'metadata.invoice',
      'feeAmount',
      'feeChargeTo',
      'sourceAddenda',
      'destinationAddenda',
      'clearing',
    ]);
    expect(example).to.have.length(header!.length);
  });

  for (const flags of [[], ['--with-optional']]) {
    it(`the example line of 'payouts template ${flags.join(' ')}' is a valid row for a dry run (exit 0)`, async () => {
      const template = await runCli(['template', ...flags]);
      expect(template.code, template.stderr).to.equal(0);
      const file = await writeCsv(dir, 'payees.csv', template.stdout);
      const out = join(dir, 'out');
      const r = await runCli(['run', file, '--dry-run', '--out', out]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const rows = await readCsvRows(join(out, 'payees', 'plan.csv'));
      expect(rows.map((x) => [x.status, x.amount, x.errorMessage])).to.deep.equal([['planned', '1250.00', '']]);
    });

    it(`the example line of 'payouts template ${flags.join(' ')}' is paid as it stands by a rehearsal (embedded simulator, exit 0)`, async () => {
      const template = await runCli(['template', ...flags]);
      const file = await writeCsv(dir, 'payees.csv', template.stdout);
      const out = join(dir, 'out');
      const r = await runCli(['run', file, '--out', out]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const rows = await readCsvRows(join(out, 'payees', 'results.csv'));
      expect(rows.map((x) => [x.status, x.amount, x.errorMessage])).to.deep.equal([['created', '1250.00', '']]);
    });
  }
});
