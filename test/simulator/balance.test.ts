import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { HAL_JSON, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { findOpenApiSpec, fsUrl, Session, transferBody } from './helpers.js';

const START = new Date('2026-03-02T15:00:00.000Z');

describe('simulator: balances (GET /funding-sources/{id}/balance)', () => {
  const sims: SimulatorHandle[] = [];
  async function open(
    opts: Parameters<typeof startSimulator>[0] = {},
  ): Promise<{ sim: SimulatorHandle; api: Session }> {
    const sim = await startSimulator({ startTime: START, ...opts });
    sims.push(sim);
    return { sim, api: await Session.open(sim.url) };
  }
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  async function balanceOf(api: Session, id: string = SIMULATOR.defaultSourceId): Promise<string> {
    const r = await api.get(`/funding-sources/${id}/balance`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.balance.value as string;
  }

  it('answers the "Dwolla Balance Response" of OpenAPI getFundingSourceBalance: links, balance, total, lastUpdated', async () => {
    const { sim, api } = await open({ balance: '250000.00' });
    const r = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.equal(HAL_JSON);
    const self = fsUrl(sim.url, SIMULATOR.defaultSourceId);
    expect(r.body).to.deep.equal({
      _links: {
        self: { href: `${self}/balance`, type: HAL_JSON, 'resource-type': 'balance' },
        'funding-source': { href: self, type: HAL_JSON, 'resource-type': 'funding-source' },
      },
      balance: { value: '250000.00', currency: 'USD' },
      total: { value: '250000.00', currency: 'USD' },
      lastUpdated: START.toISOString(),
    });
  });

  it('the account balance starts generous (1000000.00); the customer balance with 5000.00, as a sandbox account', async () => {
    const { api } = await open();
    expect(await balanceOf(api)).to.equal('1000000.00');
    expect(await balanceOf(api, SPECIAL_IDS.customerBalance)).to.equal('5000.00');
  });

  it('takes dollars with 0 to 2 decimals, and zero; anything else is a RangeError', async () => {
    for (const [given, shown] of [
      ['250000.5', '250000.50'],
      ['7', '7.00'],
      ['0', '0.00'],
      ['0.01', '0.01'],
    ]) {
      const { api } = await open({ balance: given });
      expect(await balanceOf(api), given).to.equal(shown);
    }
    for (const bad of ['', 'abc', '-5.00', '1.234', '1,000.00', '$100', '1e6', ' 100', '.5']) {
      let failure: unknown;
      await startSimulator({ balance: bad }).then(
        (s) => s.close(),
        (e: unknown) => {
          failure = e;
        },
      );
      expect(failure, JSON.stringify(bad)).to.be.instanceOf(RangeError);
    }
  });

  it('a bank, an unknown id and a malformed one get the documented 404 (banks are not connected through Open Banking)', async () => {
    const { api } = await open();
    for (const id of [SPECIAL_IDS.accountBank, SPECIAL_IDS.r01Bank, randomUUID(), 'not-an-id']) {
      const r = await api.get(`/funding-sources/${id}/balance`);
      expect(r.status, id).to.equal(404);
      expect(r.body, id).to.deep.equal({ code: 'notFound', message: 'Funding source not found.' });
    }
  });

  it("the 404 body is the OpenAPI operation's documented example", function () {
    const path = findOpenApiSpec();
    if (!path) {
      this.skip();
    }
    const spec = readFileSync(path as string, 'utf8');
    const operation = spec.slice(spec.indexOf('\n  /funding-sources/{id}/balance:\n'));
    const notFound = operation.slice(
      operation.indexOf("'404':"),
      operation.indexOf('\n  /funding-sources/{id}/ach-routing:'),
    );
    const examples = [...notFound.matchAll(/example:\s*(.*)/g)].map((m) => m[1]);
    expect(examples).to.deep.equal(['notFound', 'Funding source not found.']);
  });

  it('a transfer from a balance takes exactly its amount from that balance, once, whatever its key is replayed', async () => {
    const { sim, api } = await open({ balance: '1000.00' });
    sim.advanceClock(60_000);
    const first = await api.createTransfer(
      transferBody(sim.url, { amount: { value: '123.45', currency: 'USD' } }),
      'key-1',
    );
    expect(first.status).to.equal(201);
    expect(await balanceOf(api)).to.equal('876.55');
    const r = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`);
    expect(Date.parse(r.body.lastUpdated)).to.be.at.least(START.getTime() + 60_000);
    expect(r.body.total.value).to.equal('876.55');

    for (let i = 0; i < 3; i++) {
      const replay = await api.createTransfer(
        transferBody(sim.url, { amount: { value: '123.45', currency: 'USD' } }),
        'key-1',
      );
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('location')).to.equal(first.headers.get('location'));
    }
    expect(await balanceOf(api)).to.equal('876.55');
    expect(sim.stats()).to.deep.include({ idempotentReplays: 3, transfersCreated: 1 });

    await api.createTransfer(transferBody(sim.url, { amount: { value: '0.55', currency: 'USD' } }), 'key-2');
    expect(await balanceOf(api)).to.equal('876.00');
  });

  it('each balance pays for its own transfers; a bank-sourced transfer and a refused one take nothing', async () => {
    const { sim, api } = await open({ balance: '100.00' });
    const fromCustomer = transferBody(sim.url, {
      sourceId: SPECIAL_IDS.customerBalance,
      amount: { value: '40.00', currency: 'USD' },
    });
    expect((await api.createTransfer(fromCustomer)).status).to.equal(201);
    const fromBank = transferBody(sim.url, {
      sourceId: SPECIAL_IDS.accountBank,
      amount: { value: '99999.00', currency: 'USD' },
    });
    expect((await api.createTransfer(fromBank)).status).to.equal(201);
    const invalid = { ...transferBody(sim.url), correlationId: 'not valid' };
    expect((await api.createTransfer(invalid)).status).to.equal(400);
    expect(await balanceOf(api)).to.equal('100.00');
    expect(await balanceOf(api, SPECIAL_IDS.customerBalance)).to.equal('4960.00');
  });

  it('a transfer of exactly what is available passes and leaves 0.00; one cent more is refused', async () => {
    const exact = await open({ balance: '250.00' });
    const body = (value: string) => transferBody(exact.sim.url, { amount: { value, currency: 'USD' } });
    expect((await exact.api.createTransfer(body('250.00'))).status).to.equal(201);
    expect(await balanceOf(exact.api)).to.equal('0.00');
    expect((await exact.api.createTransfer(body('0.01'))).status).to.equal(400);

    const over = await open({ balance: '250.00' });
    const refused = await over.api.createTransfer(
      transferBody(over.sim.url, { amount: { value: '250.01', currency: 'USD' } }),
    );
    expect(refused.status).to.equal(400);
    expect(refused.body._embedded.errors[0].code).to.equal('InsufficientFunds');
    expect(await balanceOf(over.api)).to.equal('250.00');
  });
});
