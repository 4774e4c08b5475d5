/**
 * Dwolla API client (axios): OAuth client-credentials token handling and the handful of calls
 * payouts makes. Every method is ONE attempt at the HTTP level, apart from the token: a missing or
 * stale token is fetched first, and a 401 `ExpiredAccessToken`/`InvalidAccessToken` renews it and
 * repeats the request once. Retrying failures is the caller's job (src/retry.ts).
 *
 * Nothing thrown here is an axios error: every failure becomes one of the typed errors of
 * src/dwolla-errors.ts, built from fields copied on purpose, so no request config, header or
 * credential can ride along. The key's secret, access tokens and `Authorization` values are kept
 * in private (#) fields and scrubbed from any response text copied into an error or a log line.
 */

import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import {
  type DwollaError,
  DwollaNetworkError,
  DwollaProtocolError,
  DwollaTimeoutError,
  DwollaUsageError,
  parseApiError,
  parseTokenError,
  type RawAnswer,
} from './errors.js';
import {
  type CreateTransferRequest,
  type FundingSource,
  HAL_JSON,
  type RootResource,
  type TokenResponse,
  type Transfer,
  type TransferFailure,
  type TransferList,
} from './types.js';

/** The subset of a pino logger the client uses. */
export interface DwollaClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DwollaClientOptions {
  /** API root, e.g. `https://api-sandbox.dwolla.com` or a simulator's URL (no trailing slash needed). */
  baseUrl: string;
  /** Application key (client id). */
  key: string;
  /** Application secret. Never logged, never copied into an error. */
  secret: string;
  /** Limit for one HTTP request, connection to last byte (ms). */
  timeoutMs: number;
  logger?: DwollaClientLogger;
  /** Clock (ms since epoch) for token expiry and `Retry-After` dates. Default `Date.now`. */
  now?: () => number;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

export interface CreatedTransfer {
  /** The `Location` header: the transfer's URL. */
  location: string;
  /** Last path segment of `location`. */
  id: string;
  /** 201 normally (also for a replayed idempotency key). */
  httpStatus: number;
}

export interface ListTransfersQuery {
  /** Account id or URL. With neither this nor `customerId`, the application's own account. */
  accountId?: string;
  /** Customer id or URL. */
  customerId?: string;
  correlationId?: string;
  limit?: number;
  offset?: number;
}

export interface RootInfo {
  accountUrl: string;
  accountId: string;
}

type ResourceKind = 'funding-sources' | 'transfers' | 'accounts' | 'customers';

/** Dwolla 401 codes that mean "this token is no good, get another". */
const TOKEN_REJECTIONS = new Set(['ExpiredAccessToken', 'InvalidAccessToken']);

/** Renew this long before expiry, or at half the lifetime when that comes later. */
const RENEW_LEAD_MS = 60_000;
/** Largest body accepted from the API. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How many past access tokens are remembered for scrubbing. */
const REMEMBERED_TOKENS = 4;

interface CachedToken {
  value: string;
  renewAt: number;
  expiresAt: number;
}

interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** JSON body (sent as HAL JSON). */
  body?: unknown;
  idempotencyKey?: string;
}

