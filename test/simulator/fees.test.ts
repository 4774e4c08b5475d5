import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { Session, type transferBody } from './helpers.js';

describe('simulator: fee transfers (GET /transfers/{id}/fees) and the clearing read back', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    sim = await startSimulator({ startTime: new Date('2025-03-04T15:00:00Z') });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  const create = (overrides: Parameters<typeof transferBody>[1] = {}) => api.created(overrides);

  /** A transfer to a fresh payee with fees charged to the payee's customer (a party to it). */
  async function createWithFees(values: string[], sourceId: string = SIMULATOR.defaultSourceId) {
    const destinationId = randomUUID();
    const customerHref = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href as string;
    const fees = values.map((value) => ({
      _links: { 'charge-to': { href: customerHref } },
      amount: { value, currency: 'USD' },
    }));
    const id = await create({ sourceId, destinationId, amount: { value: '100.00', currency: 'USD' }, fees });
    return { id, customerHref };
  }

  const feesOf = async (id: string) => (await api.get(`/transfers/${id}/fees`)).body;
  const feeStatuses = async (id: string) =>
    (await feesOf(id)).transactions.map((f: { status: string }) => f.status) as string[];

  describe('fees', () => {
    it('each fee is its own transfer, listed with its status under the transfer’s `fees` link', async () => {
      const { id, customerHref } = await createWithFees(['1.50', '2.00']);
      const t = (await api.get(`/transfers/${id}`)).body;
      expect(t._links.fees.href).to.equal(`${sim.url}/transfers/${id}/fees`);

      const r = await api.get(`/transfers/${id}/fees`);
      expect(r.status).to.equal(200);
      expect(r.body._links.self.href).to.equal(`${sim.url}/transfers/${id}/fees`);
      expect(r.body.total).to.equal(2);
      const [first, second] = r.body.transactions;
      expect(first).to.deep.include({ status: 'pending', amount: { value: '1.50', currency: 'USD' } });
      expect(second.amount.value).to.equal('2.00');
      expect(first.id).to.not.equal(id);
      expect(first._links.source.href).to.equal(customerHref);
      expect(first._links.destination.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
      expect(first._links['created-from-transfer'].href).to.equal(`${sim.url}/transfers/${id}`);

      const fee = await api.get(`/transfers/${first.id}`);
      expect(fee.status, 'a fee transfer is a transfer').to.equal(200);
      expect(fee.body).to.deep.include({ id: first.id, status: 'pending' });
      expect(sim.transfers()).to.have.length(1);
      expect(sim.transfers()[0]!.feeTransfers).to.deep.equal([
        { id: first.id, status: 'pending' },
        { id: second.id, status: 'pending' },
      ]);
    });

    it('a transfer without fees has no `fees` link and an empty list; an unknown transfer is 404', async () => {
      const id = await create();
      expect((await api.get(`/transfers/${id}`)).body._links.fees).to.equal(undefined);
      expect(await feesOf(id)).to.deep.include({ total: 0, transactions: [] });
      expect((await api.get(`/transfers/${randomUUID()}/fees`)).status).to.equal(404);
    });

    it('from a balance: fees are processed with the single leg', async () => {
      const { id } = await createWithFees(['1.00']);
      sim.simulate();
      expect(await feeStatuses(id)).to.deep.equal(['processed']);
    });

    it('from a bank: fees follow leg 2 (the leg that reaches the payee), not leg 1', async () => {
      const { id } = await createWithFees(['1.00'], SPECIAL_IDS.accountBank);
      sim.simulate();
      expect((await api.get(`/transfers/${id}`)).body.status).to.equal('processed');
      expect(await feeStatuses(id)).to.deep.equal(['pending']);
      sim.simulate();
      expect(await feeStatuses(id)).to.deep.equal(['processed']);
    });

    it('a return on leg 2 fails the fees too, each with a failure resource', async () => {
      const { id } = await createWithFees(['1.00'], SPECIAL_IDS.accountBank);
      sim.stageReturn(id, 'funded', 'R03');
      sim.simulate();
      sim.simulate();
      const [fee] = (await feesOf(id)).transactions;
      expect(fee.status).to.equal('failed');
      expect(fee._links.failure.href).to.equal(`${sim.url}/transfers/${fee.id}/failure`);
      expect((await api.get(`/transfers/${fee.id}/failure`)).body.code).to.equal('R03');
    });

    it('a failed leg 1 cancels the fees; so does a cancel', async () => {
      const failed = await createWithFees(['1.00'], SPECIAL_IDS.accountBank);
      sim.stageReturn(failed.id, 'funding', 'R01');
      sim.simulate();
      expect(await feeStatuses(failed.id)).to.deep.equal(['cancelled']);

      const cancelled = await createWithFees(['1.00']);
      expect((await api.post(`/transfers/${cancelled.id}`, { status: 'cancelled' })).status).to.equal(200);
      expect(await feeStatuses(cancelled.id)).to.deep.equal(['cancelled']);
    });
  });

  describe('clearing read back (OpenAPI Transfer.clearing)', () => {
    const clearingOf = async (id: string) => (await api.get(`/transfers/${id}`)).body.clearing;

    it('from a bank asking next-available for both: same-day source and destination; leg 2 carries the destination', async () => {
      const id = await create({
        sourceId: SPECIAL_IDS.accountBank,
        clearing: { source: 'next-available', destination: 'next-available' },
      });
      expect(await clearingOf(id)).to.deep.equal({ source: 'same-day', destination: 'same-day' });
      const leg2 = (await api.get(`/transfers/${id}`)).body._links['funded-transfer'].href.split('/transfers/')[1];
      expect(await clearingOf(leg2)).to.deep.equal({ destination: 'same-day' });
    });

    it('from a bank asking standard for its source: standard source, same-day destination', async () => {
      const id = await create({
        sourceId: SPECIAL_IDS.accountBank,
        clearing: { source: 'standard', destination: 'next-available' },
      });
      expect(await clearingOf(id)).to.deep.equal({ source: 'standard', destination: 'same-day' });
    });

    it('from a balance: the source is standard whatever was asked', async () => {
      const id = await create({ clearing: { source: 'next-available', destination: 'next-available' } });
      expect(await clearingOf(id)).to.deep.equal({ source: 'standard', destination: 'same-day' });
    });

    it('nothing asked: standard on both sides, never next-available', async () => {
      const id = await create();
      expect(await clearingOf(id)).to.deep.equal({ source: 'standard', destination: 'standard' });
      expect(JSON.stringify((await api.get(`/accounts/${SIMULATOR.accountId}/transfers`)).body)).to.not.contain(
        'next-available',
      );
    });
  });
});
