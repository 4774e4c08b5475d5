/**
 * The conformance suite: one list of Dwolla behaviours, run twice against the simulator: once
 * over plain HTTP (Node's fetch, every header ours), and once through Dwolla's official Node SDK,
 * `dwolla-v2`, pointed at the simulator. What passes through the SDK is what a real Dwolla client
 * sends and expects (form-field token request, `Content-Type: application/json` on POSTs, its
 * own error objects), so the simulator is not shaped to our client's convenience.
 *
 * Sources: OpenAPI operations (dwolla-openapi.yml) getRoot, getFundingSource,
 * getFundingSourceBalance, initiateTransfer (and its 400 schemas), getTransfer, cancelTransfer,
 * getTransferFailureReason, listTransferFees, listAccountTransfers,
 * simulateBankTransferProcessing; docs initiate-transfer-idempotency-errors.txt,
 * transfer-statuses-correlation-chains.txt, facilitator-fees.txt.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { HAL_JSON, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { basic, call } from './helpers.js';

/** One answer, whichever driver got it. */
interface Answer {
  status: number;
  location: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body whose fields the assertions check
  body: any;
}

/** What each scenario needs from a driver. */
interface Driver {
  /** Gets a token with these credentials: undefined when granted, else the OAuth error code. */
  authenticate(key: string, secret: string): Promise<string | undefined>;
  get(path: string, query?: Record<string, string>): Promise<Answer>;
  post(path: string, body: unknown, idempotencyKey?: string): Promise<Answer>;
}

