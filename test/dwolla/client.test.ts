import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import util from 'node:util';
import { expect } from 'chai';
import pino from 'pino';
import { DwollaClient, type DwollaClientOptions } from '../../src/dwolla/client.js';
import {
  DwollaApiError,
  DwollaAuthError,
  DwollaConfigError,
  DwollaError,
  DwollaNetworkError,
  DwollaProtocolError,
  DwollaTimeoutError,
} from '../../src/dwolla/errors.js';
import { type BackoffOptions, withRetries } from '../../src/dwolla/retry.js';
import { type CreateTransferRequest, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, type SimulatorOptions, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';

// ---------------------------------------------------------------------------------------------
// A tiny real HTTP server on 127.0.0.1 for answers that must be exact (an HTML 502, an empty body,
// an OAuth error, a dropped socket). Not a mock of axios: the client speaks real HTTP to it.

interface Hit {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Handler = (hit: Hit, res: http.ServerResponse) => unknown;
interface RawServer {
  url: string;
  port: number;
  hits: Hit[];
  apiHits(): Hit[];
  tokenHits(): Hit[];
  close(): Promise<void>;
}

const servers: RawServer[] = [];

async function startRawServer(handler: Handler): Promise<RawServer> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: Hit = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      hits.push(hit);
      Promise.resolve(handler(hit, res)).catch((e: unknown) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const s: RawServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    apiHits: () => hits.filter((h) => !(h.method === 'POST' && h.path === '/token')),
    tokenHits: () => hits.filter((h) => h.method === 'POST' && h.path === '/token'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/vnd.dwolla.v1.hal+json', ...headers });
  res.end(JSON.stringify(body));
}

/** Handles POST /token with numbered tokens (tok-1…, tok-2…); true when it answered. */
function tokenIssuer(expiresIn = 3600, delayMs = 0): (hit: Hit, res: http.ServerResponse) => Promise<boolean> {
  let n = 0;
  return async (hit, res) => {
    if (!(hit.method === 'POST' && hit.path === '/token')) {
      return false;
    }
    const token = `tok-${++n}-${'q'.repeat(24)}`;
    if (delayMs) {
      await new Promise((r) => setTimeout(r, delayMs));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: expiresIn }));
    return true;
  };
}

function bearer(hit: Hit): string | undefined {
  const a = hit.headers.authorization;
  return a?.startsWith('Bearer ') ? a.slice('Bearer '.length) : undefined;
}

const KEY = 'test-app-key';
const SECRET = 'S3cr3t-Value-That-Must-Never-Leak-0123456789';
const BASIC = Buffer.from(`${KEY}:${SECRET}`).toString('base64');
const clients: DwollaClient[] = [];

function client(url: string, extra: Partial<DwollaClientOptions> = {}): DwollaClient {
  const c = new DwollaClient({ baseUrl: url, key: KEY, secret: SECRET, timeoutMs: 5000, ...extra });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => expect.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
}

const FS_ID = '5b29279d-6359-4c87-a318-e09095532733';
const SRC_ID = '707177c3-bf15-4e7e-b37c-55c3898d9bf4';
const TRANSFER_ID = '15c6bcce-46f7-e811-8112-e8dd3bececa8';

function transferBody(base: string, value = '12.50', correlationId?: string): CreateTransferRequest {
  return {
    _links: {
      source: { href: `${base}/funding-sources/${SRC_ID}` },
      destination: { href: `${base}/funding-sources/${FS_ID}` },
    },
    amount: { currency: 'USD', value },
    ...(correlationId ? { correlationId } : {}),
  };
}

afterEach(async () => {
  for (const c of clients.splice(0)) {
    c.close();
  }
  for (const s of servers.splice(0)) {
    await s.close();
  }
});

/** The 200 body of each call of the 'shapes every other call' test. */
function everyCallAnswer(hit: Hit, base: string): unknown {
  if (hit.path === '/') {
    return { _links: { account: { href: `${base}/accounts/acc-1` } } };
  }
  if (hit.path.includes('/transfers?') || hit.path.endsWith('/transfers')) {
    return { _links: {}, _embedded: { transfers: [{ id: 't1' }] }, total: 1 };
  }
  if (hit.path.endsWith('/failure')) {
    return { code: 'R01', description: 'Insufficient Funds', _links: {} };
  }
  if (hit.method === 'POST') {
    return { id: TRANSFER_ID, status: 'cancelled', _links: {} };
  }
  return { id: TRANSFER_ID, status: 'pending', _links: {} };
}

/** Everything a careless proxy could reflect: the Authorization header, its bare value, the decoded Basic pair, the body. */
function echo(hit: Hit): string {
  const auth = hit.headers.authorization ?? '';
  const value = auth.replace(/^\S+ /, '');
  const decoded = auth.startsWith('Basic ') ? Buffer.from(value, 'base64').toString('utf8') : '';
  return `auth=${auth} value=${value} decoded=${decoded} body=${hit.body}`;
}

/**
 * A server that echoes the credentials it receives back in its answers. `mode()` picks the
 * answer: an HTML 502, a JSON 400, a dropped socket, no answer ('slow'), or a refused token.
 */
function echoingServer(mode: () => string, issued: string[]): Handler {
  return (hit, res) => {
    if (hit.path === '/token') {
      return mode() === 'token-error'
        ? sendJson(res, 401, { error: 'invalid_client', error_description: echo(hit) })
        : issueToken(res, issued);
    }
    switch (mode()) {
      case 'html':
        return res.writeHead(502, { 'Content-Type': 'text/html' }).end(`<pre>${echo(hit)}</pre>`);
      case 'json':
        return sendJson(res, 400, {
          code: 'ValidationError',
          message: echo(hit),
          _embedded: { errors: [{ code: 'Invalid', message: echo(hit), path: `/${hit.headers.authorization}` }] },
        });
      case 'drop':
        return void res.socket?.destroy();
      default:
        return undefined; // 'slow': never answer
    }
  };
}

function issueToken(res: http.ServerResponse, issued: string[]): void {
  const t = `tok-${issued.length + 1}-${'Z'.repeat(30)}`;
  issued.push(t);
  sendJson(res, 200, { access_token: t, token_type: 'bearer', expires_in: 3600 });
}

// ---------------------------------------------------------------------------------------------

describe('DwollaClient (real HTTP, raw test server)', () => {
  describe('token and request shapes', () => {
    it('fetches a client-credentials token with Basic auth and a form body, then sends HAL headers and the bearer', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        if (hit.method === 'GET') {
          return sendJson(res, 200, { id: FS_ID, status: 'verified', type: 'bank', _links: {} });
        }
        res.writeHead(201, { Location: `${s.url}/transfers/${TRANSFER_ID}` });
        res.end();
      });
      const c = client(s.url);
      const fs = await c.getFundingSource(FS_ID);
      expect(fs.id).to.equal(FS_ID);

      const [tok] = s.tokenHits();
      expect(s.tokenHits()).to.have.length(1);
      expect(tok!.headers.authorization).to.equal(`Basic ${BASIC}`);
      expect(tok!.headers['content-type']).to.equal('application/x-www-form-urlencoded');
      expect(tok!.body).to.equal('grant_type=client_credentials');

      const get = s.apiHits()[0]!;
      expect(get.method).to.equal('GET');
      expect(get.path).to.equal(`/funding-sources/${FS_ID}`);
      expect(get.headers.accept).to.equal('application/vnd.dwolla.v1.hal+json');
      expect(bearer(get)).to.match(/^tok-1-/);
      expect(get.headers['idempotency-key']).to.equal(undefined);
      expect(get.headers['content-type']).to.equal(undefined);

      const body = transferBody(s.url, '12.50', 'corr-1');
      const created = await c.createTransfer(body, 'key-123');
      expect(created).to.deep.equal({
        location: `${s.url}/transfers/${TRANSFER_ID}`,
        id: TRANSFER_ID,
        httpStatus: 201,
      });
      const post = s.apiHits()[1]!;
      expect(post.method).to.equal('POST');
      expect(post.path).to.equal('/transfers');
      expect(post.headers.accept).to.equal('application/vnd.dwolla.v1.hal+json');
      expect(post.headers['content-type']).to.equal('application/vnd.dwolla.v1.hal+json');
      expect(post.headers['idempotency-key']).to.equal('key-123');
      expect(JSON.parse(post.body)).to.deep.equal(body);
      expect(s.tokenHits(), 'token reused').to.have.length(1);
    });

    it('shapes every other call: transfer, failure, cancel, root, list (account, customer, default account)', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(
        async (hit, res) => void ((await tokens(hit, res)) || sendJson(res, 200, everyCallAnswer(hit, s.url))),
      );
      const c = client(`${s.url}/`);
      expect(c.baseUrl).to.equal(s.url);

      expect((await c.getTransfer(TRANSFER_ID)).status).to.equal('pending');
      expect((await c.getTransfer(`${s.url}/transfers/${TRANSFER_ID}`)).id).to.equal(TRANSFER_ID);
      expect((await c.getTransferFailure(TRANSFER_ID)).code).to.equal('R01');
      expect((await c.cancelTransfer(TRANSFER_ID)).status).to.equal('cancelled');
      expect(await c.getRoot()).to.deep.equal({ accountUrl: `${s.url}/accounts/acc-1`, accountId: 'acc-1' });
      const page = await c.listTransfers({ accountId: 'acc-9', correlationId: 'a.b_c-1', limit: 25, offset: 50 });
      expect(page._embedded.transfers).to.have.length(1);
      await c.listTransfers({ customerId: `${s.url}/customers/cus-1`, correlationId: 'x y&z' });
      await c.listTransfers({ correlationId: 'k' });
      await c.getRoot(); // cached

      const seen = s.apiHits().map((h) => `${h.method} ${h.path}`);
      expect(seen).to.deep.equal([
        `GET /transfers/${TRANSFER_ID}`,
        `GET /transfers/${TRANSFER_ID}`,
        `GET /transfers/${TRANSFER_ID}/failure`,
        `POST /transfers/${TRANSFER_ID}`,
        'GET /',
        'GET /accounts/acc-9/transfers?correlationId=a.b_c-1&limit=25&offset=50',
        'GET /customers/cus-1/transfers?correlationId=x+y%26z',
        'GET /accounts/acc-1/transfers?correlationId=k',
      ]);
      const cancel = s.apiHits()[3]!;
      expect(JSON.parse(cancel.body)).to.deep.equal({ status: 'cancelled' });
      expect(cancel.headers['content-type']).to.equal('application/vnd.dwolla.v1.hal+json');
      expect(cancel.headers['idempotency-key']).to.equal(undefined);
      for (const h of s.apiHits()) {
        expect(h.headers.accept).to.equal('application/vnd.dwolla.v1.hal+json');
      }
    });

    it('builds URLs from ids and refuses to send the token anywhere else', async () => {
      const evil = await startRawServer((_h, res) => sendJson(res, 200, {}));
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => void ((await tokens(hit, res)) || sendJson(res, 200, {})));
      const c = client(s.url);
      expect(c.fundingSourceUrl(FS_ID)).to.equal(`${s.url}/funding-sources/${FS_ID}`);
      expect(c.transferUrl(`${s.url}/transfers/${TRANSFER_ID}/`)).to.equal(`${s.url}/transfers/${TRANSFER_ID}`);
      expect(c.customerUrl('abc')).to.equal(`${s.url}/customers/abc`);

      const bad = [
        () => c.getFundingSource(`${evil.url}/funding-sources/${FS_ID}`),
        () => c.getTransfer(`${evil.url}/transfers/${TRANSFER_ID}`),
        () => c.getTransfer(`${s.url}/funding-sources/${FS_ID}`),
        () => c.getTransfer(`${s.url}.evil.example/transfers/${TRANSFER_ID}`),
        () => c.getFundingSource('../token'),
        () => c.getFundingSource('a/b'),
        () => c.getFundingSource(''),
        () => c.listTransfers({ accountId: 'a', customerId: 'b' }),
        () => c.createTransfer(transferBody(s.url), ''),
      ];
      for (const call of bad) {
        const e = await rejection(call());
        expect(e).to.be.instanceOf(DwollaConfigError);
      }
      expect(evil.hits).to.have.length(0);
      expect(s.hits).to.have.length(0);
    });

    it('refuses bad options', () => {
      const mk = (o: Partial<DwollaClientOptions>) => () =>
        new DwollaClient({ baseUrl: 'http://127.0.0.1:1', key: 'k', secret: 's', timeoutMs: 1000, ...o });
      expect(mk({ baseUrl: 'not a url' })).to.throw(DwollaConfigError);
      expect(mk({ baseUrl: 'ftp://x' })).to.throw(DwollaConfigError);
      expect(mk({ baseUrl: 'https://user:pw@api.dwolla.com' })).to.throw(DwollaConfigError);
      expect(mk({ secret: '' })).to.throw(DwollaConfigError);
      expect(mk({ timeoutMs: 0 })).to.throw(DwollaConfigError);
    });
  });

  describe('token lifetime', () => {
    it('caches the token and renews it 60 s before expiry', async () => {
      let now = 1_700_000_000_000;
      const tokens = tokenIssuer(3600);
      const s = await startRawServer(
        async (hit, res) => void ((await tokens(hit, res)) || sendJson(res, 200, { id: 'x', _links: {} })),
      );
      const c = client(s.url, { now: () => now });
      await c.getTransfer('a');
      await c.getTransfer('a');
      now += 3539_000;
      await c.getTransfer('a');
      expect(s.tokenHits()).to.have.length(1);
      now += 2_000; // 3541 s: inside the last minute
      await c.getTransfer('a');
      expect(s.tokenHits()).to.have.length(2);
      expect(
        s
          .apiHits()
          .map(bearer)
          .map((t) => t!.slice(0, 5)),
      ).to.deep.equal(['tok-1', 'tok-1', 'tok-1', 'tok-2']);
    });

    it('renews at half the lifetime when that comes later than 60 s before expiry (short tokens)', async () => {
      let now = 1_700_000_000_000;
      const tokens = tokenIssuer(100);
      const s = await startRawServer(
        async (hit, res) => void ((await tokens(hit, res)) || sendJson(res, 200, { id: 'x', _links: {} })),
      );
      const c = client(s.url, { now: () => now });
      await c.getTransfer('a');
      now += 49_000;
      await c.getTransfer('a');
      expect(s.tokenHits()).to.have.length(1);
      now += 2_000; // 51 s of 100
      await c.getTransfer('a');
      expect(s.tokenHits()).to.have.length(2);
    });

    it('20 concurrent calls share one token request', async () => {
      const tokens = tokenIssuer(3600, 50);
      const s = await startRawServer(
        async (hit, res) => void ((await tokens(hit, res)) || sendJson(res, 200, { id: 'x', _links: {} })),
      );
      const c = client(s.url);
      await Promise.all(Array.from({ length: 20 }, () => c.getTransfer('a')));
      expect(s.tokenHits()).to.have.length(1);
      expect(s.apiHits()).to.have.length(20);
    });

    it('a failed token request is shared too, and the next call tries again', async () => {
      let refuse = true;
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (hit.path === '/token' && refuse) {
          await new Promise((r) => setTimeout(r, 30));
          return sendJson(res, 503, { code: 'ServiceUnavailable', message: 'down' }, { 'Retry-After': '2' });
        }
        if (await tokens(hit, res)) {
          return;
        }
        sendJson(res, 200, { id: 'x', _links: {} });
      });
      const c = client(s.url);
      const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(c.getTransfer('a'))));
      for (const e of errors) {
        expect(e).to.be.instanceOf(DwollaAuthError);
        expect((e as DwollaAuthError).httpStatus).to.equal(503);
        expect((e as DwollaAuthError).retryAfterMs).to.equal(2000);
      }
      expect(s.tokenHits()).to.have.length(1);
      refuse = false;
      await c.getTransfer('a');
      expect(s.tokenHits()).to.have.length(2);
    });

    it('401 ExpiredAccessToken: renews once and repeats the request once', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        if (bearer(hit)!.startsWith('tok-1')) {
          return sendJson(res, 401, { code: 'ExpiredAccessToken', message: 'Generate a new access token.' });
        }
        res.writeHead(201, { Location: `/transfers/${TRANSFER_ID}` });
        res.end();
      });
      const c = client(s.url);
      const created = await c.createTransfer(transferBody(s.url), 'k-1');
      expect(created.id).to.equal(TRANSFER_ID);
      expect(created.location).to.equal(`${s.url}/transfers/${TRANSFER_ID}`);
      expect(s.tokenHits()).to.have.length(2);
      expect(s.apiHits().map((h) => [bearer(h)!.slice(0, 5), h.headers['idempotency-key']])).to.deep.equal([
        ['tok-1', 'k-1'],
        ['tok-2', 'k-1'],
      ]);
    });

    it('401 InvalidAccessToken again right after the renewal is thrown (one attempt), with no third request', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        sendJson(res, 401, { code: 'InvalidAccessToken', message: 'Invalid access token.' });
      });
      const c = client(s.url);
      const e = await rejection(c.getFundingSource(FS_ID));
      expect(e).to.be.instanceOf(DwollaApiError);
      expect((e as DwollaApiError).httpStatus).to.equal(401);
      expect((e as DwollaApiError).code).to.equal('InvalidAccessToken');
      expect(s.tokenHits()).to.have.length(2);
      expect(s.apiHits()).to.have.length(2);
    });

    it('other 401s (InvalidCredentials) do not renew', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(
        async (hit, res) =>
          void ((await tokens(hit, res)) || sendJson(res, 401, { code: 'InvalidScopes', message: 'no' })),
      );
      const c = client(s.url);
      const e = (await rejection(c.getTransfer('a'))) as DwollaApiError;
      expect(e.code).to.equal('InvalidScopes');
      expect(s.tokenHits()).to.have.length(1);
      expect(s.apiHits()).to.have.length(1);
    });

    it('20 concurrent calls rejected with ExpiredAccessToken share one renewal', async () => {
      const tokens = tokenIssuer(3600, 20);
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        if (bearer(hit)!.startsWith('tok-1')) {
          return sendJson(res, 401, { code: 'ExpiredAccessToken', message: 'expired' });
        }
        sendJson(res, 200, { id: 'x', _links: {} });
      });
      const c = client(s.url);
      await Promise.all(Array.from({ length: 20 }, () => c.getTransfer('a')));
      expect(s.tokenHits()).to.have.length(2);
      expect(s.apiHits()).to.have.length(40);
    });
  });

  describe('every error shape becomes a typed error', () => {
    it('HTML 502 from a proxy', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end(
          '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
        );
      });
      const e = (await rejection(client(s.url).createTransfer(transferBody(s.url), 'k'))) as DwollaApiError;
      expect(e).to.be.instanceOf(DwollaApiError);
      expect(e.httpStatus).to.equal(502);
      expect(e.code).to.equal('BadGateway');
      expect(e.request).to.equal('POST /transfers');
      expect(e.bodyExcerpt).to.equal('502 Bad Gateway 502 Bad Gateway nginx');
      expect(e.summary()).to.equal('BadGateway: HTTP 502 Bad Gateway (text/html body, not a Dwolla error document)');
    });

    it('empty 503 with Retry-After', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        res.writeHead(503, { 'Retry-After': '7' });
        res.end();
      });
      const e = (await rejection(client(s.url).getTransfer('a'))) as DwollaApiError;
      expect(e.code).to.equal('ServiceUnavailable');
      expect(e.retryAfterMs).to.equal(7000);
      expect(e.message).to.equal('HTTP 503 Service Unavailable (empty body)');
    });

    it('400 ValidationError with embedded errors', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        sendJson(res, 400, {
          code: 'ValidationError',
          message: 'Validation error(s) present. See embedded errors list for more details.',
          _embedded: {
            errors: [{ code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value', _links: {} }],
          },
        });
      });
      const e = (await rejection(client(s.url).createTransfer(transferBody(s.url, '1.234'), 'k'))) as DwollaApiError;
      expect(e.summary()).to.equal(
        'ValidationError: Validation error(s) present. See embedded errors list for more details. [InvalidFormat /amount/value: Invalid amount.]',
      );
      expect(e.embedded).to.deep.equal([{ code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value' }]);
    });

    it('429 with an HTTP-date Retry-After, read with the injected clock', async () => {
      const now = Date.parse('2024-06-03T15:00:00Z');
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        sendJson(
          res,
          429,
          { code: 'TooManyRequests', message: 'slow down' },
          { 'Retry-After': 'Mon, 03 Jun 2024 15:00:12 GMT' },
        );
      });
      const e = (await rejection(client(s.url, { now: () => now }).getTransfer('a'))) as DwollaApiError;
      expect(e.retryAfterMs).to.equal(12_000);
    });

    it('/token: OAuth error shape → DwollaAuthError; HTML 500 → DwollaAuthError 500', async () => {
      const s = await startRawServer((_hit, res) =>
        res
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end('{"error":"invalid_client","error_description":"Invalid client credentials."}'),
      );
      const e = (await rejection(client(s.url).getTransfer('a'))) as DwollaAuthError;
      expect(e).to.be.instanceOf(DwollaAuthError);
      expect(e.code).to.equal('invalid_client');
      expect(e.httpStatus).to.equal(401);
      expect(s.apiHits()).to.have.length(0);

      const h = await startRawServer((_hit, res) =>
        res.writeHead(500, { 'Content-Type': 'text/html' }).end('<h1>Internal error</h1>'),
      );
      const e2 = (await rejection(client(h.url).getTransfer('a'))) as DwollaAuthError;
      expect(e2).to.be.instanceOf(DwollaAuthError);
      expect(e2.httpStatus).to.equal(500);
      expect(e2.code).to.equal('ServerError');
    });

    it('/token: a 200 without a usable token is a protocol error', async () => {
      const s = await startRawServer((_hit, res) => sendJson(res, 200, { token_type: 'bearer' }));
      expect(await rejection(client(s.url).getTransfer('a'))).to.be.instanceOf(DwollaProtocolError);
    });

    it('201 without Location, and a 200 that is not JSON, are protocol errors', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        res.writeHead(hit.method === 'POST' ? 201 : 200, { 'Content-Type': 'text/plain' });
        res.end(hit.method === 'POST' ? '' : 'hello');
      });
      const c = client(s.url);
      const e1 = (await rejection(c.createTransfer(transferBody(s.url), 'k'))) as DwollaProtocolError;
      expect(e1).to.be.instanceOf(DwollaProtocolError);
      expect(e1.httpStatus).to.equal(201);
      expect(await rejection(c.getTransfer('a'))).to.be.instanceOf(DwollaProtocolError);
    });

    it('does not follow redirects (the token would go along)', async () => {
      const elsewhere = await startRawServer((_h, res) => sendJson(res, 200, { id: 'x' }));
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        res.writeHead(302, { Location: `${elsewhere.url}/transfers/a` });
        res.end();
      });
      const e = (await rejection(client(s.url).getTransfer('a'))) as DwollaApiError;
      expect(e).to.be.instanceOf(DwollaApiError);
      expect(e.httpStatus).to.equal(302);
      expect(elsewhere.hits).to.have.length(0);
    });

    it('connection refused → DwollaNetworkError ECONNREFUSED', async () => {
      const s = await startRawServer(() => undefined);
      const url = s.url;
      await s.close();
      const e = (await rejection(client(url).getTransfer('a'))) as DwollaNetworkError;
      expect(e).to.be.instanceOf(DwollaNetworkError);
      expect(e.errno).to.equal('ECONNREFUSED');
      expect(e.code).to.equal('NetworkError');
    });

    it('socket destroyed after the request was read → DwollaNetworkError', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        res.socket?.destroy();
      });
      const e = (await rejection(client(s.url).createTransfer(transferBody(s.url), 'k'))) as DwollaNetworkError;
      expect(e).to.be.instanceOf(DwollaNetworkError);
      expect(['ECONNRESET', 'EPIPE', 'UNKNOWN', 'ERR_BAD_RESPONSE']).to.include(e.errno);
      expect(s.apiHits()).to.have.length(1);
    });

    it('no answer within timeoutMs → DwollaTimeoutError (also when headers come but the body never ends)', async () => {
      const tokens = tokenIssuer();
      const s = await startRawServer(async (hit, res) => {
        if (await tokens(hit, res)) {
          return;
        }
        if (hit.path.startsWith('/transfers/trickle')) {
          res.writeHead(200, { 'Content-Type': 'application/vnd.dwolla.v1.hal+json' });
          res.write('{"id":');
          const t = setInterval(() => res.write(' '), 50);
          res.on('close', () => clearInterval(t));
          return;
        }
        // never answers
      });
      const c = client(s.url, { timeoutMs: 300 });
      const e = (await rejection(c.getTransfer('silent'))) as DwollaTimeoutError;
      expect(e).to.be.instanceOf(DwollaTimeoutError);
      expect(e.timeoutMs).to.equal(300);
      expect(e.request).to.equal('GET /transfers/silent');
      const e2 = await rejection(c.getTransfer('trickle'));
      expect(e2).to.be.instanceOf(DwollaTimeoutError);
    });
  });

  describe('secrets', () => {
    /** Everything a thrown object can show: JSON, inspect (deep, hidden too), stack, summary, message. */
    function exposures(e: unknown): string {
      const parts = [JSON.stringify(e), util.inspect(e, { depth: 10, showHidden: true }), String(e)];
      if (e instanceof Error) {
        parts.push(e.stack ?? '', e.message);
      }
      if (e instanceof DwollaError) {
        parts.push(e.summary());
      }
      for (const v of Object.values(e as object)) {
        parts.push(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
      }
      return parts.join('\n');
    }

    function captureLogger() {
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      });
      return { lines, logger: pino({ level: 'trace' }, stream) };
    }

    it('never shows the secret, a token or an Authorization value, even when the server echoes them back', async () => {
      const issued: string[] = [];
      let mode = 'html';
      const s = await startRawServer(echoingServer(() => mode, issued));
      const { lines, logger } = captureLogger();
      const c = client(s.url, { logger, timeoutMs: 300 });

      const thrown: unknown[] = [];
      for (const m of ['html', 'json', 'drop', 'slow', 'token-error']) {
        mode = m;
        if (m === 'token-error') {
          const c2 = client(s.url, { logger });
          thrown.push(await rejection(c2.getTransfer('a')));
        } else {
          thrown.push(await rejection(c.createTransfer(transferBody(s.url), 'k')));
        }
      }
      expect(thrown.map((e) => (e as DwollaError).constructor.name)).to.deep.equal([
        'DwollaApiError',
        'DwollaApiError',
        'DwollaNetworkError',
        'DwollaTimeoutError',
        'DwollaAuthError',
      ]);
      // The server really did echo secrets: the test would catch a leak.
      expect(s.hits.some((h) => h.headers.authorization === `Basic ${BASIC}`)).to.equal(true);
      expect(issued.length).to.be.greaterThan(0);

      const forbidden = [SECRET, BASIC, ...issued];
      const shown = [
        ...thrown.map(exposures),
        ...lines,
        util.inspect(c, { depth: 10, showHidden: true }),
        JSON.stringify(c),
      ].join('\n');
      for (const f of forbidden) {
        expect(shown).to.not.include(f);
      }
      expect(shown).to.include('[REDACTED]');
      expect(lines.length).to.be.greaterThan(0);
    });

    it('an error never carries an axios object, config, headers or request', async () => {
      const s = await startRawServer(() => undefined);
      const url = s.url;
      await s.close();
      const e = await rejection(client(url).getTransfer('a'));
      const keys = Object.getOwnPropertyNames(e);
      for (const k of ['config', 'request', 'response', 'headers', 'cause', 'auth']) {
        if (k === 'request') {
          expect(typeof (e as Record<string, unknown>)[k]).to.not.equal('object');
        } else {
          expect(keys).to.not.include(k);
        }
      }
      expect(e).to.not.have.property('isAxiosError');
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('DwollaClient against the simulator', () => {
  let sim: SimulatorHandle;
  const sims: SimulatorHandle[] = [];

  async function simulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
    const s = await startSimulator({ port: 0, ...opts });
    sims.push(s);
    return s;
  }

  function simClient(s: SimulatorHandle, extra: Partial<DwollaClientOptions> = {}): DwollaClient {
    const c = new DwollaClient({
      baseUrl: s.url,
      key: SIMULATOR.key,
      secret: SIMULATOR.secret,
      timeoutMs: 5000,
      ...extra,
    });
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      c.close();
    }
    for (const s of sims.splice(0)) {
      await s.close();
    }
  });

  describe('tokens', () => {
    it('20 concurrent first calls share one token', async () => {
      sim = await simulator({ latencyMs: 20 });
      const c = simClient(sim);
      const sources = await Promise.all(
        Array.from({ length: 20 }, () => c.getFundingSource(SIMULATOR.defaultSourceId)),
      );
      expect(sources.every((f) => f.type === 'balance')).to.equal(true);
      expect(sim.stats().tokensIssued).to.equal(1);
      await c.getRoot();
      expect(sim.stats().tokensIssued).to.equal(1);
    });

    it('renews a short-lived token before it expires (no 401 on the way)', async () => {
      sim = await simulator({ tokenLifetimeSec: 120 });
      const c = simClient(sim, { now: () => sim.now().getTime() });
      await c.getFundingSource(SIMULATOR.defaultSourceId);
      expect(sim.stats()).to.deep.include({ tokensIssued: 1, requests: 2 });
      sim.advanceClock(50_000);
      await c.getFundingSource(SIMULATOR.defaultSourceId);
      expect(sim.stats()).to.deep.include({ tokensIssued: 1, requests: 3 });
      sim.advanceClock(80_000); // 130 s: the first token has expired at the simulator
      await c.getFundingSource(SIMULATOR.defaultSourceId);
      // renewed first: token + GET, not GET(401) + token + GET
      expect(sim.stats()).to.deep.include({ tokensIssued: 2, requests: 5 });
    });

    it('401 ExpiredAccessToken (client clock behind): renews and repeats once', async () => {
      sim = await simulator();
      const c = simClient(sim); // real clock; the simulator's moves on
      await c.getRoot();
      sim.advanceClock(2 * 3600_000);
      const fs = await c.getFundingSource(SIMULATOR.defaultSourceId);
      expect(fs.id).to.equal(SIMULATOR.defaultSourceId);
      expect(sim.stats()).to.deep.include({ tokensIssued: 2, requests: 5 });
    });
  });

  it('every call has the shape the simulator expects', async () => {
    sim = await simulator();
    const c = simClient(sim);
    const root = await c.getRoot();
    expect(root.accountId).to.equal(SIMULATOR.accountId);
    expect(root.accountUrl).to.equal(`${sim.url}/accounts/${SIMULATOR.accountId}`);

    const src = await c.getFundingSource(SIMULATOR.defaultSourceId);
    expect(src).to.deep.include({ id: SIMULATOR.defaultSourceId, type: 'balance', status: 'verified', removed: false });
    const removed = await c.getFundingSource(c.fundingSourceUrl(SPECIAL_IDS.removedBank));
    expect(removed.removed).to.equal(true);

    // From the account's bank: Dwolla refuses metadata on a transfer from a balance.
    const body = {
      _links: {
        source: { href: c.fundingSourceUrl(SPECIAL_IDS.accountBank) },
        destination: { href: c.fundingSourceUrl(SPECIAL_IDS.r01Bank) },
      },
      amount: { currency: 'USD', value: '42.10' },
      metadata: { invoice: 'INV-1' },
      correlationId: 'shape-1',
    };
    const created = await c.createTransfer(body, 'shape-key-1');
    expect(created.httpStatus).to.equal(201);
    expect(created.location).to.equal(c.transferUrl(created.id));
    const again = await c.createTransfer(body, 'shape-key-1');
    expect(again.location).to.equal(created.location);
    expect(sim.transfers()).to.have.length(1);

    const t = await c.getTransfer(created.location);
    expect(t).to.deep.include({ id: created.id, status: 'pending', correlationId: 'shape-1' });
    expect(t.amount).to.deep.equal({ value: '42.10', currency: 'USD' });
    expect(t.metadata).to.deep.equal({ invoice: 'INV-1' });

    const byCorrelation = await c.listTransfers({ correlationId: 'shape-1' });
    expect(byCorrelation._embedded.transfers.map((x) => x.id)).to.deep.equal([created.id]);
    expect(
      (await c.listTransfers({ accountId: SIMULATOR.accountId, correlationId: 'nope' }))._embedded.transfers,
    ).to.deep.equal([]);
    const customer = t._links.destination!.href;
    const forCustomer = await c.listTransfers({ customerId: customer, limit: 5, offset: 0 });
    expect(forCustomer._embedded.transfers.map((x) => x.id)).to.include(created.id);

    const notFailed = (await rejection(c.getTransferFailure(created.id))) as DwollaApiError;
    expect(notFailed).to.be.instanceOf(DwollaApiError);
    expect(notFailed.httpStatus).to.equal(404);

    // A bank source is a chain (Dwolla's sandbox): two simulations process leg 1, then fail leg 2
    // (to the R01 bank), which the created transfer links as `funded-transfer`.
    sim.simulate();
    sim.simulate();
    const leg1 = await c.getTransfer(created.id);
    expect(leg1.status).to.equal('processed');
    const leg2 = await c.getTransfer(leg1._links['funded-transfer']!.href);
    expect(leg2.status).to.equal('failed');
    const failure = await c.getTransferFailure(leg2.id);
    expect(failure.code).to.equal('R01');

    const other = await c.createTransfer(
      {
        ...body,
        correlationId: 'shape-2',
        _links: { ...body._links, destination: { href: c.fundingSourceUrl(randomUUID()) } },
      },
      'shape-key-2',
    );
    const cancelled = await c.cancelTransfer(other.id);
    expect(cancelled.status).to.equal('cancelled');
    expect((await c.getTransfer(other.id)).status).to.equal('cancelled');

    const invalid = (await rejection(
      c.createTransfer(
        { ...body, correlationId: 'shape-3', amount: { currency: 'USD', value: '0.00' } },
        'shape-key-3',
      ),
    )) as DwollaApiError;
    expect(invalid).to.be.instanceOf(DwollaApiError);
    expect(invalid.httpStatus).to.equal(400);
    expect(invalid.code).to.equal('ValidationError');
    expect(invalid.embedded.length).to.be.greaterThan(0);
    expect(invalid.summary()).to.match(/^ValidationError: .+\[.+\]$/);

    const missing = (await rejection(c.getTransfer(randomUUID()))) as DwollaApiError;
    expect(missing.code).to.equal('NotFound');
  });

  // -------------------------------------------------------------------------------------------
  // Exactly once under faults: N transfers, unique keys, through withRetries; count at the simulator.

  interface BatchOptions {
    n?: number;
    concurrency?: number;
    maxAttempts?: number;
    source?: string;
    sleepCapMs?: number;
    backoff?: BackoffOptions;
    /** Called once half the batch has been started. */
    midway?: () => void;
  }

  async function sendBatch(c: DwollaClient, opts: BatchOptions = {}) {
    const {
      n = 40,
      concurrency = 8,
      maxAttempts = 15,
      source = SPECIAL_IDS.accountBank,
      sleepCapMs = 10,
      backoff,
    } = opts;
    const run = randomUUID().slice(0, 8);
    const rows = Array.from({ length: n }, (_, i) => ({
      key: `${run}-${i}-${randomUUID()}`,
      destination: randomUUID(),
      value: `${i + 1}.${String(i % 100).padStart(2, '0')}`,
    }));
    const seen: Array<{ kind: string; status?: number }> = [];
    const results: Array<{ location: string; attempts: number } | { error: unknown }> = new Array(n);
    let next = 0;
    let midwayDone = false;
    async function send(row: (typeof rows)[number]): Promise<(typeof results)[number]> {
      const body: CreateTransferRequest = {
        _links: {
          source: { href: c.fundingSourceUrl(source) },
          destination: { href: c.fundingSourceUrl(row.destination) },
        },
        amount: { currency: 'USD', value: row.value },
        correlationId: row.key,
      };
      try {
        const r = await withRetries(() => c.createTransfer(body, row.key), {
          maxAttempts,
          sleep: (ms) => new Promise((res) => setTimeout(res, Math.min(ms, sleepCapMs))),
          ...(backoff ? { backoff, random: () => 1 } : {}),
          onRetry: ({ error }) => {
            const e = error as DwollaError;
            seen.push({ kind: e.kind ?? 'unknown', ...(e.httpStatus !== undefined ? { status: e.httpStatus } : {}) });
          },
        });
        return { location: r.value.location, attempts: r.attempts };
      } catch (error) {
        return { error };
      }
    }
    async function worker() {
      while (next < rows.length) {
        const i = next++;
        if (i >= n / 2 && !midwayDone) {
          midwayDone = true;
          opts.midway?.();
        }
        results[i] = await send(rows[i]!);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { rows, results, seen };
  }

  /** Every key created exactly once at the simulator, and the client holds that transfer's URL. */
  function expectExactlyOnce(s: SimulatorHandle, batch: Awaited<ReturnType<typeof sendBatch>>) {
    const failures = batch.results.filter((r) => 'error' in r).map((r) => String((r as { error: unknown }).error));
    expect(failures, 'rows that gave up').to.deep.equal([]);
    const transfers = s.transfers();
    const byKey = new Map<string, typeof transfers>();
    for (const t of transfers) {
      byKey.set(t.idempotencyKey ?? '', [...(byKey.get(t.idempotencyKey ?? '') ?? []), t]);
    }
    const duplicates = [...byKey.entries()].filter(([, ts]) => ts.length > 1).map(([k]) => k);
    const missing = batch.rows.filter((r) => !byKey.has(r.key)).map((r) => r.key);
    expect(duplicates, 'keys created twice').to.deep.equal([]);
    expect(missing, 'keys never created').to.deep.equal([]);
    expect(transfers).to.have.length(batch.rows.length);
    expect(s.stats().duplicatesByCorrelationId).to.equal(0);
    batch.rows.forEach((row, i) => {
      const t = byKey.get(row.key)![0]!;
      expect((batch.results[i] as { location: string }).location).to.equal(t._links.self!.href);
      expect(t.amount.value).to.equal(row.value);
      expect(t.correlationId).to.equal(row.key);
    });
  }

  const attemptsOf = (b: Awaited<ReturnType<typeof sendBatch>>) =>
    b.results.reduce((sum, r) => sum + ('attempts' in r ? r.attempts : 0), 0);

  it('baseline, no faults: one attempt per transfer', async () => {
    sim = await simulator();
    const b = await sendBatch(simClient(sim));
    expectExactlyOnce(sim, b);
    expect(attemptsOf(b)).to.equal(40);
    expect(sim.stats().tokensIssued).to.equal(1);
  });

  it('5xx after the transfer was created: retried with the same key, replayed, never duplicated', async () => {
    sim = await simulator({ error5xxAfterRate: 0.4, seed: 11 });
    const b = await sendBatch(simClient(sim));
    expectExactlyOnce(sim, b);
    expect(sim.stats().injected.error5xxAfter).to.be.greaterThan(0);
    expect(sim.stats().idempotentReplays).to.be.greaterThan(0);
    expect(b.seen.some((x) => x.kind === 'api' && x.status === 500)).to.equal(true);
  });

  it('connection dropped after the transfer was created: network error, retried, never duplicated', async () => {
    sim = await simulator({ dropAfterRate: 0.4, seed: 12 });
    const b = await sendBatch(simClient(sim));
    expectExactlyOnce(sim, b);
    expect(sim.stats().injected.dropAfter).to.be.greaterThan(0);
    expect(b.seen.some((x) => x.kind === 'network')).to.equal(true);
  });

  it('429 storm: retried until accepted, nothing missing', async () => {
    sim = await simulator({ rate429: 0.6, seed: 13 });
    const b = await sendBatch(simClient(sim), { maxAttempts: 30 });
    expectExactlyOnce(sim, b);
    expect(sim.stats().injected.rate429).to.be.greaterThan(0);
    expect(b.seen.some((x) => x.status === 429)).to.equal(true);
  });

  it('5xx before anything was created: retried, nothing missing', async () => {
    sim = await simulator({ error5xxBeforeRate: 0.4, seed: 14 });
    const b = await sendBatch(simClient(sim));
    expectExactlyOnce(sim, b);
    expect(sim.stats().injected.error5xxBefore).to.be.greaterThan(0);
    expect(sim.stats().idempotentReplays).to.equal(0);
  });

  it('slow answers past the timeout: the transfer exists, the retry replays it', async () => {
    sim = await simulator({ slowRate: 0.4, slowMs: 5_000, seed: 15 });
    const b = await sendBatch(simClient(sim, { timeoutMs: 300 }));
    expectExactlyOnce(sim, b);
    expect(sim.stats().injected.slow).to.be.greaterThan(0);
    expect(b.seen.some((x) => x.kind === 'timeout')).to.equal(true);
    expect(sim.stats().idempotentReplays).to.be.greaterThan(0);
  });

  it('409 while the first request with the key is still processing: waited out, never duplicated', async () => {
    sim = await simulator();
    const c = simClient(sim, { timeoutMs: 300 });
    await c.getRoot(); // token fetched before the latency starts
    // Per-request latency of 0–800 ms: many first tries time out while the simulator still
    // processes them; a quick retry then finds the key in progress (409).
    sim.setFaults({ jitterMs: 600, seed: 16 });
    const b = await sendBatch(c, { n: 24, maxAttempts: 30, sleepCapMs: 200, backoff: { baseMs: 50, capMs: 200 } });
    expectExactlyOnce(sim, b);
    expect(sim.stats().idempotencyConflicts).to.be.greaterThan(0);
    expect(b.seen.some((x) => x.status === 409)).to.equal(true);
  });

  it('balance source: concurrent sends get real 429s and are retried to exactly once', async () => {
    sim = await simulator({ latencyMs: 15 });
    const b = await sendBatch(simClient(sim), {
      source: SIMULATOR.defaultSourceId,
      n: 20,
      concurrency: 6,
      maxAttempts: 60,
      sleepCapMs: 20,
    });
    expectExactlyOnce(sim, b);
    expect(sim.stats().concurrencyRejections).to.be.greaterThan(0);
  });

  it('everything at once (and the token expiring mid-batch): zero duplicates, zero missing', async () => {
    sim = await simulator({
      error5xxAfterRate: 0.1,
      dropAfterRate: 0.1,
      rate429: 0.1,
      error5xxBeforeRate: 0.1,
      slowRate: 0.1,
      slowMs: 5_000,
      jitterMs: 30,
      seed: 17,
    });
    const c = simClient(sim, { timeoutMs: 400 });
    const b = await sendBatch(c, { n: 60, maxAttempts: 30, midway: () => sim.advanceClock(2 * 3600_000) });
    expectExactlyOnce(sim, b);
    const injected = sim.stats().injected;
    for (const k of ['rate429', 'error5xxBefore', 'error5xxAfter', 'dropAfter', 'slow'] as const) {
      expect(injected[k], k).to.be.greaterThan(0);
    }
    expect(sim.stats().tokensIssued).to.be.at.least(2);
    expect(attemptsOf(b)).to.be.greaterThan(60);
  });
});
