import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Ledger } from '../../../src/batch/ledger.js';
import { accountState, apiIdentity } from '../../../src/batch/state-dir.js';
import { SIMULATOR } from '../../../src/dwolla/types.js';
import { type CliResult, type CsvRow, ROOT, removeDir, runCli, tempDir, UUIDS } from '../../helpers.js';

const COLUMNS = [
  'firstIntentAt',
  'settledAt',
  'status',
  'batchId',
  'row',
  'paymentId',
  'destination',
  'amount',
  'transferId',
  'transferUrl',
  'via',
  'correlationId',
  'account',
];

const SAMPLES = join(ROOT, 'samples/payees.csv');

/** One ledger entry as a test writes it: an intent at `at`, then (unless `open`) a created outcome. */
interface Entry {
  batchId: string;
  key: string;
  at: string;
  paymentId?: string;
  destination?: string;
  amountCents?: number;
  open?: boolean;
}

/** The embedded simulator's ledger of `account` in this test's PAYOUTS_HOME. */
function simulatorLedger(account: string = SIMULATOR.accountId): string {
  const home = process.env.PAYOUTS_HOME!;
  return accountState(home, apiIdentity({ env: 'simulator', apiUrl: undefined }), account).ledger;
}

async function writeLedger(path: string, entries: Entry[]): Promise<void> {
  const ledger = Ledger.open(path);
  try {
    for (const [i, e] of entries.entries()) {
      const payment = {
        batchId: e.batchId,
        key: e.key,
        row: i + 2,
        destination: e.destination ?? UUIDS.a,
        amountCents: e.amountCents ?? 10_000 + i,
        correlationId: `corr-${e.key}`,
        source: UUIDS.source,
        ...(e.paymentId === undefined ? {} : { paymentId: e.paymentId }),
      };
      await ledger.recordIntent({ ...payment, at: e.at });
      if (!e.open) {
        await ledger.recordOutcome({
          batchId: e.batchId,
          key: e.key,
          status: 'created',
          transferId: `transfer-${e.key}`,
          transferUrl: `https://api.example/transfers/transfer-${e.key}`,
          via: 'post',
          at: e.at,
        });
      }
    }
  } finally {
    ledger.close();
  }
}

/** stdout as CSV rows, after checking its header is exactly the history columns. */
function csvRows(r: CliResult): CsvRow[] {
  const records = parse(r.stdout) as string[][];
  expect(records[0], r.stdout).to.deep.equal(COLUMNS);
  return parse(r.stdout, { columns: true }) as CsvRow[];
}

