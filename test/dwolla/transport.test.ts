import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { expect } from 'chai';
import {
  axiosTransport,
  defaultTransport,
  type HttpRequest,
  httpTransport,
  noAnswerReason,
  type Transport,
} from '../../src/dwolla/transport.js';

// ---------------------------------------------------------------------------------------------
// httpTransport and axiosTransport against a real HTTP server on 127.0.0.1: the same contract.

interface Server {
  url: string;
  hits: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }>;
  sockets: Socket[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const transports: Array<{ close(): void }> = [];

async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server> {
  const hits: Server['hits'] = [];
  const sockets: Socket[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res);
    });
  });
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: Server = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

type Closable = Transport & { close(): void };

function keep<T extends Closable>(t: T): T {
  transports.push(t);
  return t;
}

const get = (url: string, timeoutMs = 5000): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => expect.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
}

afterEach(async () => {
  for (const t of transports.splice(0)) {
    t.close();
  }
  for (const s of servers.splice(0)) {
    await s.close();
  }
});

const REAL: Array<[string, () => Closable]> = [
  ['httpTransport', httpTransport],
  ['axiosTransport', axiosTransport],
];

for (const [name, make] of REAL) {
  const transport = () => keep(make());
  describe(`${name} (real HTTP)`, () => {
    it('sends the method, headers and body as given', async () => {
      const s = await startServer((_req, res) => res.end());
      await transport()({
        method: 'POST',
        url: `${s.url}/transfers`,
        headers: { 'Content-Type': 'application/vnd.dwolla.v1.hal+json', 'Idempotency-Key': 'k-1' },
        body: '{"a":1}',
        timeoutMs: 5000,
      });
      expect(s.hits).to.have.length(1);
      expect(s.hits[0]).to.deep.include({ method: 'POST', path: '/transfers', body: '{"a":1}' });
      expect(s.hits[0]!.headers['content-type']).to.equal('application/vnd.dwolla.v1.hal+json');
      expect(s.hits[0]!.headers['idempotency-key']).to.equal('k-1');
    });

    it('resolves with any status, header names lower-case and the body as text', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(500, { 'Content-Type': 'application/json', 'X-Request-Id': 'r-1' });
        res.end('{"code":"ServerError"}');
      });
      const answer = await transport()(get(`${s.url}/x`));
      expect(answer.status).to.equal(500);
      expect(answer.headers['x-request-id']).to.equal('r-1');
      expect(answer.headers['content-type']).to.equal('application/json');
      expect(answer.body).to.equal('{"code":"ServerError"}');

      const empty = await startServer((_req, res) => res.writeHead(204).end());
      expect((await transport()(get(`${empty.url}/y`))).body).to.equal('');
    });

    it('does not follow a redirect', async () => {
      const elsewhere = await startServer((_req, res) => res.end('followed'));
      const s = await startServer((_req, res) => res.writeHead(302, { Location: `${elsewhere.url}/z` }).end('moved'));
      const answer = await transport()(get(`${s.url}/a`));
      expect(answer.status).to.equal(302);
      expect(answer.headers.location).to.equal(`${elsewhere.url}/z`);
      expect(answer.body).to.equal('moved');
      expect(elsewhere.hits).to.have.length(0);
    });

    it('keeps the connection alive between requests; close() releases it and the transport still works', async () => {
      const s = await startServer((_req, res) => res.end('ok'));
      const t = transport();
      await t(get(`${s.url}/1`));
      await t(get(`${s.url}/2`));
      expect(s.sockets, 'one connection for two requests').to.have.length(1);
      const closed = new Promise((resolve) => s.sockets[0]!.once('close', resolve));
      t.close();
      await closed;
      await t(get(`${s.url}/3`));
      expect(s.sockets).to.have.length(2);
    });

    it('the deadline stops a server that never answers, read as a timeout (axios: ERR_CANCELED)', async function () {
      this.timeout(10_000); // a harness limit (a missing deadline would hang), not a timing assertion
      const s = await startServer(() => undefined);
      const e = await rejection(transport()(get(`${s.url}/silent`, 200)));
      if (name === 'axiosTransport') {
        expect((e as { code?: string }).code).to.equal('ERR_CANCELED');
      }
      expect(noAnswerReason(e)).to.deep.equal({ kind: 'timeout' });
    });

    it('the deadline covers the whole body, not only an idle socket (a body that trickles in)', async function () {
      this.timeout(10_000);
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"id":');
        const t = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(t));
      });
      const e = await rejection(transport()(get(`${s.url}/trickle`, 300)));
      expect(noAnswerReason(e)).to.deep.equal({ kind: 'timeout' });
    });

    it('connection refused rejects with ECONNREFUSED, read as a network failure', async () => {
      const s = await startServer(() => undefined);
      await s.close();
      const e = await rejection(transport()(get(`${s.url}/x`)));
      expect(noAnswerReason(e)).to.deep.include({ kind: 'network', errno: 'ECONNREFUSED' });
    });

    it('a connection closed in the middle of the body rejects as a network failure, never a short answer', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const e = await rejection(transport()(get(`${s.url}/cut`)));
      expect(noAnswerReason(e).kind).to.equal('network');
    });

    it('refuses a body over 10 MB', async () => {
      const s = await startServer((_req, res) => {
        const mb = Buffer.alloc(1024 * 1024, 0x20);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        for (let i = 0; i < 11; i++) {
          res.write(mb);
        }
        res.end();
      });
      const e = await rejection(transport()(get(`${s.url}/huge`)));
      expect(noAnswerReason(e).kind).to.equal('network');
    });
  });
}

