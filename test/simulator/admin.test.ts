import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { call, DAY_MS, Session, transferBody } from './helpers.js';

describe('simulator: admin endpoints', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator({ startTime: new Date('2025-06-02T14:00:00Z') });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  const postJson = (path: string, body: unknown) =>
    call(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('POST /__simulator/clock advances or sets simulated time, without auth', async () => {
    const before = sim.now().getTime();
    const advanced = await postJson('/__simulator/clock', { advanceMs: DAY_MS });
    expect(advanced.status).to.equal(200);
    expect(Date.parse(advanced.body.now)).to.be.at.least(before + DAY_MS);
    const set = await postJson('/__simulator/clock', { now: '2030-01-01T00:00:00Z' });
    expect(set.body.now.slice(0, 16)).to.equal('2030-01-01T00:00');
    expect(sim.now().getUTCFullYear()).to.equal(2030);
    expect((await postJson('/__simulator/clock', { advanceMs: -5 })).status).to.equal(400);
    expect((await postJson('/__simulator/clock', {})).status).to.equal(400);
  });

  it('POST /__simulator/simulate settles as POST /sandbox-simulations does, without auth; the clock alone does not', async () => {
    await api.createTransfer(transferBody(sim.url, { destinationId: SPECIAL_IDS.r01Bank }));
    await postJson('/__simulator/clock', { advanceMs: DAY_MS });
    expect((await call(`${sim.url}/__simulator/transfers`)).body[0].status).to.equal('pending');
    const simulated = await postJson('/__simulator/simulate', {});
    expect(simulated.status).to.equal(200);
    expect(simulated.body.total).to.equal(1);
    const transfers = await call(`${sim.url}/__simulator/transfers`);
    expect(transfers.body[0].status).to.equal('failed');
  });

  it('GET /__simulator/transfers lists every transfer in creation order, with key, fees and metadata', async () => {
    // From a bank (a balance refuses metadata), the fee charged to the payee's customer (a party).
    const destinationId = randomUUID();
    const chargeTo = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href;
    await api.createTransfer(
      transferBody(sim.url, {
        sourceId: SPECIAL_IDS.accountBank,
        destinationId,
        correlationId: 'first',
        metadata: { a: '1' },
        fees: [{ _links: { 'charge-to': { href: chargeTo } }, amount: { value: '1.00', currency: 'USD' } }],
      }),
      'key-1',
    );
    await api.createTransfer(transferBody(sim.url, { correlationId: 'second' }));
    const r = await call(`${sim.url}/__simulator/transfers`);
    expect(r.status).to.equal(200);
    expect(r.body.map((t: { correlationId: string }) => t.correlationId)).to.deep.equal(['first', 'second']);
    expect(r.body[0]).to.deep.include({ idempotencyKey: 'key-1', metadata: { a: '1' }, status: 'pending' });
    expect(r.body[0].fees[0].amount.value).to.equal('1.00');
    expect(r.body[0].fees[0]._links['charge-to'].href).to.equal(chargeTo);
    expect(r.body).to.deep.equal(sim.transfers());
  });

  it('GET /__simulator/stats counts requests, creations and duplicate correlationIds', async () => {
    await api.createTransfer(transferBody(sim.url, { correlationId: 'same' }));
    await api.createTransfer(transferBody(sim.url, { correlationId: 'same' }));
    await api.createTransfer({});
    const r = await call(`${sim.url}/__simulator/stats`);
    expect(r.body).to.deep.include({
      createRequests: 3,
      transfersCreated: 2,
      duplicatesByCorrelationId: 1,
      validationFailures: 1,
      tokensIssued: 1,
      maxInFlight: 1,
    });
    expect(r.body).to.deep.equal(sim.stats());
  });

  it('POST /__simulator/faults replaces the faults; bad ones are refused with 400', async () => {
    const set = await postJson('/__simulator/faults', { error5xxAfterRate: 1 });
    expect(set.status).to.equal(200);
    expect(set.body).to.deep.equal({ error5xxAfterRate: 1 });
    expect((await api.createTransfer(transferBody(sim.url))).status).to.equal(500);
    expect((await call(`${sim.url}/__simulator/faults`)).body).to.deep.equal({ error5xxAfterRate: 1 });

    expect((await postJson('/__simulator/faults', { error5xxAfterRate: 'often' })).status).to.equal(400);
    expect((await postJson('/__simulator/faults', { nonsense: 1 })).status).to.equal(400);

    await postJson('/__simulator/faults', {});
    expect((await api.createTransfer(transferBody(sim.url))).status).to.equal(201);
  });

  it('tokenLifetimeSec set at run time applies to new tokens', async () => {
    await postJson('/__simulator/faults', { tokenLifetimeSec: 60 });
    const r = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `client_id=${SIMULATOR.key}&client_secret=${SIMULATOR.secret}&grant_type=client_credentials`,
    });
    expect(r.body.expires_in).to.equal(60);
  });

  it('unknown admin endpoints are 404', async () => {
    expect((await call(`${sim.url}/__simulator/nothing`)).status).to.equal(404);
  });
});