describe('payouts history (built CLI, child process)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => removeDir(dir));

  async function runSamples(): Promise<void> {
    const r = await runCli(['run', SAMPLES, '--out', join(dir, 'out')]);
    expect(r.code, r.stderr).to.equal(0);
  }

  describe('after a real run of samples/payees.csv in the embedded simulator', () => {
    it('finds a payment by --payment-id: one row, created in batch payees, with its transfer', async () => {
      await runSamples();
      const r = await runCli(['history', '--payment-id', 'PAY-2026-11-0005']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('');
      const rows = csvRows(r);
      expect(rows).to.have.length(1);
      const row = rows[0]!;
      expect(row).to.include({
        status: 'created',
        batchId: 'payees',
        row: '6',
        paymentId: 'PAY-2026-11-0005',
        destination: '8d116ece-1738-47d9-bd9c-172411e20b8f',
        amount: '3100.00',
        via: 'post',
        account: SIMULATOR.accountId,
      });
      expect(row.transferId).to.match(/^[0-9a-f-]{36}$/);
      expect(row.transferUrl).to.match(new RegExp(`/transfers/${row.transferId}$`));
      expect(row.correlationId).to.match(/^[0-9a-f-]{36}$/);
      expect(row.firstIntentAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(row.settledAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('finds payments by --destination given as a funding-source URL (upper case) or as a UUID', async () => {
      await runSamples();
      const url = 'https://api-sandbox.dwolla.com/funding-sources/D23F0824-128B-4F33-8C5C-7FD0A6A3A450';
      const byUrl = await runCli(['history', '--destination', url]);
      expect(byUrl.code, byUrl.stderr).to.equal(0);
      const rows = csvRows(byUrl);
      expect(rows.map((x) => [x.paymentId, x.destination, x.amount])).to.deep.equal([
        ['PAY-2026-11-0001', 'd23f0824-128b-4f33-8c5c-7fd0a6a3a450', '1250.00'],
      ]);
      const byId = await runCli(['history', '--destination', '9531985d-5d9d-49f8-9818-e811892f902b']);
      expect(byId.code, byId.stderr).to.equal(0);
      expect(csvRows(byId).map((x) => x.paymentId)).to.deep.equal(['PAY-2026-11-0002']);
    });

    it('lists the whole batch newest first and says when --limit cuts it short', async () => {
      await runSamples();
      const all = await runCli(['history', '--batch', 'payees']);
      expect(all.code, all.stderr).to.equal(0);
      expect(all.stderr).to.equal('');
      const rows = csvRows(all);
      expect(rows).to.have.length(25);
      const times = rows.map((x) => x.firstIntentAt!);
      expect(times).to.deep.equal([...times].sort().reverse());
      expect(rows.every((x) => x.status === 'created' && x.batchId === 'payees')).to.equal(true);

      const some = await runCli(['history', '--limit', '2']);
      expect(some.code, some.stderr).to.equal(0);
      expect(csvRows(some)).to.deep.equal(rows.slice(0, 2));
      expect(some.stderr.trim()).to.equal('25 payments; showing the newest 2: use --limit to see more');
    });

    it('shows nothing of the simulator under --env sandbox, --env production or an --api-url', async () => {
      await runSamples();
      const simulator = await runCli(['history', '--payment-id', 'PAY-2026-11-0001']);
      expect(csvRows(simulator)).to.have.length(1);
      for (const api of [
        ['--env', 'sandbox'],
        ['--env', 'production'],
        ['--api-url', 'http://127.0.0.1:8787'],
      ]) {
        const r = await runCli(['history', '--payment-id', 'PAY-2026-11-0001', ...api]);
        expect(r.code, r.stderr).to.equal(0);
        expect(csvRows(r), api.join(' ')).to.have.length(0);
        expect(r.stderr).to.contain('no payments match');
      }
    });
  });

  describe('over a ledger written directly', () => {
    it('filters by --batch, newest first, and combines filters', async () => {
      await writeLedger(simulatorLedger(), [
        { batchId: 'october', key: 'k1', at: '2026-10-01T15:00:00.000Z', paymentId: 'P-1' },
        { batchId: 'november', key: 'k2', at: '2026-11-02T15:00:00.000Z', paymentId: 'P-2' },
        { batchId: 'october', key: 'k3', at: '2026-10-01T15:00:01.000Z', paymentId: 'P-3', destination: UUIDS.b },
        { batchId: 'november', key: 'k4', at: '2026-11-02T15:00:01.000Z', paymentId: 'P-1', open: true },
      ]);
      const october = await runCli(['history', '--batch', 'october']);
      expect(october.code, october.stderr).to.equal(0);
      expect(csvRows(october).map((x) => x.paymentId)).to.deep.equal(['P-3', 'P-1']);

      const both = await runCli(['history', '--payment-id', 'P-1']);
      expect(csvRows(both).map((x) => [x.batchId, x.status, x.transferId])).to.deep.equal([
        ['november', 'intent', ''],
        ['october', 'created', 'transfer-k1'],
      ]);

      const combined = await runCli(['history', '--batch', 'october', '--destination', UUIDS.a]);
      expect(csvRows(combined).map((x) => x.paymentId)).to.deep.equal(['P-1']);
    });

    it('reads --since YYYY-MM-DD as midnight Central Time, and an ISO-8601 time as that instant', async () => {
      // 2026-11-01 00:00 Central (CDT, UTC-5) is 05:00Z.
      await writeLedger(simulatorLedger(), [
        { batchId: 'b', key: 'before-utc-midnight', at: '2026-10-31T23:00:00.000Z' },
        { batchId: 'b', key: 'after-utc-midnight', at: '2026-11-01T03:00:00.000Z' },
        { batchId: 'b', key: 'just-before', at: '2026-11-01T04:59:59.999Z' },
        { batchId: 'b', key: 'at-midnight', at: '2026-11-01T05:00:00.000Z' },
        { batchId: 'b', key: 'later', at: '2026-11-20T18:00:00.000Z' },
      ]);
      const central = await runCli(['history', '--since', '2026-11-01']);
      expect(central.code, central.stderr).to.equal(0);
      expect(csvRows(central).map((x) => x.transferId)).to.deep.equal(['transfer-later', 'transfer-at-midnight']);

      const utc = await runCli(['history', '--since', '2026-11-01T00:00:00Z']);
      expect(utc.code, utc.stderr).to.equal(0);
      expect(csvRows(utc).map((x) => x.transferId)).to.deep.equal([
        'transfer-later',
        'transfer-at-midnight',
        'transfer-just-before',
        'transfer-after-utc-midnight',
      ]);

      const offset = await runCli(['history', '--since', '2026-11-20T12:00:00-06:00']);
      expect(csvRows(offset).map((x) => x.transferId)).to.deep.equal(['transfer-later']);
    });

    it('merges the ledgers of every account of the API, newest first, naming each account', async () => {
      const other = '11111111-2222-4333-8444-555555555555';
      await writeLedger(simulatorLedger(), [
        { batchId: 'b', key: 'one', at: '2026-11-02T10:00:00.000Z' },
        { batchId: 'b', key: 'three', at: '2026-11-04T10:00:00.000Z' },
      ]);
      await writeLedger(simulatorLedger(other), [{ batchId: 'b', key: 'two', at: '2026-11-03T10:00:00.000Z' }]);
      const r = await runCli(['history']);
      expect(r.code, r.stderr).to.equal(0);
      expect(csvRows(r).map((x) => [x.transferId, x.account])).to.deep.equal([
        ['transfer-three', SIMULATOR.accountId],
        ['transfer-two', other],
        ['transfer-one', SIMULATOR.accountId],
      ]);

      const limited = await runCli(['history', '--limit', '1']);
      expect(csvRows(limited).map((x) => x.transferId)).to.deep.equal(['transfer-three']);
      expect(limited.stderr.trim()).to.equal('3 payments; showing the newest 1: use --limit to see more');
    });

    it('guards cells against spreadsheet formula injection', async () => {
      await writeLedger(simulatorLedger(), [
        { batchId: 'b', key: 'k', at: '2026-11-02T10:00:00.000Z', paymentId: '=HYPERLINK("http://x")' },
      ]);
      const r = await runCli(['history']);
      expect(r.code, r.stderr).to.equal(0);
      expect(csvRows(r)[0]!.paymentId).to.equal('\'=HYPERLINK("http://x")');
    });

    it('exits 2 with a message for a damaged ledger', async () => {
      const path = simulatorLedger();
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'this is not an SQLite database, just some text long enough to have a header\n'.repeat(20));
      const r = await runCli(['history']);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.contain('ledger.db').and.contain('damaged');
    });
  });

  it('exits 0 with only the header when nothing matches, and says so on stderr', async () => {
    await writeLedger(simulatorLedger(), [{ batchId: 'b', key: 'k', at: '2026-11-02T10:00:00.000Z', paymentId: 'P' }]);
    const r = await runCli(['history', '--payment-id', 'NO-SUCH-PAYMENT']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`${COLUMNS.join(',')}\n`);
    expect(r.stderr).to.contain('no payments match');
  });

  it('never creates the state directory: exit 0 and the folder is still absent', async () => {
    const home = join(dir, 'no-such-home');
    const r = await runCli(['history', '--destination', UUIDS.a, '--since', '2026-11-01'], {
      env: { PAYOUTS_HOME: home },
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`${COLUMNS.join(',')}\n`);
    expect(r.stderr).to.contain('no payments match');
    expect(existsSync(home)).to.equal(false);

    const viaFlag = join(dir, 'no-such-state');
    const flagged = await runCli(['history', '--state', viaFlag, '--env', 'production']);
    expect(flagged.code, flagged.stderr).to.equal(0);
    expect(existsSync(viaFlag)).to.equal(false);
  });

  for (const [args, message] of [
    [['--destination', 'not-a-funding-source'], '--destination'],
    [['--destination', 'https://api.dwolla.com/customers/3f1c8a0e-5b6d-4e2f-9a7b-1c2d3e4f5a6b'], '--destination'],
    [['--since', 'yesterday'], '--since'],
    [['--since', '2026-02-30'], '--since'],
    [['--since', '11/01/2026'], '--since'],
    [['--limit', '0'], '--limit'],
    [['--limit', '100001'], '--limit'],
    [['--payment-id', ' '], '--payment-id'],
  ] as const) {
    it(`exits 2 for ${args.join(' ')}`, async () => {
      const r = await runCli(['history', ...args]);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.contain(message);
    });
  }
});
