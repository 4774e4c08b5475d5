/**
 * DwollaClient through its transport seam: a scripted transport answers from two lists of canned
 * steps (one for `POST /token`, one for every API call) and records every request, so token
 * handling, error parsing and retries are checked without a network. A request the script has no
 * step for fails the test.
 */
import util from 'node:util';
import { expect } from 'chai';
import { DwollaClient, type DwollaClientOptions } from '../../src/dwolla/client.js';
import {
  DwollaApiError,
  DwollaAuthError,
  type DwollaError,
  DwollaNetworkError,
  DwollaProtocolError,
  DwollaTimeoutError,
} from '../../src/dwolla/errors.js';
import { callFailure, DwollaCallFailedError, withRetries } from '../../src/dwolla/retry.js';
import type { HttpRequest, HttpResponse, Transport } from '../../src/dwolla/transport.js';
import { type CreateTransferRequest, HAL_JSON } from '../../src/dwolla/types.js';

/** A canned answer, something to throw, or a function of the request (may wait). */
type Step = HttpResponse | { throws: unknown } | ((req: HttpRequest) => HttpResponse | Promise<HttpResponse>);

interface Script {
  transport: Transport;
  sent: HttpRequest[];
  tokenRequests(): HttpRequest[];
  apiRequests(): HttpRequest[];
  /** Every step used, and no request without one. */
  expectDone(): void;
}

const BASE = 'https://api-sandbox.dwolla.com';
const isToken = (req: HttpRequest) => req.method === 'POST' && req.url === `${BASE}/token`;

function script(steps: { token?: Step[]; api?: Step[] }): Script {
  const queues = { token: [...(steps.token ?? [])], api: [...(steps.api ?? [])] };
  const sent: HttpRequest[] = [];
  const overruns: string[] = [];
  const transport: Transport = async (req) => {
    sent.push(req);
    const step = (isToken(req) ? queues.token : queues.api).shift();
    if (step === undefined) {
      overruns.push(`${req.method} ${req.url}`);
      throw new Error(`no scripted answer for ${req.method} ${req.url}`);
    }
    if (typeof step === 'function') {
      return step(req);
    }
    if ('throws' in step) {
      throw step.throws;
    }
    return step;
  };
  return {
    transport,
    sent,
    tokenRequests: () => sent.filter(isToken),
    apiRequests: () => sent.filter((r) => !isToken(r)),
    expectDone: () => {
      expect(overruns, 'requests without a scripted answer').to.deep.equal([]);
      expect(queues, 'scripted answers never asked for').to.deep.equal({ token: [], api: [] });
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': HAL_JSON, ...headers },
  body: JSON.stringify(body),
});
const tokenValue = (n: number) => `tok-${n}-${'q'.repeat(24)}`;
const token = (n: number, expiresIn = 3600): HttpResponse =>
  json(200, { access_token: tokenValue(n), token_type: 'bearer', expires_in: expiresIn });
const ok = (body: object = { id: 'x', status: 'pending', _links: {} }) => json(200, body);
const dwolla = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { code, message: `${code} happened` }, headers);
const TRANSFER_ID = '15c6bcce-46f7-e811-8112-e8dd3bececa8';
const created = (): HttpResponse => ({
  status: 201,
  headers: { location: `${BASE}/transfers/${TRANSFER_ID}` },
  body: '',
});
const thrown = (code: string | undefined, message: string, name = 'Error') => ({
  throws: Object.assign(new Error(message), { name }, code === undefined ? {} : { code }),
});

const KEY = 'test-app-key';
const SECRET = 'S3cr3t-Value-That-Must-Never-Leak-0123456789';
const BASIC = Buffer.from(`${KEY}:${SECRET}`).toString('base64');

function client(s: Script, extra: Partial<DwollaClientOptions> = {}): DwollaClient {
  return new DwollaClient({
    baseUrl: BASE,
    key: KEY,
    secret: SECRET,
    timeoutMs: 5000,
    transport: s.transport,
    ...extra,
  });
}

