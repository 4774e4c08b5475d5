/**
 * The API a command talks to: a real or standalone one (credentials from the environment), or
 * the embedded simulator, started in this process on a random 127.0.0.1 port.
 */

import { SIMULATOR } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import type { RunSettings } from './settings.js';

export interface ApiConnection {
  baseUrl: string;
  key: string;
  secret: string;
  close: () => Promise<void>;
}

/** The API a run talks to: a real or standalone one, or the embedded simulator started here. */
export async function openApi(
  s: Pick<RunSettings, 'apiUrl' | 'credentials'>,
  say: (line: string) => void,
): Promise<ApiConnection> {
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
