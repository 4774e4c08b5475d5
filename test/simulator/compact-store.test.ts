/**
 * The simulator keeps its transfers compactly (columns of packed UUIDs, float64 cents, request
 * extras as JSON text; src/simulator/leg-table.ts). This reads every field of an edge-case set of
 * transfers back through every view — GET /transfers/{id}, the account's and the customer's lists
 * (with and without correlationId), GET /transfers/{id}/fees, GET /transfers/{id}/failure, the
 * admin view and idempotent replays — before and after they settle, fail and are cancelled, and
 * checks each against what was sent and each view against the others.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { call, fsUrl, idOfLocation, Session } from './helpers.js';

const START = new Date('2025-03-04T15:00:00Z'); // a Tuesday, 9:00 CT: every transfer is cancellable until 16:00 CT
const MAX_SAFE_CENTS = '90071992547409.91'; // 2^53 - 1 cents
const HUGE = '99999999999999999999999.99';
const UPPER_F = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF';

type Status = 'pending' | 'processed' | 'failed' | 'cancelled';

/** What one case sends, and what it must end as after the settlement phase. */
interface Case {
  name: string;
  /** 'bank': a payee bank used as the source; else a funding-source id. */
  source: 'bank' | string;
  destination?: string;
  amount: string;
  key?: string;
  correlationId?: string;
  metadata?: Record<string, unknown>;
  clearing?: { source?: string; destination?: string };
  addenda?: { source?: string; destination?: string };
  fees?: string[];
  /** What the settlement phase does to it first. */
  action?: 'cancel' | 'stage R02 on funding';
  after: { created: Status; funded?: Status; fees?: Status; failure?: { code: string; on: 'source' | 'destination' } };
}

const metadataOfEveryKind = {
  ...JSON.parse('{"__proto__": "an own key"}'),
  '2': 'two',
  '1': 'one',
  note: 'Zoë ✓ 東京 🙂',
  n: 5,
  ok: true,
  [`k${'e'.repeat(253)}`]: 'v'.repeat(254),
  empty: '',
};

