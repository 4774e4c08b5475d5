/**
 * The handlers of Dwolla's customer endpoints (customers.ts says where customers come from):
 * OpenAPI listAndSearchCustomers (`GET /customers`: `email`, `search`, `status`, `limit`,
 * `offset`), getCustomer (`GET /customers/{id}`) and listCustomerFundingSources
 * (`GET /customers/{id}/funding-sources`, `removed`).
 */
import type { CustomerList, EmbeddedError, FundingSourceList } from '../dwolla/types.js';
import { isCustomerStatus, renderCustomer, type SimCustomer } from './customers.js';
import { errors, validationError } from './errors.js';
import { isUuid } from './funding-sources.js';
import { type Exchange, sendError, sendJson } from './http.js';
import { QueryReader, refusal } from './list-filters.js';
import { link, pageLinks, renderFundingSource } from './resources.js';
import type { SimulatorState } from './state.js';

/** OpenAPI listAndSearchCustomers: "Default limit is 25 customers per page, maximum 200". */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 200;

interface CustomerQuery {
  email?: string;
  search?: string;
  status?: string;
  limit: number;
  offset: number;
  echo: Array<[string, string]>;
}

/** The list's query; a malformed `status`, `limit` or `offset` is refused (400 ValidationError naming it). */
function parseCustomerQuery(
  q: URLSearchParams,
): { ok: true; query: CustomerQuery } | { ok: false; errors: EmbeddedError[] } {
  const r = new QueryReader(q);
  const email = r.take('email');
  const search = r.take('search');
  const status = r.take('status');
  if (status !== undefined && !isCustomerStatus(status)) {
    r.errors.push(
      refusal(
        'status',
        'status must be one of unverified, retry, document, verified, suspended, deactivated.',
        'Invalid',
      ),
    );
  }
  const limit = Math.min(MAX_LIMIT, r.count('limit', 1, DEFAULT_LIMIT));
  const offset = r.count('offset', 0, 0);
  if (r.errors.length > 0) {
    return { ok: false, errors: r.errors };
  }
  return { ok: true, query: { email, search, status, limit, offset, echo: r.echo } };
}

/**
 * OpenAPI listAndSearchCustomers: `email` is Dwolla's exact-match filter (compared lower-cased: an
 * email that is not well-formed finds nobody), `search` its fuzzy search (customers.ts), `status`
 * an exact filter; pages of `limit` from `offset`, with paging links.
 */
export function listCustomers(ex: Exchange, sim: SimulatorState): Promise<void> {
  sim.counters.customerSearches += 1;
  const parsed = parseCustomerQuery(ex.url.searchParams);
  if (!parsed.ok) {
    return sendError(ex, validationError(parsed.errors));
  }
  const { email, search, status, limit, offset, echo } = parsed.query;
  const matches = search === undefined ? undefined : new Set(sim.customers.search(search).map((c) => c.id));
  const candidates = email === undefined ? sim.customers.all() : sim.customers.byEmail(email);
  const found = candidates.filter((c) => (!matches || matches.has(c.id)) && (!status || c.status === status));
  const body: CustomerList = {
    _links: pageLinks(`${ex.base}/customers`, found.length, { limit, offset }, echo, 'customer'),
    _embedded: { customers: found.slice(offset, offset + limit).map((c) => renderCustomer(ex.base, c)) },
    total: found.length,
  };
  return sendJson(ex, 200, body);
}

/** The customer of a path's id: one a list has shown (customers.ts), else undefined (404). */
function knownCustomer(sim: SimulatorState, id: string | undefined): SimCustomer | undefined {
  return id !== undefined && isUuid(id) ? sim.customers.get(id) : undefined;
}

/** OpenAPI getCustomer; 404 "Customer not found." for an id no list has shown. */
export function getCustomer(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const customer = knownCustomer(sim, id);
  if (!customer) {
    return sendError(ex, errors.customerNotFound());
  }
  return sendJson(ex, 200, renderCustomer(ex.base, customer));
}

/**
 * OpenAPI listCustomerFundingSources: the customer's banks (an unverified customer has no
 * balance: "Dwolla balance (verified customers only)"). `removed=false` leaves removed ones out;
 * `removed` absent or `true` lists them all ("Defaults to `true`"); any other value is refused.
 */
export function listCustomerFundingSources(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  sim.counters.customerFundingSourceLists += 1;
  const customer = knownCustomer(sim, id);
  if (!customer) {
    return sendError(ex, errors.customerNotFound());
  }
  const removed = ex.url.searchParams.get('removed');
  if (removed !== null && removed !== 'true' && removed !== 'false') {
    return sendError(ex, validationError([refusal('removed', 'removed must be true or false.')]));
  }
  const self = `${ex.base}/customers/${customer.id}`;
  const sources = customer.banks
    .map((kind) => sim.emailBank(customer.id, kind))
    .filter((fs) => removed !== 'false' || !fs.removed)
    .map((fs) => renderFundingSource(ex.base, fs));
  const body: FundingSourceList = {
    _links: { self: link(`${self}/funding-sources`, 'funding-source'), customer: link(self, 'customer') },
    _embedded: { 'funding-sources': sources },
    total: sources.length,
  };
  return sendJson(ex, 200, body);
}
