/**
 * Admin endpoints under /__simulator/ (outside Dwolla's paths, no auth, no latency), for tests
 * that drive a standalone simulator from another process:
 *
 * - `GET|POST /__simulator/clock`: read, advance (`{"advanceMs": N}`) or set (`{"now": ISO}`) simulated time;
 * - `GET /__simulator/transfers`: the transfers POST /transfers created, with their leg 2 and fee transfers
 *   (and the transfers of mass payment items);
 * - `GET /__simulator/mass-payments`: the mass payments POST /mass-payments created, with their keys;
 * - `GET /__simulator/stats`, `GET|POST /__simulator/faults`;
 * - `POST /__simulator/simulate`: what `POST /sandbox-simulations` does, without auth;
 * - `POST /__simulator/returns {"transferId": "<created transfer id>", "leg": "funding"|"funded", "code": "R01"}`:
 *   stages an ACH return (R01, R02 or R03) on one leg of a transfer POST /transfers created, applied
 *   when that leg is processed. `funding` is the created transfer itself (leg 1 of a chain, or the
 *   single leg of a transfer from a balance); `funded` is leg 2 of a chain (a bank source), the leg
 *   that reaches the payee. 404 for an unknown transfer, 400 for a bad body, no leg 2 or a leg with
 *   no bank, 409 when the leg is no longer pending.
 */
import type { FaultOptions } from './faults.js';
import { type Exchange, parseJson, readBody, sendJson } from './http.js';
import { renderMassPaymentForAdmin, type SimulatorMassPayment } from './mass-payment-resources.js';
import { renderTransferForAdmin, type SimulatorTransfer } from './resources.js';
import { isAchReturnCode } from './returns.js';
import type { SimulatorState } from './state.js';
import { type ReturnSide, StageReturnError, type StageReturnRefusal } from './store.js';
import { simulationResult } from './transfer-routes.js';

export const ADMIN_PREFIX = '/__simulator/';

export function adminTransfers(sim: SimulatorState, base: string): SimulatorTransfer[] {
  sim.catchUp();
  const nowMs = sim.clock.nowMs();
  const rendered: SimulatorTransfer[] = [];
  for (const row of sim.transfers.createdRows()) {
    const cancellable = sim.transfers.cancellable(row, nowMs);
    const t = sim.transfers.view(row);
    if (t.kind === 'created') {
      rendered.push(renderTransferForAdmin(base, t, cancellable));
    }
  }
  return rendered;
}

export function adminMassPayments(sim: SimulatorState, base: string): SimulatorMassPayment[] {
  sim.catchUp();
  return sim.massPayments.all().map((r) => renderMassPaymentForAdmin(base, r));
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
    case 'GET mass-payments':
      return sendAdmin(ex, 200, adminMassPayments(sim, ex.base));
    case 'GET stats':
      return sendAdmin(ex, 200, sim.stats());
    case 'GET faults':
      return sendAdmin(ex, 200, sim.faults.current());
    case 'POST faults':
      return setFaults(ex, sim);
    case 'POST simulate':
      return sendAdmin(ex, 200, simulationResult(ex.base, sim.simulate()));
    case 'POST returns':
      return stageReturn(ex, sim);
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

const REFUSAL_STATUS: Record<StageReturnRefusal, number> = {
  'unknown-transfer': 404,
  'no-funded-leg': 400,
  'no-bank': 400,
  'not-pending': 409,
};

async function stageReturn(ex: Exchange, sim: SimulatorState): Promise<void> {
  const body = await readJsonObject(ex);
  const { transferId, leg, code } = body ?? {};
  if (typeof transferId !== 'string' || (leg !== 'funding' && leg !== 'funded') || !isAchReturnCode(code)) {
    return sendAdmin(ex, 400, {
      error:
        'expected JSON {"transferId": "<id of a transfer POST /transfers created>", "leg": "funding"|"funded", "code": "R01"|"R02"|"R03"}',
    });
  }
  try {
    const legId = sim.transfers.stageReturn(transferId, leg as ReturnSide, code, sim.clock.nowMs());
    return sendAdmin(ex, 200, { transferId, leg, legId, code });
  } catch (e) {
    if (e instanceof StageReturnError) {
      return sendAdmin(ex, REFUSAL_STATUS[e.reason], { error: e.message });
    }
    throw e;
  }
}
