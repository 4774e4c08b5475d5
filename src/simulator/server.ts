/** The HTTP server: dispatches to the Dwolla routes or the admin endpoints, and shuts down promptly. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, handleAdminRequest } from './admin.js';
import { errors } from './errors.js';
import { BodyTooLarge, type Exchange, sendError } from './http.js';
import { handleDwollaRequest } from './routes.js';
import type { SimulatorState } from './state.js';

export interface RunningServer {
  base: string;
  port: number;
  close(): Promise<void>;
}

function baseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function handle(sim: SimulatorState, base: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', base);
  const admin = url.pathname.startsWith(ADMIN_PREFIX);
  let latency: Promise<void> | undefined;
  const ex: Exchange = {
    req,
    res,
    url,
    base,
    // One latency per request, however often the handler waits for it; none for the admin API.
    delay: () => {
      if (admin) {
        return Promise.resolve();
      }
      latency ??= sim.sleeper.sleep(sim.faults.latencyMs());
      return latency;
    },
  };
  (admin ? handleAdminRequest : handleDwollaRequest)(ex, sim).catch((e: unknown) => {
    if (res.headersSent || res.destroyed) {
      return;
    }
    void sendError(ex, e instanceof BodyTooLarge ? errors.badRequest() : errors.serverError());
  });
}

export function listen(sim: SimulatorState, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let base = '';
    const server: Server = createServer((req, res) => handle(sim, base, req, res));
    server.once('error', reject);
    server.listen(port, host, () => {
      const actualPort = (server.address() as AddressInfo).port;
      base = baseUrl(host, actualPort);
      resolve({
        base,
        port: actualPort,
        close: () =>
          new Promise<void>((done) => {
            sim.sleeper.cancelAll();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
