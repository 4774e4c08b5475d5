/** Shared helpers of the simulator tests: real HTTP with Node's fetch against a simulator on a random port. */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CreateTransferRequest, HAL_JSON, SIMULATOR } from '../../src/dwolla/types.js';

export interface Reply {
  status: number;
  headers: Headers;
  /**
   * The answer as JSON.parse gives it (its text when it is not JSON, undefined when empty): the
   * tests read the fields they assert on, and the assertions check them.
   */
  body: ReturnType<typeof JSON.parse>;
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

export async function getToken(base: string): Promise<string> {
  const r = await call(`${base}/token`, {
    method: 'POST',
    headers: {
      Authorization: basic(SIMULATOR.key, SIMULATOR.secret),
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (r.status !== 200) {
    throw new Error(`token: ${r.status}`);
  }
  return r.body.access_token as string;
}

export function hal(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Authorization: `Bearer ${token}`, Accept: HAL_JSON, 'Content-Type': HAL_JSON, ...extra };
}

/** A Dwolla API session: a token and helpers for GET / POST. */
export class Session {
  private constructor(
    readonly base: string,
    private token: string,
  ) {}

  static async open(base: string): Promise<Session> {
    return new Session(base, await getToken(base));
  }

  /** A new token, e.g. after the simulated clock went past the old one's lifetime. */
  async renew(): Promise<void> {
    this.token = await getToken(this.base);
  }

  get(path: string): Promise<Reply> {
    return call(`${this.base}${path}`, { headers: hal(this.token) });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Reply> {
    return call(`${this.base}${path}`, {
      method: 'POST',
      headers: hal(this.token, headers),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  }

  createTransfer(body: unknown, idempotencyKey?: string): Promise<Reply> {
    return this.post('/transfers', body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {});
  }

  /** Creates a valid transfer (transferBody with these overrides) and returns its id; throws unless 201. */
  async created(overrides: Parameters<typeof transferBody>[1] = {}): Promise<string> {
    const r = await this.createTransfer(transferBody(this.base, overrides));
    if (r.status !== 201) {
      throw new Error(`POST /transfers answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return idOfLocation(r.headers.get('location'));
  }
}

export function fsUrl(base: string, id: string): string {
  return `${base}/funding-sources/${id}`;
}

/** A valid transfer body from `sourceId` (default: the account's balance) to a fresh payee bank. */
export function transferBody(
  base: string,
  overrides: Partial<CreateTransferRequest> & { sourceId?: string; destinationId?: string } = {},
): CreateTransferRequest {
  const { sourceId = SIMULATOR.defaultSourceId, destinationId = randomUUID(), ...rest } = overrides;
  return {
    _links: { source: { href: fsUrl(base, sourceId) }, destination: { href: fsUrl(base, destinationId) } },
    amount: { value: '10.00', currency: 'USD' },
    ...rest,
  };
}

export function idOfLocation(location: string | null): string {
  const id = location?.split('/transfers/')[1];
  if (!id) {
    throw new Error(`not a transfer Location: ${location}`);
  }
  return id;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Where Dwolla's OpenAPI spec is: $DWOLLA_OPENAPI, the repo's reference/ folder, or the shared one beside the repo. */
export function findOpenApiSpec(): string | undefined {
  const candidates = [
    process.env.DWOLLA_OPENAPI,
    resolve('reference/dwolla-openapi.yml'),
    resolve('../shared/reference/dwolla-openapi.yml'),
  ];
  return candidates.find((p): p is string => p !== undefined && existsSync(p));
}

export interface SpecErrorExample {
  code: string;
  message: string;
  embedded?: { code: string; message: string; path: string };
}

/** The `example:` values of an error schema in the spec's components (top-level code/message, then the embedded error's). */
export function specErrorExample(specText: string, schema: string): SpecErrorExample {
  const lines = specText.split('\n');
  const start = lines.indexOf(`    ${schema}:`);
  if (start < 0) {
    throw new Error(`schema ${schema} not in the spec`);
  }
  const end = lines.findIndex((l, i) => i > start && /^ {4}\S/.test(l));
  const examples = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .map((l) => /^\s*example:\s*(.*)$/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => v.replace(/^'(.*)'$/, '$1'));
  const [code = '', message = '', eCode, eMessage, ePath] = examples;
  return {
    code,
    message,
    ...(eCode !== undefined && eMessage !== undefined && ePath !== undefined
      ? { embedded: { code: eCode, message: eMessage, path: ePath } }
      : {}),
  };
}

/** Resolves once `condition` holds (polled every 5 ms); rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