describe('defaultTransport', () => {
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) {
        delete process.env[k];
      } else {
        process.env[k] = v;
      }
    }
  });

  /** A forward proxy: answers every request itself, naming the absolute URL it was asked for. */
  async function startProxy(): Promise<Server> {
    return startServer((req, res) => res.end(`proxied ${req.url}`));
  }

  it('without a proxy variable, sends directly with node:http (not axios)', async () => {
    delete process.env.HTTP_PROXY;
    delete process.env.http_proxy;
    const e = await rejection(keep(defaultTransport({}))(get('http://payouts-test.invalid/x')));
    // ENOTFOUND, or EAI_AGAIN on a machine without a resolver
    expect(['ENOTFOUND', 'EAI_AGAIN']).to.include((e as { code?: string }).code);
    expect((e as { isAxiosError?: boolean }).isAxiosError, 'not through axios').to.equal(undefined);
  });

  it('with HTTP_PROXY set, a request to another host goes through the proxy (axios), one to this machine does not', async () => {
    const proxy = await startProxy();
    const direct = await startServer((_req, res) => res.end('direct'));
    process.env.HTTP_PROXY = proxy.url;
    const t = keep(defaultTransport(process.env));
    const far = await t(get('http://payouts-test.invalid/x'));
    expect(far.body).to.equal('proxied http://payouts-test.invalid/x');
    const near = await t(get(`${direct.url}/y`));
    expect(near.body).to.equal('direct');
    expect(proxy.hits.map((h) => h.path)).to.deep.equal(['http://payouts-test.invalid/x']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('noAnswerReason', () => {
  const coded = (code: string | undefined, message: string, name = 'Error') =>
    Object.assign(new Error(message), { name }, code === undefined ? {} : { code });

  const table: Array<[string, unknown, ReturnType<typeof noAnswerReason>]> = [
    ['axios CanceledError (the deadline)', coded('ERR_CANCELED', 'canceled', 'CanceledError'), { kind: 'timeout' }],
    ['Node ETIMEDOUT', coded('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'), { kind: 'timeout' }],
    ['axios ECONNABORTED', coded('ECONNABORTED', 'timeout of 300ms exceeded'), { kind: 'timeout' }],
    ['an aborted fetch', new DOMException('This operation was aborted', 'AbortError'), { kind: 'timeout' }],
    ['AbortSignal.timeout()', new DOMException('The operation timed out', 'TimeoutError'), { kind: 'timeout' }],
    [
      'ECONNRESET',
      coded('ECONNRESET', 'socket hang up'),
      { kind: 'network', errno: 'ECONNRESET', message: 'socket hang up' },
    ],
    [
      'ENOTFOUND',
      coded('ENOTFOUND', 'getaddrinfo ENOTFOUND api.example'),
      { kind: 'network', errno: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND api.example' },
    ],
    [
      'timeout words in the message, but no timeout code: not a timeout',
      coded(undefined, 'timeout of 300ms exceeded'),
      { kind: 'network', errno: 'UNKNOWN', message: 'timeout of 300ms exceeded' },
    ],
    [
      'a network code with "timeout" in its text is still a network failure',
      coded('ECONNRESET', 'timeout while reading'),
      { kind: 'network', errno: 'ECONNRESET', message: 'timeout while reading' },
    ],
    ['a thrown string', 'boom', { kind: 'network', errno: 'UNKNOWN', message: 'request failed' }],
  ];
  for (const [name, thrown, expected] of table) {
    it(`${name} → ${expected.kind}`, () => {
      expect(noAnswerReason(thrown)).to.deep.equal(expected);
    });
  }
});
