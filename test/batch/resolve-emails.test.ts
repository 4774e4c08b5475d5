/**
 * Payees by email (src/batch/resolve-emails.ts) against the simulator over real HTTP: each email
 * through the client (GET /customers?email=, then GET /customers/{id}/funding-sources?removed=false),
 * the messages that name candidates by name only, once per distinct email, and the rows as a batch
 * pays them: resolved, invalid, held for review or left pending; a row's intent wins.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { type IntentRecord, Journal, type OutcomeRecord, readJournal } from '../../src/batch/journal.js';
import { EmailDestinations, resolveEmail } from '../../src/batch/resolve-emails.js';
import { DwollaClient } from '../../src/dwolla/client.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { openPayeeCsv } from '../../src/input/csv-reader.js';
import type { InvalidRow, PlannedRow, ValidRow } from '../../src/plan/planner.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { removeDir, tempDir, UUIDS, writeCsv } from '../helpers.js';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const PLAN = { batchId: 'emails', allowDuplicates: false, defaultSourceId: UUIDS.source, maxAmountCents: 1_000_000 };
const NO_WAIT = { maxAttempts: 2, concurrency: 4, sleep: async () => undefined };

describe('payees by email: resolving destinationEmail through Dwolla', () => {
  let sim: SimulatorHandle;
  let client: DwollaClient;
  let dir: string;

  beforeEach(async () => {
    sim = await startSimulator({ port: 0 });
    client = new DwollaClient({ baseUrl: sim.url, key: SIMULATOR.key, secret: SIMULATOR.secret, timeoutMs: 5000 });
    dir = await tempDir('payouts-emails-');
  });
  afterEach(async () => {
    client.close();
    await sim.close();
    await removeDir(dir);
  });

  /** The simulator's one verified bank of an email (as the client sees it). */
  async function bankOf(email: string): Promise<string> {
    const [customer] = await client.findCustomersByEmail(email);
    const [bank] = await client.listCustomerFundingSources(customer!._links.self!.href, { removed: false });
    return bank!.id;
  }

  it('client: findCustomersByEmail and listCustomerFundingSources({removed: false})', async () => {
    const [pat] = await client.findCustomersByEmail('pat.lee@example.com');
    expect(pat).to.include({ firstName: 'Pat', lastName: 'Lee', email: 'pat.lee@example.com' });
    expect(await client.findCustomersByEmail('nobody@example.com')).to.deep.equal([]);
    const [removed] = await client.findCustomersByEmail('removed@example.com');
    expect(await client.listCustomerFundingSources(removed!.id)).to.have.length(1);
    expect(await client.listCustomerFundingSources(removed!.id, { removed: false })).to.deep.equal([]);
    // Never outside the API it was made for.
    let refused: unknown;
    try {
      await client.listCustomerFundingSources('https://elsewhere.example/customers/x');
    } catch (err) {
      refused = err;
    }
    expect((refused as { code?: string }).code).to.equal('ForeignUrl');
  });

  it('exactly one customer with exactly one verified bank: that bank', async () => {
    const r = await resolveEmail(client, 'pat.lee@example.com', NO_WAIT);
    expect(r).to.deep.equal({ kind: 'found', destinationId: await bankOf('pat.lee@example.com') });
  });

  it('none, several customers, several or no verified banks: invalid, naming candidates by name, never by id', async () => {
    const cases: Array<[string, string]> = [
      [
        'nobody@example.com',
        'destinationEmail nobody@example.com: no Dwolla customer has this email; add the payee at Dwolla, or use the destination column',
      ],
      [
        'twobanks@example.com',
        'destinationEmail twobanks@example.com: 2 verified banks for Twobanks (Checking, Savings); use the destination column',
      ],
      [
        'twins@example.com',
        'destinationEmail twins@example.com: 2 Dwolla customers have this email (Twins, Twins); use the destination column',
      ],
      [
        'unverified@example.com',
        'destinationEmail unverified@example.com: Unverified has no verified bank (Checking: unverified); verify one at Dwolla, or use the destination column',
      ],
      [
        'removed@example.com',
        'destinationEmail removed@example.com: Removed has no verified bank; verify one at Dwolla, or use the destination column',
      ],
    ];
    for (const [email, message] of cases) {
      const r = await resolveEmail(client, email, NO_WAIT);
      expect(r, email).to.deep.equal({ kind: 'invalid', message });
      expect(message).to.not.match(UUID_RE);
    }
  });

  it('an API that cannot be reached: failed (pending), after the retries, with why', async () => {
    await sim.close();
    const r = await resolveEmail(client, 'pat@example.com', NO_WAIT);
    expect(r.kind).to.equal('failed');
    expect(r.kind === 'failed' && r.message).to.match(
      /^destinationEmail pat@example\.com: could not be looked up at Dwolla \(.+\); run the same command again$/,
    );
  });

  /** Journals records for a batch and returns its state. */
  async function stateWith(records: Array<IntentRecord | OutcomeRecord>) {
    const path = join(dir, 'journal.jsonl');
    const journal = await Journal.open(path);
    for (const r of records) {
      await journal.append(r);
    }
    await journal.close();
    return readJournal(path);
  }

  /** The rows of `csv` as a batch with `state` pays them, resolved through the simulator. */
  async function resolvedRows(csv: string, state: Awaited<ReturnType<typeof stateWith>>): Promise<PlannedRow[]> {
    const file = await writeCsv(dir, 'payees.csv', csv);
    const s = { file, delimiter: undefined, columns: [] };
    const emails = await EmailDestinations.resolve(s, PLAN, state, {
      client: async () => client,
      opts: NO_WAIT,
      log: { info: () => undefined } as never,
      sending: true,
    });
    const opened = await openPayeeCsv(file);
    const rows: PlannedRow[] = [];
    for await (const row of emails.planner(opened.header, PLAN).rows(opened.batches)) {
      rows.push(row);
    }
    return rows;
  }

  it('a batch: each distinct email resolved once; rows get the bank (key unchanged) or are invalid', async () => {
    const csv = [
      'name,destinationEmail,amount,destination',
      'Pat,pat.lee@example.com,10.00,',
      'Pat again,PAT.LEE@example.com ,20.00,',
      'Nobody,nobody@example.com,5.00,',
      'Two banks,twobanks@example.com,7.00,',
      `Both columns,someone@example.com,8.00,${UUIDS.a}`,
      '',
    ].join('\n');
    const rows = await resolvedRows(csv, await readJournal(''));
    const bank = await bankOf('pat.lee@example.com');
    const before = sim.stats();
    const [pat, patAgain, nobody, two, both] = rows as [ValidRow, ValidRow, InvalidRow, InvalidRow, ValidRow];
    expect([pat.status, patAgain.status, nobody.status, two.status, both.status]).to.deep.equal([
      'valid',
      'valid',
      'invalid',
      'invalid',
      'valid',
    ]);
    expect(pat.payment.destinationId).to.equal(bank);
    expect(pat.given.destination).to.equal(bank);
    expect(patAgain.payment.destinationId).to.equal(bank);
    expect(pat.payment.destinationEmail).to.equal('pat.lee@example.com');
    // The keys are the email identity's, as planned without a network.
    const offline = await openPayeeCsv(join(dir, 'payees.csv'));
    const planned: PlannedRow[] = [];
    for await (const r of EmailDestinations.offline(await readJournal(''))
      .planner(offline.header, PLAN)
      .rows(offline.batches)) {
      planned.push(r);
    }
    expect([pat.key, patAgain.key]).to.deep.equal([(planned[0] as ValidRow).key, (planned[1] as ValidRow).key]);
    expect(nobody.errors).to.deep.equal([
      'destinationEmail nobody@example.com: no Dwolla customer has this email; add the payee at Dwolla, or use the destination column',
    ]);
    expect(two.errors[0]).to.contain('2 verified banks for Twobanks (Checking, Savings)');
    // Both columns: the destination is paid, the email only carried; it is never looked up.
    expect(both.payment.destinationId).to.equal(UUIDS.a);
    expect(both.payment.destinationEmail).to.equal(undefined);
    // Three distinct emails to look up (pat twice, someone@ never): three searches, two bank lists
    // (nobody has no customer) — counted before bankOf's own calls above.
    expect(before.customerSearches - 1).to.equal(3);
    expect(before.customerFundingSourceLists - 1).to.equal(2);
  });

  it("a row with an intent keeps the intent's destination; held for review when the email now resolves elsewhere, unless created", async () => {
    const csv = [
      'destinationEmail,amount',
      'pat@example.com,10.00',
      'pat@example.com,20.00',
      'pat@example.com,30.00',
      '',
    ].join('\n');
    const first = await resolvedRows(csv, await readJournal(''));
    const keys = first.map((r) => (r as ValidRow).key);
    const bank = await bankOf('pat@example.com');
    const at = '2026-01-05T15:00:00.000Z';
    const intent = (key: string, row: number, destination: string, amountCents: number): IntentRecord => ({
      type: 'intent',
      at,
      key,
      row,
      correlationId: key,
      destination,
      amountCents,
      source: UUIDS.source,
    });
    const state = await stateWith([
      // Row 2 was sent to the bank the email resolves to; row 3 to an older bank (outcome unknown);
      // row 4 to an older bank, and created.
      intent(keys[0]!, 2, bank, 1000),
      intent(keys[1]!, 3, UUIDS.b, 2000),
      intent(keys[2]!, 4, UUIDS.c, 3000),
      { type: 'outcome', at, key: keys[2]!, row: 4, status: 'created', attempts: 1, transferId: 't' } as OutcomeRecord,
    ]);
    const [same, moved, paid] = (await resolvedRows(csv, state)) as ValidRow[];
    expect([same!.payment.destinationId, same!.hold]).to.deep.equal([bank, undefined]);
    expect(moved!.payment.destinationId).to.equal(UUIDS.b);
    expect(moved!.given.destination).to.equal(UUIDS.b);
    expect(moved!.hold?.status).to.equal('review');
    expect(moved!.hold?.reason).to.match(/^destinationEmail pat@example\.com now resolves to another bank than /);
    expect([paid!.payment.destinationId, paid!.hold]).to.deep.equal([UUIDS.c, undefined]);
    expect(moved!.key).to.equal(keys[1]);
  });

  it('emails whose rows were all created earlier are not looked up at all', async () => {
    const csv = ['destinationEmail,amount', 'pat@example.com,10.00', ''].join('\n');
    const [row] = (await resolvedRows(csv, await readJournal(''))) as ValidRow[];
    const searches = sim.stats().customerSearches;
    const at = '2026-01-05T15:00:00.000Z';
    const state = await stateWith([
      {
        type: 'intent',
        at,
        key: row!.key,
        row: 2,
        correlationId: row!.key,
        destination: UUIDS.a,
        amountCents: 1000,
        source: UUIDS.source,
      },
      { type: 'outcome', at, key: row!.key, row: 2, status: 'created', attempts: 1, transferId: 't' } as OutcomeRecord,
    ]);
    const [again] = (await resolvedRows(csv, state)) as ValidRow[];
    expect(sim.stats().customerSearches).to.equal(searches);
    expect(again!.payment.destinationId).to.equal(UUIDS.a);
  });

  it('offline (a dry run without an API): rows keep their email identity, resolved when sent', async () => {
    const file = await writeCsv(dir, 'offline.csv', 'destinationEmail,amount\nPat@Example.com,10.00\n');
    const opened = await openPayeeCsv(file);
    const rows: PlannedRow[] = [];
    for await (const r of EmailDestinations.offline(await readJournal(''))
      .planner(opened.header, PLAN)
      .rows(opened.batches)) {
      rows.push(r);
    }
    const [row] = rows as ValidRow[];
    expect(row!.payment.destinationId).to.equal('email:pat@example.com');
    expect(row!.given.destination).to.equal('');
    expect(sim.stats().customerSearches).to.equal(0);
  });
});