const bearer = (req: HttpRequest) => req.headers.Authorization?.replace(/^Bearer /, '');
const body = (value = '12.50'): CreateTransferRequest => ({
  _links: {
    source: { href: `${BASE}/funding-sources/707177c3-bf15-4e7e-b37c-55c3898d9bf4` },
    destination: { href: `${BASE}/funding-sources/5b29279d-6359-4c87-a318-e09095532733` },
  },
  amount: { currency: 'USD', value },
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => expect.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
}

/** withRetries with recorded waits instead of real ones. */
function retrying<T>(op: () => Promise<T>, random = () => 0) {
  const slept: number[] = [];
  const retried: DwollaError[] = [];
  const run = withRetries(op, {
    maxAttempts: 6,
    random,
    sleep: async (ms) => void slept.push(ms),
    onRetry: ({ error }) => void retried.push(error as DwollaError),
  });
  return { run, slept, retried };
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('DwollaClient through a scripted transport', () => {
  describe('requests', () => {
    it('sends a client-credentials token request, then HAL calls with the bearer, all under the client timeout', async () => {
      const s = script({ token: [token(1)], api: [ok(), created()] });
      const c = client(s, { timeoutMs: 1234, userAgent: 'payouts-test' });
      await c.getTransfer('a');
      await c.createTransfer(body(), 'key-1');
      s.expectDone();

      const [tok, get, post] = s.sent;
      expect(tok).to.deep.equal({
        method: 'POST',
        url: `${BASE}/token`,
        headers: {
          Authorization: `Basic ${BASIC}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          'User-Agent': 'payouts-test',
        },
        body: 'grant_type=client_credentials',
        timeoutMs: 1234,
      });
      expect(get).to.deep.equal({
        method: 'GET',
        url: `${BASE}/transfers/a`,
        headers: { Accept: HAL_JSON, Authorization: `Bearer ${tokenValue(1)}`, 'User-Agent': 'payouts-test' },
        timeoutMs: 1234,
      });
      expect(post!.headers).to.deep.equal({
        Accept: HAL_JSON,
        Authorization: `Bearer ${tokenValue(1)}`,
        'Content-Type': HAL_JSON,
        'Idempotency-Key': 'key-1',
        'User-Agent': 'payouts-test',
      });
      expect(JSON.parse(post!.body!)).to.deep.equal(body());
    });
  });

  describe('token', () => {
    it('is fetched once and shared by 20 concurrent calls', async () => {
      const held = gate();
      const s = script({
        token: [
          async () => {
            await held.opened;
            return token(1);
          },
        ],
        api: Array.from({ length: 20 }, () => ok()),
      });
      const c = client(s);
      const calls = Array.from({ length: 20 }, () => c.getTransfer('a'));
      held.open();
      await Promise.all(calls);
      s.expectDone();
      expect(s.tokenRequests()).to.have.length(1);
      expect(s.apiRequests().map(bearer)).to.deep.equal(Array(20).fill(tokenValue(1)));
    });

    it('a refused token request is shared too (one error for all), and the next call asks again', async () => {
      const held = gate();
      const s = script({
        token: [
          async () => {
            await held.opened;
            return dwolla(503, 'ServiceUnavailable', { 'retry-after': '2' });
          },
          token(2),
        ],
        api: [ok()],
      });
      const c = client(s);
      const calls = Array.from({ length: 5 }, () => rejection(c.getTransfer('a')));
      held.open();
      const errors = await Promise.all(calls);
      expect(errors[0]).to.be.instanceOf(DwollaAuthError);
      expect(errors[0]).to.deep.include({ httpStatus: 503, code: 'ServiceUnavailable', retryAfterMs: 2000 });
      expect(errors.every((e) => e === errors[0])).to.equal(true);
      expect(s.apiRequests()).to.have.length(0);
      await c.getTransfer('a');
      s.expectDone();
      expect(bearer(s.apiRequests()[0]!)).to.equal(tokenValue(2));
    });

    it('is renewed 60 s before it expires, without a 401 first', async () => {
      let now = 1_700_000_000_000;
      const s = script({ token: [token(1, 3600), token(2, 3600)], api: [ok(), ok(), ok()] });
      const c = client(s, { now: () => now });
      await c.getTransfer('a');
      now += 3539_000;
      await c.getTransfer('a');
      now += 2_000; // 3541 s: inside the last minute
      await c.getTransfer('a');
      s.expectDone();
      expect(s.sent.map((r) => (isToken(r) ? 'token' : bearer(r)!.slice(0, 5)))).to.deep.equal([
        'token',
        'tok-1',
        'tok-1',
        'token',
        'tok-2',
      ]);
    });

    it('a short-lived token is renewed at half its lifetime', async () => {
      let now = 1_700_000_000_000;
      const s = script({ token: [token(1, 100), token(2, 100)], api: [ok(), ok(), ok()] });
      const c = client(s, { now: () => now });
      await c.getTransfer('a');
      now += 49_000;
      await c.getTransfer('a');
      expect(s.tokenRequests()).to.have.length(1);
      now += 2_000; // 51 s of 100
      await c.getTransfer('a');
      s.expectDone();
      expect(s.tokenRequests()).to.have.length(2);
    });

    it('401 ExpiredAccessToken: renews once and repeats the request with the same key and body', async () => {
      const s = script({ token: [token(1), token(2)], api: [dwolla(401, 'ExpiredAccessToken'), created()] });
      const out = await client(s).createTransfer(body(), 'k-1');
      s.expectDone();
      expect(out).to.deep.equal({ location: `${BASE}/transfers/${TRANSFER_ID}`, id: TRANSFER_ID, httpStatus: 201 });
      const [first, second] = s.apiRequests();
      expect([bearer(first!), bearer(second!)]).to.deep.equal([tokenValue(1), tokenValue(2)]);
      expect([first!.headers['Idempotency-Key'], second!.headers['Idempotency-Key']]).to.deep.equal(['k-1', 'k-1']);
      expect(second!.body).to.equal(first!.body);
    });

    it('401 InvalidAccessToken again after the renewal is one failed attempt: thrown, no third request', async () => {
      const s = script({
        token: [token(1), token(2)],
        api: [dwolla(401, 'InvalidAccessToken'), dwolla(401, 'InvalidAccessToken')],
      });
      const e = await rejection(client(s).getTransfer('a'));
      s.expectDone();
      expect(e).to.be.instanceOf(DwollaApiError);
      expect(e).to.deep.include({ httpStatus: 401, code: 'InvalidAccessToken', request: 'GET /transfers/a' });
    });

    it('other 401s (InvalidScopes) and an ExpiredAccessToken code on another status do not renew', async () => {
      const s = script({ token: [token(1)], api: [dwolla(401, 'InvalidScopes'), dwolla(403, 'ExpiredAccessToken')] });
      const c = client(s);
      expect(await rejection(c.getTransfer('a'))).to.deep.include({ httpStatus: 401, code: 'InvalidScopes' });
      expect(await rejection(c.getTransfer('a'))).to.deep.include({ httpStatus: 403, code: 'ExpiredAccessToken' });
      s.expectDone();
    });

    it('concurrent calls rejected with ExpiredAccessToken share one renewal', async () => {
      const s = script({
        token: [token(1), token(2)],
        api: [...Array.from({ length: 5 }, () => dwolla(401, 'ExpiredAccessToken')), ...Array.from({ length: 5 }, ok)],
      });
      const c = client(s);
      await Promise.all(Array.from({ length: 5 }, () => c.getTransfer('a')));
      s.expectDone();
      expect(s.apiRequests().map((r) => bearer(r)!.slice(0, 5))).to.deep.equal([
        ...Array(5).fill('tok-1'),
        ...Array(5).fill('tok-2'),
      ]);
    });
  });

  describe('retries (through withRetries)', () => {
    it('5xx, 429 and 409 are retried with the same Idempotency-Key and body until created', async () => {
      const s = script({
        token: [token(1)],
        api: [dwolla(500, 'ServerError'), dwolla(429, 'TooManyRequests'), dwolla(409, 'Conflict'), created()],
      });
      const c = client(s);
      const r = retrying(() => c.createTransfer(body(), 'row-key-1'));
      const out = await r.run;
      s.expectDone();
      expect(out.attempts).to.equal(4);
      expect(out.value.id).to.equal(TRANSFER_ID);
      expect(r.retried.map((e) => [e.httpStatus, e.code])).to.deep.equal([
        [500, 'ServerError'],
        [429, 'TooManyRequests'],
        [409, 'Conflict'],
      ]);
      const posts = s.apiRequests();
      expect(posts.map((p) => p.headers['Idempotency-Key'])).to.deep.equal(Array(4).fill('row-key-1'));
      expect(new Set(posts.map((p) => p.body)).size).to.equal(1);
      expect(s.tokenRequests()).to.have.length(1);
    });

    for (const [status, code] of [
      [400, 'ValidationError'],
      [401, 'InvalidScopes'],
      [403, 'Forbidden'],
      [404, 'NotFound'],
    ] as const) {
      it(`${status} ${code} is permanent: one request, no wait`, async () => {
        const s = script({ token: [token(1)], api: [dwolla(status, code)] });
        const c = client(s);
        const r = retrying(() => c.createTransfer(body(), 'row-key-2'));
        const e = await rejection(r.run);
        s.expectDone();
        expect(e).to.be.instanceOf(DwollaCallFailedError);
        const failure = callFailure(e);
        expect(failure).to.deep.include({ attempts: 1, reason: 'permanent', summary: `${code}: ${code} happened` });
        expect(failure.dwollaError).to.deep.include({ httpStatus: status, code });
        expect(r.slept).to.deep.equal([]);
      });
    }

    it('gives up after maxAttempts with the last Dwolla error', async () => {
      const s = script({ token: [token(1)], api: Array.from({ length: 6 }, () => dwolla(503, 'ServiceUnavailable')) });
      const c = client(s);
      const e = await rejection(retrying(() => c.getTransfer('a')).run);
      s.expectDone();
      expect(callFailure(e)).to.deep.include({
        attempts: 6,
        reason: 'exhausted',
        summary: 'ServiceUnavailable: ServiceUnavailable happened',
      });
    });

    it('honours Retry-After: seconds, an HTTP date (read with the client clock), capped at 60 s', async () => {
      const now = Date.parse('2024-06-03T15:00:00Z');
      const s = script({
        token: [token(1)],
        api: [
          dwolla(429, 'TooManyRequests', { 'retry-after': '7' }),
          dwolla(503, 'ServiceUnavailable', { 'retry-after': 'Mon, 03 Jun 2024 15:00:12 GMT' }),
          dwolla(429, 'TooManyRequests', { 'retry-after': '3600' }),
          ok(),
        ],
      });
      const c = client(s, { now: () => now });
      const r = retrying(() => c.getTransfer('a'));
      await r.run;
      s.expectDone();
      expect(r.slept).to.deep.equal([7000, 12_000, 60_000]);
    });
  });

  describe('no answer', () => {
    it('network errors become DwollaNetworkError with the code as errno, and are retried with the same key', async () => {
      const s = script({
        token: [token(1)],
        api: [
          thrown('ECONNRESET', 'socket hang up'),
          thrown('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'),
          thrown(undefined, 'something broke'),
          created(),
        ],
      });
      const c = client(s);
      const r = retrying(() => c.createTransfer(body(), 'row-key-3'));
      expect((await r.run).attempts).to.equal(4);
      s.expectDone();
      for (const e of r.retried) {
        expect(e).to.be.instanceOf(DwollaNetworkError);
        expect(e).to.deep.include({ code: 'NetworkError', request: 'POST /transfers' });
      }
      expect(r.retried.map((e) => (e as DwollaNetworkError).errno)).to.deep.equal([
        'ECONNRESET',
        'ECONNREFUSED',
        'UNKNOWN',
      ]);
      expect(r.retried[0]!.summary()).to.equal('NetworkError: ECONNRESET socket hang up');
      expect(s.apiRequests().map((p) => p.headers['Idempotency-Key'])).to.deep.equal(Array(4).fill('row-key-3'));
    });

    const timeouts: Array<[string, Step]> = [
      ['axios CanceledError (the deadline fired)', thrown('ERR_CANCELED', 'canceled', 'CanceledError')],
      ['ETIMEDOUT', thrown('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443')],
      ['ECONNABORTED', thrown('ECONNABORTED', 'timeout of 1234ms exceeded')],
      ['an AbortSignal.timeout() reason', { throws: new DOMException('The operation timed out', 'TimeoutError') }],
    ];
    for (const [name, step] of timeouts) {
      it(`${name} → DwollaTimeoutError with the client's timeout`, async () => {
        const s = script({ token: [token(1)], api: [step] });
        const e = await rejection(client(s, { timeoutMs: 1234 }).getTransfer('a'));
        s.expectDone();
        expect(e).to.be.instanceOf(DwollaTimeoutError);
        expect(e).to.deep.include({ code: 'Timeout', timeoutMs: 1234, request: 'GET /transfers/a' });
      });
    }

    it('"timeout" in the message text alone is not a timeout', async () => {
      const s = script({ token: [token(1)], api: [thrown(undefined, 'timeout of 1234ms exceeded')] });
      const e = await rejection(client(s).getTransfer('a'));
      expect(e).to.be.instanceOf(DwollaNetworkError);
      expect(e).to.deep.include({ errno: 'UNKNOWN' });
    });

    it('a failed token request is a network error too', async () => {
      const s = script({ token: [thrown('ECONNREFUSED', 'connect ECONNREFUSED')] });
      const e = await rejection(client(s).getTransfer('a'));
      s.expectDone();
      expect(e).to.be.instanceOf(DwollaNetworkError);
      expect(e).to.deep.include({ errno: 'ECONNREFUSED', request: 'POST /token' });
    });

    it('keeps nothing of what the transport threw but a code and a redacted message', async () => {
      const auth = `Bearer ${tokenValue(1)}`;
      const leaky = Object.assign(new Error(`proxy said: ${auth} / ${SECRET} / Basic ${BASIC}`), {
        code: 'ECONNRESET',
        config: { headers: { Authorization: auth } },
        request: { headers: { Authorization: auth } },
        cause: { secret: SECRET },
      });
      const s = script({ token: [token(1)], api: [{ throws: leaky }] });
      const e = (await rejection(client(s).getTransfer('a'))) as DwollaNetworkError;
      s.expectDone();
      expect(e.message).to.include('[REDACTED]');
      const shown = [JSON.stringify(e), util.inspect(e, { depth: 10, showHidden: true }), e.stack, e.summary()].join(
        '\n',
      );
      for (const secret of [SECRET, BASIC, tokenValue(1)]) {
        expect(shown).to.not.include(secret);
      }
      expect(Object.getOwnPropertyNames(e)).to.not.include.members(['config', 'cause', 'response']);
      expect(e.request).to.equal('GET /transfers/a');
    });
  });

  describe('answers that become typed errors', () => {
    it('an HTML 502 from a proxy', async () => {
      const html: HttpResponse = {
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
      };
      const s = script({ token: [token(1)], api: [html] });
      const e = await rejection(client(s).createTransfer(body(), 'k'));
      expect(e).to.be.instanceOf(DwollaApiError);
      expect(e).to.deep.include({
        httpStatus: 502,
        code: 'BadGateway',
        bodyExcerpt: '502 Bad Gateway 502 Bad Gateway',
      });
      expect((e as DwollaApiError).summary()).to.equal(
        'BadGateway: HTTP 502 Bad Gateway (text/html body, not a Dwolla error document)',
      );
    });

    it('a ValidationError with embedded errors', async () => {
      const s = script({
        token: [token(1)],
        api: [
          json(400, {
            code: 'ValidationError',
            message: 'Validation error(s) present.',
            _embedded: { errors: [{ code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value' }] },
          }),
        ],
      });
      const e = (await rejection(client(s).createTransfer(body('1.234'), 'k'))) as DwollaApiError;
      expect(e.summary()).to.equal(
        'ValidationError: Validation error(s) present. [InvalidFormat /amount/value: Invalid amount.]',
      );
    });

    it('the token endpoint in OAuth words → DwollaAuthError with its code as sent', async () => {
      const s = script({
        token: [json(401, { error: 'invalid_client', error_description: 'Invalid client credentials.' })],
      });
      const e = await rejection(client(s).getTransfer('a'));
      s.expectDone();
      expect(e).to.be.instanceOf(DwollaAuthError);
      expect(e).to.deep.include({ httpStatus: 401, code: 'invalid_client' });
    });

    it('contract breaks are protocol errors: a token answer without a token, 201 without Location, a 200 not JSON', async () => {
      const noToken = script({ token: [json(200, { token_type: 'bearer' })] });
      expect(await rejection(client(noToken).getTransfer('a'))).to.be.instanceOf(DwollaProtocolError);

      const s = script({
        token: [token(1)],
        api: [
          { status: 201, headers: {}, body: '' },
          { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' },
        ],
      });
      const c = client(s);
      const e = await rejection(c.createTransfer(body(), 'k'));
      expect(e).to.be.instanceOf(DwollaProtocolError);
      expect(e).to.deep.include({ code: 'UnexpectedResponse', httpStatus: 201, request: 'POST /transfers' });
      expect(await rejection(c.getTransfer('a'))).to.be.instanceOf(DwollaProtocolError);
      s.expectDone();
    });
  });
});
