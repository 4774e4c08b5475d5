/**
 * Typed errors of the Dwolla client (src/dwolla/client.ts) and the parsers that turn a raw HTTP
 * answer into one of them. Pure: no I/O.
 *
 * Codes: one casing per family. A Dwolla error's `code` is what the results CSV's errorCode
 * column shows, so this family speaks Dwolla's own PascalCase (`ValidationError`,
 * `InsufficientFunds`, `ExpiredAccessToken`):
 * - a code Dwolla sent is copied as sent (the token endpoint alone answers in OAuth's words,
 *   e.g. `invalid_client`, and those are copied as sent too);
 * - a code made here is PascalCase: `NetworkError`, `Timeout`, `UnexpectedResponse`, a status
 *   that came without a code (`BadGateway`, `Http302`: see `statusCode`), an embedded error
 *   without one (`Unknown`), and DwollaConfigError's (`InvalidBaseUrl`, `ForeignUrl`…). These
 *   values are output: never change one.
 * The app-level families use UPPER_SNAKE instead: UsageError (src/input/usage-error.ts) and
 * BatchStateError (src/batch/errors.ts).
 *
 * Safety rule: an error object carries only fields copied on purpose (status, codes, messages,
 * a short redacted body excerpt). Never a request config, header map, socket or axios error, so
 * that `JSON.stringify(err)`, `util.inspect(err)` and `err.stack` cannot reveal the client secret,
 * an access token or an `Authorization` header. Text taken from a response goes through the
 * caller's `redact` first (a misbehaving proxy may echo the request back).
 */

import type { HttpResponse } from './transport.js';
import type { EmbeddedError } from './types.js';

/** What went wrong, broadly; the retry policy (src/dwolla/retry.ts) switches on this. */
export type DwollaErrorKind = 'api' | 'auth' | 'network' | 'timeout' | 'protocol' | 'config';

/** Dwolla's 401 codes that mean "this access token is no good, get another". */
const TOKEN_REJECTION_CODES: ReadonlySet<string> = new Set(['ExpiredAccessToken', 'InvalidAccessToken']);

/** Did an API call fail only because of its access token (a new token would do)? */
export function isTokenRejection(httpStatus: number | undefined, code: string | undefined): boolean {
  return httpStatus === 401 && code !== undefined && TOKEN_REJECTION_CODES.has(code);
}

/** One entry of `_embedded.errors`, reduced to the fields worth reporting. */
export interface DwollaEmbeddedError {
  code: string;
  message: string;
  path?: string;
}

/** Longest text copied from a response body into an error (characters). */
const MAX_BODY_EXCERPT = 300;
/** Longest `summary()` (characters); the results CSV gets one line of at most this. */
const MAX_SUMMARY = 1000;

/** Base class of everything the Dwolla client throws. */
export abstract class DwollaError extends Error {
  abstract readonly kind: DwollaErrorKind;
  /** Stable, machine-readable code (Dwolla's own code when it sent one). */
  abstract readonly code: string;
  /** HTTP status when an answer arrived, else undefined. */
  declare readonly httpStatus?: number;
  /** Server-requested wait before another try (from `Retry-After`), when it sent one. */
  declare readonly retryAfterMs?: number;

  constructor(message: string) {
    super(oneLine(message));
  }

  /** One line for a results CSV or a log: `Code: message [details]`. */
  summary(): string {
    return clip(oneLine(`${this.code}: ${this.message}`), MAX_SUMMARY);
  }

  /** What `JSON.stringify(err)` gives: the safe fields only, message included. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, kind: this.kind, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) {
      if (v !== undefined) {
        out[k] = v;
      }
    }
    return out;
  }
}

/** Dwolla (or something in front of it) answered with a non-success status. */
export class DwollaApiError extends DwollaError {
  readonly kind = 'api' as const;
  override readonly httpStatus: number;
  readonly code: string;
  readonly embedded: DwollaEmbeddedError[];
  declare readonly retryAfterMs?: number;
  /** The start of a body that was not a Dwolla error document (HTML from a proxy, text…). */
  declare readonly bodyExcerpt?: string;
  /** Request that failed, e.g. `POST /transfers` (path only, no query, no host). */
  declare readonly request?: string;

