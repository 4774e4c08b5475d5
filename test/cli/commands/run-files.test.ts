/**
 * Files as spreadsheets and accounting tools export them, through the built CLI: a semicolon
 * separated QuickBooks-like export with its own headers (--columns), --delimiter, the BOM of
 * results.csv and plan.csv (--no-bom), and the input cells results.csv keeps.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { DwollaClient } from '../../../src/dwolla/client.js';
import { SIMULATOR } from '../../../src/dwolla/types.js';
import { RECONCILE_COLUMNS, RESULT_COLUMNS } from '../../../src/results/columns.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../../src/simulator/index.js';
import { SIM_ENV } from '../../batch/helpers.js';
import { readCsvCells, readCsvRows, removeDir, runCli, tempDir, UUIDS, writeCsv } from '../../helpers.js';

const BOM = [0xef, 0xbb, 0xbf];

async function firstBytes(path: string): Promise<number[]> {
  return [...(await readFile(path)).subarray(0, 3)];
}

/** A QuickBooks-like export: BOM, CRLF, semicolons, its own headers. */
const QUICKBOOKS = [
  '\uFEFFPayee Name;Funding Source;Amount (USD);Memo',
  `Sofía García;${UUIDS.a};1234.56;"March; contractor"`,
  `Ben Okafor;${UUIDS.b};75.00;=cmd`,
  '',
].join('\r\n');

