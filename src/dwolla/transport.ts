/**
 * The client's one seam to the network: a Transport is a function from an HTTP request to its
 * answer. `defaultTransport()` is the real one; tests give DwollaClient a scripted function instead.
 *
 * Two real transports keep the same contract: `httpTransport()`, node:http(s) itself, and
 * `axiosTransport()`. The default sends with node:http, and with axios only a request that an
 * HTTP(S)_PROXY from the environment may apply to (axios honours those variables and NO_PROXY;
 * node:http does not). Why not axios for everything: measured against the simulator at 50 ms
 * latency, one POST /transfers after another, axios took 52.9–53.7 ms a request and about
 * 1.9 ms of CPU, node:http 52.1–52.5 ms and about 1 ms: with one transfer in flight per balance
 * source, axios alone kept a balance source under 95% of its bound (bench/run.ts, submit).
 *
 * Contract: a Transport resolves with whatever status came back (it never throws for a 4xx or
 * 5xx and never follows a redirect); it rejects only when no complete answer arrived, with the
 * HTTP stack's own error, whose `code` or `name` says why (read by `noAnswerReason`). It stops a
 * request that is still running `timeoutMs` after it started.
 */

import http from 'node:http';
import https from 'node:https';
// Types only: axios itself (about 100 ms to load) is imported by `axiosTransport` on its first
// request, so a run that never goes through a proxy never loads it.
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Already serialised. */
  body?: string;
  /** Deadline for the whole exchange, connection to last byte (ms). */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** Header names lower-case; repeated headers joined with `, `. */
  headers: Record<string, string | undefined>;
  /** The body as text ('' when there was none). */
  body: string;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** Largest body accepted from the API. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * axios over keep-alive agents. The request's deadline is an AbortSignal (axios's own `timeout`
 * only notices an idle socket, not a body that trickles in); when it fires axios rejects with
 * `ERR_CANCELED`. `close()` releases the pooled sockets; the transport still works afterwards.
 *
 * Per request it allocates little: the body goes as the string it is (no transformRequest), the
 * deadline is a timer cleared as soon as the answer is in (an `AbortSignal.timeout` would keep
 * one timer per request pending for the whole timeout, thousands at a time in a fast run), and
 * whether the host is loopback is worked out once per origin.
 */
export function axiosTransport(): Transport & { close(): void } {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  let created: Promise<AxiosInstance> | undefined;
  const axiosClient = () => {
    created ??= import('axios').then(({ default: axios }) =>
      axios.create({
        httpAgent: agents.http,
        httpsAgent: agents.https,
        // The answer as it came: any status, no redirect (the token would go along), raw text.
        validateStatus: () => true,
        maxRedirects: 0,
        responseType: 'text',
        transformRequest: [(data: unknown) => data],
        transformResponse: [(data: unknown) => data],
        maxContentLength: MAX_BODY_BYTES,
        maxBodyLength: MAX_BODY_BYTES,
      }),
    );
    return created;
  };
  const loopback = new Map<string, boolean>();
  const send: Transport = async (req) => {
    const client = await axiosClient();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), req.timeoutMs);
    const config: AxiosRequestConfig = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      signal: deadline.signal,
    };
    if (req.body !== undefined) {
      config.data = req.body;
    }
    if (isLoopback(req.url, loopback)) {
      config.proxy = false; // a local simulator is never reached through an HTTP(S)_PROXY from the environment
    }
    let res: AxiosResponse<unknown>;
    try {
      res = await client.request<unknown>(config);
    } finally {
      clearTimeout(timer);
    }
    return {
      status: res.status,
      headers: lowerCaseHeaders(res.headers ?? {}),
      body: res.data === undefined || res.data === null ? '' : String(res.data),
    };
  };
  return Object.assign(send, {
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}

/**
 * node:http(s) over keep-alive agents, no proxy. The deadline is a timer that rejects with a
 * `TimeoutError` (read as a timeout) and destroys the request, whatever stage it is at; a body
 * past MAX_BODY_BYTES rejects with `ERR_BODY_TOO_LARGE`; a connection that fails or closes
 * before the whole answer is in rejects with Node's error (`ECONNREFUSED`, `ECONNRESET`, …).
 * `close()` releases the pooled sockets; the transport still works afterwards.
 */
export function httpTransport(): Transport & { close(): void } {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const send: Transport = (req) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const secure = req.url.startsWith('https:');
      const headers =
        req.body === undefined
          ? req.headers
          : { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) };
      let request: http.ClientRequest;
      try {
        request = (secure ? https : http).request(req.url, {
          method: req.method,
          headers,
          agent: secure ? agents.https : agents.http,
        });
      } catch (err) {
        reject(err); // a URL or header Node refuses
        return;
      }
      const exchange = new Exchange(request, resolve, reject, req.timeoutMs);
      request.on('response', (res) => exchange.read(res));
      request.on('error', (err) => exchange.fail(err));
      request.end(req.body);
    });
  return Object.assign(send, {
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}

/** One request of `httpTransport`: settles once, with the whole answer or the first failure. */
class Exchange {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly request: http.ClientRequest,
    private readonly resolve: (answer: HttpResponse) => void,
    private readonly reject: (err: unknown) => void,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.fail(Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { name: 'TimeoutError' }));
    }, timeoutMs);
  }

  read(res: http.IncomingMessage): void {
    res.on('data', (chunk: Buffer) => {
      this.size += chunk.length;
      if (this.size > MAX_BODY_BYTES) {
        const err = new Error(`answer body over ${MAX_BODY_BYTES} bytes`);
        this.fail(Object.assign(err, { code: 'ERR_BODY_TOO_LARGE' }));
        return;
      }
      this.chunks.push(chunk);
    });
    res.on('end', () => {
      if (!res.complete) {
        this.fail(Object.assign(new Error('connection closed before the answer was complete'), { code: 'ECONNRESET' }));
        return;
      }
      this.done({
        status: res.statusCode ?? 0,
        headers: lowerCaseHeaders(res.headers),
        body: this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8'),
      });
    });
    res.on('error', (err) => this.fail(err));
    res.on('aborted', () => {
      this.fail(Object.assign(new Error('connection closed before the answer was complete'), { code: 'ECONNRESET' }));
    });
  }

  fail(err: unknown): void {
    if (this.settled) {
      return;
    }
    this.settled = true;
    clearTimeout(this.timer);
    this.request.destroy();
    this.reject(err);
  }

  private done(answer: HttpResponse): void {
    if (this.settled) {
      return;
    }
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(answer);
  }
}