  constructor(init: {
    httpStatus: number;
    code: string;
    message: string;
    embedded?: DwollaEmbeddedError[];
    retryAfterMs?: number;
    bodyExcerpt?: string;
    request?: string;
  }) {
    super(init.message);
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.embedded = init.embedded ?? [];
    if (init.retryAfterMs !== undefined) {
      this.retryAfterMs = init.retryAfterMs;
    }
    if (init.bodyExcerpt !== undefined) {
      this.bodyExcerpt = init.bodyExcerpt;
    }
    if (init.request !== undefined) {
      this.request = init.request;
    }
  }

  override summary(): string {
    return clip(oneLine(`${this.code}: ${this.message}${formatEmbedded(this.embedded)}`), MAX_SUMMARY);
  }
}

/**
 * `POST /token` refused to issue a token (bad key/secret, disabled application, or a server
 * error on the token endpoint). `code` is the OAuth `error` (e.g. `invalid_client`) or Dwolla's.
 */
export class DwollaAuthError extends DwollaError {
  readonly kind = 'auth' as const;
  override readonly httpStatus: number;
  readonly code: string;
  declare readonly retryAfterMs?: number;
  declare readonly bodyExcerpt?: string;

  constructor(init: {
    httpStatus: number;
    code: string;
    message: string;
    retryAfterMs?: number;
    bodyExcerpt?: string;
  }) {
    super(init.message);
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    if (init.retryAfterMs !== undefined) {
      this.retryAfterMs = init.retryAfterMs;
    }
    if (init.bodyExcerpt !== undefined) {
      this.bodyExcerpt = init.bodyExcerpt;
    }
  }
}

/**
 * No HTTP answer: connection refused or reset, DNS failure, socket hang up… The request may or
 * may not have reached Dwolla; a create must be retried with the same idempotency key.
 */
export class DwollaNetworkError extends DwollaError {
  readonly kind = 'network' as const;
  readonly code = 'NetworkError';
  /** The system or library code, e.g. `ECONNRESET`, `ECONNREFUSED`, `ENOTFOUND`. */
  readonly errno: string;
  declare readonly request?: string;

  constructor(init: { errno: string; message: string; request?: string }) {
    super(init.message);
    this.errno = init.errno;
    if (init.request !== undefined) {
      this.request = init.request;
    }
  }

  override summary(): string {
    return clip(
      oneLine(`${this.code}: ${this.errno === 'UNKNOWN' ? '' : `${this.errno} `}${this.message}`),
      MAX_SUMMARY,
    );
  }
}

/** No complete answer within the client's per-request limit. Outcome unknown, like a network error. */
export class DwollaTimeoutError extends DwollaError {
  readonly kind = 'timeout' as const;
  readonly code = 'Timeout';
  readonly timeoutMs: number;
  declare readonly request?: string;

  constructor(init: { timeoutMs: number; request?: string }) {
    super(`no answer within ${init.timeoutMs} ms${init.request ? ` (${init.request})` : ''}`);
    this.timeoutMs = init.timeoutMs;
    if (init.request !== undefined) {
      this.request = init.request;
    }
  }
}

/**
 * A success status with an answer that breaks the contract (201 without `Location`, a 200 body
 * that is not JSON, a token answer without `access_token`). Safe to try again: creates carry
 * their idempotency key.
 */
export class DwollaProtocolError extends DwollaError {
  readonly kind = 'protocol' as const;
  readonly code = 'UnexpectedResponse';
  override readonly httpStatus: number;
  declare readonly request?: string;

