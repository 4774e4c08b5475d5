/** Small helpers over Node's http module: reading bodies, answering, and cancellable sleeps. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HAL_JSON } from '../dwolla/types.js';
import type { ErrorAnswer } from './errors.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** One request being answered. `delay()` waits the injected latency, once per request. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The simulator's base URL, e.g. http://127.0.0.1:8787 */
  base: string;
  delay(): Promise<void>;
}

export class BodyTooLarge extends Error {}

/** The request's body as text; BodyTooLarge (answered 400) past `maxBytes` (1 MiB unless a route needs more). */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      throw new BodyTooLarge(`request body over ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON.parse, or undefined when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function writable(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded;
}

export async function sendJson(
  ex: Exchange,
  status: number,
  body: unknown,
  contentType: string = HAL_JSON,
): Promise<void> {
  await ex.delay();
  if (!writable(ex.res)) {
    return;
  }
  const text = JSON.stringify(body);
  ex.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  ex.res.end(text);
}

export function sendError(ex: Exchange, e: ErrorAnswer): Promise<void> {
  return sendJson(ex, e.status, e.body);
}

export async function sendCreated(ex: Exchange, location: string): Promise<void> {
  await ex.delay();
  if (!writable(ex.res)) {
    return;
  }
  ex.res.writeHead(201, { Location: location, 'Content-Length': 0 });
  ex.res.end();
}

/** Timers that `cancelAll()` clears at shutdown, so that a slow answer never holds the process. */
export class Sleeper {
  private readonly timers = new Set<NodeJS.Timeout>();

  sleep(ms: number): Promise<void> {
    if (ms <= 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  cancelAll(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }
}
