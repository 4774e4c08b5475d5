/**
 * Dwolla API client: OAuth client-credentials token handling and the handful of calls payouts
 * makes. Every method is ONE attempt at the HTTP level, apart from the token: a missing or stale
 * token is fetched first, and a 401 `ExpiredAccessToken`/`InvalidAccessToken` renews it and
 * repeats the request once. Retrying failures is the caller's job (src/dwolla/retry.ts).
 *
 * Requests go through a Transport (src/dwolla/transport.ts): node:http by default (axios when an
 * HTTP(S)_PROXY from the environment may apply), a scripted function in tests. Nothing the
 * transport throws leaves the client: every failure becomes one of the typed errors of
 * src/dwolla/errors.ts, built from fields copied on purpose, so no request config, header or
 * credential can ride along. The key's secret, access tokens and
 * `Authorization` values are kept in private (#) fields and scrubbed from any response text
 * copied into an error or a log line.
 */

import {
  DwollaConfigError,
  type DwollaError,
  DwollaNetworkError,
  DwollaProtocolError,
  DwollaTimeoutError,
  isTokenRejection,
  parseApiError,
  parseTokenError,
} from './errors.js';
import { defaultTransport, type HttpRequest, type HttpResponse, noAnswerReason, type Transport } from './transport.js';
import type {
  CreateMassPaymentRequest,
  MassPayment,
  MassPaymentItemList,
  MassPaymentItemStatus,
  MassPaymentList,
} from './types.js';
import {
  type CreateTransferRequest,
  type Customer,
  type CustomerList,
  type FundingSource,
  type FundingSourceBalance,
  type FundingSourceList,
  HAL_JSON,
  type HalLinks,
  type RootResource,
  type TokenResponse,
  type Transfer,
  type TransferFailure,
  type TransferList,
} from './types.js';