  constructor(init: { httpStatus: number; message: string; request?: string }) {
    super(init.message);
    this.httpStatus = init.httpStatus;
    if (init.request !== undefined) {
      this.request = init.request;
    }
  }
}

type DwollaConfigErrorCode =
  | 'InvalidBaseUrl'
  | 'MissingCredentials'
  | 'InvalidTimeout'
  | 'MissingIdempotencyKey'
  | 'InvalidQuery'
  | 'InvalidUrl'
  | 'ForeignUrl'
  | 'InvalidId';

/**
 * The client was set up or called wrongly, so it refused before sending anything: a base URL or
 * credentials it cannot use, an id that is not one, a URL outside the configured API. A
 * programmer or configuration error; never worth another try.
 */
export class DwollaConfigError extends DwollaError {
  readonly kind = 'config' as const;
  readonly code: DwollaConfigErrorCode;

  constructor(code: DwollaConfigErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

// `name` lives on each prototype (not an own enumerable field) and is in place before the stack
// is captured, so stacks read `DwollaApiError: …`.
for (const cls of [
  DwollaError,
  DwollaApiError,
  DwollaAuthError,
  DwollaNetworkError,
  DwollaTimeoutError,
  DwollaProtocolError,
  DwollaConfigError,
]) {
  Object.defineProperty(cls.prototype, 'name', {
    value: cls.name,
    enumerable: false,
    configurable: true,
    writable: true,
  });
}

/** A one-line description of anything thrown, for a results CSV or a log. */
export function errorSummary(e: unknown): string {
  if (e instanceof DwollaError) {
    return e.summary();
  }
  if (e instanceof Error) {
    return clip(oneLine(`${e.name}: ${e.message}`), MAX_SUMMARY);
  }
  return clip(oneLine(String(e)), MAX_SUMMARY);
}

// ---------------------------------------------------------------------------------------------
// Parsing raw answers

export interface ParseOptions {
  /** Applied to every text copied out of the body. */
  redact?: (text: string) => string;
  /** Clock for an HTTP-date `Retry-After` (ms since epoch). */
  now?: number;
  /** E.g. `POST /transfers`. */
  request?: string;
}

/** Parse an error answer of an API call (anything but `/token`) into a DwollaApiError. */
export function parseApiError(answer: HttpResponse, opts: ParseOptions = {}): DwollaApiError {
  const redact = opts.redact ?? identity;
  const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], opts.now ?? Date.now());
  const json = parseJsonObject(answer.body);
  const base = {
    httpStatus: answer.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(opts.request !== undefined ? { request: opts.request } : {}),
  };

  if (json) {
    const code = stringField(json, 'code') ?? stringField(json, 'error');
    const message = stringField(json, 'message') ?? stringField(json, 'error_description');
    if (code || message) {
      return new DwollaApiError({
        ...base,
        code: redact(code ?? statusCode(answer.status)),
        message: redact(message ?? statusText(answer.status)),
        embedded: parseEmbedded(json, redact),
      });
    }
  }
  return new DwollaApiError({
    ...base,
    code: statusCode(answer.status),
    message: describeBody(answer),
    ...bodyExcerptField(answer.body, redact),
  });
}

/**
 * Parse an error answer of `POST /token`: OAuth's `{error, error_description}`, Dwolla's
 * `{code, message}`, or anything else.
 */
export function parseTokenError(answer: HttpResponse, opts: ParseOptions = {}): DwollaAuthError {
  const redact = opts.redact ?? identity;
  const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], opts.now ?? Date.now());
  const json = parseJsonObject(answer.body);
  const base = { httpStatus: answer.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (json) {
    const code = stringField(json, 'error') ?? stringField(json, 'code');
    const message = stringField(json, 'error_description') ?? stringField(json, 'message');
    if (code || message) {
      return new DwollaAuthError({
        ...base,
        code: redact(code ?? statusCode(answer.status)),
        message: redact(`token request refused: ${message ?? statusText(answer.status)}`),
      });
    }
  }
  return new DwollaAuthError({
    ...base,
    code: statusCode(answer.status),
    message: `token request refused: ${describeBody(answer)}`,
    ...bodyExcerptField(answer.body, redact),
  });
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds (`120`) or an HTTP date. A date in the
 * past gives 0; anything unreadable gives undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const v = value.trim();
  if (v === '') {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(v)) {
    return Math.round(Number(v) * 1000);
  }
  // HTTP dates always name a weekday or month; refuse bare numbers with signs and the like.
  if (!/[A-Za-z]/.test(v)) {
    return undefined;
  }
  const at = Date.parse(v);
  if (Number.isNaN(at)) {
    return undefined;
  }
  return Math.max(0, at - now);
}

