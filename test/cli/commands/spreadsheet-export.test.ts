import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { readCsvRows, removeDir, runCli, tempDir, UUIDS, writeCsv } from '../../helpers.js';

/**
 * A payee sheet as Google Sheets or Excel ("CSV UTF-8") exports it: a BOM, CRLF line ends, `$`
 * amounts with thousands separators (quoted, since they hold a comma), and a Total footer row.
 */
function sheetExport(amounts: readonly string[], total: string): Buffer {
  const names = ['Ava Thompson', 'Liam Patel', 'Sofia García'];
  const ids = [UUIDS.a, UUIDS.b, UUIDS.c];
  const lines = [
    'Name,Destination,Amount,Notes',
    ...amounts.map((amount, i) => `${names[i]},${ids[i]},"${amount}",row ${i + 1}`),
    `Total,,"${total}",`,
  ];
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`)]);
}

const AMOUNTS = ['$1,234.56', '$2,000.00', '$222.22'];

describe('payouts run: spreadsheet exports (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  it('a Google Sheets export ($ amounts, a Total footer) dry-runs and runs in the simulator with exit 0', async () => {
    const file = await writeCsv(dir, 'sheet.csv', sheetExport(AMOUNTS, '$3,456.78'));
    const out = join(dir, 'out');

    const dry = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(dry.code, dry.stdout + dry.stderr).to.equal(0);
    expect(dry.stdout).to.contain('3 rows: 3 planned (3456.78), plus the total row 5 (3456.78);');
    const planned = await readCsvRows(join(out, 'sheet', 'plan.csv'));
    expect(planned.map((x) => [x.row, x.status, x.amount, x.Name])).to.deep.equal([
      ['2', 'planned', '1234.56', 'Ava Thompson'],
      ['3', 'planned', '2000.00', 'Liam Patel'],
      ['4', 'planned', '222.22', 'Sofia García'],
      ['5', 'total', '$3,456.78', 'Total'],
    ]);
    expect(planned[3]!.errorMessage).to.equal('total row: 3456.78, matches the sum of the 3 rows above');
    const plan = JSON.parse(await readFile(join(out, 'sheet', 'plan.json'), 'utf8'));
    expect(plan.rows).to.equal(3);
    expect(plan.byStatus.planned).to.deep.equal({ count: 3, total: '3456.78' });
    expect(plan.totalRow).to.deep.equal({ row: 5, amount: '3456.78' });

    const run = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const results = await readCsvRows(join(out, 'sheet', 'results.csv'));
    expect(results.map((x) => [x.row, x.status, x.amount])).to.deep.equal([
      ['2', 'created', '1234.56'],
      ['3', 'created', '2000.00'],
      ['4', 'created', '222.22'],
      ['5', 'total', '$3,456.78'],
    ]);
    expect(results[3]!.transferUrl).to.equal('');
    expect(results[3]!.idempotencyKey).to.equal('');
    const summary = JSON.parse(await readFile(join(out, 'sheet', 'summary.json'), 'utf8'));
    expect(summary.exitCode).to.equal(0);
    expect(summary.thisRun.sent).to.equal(3);
    expect(summary.byStatus.created).to.deep.equal({ count: 3, total: '3456.78' });

    const again = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(again.stdout).to.contain('Nothing to send: all 3 rows were created by earlier runs.');
  });

  it('a decimal comma (1.234,56) exits 1 with the hint in errorMessage; the Total then does not match', async () => {
    const file = await writeCsv(dir, 'eu.csv', sheetExport(['1.234,56', '$2,000.00', '$222.22'], '$3,456.78'));
    const out = join(dir, 'out');
    const r = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const results = await readCsvRows(join(out, 'eu', 'results.csv'));
    expect(results.map((x) => [x.status, x.amount])).to.deep.equal([
      ['invalid', '1.234,56'],
      ['created', '2000.00'],
      ['created', '222.22'],
      ['invalid', '$3,456.78'],
    ]);
    expect(results[0]!.errorMessage).to.equal(
      "amount: '1.234,56' looks like a decimal comma; write 1234.56 (a comma may only group thousands, as in 1,234.56)",
    );
    expect(results[3]!.errorMessage).to.equal(
      'total row says 3456.78 but the 2 rows above sum to 2222.22: a row may be missing or changed (1 row above has an amount that cannot be read)',
    );
  });

  it('a total row that is not the sum of the rows above exits 1 (dry run and run), naming both sums', async () => {
    const file = await writeCsv(dir, 'short.csv', sheetExport(AMOUNTS, '$3,556.78'));
    const out = join(dir, 'out');
    const message = 'total row says 3556.78 but the 3 rows above sum to 3456.78: a row may be missing or changed';
    const dry = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(dry.code, dry.stdout + dry.stderr).to.equal(1);
    const planned = await readCsvRows(join(out, 'short', 'plan.csv'));
    expect(planned.map((x) => x.status)).to.deep.equal(['planned', 'planned', 'planned', 'invalid']);
    expect(planned[3]!.errorMessage).to.equal(message);

    const run = await runCli(['run', file, '--out', out, '--log-level', 'warn']);
    expect(run.code, run.stdout + run.stderr).to.equal(1);
    const results = await readCsvRows(join(out, 'short', 'results.csv'));
    expect(results.map((x) => [x.status, x.amount, x.errorMessage])).to.deep.equal([
      ['created', '1234.56', ''],
      ['created', '2000.00', ''],
      ['created', '222.22', ''],
      ['invalid', '$3,556.78', message],
    ]);
  });

  it('--max-amount takes a spreadsheet amount too', async () => {
    const file = await writeCsv(dir, 'big.csv', sheetExport(['$12,000.00', '$1.00', '$2.00'], '$12,003.00'));
    const out = join(dir, 'out');
    const refused = await runCli(['run', file, '--dry-run', '--out', out]);
    expect(refused.code).to.equal(1);
    const allowed = await runCli(['run', file, '--dry-run', '--out', out, '--max-amount', '$20,000.00']);
    expect(allowed.code, allowed.stdout + allowed.stderr).to.equal(0);
  });
});
