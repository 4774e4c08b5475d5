import { expect } from 'chai';
import { HAL_JSON, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.js';
import { basic, call, getToken, hal } from './helpers.js';

describe('simulator: token and authentication', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startSimulator({ tokenLifetimeSec: 120 });
  });
  afterEach(() => sim.close());

  const form = 'application/x-www-form-urlencoded';

  it('issues a bearer token for client credentials sent by HTTP Basic auth', async () => {
    const r = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { Authorization: basic(SIMULATOR.key, SIMULATOR.secret), 'Content-Type': form },
      body: 'grant_type=client_credentials',
    });
    expect(r.status).to.equal(200);
    expect(r.body.token_type).to.equal('bearer');
    expect(r.body.expires_in).to.equal(120);
    expect(r.body.access_token).to.be.a('string').with.length.greaterThan(20);
  });

  it('issues a token for client_id and client_secret sent as form fields', async () => {
    const r = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': form },
      body: `client_id=${SIMULATOR.key}&client_secret=${SIMULATOR.secret}&grant_type=client_credentials`,
    });
    expect(r.status).to.equal(200);
    const root = await call(`${sim.url}/`, { headers: hal(r.body.access_token) });
    expect(root.status).to.equal(200);
  });

  it('answers OAuth errors: invalid_client, invalid_request, unsupported_grant_type', async () => {
    const noCredentials = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': form },
      body: 'grant_type=client_credentials',
    });
    expect(noCredentials.status).to.equal(401);
    expect(noCredentials.body.error).to.equal('invalid_client');

    const emptySecret = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { Authorization: basic('key', ''), 'Content-Type': form },
      body: 'grant_type=client_credentials',
    });
    expect(emptySecret.body.error).to.equal('invalid_client');

    const noGrant = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { Authorization: basic(SIMULATOR.key, SIMULATOR.secret), 'Content-Type': form },
      body: '',
    });
    expect(noGrant.status).to.equal(400);
    expect(noGrant.body.error).to.equal('invalid_request');

    const wrongGrant = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { Authorization: basic(SIMULATOR.key, SIMULATOR.secret), 'Content-Type': form },
      body: 'grant_type=password',
    });
    expect(wrongGrant.status).to.equal(400);
    expect(wrongGrant.body.error).to.equal('unsupported_grant_type');
  });

  /** `POST /token` with these credentials (Basic auth or form fields). */
  function token(base: string, key: string, secret: string, how: 'basic' | 'form' = 'basic') {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (how === 'form') {
      body.set('client_id', key);
      body.set('client_secret', secret);
    }
    return call(`${base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': form, ...(how === 'basic' ? { Authorization: basic(key, secret) } : {}) },
      body: body.toString(),
    });
  }

  it('refuses a wrong secret and a wrong key with 401 invalid_client, by Basic auth and by form fields (OpenAPI POST /token 401)', async () => {
    const attempts: Array<[string, string, string, 'basic' | 'form']> = [
      ['wrong secret', SIMULATOR.key, `${SIMULATOR.secret}x`, 'basic'],
      ['wrong key', `${SIMULATOR.key}x`, SIMULATOR.secret, 'basic'],
      ['wrong secret', SIMULATOR.key, 'other-secret', 'form'],
      ['wrong key', 'other-key', SIMULATOR.secret, 'form'],
      ['swapped', SIMULATOR.secret, SIMULATOR.key, 'basic'],
    ];
    for (const [what, key, secret, how] of attempts) {
      const r = await token(sim.url, key, secret, how);
      expect(r.status, `${what} (${how})`).to.equal(401);
      expect(r.headers.get('content-type'), what).to.equal('application/json');
      expect(r.body, `${what} (${how})`).to.deep.equal({
        error: 'invalid_client',
        error_description: 'Missing or invalid client credentials.',
      });
    }
    // Credentials are checked before the grant type: a wrong secret never learns more.
    const r = await call(`${sim.url}/token`, {
      method: 'POST',
      headers: { Authorization: basic(SIMULATOR.key, 'nope'), 'Content-Type': form },
      body: 'grant_type=password',
    });
    expect(r.status).to.equal(401);
    expect(r.body.error).to.equal('invalid_client');
    expect(sim.stats().tokensIssued).to.equal(0);
  });

  it('accepts only the credentials it was started with, and then no longer the published pair', async () => {
    const own = await startSimulator({ credentials: { key: 'my-key', secret: 'my-secret' } });
    try {
      for (const how of ['basic', 'form'] as const) {
        const ok = await token(own.url, 'my-key', 'my-secret', how);
        expect(ok.status, how).to.equal(200);
        expect((await call(`${own.url}/`, { headers: hal(ok.body.access_token) })).status).to.equal(200);
        const published = await token(own.url, SIMULATOR.key, SIMULATOR.secret, how);
        expect(published.status, how).to.equal(401);
        expect(published.body.error).to.equal('invalid_client');
      }
      expect(own.stats().tokensIssued).to.equal(2);
    } finally {
      await own.close();
    }
  });

  it('refuses to start with an empty key or secret', async () => {
    for (const credentials of [
      { key: '', secret: 's' },
      { key: 'k', secret: '' },
    ]) {
      let failure: unknown;
      await startSimulator({ credentials }).then(
        (s) => s.close(),
        (e: unknown) => {
          failure = e;
        },
      );
      expect(failure).to.be.instanceOf(RangeError);
    }
  });

  it('refuses a missing Authorization header (InvalidCredentials) and an unknown token (InvalidAccessToken)', async () => {
    const missing = await call(`${sim.url}/`, { headers: { Accept: HAL_JSON } });
    expect(missing.status).to.equal(401);
    expect(missing.body).to.deep.equal({
      code: 'InvalidCredentials',
      message: 'Missing or invalid Authorization header.',
    });

    const unknown = await call(`${sim.url}/`, { headers: hal('not-a-token') });
    expect(unknown.status).to.equal(401);
    expect(unknown.body).to.deep.equal({ code: 'InvalidAccessToken', message: 'Invalid access token.' });
  });

  it('answers ExpiredAccessToken once the token has lived its lifetime in simulated time', async () => {
    const token = await getToken(sim.url);
    expect((await call(`${sim.url}/`, { headers: hal(token) })).status).to.equal(200);
    sim.advanceClock(120_000);
    const expired = await call(`${sim.url}/`, { headers: hal(token) });
    expect(expired.status).to.equal(401);
    expect(expired.body.code).to.equal('ExpiredAccessToken');
  });

  it('requires the Accept header with Dwolla API version (406 InvalidVersion)', async () => {
    const token = await getToken(sim.url);
    const r = await call(`${sim.url}/`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    expect(r.status).to.equal(406);
    expect(r.body).to.deep.equal({ code: 'InvalidVersion', message: 'Missing or invalid API version.' });
  });

  it('answers 404 NotFound for unknown routes and 405 for a wrong method', async () => {
    const token = await getToken(sim.url);
    const unknown = await call(`${sim.url}/webhook-subscriptions`, { headers: hal(token) });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal('NotFound');
    const wrongMethod = await call(`${sim.url}/transfers`, { headers: hal(token) });
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.body.code).to.equal('MethodNotAllowed');
  });

  it('answers HAL+JSON with the Dwolla media type', async () => {
    const token = await getToken(sim.url);
    const r = await call(`${sim.url}/`, { headers: hal(token) });
    expect(r.headers.get('content-type')).to.equal(HAL_JSON);
  });
});
