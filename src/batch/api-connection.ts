/**
 * The API a command talks to: a real or standalone one (credentials from the environment), or
 * the embedded simulator, started in this process on a random 127.0.0.1 port.
 */
import type { Logger } from 'pino';
import { DwollaClient } from '../dwolla/client.js';
import { DwollaAuthError } from '../dwolla/errors.js';
import { callFailure, DwollaCallFailedError, withRetries } from '../dwolla/retry.js';
import { SIMULATOR } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import { requireKnownAccount } from './batch-place.js';
import type { RunSettings } from './settings.js';
import { type ApiIdentity, apiIdentity, readLastAccount, writeLastAccount } from './state-dir.js';

interface ApiEndpoint {
  baseUrl: string;
  key: string;
  secret: string;
  close: () => Promise<void>;
}

/** A client of the API a command talks to; close() ends it (and the embedded simulator). */
interface ApiSession {
  client: DwollaClient;
  close: () => Promise<void>;
}

/** Opens the API of the settings (starting the embedded simulator when none is named) and a client of it. */
async function connectApi(
  s: Pick<RunSettings, 'apiUrl' | 'credentials' | 'timeoutMs' | 'simulatorBalance'>,
  deps: { say: (line: string) => void; log: Logger },
): Promise<ApiSession> {
  const api = await openApi(s, deps.say);
  const client = new DwollaClient({
    baseUrl: api.baseUrl,
    key: api.key,
    secret: api.secret,
    timeoutMs: s.timeoutMs,
    logger: deps.log,
  });
  return {
    client,
    close: async () => {
      client.close();
      await api.close();
    },
  };
}

/** The API a run talks to: a real or standalone one, or the embedded simulator started here. */
async function openApi(
  s: Pick<RunSettings, 'apiUrl' | 'credentials' | 'simulatorBalance'>,
  say: (line: string) => void,
): Promise<ApiEndpoint> {
  if (s.apiUrl !== undefined) {
    if (!s.credentials) {
      throw new UsageError('USAGE', `DWOLLA_KEY and DWOLLA_SECRET must be set in the environment to use ${s.apiUrl}`);
    }
    return { baseUrl: s.apiUrl, ...s.credentials, close: async () => undefined };
  }
  const { startSimulator } = await import('../simulator/index.js');
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', balance: s.simulatorBalance });
  say(
    `Using the embedded Dwolla simulator at ${sim.url}: a rehearsal, no money moves. Use --env sandbox or --api-url for a real API.`,
  );
  return { baseUrl: sim.url, key: SIMULATOR.key, secret: SIMULATOR.secret, close: () => sim.close() };
}

/** The API account a run works in, and a client of the API opened when first needed. */
export interface ApiAccess {
  accountId: string;
  /** The client; opening it needs credentials (a usage error without them) except for the embedded simulator. */
  session(): Promise<ApiSession>;
  close(): Promise<void>;
}

interface AccessDeps {
  say: (line: string) => void;
  log: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Gives up asking: the client is closed (a request under way fails at once), no attempt follows,
   * and the promise rejects without a warning or a fallback account. A run asks while it plans the
   * file, and gives up when the plan fails.
   */
  signal?: AbortSignal;
}

/**
 * The account of the run's API: the embedded simulator's own; else `GET /` when credentials are
 * set (and recorded as the account this API answered last); else the account it answered last,
 * so that a batch with nothing left to send reports without credentials.
 */
export async function accessApi(
  s: Pick<RunSettings, 'apiUrl' | 'credentials' | 'timeoutMs' | 'maxAttempts' | 'stateDir' | 'simulatorBalance'>,
  api: ApiIdentity,
  deps: AccessDeps,
): Promise<ApiAccess> {
  let opened: Promise<ApiSession> | undefined;
  const session = () => {
    opened ??= connectApi(s, deps);
    return opened;
  };
  const close = async () => {
    const current = opened === undefined ? undefined : await opened.catch(() => undefined);
    await current?.close();
  };
  if (api.embedded || !s.credentials) {
    return { accountId: await requireKnownAccount(s, api), session, close };
  }
  const closeOnAbort = () => {
    close().catch(() => undefined);
  };
  deps.signal?.addEventListener('abort', closeOnAbort, { once: true });
  try {
    return { accountId: await askAccount(s, api, deps, session), session, close };
  } catch (err) {
    if (deps.signal?.aborted) {
      await close();
      throw err;
    }
    const refused = credentialsRefused(err, api.label);
    const known = await readLastAccount(s.stateDir, api);
    if (refused) {
      await close();
      if (known === undefined) {
        throw refused;
      }
      // Rows already created are reported without credentials (SPEC); sending anything needs them.
      deps.say(`warning: ${refused.message}; reporting from account ${known}, and nothing can be sent`);
      return { accountId: known, session: () => Promise.reject(refused), close: async () => undefined };
    }
    // The API cannot be reached: the account it answered last still locates the state, so rows
    // already created are reported; anything left to send fails and is retried on the next run.
    if (known === undefined || !(err instanceof DwollaCallFailedError)) {
      await close();
      throw err;
    }
    deps.say(`warning: ${api.label} did not answer GET / (${callFailure(err).summary}); using account ${known}`);
    return { accountId: known, session, close };
  } finally {
    deps.signal?.removeEventListener('abort', closeOnAbort);
  }
}

/** `accessApi` under way, started ahead of what needs it. */
export interface Asking {
  access: Promise<ApiAccess>;
  /** Stops the asking (see AccessDeps.signal) and closes what it opened. */
  giveUp(): Promise<void>;
}

/**
 * Starts `accessApi` for the settings' API now (POST /token, GET /: waits on the network), to be
 * awaited once the work done meanwhile (loading the run, planning the file) is over.
 */
export function startAccess(
  s: Parameters<typeof accessApi>[0] & Pick<RunSettings, 'env'>,
  deps: Omit<AccessDeps, 'signal'>,
): Asking {
  const stop = new AbortController();
  const access = accessApi(s, apiIdentity(s), { ...deps, signal: stop.signal });
  // Awaited later either way; until then a failure of the asking is not an unhandled rejection.
  access.catch(() => undefined);
  return {
    access,
    giveUp: async () => {
      stop.abort();
      await access.then(
        (opened) => opened.close(),
        () => undefined,
      );
    },
  };
}

/**
 * The API refused the credentials themselves: `POST /token` answered 401 (OAuth `invalid_client`,
 * OpenAPI `createApplicationAccessToken`). Trying again cannot help, so it is a usage error (exit 2)
 * that names the variables, never their values.
 */
function credentialsRefused(err: unknown, label: string): UsageError | undefined {
  const { dwollaError } = callFailure(err);
  if (!(dwollaError instanceof DwollaAuthError) || dwollaError.httpStatus !== 401) {
    return undefined;
  }
  return new UsageError(
    'USAGE',
    `the API (${label}) refused DWOLLA_KEY/DWOLLA_SECRET (HTTP 401 ${dwollaError.code} on POST /token): set the key and secret of an application of this API in the environment`,
  );
}

/** `GET /` (retried): the account of the credentials; recorded as the one this API answered last. */
async function askAccount(
  s: Pick<RunSettings, 'maxAttempts' | 'stateDir'>,
  api: ApiIdentity,
  deps: Pick<AccessDeps, 'sleep' | 'signal'>,
  session: () => Promise<ApiSession>,
): Promise<string> {
  const { client } = await session();
  const retry = {
    maxAttempts: s.maxAttempts,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const { value: root } = await withRetries(() => client.getRoot(), retry);
  await writeLastAccount(s.stateDir, api, root.accountId);
  return root.accountId;
}
