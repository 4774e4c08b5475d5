import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import {
  type SimulatorHandle,
  SPECIAL_FUNDING_SOURCES,
  SPECIAL_IDS,
  startSimulator,
} from '../../src/simulator/index.js';
import { DAY_MS, fsUrl, idOfLocation, Session, transferBody } from './helpers.js';

describe('simulator: resources', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator({ startTime: new Date('2025-03-04T15:00:00Z'), processingMs: DAY_MS });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  /** Moves simulated time on; tokens expire with it, so the session takes a new one. */
  async function advance(ms: number): Promise<void> {
    sim.advanceClock(ms);
    await api.renew();
  }

  async function create(overrides: Parameters<typeof transferBody>[1] = {}): Promise<string> {
    const r = await api.createTransfer(transferBody(sim.url, overrides));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return idOfLocation(r.headers.get('location'));
  }

  it('GET / links to the account, which lists its transfers', async () => {
    const root = await api.get('/');
    expect(root.status).to.equal(200);
    expect(root.body._links.account.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
    const account = await api.get(`/accounts/${SIMULATOR.accountId}`);
    expect(account.body.id).to.equal(SIMULATOR.accountId);
    expect(account.body._links.transfers.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}/transfers`);
    expect((await api.get(`/accounts/${randomUUID()}`)).status).to.equal(404);
  });

  describe('funding sources', () => {
    it('the default source is the account’s verified balance', async () => {
      const r = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}`);
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ id: SIMULATOR.defaultSourceId, type: 'balance', status: 'verified', removed: false });
      expect(r.body._links.self.href).to.equal(fsUrl(sim.url, SIMULATOR.defaultSourceId));
      expect(r.body._links.account.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
    });

    it('any other UUID is a verified checking account of its own customer', async () => {
      const id = randomUUID();
      const r = await api.get(`/funding-sources/${id}`);
      expect(r.body).to.include({ id, type: 'bank', status: 'verified', removed: false, bankAccountType: 'checking' });
      expect(r.body._links.customer.href).to.match(new RegExp(`^${sim.url}/customers/[0-9a-f-]{36}$`));
      const again = await api.get(`/funding-sources/${id}`);
      expect(again.body._links.customer.href).to.equal(r.body._links.customer.href);
    });

    it('special ids: removed, unverified, R01 and R03 banks', async () => {
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.removedBank}`)).body.removed).to.equal(true);
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.unverifiedBank}`)).body.status).to.equal('unverified');
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r01Bank}`)).body.name).to.equal('R01');
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.name).to.equal('R03');
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.customerBalance}`)).body.type).to.equal('balance');
      expect(SPECIAL_FUNDING_SOURCES.map((s) => s.id)).to.include.members(Object.values(SPECIAL_IDS));
      for (const s of SPECIAL_FUNDING_SOURCES) {
        expect(s.behaviour).to.be.a('string').that.is.not.empty;
      }
    });

    it('a non-UUID id is 404 NotFound', async () => {
      const r = await api.get('/funding-sources/not-a-uuid');
      expect(r.status).to.equal(404);
      expect(r.body).to.deep.equal({ code: 'NotFound', message: 'The requested resource was not found.' });
    });
  });

  describe('transfers', () => {
    it('201 with an empty body and a Location on the simulator’s base URL', async () => {
      const r = await api.createTransfer(transferBody(sim.url));
      expect(r.status).to.equal(201);
      expect(r.body).to.equal(undefined);
      expect(r.headers.get('location')).to.match(new RegExp(`^${sim.url}/transfers/[0-9a-f-]{36}$`));
    });

    it('GET /transfers/{id}: a pending transfer with its links, amount, metadata, clearing, correlationId and created time', async () => {
      const destinationId = randomUUID();
      const id = await create({
        destinationId,
        amount: { value: '1234.5', currency: 'USD' },
        correlationId: 'corr-1',
        clearing: { destination: 'next-available' },
        achDetails: { destination: { addenda: { values: ['INV 1'] } } },
      });
      const r = await api.get(`/transfers/${id}`);
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.include({
        id,
        status: 'pending',
        amount: { value: '1234.50', currency: 'USD' },
        correlationId: 'corr-1',
        clearing: { source: 'standard', destination: 'same-day' },
      });
      const created = Date.parse(r.body.created);
      expect(created).to.be.within(Date.parse('2025-03-04T15:00:00Z'), sim.now().getTime());
      expect(r.body.achDetails.destination.addenda.values).to.deep.equal(['INV 1']);
      const links = r.body._links;
      expect(links.self.href).to.equal(`${sim.url}/transfers/${id}`);
      expect(links.source.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
      expect(links['source-funding-source'].href).to.equal(fsUrl(sim.url, SIMULATOR.defaultSourceId));
      expect(links['destination-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
      expect(links.destination.href).to.match(/\/customers\/[0-9a-f-]{36}$/);
      expect(links.cancel.href).to.equal(`${sim.url}/transfers/${id}`);
      expect(links.failure).to.equal(undefined);
    });

    it('unknown or malformed transfer ids are 404', async () => {
      expect((await api.get(`/transfers/${randomUUID()}`)).status).to.equal(404);
      expect((await api.get('/transfers/xyz')).status).to.equal(404);
    });

    it('settles as processed after processingMs of simulated time; no failure resource', async () => {
      const id = await create();
      await advance(DAY_MS - 1000);
      expect((await api.get(`/transfers/${id}`)).body.status).to.equal('pending');
      await advance(1000);
      const r = await api.get(`/transfers/${id}`);
      expect(r.body.status).to.equal('processed');
      expect(r.body._links.cancel).to.equal(undefined);
      expect((await api.get(`/transfers/${id}/failure`)).status).to.equal(404);
    });

    it('to the R01 bank: fails with R01 Insufficient Funds, with a failure link', async () => {
      const id = await create({ destinationId: SPECIAL_IDS.r01Bank });
      expect((await api.get(`/transfers/${id}/failure`)).status).to.equal(404);
      await advance(DAY_MS);
      const t = await api.get(`/transfers/${id}`);
      expect(t.body.status).to.equal('failed');
      expect(t.body._links.failure.href).to.equal(`${sim.url}/transfers/${id}/failure`);
      const f = await api.get(`/transfers/${id}/failure`);
      expect(f.status).to.equal(200);
      expect(f.body).to.include({ code: 'R01', description: 'Insufficient Funds' });
      expect(f.body.explanation).to.be.a('string');
      expect(f.body._links['failed-funding-source'].href).to.equal(fsUrl(sim.url, SPECIAL_IDS.r01Bank));
    });

    it('to the R03 bank: fails with R03, and the bank is removed afterwards', async () => {
      const id = await create({ destinationId: SPECIAL_IDS.r03Bank });
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.removed).to.equal(false);
      await advance(DAY_MS);
      const f = await api.get(`/transfers/${id}/failure`);
      expect(f.body).to.include({ code: 'R03', description: 'No Account/Unable to Locate Account' });
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.removed).to.equal(true);
      const again = await api.createTransfer(transferBody(sim.url, { destinationId: SPECIAL_IDS.r03Bank }));
      expect(again.status).to.equal(400);
      expect(again.body._embedded.errors[0]).to.include({ code: 'Invalid', path: '/_links/destination/href' });
    });

    it('cancels a pending transfer (200 with the cancelled transfer); a settled one is not cancellable', async () => {
      const id = await create();
      const cancelled = await api.post(`/transfers/${id}`, { status: 'cancelled' });
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body.status).to.equal('cancelled');
      expect((await api.get(`/transfers/${id}`)).body.status).to.equal('cancelled');
      await advance(DAY_MS);
      expect((await api.get(`/transfers/${id}`)).body.status).to.equal('cancelled');

      const settled = await create();
      await advance(DAY_MS);
      const refused = await api.post(`/transfers/${settled}`, { status: 'cancelled' });
      expect(refused.status).to.equal(400);
      expect(refused.body.code).to.equal('ValidationError');
      expect(refused.body._embedded.errors[0]).to.include({
        code: 'NotAllowed',
        message: 'Status not allowed.',
        path: '/status',
      });
    });

    it('cancel with another status is invalid; cancel of an unknown transfer is 404', async () => {
      const id = await create();
      const r = await api.post(`/transfers/${id}`, { status: 'processed' });
      expect(r.status).to.equal(400);
      expect(r.body._embedded.errors[0]).to.include({ code: 'Invalid', path: '/status' });
      expect((await api.post(`/transfers/${randomUUID()}`, { status: 'cancelled' })).status).to.equal(404);
    });
  });

  describe('listing transfers', () => {
    it('account transfers: by correlationId, newest first, with limit, offset and total', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push(await create({ correlationId: 'batch-7', amount: { value: `${i + 1}.00`, currency: 'USD' } }));
        sim.advanceClock(1000);
      }
      await create({ correlationId: 'other' });
      const newestFirst = [...ids].reverse();

      const all = await api.get(`/accounts/${SIMULATOR.accountId}/transfers?correlationId=batch-7`);
      expect(all.status).to.equal(200);
      expect(all.body.total).to.equal(5);
      expect(all.body._embedded.transfers.map((t: { id: string }) => t.id)).to.deep.equal(newestFirst);

      const page = await api.get(`/accounts/${SIMULATOR.accountId}/transfers?correlationId=batch-7&limit=2&offset=2`);
      expect(page.body.total).to.equal(5);
      expect(page.body._embedded.transfers.map((t: { id: string }) => t.id)).to.deep.equal(newestFirst.slice(2, 4));
      expect(page.body._links.next.href).to.contain('offset=4');
      expect(page.body._links.prev.href).to.contain('offset=0');

      const none = await api.get(`/accounts/${SIMULATOR.accountId}/transfers?correlationId=nope`);
      expect(none.body).to.deep.include({ total: 0 });
      expect(none.body._embedded.transfers).to.deep.equal([]);

      const everything = await api.get(`/accounts/${SIMULATOR.accountId}/transfers`);
      expect(everything.body.total).to.equal(6);
    });

    it('limit defaults to 25 and is capped at 200', async () => {
      for (let i = 0; i < 27; i += 1) {
        await create({ correlationId: 'many' });
      }
      const byDefault = await api.get(`/accounts/${SIMULATOR.accountId}/transfers?correlationId=many`);
      expect(byDefault.body._embedded.transfers).to.have.length(25);
      expect(byDefault.body.total).to.equal(27);
      const capped = await api.get(`/accounts/${SIMULATOR.accountId}/transfers?correlationId=many&limit=1000`);
      expect(capped.body._embedded.transfers).to.have.length(27);
      expect(capped.body._links.self.href).to.contain('limit=200');
    });

    it('customer transfers: those from or to the customer’s funding sources', async () => {
      const destinationId = randomUUID();
      const id = await create({ destinationId, correlationId: 'c-1' });
      await create({ correlationId: 'c-1' });
      const fs = await api.get(`/funding-sources/${destinationId}`);
      const customerPath = new URL(fs.body._links.customer.href).pathname;
      const r = await api.get(`${customerPath}/transfers?correlationId=c-1`);
      expect(r.status).to.equal(200);
      expect(r.body.total).to.equal(1);
      expect(r.body._embedded.transfers[0].id).to.equal(id);
      expect((await api.get('/customers/nope/transfers')).status).to.equal(404);
    });

    it('an unknown account is 404', async () => {
      expect((await api.get(`/accounts/${randomUUID()}/transfers`)).status).to.equal(404);
    });
  });
});
