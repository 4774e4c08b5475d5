/**
 * The API a command talks to: a real or standalone one (credentials from the environment), or
 * the embedded simulator, started in this process on a random 127.0.0.1 port.
 */
import type { Logger } from 'pino';
import { DwollaClient } from '../dwolla/client.js';
import { SIMULATOR } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import type { RunSettings } from './settings.js';

interface ApiEndpoint {
  baseUrl: string;
  key: string;
  secret: string;
  close: () => Promise<void>;
}

/** A client of the API a command talks to; close() ends it (and the embedded simulator). */
export interface ApiSession {
  client: DwollaClient;
  close: () => Promise<void>;
}

/** Opens the API of the settings (starting the embedded simulator when none is named) and a client of it. */
export async function connectApi(
  s: Pick<RunSettings, 'apiUrl' | 'credentials' | 'timeoutMs'>,
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
  s: Pick<RunSettings, 'apiUrl' | 'credentials'>,
  say: (line: string) => void,
): Promise<ApiEndpoint> {
  if (s.apiUrl !== undefined) {
    if (!s.credentials) {
      throw new UsageError('USAGE', `DWOLLA_KEY and DWOLLA_SECRET must be set in the environment to use ${s.apiUrl}`);
    }
    return { baseUrl: s.apiUrl, ...s.credentials, close: async () => undefined };
  }
  const { startSimulator } = await import('../simulator/index.js');
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  say(
    `Using the embedded Dwolla simulator at ${sim.url}: a rehearsal, no money moves. Use --env sandbox or --api-url for a real API.`,
  );
  return { baseUrl: sim.url, key: SIMULATOR.key, secret: SIMULATOR.secret, close: () => sim.close() };
}