/** Plain HTTP: Basic auth on POST /token, Dwolla's HAL media type both ways. */
function fetchDriver(base: string): Driver {
  let token = '';
  const answer = async (url: string, init: RequestInit): Promise<Answer> => {
    const r = await call(url, init);
    return { status: r.status, location: r.headers.get('location'), body: r.body };
  };
  return {
    async authenticate(key, secret) {
      const r = await call(`${base}/token`, {
        method: 'POST',
        headers: { Authorization: basic(key, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      token = r.status === 200 ? String(r.body.access_token) : '';
      return r.status === 200 ? undefined : String(r.body.error);
    },
    get(path, query) {
      const qs = query ? `?${new URLSearchParams(query).toString()}` : '';
      return answer(`${base}${path}${qs}`, { headers: { Authorization: `Bearer ${token}`, Accept: HAL_JSON } });
    },
    post(path, body, idempotencyKey) {
      return answer(`${base}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: HAL_JSON,
          'Content-Type': HAL_JSON,
          ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
      });
    },
  };
}

/** The parts of dwolla-v2's Client these tests use (the package ships no types). */
interface SdkResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: unknown;
}
interface SdkClient {
  tokenUrl: string;
  apiUrl: string;
  get(path: string, query?: Record<string, string>): Promise<SdkResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<SdkResponse>;
}
type SdkClientClass = new (opts: { key: string; secret: string; environment: 'sandbox' }) => SdkClient;

const require = createRequire(import.meta.url);
const dwolla = require('dwolla-v2') as { Client: SdkClientClass };

/** Dwolla's official Node SDK, its sandbox environment's URLs replaced by the simulator's. */
function sdkDriver(base: string): Driver {
  let client: SdkClient | undefined;
  const settle = async (p: Promise<SdkResponse>): Promise<Answer> => {
    try {
      const r = await p;
      return { status: r.status, location: r.headers.get('location'), body: r.body };
    } catch (err) {
      // The SDK rejects with the answer on 4xx/5xx: {status, headers, body}.
      const e = err as Partial<SdkResponse> & { error?: string };
      if (typeof e.status !== 'number') {
        throw err;
      }
      return { status: e.status, location: e.headers?.get('location') ?? null, body: e.body };
    }
  };
  const sdk = (): SdkClient => {
    if (!client) {
      throw new Error('authenticate first');
    }
    return client;
  };
  return {
    async authenticate(key, secret) {
      const c = new dwolla.Client({ key, secret, environment: 'sandbox' });
      c.tokenUrl = `${base}/token`;
      c.apiUrl = base;
      try {
        await c.get('/');
        client = c;
        return undefined;
      } catch (err) {
        return String((err as { error?: string }).error);
      }
    },
    get: (path, query) => settle(sdk().get(path, query)),
    post: (path, body, idempotencyKey) =>
      settle(sdk().post(path, body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined)),
  };
}

const BALANCE = SIMULATOR.defaultSourceId;
const BANK = SPECIAL_IDS.accountBank;

for (const [name, makeDriver] of [
  ['plain HTTP', fetchDriver],
  ['Dwolla Node SDK (dwolla-v2)', sdkDriver],
] as const) {
  describe(`simulator conformance through ${name}`, () => {
    let sim: SimulatorHandle;
    let api: Driver;

    beforeEach(async () => {
      // Tuesday 1 December 2026, 09:00 Central: a business day, before the 4 pm cancel cutoff.
      sim = await startSimulator({ port: 0, startTime: new Date('2026-12-01T15:00:00Z'), balance: '1000.00' });
      api = makeDriver(sim.url);
      expect(await api.authenticate(SIMULATOR.key, SIMULATOR.secret)).to.equal(undefined);
    });
    afterEach(() => sim.close());

    const fs = (id: string) => `${sim.url}/funding-sources/${id}`;
    const body = (sourceId: string, destinationId: string, value: string, extra: object = {}) => ({
      _links: { source: { href: fs(sourceId) }, destination: { href: fs(destinationId) } },
      amount: { currency: 'USD', value },
      ...extra,
    });
    const idOf = (location: string | null) => String(location).split('/').pop()!;

    it('POST /token: a wrong secret or key is refused 401 invalid_client', async () => {
      expect(await api.authenticate(SIMULATOR.key, 'not-the-secret')).to.equal('invalid_client');
      expect(await api.authenticate('not-the-key', SIMULATOR.secret)).to.equal('invalid_client');
    });

    it('GET / links the account; GET a funding source and its balance', async () => {
      const root = await api.get('/');
      expect(root.status).to.equal(200);
      expect(root.body._links.account.href).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);
      const source = await api.get(`/funding-sources/${BALANCE}`);
      expect([source.status, source.body.type, source.body.status]).to.deep.equal([200, 'balance', 'verified']);
      const balance = await api.get(`/funding-sources/${BALANCE}/balance`);
      expect(balance.status).to.equal(200);
      expect(balance.body.balance).to.deep.equal({ value: '1000.00', currency: 'USD' });
    });

    it('creates a transfer (201 + Location); the same Idempotency-Key answers the same Location and takes the money once', async () => {
      const key = randomUUID();
      const first = await api.post('/transfers', body(BALANCE, randomUUID(), '250.00'), key);
      expect(first.status).to.equal(201);
      expect(first.location).to.match(/\/transfers\/[0-9a-f-]{36}$/);
      const again = await api.post('/transfers', body(BALANCE, randomUUID(), '250.00'), key);
      expect([again.status, again.location]).to.deep.equal([201, first.location]);
      const balance = await api.get(`/funding-sources/${BALANCE}/balance`);
      expect(balance.body.balance.value).to.equal('750.00');
      const read = await api.get(`/transfers/${idOf(first.location)}`);
      expect([read.status, read.body.status, read.body.amount.value]).to.deep.equal([200, 'pending', '250.00']);
    });

    it('refuses more than the balance holds: 400 InsufficientFunds on /_links/source/href', async () => {
      const r = await api.post('/transfers', body(BALANCE, randomUUID(), '1000.01'), randomUUID());
      expect(r.status).to.equal(400);
      expect(r.body.code).to.equal('ValidationError');
      expect(r.body._embedded.errors[0]).to.include({
        code: 'InsufficientFunds',
        message: 'Insufficient funds.',
        path: '/_links/source/href',
      });
    });

    it('refuses metadata on a transfer from a balance, accepts it from a bank', async () => {
      const metadata = { metadata: { invoice: 'INV-1' } };
      const refused = await api.post('/transfers', body(BALANCE, randomUUID(), '5.00', metadata), randomUUID());
      expect(refused.status).to.equal(400);
      expect(refused.body._embedded.errors[0]).to.include({
        message: 'Metadata not supported for this type of transfer.',
        path: '/metadata',
      });
      const fromBank = await api.post('/transfers', body(BANK, randomUUID(), '5.00', metadata), randomUUID());
      expect(fromBank.status).to.equal(201);
      const read = await api.get(`/transfers/${idOf(fromBank.location)}`);
      expect(read.body.metadata).to.deep.equal({ invoice: 'INV-1' });
    });

    it('charges a fee only to a party of the transfer; the fee is its own transfer', async () => {
      const payee = randomUUID();
      const owner = (await api.get(`/funding-sources/${payee}`)).body._links.customer.href as string;
      const fee = (chargeTo: string) => ({
        fees: [{ _links: { 'charge-to': { href: chargeTo } }, amount: { value: '1.00', currency: 'USD' } }],
      });
      const stranger = `${sim.url}/customers/${randomUUID()}`;
      const refused = await api.post('/transfers', body(BALANCE, payee, '20.00', fee(stranger)), randomUUID());
      expect(refused.status).to.equal(400);
      expect(refused.body._embedded.errors[0]).to.include({
        code: 'Invalid',
        message: 'Unable to charge fee to specified destination.',
        path: '/fees/_links/charge-to/href',
      });
      const created = await api.post('/transfers', body(BALANCE, payee, '20.00', fee(owner)), randomUUID());
      expect(created.status).to.equal(201);
      const fees = await api.get(`/transfers/${idOf(created.location)}/fees`);
      expect(fees.status).to.equal(200);
      expect(fees.body.total).to.equal(1);
      expect(fees.body.transactions[0].amount).to.deep.equal({ value: '1.00', currency: 'USD' });
    });

    it('a bank-sourced payout is a chain settled by two POST /sandbox-simulations', async () => {
      const created = await api.post(
        '/transfers',
        body(BANK, randomUUID(), '40.00', { clearing: { source: 'next-available', destination: 'next-available' } }),
        randomUUID(),
      );
      expect(created.status).to.equal(201);
      const id = idOf(created.location);
      const funding = (await api.get(`/transfers/${id}`)).body;
      expect(funding.status).to.equal('pending');
      expect(funding.clearing).to.deep.equal({ source: 'same-day', destination: 'same-day' });
      const fundedHref = funding._links['funded-transfer'].href as string;
      expect((await api.post('/sandbox-simulations', {})).status).to.equal(200);
      expect((await api.get(`/transfers/${id}`)).body.status).to.equal('processed');
      const funded = (await api.get(`/transfers/${idOf(fundedHref)}`)).body;
      expect(funded.status).to.equal('pending');
      expect(funded._links['funding-transfer'].href).to.equal(`${sim.url}/transfers/${id}`);
      expect((await api.post('/sandbox-simulations', {})).status).to.equal(200);
      expect((await api.get(`/transfers/${idOf(fundedHref)}`)).body.status).to.equal('processed');
    });

    it('a payout to an R01 bank fails with its return, readable at /failure', async () => {
      const created = await api.post('/transfers', body(BALANCE, SPECIAL_IDS.r01Bank, '12.00'), randomUUID());
      const id = idOf(created.location);
      await api.post('/sandbox-simulations', {});
      const read = await api.get(`/transfers/${id}`);
      expect(read.body.status).to.equal('failed');
      const failure = await api.get(`/transfers/${id}/failure`);
      expect([failure.status, failure.body.code]).to.deep.equal([200, 'R01']);
    });

    it('cancels a pending transfer (the money goes back to the balance)', async () => {
      const created = await api.post('/transfers', body(BALANCE, randomUUID(), '100.00'), randomUUID());
      const id = idOf(created.location);
      expect((await api.get(`/transfers/${id}`)).body._links.cancel).to.not.equal(undefined);
      const cancelled = await api.post(`/transfers/${id}`, { status: 'cancelled' });
      expect([cancelled.status, cancelled.body.status]).to.deep.equal([200, 'cancelled']);
      expect((await api.get(`/funding-sources/${BALANCE}/balance`)).body.balance.value).to.equal('1000.00');
    });

    it("lists the account's transfers by correlationId, and refuses a search it cannot do", async () => {
      const correlationId = `conf-${randomUUID()}`;
      await api.post('/transfers', body(BALANCE, randomUUID(), '3.00', { correlationId }), randomUUID());
      await api.post('/transfers', body(BALANCE, randomUUID(), '4.00'), randomUUID());
      const listPath = `/accounts/${SIMULATOR.accountId}/transfers`;
      const found = await api.get(listPath, { correlationId });
      expect(found.status).to.equal(200);
      expect(found.body.total).to.equal(1);
      expect(found.body._embedded.transfers[0].correlationId).to.equal(correlationId);
      const search = await api.get(listPath, { search: 'Ava' });
      expect(search.status).to.equal(400);
    });
  });
}