const CASES: Case[] = [
  {
    name: 'the least amount, nothing optional',
    source: SIMULATOR.defaultSourceId,
    amount: '0.01',
    after: { created: 'processed' },
  },
  {
    name: 'UUID key and correlationId, Same Day destination, addenda both sides',
    source: SIMULATOR.defaultSourceId,
    amount: '12.34',
    key: randomUUID(),
    correlationId: randomUUID(),
    clearing: { destination: 'next-available' },
    addenda: { source: 'SRC ADDENDA', destination: "dest: ok (1/2) *~!@&=+$,?%#[]'" },
    after: { created: 'processed' },
  },
  {
    name: 'upper-case UUID key and correlationId, empty metadata',
    source: SIMULATOR.defaultSourceId,
    amount: '1.00',
    key: randomUUID().toUpperCase(),
    correlationId: randomUUID().toUpperCase(),
    metadata: {},
    after: { created: 'processed' },
  },
  {
    name: 'duplicate correlationId, first',
    source: SIMULATOR.defaultSourceId,
    amount: '2.00',
    correlationId: 'dup.1',
    after: { created: 'processed' },
  },
  {
    name: 'a chain with metadata of every kind and a fee, a text key',
    source: 'bank',
    amount: '250.00',
    key: 'payout 2025-03-04 #1',
    correlationId: 'a.B_c-9',
    metadata: metadataOfEveryKind,
    fees: ['0.01'],
    after: { created: 'processed', funded: 'processed', fees: 'processed' },
  },
  {
    name: 'duplicate correlationId, second',
    source: SIMULATOR.defaultSourceId,
    amount: '3.00',
    correlationId: 'dup.1',
    after: { created: 'processed' },
  },
  {
    name: 'a chain with 3 fees, Same Day both sides, source addenda, the longest correlationId, a long key',
    source: 'bank',
    amount: '1000.00',
    key: `k-${'x'.repeat(300)}`,
    correlationId: 'c'.repeat(255),
    clearing: { source: 'next-available', destination: 'next-available' },
    addenda: { source: 'ONLY SOURCE' },
    fees: ['1.00', '2.50', '0.03'],
    after: { created: 'processed', funded: 'processed', fees: 'processed' },
  },
  {
    name: '2^53 - 1 cents',
    source: 'bank',
    amount: MAX_SAFE_CENTS,
    correlationId: 'dup.1',
    after: { created: 'processed', funded: 'processed' },
  },
  {
    name: '2^53 + 1 cents, the first amount a float64 cannot hold',
    source: 'bank',
    amount: '90071992547409.93',
    fees: ['0.01'],
    after: { created: 'processed', funded: 'processed', fees: 'processed' },
  },
  {
    name: 'beyond 2^53 cents, with a fee beyond it too',
    source: 'bank',
    amount: HUGE,
    fees: ['40000000000000000000000.01'],
    clearing: { source: 'standard' },
    after: { created: 'processed', funded: 'processed', fees: 'processed' },
  },
  {
    name: "a bank to the account's balance: one leg",
    source: 'bank',
    destination: SIMULATOR.defaultSourceId,
    amount: '5.00',
    clearing: {},
    after: { created: 'processed' },
  },
  {
    name: 'to the nil UUID',
    source: SIMULATOR.defaultSourceId,
    destination: '00000000-0000-0000-0000-000000000000',
    amount: '4.00',
    after: { created: 'processed' },
  },
  {
    name: 'to the all-f UUID, written upper-case',
    source: 'bank',
    destination: UPPER_F,
    amount: '6.00',
    after: { created: 'processed', funded: 'processed' },
  },
  {
    name: 'a chain to an R01 bank: leg 2 fails, its fee with it',
    source: 'bank',
    destination: SPECIAL_IDS.r01Bank,
    amount: '7.00',
    fees: ['0.50'],
    after: { created: 'processed', funded: 'failed', fees: 'failed', failure: { code: 'R01', on: 'destination' } },
  },
  {
    name: 'a chain with R02 staged on leg 1: leg 2 and the fee are cancelled',
    source: 'bank',
    amount: '8.00',
    fees: ['0.10'],
    action: 'stage R02 on funding',
    after: { created: 'failed', funded: 'cancelled', fees: 'cancelled', failure: { code: 'R02', on: 'source' } },
  },
  {
    name: 'from the balance to an R03 bank',
    source: SIMULATOR.defaultSourceId,
    destination: SPECIAL_IDS.r03Bank,
    amount: '9.00',
    after: { created: 'failed', failure: { code: 'R03', on: 'destination' } },
  },
  {
    name: 'a chain with a fee, cancelled',
    source: 'bank',
    amount: '10.00',
    fees: ['0.20'],
    action: 'cancel',
    after: { created: 'cancelled', funded: 'cancelled', fees: 'cancelled' },
  },
];

/** A created case: its ids, ends and the instants around its creation. */
interface Made {
  c: Case;
  id: string;
  sourceId: string;
  destinationId: string;
  fundedId?: string;
  feeIds: string[];
  createdFrom: number;
  createdTo: number;
}

