/** HAL representations of the simulator's resources, with links on the simulator's own base URL. */
import {
  type FundingSource,
  HAL_JSON,
  type HalLink,
  type HalLinks,
  type Transfer,
  type TransferFailure,
  type TransferFees,
  type TransferList,
  type TransferStatus,
} from '../dwolla/types.js';
import type { Owner, SimFundingSource } from './funding-sources.js';
import { type Leg, type LegFailure, partiesOf, type StoredTransfer } from './legs.js';
import { formatCents } from './money.js';
import { ACH_RETURNS } from './returns.js';

/** A transfer as the admin API and `SimulatorHandle.transfers()` show it: Dwolla's resource plus what was sent. */
export interface SimulatorTransfer extends Transfer {
  idempotencyKey?: string;
  achDetails?: { source?: { addenda: { values: string[] } }; destination?: { addenda: { values: string[] } } };
  fees?: Array<{ _links: { 'charge-to': HalLink }; amount: { value: string; currency: 'USD' } }>;
  /** Leg 2 of a chain (a bank source): its id and status. */
  fundedTransfer?: { id: string; status: TransferStatus };
  /** The fee transfers, in the order of `fees`: their ids and statuses. */
  feeTransfers?: Array<{ id: string; status: TransferStatus }>;
}

const FIXED_CREATED = '2024-01-02T15:04:05.000Z';

export function link(href: string, resourceType: string): HalLink {
  return { href, type: HAL_JSON, 'resource-type': resourceType };
}

function ownerLink(base: string, owner: Owner): HalLink {
  return owner.kind === 'account'
    ? link(`${base}/accounts/${owner.id}`, 'account')
    : link(`${base}/customers/${owner.id}`, 'customer');
}

export function renderFundingSource(base: string, fs: SimFundingSource): FundingSource {
  const bank = fs.type === 'bank';
  return {
    _links: {
      self: link(`${base}/funding-sources/${fs.id}`, 'funding-source'),
      [fs.owner.kind]: ownerLink(base, fs.owner),
    },
    id: fs.id,
    status: fs.status,
    type: fs.type,
    ...(bank ? { bankAccountType: fs.bankAccountType ?? 'checking' } : {}),
    name: fs.name,
    created: FIXED_CREATED,
    removed: fs.removed,
    channels: bank ? ['ach'] : [],
    ...(bank ? { bankName: 'SANDBOX TEST BANK' } : {}),
  };
}

function transferUrl(base: string, id: string): string {
  return `${base}/transfers/${id}`;
}

/**
 * The links of a transfer (OpenAPI Transfer `_links`; the doc on chains for `funding-transfer` and
 * `funded-transfer`; Dwolla's fee transfers link `created-from-transfer`). `cancel` only while
 * Dwolla allows a cancel, `failure` only once failed, `fees` only when the transfer has fees.
 */
function transferLinks(base: string, t: Leg, cancellable: boolean): HalLinks {
  const self = transferUrl(base, t.id);
  const parties = partiesOf(t);
  const links: HalLinks = { self: link(self, 'transfer'), source: ownerLink(base, parties.source) };
  if (t.kind !== 'fee') {
    links['source-funding-source'] = link(`${base}/funding-sources/${t.source.id}`, 'funding-source');
  }
  links.destination = ownerLink(base, parties.destination);
  if (t.kind !== 'fee') {
    links['destination-funding-source'] = link(`${base}/funding-sources/${t.destination.id}`, 'funding-source');
  }
  if (t.kind === 'created' && t.funded) {
    links['funded-transfer'] = link(transferUrl(base, t.funded.id), 'transfer');
  }
  if (t.kind === 'funded') {
    links['funding-transfer'] = link(transferUrl(base, t.origin.id), 'transfer');
  }
  if (t.kind === 'fee') {
    links['created-from-transfer'] = link(transferUrl(base, t.origin.id), 'transfer');
  }
  if (t.kind === 'created' && t.feeTransfers.length > 0) {
    links.fees = link(`${self}/fees`, 'fee');
  }
  if (cancellable) {
    links.cancel = link(self, 'transfer');
  }
  if (t.status === 'failed') {
    links.failure = link(`${self}/failure`, 'failure');
  }
  return links;
}

/**
 * The clearing Dwolla applied (OpenAPI Transfer `clearing`: `standard` or `same-day`, never the
 * requested `next-available`): source `same-day` when a bank source asked for next-available,
 * destination `same-day` when next-available was asked for it. Leg 2 carries the destination's.
 */
function appliedClearing(t: Leg): Transfer['clearing'] {
  const requested = t.kind === 'fee' ? undefined : t.kind === 'funded' ? t.origin.clearing : t.clearing;
  const destination = requested?.destination === 'next-available' ? 'same-day' : 'standard';
  if (t.kind === 'funded') {
    return { destination };
  }
  const sameDaySource = t.kind === 'created' && t.source.type === 'bank' && t.clearing?.source === 'next-available';
  return { source: sameDaySource ? 'same-day' : 'standard', destination };
}