export class DwollaClient {
  /** Normalised API root, without trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs: number;

  readonly #secret: string;
  readonly #basic: string;
  readonly #now: () => number;
  readonly #logger: DwollaClientLogger | undefined;
  readonly #http: AxiosInstance;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #userAgent: string;
  #token: CachedToken | undefined;
  #renewal: Promise<string> | undefined;
  #pastTokens: string[] = [];
  #root: Promise<RootInfo> | undefined;

  constructor(opts: DwollaClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new DwollaUsageError('InvalidBaseUrl', `not a URL: ${JSON.stringify(opts.baseUrl)}`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new DwollaUsageError('InvalidBaseUrl', `base URL must be http(s): ${base.protocol}`);
    }
    if (base.username || base.password) {
      throw new DwollaUsageError('InvalidBaseUrl', 'base URL must not contain credentials');
    }
    if (!opts.key || !opts.secret) {
      throw new DwollaUsageError('MissingCredentials', 'key and secret are required');
    }
    if (!(opts.timeoutMs > 0)) {
      throw new DwollaUsageError('InvalidTimeout', `timeoutMs must be positive: ${opts.timeoutMs}`);
    }

    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.timeoutMs = opts.timeoutMs;
    this.#secret = opts.secret;
    this.#basic = Buffer.from(`${opts.key}:${opts.secret}`, 'utf8').toString('base64');
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    this.#userAgent = opts.userAgent ?? 'payouts';
    this.#agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(base.hostname);
    this.#http = axios.create({
      timeout: opts.timeoutMs,
      maxRedirects: 0,
      validateStatus: () => true,
      httpAgent: this.#agents.http,
      httpsAgent: this.#agents.https,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: true },
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      // A local simulator is never reached through an HTTP(S)_PROXY from the environment.
      ...(loopback ? { proxy: false as const } : {}),
    });
  }

  // ------------------------------------------------------------------------------------------
  // URLs

  /** `{baseUrl}/funding-sources/{id}`; a URL under baseUrl is returned normalised. */
  fundingSourceUrl(idOrUrl: string): string {
    return this.#resourceUrl('funding-sources', idOrUrl);
  }

  /** `{baseUrl}/transfers/{id}`; a URL under baseUrl is returned normalised. */
  transferUrl(idOrUrl: string): string {
    return this.#resourceUrl('transfers', idOrUrl);
  }

  /** `{baseUrl}/customers/{id}`; a URL under baseUrl is returned normalised. */
  customerUrl(idOrUrl: string): string {
    return this.#resourceUrl('customers', idOrUrl);
  }

  /** `{baseUrl}/accounts/{id}`; a URL under baseUrl is returned normalised. */
  accountUrl(idOrUrl: string): string {
    return this.#resourceUrl('accounts', idOrUrl);
  }

  // ------------------------------------------------------------------------------------------
  // Calls

