import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { DwollaClient } from '../../src/dwolla/client.js';
import { DwollaApiError, DwollaConfigError, DwollaNetworkError } from '../../src/dwolla/errors.js';
import { callFailure, withRetries } from '../../src/dwolla/retry.js';
import { type CreateMassPaymentRequest, type MassPaymentItemRequest, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('DwollaClient: Mass Payments against the simulator', () => {
  let sim: SimulatorHandle;
  let client: DwollaClient;
  beforeEach(async () => {
    sim = await startSimulator({ massPaymentStepMs: DAY_MS });
    client = new DwollaClient({ baseUrl: sim.url, key: SIMULATOR.key, secret: SIMULATOR.secret, timeoutMs: 5000 });
  });
  afterEach(async () => {
    client.close();
    await sim.close();
  });

  const item = (value = '10.00', extra: Partial<MassPaymentItemRequest> = {}): MassPaymentItemRequest => ({
    _links: { destination: { href: client.fundingSourceUrl(randomUUID()) } },
    amount: { value, currency: 'USD' },
    ...extra,
  });
  const body = (items: MassPaymentItemRequest[], extra: Partial<CreateMassPaymentRequest> = {}) => ({
    _links: { source: { href: client.fundingSourceUrl(SIMULATOR.defaultSourceId) } },
    items,
    ...extra,
  });
  const simulate = () => sim.simulate();

  it('createMassPayment: 201 with its url and id; the same key gives the same mass payment', async () => {
    const key = randomUUID();
    const created = await client.createMassPayment(
      body([item('1.50'), item('2.50')], { correlationId: 'chunk-1' }),
      key,
    );
    expect(created.httpStatus).to.equal(201);
    expect(created.url).to.equal(`${sim.url}/mass-payments/${created.id}`);
    const again = await client.createMassPayment(body([item()]), key);
    expect(again.url).to.equal(created.url);
    expect(sim.massPayments()).to.have.length(1);
    const read = await client.getMassPayment(created.url);
    expect(read).to.deep.include({ id: created.id, status: 'pending', correlationId: 'chunk-1' });
    expect(read.total).to.deep.equal({ value: '4.00', currency: 'USD' });
    expect((await client.getMassPayment(created.id)).id).to.equal(created.id);
  });

  it('createMassPayment needs an idempotency key; a foreign URL is refused before any request', async () => {
    await client.createMassPayment(body([item()]), '').then(
      () => expect.fail('should refuse'),
      (e: unknown) => expect(e).to.be.instanceOf(DwollaConfigError).and.include({ code: 'MissingIdempotencyKey' }),
    );
    expect(() => client.massPaymentUrl('https://api.dwolla.com/mass-payments/abc')).to.throw(DwollaConfigError);
    expect(client.massPaymentUrl(`${sim.url}/mass-payments/abc/`)).to.equal(`${sim.url}/mass-payments/abc`);
    expect(sim.stats().massPayments.requests).to.equal(0);
  });

  it('a refused mass payment is a permanent DwollaApiError with Dwolla’s embedded codes and paths', async () => {
    const failure = await withRetries(() => client.createMassPayment(body([item(), item('-1')]), randomUUID()), {
      maxAttempts: 3,
      sleep: async () => {},
    }).then(
      () => expect.fail('should be refused'),
      (e: unknown) => callFailure(e),
    );
    expect(failure.reason).to.equal('permanent');
    expect(failure.attempts).to.equal(1);
    const error = failure.dwollaError as DwollaApiError;
    expect(error).to.be.instanceOf(DwollaApiError);
    expect(error).to.include({ httpStatus: 400, code: 'ValidationError' });
    expect(error.embedded).to.deep.equal([
      {
        code: 'InvalidFormat',
        message: 'Invalid amount. The supplied amount must be a positive number.',
        path: '/items/1/amount/value',
      },
    ]);
  });

  it('retried with the same key after a 500 or a dropped connection that followed creation: one mass payment', async () => {
    for (const faults of [{ error5xxAfterRate: 1 }, { dropAfterRate: 1 }]) {
      sim.setFaults(faults);
      const seen: unknown[] = [];
      const key = randomUUID();
      const { value, attempts } = await withRetries(() => client.createMassPayment(body([item()]), key), {
        maxAttempts: 3,
        // The fault strikes once: the retry finds the key done and gets the original Location.
        sleep: async () => sim.setFaults({}),
        onRetry: ({ error }) => seen.push(error),
      });
      expect(attempts).to.equal(2);
      expect(seen[0]).to.be.instanceOf(faults.dropAfterRate ? DwollaNetworkError : DwollaApiError);
      expect(value.url).to.equal(`${sim.url}/mass-payments/${sim.massPayments().at(-1)?.id}`);
    }
    expect(sim.massPayments()).to.have.length(2);
    expect(sim.stats().massPayments.idempotentReplays).to.equal(2);
  });

  it('deferred: updateMassPayment releases it; items page by status with their transfers', async () => {
    const items = [item('1.00', { correlationId: 'row-1' }), item('2.00', { correlationId: 'row-2' })];
    items.push({
      ...item('3.00', { correlationId: 'row-3' }),
      _links: { destination: { href: client.fundingSourceUrl(SPECIAL_IDS.removedBank) } },
    });
    const { id } = await client.createMassPayment(body(items, { status: 'deferred' }), randomUUID());
    expect((await client.getMassPayment(id)).status).to.equal('deferred');
    expect((await client.updateMassPayment(id, 'pending')).status).to.equal('pending');
    simulate();
    expect((await client.getMassPayment(id)).status).to.equal('processing');
    simulate();
    expect((await client.getMassPayment(id)).status).to.equal('complete');

    const page = await client.listMassPaymentItems(id, { limit: 1, offset: 1 });
    expect(page.total).to.equal(3);
    expect(page._embedded.items.map((i) => i.correlationId)).to.deep.equal(['row-2']);
    const success = await client.listMassPaymentItems(id, { status: 'success' });
    expect(success._embedded.items.map((i) => i.correlationId)).to.deep.equal(['row-1', 'row-2']);
    const transfer = await client.getTransfer(success._embedded.items[0]?._links.transfer?.href ?? '');
    expect(transfer.correlationId).to.equal('row-1');
    const failed = await client.listMassPaymentItems(id, { status: ['failed', 'pending'] });
    expect(failed._embedded.items).to.have.length(1);
    expect(failed._embedded.items[0]?._embedded?.errors[0]).to.include({
      code: 'Invalid',
      path: '/items/destination/href',
    });
  });

  it('updateMassPayment cancels a deferred one; one that is not deferred is a 400 NotAllowed', async () => {
    const deferred = await client.createMassPayment(body([item()], { status: 'deferred' }), randomUUID());
    expect((await client.updateMassPayment(deferred.url, 'cancelled')).status).to.equal('cancelled');
    const refused = await client.updateMassPayment(deferred.id, 'pending').then(
      () => expect.fail('should be refused'),
      (e: unknown) => e as DwollaApiError,
    );
    expect(refused).to.be.instanceOf(DwollaApiError);
    expect(refused.embedded[0]).to.include({ code: 'NotAllowed', path: '/status' });
    const missing = await client.getMassPayment(randomUUID()).then(
      () => expect.fail('should be 404'),
      (e: unknown) => e as DwollaApiError,
    );
    expect(missing).to.include({ httpStatus: 404, code: 'NotFound' });
  });

  it('listMassPayments: the account’s, newest first, found by correlationId', async () => {
    const a = await client.createMassPayment(body([item()], { correlationId: 'batch-7.chunk-0' }), randomUUID());
    const b = await client.createMassPayment(body([item()], { correlationId: 'batch-7.chunk-1' }), randomUUID());
    const all = await client.listMassPayments();
    expect(all.total).to.equal(2);
    expect(all._embedded['mass-payments'].map((m) => m.id)).to.deep.equal([b.id, a.id]);
    const one = await client.listMassPayments({ correlationId: 'batch-7.chunk-0' });
    expect(one._embedded['mass-payments'].map((m) => m.id)).to.deep.equal([a.id]);
    const none = await client.listMassPayments({ correlationId: 'batch-8.chunk-0' });
    expect([none.total, none._embedded['mass-payments']]).to.deep.equal([0, []]);
    const second = await client.listMassPayments({ limit: 1, offset: 1 });
    expect(second._embedded['mass-payments'].map((m) => m.id)).to.deep.equal([a.id]);
  });
});
