import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { cancelDeadlineMs, isBusinessDay } from '../../src/simulator/business-days.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { findOpenApiSpec, idOfLocation, Session, specErrorExample, transferBody } from './helpers.js';

const MINUTE = 60_000;

describe('simulator: Dwolla’s cancel window and the money a cancel or a return gives back', () => {
  let sim: SimulatorHandle | undefined;
  let api: Session;
  async function open(startTime: string): Promise<void> {
    sim = await startSimulator({ startTime: new Date(startTime), balance: '1000.00' });
    api = await Session.open(sim.url);
  }
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function create(overrides: Parameters<typeof transferBody>[1] = {}): Promise<string> {
    const r = await api.createTransfer(transferBody(sim!.url, overrides));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return idOfLocation(r.headers.get('location'));
  }

  /** Moves simulated time to `iso` (which must be ahead), with a fresh token. */
  async function moveTo(iso: string): Promise<void> {
    sim!.advanceClock(Date.parse(iso) - sim!.now().getTime());
    await api.renew();
  }

  const hasCancelLink = async (id: string) => (await api.get(`/transfers/${id}`)).body._links.cancel !== undefined;
  const cancel = (id: string) => api.post(`/transfers/${id}`, { status: 'cancelled' });
  const statusOf = async (id: string) => (await api.get(`/transfers/${id}`)).body.status as string;
  const balance = async () =>
    (await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`)).body.balance.value as string;

  describe('the window', () => {
    it('initiated before 4 pm CT on a business day: the cancel link disappears at 4 pm CT that day', async () => {
      await open('2025-03-04T15:00:00Z'); // Tuesday 9:00 CST
      const id = await create();
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-03-04T21:59:00Z'); // 15:59 CST
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-03-04T22:00:00Z'); // 16:00 CST
      expect(await hasCancelLink(id)).to.equal(false);

      const refused = await cancel(id);
      expect(refused.status).to.equal(400);
      const path = findOpenApiSpec();
      expect(path, 'Dwolla’s OpenAPI spec').to.be.a('string');
      const example = specErrorExample(readFileSync(path as string, 'utf8'), 'StatusNotAllowedError');
      expect(refused.body).to.deep.include({ code: example.code, message: example.message });
      expect(refused.body._embedded.errors).to.deep.equal([{ ...example.embedded, _links: {} }]);
      expect(await statusOf(id)).to.equal('pending');
    });

    it('initiated after 4 pm CT on a Friday: cancellable until 4 pm CT on Monday (CDT after the DST change)', async () => {
      await open('2025-03-07T22:30:00Z'); // Friday 16:30 CST
      const id = await create();
      await moveTo('2025-03-08T18:00:00Z'); // Saturday
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-03-10T20:59:00Z'); // Monday 15:59 CDT
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-03-10T21:01:00Z'); // Monday 16:01 CDT
      expect(await hasCancelLink(id)).to.equal(false);
    });

    it('initiated on a Federal Reserve holiday: cancellable until 4 pm CT on the next business day', async () => {
      await open('2025-05-26T15:00:00Z'); // Memorial Day, 10:00 CDT
      const id = await create();
      await moveTo('2025-05-26T21:30:00Z'); // 16:30 CDT on the holiday
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-05-27T20:59:00Z');
      expect(await hasCancelLink(id)).to.equal(true);
      await moveTo('2025-05-27T21:00:00Z');
      expect(await hasCancelLink(id)).to.equal(false);
      expect((await cancel(id)).status).to.equal(400);
    });

    it('once processed, a transfer is no longer cancellable', async () => {
      await open('2025-03-04T15:00:00Z');
      const id = await create();
      sim!.simulate();
      expect(await hasCancelLink(id)).to.equal(false);
      expect((await cancel(id)).body._embedded.errors[0].code).to.equal('NotAllowed');
    });
  });

  describe('what a cancel cancels', () => {
    it('cancelling leg 1 cancels leg 2 and the fees; leg 2 and a fee cannot be cancelled themselves', async () => {
      await open('2025-03-04T15:00:00Z');
      const destinationId = randomUUID();
      const customerHref = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href;
      const id = await create({
        sourceId: SPECIAL_IDS.accountBank,
        destinationId,
        fees: [{ _links: { 'charge-to': { href: customerHref } }, amount: { value: '1.00', currency: 'USD' } }],
      });
      const leg2 = (await api.get(`/transfers/${id}`)).body._links['funded-transfer'].href.split('/transfers/')[1];
      const fee = (await api.get(`/transfers/${id}/fees`)).body.transactions[0].id;
      expect((await cancel(leg2)).body._embedded.errors[0].code).to.equal('NotAllowed');
      expect((await cancel(fee)).status).to.equal(400);
      expect(await hasCancelLink(fee)).to.equal(false);

      const cancelled = await cancel(id);
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body.status).to.equal('cancelled');
      expect(cancelled.body._links.cancel).to.equal(undefined);
      expect([await statusOf(id), await statusOf(leg2), await statusOf(fee)]).to.deep.equal([
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
      expect(sim!.simulate(), 'nothing left to process').to.equal(0);
    });
  });

  describe('money given back to a balance source', () => {
    it('a cancelled balance-sourced transfer gives its amount back', async () => {
      await open('2025-03-04T15:00:00Z');
      const id = await create({ amount: { value: '250.00', currency: 'USD' } });
      expect(await balance()).to.equal('750.00');
      expect((await cancel(id)).status).to.equal(200);
      expect(await balance()).to.equal('1000.00');
    });

    it('a returned balance-sourced transfer gives its amount back; a processed one does not', async () => {
      await open('2025-03-04T15:00:00Z');
      await create({ destinationId: SPECIAL_IDS.r01Bank, amount: { value: '100.00', currency: 'USD' } });
      await create({ amount: { value: '50.00', currency: 'USD' } });
      expect(await balance()).to.equal('850.00');
      sim!.simulate();
      expect(await balance()).to.equal('950.00');
    });

    it('a chain: a fee processed lands in the balance; a return on leg 2 leaves leg 1’s money in the balance', async () => {
      await open('2025-03-04T15:00:00Z');
      const destinationId = randomUUID();
      const customerHref = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href;
      const fees = [{ _links: { 'charge-to': { href: customerHref } }, amount: { value: '1.00', currency: 'USD' } }];
      const amount = { value: '40.00', currency: 'USD' };
      await create({ sourceId: SPECIAL_IDS.accountBank, destinationId, amount, fees });
      const returned = await create({ sourceId: SPECIAL_IDS.accountBank, amount });
      sim!.stageReturn(returned, 'funded', 'R01');
      expect(await balance(), 'a bank source takes nothing from the balance').to.equal('1000.00');
      sim!.simulate();
      sim!.simulate();
      expect(await balance()).to.equal('1041.00');
    });
  });
});

describe('simulator: business days (business-days.ts)', () => {
  it('weekends and the Federal Reserve holidays of SPEC.md are not business days', () => {
    const closed = [
      '2025-01-01',
      '2025-01-20',
      '2025-02-17',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-10-13',
      '2025-11-11',
      '2025-11-27',
      '2025-12-25',
      '2025-03-08',
      '2025-03-09',
    ];
    expect(closed.filter(isBusinessDay)).to.deep.equal([]);
    expect(['2025-03-04', '2025-11-28', '2025-12-24'].every(isBusinessDay)).to.equal(true);
  });

  it('a Sunday holiday is observed the Monday after; a Saturday one closes nothing; Juneteenth from 2022', () => {
    expect(isBusinessDay('2021-07-05'), 'July 4 2021 was a Sunday').to.equal(false);
    expect(isBusinessDay('2022-06-20'), 'June 19 2022 was a Sunday').to.equal(false);
    expect(isBusinessDay('2021-12-24'), 'Christmas 2021 was a Saturday: the Fed is open the Friday before').to.equal(
      true,
    );
    expect(isBusinessDay('2021-06-18')).to.equal(true);
  });

  it('the deadline of instants in any order: forward, at the deadline, backward, across a weekend, DST and a holiday', () => {
    const cases: Array<[string, string]> = [
      ['2025-03-04T15:00:00.000Z', '2025-03-04T22:00:00.000Z'],
      ['2025-03-04T21:59:59.999Z', '2025-03-04T22:00:00.000Z'],
      ['2025-03-04T22:00:00.000Z', '2025-03-05T22:00:00.000Z'],
      ['2025-03-04T14:00:00.000Z', '2025-03-04T22:00:00.000Z'],
      ['2025-03-07T22:30:00.000Z', '2025-03-10T21:00:00.000Z'],
      ['2025-03-08T12:00:00.000Z', '2025-03-10T21:00:00.000Z'],
      ['2025-03-07T21:00:00.000Z', '2025-03-07T22:00:00.000Z'],
      ['2025-03-10T20:59:59.999Z', '2025-03-10T21:00:00.000Z'],
      ['2025-03-10T21:00:00.000Z', '2025-03-11T21:00:00.000Z'],
      ['2025-07-03T22:00:00.000Z', '2025-07-07T21:00:00.000Z'],
      ['2025-07-04T15:00:00.000Z', '2025-07-07T21:00:00.000Z'],
      ['2025-07-03T20:59:59.999Z', '2025-07-03T21:00:00.000Z'],
    ];
    const deadlines = cases.map(([at]) => new Date(cancelDeadlineMs(Date.parse(at))).toISOString());
    expect(deadlines).to.deep.equal(cases.map(([, deadline]) => deadline));
  });

  it('the cancel deadline is 4 pm CT, DST-aware', () => {
    expect(new Date(cancelDeadlineMs(Date.parse('2025-03-04T21:59:59Z'))).toISOString()).to.equal(
      '2025-03-04T22:00:00.000Z',
    );
    expect(new Date(cancelDeadlineMs(Date.parse('2025-03-04T22:00:00Z'))).toISOString()).to.equal(
      '2025-03-05T22:00:00.000Z',
    );
    expect(new Date(cancelDeadlineMs(Date.parse('2025-07-03T22:00:00Z'))).toISOString()).to.equal(
      '2025-07-07T21:00:00.000Z',
    );
    expect(cancelDeadlineMs(Date.parse('2025-03-04T15:00:00Z')) - Date.parse('2025-03-04T15:00:00Z')).to.equal(
      7 * 60 * MINUTE,
    );
  });
});
