import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { HAL_JSON, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, StageReturnError, startSimulator } from '../../src/simulator/index.js';
import { call, DAY_MS, fsUrl, Session, type transferBody } from './helpers.js';

const START = new Date('2025-03-04T15:00:00Z'); // a Tuesday, 9:00 CT

describe('simulator: settlement (POST /sandbox-simulations) and transfer chains', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator({ startTime: START });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  const create = (overrides: Parameters<typeof transferBody>[1] = {}) => api.created(overrides);

  const get = async (id: string) => (await api.get(`/transfers/${id}`)).body;
  const statusOf = async (id: string) => (await get(id)).status as string;
  const idOfHref = (href: string) => href.split('/transfers/')[1] as string;
  const stage = (body: unknown) =>
    call(`${sim.url}/__simulator/returns`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  describe('POST /sandbox-simulations', () => {
    it('a transfer stays pending however long simulated time runs, until a simulation processes it', async () => {
      const id = await create();
      sim.advanceClock(30 * DAY_MS);
      await api.renew();
      expect(await statusOf(id)).to.equal('pending');

      const r = await api.post('/sandbox-simulations', '');
      expect(r.status).to.equal(200);
      expect(r.body.total).to.equal(1);
      expect(r.body._links.self.href).to.equal(`${sim.url}/sandbox-simulations`);
      const t = await get(id);
      expect(t.status).to.equal('processed');
      expect(t._links.cancel).to.equal(undefined);
      expect((await api.get(`/transfers/${id}/failure`)).status).to.equal(404);

      const again = await api.post('/sandbox-simulations', {});
      expect(again.body.total, 'nothing left to process').to.equal(0);
    });

    it('needs a token like every other route; a body that is not a JSON object is 400 BadRequest', async () => {
      const anonymous = await call(`${sim.url}/sandbox-simulations`, { method: 'POST', headers: { Accept: HAL_JSON } });
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.code).to.equal('InvalidCredentials');
      expect((await api.post('/sandbox-simulations', 'not json')).body.code).to.equal('BadRequest');
      expect((await api.post('/sandbox-simulations', [1])).status).to.equal(400);
      expect((await api.get('/sandbox-simulations')).status).to.equal(405);
    });

    it('SimulatorHandle.simulate() and POST /__simulator/simulate run the same settlement', async () => {
      const a = await create();
      expect(sim.simulate()).to.equal(1);
      expect(await statusOf(a)).to.equal('processed');
      const b = await create();
      const admin = await call(`${sim.url}/__simulator/simulate`, { method: 'POST' });
      expect(admin.status).to.equal(200);
      expect(admin.body.total).to.equal(1);
      expect(await statusOf(b)).to.equal('processed');
    });

    it('processes at most 500 legs per call, newest first; the oldest waits for the next call', async function () {
      this.timeout(120_000);
      const ids: string[] = [];
      for (let i = 0; i < 501; i += 1) {
        ids.push(await create({ amount: { value: '1.00', currency: 'USD' } }));
      }
      expect(sim.simulate()).to.equal(500);
      expect(await statusOf(ids[0]!)).to.equal('pending');
      expect(await statusOf(ids[1]!)).to.equal('processed');
      expect(await statusOf(ids[500]!)).to.equal('processed');
      expect(sim.simulate()).to.equal(1);
      expect(await statusOf(ids[0]!)).to.equal('processed');
    });

    it('a transfer between two balances is processed at once (no bank involved)', async () => {
      const id = await create({ destinationId: SPECIAL_IDS.customerBalance });
      expect(await statusOf(id)).to.equal('processed');
      expect(sim.simulate()).to.equal(0);
    });
  });

  describe('chains', () => {
    it('a bank-sourced payout is two legs with funding/funded links, settled by two simulations', async () => {
      const destinationId = randomUUID();
      const id = await create({
        sourceId: SPECIAL_IDS.accountBank,
        destinationId,
        amount: { value: '42.00', currency: 'USD' },
        correlationId: 'chain-1',
        metadata: { invoice: 'A-1' },
        achDetails: { destination: { addenda: { values: ['INV A-1'] } } },
      });
      const leg1 = await get(id);
      expect(leg1).to.deep.include({ status: 'pending', correlationId: 'chain-1', metadata: { invoice: 'A-1' } });
      expect(leg1.achDetails.destination.addenda.values).to.deep.equal(['INV A-1']);
      expect(leg1._links['source-funding-source'].href).to.equal(fsUrl(sim.url, SPECIAL_IDS.accountBank));
      expect(leg1._links['destination-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
      expect(leg1._links['funding-transfer']).to.equal(undefined);
      const leg2Id = idOfHref(leg1._links['funded-transfer'].href);

      const leg2 = await get(leg2Id);
      expect(leg2).to.deep.include({ id: leg2Id, status: 'pending', amount: { value: '42.00', currency: 'USD' } });
      expect(leg2.correlationId).to.equal(undefined);
      expect(leg2.metadata).to.equal(undefined);
      expect(leg2._links['funding-transfer'].href).to.equal(`${sim.url}/transfers/${id}`);
      expect(leg2._links['funded-transfer']).to.equal(undefined);
      expect(leg2._links['source-funding-source'].href).to.equal(fsUrl(sim.url, SIMULATOR.defaultSourceId));
      expect(leg2._links.source.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
      expect(leg2._links['destination-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
      expect(leg2._links.cancel, 'only the created transfer can be cancelled').to.equal(undefined);

      expect(sim.simulate(), 'leg 1 only: leg 2 becomes eligible during this call').to.equal(1);
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['processed', 'pending']);
      expect(sim.simulate()).to.equal(1);
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['processed', 'processed']);
      expect(sim.simulate()).to.equal(0);

      const [shown] = sim.transfers();
      expect(sim.transfers(), 'only created transfers are listed').to.have.length(1);
      expect(shown).to.deep.include({ id, status: 'processed', fundedTransfer: { id: leg2Id, status: 'processed' } });
      expect(sim.stats().transfersCreated).to.equal(1);
    });

    it('a balance-sourced transfer is a single leg: no funding or funded link', async () => {
      const t = await get(await create());
      expect(t._links['funded-transfer']).to.equal(undefined);
      expect(t._links['funding-transfer']).to.equal(undefined);
      expect(sim.transfers()[0]!.fundedTransfer).to.equal(undefined);
    });

    it('a return staged on the funded leg fails leg 2, with its failure resource; leg 1 stays processed', async () => {
      const destinationId = randomUUID();
      const id = await create({ sourceId: SPECIAL_IDS.accountBank, destinationId });
      const staged = await stage({ transferId: id, leg: 'funded', code: 'R01' });
      expect(staged.status, JSON.stringify(staged.body)).to.equal(200);
      const leg2Id = idOfHref((await get(id))._links['funded-transfer'].href);
      expect(staged.body).to.deep.equal({ transferId: id, leg: 'funded', legId: leg2Id, code: 'R01' });

      sim.simulate();
      sim.simulate();
      expect(await statusOf(id)).to.equal('processed');
      const leg2 = await get(leg2Id);
      expect(leg2.status).to.equal('failed');
      expect(leg2._links.failure.href).to.equal(`${sim.url}/transfers/${leg2Id}/failure`);
      const failure = await api.get(`/transfers/${leg2Id}/failure`);
      expect(failure.status).to.equal(200);
      expect(failure.body).to.include({ code: 'R01', description: 'Insufficient Funds' });
      expect(failure.body._links['failed-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
      expect((await api.get(`/transfers/${id}/failure`)).status).to.equal(404);
      expect(sim.transfers()[0]).to.deep.include({
        status: 'processed',
        fundedTransfer: { id: leg2Id, status: 'failed' },
      });
    });

    it('an R01 source bank fails leg 1 and cancels leg 2', async () => {
      const id = await create({ sourceId: SPECIAL_IDS.r01Bank });
      const leg2Id = idOfHref((await get(id))._links['funded-transfer'].href);
      expect(sim.simulate()).to.equal(1);
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['failed', 'cancelled']);
      const failure = await api.get(`/transfers/${id}/failure`);
      expect(failure.body).to.include({ code: 'R01', description: 'Insufficient Funds' });
      expect(failure.body._links['failed-funding-source'].href).to.equal(fsUrl(sim.url, SPECIAL_IDS.r01Bank));
      expect((await api.get(`/transfers/${leg2Id}/failure`)).status).to.equal(404);
      expect(sim.simulate()).to.equal(0);
    });

    it('an R03 destination bank of a chain fails leg 2 with R03, and the bank is removed afterwards', async () => {
      const id = await create({ sourceId: SPECIAL_IDS.accountBank, destinationId: SPECIAL_IDS.r03Bank });
      const leg2Id = idOfHref((await get(id))._links['funded-transfer'].href);
      sim.simulate();
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.removed).to.equal(false);
      sim.simulate();
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['processed', 'failed']);
      expect((await api.get(`/transfers/${leg2Id}/failure`)).body).to.include({
        code: 'R03',
        description: 'No Account/Unable to Locate Account',
      });
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.removed).to.equal(true);
    });

    it('R02 staged on a single leg fails it with Dwolla’s description, struck on the payee bank', async () => {
      const destinationId = randomUUID();
      const id = await create({ destinationId });
      sim.stageReturn(id, 'funding', 'R02');
      sim.simulate();
      const failure = await api.get(`/transfers/${id}/failure`);
      expect(failure.body).to.include({ code: 'R02', description: 'Account Closed' });
      expect(failure.body._links['failed-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
    });

    it('staging is refused for an unknown transfer, a leg 2 that does not exist, a settled leg, a bad body', async () => {
      const single = await create();
      expect((await stage({ transferId: randomUUID(), leg: 'funding', code: 'R01' })).status).to.equal(404);
      expect((await stage({ transferId: single, leg: 'funded', code: 'R01' })).status).to.equal(400);
      expect((await stage({ transferId: single, leg: 'both', code: 'R01' })).status).to.equal(400);
      expect((await stage({ transferId: single, leg: 'funding', code: 'R99' })).status).to.equal(400);
      expect((await stage({ transferId: single, code: 'R01' })).status).to.equal(400);
      sim.simulate();
      const settled = await stage({ transferId: single, leg: 'funding', code: 'R01' });
      expect(settled.status).to.equal(409);
      expect(settled.body.error).to.contain('processed');

      const thrown = (() => {
        try {
          sim.stageReturn(single, 'funded', 'R01');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(thrown).to.be.instanceOf(StageReturnError);
      expect((thrown as StageReturnError).reason).to.equal('no-funded-leg');
    });
  });

  describe('processingMs (for tests)', () => {
    it('an eligible leg settles after processingMs of simulated time; leg 2 that long after leg 1', async () => {
      await sim.close();
      sim = await startSimulator({ startTime: START, processingMs: DAY_MS });
      api = await Session.open(sim.url);
      const id = await create({ sourceId: SPECIAL_IDS.accountBank });
      const leg2Id = idOfHref((await get(id))._links['funded-transfer'].href);
      sim.advanceClock(DAY_MS - 1000);
      await api.renew();
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['pending', 'pending']);
      sim.advanceClock(1000);
      await api.renew();
      expect([await statusOf(id), await statusOf(leg2Id)]).to.deep.equal(['processed', 'pending']);
      sim.advanceClock(DAY_MS);
      await api.renew();
      expect(await statusOf(leg2Id)).to.equal('processed');
    });

    it('settles in one go a leg 1 and a leg 2 whose times have both passed', async () => {
      await sim.close();
      sim = await startSimulator({ startTime: START, processingMs: DAY_MS });
      api = await Session.open(sim.url);
      const id = await create({ sourceId: SPECIAL_IDS.accountBank });
      sim.advanceClock(3 * DAY_MS);
      expect(sim.transfers()[0]).to.deep.include({ id, status: 'processed' });
      expect(sim.transfers()[0]!.fundedTransfer!.status).to.equal('processed');
    });
  });
});
