import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { type EmbeddedError, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import {
  DAY_MS,
  findOpenApiSpec,
  fsUrl,
  type Reply,
  Session,
  type SpecErrorExample,
  specErrorExample,
  transferBody,
  until,
} from './helpers.js';

type Body = Record<string, unknown>;

const VALIDATION = 'Validation error(s) present. See embedded errors list for more details.';
const ACCOUNT = SIMULATOR.accountId;

/** The OpenAPI example error of `schema`, its embedded error's path under `/items/{index}` when given. */
function exampleError(spec: string, schema: string, index?: number): EmbeddedError & { _links: object } {
  const example: SpecErrorExample = specErrorExample(spec, schema);
  expect(example.code).to.equal('ValidationError');
  expect(example.message).to.equal(VALIDATION);
  const e = example.embedded;
  if (!e) {
    throw new Error(`${schema} has no embedded example`);
  }
  return { ...e, path: index === undefined ? e.path : `/items/${index}${e.path}`, _links: {} };
}

describe('simulator: Mass Payments', () => {
  let sim: SimulatorHandle;
  let api: Session;
  beforeEach(async () => {
    // Mass payments move on by simulations only here (a day per step by the clock).
    sim = await startSimulator({ massPaymentStepMs: DAY_MS });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  const item = (destinationId: string = randomUUID(), value = '10.00', extra: Body = {}): Body => ({
    _links: { destination: { href: fsUrl(sim.url, destinationId) } },
    amount: { value, currency: 'USD' },
    ...extra,
  });
  const massPayment = (items: Body[], extra: Body & { sourceId?: string } = {}): Body => {
    const { sourceId = SIMULATOR.defaultSourceId, ...rest } = extra;
    return { _links: { source: { href: fsUrl(sim.url, sourceId) } }, items, ...rest };
  };
  const post = (body: unknown, key?: string): Promise<Reply> =>
    api.post('/mass-payments', body, key ? { 'Idempotency-Key': key } : {});

  /** Creates the mass payment; its id. Throws unless 201. */
  async function created(body: unknown, key?: string): Promise<string> {
    const r = await post(body, key);
    if (r.status !== 201) {
      throw new Error(`POST /mass-payments answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    const id = r.headers.get('location')?.split('/mass-payments/')[1];
    if (!id) {
      throw new Error(`not a mass payment Location: ${r.headers.get('location')}`);
    }
    return id;
  }
  const read = async (id: string) => (await api.get(`/mass-payments/${id}`)).body;
  const statusOf = async (id: string): Promise<string> => (await read(id)).status;
  const simulate = () => api.post('/sandbox-simulations', {});
  const itemsOf = async (id: string, query = 'limit=200') =>
    (await api.get(`/mass-payments/${id}/items?${query}`)).body;
  const balanceOf = async (id: string = SIMULATOR.defaultSourceId): Promise<string> =>
    (await api.get(`/funding-sources/${id}/balance`)).body.balance.value;

  /** Releases nothing: runs simulations until the mass payment is complete. */
  async function complete(id: string): Promise<void> {
    for (let i = 0; i < 3 && (await statusOf(id)) !== 'complete'; i += 1) {
      await simulate();
    }
    expect(await statusOf(id)).to.equal('complete');
  }

  describe('POST /mass-payments and GET /mass-payments/{id}', () => {
    it('creates a pending mass payment: 201 + Location, read back with total, fees, metadata, correlationId and links', async () => {
      const body = massPayment([item(undefined, '1.00'), item(undefined, '5.25')], {
        metadata: { batch: 'june' },
        correlationId: 'payroll-june.1',
      });
      const r = await post(body);
      expect(r.status).to.equal(201);
      const location = r.headers.get('location') ?? '';
      expect(location).to.match(new RegExp(`^${sim.url}/mass-payments/[0-9a-f-]{36}$`));
      const got = await api.get(location.slice(sim.url.length));
      expect(got.status).to.equal(200);
      const id = location.split('/').pop();
      expect(got.body).to.deep.include({
        id,
        status: 'pending',
        metadata: { batch: 'june' },
        total: { value: '6.25', currency: 'USD' },
        totalFees: { value: '0.00', currency: 'USD' },
        correlationId: 'payroll-june.1',
      });
      expect(Date.parse(got.body.created)).to.be.closeTo(sim.now().getTime(), 60_000);
      expect(got.body._links.self.href).to.equal(location);
      expect(got.body._links.source.href).to.equal(fsUrl(sim.url, SIMULATOR.defaultSourceId));
      expect(got.body._links.items.href).to.equal(`${location}/items`);
      expect(sim.stats().massPayments).to.deep.include({ requests: 1, created: 1 });
      expect(sim.transfers()).to.have.length(0); // nothing is sent before it is processed
    });

    it('an unknown mass payment is 404 NotFound with OpenAPI’s message', async () => {
      const r = await api.get(`/mass-payments/${randomUUID()}`);
      expect(r.status).to.equal(404);
      expect(r.body).to.deep.equal({ code: 'NotFound', message: 'Mass payment not found' });
    });

    it('the same Idempotency-Key answers 201 with the original Location and creates one mass payment', async () => {
      const key = randomUUID();
      const first = await post(massPayment([item()]), key);
      const second = await post(massPayment([item(undefined, '99.00'), item()]), key);
      expect([first.status, second.status]).to.deep.equal([201, 201]);
      expect(second.headers.get('location')).to.equal(first.headers.get('location'));
      expect(sim.massPayments()).to.have.length(1);
      expect(sim.massPayments()[0]).to.deep.include({ idempotencyKey: key, itemCount: 1 });
      expect(sim.stats().massPayments.idempotentReplays).to.equal(1);
      const admin = await fetch(`${sim.url}/__simulator/mass-payments`);
      expect(await admin.json()).to.deep.equal(sim.massPayments());
      const other = await post(massPayment([item()]), randomUUID());
      expect(other.headers.get('location')).to.not.equal(first.headers.get('location'));
    });

    it('a key is forgotten 24 hours of simulated time later; a refused request leaves its key free', async () => {
      const key = randomUUID();
      const refused = await post(massPayment([item()], { sourceId: SPECIAL_IDS.removedBank }), key);
      expect(refused.status).to.equal(400);
      const first = await post(massPayment([item()]), key);
      expect(first.status).to.equal(201);
      sim.advanceClock(DAY_MS);
      await api.renew();
      const later = await post(massPayment([item()]), key);
      expect(later.status).to.equal(201);
      expect(later.headers.get('location')).to.not.equal(first.headers.get('location'));
      expect(sim.massPayments()).to.have.length(2);
    });

    it('a second request while the first with the same key is still processing answers 409 Conflict', async () => {
      sim.setFaults({ latencyMs: 500 });
      const key = randomUUID();
      const first = post(massPayment([item()]), key);
      await until(() => sim.stats().massPayments.requests === 1);
      const second = await post(massPayment([item()]), key);
      expect(second.status).to.equal(409);
      expect(second.body.code).to.equal('Conflict');
      expect((await first).status).to.equal(201);
      const third = await post(massPayment([item()]), key);
      expect(third.headers.get('location')).to.equal((await first).headers.get('location'));
      expect(sim.massPayments()).to.have.length(1);
      expect(sim.stats().massPayments.idempotencyConflicts).to.equal(1);
    });

    it('faults strike POST /mass-payments too: created then 500, or created then dropped; the key replays it', async () => {
      sim.setFaults({ error5xxAfterRate: 1 });
      const key = randomUUID();
      const failed = await post(massPayment([item()]), key);
      expect(failed.status).to.equal(500);
      expect(sim.massPayments()).to.have.length(1);
      sim.setFaults({ dropAfterRate: 1 });
      await post(massPayment([item()]), randomUUID()).then(
        () => expect.fail('the connection should have been dropped'),
        (e: unknown) => expect(e).to.be.an('error'),
      );
      expect(sim.massPayments()).to.have.length(2);
      sim.setFaults({ error5xxBeforeRate: 1 });
      expect((await post(massPayment([item()]), randomUUID())).status).to.be.oneOf([500, 503]);
      expect(sim.massPayments()).to.have.length(2);
      sim.setFaults({});
      const replay = await post(massPayment([item()]), key);
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('location')).to.equal(`${sim.url}/mass-payments/${sim.massPayments()[0]?.id}`);
      expect(sim.stats().injected).to.deep.include({ error5xxAfter: 1, dropAfter: 1, error5xxBefore: 1 });
    });
  });

  describe('validation (400 ValidationError, Dwolla’s codes, messages and paths)', () => {
    let spec = '';
    before(() => {
      const path = findOpenApiSpec();
      expect(path, 'Dwolla’s OpenAPI spec').to.be.a('string');
      spec = readFileSync(path as string, 'utf8');
    });

    async function refused(body: unknown): Promise<EmbeddedError[]> {
      const r = await post(body);
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(r.body.code).to.equal('ValidationError');
      expect(r.body.message).to.equal(VALIDATION);
      expect(sim.massPayments()).to.have.length(0);
      return r.body._embedded.errors as EmbeddedError[];
    }

    it('an item’s amount, metadata and correlationId: the OpenAPI examples, pathed /items/{index}/…', async () => {
      const errors = await refused(
        massPayment(
          [
            item(undefined, '1.00'),
            item(undefined, '-1.00'),
            item(undefined, '2.00', { metadata: 'not an object' }),
            item(undefined, '3.00', { correlationId: 'has spaces' }),
          ],
          { sourceId: SPECIAL_IDS.accountBank },
        ),
      );
      expect(errors).to.deep.equal([
        exampleError(spec, 'CannotParseAmountError', 1),
        exampleError(spec, 'InvalidMetadataError', 2),
        {
          code: 'InvalidFormat',
          message: 'Correlation id may only contain the characters a-Z, 0-9, -, . and _.',
          path: '/items/3/correlationId',
          _links: {},
        },
      ]);
    });

    it('the source: a removed or unverified bank is OpenAPI’s InvalidSourceFundingSourceError', async () => {
      for (const sourceId of [SPECIAL_IDS.removedBank, SPECIAL_IDS.unverifiedBank]) {
        const errors = await refused(massPayment([item()], { sourceId }));
        expect(errors).to.deep.equal([exampleError(spec, 'InvalidSourceFundingSourceError')]);
      }
    });

    it('the mass payment’s own fields: metadata, correlationId, status (only deferred), clearing, addenda', async () => {
      const errors = await refused(
        massPayment([item()], {
          metadata: { a: 'x'.repeat(300) },
          correlationId: '',
          status: 'pending',
          clearing: { source: 'same-day' },
          achDetails: { source: { addenda: { values: ['a', 'b'] } } },
        }),
      );
      expect(errors.map((e) => [e.code, e.path])).to.deep.equal([
        ['Invalid', '/metadata'],
        ['InvalidFormat', '/correlationId'],
        ['Invalid', '/clearing/source'],
        ['Invalid', '/achDetails/source/addenda/values'],
        ['Invalid', '/status'],
      ]);
      expect(errors.find((e) => e.path === '/status')).to.deep.equal(exampleError(spec, 'StatusInvalidError'));
    });

    it('an item without destination or amount, a Same Day item above $1,000,000.00, bad addenda', async () => {
      const errors = await refused(
        massPayment(
          [
            { amount: { value: '1.00', currency: 'USD' } },
            { _links: { destination: { href: fsUrl(sim.url, randomUUID()) } } },
            item(undefined, '1000000.01', { clearing: { destination: 'next-available' } }),
            item(undefined, '1.00', { achDetails: { destination: { addenda: { values: ['é'] } } } }),
          ],
          { sourceId: SPECIAL_IDS.accountBank },
        ),
      );
      expect(errors.map((e) => [e.code, e.path])).to.deep.equal([
        ['Required', '/items/0/_links/destination/href'],
        ['Required', '/items/1/amount/value'],
        ['Required', '/items/1/amount/currency'],
        ['Restricted', '/items/2/amount/value'],
        ['InvalidFormat', '/items/3/achDetails/destination/addenda/values'],
      ]);
    });

    it('metadata on an item from a balance: refused as on a transfer from a balance', async () => {
      const errors = await refused(massPayment([item(undefined, '1.00', { metadata: { k: 'v' } })]));
      expect(errors).to.deep.equal([
        {
          code: 'Invalid',
          message: 'Metadata not supported for this type of transfer.',
          path: '/items/0/metadata',
          _links: {},
        },
      ]);
    });

    it('items are required; 5,001 items are refused, 5,000 are taken', async () => {
      expect(await refused(massPayment([]))).to.deep.equal([
        { code: 'Required', message: 'Items required.', path: '/items', _links: {} },
      ]);
      const many = (n: number) => Array.from({ length: n }, () => item(SPECIAL_IDS.accountBank, '0.01'));
      expect(await refused(massPayment(many(5001)))).to.deep.equal([
        { code: 'Invalid', message: 'Items exceeded maximum count of 5000.', path: '/items', _links: {} },
      ]);
      const id = await created(massPayment(many(5000)));
      expect((await read(id)).total.value).to.equal('50.00');
    });

    it('an item’s fees are not Dwolla’s (no such property): ignored, the item’s transfer charges none', async () => {
      const payee = (await api.get(`/funding-sources/${randomUUID()}`)).body._links.customer.href;
      const fees = [{ _links: { 'charge-to': { href: payee } }, amount: { value: '1.00', currency: 'USD' } }];
      const id = await created(massPayment([item(undefined, '10.00', { fees })]));
      await complete(id);
      expect(sim.transfers()).to.have.length(1);
      expect(sim.transfers()[0]?.fees).to.equal(undefined);
    });
  });

  describe('processing: pending → processing → complete', () => {
    it('each POST /sandbox-simulations moves it a step; items become transfers with their correlationId, metadata, clearing and addenda', async () => {
      const destinationId = randomUUID();
      const id = await created(
        massPayment(
          [
            item(destinationId, '12.34', {
              correlationId: 'item-1',
              metadata: { invoice: 'A-1' },
              clearing: { destination: 'next-available' },
              achDetails: { destination: { addenda: { values: ['PAYROLL JUNE'] } } },
            }),
          ],
          { sourceId: SPECIAL_IDS.accountBank, achDetails: { source: { addenda: { values: ['BATCH 7'] } } } },
        ),
      );
      expect(await statusOf(id)).to.equal('pending');
      await simulate();
      expect(await statusOf(id)).to.equal('processing');
      expect((await itemsOf(id))._embedded.items[0].status).to.equal('pending');
      await simulate();
      expect(await statusOf(id)).to.equal('complete');
      const [done] = (await itemsOf(id))._embedded.items;
      expect(done).to.deep.include({
        status: 'success',
        amount: { value: '12.34', currency: 'USD' },
        metadata: { invoice: 'A-1' },
        correlationId: 'item-1',
      });
      expect(done._links.destination.href).to.equal(fsUrl(sim.url, destinationId));
      expect(done._links['mass-payment'].href).to.equal(`${sim.url}/mass-payments/${id}`);
      const transfer = await api.get(done._links.transfer.href.slice(sim.url.length));
      expect(transfer.status).to.equal(200);
      expect(transfer.body).to.deep.include({
        status: 'pending',
        amount: { value: '12.34', currency: 'USD' },
        metadata: { invoice: 'A-1' },
        correlationId: 'item-1',
        clearing: { source: 'standard', destination: 'same-day' },
      });
      expect(transfer.body.achDetails).to.deep.equal({
        source: { addenda: { values: ['BATCH 7'] } },
        destination: { addenda: { values: ['PAYROLL JUNE'] } },
      });
      expect(transfer.body._links['destination-funding-source'].href).to.equal(fsUrl(sim.url, destinationId));
      // The item's transfer settles like any transfer from a bank: a chain, two more simulations.
      await simulate();
      await simulate();
      expect((await api.get(done._links.transfer.href.slice(sim.url.length))).body.status).to.equal('processed');
    });

    it('by itself, massPaymentStepMs of simulated time per step', async () => {
      const timed = await startSimulator({ massPaymentStepMs: 60_000 });
      try {
        const timedApi = await Session.open(timed.url);
        const r = await timedApi.post('/mass-payments', {
          _links: { source: { href: fsUrl(timed.url, SIMULATOR.defaultSourceId) } },
          items: [
            {
              _links: { destination: { href: fsUrl(timed.url, randomUUID()) } },
              amount: { value: '1.00', currency: 'USD' },
            },
          ],
        });
        const location = (r.headers.get('location') ?? '').slice(timed.url.length);
        expect((await timedApi.get(location)).body.status).to.equal('pending');
        timed.advanceClock(60_000);
        expect((await timedApi.get(location)).body.status).to.equal('processing');
        expect(timed.transfers()).to.have.length(0);
        timed.advanceClock(60_000);
        expect(timed.transfers()).to.have.length(1); // the handle's views catch up too
        expect((await timedApi.get(location)).body.status).to.equal('complete');
      } finally {
        await timed.close();
      }
    });

    it('a balance gives each item’s amount as it is processed: debited by the total', async () => {
      const before = await balanceOf();
      const id = await created(massPayment([item(undefined, '100.00'), item(undefined, '23.45')]));
      expect(await balanceOf()).to.equal(before); // nothing taken while pending
      await complete(id);
      const cents = (value: string) => BigInt(value.replace('.', ''));
      expect(cents(await balanceOf())).to.equal(cents(before) - 12_345n);
    });

    it('item failures: a removed destination, the source itself, a destination that is no funding source, and no money left', async () => {
      // The customer's $5,000.00 balance: 3,000 + 1,500 fit, the next 1,000 does not, the last 500 does.
      const customerBalance = SPECIAL_IDS.customerBalance;
      const unknownCustomer = `${sim.url}/customers/${randomUUID()}`;
      const id = await created(
        massPayment(
          [
            item(undefined, '3000.00'),
            item(SPECIAL_IDS.removedBank, '1.00'),
            item(customerBalance, '1.00'),
            { _links: { destination: { href: unknownCustomer } }, amount: { value: '1.00', currency: 'USD' } },
            item(SPECIAL_IDS.unverifiedBank, '1500.00'),
            item(undefined, '1000.00'),
            item(undefined, '500.00'),
          ],
          { sourceId: customerBalance },
        ),
      );
      await complete(id);
      const items = (await itemsOf(id))._embedded.items;
      expect(items.map((i: { status: string }) => i.status)).to.deep.equal([
        'success',
        'failed',
        'failed',
        'failed',
        'success', // an unverified bank may receive (same-day-ach doc: "For a credit transfer, the funding source can be unverified")
        'failed',
        'success',
      ]);
      const errorsOf = (i: number) => items[i]._embedded.errors;
      expect(errorsOf(1)).to.deep.equal([
        {
          code: 'Invalid',
          message: 'Invalid destination funding source.',
          path: '/items/destination/href',
          _links: {},
        },
      ]);
      expect(errorsOf(2)).to.deep.equal([
        {
          code: 'Invalid',
          message: 'Receiver cannot be the owner of the source funding source.',
          path: '/items/destination/href',
          _links: {},
        },
      ]);
      expect(errorsOf(3)).to.deep.equal([
        { code: 'Invalid', message: 'Receiver not found.', path: '/items/destination/href', _links: {} },
      ]);
      expect(errorsOf(5)).to.deep.equal([
        { code: 'InsufficientFunds', message: 'Insufficient funds.', path: '/_links/source/href', _links: {} },
      ]);
      expect(items[1]._links.transfer).to.equal(undefined);
      expect(items[3]._links.destination.href).to.equal(unknownCustomer);
      expect(await balanceOf(customerBalance)).to.equal('0.00');
      expect(sim.transfers()).to.have.length(3);
    });

    it('a destination removed by an R03 return after the mass payment was created fails its item when processed', async () => {
      const id = await created(massPayment([item(SPECIAL_IDS.r03Bank, '5.00')], { status: 'deferred' }));
      await api.createTransfer(transferBody(sim.url, { destinationId: SPECIAL_IDS.r03Bank }));
      await simulate(); // the transfer fails with R03: the bank is removed
      expect((await api.get(`/funding-sources/${SPECIAL_IDS.r03Bank}`)).body.removed).to.equal(true);
      expect((await api.post(`/mass-payments/${id}`, { status: 'pending' })).status).to.equal(200);
      await complete(id);
      const [failed] = (await itemsOf(id))._embedded.items;
      expect(failed.status).to.equal('failed');
      expect(failed._embedded.errors[0].message).to.equal('Invalid destination funding source.');
    });
  });

  describe('deferred mass payments: POST /mass-payments/{id}', () => {
    it('deferred waits (simulations leave it); {"status":"pending"} releases it, then it is processed', async () => {
      const id = await created(massPayment([item(undefined, '7.00')], { status: 'deferred' }));
      expect(await statusOf(id)).to.equal('deferred');
      await simulate();
      expect(await statusOf(id)).to.equal('deferred');
      const released = await api.post(`/mass-payments/${id}`, { status: 'pending' });
      expect(released.status).to.equal(200);
      expect(released.body).to.deep.include({ id, status: 'pending' });
      await simulate();
      await simulate();
      expect(await statusOf(id)).to.equal('complete');
      expect(sim.transfers()).to.have.length(1);
    });

    it('{"status":"cancelled"} cancels it: nothing is sent, the balance is untouched, no other change is allowed', async () => {
      const before = await balanceOf();
      const id = await created(massPayment([item(undefined, '250.00')], { status: 'deferred' }));
      const cancelled = await api.post(`/mass-payments/${id}`, { status: 'cancelled' });
      expect([cancelled.status, cancelled.body.status]).to.deep.equal([200, 'cancelled']);
      await simulate();
      await simulate();
      expect(await statusOf(id)).to.equal('cancelled');
      expect(await balanceOf()).to.equal(before);
      expect(sim.transfers()).to.have.length(0);
      const path = findOpenApiSpec();
      const notAllowed = exampleError(readFileSync(path as string, 'utf8'), 'StatusNotAllowedError');
      for (const status of ['pending', 'cancelled']) {
        const again = await api.post(`/mass-payments/${id}`, { status });
        expect(again.status).to.equal(400);
        expect(again.body._embedded.errors).to.deep.equal([notAllowed]);
      }
    });

    it('only a deferred one may change; a status other than pending or cancelled is refused; unknown id 404', async () => {
      const id = await created(massPayment([item()]));
      const notDeferred = await api.post(`/mass-payments/${id}`, { status: 'cancelled' });
      expect(notDeferred.status).to.equal(400);
      expect(notDeferred.body._embedded.errors[0]).to.include({ code: 'NotAllowed', path: '/status' });
      const deferred = await created(massPayment([item()], { status: 'deferred' }));
      const wrong = await api.post(`/mass-payments/${deferred}`, { status: 'complete' });
      expect(wrong.status).to.equal(400);
      expect(wrong.body._embedded.errors).to.deep.equal([
        {
          code: 'Invalid',
          message: 'Invalid status. Allowed types are pending, cancelled.',
          path: '/status',
          _links: {},
        },
      ]);
      expect(await statusOf(deferred)).to.equal('deferred');
      expect((await api.post(`/mass-payments/${randomUUID()}`, { status: 'pending' })).status).to.equal(404);
    });
  });

  describe('items and lists', () => {
    it('GET /mass-payments/{id}/items pages in the request’s order and filters by status', async () => {
      const items = Array.from({ length: 60 }, (_, i) =>
        item(i % 12 === 0 ? SPECIAL_IDS.removedBank : randomUUID(), `${i + 1}.00`, { correlationId: `row-${i}` }),
      );
      const id = await created(massPayment(items));
      const pending = await itemsOf(id, 'status=pending');
      expect(pending.total).to.equal(60);
      await complete(id);
      const first = await itemsOf(id, '');
      expect(first.total).to.equal(60);
      expect(first._embedded.items).to.have.length(25);
      expect(first._embedded.items[0].correlationId).to.equal('row-0');
      expect(first._links.next.href).to.equal(`${sim.url}/mass-payments/${id}/items?limit=25&offset=25`);
      const last = await itemsOf(id, 'limit=25&offset=50');
      expect(last._embedded.items.map((i: { correlationId: string }) => i.correlationId)).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `row-${50 + i}`),
      );
      expect(last._links.next).to.equal(undefined);
      expect(last._links.prev.href).to.equal(`${sim.url}/mass-payments/${id}/items?limit=25&offset=25`);
      const failed = await itemsOf(id, 'status=failed&limit=2');
      expect(failed.total).to.equal(5);
      expect(failed._embedded.items.map((i: { correlationId: string }) => i.correlationId)).to.deep.equal([
        'row-0',
        'row-12',
      ]);
      expect(failed._links.next.href).to.equal(`${sim.url}/mass-payments/${id}/items?status=failed&limit=2&offset=2`);
      expect((await itemsOf(id, 'status=failed&status=success')).total).to.equal(60);
      expect((await itemsOf(id, 'status=success')).total).to.equal(55);
      const bad = await api.get(`/mass-payments/${id}/items?status=processed`);
      expect(bad.status).to.equal(400);
      expect(bad.body._embedded.errors[0]).to.include({ code: 'Invalid', path: '/status' });
      expect((await api.get(`/mass-payments/${id}/items?limit=0`)).status).to.equal(400);
      const unknown = await api.get(`/mass-payments/${randomUUID()}/items`);
      expect([unknown.status, unknown.body.message]).to.deep.equal([404, 'Mass payment not found.']);
    });

    it('GET /mass-payment-items/{id}; 404 for an unknown one', async () => {
      const id = await created(massPayment([item(undefined, '3.00', { correlationId: 'one' })]));
      const [listed] = (await itemsOf(id))._embedded.items;
      const got = await api.get(listed._links.self.href.slice(sim.url.length));
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(listed);
      const unknown = await api.get(`/mass-payment-items/${randomUUID()}`);
      expect(unknown.body).to.deep.equal({ code: 'NotFound', message: 'Mass payment item not found' });
    });

    it('the account’s and a customer’s mass payments: newest first, by correlationId, paged', async () => {
      const a = await created(massPayment([item()], { correlationId: 'chunk-a' }));
      const b = await created(massPayment([item()], { correlationId: 'chunk-b', sourceId: SPECIAL_IDS.accountBank }));
      const c = await created(
        massPayment([item()], { sourceId: SPECIAL_IDS.customerBalance, correlationId: 'chunk-a' }),
      );
      const all = (await api.get(`/accounts/${ACCOUNT}/mass-payments`)).body;
      expect(all.total).to.equal(2);
      expect(all._embedded['mass-payments'].map((m: { id: string }) => m.id)).to.deep.equal([b, a]);
      const byCid = (await api.get(`/accounts/${ACCOUNT}/mass-payments?correlationId=chunk-a`)).body;
      expect(byCid._embedded['mass-payments'].map((m: { id: string }) => m.id)).to.deep.equal([a]);
      expect(byCid._links.self.href).to.equal(
        `${sim.url}/accounts/${ACCOUNT}/mass-payments?correlationId=chunk-a&limit=25&offset=0`,
      );
      const paged = (await api.get(`/accounts/${ACCOUNT}/mass-payments?limit=1&offset=1`)).body;
      expect(paged._embedded['mass-payments'].map((m: { id: string }) => m.id)).to.deep.equal([a]);
      const owner = (await api.get(`/funding-sources/${SPECIAL_IDS.customerBalance}`)).body._links.customer.href;
      const customers = (await api.get(`${owner.slice(sim.url.length)}/mass-payments?correlationId=chunk-a`)).body;
      expect(customers._embedded['mass-payments'].map((m: { id: string }) => m.id)).to.deep.equal([c]);
      expect((await api.get(`/customers/${randomUUID()}/mass-payments`)).body.total).to.equal(0);
      expect((await api.get(`/accounts/${randomUUID()}/mass-payments`)).status).to.equal(404);
    });

    it('the transfers of success items are found by their correlationId, once each', async () => {
      const id = await created(
        massPayment([
          item(undefined, '1.00', { correlationId: 'p-1' }),
          item(undefined, '2.00', { correlationId: 'p-2' }),
        ]),
      );
      await complete(id);
      const items = (await itemsOf(id))._embedded.items;
      for (const [i, cid] of ['p-1', 'p-2'].entries()) {
        const found = (await api.get(`/accounts/${ACCOUNT}/transfers?correlationId=${cid}`)).body;
        expect(found.total).to.equal(1);
        expect(found._embedded.transfers[0]._links.self.href).to.equal(items[i]._links.transfer.href);
      }
      expect(sim.stats().duplicatesByCorrelationId).to.equal(0);
    });

    it('12,000 items in three chunks: created, processed, one transfer each', async () => {
      const chunk = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) => item(randomUUID(), '0.01', { correlationId: `r-${from + i}` }));
      const ids = [
        await created(massPayment(chunk(5000, 0)), randomUUID()),
        await created(massPayment(chunk(5000, 5000)), randomUUID()),
        await created(massPayment(chunk(2000, 10000)), randomUUID()),
      ];
      await simulate();
      await simulate();
      for (const [i, id] of ids.entries()) {
        expect(await statusOf(id)).to.equal('complete');
        expect((await itemsOf(id, 'status=success&limit=1')).total).to.equal([5000, 5000, 2000][i]);
      }
      expect(sim.stats().transfersCreated).to.equal(12_000);
      expect(sim.stats().duplicatesByCorrelationId).to.equal(0);
      const last = (await api.get(`/accounts/${ACCOUNT}/transfers?correlationId=r-11999`)).body;
      expect(last.total).to.equal(1);
    });
  });
});