/** `Code: message [Sub /path: msg; …]` pieces for embedded errors. */
function formatEmbedded(embedded: DwollaEmbeddedError[]): string {
  if (embedded.length === 0) {
    return '';
  }
  const parts = embedded.map((e) => `${e.code}${e.path ? ` ${e.path}` : ''}: ${e.message}`);
  return ` [${parts.join('; ')}]`;
}

function parseEmbedded(json: Record<string, unknown>, redact: (s: string) => string): DwollaEmbeddedError[] {
  const embedded = json._embedded;
  if (!isObject(embedded)) {
    return [];
  }
  const errors = embedded.errors;
  if (!Array.isArray(errors)) {
    return [];
  }
  const out: DwollaEmbeddedError[] = [];
  for (const raw of errors as unknown[]) {
    if (!isObject(raw)) {
      continue;
    }
    const e = raw as Partial<Record<keyof EmbeddedError, unknown>>;
    const item: DwollaEmbeddedError = {
      code: redact(typeof e.code === 'string' ? e.code : 'Unknown'),
      message: redact(typeof e.message === 'string' ? e.message : ''),
    };
    if (typeof e.path === 'string' && e.path !== '') {
      item.path = redact(e.path);
    }
    out.push(item);
  }
  return out;
}

function describeBody(answer: HttpResponse): string {
  const type = (answer.headers['content-type'] ?? '').split(';')[0]!.trim();
  const status = `HTTP ${answer.status} ${statusText(answer.status)}`;
  if (answer.body.trim() === '') {
    return `${status} (empty body)`;
  }
  return `${status} (${type || 'unknown'} body, not a Dwolla error document)`;
}

function bodyExcerptField(body: string, redact: (s: string) => string): { bodyExcerpt?: string } {
  const text = oneLine(stripTags(body));
  if (text === '') {
    return {};
  }
  return { bodyExcerpt: clip(redact(text), MAX_BODY_EXCERPT) };
}

function stripTags(s: string): string {
  // Long enough bodies are cut first so that the regex work stays bounded.
  return s
    .slice(0, 20_000)
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ');
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(body);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringField(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

const STATUS_CODES: Record<number, [code: string, text: string]> = {
  400: ['BadRequest', 'Bad Request'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  404: ['NotFound', 'Not Found'],
  405: ['MethodNotAllowed', 'Method Not Allowed'],
  406: ['NotAcceptable', 'Not Acceptable'],
  408: ['RequestTimeout', 'Request Timeout'],
  409: ['Conflict', 'Conflict'],
  413: ['PayloadTooLarge', 'Payload Too Large'],
  415: ['UnsupportedMediaType', 'Unsupported Media Type'],
  422: ['UnprocessableEntity', 'Unprocessable Entity'],
  429: ['TooManyRequests', 'Too Many Requests'],
  500: ['ServerError', 'Internal Server Error'],
  502: ['BadGateway', 'Bad Gateway'],
  503: ['ServiceUnavailable', 'Service Unavailable'],
  504: ['GatewayTimeout', 'Gateway Timeout'],
};

/** Dwolla-style code for a status that came without a Dwolla code, e.g. 502 → `BadGateway`. */
export function statusCode(status: number): string {
  return STATUS_CODES[status]?.[0] ?? `Http${status}`;
}

function statusText(status: number): string {
  return STATUS_CODES[status]?.[1] ?? 'Error';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function identity(s: string): string {
  return s;
}