describe('payouts run with exported files (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('a semicolon-separated export with its own headers runs with --columns: exit 0, results.csv with a BOM', async () => {
    const file = await writeCsv(dir, 'quickbooks.csv', QUICKBOOKS);
    const out = join(dir, 'out');
    const columns = ['--columns', 'Amount (USD)=amount,Funding Source=destination'];
    const r = await runCli(['run', file, '--out', out, ...columns, '--log-level', 'warn']);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const results = join(out, 'quickbooks', 'results.csv');
    expect(await firstBytes(results)).to.deep.equal(BOM);
    const rows = await readCsvRows(results);
    expect(rows.map((x) => [x.row, x.status, x.destination, x.amount])).to.deep.equal([
      ['2', 'created', UUIDS.a, '1234.56'],
      ['3', 'created', UUIDS.b, '75.00'],
    ]);
    const header = (await readCsvCells(results))[0]!;
    expect(header.slice(RESULT_COLUMNS.length)).to.deep.equal(['Payee Name', 'Memo']);
    expect(rows.map((x) => [x['Payee Name'], x.Memo])).to.deep.equal([
      ['Sofía García', 'March; contractor'],
      ['Ben Okafor', "'=cmd"],
    ]);
    const summary = JSON.parse(await readFile(join(out, 'quickbooks', 'summary.json'), 'utf8'));
    expect(summary.byStatus.created.total).to.equal('1309.56');
  });

  it('the same export without --columns exits 2 and suggests the --columns line; a forced comma hints at ;', async () => {
    const file = await writeCsv(dir, 'quickbooks.csv', QUICKBOOKS);
    const r = await runCli(['run', file, '--dry-run', '--out', join(dir, 'out')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`try --columns "Amount (USD)=amount,Funding Source=destination"`);
    const comma = await runCli(['run', file, '--dry-run', '--delimiter', ',', '--out', join(dir, 'out')]);
    expect(comma.code).to.equal(2);
    expect(comma.stderr).to.contain("the header looks semicolon-separated; try --delimiter ';'");
  });

  it('--columns naming a header the file lacks, or a column that is not one, exits 2 naming it', async () => {
    const file = await writeCsv(dir, 'quickbooks.csv', QUICKBOOKS);
    const missing = await runCli(['run', file, '--dry-run', '--columns', 'Total=amount,Funding Source=destination']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("'Total' is not a header of the file");
    const bad = await runCli(['run', file, '--dry-run', '--columns', 'Amount (USD)=amt']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain("'amt' (for 'Amount (USD)') is not a column payouts reads");
    const delimiter = await runCli(['run', file, '--dry-run', '--delimiter', '|']);
    expect(delimiter.code).to.equal(2);
    expect(delimiter.stderr).to.contain('--delimiter must be , or ; or tab');
  });

  it('a tab-separated file with --delimiter tab; plan.csv has a BOM, and none with --no-bom', async () => {
    const file = await writeCsv(dir, 'sheet.tsv', `destination\tamount\tName\n${UUIDS.a}\t10.00\tAnn\n`);
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--dry-run', '--delimiter', 'tab', '--out', out]);
    expect(r.code, r.stderr).to.equal(0);
    const plan = join(out, 'sheet', 'plan.csv');
    expect(await firstBytes(plan)).to.deep.equal(BOM);
    expect((await readCsvRows(plan)).map((x) => [x.status, x.amount, x.Name])).to.deep.equal([
      ['planned', '10.00', 'Ann'],
    ]);
    const plain = await runCli(['run', file, '--dry-run', '--no-bom', '--out', out]);
    expect(plain.code, plain.stderr).to.equal(0);
    expect((await readFile(plan, 'utf8')).startsWith('row,status,')).to.equal(true);
  });

  describe('against a standalone simulator, then reconcile', () => {
    let sim: SimulatorHandle;
    beforeEach(async () => (sim = await startSimulator({ port: 0 })));
    afterEach(() => sim.close());

    /** The customer owning a payee's funding source: the one its fee may be charged to. */
    async function customerOf(fundingSource: string): Promise<string> {
      const client = new DwollaClient({
        baseUrl: sim.url,
        key: SIMULATOR.key,
        secret: SIMULATOR.secret,
        timeoutMs: 5000,
      });
      try {
        return (await client.getFundingSource(fundingSource))._links.customer!.href;
      } finally {
        client.close();
      }
    }

    it('results.csv keeps the metadata, fee, addenda, source and other cells in input order; reconcile keeps them and the BOM choice', async () => {
      const payee = await customerOf(UUIDS.a);
      const header =
        'Name,destination,amount,metadata.invoice,feeAmount,feeChargeTo,sourceAddenda,destinationAddenda,source,currency,status';
      const line = `Ann,${UUIDS.a},10.00,INV-1,1.00,${payee},Payroll 11,Nov pay,${SPECIAL_IDS.accountBank},USD,approved`;
      const kept = await writeCsv(dir, 'kept.csv', `${header}\n${line}\n`);
      const withBom = await writeCsv(
        dir,
        'excel.csv',
        `${header}\n${line.replace('INV-1', 'INV-2').replace('10.00', '11.00')}\n`,
      );
      const out = join(dir, 'out');
      const common = ['--api-url', sim.url, '--out', out, '--log-level', 'warn'];
      const r = await runCli(['run', kept, '--no-bom', ...common], { env: SIM_ENV });
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      const bom = await runCli(['run', withBom, ...common], { env: SIM_ENV });
      expect(bom.code, bom.stderr + bom.stdout).to.equal(0);

      const results = join(out, 'kept', 'results.csv');
      expect((await readFile(results, 'utf8')).startsWith('row,status,')).to.equal(true);
      const carried = [
        'Name',
        'metadata.invoice',
        'feeAmount',
        'feeChargeTo',
        'sourceAddenda',
        'destinationAddenda',
        'source',
        'currency',
        'input.status',
      ];
      const cells = [
        'Ann',
        'INV-1',
        '1.00',
        payee,
        'Payroll 11',
        'Nov pay',
        SPECIAL_IDS.accountBank,
        'USD',
        'approved',
      ];
      const [head, row] = await readCsvCells(results);
      expect(head!.slice(RESULT_COLUMNS.length)).to.deep.equal(carried);
      expect(row!.slice(RESULT_COLUMNS.length)).to.deep.equal(cells);
      expect(row![1]).to.equal('created');

      for (const batch of ['kept', 'excel']) {
        const rec = await runCli(['reconcile', batch, ...common], { env: SIM_ENV });
        expect(rec.code, rec.stderr + rec.stdout).to.equal(0);
      }
      expect((await readFile(results, 'utf8')).startsWith('row,status,')).to.equal(true);
      const after = await readCsvCells(results);
      const tail = RESULT_COLUMNS.length + RECONCILE_COLUMNS.length;
      expect(after[0]!.slice(RESULT_COLUMNS.length, tail)).to.deep.equal([...RECONCILE_COLUMNS]);
      expect(after[0]!.slice(tail)).to.deep.equal(carried);
      expect(after[1]!.slice(tail)).to.deep.equal(cells);
      const excel = join(out, 'excel', 'results.csv');
      expect(await firstBytes(excel)).to.deep.equal(BOM);
      expect((await readCsvRows(excel))[0]!['metadata.invoice']).to.equal('INV-2');
    });
  });
});