/** Environment variables through which axios (proxy-from-env) may send a request via a proxy. */
const PROXY_VARIABLES = [
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'npm_config_proxy',
  'npm_config_http_proxy',
  'npm_config_https_proxy',
];

function proxyFromEnvironment(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((name) => Boolean(env[name] || env[name.toUpperCase()]));
}

/**
 * The transport DwollaClient uses unless given one: `httpTransport()`, or `axiosTransport()` for
 * a request that is not to this machine when a proxy variable is set (read once, here).
 */
export function defaultTransport(env: NodeJS.ProcessEnv = process.env): Transport & { close(): void } {
  const direct = httpTransport();
  const proxied = proxyFromEnvironment(env);
  const loopback = new Map<string, boolean>();
  let viaProxy: ReturnType<typeof axiosTransport> | undefined;
  const send: Transport = (req) => {
    if (!proxied || isLoopback(req.url, loopback)) {
      return direct(req);
    }
    viaProxy ??= axiosTransport();
    return viaProxy(req);
  };
  return Object.assign(send, {
    close: () => {
      direct.close();
      viaProxy?.close();
    },
  });
}

function lowerCaseHeaders(raw: object): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined && v !== null) {
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
  }
  return headers;
}

/** Whether the URL's host is this machine, worked out once per origin (`known` caches it). */
function isLoopback(url: string, known: Map<string, boolean>): boolean {
  const end = url.indexOf('/', url.indexOf('//') + 2);
  const origin = end === -1 ? url : url.slice(0, end);
  let answer = known.get(origin);
  if (answer === undefined) {
    answer = ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
    if (known.size < 16) {
      known.set(origin, answer);
    }
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------

/** `code`s of a request stopped by a deadline: axios's abort, Node's and axios's own timeouts. */
const TIMEOUT_CODES = new Set(['ERR_CANCELED', 'ETIMEDOUT', 'ECONNABORTED']);
/** `name`s of the same: axios's CanceledError, an aborted fetch, `AbortSignal.timeout()`'s reason. */
const TIMEOUT_NAMES = new Set(['CanceledError', 'AbortError', 'TimeoutError']);

/**
 * Why a request got no answer, read from what the transport threw: its `code` (Node's errno or
 * axios's code, e.g. `ECONNRESET`) and `name`, never its message text. For a network failure,
 * `errno` is that code (`UNKNOWN` when there is none) and `message` the error's own, unredacted.
 */
export function noAnswerReason(e: unknown): { kind: 'timeout' } | { kind: 'network'; errno: string; message: string } {
  const code = readString(e, 'code');
  const name = readString(e, 'name');
  if ((code !== undefined && TIMEOUT_CODES.has(code)) || (name !== undefined && TIMEOUT_NAMES.has(name))) {
    return { kind: 'timeout' };
  }
  return { kind: 'network', errno: code ?? 'UNKNOWN', message: readString(e, 'message') ?? 'request failed' };
}

function readString(e: unknown, field: string): string | undefined {
  if (typeof e !== 'object' || e === null) {
    return undefined;
  }
  const v = (e as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}