  /** `POST /transfers` with `Idempotency-Key`. Resolves on 201 with the `Location`. */
  async createTransfer(body: CreateTransferRequest, idempotencyKey: string): Promise<CreatedTransfer> {
    if (!idempotencyKey) {
      throw new DwollaUsageError('MissingIdempotencyKey', 'createTransfer needs an idempotency key');
    }
    const req: HttpRequest = { method: 'POST', url: `${this.baseUrl}/transfers`, body, idempotencyKey };
    const answer = await this.#call(req);
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(answer, req);
    }
    const raw = answer.headers.location;
    if (!raw) {
      throw new DwollaProtocolError({
        httpStatus: answer.status,
        message: `HTTP ${answer.status} without a Location header`,
        request: describe(req),
      });
    }
    let location: string;
    try {
      location = new URL(raw, `${this.baseUrl}/`).toString();
    } catch {
      throw new DwollaProtocolError({
        httpStatus: answer.status,
        message: `unreadable Location header`,
        request: describe(req),
      });
    }
    const id = lastSegment(location);
    if (!id) {
      throw new DwollaProtocolError({
        httpStatus: answer.status,
        message: `Location without an id: ${location}`,
        request: describe(req),
      });
    }
    return { location, id, httpStatus: answer.status };
  }

  /** `GET /funding-sources/{id}`. */
  async getFundingSource(idOrUrl: string): Promise<FundingSource> {
    return this.#getJson<FundingSource>(this.fundingSourceUrl(idOrUrl));
  }

  /** `GET /transfers/{id}`. */
  async getTransfer(idOrUrl: string): Promise<Transfer> {
    return this.#getJson<Transfer>(this.transferUrl(idOrUrl));
  }

  /** `GET /transfers/{id}/failure` (404 when the transfer has no failure). */
  async getTransferFailure(idOrUrl: string): Promise<TransferFailure> {
    return this.#getJson<TransferFailure>(`${this.transferUrl(idOrUrl)}/failure`);
  }

  /** `POST /transfers/{id}` `{"status":"cancelled"}`. Resolves with the transfer as Dwolla returns it. */
  async cancelTransfer(idOrUrl: string): Promise<Transfer> {
    const req: HttpRequest = { method: 'POST', url: this.transferUrl(idOrUrl), body: { status: 'cancelled' } };
    return this.#json<Transfer>(await this.#call(req), req);
  }

  /** `GET /accounts/{id}/transfers` or `GET /customers/{id}/transfers`, one page. */
  async listTransfers(query: ListTransfersQuery = {}): Promise<TransferList> {
    if (query.accountId && query.customerId) {
      throw new DwollaUsageError('InvalidQuery', 'listTransfers takes accountId or customerId, not both');
    }
    const owner = query.customerId
      ? this.customerUrl(query.customerId)
      : query.accountId
        ? this.accountUrl(query.accountId)
        : (await this.getRoot()).accountUrl;
    const params = new URLSearchParams();
    if (query.correlationId !== undefined) {
      params.set('correlationId', query.correlationId);
    }
    if (query.limit !== undefined) {
      params.set('limit', String(query.limit));
    }
    if (query.offset !== undefined) {
      params.set('offset', String(query.offset));
    }
    const qs = params.toString();
    const list = await this.#getJson<TransferList>(`${owner}/transfers${qs ? `?${qs}` : ''}`);
    const transfers = list._embedded?.transfers;
    return { ...list, _embedded: { ...list._embedded, transfers: Array.isArray(transfers) ? transfers : [] } };
  }

  /** `GET /`: the application's account. Cached after the first success. */
  getRoot(): Promise<RootInfo> {
    if (!this.#root) {
      this.#root = this.#fetchRoot();
      this.#root.catch(() => {
        this.#root = undefined;
      });
    }
    return this.#root;
  }

  /** Release pooled keep-alive sockets. The client can still be used afterwards. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  // ------------------------------------------------------------------------------------------
  // Token

  /** A valid access token: the cached one, or a shared renewal. */
  async #accessToken(): Promise<string> {
    const t = this.#token;
    if (t && this.#now() < t.renewAt) {
      return t.value;
    }
    return this.#renew();
  }

  /** Start a renewal unless one is in flight; every caller shares the same one. */
  #renew(): Promise<string> {
    if (!this.#renewal) {
      const p = this.#fetchToken();
      this.#renewal = p;
      p.then(
        () => this.#clearRenewal(p),
        () => this.#clearRenewal(p),
      );
    }
    return this.#renewal;
  }

  #clearRenewal(p: Promise<string>): void {
    if (this.#renewal === p) {
      this.#renewal = undefined;
    }
  }

  /** After `rejected` got a 401: reuse a newer token if someone already renewed, else renew. */
  #renewAfterRejection(rejected: string): Promise<string> {
    if (this.#renewal) {
      return this.#renewal;
    }
    const t = this.#token;
    if (t && t.value !== rejected && this.#now() < t.renewAt) {
      return Promise.resolve(t.value);
    }
    if (t?.value === rejected) {
      this.#token = undefined;
    }
    return this.#renew();
  }

  async #fetchToken(): Promise<string> {
    const started = this.#now();
    const url = `${this.baseUrl}/token`;
    const request = 'POST /token';
    const answer = await this.#exchange(
      {
        method: 'POST',
        url,
        headers: {
          Authorization: `Basic ${this.#basic}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        data: 'grant_type=client_credentials',
      },
      request,
    );
    if (answer.status !== 200) {
      const err = parseTokenError(answer, { redact: this.#redact, now: this.#now() });
      this.#logger?.warn({ httpStatus: answer.status, code: err.code }, 'dwolla token request refused');
      throw err;
    }
    const body = parseJson(answer.body) as Partial<TokenResponse> | undefined;
    const token = body?.access_token;
    const expiresIn = Number(body?.expires_in);
    if (typeof token !== 'string' || token === '' || !(expiresIn > 0)) {
      throw new DwollaProtocolError({
        httpStatus: answer.status,
        message: 'token answer without access_token/expires_in',
        request,
      });
    }
    this.#remember(token);
    const lifetimeMs = expiresIn * 1000;
    this.#token = {
      value: token,
      renewAt: started + Math.max(lifetimeMs - RENEW_LEAD_MS, lifetimeMs / 2),
      expiresAt: started + lifetimeMs,
    };
    this.#logger?.info({ expiresInSec: expiresIn }, 'dwolla access token issued');
    return token;
  }

  #remember(token: string): void {
    this.#pastTokens.push(token);
    if (this.#pastTokens.length > REMEMBERED_TOKENS) {
      this.#pastTokens.shift();
    }
  }

  /** Replace every credential we know of (and any Bearer/Basic value) in text copied from outside. */
  #redact = (text: string): string => {
    let out = text;
    for (const s of [this.#secret, this.#basic, ...this.#pastTokens]) {
      if (s) {
        out = out.split(s).join('[REDACTED]');
      }
    }
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, '$1 [REDACTED]');
  };

  // ------------------------------------------------------------------------------------------
  // HTTP

  async #fetchRoot(): Promise<RootInfo> {
    const root = await this.#getJson<RootResource>(`${this.baseUrl}/`);
    const href = root._links?.account?.href;
    if (typeof href !== 'string' || href === '') {
      throw new DwollaProtocolError({ httpStatus: 200, message: 'GET / without _links.account', request: 'GET /' });
    }
    const accountId = lastSegment(href);
    if (!accountId) {
      throw new DwollaProtocolError({ httpStatus: 200, message: 'account link without an id', request: 'GET /' });
    }
    return { accountUrl: href, accountId };
  }

  async #getJson<T>(url: string): Promise<T> {
    const req: HttpRequest = { method: 'GET', url };
    return this.#json<T>(await this.#call(req), req);
  }

  #json<T>(answer: RawAnswer, req: HttpRequest): T {
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(answer, req);
    }
    const body = parseJson(answer.body);
    if (typeof body !== 'object' || body === null) {
      throw new DwollaProtocolError({
        httpStatus: answer.status,
        message: `HTTP ${answer.status} body is not a JSON object`,
        request: describe(req),
      });
    }
    return body as T;
  }

  #apiError(answer: RawAnswer, req: HttpRequest): DwollaError {
    return parseApiError(answer, { redact: this.#redact, now: this.#now(), request: describe(req) });
  }

  /** One API request with a bearer token; a rejected token is renewed once and the request repeated. */
  async #call(req: HttpRequest): Promise<RawAnswer> {
    const token = await this.#accessToken();
    const first = await this.#send(req, token);
    if (!isTokenRejection(first)) {
      return first;
    }
    this.#logger?.info(
      { request: describe(req), code: errorCode(first) },
      'dwolla rejected the access token; renewing',
    );
    const fresh = await this.#renewAfterRejection(token);
    // A second 401 is returned as is; the caller turns it into an error (one failed attempt).
    return this.#send(req, fresh);
  }

  #send(req: HttpRequest, token: string): Promise<RawAnswer> {
    const headers: Record<string, string> = {
      Accept: HAL_JSON,
      Authorization: `Bearer ${token}`,
    };
    if (req.body !== undefined) {
      headers['Content-Type'] = HAL_JSON;
    }
    if (req.idempotencyKey) {
      headers['Idempotency-Key'] = req.idempotencyKey;
    }
    return this.#exchange(
      {
        method: req.method,
        url: req.url,
        headers,
        ...(req.body !== undefined ? { data: JSON.stringify(req.body) } : {}),
      },
      describe(req),
    );
  }

  /**
   * One HTTP exchange. Resolves with whatever status came back; rejects only with a
   * DwollaNetworkError or DwollaTimeoutError (never an axios error).
   */
  async #exchange(
    config: { method: string; url: string; headers: Record<string, string>; data?: string },
    request: string,
  ): Promise<RawAnswer> {
    const started = Date.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const res = await this.#http.request<string>({
        ...config,
        headers: { ...config.headers, 'User-Agent': this.#userAgent },
        signal: controller.signal,
      });
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers ?? {})) {
        if (v !== undefined && v !== null) {
          headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
        }
      }
      const body = typeof res.data === 'string' ? res.data : res.data == null ? '' : String(res.data);
      this.#logger?.debug({ request, httpStatus: res.status, ms: Date.now() - started }, 'dwolla http');
      return { status: res.status, headers, body };
    } catch (e) {
      const err = this.#transportError(e, request, timedOut);
      this.#logger?.debug(
        { request, code: err.code, errno: (err as DwollaNetworkError).errno, ms: Date.now() - started },
        'dwolla http failed',
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turn whatever axios threw into a safe error: only a code and a scrubbed message survive. */
  #transportError(e: unknown, request: string, timedOut: boolean): DwollaError {
    const code = readString(e, 'code');
    const message = readString(e, 'message') ?? 'request failed';
    if (timedOut || code === 'ETIMEDOUT' || code === 'ECONNABORTED' || /timeout of \d+ms exceeded/.test(message)) {
      return new DwollaTimeoutError({ timeoutMs: this.timeoutMs, request });
    }
    return new DwollaNetworkError({ errno: code ?? 'UNKNOWN', message: this.#redact(message), request });
  }

  #resourceUrl(kind: ResourceKind, idOrUrl: string): string {
    const text = idOrUrl.trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        throw new DwollaUsageError('InvalidUrl', `not a URL: ${JSON.stringify(text)}`);
      }
      const bare = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
      // Never send the token outside the API the client was configured for.
      if (u.username || u.password || !bare.startsWith(`${this.baseUrl}/${kind}/`)) {
        throw new DwollaUsageError('ForeignUrl', `${u.origin}${u.pathname} is not a ${kind} URL under ${this.baseUrl}`);
      }
      const id = bare.slice(`${this.baseUrl}/${kind}/`.length);
      if (!/^[A-Za-z0-9-]+$/.test(id)) {
        throw new DwollaUsageError('InvalidUrl', `not a ${kind} URL: ${u.pathname}`);
      }
      return bare;
    }
    if (!/^[A-Za-z0-9-]+$/.test(text)) {
      throw new DwollaUsageError('InvalidId', `not a ${kind} id: ${JSON.stringify(text)}`);
    }
    return `${this.baseUrl}/${kind}/${text}`;
  }
}

// ---------------------------------------------------------------------------------------------

function describe(req: HttpRequest): string {
  try {
    return `${req.method} ${new URL(req.url).pathname}`;
  } catch {
    return req.method;
  }
}

function isTokenRejection(answer: RawAnswer): boolean {
  return answer.status === 401 && TOKEN_REJECTIONS.has(errorCode(answer) ?? '');
}

function errorCode(answer: RawAnswer): string | undefined {
  const body = parseJson(answer.body);
  if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
    return (body as { code: string }).code;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lastSegment(url: string): string | undefined {
  try {
    const path = new URL(url).pathname.replace(/\/+$/, '');
    const seg = path.slice(path.lastIndexOf('/') + 1);
    return seg ? decodeURIComponent(seg) : undefined;
  } catch {
    return undefined;
  }
}

function readString(e: unknown, field: string): string | undefined {
  if (typeof e !== 'object' || e === null) {
    return undefined;
  }
  const v = (e as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}
