/**
 * The handlers of Dwolla's mass payment endpoints but `POST /mass-payments` (create-mass-payment.ts):
 * read (getMassPayment), release or cancel (updateMassPayment), the items (listMassPaymentItems,
 * getMassPaymentItem), and the account's and a customer's lists (listMassPayments,
 * listCustomerMassPayments). The 404 messages are OpenAPI's examples of each operation.
 */
import { type MassPaymentItemStatus, SIMULATOR } from '../dwolla/types.js';
import { type ErrorAnswer, errors, validationError } from './errors.js';
import { isUuid, type Owner } from './funding-sources.js';
import { type Exchange, parseJson, readBody, sendError, sendJson } from './http.js';
import { QueryReader, refusal } from './list-filters.js';
import { massPaymentUrl, renderItem, renderMassPayment } from './mass-payment-resources.js';
import type { MassPaymentRecord } from './mass-payments.js';
import { pageLinks } from './resources.js';
import type { SimulatorState } from './state.js';

/** OpenAPI listMassPayments / listMassPaymentItems: limit 1..200, default 25; offset 0 or more. */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 200;
const ITEM_STATUSES: readonly MassPaymentItemStatus[] = ['failed', 'pending', 'success'];

function notFound(message: string): ErrorAnswer {
  return { status: 404, body: { code: 'NotFound', message } };
}

function findMassPayment(sim: SimulatorState, id: string | undefined): MassPaymentRecord | undefined {
  return id !== undefined && isUuid(id) ? sim.massPayments.find(id) : undefined;
}

/** OpenAPI getMassPayment; 404 "Mass payment not found". */
export function getMassPayment(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const record = findMassPayment(sim, id);
  if (!record) {
    return sendError(ex, notFound('Mass payment not found'));
  }
  return sendJson(ex, 200, renderMassPayment(ex.base, record));
}

/**
 * OpenAPI updateMassPayment: `{"status":"pending"}` releases a deferred mass payment,
 * `{"status":"cancelled"}` cancels it; 200 with the mass payment. Another status: 400 "Invalid
 * status. Allowed types are pending, cancelled." (the docs' error table). A mass payment that is
 * not deferred ("Only applies to mass payments created with deferred status"): 400 "Status not
 * allowed." (OpenAPI StatusNotAllowedError, as for a transfer that can no longer be cancelled).
 */
export async function updateMassPayment(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const parsed = parseJson(await readBody(ex.req));
  const record = findMassPayment(sim, id);
  if (!record) {
    return sendError(ex, notFound('Mass payment not found'));
  }
  if (!parsed) {
    return sendError(ex, errors.badRequest());
  }
  const status = (parsed.value as { status?: unknown } | null)?.status;
  if (status !== 'pending' && status !== 'cancelled') {
    return sendError(
      ex,
      validationError([
        { code: 'Invalid', message: 'Invalid status. Allowed types are pending, cancelled.', path: '/status' },
      ]),
    );
  }
  if (!sim.massPayments.update(record, status, sim.clock.nowMs())) {
    return sendError(ex, validationError([{ code: 'NotAllowed', message: 'Status not allowed.', path: '/status' }]));
  }
  return sendJson(ex, 200, renderMassPayment(ex.base, record));
}

/** limit and offset, as every Dwolla list takes them. */
function readPaging(r: QueryReader): { limit: number; offset: number } {
  return { limit: Math.min(MAX_LIMIT, r.count('limit', 1, DEFAULT_LIMIT)), offset: r.count('offset', 0, 0) };
}

/** The items' `status` filter: any of failed, pending, success, repeatable (docs: "/items?status=failed&status=pending"). */
function readItemStatuses(q: URLSearchParams, r: QueryReader): Set<MassPaymentItemStatus> | undefined {
  const given = q.getAll('status');
  if (given.length === 0) {
    return undefined;
  }
  const statuses = new Set<MassPaymentItemStatus>();
  for (const value of given) {
    r.echo.push(['status', value]);
    const status = ITEM_STATUSES.find((s) => s === value);
    if (status === undefined) {
      r.errors.push(refusal('status', `status must be one of ${ITEM_STATUSES.join(', ')}.`, 'Invalid'));
    } else {
      statuses.add(status);
    }
  }
  return statuses;
}

/** OpenAPI listMassPaymentItems: the items in the request's order, filtered by status, paged; 404 "Mass payment not found.". */
export function listMassPaymentItems(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const record = findMassPayment(sim, id);
  if (!record) {
    return sendError(ex, notFound('Mass payment not found.'));
  }
  const r = new QueryReader(ex.url.searchParams);
  const statuses = readItemStatuses(ex.url.searchParams, r);
  const paging = readPaging(r);
  if (r.errors.length > 0) {
    return sendError(ex, validationError(r.errors));
  }
  const rows = sim.massPayments.itemRows(record, statuses);
  const page = rows
    .slice(paging.offset, paging.offset + paging.limit)
    .map((row) => renderItem(ex.base, sim.massPayments, row));
  const listUrl = `${massPaymentUrl(ex.base, record.id)}/items`;
  return sendJson(ex, 200, {
    _links: pageLinks(listUrl, rows.length, paging, r.echo, 'mass-payment-item'),
    _embedded: { items: page },
    total: rows.length,
  });
}

/** OpenAPI getMassPaymentItem; 404 "Mass payment item not found". */
export function getMassPaymentItem(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const row = id !== undefined && isUuid(id) ? sim.massPayments.findItem(id) : undefined;
  if (row === undefined) {
    return sendError(ex, notFound('Mass payment item not found'));
  }
  return sendJson(ex, 200, renderItem(ex.base, sim.massPayments, row));
}

function listMassPayments(ex: Exchange, sim: SimulatorState, listUrl: string, involves: (o: Owner) => boolean) {
  const r = new QueryReader(ex.url.searchParams);
  const correlationId = r.take('correlationId');
  const paging = readPaging(r);
  if (r.errors.length > 0) {
    return sendError(ex, validationError(r.errors));
  }
  const found = sim.massPayments.search({ involves, correlationId });
  const page = found.slice(paging.offset, paging.offset + paging.limit).map((m) => renderMassPayment(ex.base, m));
  return sendJson(ex, 200, {
    _links: pageLinks(listUrl, found.length, paging, r.echo, 'mass-payment'),
    _embedded: { 'mass-payments': page },
    total: found.length,
  });
}

/** OpenAPI listMassPayments: those from the account's funding sources, newest first; 404 "Account not found.". */
export function listAccountMassPayments(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  if (id?.toLowerCase() !== SIMULATOR.accountId) {
    return sendError(ex, notFound('Account not found.'));
  }
  const listUrl = `${ex.base}/accounts/${SIMULATOR.accountId}/mass-payments`;
  return listMassPayments(ex, sim, listUrl, (o) => o.kind === 'account');
}

/** OpenAPI listCustomerMassPayments: those from the customer's funding sources, newest first; 404 "Customer not found.". */
export function listCustomerMassPayments(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  if (id === undefined || !isUuid(id)) {
    return sendError(ex, notFound('Customer not found.'));
  }
  const customerId = id.toLowerCase();
  const listUrl = `${ex.base}/customers/${customerId}/mass-payments`;
  return listMassPayments(ex, sim, listUrl, (o) => o.kind === 'customer' && o.id === customerId);
}