describe('simulator: the compact store reads every field back', () => {
  let sim: SimulatorHandle;
  let api: Session;
  /** The payee bank used as a source, and its customer (whom fees are charged to). */
  const bank = randomUUID();
  let bankCustomer = '';
  const made: Made[] = [];

  const customerUrl = (id: string) => `${sim.url}/customers/${id}`;
  const get = async (path: string) => {
    const r = await api.get(path);
    expect(r.status, `GET ${path}`).to.equal(200);
    return r.body;
  };
  const ownerHref = async (fsId: string) => {
    const links = (await get(`/funding-sources/${fsId}`))._links;
    return (links.customer ?? links.account).href as string;
  };

  function bodyOf(c: Case, sourceId: string, destinationId: string) {
    return {
      _links: { source: { href: fsUrl(sim.url, sourceId) }, destination: { href: fsUrl(sim.url, destinationId) } },
      amount: { value: c.amount, currency: 'USD' },
      ...(c.correlationId !== undefined ? { correlationId: c.correlationId } : {}),
      ...(c.metadata !== undefined ? { metadata: c.metadata } : {}),
      ...(c.clearing !== undefined ? { clearing: c.clearing } : {}),
      ...(c.addenda !== undefined
        ? {
            achDetails: Object.fromEntries(
              Object.entries(c.addenda).map(([side, value]) => [side, { addenda: { values: [value] } }]),
            ),
          }
        : {}),
      ...(c.fees !== undefined
        ? {
            fees: c.fees.map((value) => ({
              _links: { 'charge-to': { href: customerUrl(bankCustomer) } },
              amount: { value, currency: 'USD' },
            })),
          }
        : {}),
    };
  }

  async function create(c: Case): Promise<Made> {
    const sourceId = c.source === 'bank' ? bank : c.source;
    const destinationId = c.destination ?? randomUUID();
    const createdFrom = sim.now().getTime();
    const r = await api.createTransfer(bodyOf(c, sourceId, destinationId), c.key);
    expect(r.status, `${c.name}: ${JSON.stringify(r.body)}`).to.equal(201);
    const id = idOfLocation(r.headers.get('location'));
    const t = await get(`/transfers/${id}`);
    const fundedHref: string | undefined = t._links['funded-transfer']?.href;
    const fees = c.fees ? (await get(`/transfers/${id}/fees`)).transactions : [];
    return {
      c,
      id,
      sourceId: sourceId.toLowerCase(),
      destinationId: destinationId.toLowerCase(),
      fundedId: fundedHref === undefined ? undefined : idOfLocation(fundedHref),
      feeIds: fees.map((f: { id: string }) => f.id),
      createdFrom,
      createdTo: sim.now().getTime(),
    };
  }

  /** Every leg, in creation order: each created transfer, its leg 2, its fee transfers. */
  const legsInOrder = () => made.flatMap((m) => [m.id, ...(m.fundedId ? [m.fundedId] : []), ...m.feeIds]);

  function expectedClearing(m: Made) {
    const bankSource = m.c.source === 'bank';
    return {
      source: bankSource && m.c.clearing?.source === 'next-available' ? 'same-day' : 'standard',
      destination: m.c.clearing?.destination === 'next-available' ? 'same-day' : 'standard',
    };
  }

  async function checkCreated(m: Made, status: Status) {
    const { c } = m;
    const t = await get(`/transfers/${m.id}`);
    const what = `${c.name}: GET /transfers/{id}`;
    expect(t.id, what).to.equal(m.id);
    expect(t.status, what).to.equal(status);
    expect(t.amount, what).to.deep.equal({ value: c.amount, currency: 'USD' });
    expect(Date.parse(t.created), what).to.be.within(m.createdFrom - 1, m.createdTo);
    expect(t.clearing, what).to.deep.equal(expectedClearing(m));
    const metadata = c.metadata && Object.fromEntries(Object.entries(c.metadata).map(([k, v]) => [k, String(v)]));
    expect(JSON.stringify(t.metadata), `${what} metadata, in order`).to.equal(JSON.stringify(metadata));
    expect(t.correlationId, what).to.equal(c.correlationId);
    const addenda = (side: 'source' | 'destination') => t.achDetails?.[side]?.addenda.values[0];
    expect([addenda('source'), addenda('destination')], what).to.deep.equal([
      c.addenda?.source,
      c.addenda?.destination,
    ]);
    const links = t._links;
    expect(links['source-funding-source'].href, what).to.equal(fsUrl(sim.url, m.sourceId));
    expect(links['destination-funding-source'].href, what).to.equal(fsUrl(sim.url, m.destinationId));
    expect(links.source.href, what).to.equal(await ownerHref(m.sourceId));
    expect(links.destination.href, what).to.equal(await ownerHref(m.destinationId));
    expect(links['funded-transfer']?.href, what).to.equal(m.fundedId && `${sim.url}/transfers/${m.fundedId}`);
    expect(links.fees?.href, what).to.equal(c.fees ? `${sim.url}/transfers/${m.id}/fees` : undefined);
    expect(links.cancel !== undefined, `${what} cancel link`).to.equal(status === 'pending');
    return t;
  }

  async function checkFunded(m: Made, status: Status) {
    const what = `${m.c.name}: leg 2`;
    const t = await get(`/transfers/${m.fundedId}`);
    expect(t).to.deep.include({ id: m.fundedId, status, amount: { value: m.c.amount, currency: 'USD' } });
    expect(t.clearing, what).to.deep.equal({ destination: expectedClearing(m).destination });
    expect(t._links['funding-transfer'].href, what).to.equal(`${sim.url}/transfers/${m.id}`);
    expect(t._links['source-funding-source'].href, what).to.equal(fsUrl(sim.url, SIMULATOR.defaultSourceId));
    expect(t._links['destination-funding-source'].href, what).to.equal(fsUrl(sim.url, m.destinationId));
    expect(t._links.source.href, what).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
  }

  async function checkFees(m: Made, status: Status | undefined) {
    const list = await get(`/transfers/${m.id}/fees`);
    expect(list.total).to.equal(m.feeIds.length);
    for (const [i, fee] of list.transactions.entries()) {
      expect(fee, `${m.c.name}: fee ${i}`).to.deep.equal(await get(`/transfers/${m.feeIds[i]}`));
      expect(fee).to.deep.include({ status, amount: { value: m.c.fees?.[i], currency: 'USD' } });
      expect(fee._links.source.href).to.equal(customerUrl(bankCustomer));
      expect(fee._links['created-from-transfer'].href).to.equal(`${sim.url}/transfers/${m.id}`);
    }
  }

  async function checkAdmin(m: Made, t: Record<string, unknown>) {
    const all = (await call(`${sim.url}/__simulator/transfers`)).body as Array<Record<string, unknown>>;
    const { idempotencyKey, fees, feeTransfers, fundedTransfer, ...dwolla } = all[made.indexOf(m)]!;
    expect(dwolla, `${m.c.name}: the admin view shows what GET /transfers/{id} shows`).to.deep.equal(t);
    expect(idempotencyKey).to.equal(m.c.key);
    const sentFees = m.c.fees?.map((value) => [customerUrl(bankCustomer), value]);
    const feeRefs = fees as Array<{ _links: { 'charge-to': { href: string } }; amount: { value: string } }> | undefined;
    expect(feeRefs?.map((f) => [f._links['charge-to'].href, f.amount.value])).to.deep.equal(sentFees);
    expect((feeTransfers as Array<{ id: string }> | undefined)?.map((f) => f.id)).to.deep.equal(
      m.c.fees ? m.feeIds : undefined,
    );
    expect((fundedTransfer as { id: string } | undefined)?.id).to.equal(m.fundedId);
  }

  async function checkFailure(legId: string, m: Made) {
    const expected = m.c.after.failure!;
    const r = await get(`/transfers/${legId}/failure`);
    expect(r.code, m.c.name).to.equal(expected.code);
    const struck = expected.on === 'source' ? m.sourceId : m.destinationId;
    expect(r._links['failed-funding-source'].href, m.c.name).to.equal(fsUrl(sim.url, struck));
  }

  /** The list at `path` (one page): its ids, each item exactly what GET /transfers/{id} shows. */
  async function listed(path: string): Promise<string[]> {
    const items = (await get(path))._embedded.transfers as Array<{ id: string }>;
    for (const item of items) {
      expect(item, `${path}: ${item.id}`).to.deep.equal(await get(`/transfers/${item.id}`));
    }
    return items.map((item) => item.id);
  }

  async function checkLists(): Promise<void> {
    const newestFirst = legsInOrder().reverse();
    const customerLegs = new Set(made.flatMap((m) => [...(m.c.source === 'bank' ? [m.id] : []), ...m.feeIds]));
    const accountLegs = new Set(
      made.flatMap((m) => [
        ...(m.c.source !== 'bank' || m.destinationId === SIMULATOR.defaultSourceId ? [m.id] : []),
        ...(m.fundedId ? [m.fundedId] : []),
        ...m.feeIds,
      ]),
    );
    const account = `/accounts/${SIMULATOR.accountId}/transfers`;
    const customer = `/customers/${bankCustomer}/transfers`;
    expect(await listed(`${account}?limit=200`)).to.deep.equal(newestFirst.filter((id) => accountLegs.has(id)));
    expect(await listed(`${customer}?limit=200`)).to.deep.equal(newestFirst.filter((id) => customerLegs.has(id)));
    for (const correlationId of new Set(made.map((m) => m.c.correlationId))) {
      if (correlationId === undefined) {
        continue;
      }
      const withIt = made.filter((m) => m.c.correlationId === correlationId).reverse();
      const q = `?correlationId=${encodeURIComponent(correlationId)}`;
      const fromBalance = withIt.filter((m) => m.c.source !== 'bank').map((m) => m.id);
      const fromBank = withIt.filter((m) => m.c.source === 'bank').map((m) => m.id);
      expect(await listed(`${account}${q}`), correlationId).to.deep.equal(fromBalance);
      expect(await listed(`${customer}${q}`), correlationId).to.deep.equal(fromBank);
    }
  }

  /** A failed transfer's failure, and its fees' when they failed with it. */
  async function checkFailures(m: Made): Promise<void> {
    const { after } = m.c;
    if (!after.failure) {
      return;
    }
    await checkFailure(after.created === 'failed' ? m.id : m.fundedId!, m);
    for (const feeId of after.fees === 'failed' ? m.feeIds : []) {
      expect((await get(`/transfers/${feeId}/failure`)).code, 'a fee fails with its leg').to.equal(after.failure.code);
    }
  }

  async function checkAll(phase: 'created' | 'settled'): Promise<void> {
    for (const m of made) {
      const after =
        phase === 'created'
          ? { created: 'pending' as const, funded: 'pending' as const, fees: 'pending' as const }
          : m.c.after;
      const t = await checkCreated(m, after.created);
      await checkAdmin(m, t);
      if (m.fundedId) {
        await checkFunded(m, after.funded ?? 'pending');
      }
      await checkFees(m, after.fees);
      if (phase === 'settled') {
        await checkFailures(m);
      }
    }
    await checkLists();
  }

  before(async () => {
    sim = await startSimulator({ startTime: START });
    api = await Session.open(sim.url);
    bankCustomer = (await ownerHref(bank)).split('/customers/')[1]!;
    for (const c of CASES) {
      made.push(await create(c));
    }
  });
  after(() => sim.close());

  it('every field of every transfer reads back as sent, the same through every view', async () => {
    expect(made.map((m) => m.fundedId !== undefined)).to.deep.equal(
      CASES.map((c) => c.source === 'bank' && c.destination !== SIMULATOR.defaultSourceId),
    );
    await checkAll('created');
  });

  it('a repeated Idempotency-Key answers its own transfer, whatever the key looks like', async () => {
    for (const m of made.filter((x) => x.c.key !== undefined)) {
      const r = await api.createTransfer(bodyOf(m.c, m.sourceId, m.destinationId), m.c.key);
      expect(r.status, m.c.name).to.equal(201);
      expect(r.headers.get('location'), m.c.name).to.equal(`${sim.url}/transfers/${m.id}`);
    }
    const stats = sim.stats();
    expect(stats.transfersCreated).to.equal(CASES.length);
    expect(stats.duplicatesByCorrelationId, 'dup.1 thrice').to.equal(2);
  });

  it('after settling, failing and cancelling: every status, failure and field reads back', async () => {
    for (const m of made) {
      if (m.c.action === 'cancel') {
        expect((await api.post(`/transfers/${m.id}`, { status: 'cancelled' })).status, m.c.name).to.equal(200);
      } else if (m.c.action === 'stage R02 on funding') {
        sim.stageReturn(m.id, 'funding', 'R02');
      }
    }
    const legs = made.map((m) => m.c).filter((c) => c.action !== 'cancel');
    expect(sim.simulate(), 'leg 1s and single legs').to.equal(legs.length);
    expect(sim.simulate(), 'the leg 2s').to.equal(
      legs.filter((c) => c.after.funded !== undefined && c.after.funded !== 'cancelled').length,
    );
    expect(sim.simulate()).to.equal(0);
    await checkAll('settled');
    expect((await get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).removed, 'R03 removes the bank').to.equal(true);
  });
});
