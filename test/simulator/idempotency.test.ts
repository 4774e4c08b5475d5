import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { DAY_MS, Session, transferBody, until } from './helpers.js';

describe('simulator: Idempotency-Key', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator();
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  it('the same key answers 201 with the original Location and creates one transfer, whatever the body', async () => {
    const key = randomUUID();
    const first = await api.createTransfer(transferBody(sim.url), key);
    const second = await api.createTransfer(
      transferBody(sim.url, { amount: { value: '99.00', currency: 'USD' } }),
      key,
    );
    expect(first.status).to.equal(201);
    expect(second.status).to.equal(201);
    expect(second.headers.get('location')).to.equal(first.headers.get('location'));
    expect(sim.transfers()).to.have.length(1);
    expect(sim.transfers()[0]?.amount.value).to.equal('10.00');
    expect(sim.transfers()[0]?.idempotencyKey).to.equal(key);
    expect(sim.stats().idempotentReplays).to.equal(1);
  });

  it('without a key (or with different keys) every POST creates a transfer', async () => {
    const body = transferBody(sim.url);
    await api.createTransfer(body);
    await api.createTransfer(body);
    await api.createTransfer(body, randomUUID());
    await api.createTransfer(body, randomUUID());
    expect(sim.transfers()).to.have.length(4);
  });

  it('a key is forgotten 24 hours of simulated time later', async () => {
    const key = randomUUID();
    const first = await api.createTransfer(transferBody(sim.url), key);
    sim.advanceClock(DAY_MS - 60_000);
    await api.renew();
    const within = await api.createTransfer(transferBody(sim.url), key);
    expect(within.headers.get('location')).to.equal(first.headers.get('location'));
    sim.advanceClock(60_000);
    await api.renew();
    const after = await api.createTransfer(transferBody(sim.url), key);
    expect(after.status).to.equal(201);
    expect(after.headers.get('location')).to.not.equal(first.headers.get('location'));
    expect(sim.transfers()).to.have.length(2);
  });

  it('a key whose request was refused stays free: the corrected request creates the transfer', async () => {
    const key = randomUUID();
    const refused = await api.createTransfer(transferBody(sim.url, { sourceId: SPECIAL_IDS.removedBank }), key);
    expect(refused.status).to.equal(400);
    const retried = await api.createTransfer(transferBody(sim.url), key);
    expect(retried.status).to.equal(201);
    expect(sim.transfers()).to.have.length(1);
  });

  it('a second request while the first with the same key is still processing answers 409 Conflict', async () => {
    sim.setFaults({ latencyMs: 500 });
    const key = randomUUID();
    const body = transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank });
    const first = api.createTransfer(body, key);
    await until(() => sim.stats().createRequests === 1); // the first one is now in its latency
    const second = await api.createTransfer(body, key);
    expect(second.status).to.equal(409);
    expect(second.body.code).to.equal('Conflict');
    expect((await first).status).to.equal(201);
    expect(sim.transfers()).to.have.length(1);
    expect(sim.stats().idempotencyConflicts).to.equal(1);
    const third = await api.createTransfer(body, key);
    expect(third.status).to.equal(201);
    expect(third.headers.get('location')).to.equal((await first).headers.get('location'));
  });

  it('of concurrent requests with one key, exactly one creates the transfer', async () => {
    sim.setFaults({ latencyMs: 1000 });
    const key = randomUUID();
    const body = transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank });
    const replies = await Promise.all(Array.from({ length: 5 }, () => api.createTransfer(body, key)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).to.have.length(1);
    expect(statuses.filter((s) => s === 409)).to.have.length(4);
    expect(sim.transfers()).to.have.length(1);
  });
});
