/**
 * What Dwolla refuses and a lenient fake would let through: money a balance does not hold,
 * metadata on a balance-sourced transfer, a fee charged to someone who is not a party.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import {
  findOpenApiSpec,
  type Reply,
  Session,
  type SpecErrorExample,
  specErrorExample,
  transferBody,
} from './helpers.js';

const VALIDATION = 'Validation error(s) present. See embedded errors list for more details.';

/** The whole 400 body of one embedded error, as Dwolla sends it. */
function validationBody(code: string, message: string, path: string) {
  return { code: 'ValidationError', message: VALIDATION, _embedded: { errors: [{ code, message, path, _links: {} }] } };
}

/** The same body built from an OpenAPI error schema's examples. */
function bodyOfExample(example: SpecErrorExample) {
  const e = example.embedded;
  if (!e) {
    throw new Error('the schema has no embedded example');
  }
  return { code: example.code, message: example.message, _embedded: { errors: [{ ...e, _links: {} }] } };
}

describe('simulator: Dwolla refusals of POST /transfers', () => {
  let sim: SimulatorHandle;
  let api: Session;
  let spec: string | undefined;
  before(() => {
    const path = findOpenApiSpec();
    spec = path === undefined ? undefined : readFileSync(path, 'utf8');
  });
  beforeEach(async () => {
    sim = await startSimulator({ balance: '100.00' });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  /** `/customers/{id}` URL of the customer owning a funding source, as `GET /funding-sources/{id}` links it. */
  async function customerOf(fundingSourceId: string): Promise<string> {
    const r = await api.get(`/funding-sources/${fundingSourceId}`);
    expect(r.status).to.equal(200);
    return r.body._links.customer.href as string;
  }

  const fee = (chargeTo: string, value = '1.00') => ({
    _links: { 'charge-to': { href: chargeTo } },
    amount: { value, currency: 'USD' },
  });

  function expectRefused(r: Reply, body: unknown): void {
    expect(r.status, JSON.stringify(r.body)).to.equal(400);
    expect(r.body).to.deep.equal(body);
    expect(sim.transfers(), 'nothing is created').to.have.length(0);
  }

  describe('InsufficientFunds', () => {
    it('a transfer beyond the balance is 400 InsufficientFunds at /_links/source/href, as OpenAPI InsufficientFundsError', async function () {
      const r = await api.createTransfer(transferBody(sim.url, { amount: { value: '100.01', currency: 'USD' } }));
      const body = validationBody('InsufficientFunds', 'Insufficient funds.', '/_links/source/href');
      expectRefused(r, body);
      expect(sim.stats()).to.deep.include({ validationFailures: 1, insufficientFunds: 1, transfersCreated: 0 });
      if (!spec) {
        this.skip();
      }
      expect(body).to.deep.equal(bodyOfExample(specErrorExample(spec, 'InsufficientFundsError')));
    });

    it('the refused request releases its idempotency key: the same key then creates a smaller transfer', async () => {
      const key = randomUUID();
      const big = await api.createTransfer(
        transferBody(sim.url, { amount: { value: '500.00', currency: 'USD' } }),
        key,
      );
      expect(big.status).to.equal(400);
      const small = await api.createTransfer(
        transferBody(sim.url, { amount: { value: '60.00', currency: 'USD' } }),
        key,
      );
      expect(small.status).to.equal(201);
      expect(sim.transfers().map((t) => [t.amount.value, t.idempotencyKey])).to.deep.equal([['60.00', key]]);
      // The balance now holds 40.00: a second 60.00 is refused.
      const again = await api.createTransfer(transferBody(sim.url, { amount: { value: '60.00', currency: 'USD' } }));
      expect(again.status).to.equal(400);
      expect(again.body._embedded.errors[0].code).to.equal('InsufficientFunds');
      expect(sim.stats().insufficientFunds).to.equal(2);
    });

    it('the customer balance holds 5000.00: 5000.01 is refused, 5000.00 passes', async () => {
      const from = (value: string) =>
        transferBody(sim.url, { sourceId: SPECIAL_IDS.customerBalance, amount: { value, currency: 'USD' } });
      const r = await api.createTransfer(from('5000.01'));
      expectRefused(r, validationBody('InsufficientFunds', 'Insufficient funds.', '/_links/source/href'));
      expect((await api.createTransfer(from('5000.00'))).status).to.equal(201);
    });

    it('other validation errors are reported instead, and take nothing', async () => {
      const r = await api.createTransfer({
        ...transferBody(sim.url, { amount: { value: '500.00', currency: 'USD' } }),
        correlationId: 'has space',
      });
      expect(r.status).to.equal(400);
      expect(r.body._embedded.errors.map((e: { path: string }) => e.path)).to.deep.equal(['/correlationId']);
      expect(
        (await api.createTransfer(transferBody(sim.url, { amount: { value: '100.00', currency: 'USD' } }))).status,
      ).to.equal(201);
    });
  });

  describe('metadata with a balance source', () => {
    const NOT_SUPPORTED = validationBody('Invalid', 'Metadata not supported for this type of transfer.', '/metadata');

    it('is 400 Invalid "Metadata not supported for this type of transfer." at /metadata, and takes no money', async function () {
      for (const sourceId of [SIMULATOR.defaultSourceId, SPECIAL_IDS.customerBalance]) {
        const r = await api.createTransfer(transferBody(sim.url, { sourceId, metadata: { paymentId: 'P-1' } }));
        expectRefused(r, NOT_SUPPORTED);
      }
      const balance = await api.get(`/funding-sources/${SIMULATOR.defaultSourceId}/balance`);
      expect(balance.body.balance.value).to.equal('100.00');
      if (!spec) {
        this.skip();
      }
      // The shape of OpenAPI InvalidMetadataError: its code and path; the message is the docs' error table's.
      const example = specErrorExample(spec, 'InvalidMetadataError');
      expect([example.code, example.message]).to.deep.equal([NOT_SUPPORTED.code, NOT_SUPPORTED.message]);
      expect([example.embedded?.code, example.embedded?.path]).to.deep.equal(['Invalid', '/metadata']);
    });

    it('empty or absent metadata from a balance passes; metadata from a bank passes and is kept', async () => {
      expect((await api.createTransfer(transferBody(sim.url, { metadata: {} }))).status).to.equal(201);
      expect((await api.createTransfer(transferBody(sim.url))).status).to.equal(201);
      const fromBank = await api.createTransfer(
        transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank, metadata: { paymentId: 'P-2' } }),
      );
      expect(fromBank.status).to.equal(201);
      const t = await api.get(new URL(fromBank.headers.get('location') as string).pathname);
      expect(t.body.metadata).to.deep.equal({ paymentId: 'P-2' });
    });

    it('malformed metadata from a balance is "Invalid metadata." alone', async () => {
      const r = await api.createTransfer({ ...transferBody(sim.url), metadata: { a: { b: 'c' } } });
      expectRefused(r, validationBody('Invalid', 'Invalid metadata.', '/metadata'));
    });
  });

  describe('a fee charged to a non-party', () => {
    const PATH = '/fees/_links/charge-to/href';
    const NOT_A_PARTY = validationBody('Invalid', 'Unable to charge fee to specified destination.', PATH);
    const NOT_THE_SAME = validationBody('Invalid', 'Currently, all fees must be paid by same destination.', PATH);

    it("a fee charged to the payee's customer (the destination's owner) passes", async () => {
      const destinationId = randomUUID();
      const payee = await customerOf(destinationId);
      const r = await api.createTransfer(transferBody(sim.url, { destinationId, fees: [fee(payee)] }));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(sim.transfers()[0]?.fees?.[0]?._links['charge-to'].href).to.equal(payee);
    });

    it("a fee charged to the source's customer passes (a customer's balance paying a payee)", async () => {
      const owner = await customerOf(SPECIAL_IDS.customerBalance);
      const body = transferBody(sim.url, { sourceId: SPECIAL_IDS.customerBalance, fees: [fee(owner)] });
      expect((await api.createTransfer(body)).status).to.equal(201);
    });

    it('a fee charged to a customer who is not a party is 400, as OpenAPI InvalidFacilitatorFeeCollectFromError', async function () {
      const someoneElse = `${sim.url}/customers/${randomUUID()}`;
      const other = await customerOf(randomUUID()); // a real customer, of another payee
      const account = `${sim.url}/accounts/${SIMULATOR.accountId}`; // the account is no customer
      for (const chargeTo of [someoneElse, other, account]) {
        expectRefused(await api.createTransfer(transferBody(sim.url, { fees: [fee(chargeTo)] })), NOT_A_PARTY);
      }
      // One party and one outsider: still the outsider's refusal.
      const destinationId = randomUUID();
      const payee = await customerOf(destinationId);
      const mixed = transferBody(sim.url, { destinationId, fees: [fee(payee), fee(someoneElse)] });
      expectRefused(await api.createTransfer(mixed), NOT_A_PARTY);
      if (!spec) {
        this.skip();
      }
      expect(NOT_A_PARTY).to.deep.equal(bodyOfExample(specErrorExample(spec, 'InvalidFacilitatorFeeCollectFromError')));
    });

    it('fees charged to both parties are 400, as OpenAPI InvalidFacilitatorFeeCollectFromCombinationError', async function () {
      const destinationId = randomUUID();
      const payee = await customerOf(destinationId);
      const owner = await customerOf(SPECIAL_IDS.customerBalance);
      const body = transferBody(sim.url, {
        sourceId: SPECIAL_IDS.customerBalance,
        destinationId,
        fees: [fee(payee), fee(owner)],
      });
      expectRefused(await api.createTransfer(body), NOT_THE_SAME);
      const bothToPayee = { ...body, fees: [fee(payee), fee(payee, '2.00')] };
      expect((await api.createTransfer(bothToPayee)).status).to.equal(201);
      if (!spec) {
        this.skip();
      }
      const example = specErrorExample(spec, 'InvalidFacilitatorFeeCollectFromCombinationError');
      // The spec's example message ends in a stray quote: `...paid by same destination."`.
      expect(example.embedded?.message).to.equal(`${NOT_THE_SAME._embedded.errors[0]?.message}"`);
      const fixed = { ...example, embedded: { ...example.embedded, message: example.embedded?.message.slice(0, -1) } };
      expect(NOT_THE_SAME).to.deep.equal(bodyOfExample(fixed as SpecErrorExample));
    });

    it('the earlier fee rules still apply (sum too large, account not found)', async () => {
      const destinationId = randomUUID();
      const payee = await customerOf(destinationId);
      const tooLarge = await api.createTransfer(transferBody(sim.url, { destinationId, fees: [fee(payee, '5.01')] }));
      expect(tooLarge.status).to.equal(400);
      expect(tooLarge.body._embedded.errors.map((e: { message: string }) => e.message)).to.deep.equal([
        'Facilitator fee sum too large.',
      ]);
      const nowhere = await api.createTransfer(transferBody(sim.url, { destinationId, fees: [fee('nope')] }));
      expect(nowhere.body._embedded.errors.map((e: { message: string }) => e.message)).to.deep.equal([
        'Facilitator fee account not found.',
      ]);
    });
  });
});
