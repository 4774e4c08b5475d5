/** HAL representations of the simulator's resources, with links on the simulator's own base URL. */
import {
  type FundingSource,
  HAL_JSON,
  type HalLink,
  type HalLinks,
  type Transfer,
  type TransferFailure,
  type TransferList,
} from '../dwolla/types.js';
import type { Owner, ReturnCode, SimFundingSource } from './funding-sources.js';
import { formatCents } from './money.js';
import type { StoredTransfer } from './store.js';

/** A transfer as the admin API and `SimulatorHandle.transfers()` show it: Dwolla's resource plus what was sent. */
export interface SimulatorTransfer extends Transfer {
  idempotencyKey?: string;
  achDetails?: { source?: { addenda: { values: string[] } }; destination?: { addenda: { values: string[] } } };
  fees?: Array<{ _links: { 'charge-to': HalLink }; amount: { value: string; currency: 'USD' } }>;
}

const FIXED_CREATED = '2024-01-02T15:04:05.000Z';

const RETURNS: Record<ReturnCode, { description: string; explanation: string }> = {
  R01: {
    description: 'Insufficient Funds',
    explanation: 'Available balance is not sufficient to cover the dollar value of the debit entry.',
  },
  R03: {
    description: 'No Account/Unable to Locate Account',
    explanation: 'The account number does not correspond to the individual identified in the entry or a valid account.',
  },
};

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
    ...(bank ? { bankAccountType: 'checking' } : {}),
    name: fs.name,
    created: FIXED_CREATED,
    removed: fs.removed,
    channels: bank ? ['ach'] : [],
    ...(bank ? { bankName: 'SANDBOX TEST BANK' } : {}),
  };
}

export function renderTransfer(base: string, t: StoredTransfer, status: Transfer['status']): SimulatorTransfer {
  const self = `${base}/transfers/${t.id}`;
  const links: HalLinks = {
    self: link(self, 'transfer'),
    source: ownerLink(base, t.source.owner),
    'source-funding-source': link(`${base}/funding-sources/${t.source.id}`, 'funding-source'),
    destination: ownerLink(base, t.destination.owner),
    'destination-funding-source': link(`${base}/funding-sources/${t.destination.id}`, 'funding-source'),
  };
  if (status === 'pending') {
    links.cancel = link(self, 'transfer');
  }
  if (status === 'failed') {
    links.failure = link(`${self}/failure`, 'failure');
  }

  const transfer: SimulatorTransfer = {
    _links: links,
    id: t.id,
    status,
    amount: { value: formatCents(t.amountCents), currency: 'USD' },
    created: new Date(t.createdMs).toISOString(),
  };
  if (t.clearing) {
    transfer.clearing = { ...t.clearing };
  }
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
  return transfer;
}

/** What only the simulator's own views add: the idempotency key and the fees sent. */
export function renderTransferForAdmin(base: string, t: StoredTransfer, status: Transfer['status']): SimulatorTransfer {
  const transfer = renderTransfer(base, t, status);
  if (t.idempotencyKey !== undefined) {
    transfer.idempotencyKey = t.idempotencyKey;
  }
  if (t.fees.length > 0) {
    transfer.fees = t.fees.map((f) => ({
      _links: { 'charge-to': link(`${base}/customers/${f.chargeTo}`, 'customer') },
      amount: { value: formatCents(f.amountCents), currency: 'USD' },
    }));
  }
  return transfer;
}

export function renderFailure(base: string, t: StoredTransfer, code: ReturnCode): TransferFailure {
  const failed = t.source.returnCode === code ? t.source : t.destination;
  return {
    _links: {
      self: link(`${base}/transfers/${t.id}/failure`, 'failure'),
      'failed-funding-source': link(`${base}/funding-sources/${failed.id}`, 'funding-source'),
      [failed.owner.kind]: ownerLink(base, failed.owner),
    },
    code,
    ...RETURNS[code],
  };
}

export function renderTransferList(
  listUrl: string,
  page: SimulatorTransfer[],
  total: number,
  limit: number,
  offset: number,
  correlationId: string | undefined,
): TransferList {
  const pageHref = (o: number) => {
    const q = new URLSearchParams();
    if (correlationId !== undefined) {
      q.set('correlationId', correlationId);
    }
    q.set('limit', String(limit));
    q.set('offset', String(o));
    return `${listUrl}?${q.toString()}`;
  };
  const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links: HalLinks = {
    self: link(pageHref(offset), 'transfer'),
    first: link(pageHref(0), 'transfer'),
    last: link(pageHref(lastOffset), 'transfer'),
  };
  if (offset + limit < total) {
    links.next = link(pageHref(offset + limit), 'transfer');
  }
  if (offset > 0) {
    links.prev = link(pageHref(Math.max(0, offset - limit)), 'transfer');
  }
  return { _links: links, _embedded: { transfers: page }, total };
}
