import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { DAY_MS, idOfLocation, Session, transferBody } from './helpers.js';

const ACCOUNT_LIST = `/accounts/${SIMULATOR.accountId}/transfers`;

describe('simulator: list filters of GET /accounts/{id}/transfers and /customers/{id}/transfers', () => {
  let sim: SimulatorHandle;
  let api: Session;
  /** Transfer ids by name: a (Mar 4, 10.00), b (Mar 5, 20.00, R01 -> failed), c (Mar 6, 30.00, cancelled), d (Mar 6, 40.00). */
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    sim = await startSimulator({ startTime: new Date('2025-03-04T12:00:00Z') });
    api = await Session.open(sim.url);
    ids.a = await create({ amount: { value: '10.00', currency: 'USD' }, correlationId: 'run-1' });
    await nextDay();
    ids.b = await create({
      amount: { value: '20.00', currency: 'USD' },
      correlationId: 'run-1',
      destinationId: SPECIAL_IDS.r01Bank,
    });
    await nextDay();
    ids.c = await create({ amount: { value: '30.00', currency: 'USD' }, correlationId: 'run-2' });
    ids.d = await create({ amount: { value: '40.00', currency: 'USD' }, correlationId: 'run-2' });
    expect((await api.post(`/transfers/${ids.c}`, { status: 'cancelled' })).status).to.equal(200);
    sim.simulate(); // a and d processed, b failed (R01)
  });
  afterEach(() => sim.close());

  async function create(overrides: Parameters<typeof transferBody>[1]): Promise<string> {
    const r = await api.createTransfer(transferBody(sim.url, overrides));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return idOfLocation(r.headers.get('location'));
  }

  async function nextDay(): Promise<void> {
    sim.advanceClock(DAY_MS);
    await api.renew();
  }

  /** The names of the transfers listed, newest first. */
  async function listed(query: string): Promise<string[]> {
    const r = await api.get(`${ACCOUNT_LIST}?${query}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const names = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    expect(r.body.total).to.equal(r.body._embedded.transfers.length);
    return r.body._embedded.transfers.map((t: { id: string }) => names[t.id] ?? t.id);
  }

  it('startDate and endDate: UTC dates of `created`, both inclusive', async () => {
    expect(await listed('startDate=2025-03-05')).to.deep.equal(['d', 'c', 'b']);
    expect(await listed('endDate=2025-03-05')).to.deep.equal(['b', 'a']);
    expect(await listed('startDate=2025-03-05&endDate=2025-03-05')).to.deep.equal(['b']);
    expect(await listed('startDate=2025-03-07')).to.deep.equal([]);
    expect(await listed('startDate=2025-03-06&endDate=2025-03-04')).to.deep.equal([]);
  });

  it('startAmount and endAmount: both inclusive', async () => {
    expect(await listed('startAmount=20.00')).to.deep.equal(['d', 'c', 'b']);
    expect(await listed('endAmount=20')).to.deep.equal(['b', 'a']);
    expect(await listed('startAmount=20.5&endAmount=40.00')).to.deep.equal(['d', 'c']);
  });

  it('status and correlationId, alone and together', async () => {
    expect(await listed('status=processed')).to.deep.equal(['d', 'a']);
    expect(await listed('status=failed')).to.deep.equal(['b']);
    expect(await listed('status=cancelled')).to.deep.equal(['c']);
    expect(await listed('status=pending')).to.deep.equal([]);
    expect(await listed('correlationId=run-2')).to.deep.equal(['d', 'c']);
    expect(await listed('correlationId=run-1&status=processed')).to.deep.equal(['a']);
  });

  it('limit and offset page the filtered list; every page link keeps every filter given', async () => {
    const r = await api.get(`${ACCOUNT_LIST}?startDate=2025-03-04&endAmount=40.00&status=processed&limit=1&offset=1`);
    expect(r.status).to.equal(200);
    expect(r.body.total).to.equal(2);
    expect(r.body._embedded.transfers.map((t: { id: string }) => t.id)).to.deep.equal([ids.a]);
    for (const rel of ['self', 'first', 'last', 'prev']) {
      const q = new URL(r.body._links[rel].href).searchParams;
      expect([q.get('startDate'), q.get('endAmount'), q.get('status'), q.get('limit')], `${rel} link`).to.deep.equal([
        '2025-03-04',
        '40.00',
        'processed',
        '1',
      ]);
    }
    expect(new URL(r.body._links.prev.href).searchParams.get('offset')).to.equal('0');
    expect(r.body._links.next).to.equal(undefined);
  });

  it('a customer’s list takes the same filters', async () => {
    const destinationId = randomUUID();
    await create({ destinationId, amount: { value: '5.00', currency: 'USD' } });
    await create({ destinationId, amount: { value: '6.00', currency: 'USD' } });
    const customer = new URL((await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href).pathname;
    const r = await api.get(`${customer}/transfers?startAmount=5.50&startDate=2025-03-06`);
    expect(r.status).to.equal(200);
    expect(r.body._embedded.transfers.map((t: { amount: { value: string } }) => t.amount.value)).to.deep.equal([
      '6.00',
    ]);
    expect(new URL(r.body._links.self.href).searchParams.get('startAmount')).to.equal('5.50');
    expect((await api.get(`${customer}/transfers?status=nope`)).status).to.equal(400);
  });

  it('leg 2 of a chain and fee transfers are transfers of the account too; a correlationId finds only the created one', async () => {
    const destinationId = randomUUID();
    const customerHref = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href;
    const id = await create({
      sourceId: SPECIAL_IDS.accountBank,
      destinationId,
      correlationId: 'chain',
      amount: { value: '77.00', currency: 'USD' },
      fees: [{ _links: { 'charge-to': { href: customerHref } }, amount: { value: '1.00', currency: 'USD' } }],
    });
    const t = (await api.get(`/transfers/${id}`)).body;
    const leg2 = t._links['funded-transfer'].href.split('/transfers/')[1];
    const fee = (await api.get(`/transfers/${id}/fees`)).body.transactions[0].id;
    expect(await listed('startDate=2025-03-06&status=pending')).to.have.members([id, leg2, fee]);
    expect(await listed('correlationId=chain')).to.deep.equal([id]);
    const customer = new URL(customerHref).pathname;
    const ofCustomer = (await api.get(`${customer}/transfers`)).body._embedded.transfers.map(
      (x: { id: string }) => x.id,
    );
    expect(ofCustomer).to.have.members([id, leg2, fee]);
  });

  it('a malformed value is refused 400 ValidationError naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['startDate=2025-02-30', '/startDate'],
      ['endDate=03/04/2025', '/endDate'],
      ['startAmount=abc', '/startAmount'],
      ['endAmount=1.234', '/endAmount'],
      ['startAmount=-1', '/startAmount'],
      ['status=done', '/status'],
      ['limit=0', '/limit'],
      ['limit=ten', '/limit'],
      ['offset=-1', '/offset'],
    ];
    for (const [query, path] of cases) {
      const r = await api.get(`${ACCOUNT_LIST}?${query}`);
      expect(r.status, query).to.equal(400);
      expect(r.body.code, query).to.equal('ValidationError');
      expect(
        r.body._embedded.errors.map((e: { path: string }) => e.path),
        query,
      ).to.deep.equal([path]);
      expect(r.body._embedded.errors[0].message, query).to.contain(path.slice(1));
    }
    const two = await api.get(`${ACCOUNT_LIST}?startDate=x&status=y`);
    expect(two.body._embedded.errors.map((e: { path: string }) => e.path)).to.deep.equal(['/startDate', '/status']);
  });

  it('search is refused 400, saying the simulator does not model what it searches; never ignored', async () => {
    const r = await api.get(`${ACCOUNT_LIST}?search=alice`);
    expect(r.status).to.equal(400);
    expect(r.body.code).to.equal('ValidationError');
    expect(r.body._embedded.errors[0]).to.include({ path: '/search' });
    expect(r.body._embedded.errors[0].message).to.match(/not supported by the simulator/);
    expect(r.body._embedded.errors[0].message).to.match(/names, emails/);
  });
});