/** The subset of a pino logger the client uses. */
export interface DwollaClientLogger {
  /** pino's: when it says debug is off, the client builds no debug line per request. */
  isLevelEnabled?(level: string): boolean;
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
  /** How requests reach the API. Default: a new `defaultTransport()` (transport.ts), released by `close()`. */
  transport?: Transport;
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

/**
 * `GET /transfers/{id}/fees` (OpenAPI listTransferFees): the facilitator fees of a transfer, each
 * its own transfer with an id and a status.
 */
export interface TransferFeeList {
  _links: HalLinks;
  transactions: Transfer[];
  total: number;
}

export interface RootInfo {
  accountUrl: string;
  accountId: string;
}

/** `POST /mass-payments` answered 201. */
export interface CreatedMassPayment {
  /** The `Location` header: the mass payment's URL. */
  url: string;
  /** Last path segment of `url`. */
  id: string;
  /** 201 normally (also for a replayed idempotency key). */
  httpStatus: number;
}

/** `GET /mass-payments/{id}/items` (OpenAPI listMassPaymentItems): items with any of these statuses, one page. */
export interface ListMassPaymentItemsQuery {
  status?: MassPaymentItemStatus | readonly MassPaymentItemStatus[];
  limit?: number;
  offset?: number;
}

/** `GET /accounts/{id}/mass-payments` (OpenAPI listMassPayments) of the application's account, one page. */
export interface ListMassPaymentsQuery {
  /** A customer's mass payments (`GET /customers/{id}/mass-payments`); default: the account's. */
  customerId?: string;
  correlationId?: string;
  limit?: number;
  offset?: number;
}

type ResourceKind = 'funding-sources' | 'transfers' | 'accounts' | 'customers' | 'mass-payments';

/** Renew this long before expiry, or at half the lifetime when that comes later. */
const RENEW_LEAD_MS = 60_000;
/** How many past access tokens are remembered for scrubbing. */
const REMEMBERED_TOKENS = 4;

interface CachedToken {
  value: string;
  renewAt: number;
  expiresAt: number;
}

/** An API call before the client adds its headers. */
interface ApiRequest {
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
  readonly #transport: Transport;
  /** Releases the default transport's sockets; undefined for a transport given in the options. */
  readonly #closeTransport: (() => void) | undefined;
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
      throw new DwollaConfigError('InvalidBaseUrl', `not a URL: ${JSON.stringify(opts.baseUrl)}`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new DwollaConfigError('InvalidBaseUrl', `base URL must be http(s): ${base.protocol}`);
    }
    if (base.username || base.password) {
      throw new DwollaConfigError('InvalidBaseUrl', 'base URL must not contain credentials');
    }
    if (!opts.key || !opts.secret) {
      throw new DwollaConfigError('MissingCredentials', 'key and secret are required');
    }
    if (!(opts.timeoutMs > 0)) {
      throw new DwollaConfigError('InvalidTimeout', `timeoutMs must be positive: ${opts.timeoutMs}`);
    }

    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.timeoutMs = opts.timeoutMs;
    this.#secret = opts.secret;
    this.#basic = Buffer.from(`${opts.key}:${opts.secret}`, 'utf8').toString('base64');
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    this.#userAgent = opts.userAgent ?? 'payouts';
    if (opts.transport) {
      this.#transport = opts.transport;
      this.#closeTransport = undefined;
    } else {
      const transport = defaultTransport();
      this.#transport = transport;
      this.#closeTransport = transport.close;
    }
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
      throw new DwollaConfigError('MissingIdempotencyKey', 'createTransfer needs an idempotency key');
    }
    const req: ApiRequest = { method: 'POST', url: `${this.baseUrl}/transfers`, body, idempotencyKey };
    const answer = await this.#call(req);
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(answer, req);
    }
    const raw = answer.headers.location;
    const known = raw === undefined ? undefined : this.#transferLocation(raw);
    if (known) {
      return { ...known, httpStatus: answer.status };
    }
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

  /**
   * `GET /customers?email=` (OpenAPI listAndSearchCustomers; Dwolla's `email` filter is an exact
   * match, unlike its fuzzy `search`): the customers with this email, first page (25: an email is
   * rarely shared). `_embedded.customers` is always an array.
   */
  async findCustomersByEmail(email: string): Promise<Customer[]> {
    const list = await this.#getJson<CustomerList>(`${this.baseUrl}/customers?${new URLSearchParams({ email })}`);
    const customers = list._embedded?.customers;
    return Array.isArray(customers) ? customers : [];
  }

  /**
   * `GET /customers/{id}/funding-sources` (OpenAPI listCustomerFundingSources): the customer's
   * funding sources; `removed: false` leaves the removed ones out (Dwolla's default lists them).
   * `_embedded['funding-sources']` is always an array.
   */
  async listCustomerFundingSources(
    customerIdOrUrl: string,
    opts: { removed?: boolean } = {},
  ): Promise<FundingSource[]> {
    const query = opts.removed === undefined ? '' : `?removed=${String(opts.removed)}`;
    const list = await this.#getJson<FundingSourceList>(`${this.customerUrl(customerIdOrUrl)}/funding-sources${query}`);
    const sources = list._embedded?.['funding-sources'];
    return Array.isArray(sources) ? sources : [];
  }

  /** `GET /funding-sources/{id}/balance`: what a balance funding source holds. */
  async getBalance(idOrUrl: string): Promise<FundingSourceBalance> {
    return this.#getJson<FundingSourceBalance>(`${this.fundingSourceUrl(idOrUrl)}/balance`);
  }

  /** `GET /transfers/{id}`. */
  async getTransfer(idOrUrl: string): Promise<Transfer> {
    return this.#getJson<Transfer>(this.transferUrl(idOrUrl));
  }

  /** `GET /transfers/{id}/failure` (404 when the transfer has no failure). */
  async getTransferFailure(idOrUrl: string): Promise<TransferFailure> {
    return this.#getJson<TransferFailure>(`${this.transferUrl(idOrUrl)}/failure`);
  }

  /** `GET /transfers/{id}/fees` (OpenAPI listTransferFees): the transfer's fee transfers; `transactions` is always an array. */
  async listTransferFees(idOrUrl: string): Promise<TransferFeeList> {
    const list = await this.#getJson<TransferFeeList>(`${this.transferUrl(idOrUrl)}/fees`);
    const transactions = Array.isArray(list.transactions) ? list.transactions : [];
    return { ...list, transactions, total: typeof list.total === 'number' ? list.total : transactions.length };
  }

  /** `POST /transfers/{id}` `{"status":"cancelled"}`. Resolves with the transfer as Dwolla returns it. */
  async cancelTransfer(idOrUrl: string): Promise<Transfer> {
    const req: ApiRequest = { method: 'POST', url: this.transferUrl(idOrUrl), body: { status: 'cancelled' } };
    return this.#json<Transfer>(await this.#call(req), req);
  }

  /** `GET /accounts/{id}/transfers` or `GET /customers/{id}/transfers`, one page. */
  async listTransfers(query: ListTransfersQuery = {}): Promise<TransferList> {
    if (query.accountId && query.customerId) {
      throw new DwollaConfigError('InvalidQuery', 'listTransfers takes accountId or customerId, not both');
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
    if (this.#root === undefined) {
      this.#root = this.#fetchRoot();
      this.#root.catch(() => {
        this.#root = undefined;
      });
    }
    return this.#root;
  }

  /** Release pooled keep-alive sockets (of the default transport). The client can still be used afterwards. */
  close(): void {
    this.#closeTransport?.();
  }

  // ------------------------------------------------------------------------------------------
  // Mass Payments (OpenAPI initiateMassPayment, getMassPayment, updateMassPayment,
  // listMassPaymentItems, listMassPayments). One attempt each, like every call: retries are the
  // caller's (retry.ts), with the same Idempotency-Key for createMassPayment.

  /** `{baseUrl}/mass-payments/{id}`; a URL under baseUrl is returned normalised. */
  massPaymentUrl(idOrUrl: string): string {
    return this.#resourceUrl('mass-payments', idOrUrl);
  }

  /** `POST /mass-payments` with `Idempotency-Key`. Resolves on 201 with the `Location`. */
  async createMassPayment(body: CreateMassPaymentRequest, idempotencyKey: string): Promise<CreatedMassPayment> {
    if (!idempotencyKey) {
      throw new DwollaConfigError('MissingIdempotencyKey', 'createMassPayment needs an idempotency key');
    }
    const req: ApiRequest = { method: 'POST', url: `${this.baseUrl}/mass-payments`, body, idempotencyKey };
    const answer = await this.#call(req);
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(answer, req);
    }
    const { location, id } = this.#locationOf(answer, req);
    return { url: location, id, httpStatus: answer.status };
  }

  /** `GET /mass-payments/{id}`: its status (`deferred`, `pending`, `processing`, `complete`, `cancelled`) and total. */
  async getMassPayment(idOrUrl: string): Promise<MassPayment> {
    return this.#getJson<MassPayment>(this.massPaymentUrl(idOrUrl));
  }

  /** `POST /mass-payments/{id}` `{"status": …}`: releases (`pending`) or cancels a deferred mass payment. */
  async updateMassPayment(idOrUrl: string, status: 'pending' | 'cancelled'): Promise<MassPayment> {
    const req: ApiRequest = { method: 'POST', url: this.massPaymentUrl(idOrUrl), body: { status } };
    return this.#json<MassPayment>(await this.#call(req), req);
  }

  /** `GET /mass-payments/{id}/items`, one page; `_embedded.items` is always an array. */
  async listMassPaymentItems(idOrUrl: string, query: ListMassPaymentItemsQuery = {}): Promise<MassPaymentItemList> {
    const statuses = query.status === undefined ? [] : [query.status].flat();
    const qs = queryString([...statuses.map((s): [string, unknown] => ['status', s]), ...pagingOf(query)]);
    const list = await this.#getJson<MassPaymentItemList>(`${this.massPaymentUrl(idOrUrl)}/items${qs}`);
    const items = list._embedded?.items;
    return { ...list, _embedded: { ...list._embedded, items: Array.isArray(items) ? items : [] } };
  }

  /**
   * `GET /accounts/{id}/mass-payments` of the application's account (OpenAPI listMassPayments), or
   * `GET /customers/{id}/mass-payments` of a customer, newest first, one page;
   * `_embedded['mass-payments']` is always an array.
   */
  async listMassPayments(query: ListMassPaymentsQuery = {}): Promise<MassPaymentList> {
    const owner = query.customerId ? this.customerUrl(query.customerId) : (await this.getRoot()).accountUrl;
    const qs = queryString([['correlationId', query.correlationId], ...pagingOf(query)]);
    const list = await this.#getJson<MassPaymentList>(`${owner}/mass-payments${qs}`);
    const found = list._embedded?.['mass-payments'];
    return { ...list, _embedded: { ...list._embedded, 'mass-payments': Array.isArray(found) ? found : [] } };
  }

  /** The `Location` of a 201 and its last segment; a DwollaProtocolError when it is missing or unreadable. */
  #locationOf(answer: HttpResponse, req: ApiRequest): { location: string; id: string } {
    const fail = (message: string) =>
      new DwollaProtocolError({ httpStatus: answer.status, message, request: describe(req) });
    const raw = answer.headers.location;
    if (!raw) {
      throw fail(`HTTP ${answer.status} without a Location header`);
    }
    let location: string;
    try {
      location = new URL(raw, `${this.baseUrl}/`).toString();
    } catch {
      throw fail('unreadable Location header');
    }
    const id = lastSegment(location);
    if (!id) {
      throw fail(`Location without an id: ${location}`);
    }
    return { location, id };
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
    if (this.#renewal === undefined) {
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
    if (this.#renewal !== undefined) {
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
        body: 'grant_type=client_credentials',
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
    const req: ApiRequest = { method: 'GET', url };
    return this.#json<T>(await this.#call(req), req);
  }

  #json<T>(answer: HttpResponse, req: ApiRequest): T {
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

  #apiError(answer: HttpResponse, req: ApiRequest): DwollaError {
    return parseApiError(answer, { redact: this.#redact, now: this.#now(), request: describe(req) });
  }

  /** One API request with a bearer token; a rejected token is renewed once and the request repeated. */
  async #call(req: ApiRequest): Promise<HttpResponse> {
    const token = await this.#accessToken();
    const first = await this.#send(req, token);
    // Only a 401's body is read here (most answers are not one: no parse of every body).
    if (first.status !== 401 || !isTokenRejection(first.status, errorCode(first))) {
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

  #send(req: ApiRequest, token: string): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      Accept: HAL_JSON,
      Authorization: `Bearer ${token}`,
      'User-Agent': this.#userAgent,
    };
    if (req.body !== undefined) {
      headers['Content-Type'] = HAL_JSON;
    }
    if (req.idempotencyKey) {
      headers['Idempotency-Key'] = req.idempotencyKey;
    }
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    return this.#exchange({ method: req.method, url: req.url, headers, body }, req);
  }

  /**
   * A `Location` that is `{baseUrl}/transfers/{id}` as this client writes such URLs, read without
   * parsing it (the answer to every POST /transfers); undefined for any other, read the long way.
   */
  #transferLocation(raw: string): { location: string; id: string } | undefined {
    const prefix = `${this.baseUrl}/transfers/`;
    if (!raw.startsWith(prefix)) {
      return undefined;
    }
    const id = raw.slice(prefix.length);
    return /^[A-Za-z0-9-]+$/.test(id) ? { location: raw, id } : undefined;
  }

  /**
   * One HTTP exchange through the transport, under the client's timeout. Resolves with whatever
   * status came back; rejects only with a DwollaNetworkError or DwollaTimeoutError.
   */
  async #exchange(req: Omit<HttpRequest, 'timeoutMs'>, api: string | ApiRequest): Promise<HttpResponse> {
    const started = Date.now();
    const headers = 'User-Agent' in req.headers ? req.headers : { ...req.headers, 'User-Agent': this.#userAgent };
    const http: HttpRequest = { method: req.method, url: req.url, headers, timeoutMs: this.timeoutMs };
    if (req.body !== undefined) {
      http.body = req.body;
    }
    let answer: HttpResponse;
    try {
      answer = await this.#transport(http);
    } catch (e) {
      const request = typeof api === 'string' ? api : describe(api);
      const err = this.#noAnswerError(e, request);
      this.#logger?.debug(
        {
          request,
          code: err.code,
          errno: err instanceof DwollaNetworkError ? err.errno : undefined,
          ms: Date.now() - started,
        },
        'dwolla http failed',
      );
      throw err;
    }
    if (this.#logger && (this.#logger.isLevelEnabled?.('debug') ?? true)) {
      const request = typeof api === 'string' ? api : describe(api);
      this.#logger.debug({ request, httpStatus: answer.status, ms: Date.now() - started }, 'dwolla http');
    }
    return answer;
  }

  /** Turn whatever the transport threw into a safe error: only a code and a scrubbed message survive. */
  #noAnswerError(e: unknown, request: string): DwollaError {
    const why = noAnswerReason(e);
    if (why.kind === 'timeout') {
      return new DwollaTimeoutError({ timeoutMs: this.timeoutMs, request });
    }
    return new DwollaNetworkError({ errno: why.errno, message: this.#redact(why.message), request });
  }

  #resourceUrl(kind: ResourceKind, idOrUrl: string): string {
    const text = idOrUrl.trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        throw new DwollaConfigError('InvalidUrl', `not a URL: ${JSON.stringify(text)}`);
      }
      const bare = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
      // Never send the token outside the API the client was configured for.
      if (u.username || u.password || !bare.startsWith(`${this.baseUrl}/${kind}/`)) {
        throw new DwollaConfigError(
          'ForeignUrl',
          `${u.origin}${u.pathname} is not a ${kind} URL under ${this.baseUrl}`,
        );
      }
      const id = bare.slice(`${this.baseUrl}/${kind}/`.length);
      if (!/^[A-Za-z0-9-]+$/.test(id)) {
        throw new DwollaConfigError('InvalidUrl', `not a ${kind} URL: ${u.pathname}`);
      }
      return bare;
    }
    if (!/^[A-Za-z0-9-]+$/.test(text)) {
      throw new DwollaConfigError('InvalidId', `not a ${kind} id: ${JSON.stringify(text)}`);
    }
    return `${this.baseUrl}/${kind}/${text}`;
  }
}

// ---------------------------------------------------------------------------------------------

function describe(req: ApiRequest): string {
  try {
    return `${req.method} ${new URL(req.url).pathname}`;
  } catch {
    return req.method;
  }
}

function errorCode(answer: HttpResponse): string | undefined {
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

/** limit and offset of a list query, when given. */
function pagingOf(query: { limit?: number; offset?: number }): Array<[string, unknown]> {
  return [
    ['limit', query.limit],
    ['offset', query.offset],
  ];
}

/** `?a=1&b=2` of the given parameters (repeatable; undefined ones left out), or '' when none is. */
function queryString(params: ReadonlyArray<[string, unknown]>): string {
  const q = new URLSearchParams();
  for (const [name, value] of params) {
    if (value !== undefined) {
      q.append(name, String(value));
    }
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
