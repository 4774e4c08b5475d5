/**
 * Admin endpoints under /__simulator/ (outside Dwolla's paths, no auth, no latency), for tests
 * that drive a standalone simulator from another process.
 */
import type { FaultOptions } from './faults.js';
import { type Exchange, parseJson, readBody, sendJson } from './http.js';
import { renderTransferForAdmin, type SimulatorTransfer } from './resources.js';
import type { SimulatorState } from './state.js';

export const ADMIN_PREFIX = '/__simulator/';

export function adminTransfers(sim: SimulatorState, base: string): SimulatorTransfer[] {
  const nowMs = sim.clock.nowMs();
  return sim.transfers.all().map((t) => renderTransferForAdmin(base, t, sim.transfers.statusOf(t, nowMs)));
}

function sendAdmin(ex: Exchange, status: number, body: unknown): Promise<void> {
  return sendJson(ex, status, body, 'application/json');
}

async function readJsonObject(ex: Exchange): Promise<Record<string, unknown> | undefined> {
  const parsed = parseJson(await readBody(ex.req));
  const value = parsed?.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export async function handleAdminRequest(ex: Exchange, sim: SimulatorState): Promise<void> {
  const what = `${ex.req.method ?? 'GET'} ${ex.url.pathname.slice(ADMIN_PREFIX.length).replace(/\/$/, '')}`;
  switch (what) {
    case 'GET clock':
      return sendAdmin(ex, 200, { now: sim.clock.now().toISOString() });
    case 'POST clock':
      return setClock(ex, sim);
    case 'GET transfers':
      return sendAdmin(ex, 200, adminTransfers(sim, ex.base));
    case 'GET stats':
      return sendAdmin(ex, 200, sim.stats());
    case 'GET faults':
      return sendAdmin(ex, 200, sim.faults.current());
    case 'POST faults':
      return setFaults(ex, sim);
    default:
      return sendAdmin(ex, 404, { error: `unknown admin endpoint: ${what}` });
  }
}

async function setClock(ex: Exchange, sim: SimulatorState): Promise<void> {
  const body = await readJsonObject(ex);
  try {
    if (typeof body?.advanceMs === 'number') {
      sim.clock.advance(body.advanceMs);
    } else if (typeof body?.now === 'string') {
      sim.clock.set(new Date(body.now));
    } else {
      return sendAdmin(ex, 400, { error: 'expected JSON {"advanceMs": number} or {"now": ISO-8601 string}' });
    }
  } catch (e) {
    return sendAdmin(ex, 400, { error: (e as Error).message });
  }
  return sendAdmin(ex, 200, { now: sim.clock.now().toISOString() });
}

async function setFaults(ex: Exchange, sim: SimulatorState): Promise<void> {
  const body = await readJsonObject(ex);
  if (!body) {
    return sendAdmin(ex, 400, { error: 'expected a JSON object of fault options' });
  }
  try {
    sim.faults.set(body as FaultOptions);
  } catch (e) {
    return sendAdmin(ex, 400, { error: (e as Error).message });
  }
  return sendAdmin(ex, 200, sim.faults.current());
}