/** A transfer resource (OpenAPI getTransfer) of any kind: created, leg 2 or fee. Sync the store first. */
export function renderTransfer(base: string, t: Leg, cancellable: boolean): SimulatorTransfer {
  const transfer: SimulatorTransfer = {
    _links: transferLinks(base, t, cancellable),
    id: t.id,
    status: t.status,
    amount: { value: formatCents(t.amountCents), currency: 'USD' },
    created: new Date(t.createdMs).toISOString(),
  };
  if (t.kind !== 'fee') {
    transfer.clearing = appliedClearing(t);
  }
  if (t.kind === 'created') {
    addRequestedFields(transfer, t);
  }
  return transfer;
}

/** What the created transfer keeps of its request: metadata, correlationId and addenda. */
function addRequestedFields(transfer: SimulatorTransfer, t: StoredTransfer): void {
  if (t.metadata) {
    transfer.metadata = { ...t.metadata };
  }
  if (t.correlationId !== undefined) {
    transfer.correlationId = t.correlationId;
  }
  if (t.addenda.source !== undefined || t.addenda.destination !== undefined) {
    transfer.achDetails = {
      ...(t.addenda.source !== undefined ? { source: { addenda: { values: [t.addenda.source] } } } : {}),
      ...(t.addenda.destination !== undefined ? { destination: { addenda: { values: [t.addenda.destination] } } } : {}),
    };
  }
}

/** What only the simulator's own views add: the idempotency key, the fees sent, leg 2 and the fee transfers. */
export function renderTransferForAdmin(base: string, t: StoredTransfer, cancellable: boolean): SimulatorTransfer {
  const transfer = renderTransfer(base, t, cancellable);
  if (t.idempotencyKey !== undefined) {
    transfer.idempotencyKey = t.idempotencyKey;
  }
  if (t.fees.length > 0) {
    transfer.fees = t.fees.map((f) => ({
      _links: { 'charge-to': link(`${base}/customers/${f.chargeTo}`, 'customer') },
      amount: { value: formatCents(f.amountCents), currency: 'USD' },
    }));
    transfer.feeTransfers = t.feeTransfers.map((f) => ({ id: f.id, status: f.status }));
  }
  if (t.funded) {
    transfer.fundedTransfer = { id: t.funded.id, status: t.funded.status };
  }
  return transfer;
}

/** OpenAPI getTransferFailureReason: the return code and the bank it struck. */
export function renderFailure(base: string, t: Leg, failure: LegFailure): TransferFailure {
  const failed = failure.fundingSource;
  return {
    _links: {
      self: link(`${transferUrl(base, t.id)}/failure`, 'failure'),
      'failed-funding-source': link(`${base}/funding-sources/${failed.id}`, 'funding-source'),
      [failed.owner.kind]: ownerLink(base, failed.owner),
    },
    code: failure.code,
    ...ACH_RETURNS[failure.code],
  };
}

/** OpenAPI listTransferFees: the fee transfers of a transfer. */
export function renderTransferFees(base: string, t: Leg, fees: SimulatorTransfer[]): TransferFees {
  return {
    _links: { self: link(`${transferUrl(base, t.id)}/fees`, 'fee') },
    transactions: fees,
    total: fees.length,
  };
}

/** The paging of a list: how many per page, and from where. */
export interface Paging {
  limit: number;
  offset: number;
}

/**
 * The self/first/last/next/prev links of a page of a list (Dwolla's paged lists: "It is
 * recommended to use the _links object ... for paging"), each keeping every filter given
 * (`filters`, without limit and offset).
 */
export function pageLinks(
  listUrl: string,
  total: number,
  { limit, offset }: Paging,
  filters: ReadonlyArray<[string, string]>,
  resourceType: string,
): HalLinks {
  const pageHref = (o: number) => {
    const q = new URLSearchParams([...filters]);
    q.set('limit', String(limit));
    q.set('offset', String(o));
    return `${listUrl}?${q.toString()}`;
  };
  const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links: HalLinks = {
    self: link(pageHref(offset), resourceType),
    first: link(pageHref(0), resourceType),
    last: link(pageHref(lastOffset), resourceType),
  };
  if (offset + limit < total) {
    links.next = link(pageHref(offset + limit), resourceType);
  }
  if (offset > 0) {
    links.prev = link(pageHref(Math.max(0, offset - limit)), resourceType);
  }
  return links;
}

/** A page of a transfer list (OpenAPI listCustomerTransfers / listAndSearchTransfers). */
export function renderTransferList(
  listUrl: string,
  page: SimulatorTransfer[],
  total: number,
  paging: Paging,
  filters: ReadonlyArray<[string, string]>,
): TransferList {
  return { _links: pageLinks(listUrl, total, paging, filters, 'transfer'), _embedded: { transfers: page }, total };
}
