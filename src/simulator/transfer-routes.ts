/**
 * The handlers of Dwolla's transfer endpoints other than `POST /transfers`: read (getTransfer),
 * cancel (cancelTransfer), failure (getTransferFailureReason), fees (listTransferFees), the
 * account's and a customer's lists (listAndSearchTransfers, listCustomerTransfers) and the
 * sandbox's `POST /sandbox-simulations` (simulateBankTransferProcessing).
 */
import { SIMULATOR } from '../dwolla/types.js';
import { errors, validationError } from './errors.js';
import { isUuid, type Owner } from './funding-sources.js';
import { type Exchange, parseJson, readBody, sendError, sendJson } from './http.js';
import { parseListQuery } from './list-filters.js';
import { link, renderFailure, renderTransfer, renderTransferFees, renderTransferList } from './resources.js';
import type { SimulatorState } from './state.js';

/** The row of any transfer (created, leg 2 or fee) by id, every status brought up to now. */
function findTransfer(sim: SimulatorState, id: string | undefined): number | undefined {
  const row = id !== undefined && isUuid(id) ? sim.transfers.find(id) : undefined;
  sim.transfers.sync(sim.clock.nowMs());
  return row;
}

/** The transfer at `row` as it is now (OpenAPI getTransfer). */
function render(ex: Exchange, sim: SimulatorState, row: number) {
  const cancellable = sim.transfers.cancellable(row, sim.clock.nowMs());
  return renderTransfer(ex.base, sim.transfers.view(row), cancellable);
}

/** OpenAPI getTransfer: a created transfer, a leg 2 or a fee transfer. */
export function getTransfer(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const row = findTransfer(sim, id);
  if (row === undefined) {
    return sendError(ex, errors.notFound());
  }
  return sendJson(ex, 200, render(ex, sim, row));
}

/**
 * OpenAPI cancelTransfer, within Dwolla's cancel window (business-days.ts): only the created
 * transfer, only while pending and before its deadline; leg 2 and the fees are cancelled with it.
 * Otherwise 400 StatusNotAllowedError.
 */
export async function cancelTransfer(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const parsed = parseJson(await readBody(ex.req));
  const row = findTransfer(sim, id);
  if (row === undefined) {
    return sendError(ex, errors.notFound());
  }
  if (!parsed) {
    return sendError(ex, errors.badRequest());
  }
  const status = (parsed.value as { status?: unknown } | null)?.status;
  if (status !== 'cancelled') {
    return sendError(ex, validationError([{ code: 'Invalid', message: 'Status invalid.', path: '/status' }]));
  }
  if (!sim.transfers.cancel(row, sim.clock.nowMs())) {
    return sendError(ex, validationError([{ code: 'NotAllowed', message: 'Status not allowed.', path: '/status' }]));
  }
  return sendJson(ex, 200, render(ex, sim, row));
}

/** OpenAPI getTransferFailureReason: any failed transfer (either leg, or a fee failed with its leg). */
export function getFailure(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const row = findTransfer(sim, id);
  const t = row === undefined ? undefined : sim.transfers.view(row);
  if (t?.status !== 'failed' || !t.failure) {
    return sendError(ex, errors.notFound());
  }
  return sendJson(ex, 200, renderFailure(ex.base, t, t.failure));
}

/** OpenAPI listTransferFees: `{_links, transactions, total}`; empty for a transfer without fees. */
export function listTransferFees(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const row = findTransfer(sim, id);
  if (row === undefined) {
    return sendError(ex, errors.notFound());
  }
  const t = sim.transfers.view(row);
  const fees = t.kind === 'created' ? t.feeTransfers.map((f) => render(ex, sim, f.row)) : [];
  return sendJson(ex, 200, renderTransferFees(ex.base, t, fees));
}

/**
 * OpenAPI simulateBankTransferProcessing: processes or fails the pending legs eligible now (see
 * settlement.ts), then moves every pending or processing mass payment a step (mass-payments.ts). Dwolla documents the request and the 200 body only as objects (`type: object`);
 * the simulator answers `{_links: {self}, total}`, total being the legs processed or failed.
 */
export async function simulateProcessing(ex: Exchange, sim: SimulatorState): Promise<void> {
  const text = await readBody(ex.req);
  const body = text.trim() === '' ? { value: {} } : parseJson(text);
  if (!body || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
    return sendError(ex, errors.badRequest());
  }
  return sendJson(ex, 200, simulationResult(ex.base, sim.simulate()));
}

/** The body of a simulation's answer (also the admin API's). */
export function simulationResult(base: string, total: number) {
  return { _links: { self: link(`${base}/sandbox-simulations`, 'sandbox-simulation') }, total };
}

function listTransfers(ex: Exchange, sim: SimulatorState, listUrl: string, involves: (o: Owner) => boolean) {
  const query = parseListQuery(ex.url.searchParams);
  if (!query.ok) {
    return sendError(ex, validationError(query.errors));
  }
  const { limit, offset, echo, ...filters } = query.filters;
  const nowMs = sim.clock.nowMs();
  const found = sim.transfers.search({ ...filters, involves }, nowMs);
  const page = found.slice(offset, offset + limit).map((row) => render(ex, sim, row));
  return sendJson(ex, 200, renderTransferList(listUrl, page, found.length, { limit, offset }, echo));
}

/** The account's transfers: those from or to the account (its balance and banks, and fees it collects). */
export function listAccountTransfers(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  if (id?.toLowerCase() !== SIMULATOR.accountId) {
    return sendError(ex, errors.notFound());
  }
  return listTransfers(ex, sim, `${ex.base}/accounts/${SIMULATOR.accountId}/transfers`, (o) => o.kind === 'account');
}

/** A customer's transfers: those from or to the customer's funding sources, and fees charged to it. */
export function listCustomerTransfers(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  if (id === undefined || !isUuid(id)) {
    return sendError(ex, errors.notFound());
  }
  const customerId = id.toLowerCase();
  return listTransfers(
    ex,
    sim,
    `${ex.base}/customers/${customerId}/transfers`,
    (o) => o.kind === 'customer' && o.id === customerId,
  );
}
