/**
 * The client's one seam to the network: a Transport is a function from an HTTP request to its
 * answer. `axiosTransport()` is the real one; tests give DwollaClient a scripted function instead.
 *
 * Contract: a Transport resolves with whatever status came back (it never throws for a 4xx or
 * 5xx and never follows a redirect); it rejects only when no complete answer arrived, with the
 * HTTP stack's own error, whose `code` or `name` says why (read by `noAnswerReason`). It stops a
 * request that is still running `timeoutMs` after it started.
 */

import http from 'node:http';
import https from 'node:https';
import axios from 'axios';

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
 */
export function axiosTransport(): Transport & { close(): void } {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const client = axios.create({
    httpAgent: agents.http,
    httpsAgent: agents.https,
    // The answer as it came: any status, no redirect (the token would go along), raw text.
    validateStatus: () => true,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: MAX_BODY_BYTES,
    maxBodyLength: MAX_BODY_BYTES,
  });
  const send: Transport = async (req) => {
    const res = await client.request<unknown>({
      method: req.method,
      url: req.url,
      headers: req.headers,
      ...(req.body !== undefined ? { data: req.body } : {}),
      signal: AbortSignal.timeout(req.timeoutMs),
      // A local simulator is never reached through an HTTP(S)_PROXY from the environment.
      ...(isLoopback(req.url) ? { proxy: false as const } : {}),
    });
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

function lowerCaseHeaders(raw: object): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined && v !== null) {
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
  }
  return headers;
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
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
