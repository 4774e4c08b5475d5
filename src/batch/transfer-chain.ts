/**
 * What became of one created transfer, as `payouts reconcile` reads it (SPEC "Reconcile").
 *
 * Dwolla splits a payout into legs (reference/dwolla-docs/transfer-statuses-correlation-chains.txt):
 * each transfer links the next one with `funded-transfer`, and for a bank-sourced payout the money
 * reaches the payee on a later leg, where an ACH return can also arrive. So the chain is followed
 * from the created transfer (OpenAPI getTransfer) through its `funded-transfer` links, a bounded
 * number of hops and never in a loop; a failed leg's return is `GET /transfers/{id}/failure`
 * (OpenAPI getTransferFailureReason); facilitator fees are transfers of their own, listed by the
 * `fees` link, `GET /transfers/{id}/fees` (OpenAPI listTransferFees).
 *
 * The row's status is the last leg's (the one that reaches the payee), except that a failure on
 * any leg wins (a returned funding leg cancels the funded one), then a cancelled leg. A 404 for a
 * transfer of the chain is a permanent finding (`not-found`), never "try again".
 */
import type { DwollaClient } from '../dwolla/client.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import type { Transfer, TransferStatus } from '../dwolla/types.js';
import type { ReconciledTransfer, ReconcileRecord } from './journal.js';

/**
 * Transfers of one chain read at most. Dwolla's longest documented chain has three legs (bank to
 * balance, balance to balance, balance to bank); one more is room, not a licence to wander.
 */
const MAX_LEGS = 4;

/** What a transfer id looks like (the client refuses anything else in a path). */
const ID = /^[A-Za-z0-9-]+$/;

/** What reconcile learnt of a row: a reconcile record without its envelope. */
export type TransferFinding = Omit<ReconcileRecord, 'type' | 'at' | 'key'>;

export interface ChainReader {
  client: DwollaClient;
  maxAttempts: number;
  /** Told about a chain cut short (a loop, or more than MAX_LEGS legs). */
  warn: (fields: object, message: string) => void;
}

/** The API answered 404 for `transferId`: it no longer knows it. */
class TransferNotFound extends Error {
  readonly transferId: string;

  constructor(transferId: string) {
    super(`the API no longer knows transfer ${transferId}`);
    this.name = 'TransferNotFound';
    this.transferId = transferId;
  }
}

/** Did the call end with a 404 (OpenAPI NotFoundError)? A 404 is permanent: withRetries does not retry it. */
function isNotFound(err: unknown): boolean {
  const e = callFailure(err).dwollaError;
  return e?.kind === 'api' && e.httpStatus === 404;
}

/** Runs a retried call; a 404 resolves to undefined. */
async function unless404<T>(r: ChainReader, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return (await withRetries(call, { maxAttempts: r.maxAttempts })).value;
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw err;
  }
}

async function fetchTransfer(r: ChainReader, id: string): Promise<Transfer> {
  const transfer = await unless404(r, () => r.client.getTransfer(id));
  if (transfer === undefined) {
    throw new TransferNotFound(id);
  }
  return transfer;
}

/**
 * The id a link of `t` points at (its last path segment), or undefined without one. Only the id
 * is taken: the client builds the URL on its own base, so a link never sends the token elsewhere.
 */
function linkedId(t: Transfer, rel: string): string | undefined {
  const href = t._links?.[rel]?.href;
  if (typeof href !== 'string') {
    return undefined;
  }
  const id = href.replace(/\/+$/, '').split('/').pop() ?? '';
  return ID.test(id) ? id : undefined;
}

/** A transfer read, with the id it was read by. */
interface Read {
  id: string;
  transfer: Transfer;
}

/** The chain from `transferId` on, through `funded-transfer`: at most MAX_LEGS transfers, each once. */
async function readChain(r: ChainReader, transferId: string): Promise<Read[]> {
  const chain: Read[] = [{ id: transferId, transfer: await fetchTransfer(r, transferId) }];
  const seen = new Set([transferId]);
  for (;;) {
    const next = linkedId(chain[chain.length - 1]!.transfer, 'funded-transfer');
    if (next === undefined) {
      return chain;
    }
    if (seen.has(next) || chain.length >= MAX_LEGS) {
      r.warn({ transferId, next, legs: chain.length }, 'transfer chain cut short (a loop, or too many legs)');
      return chain;
    }
    seen.add(next);
    chain.push({ id: next, transfer: await fetchTransfer(r, next) });
  }
}

/** A transfer as the journal keeps it, with its ACH return when it failed. */
async function describeTransfer(r: ChainReader, { id, transfer: t }: Read): Promise<ReconciledTransfer> {
  const out: ReconciledTransfer = { id, status: t.status };
  if (t.status !== 'failed' || !ID.test(id)) {
    return out;
  }
  const failure = await unless404(r, () => r.client.getTransferFailure(id));
  if (failure !== undefined) {
    out.returnCode = failure.code;
    out.returnReason = failure.description;
  }
  return out;
}

/** The fee transfers of every leg that has a `fees` link. */
async function readFees(r: ChainReader, chain: readonly Read[]): Promise<ReconciledTransfer[]> {
  const fees: ReconciledTransfer[] = [];
  for (const leg of chain) {
    if (linkedId(leg.transfer, 'fees') === undefined) {
      continue;
    }
    // A 404 here (the link promised fees, the API has none) leaves the leg without fees.
    const list = await unless404(r, () => r.client.listTransferFees(leg.id));
    for (const fee of list?.transactions ?? []) {
      const id = typeof fee.id === 'string' && ID.test(fee.id) ? fee.id : (linkedId(fee, 'self') ?? '?');
      const described = await describeTransfer(r, { id, transfer: fee });
      fees.push(fee.amount?.value ? { ...described, amount: fee.amount.value } : described);
    }
  }
  return fees;
}

const TROUBLE: ReadonlySet<TransferStatus> = new Set(['failed', 'cancelled']);

/** What is wrong with the fees, in one line; undefined when nothing is. */
function feeTrouble(fees: readonly ReconciledTransfer[]): string | undefined {
  const lines = fees
    .filter((f) => TROUBLE.has(f.status))
    .map((f) => {
      const why = [f.returnCode, f.returnReason].filter(Boolean).join(' ');
      return `fee transfer ${f.id} ${f.status}${why ? `: ${why}` : ''}`;
    });
  return lines.length > 0 ? lines.join('; ') : undefined;
}

/** The row's status and return from its legs and fees (see the module comment). */
function findingOf(legs: ReconciledTransfer[], fees: ReconciledTransfer[]): TransferFinding {
  const decisive =
    legs.find((l) => l.status === 'failed') ?? legs.find((l) => l.status === 'cancelled') ?? legs[legs.length - 1]!;
  const finding: TransferFinding = { transferStatus: decisive.status, legs, fees };
  if (decisive.returnCode !== undefined) {
    finding.returnCode = decisive.returnCode;
  }
  if (decisive.returnReason !== undefined) {
    finding.returnReason = decisive.returnReason;
  } else if (decisive.status === 'failed') {
    finding.returnReason = `transfer ${decisive.id} failed; the API gives no failure reason`;
  }
  const trouble = feeTrouble(fees);
  if (trouble !== undefined && finding.returnCode === undefined && finding.returnReason === undefined) {
    finding.returnReason = trouble;
  }
  return finding;
}

/**
 * Reads the created transfer `transferId`: its chain, each failed leg's return, its fees. A 404
 * for any transfer of the chain is the finding `not-found`; any other failure (network, 5xx after
 * retries) is thrown, as a DwollaCallFailedError.
 */
export async function readTransferFinding(r: ChainReader, transferId: string): Promise<TransferFinding> {
  try {
    const chain = await readChain(r, transferId);
    const legs: ReconciledTransfer[] = [];
    for (const leg of chain) {
      legs.push(await describeTransfer(r, leg));
    }
    return findingOf(legs, await readFees(r, chain));
  } catch (err) {
    if (!(err instanceof TransferNotFound)) {
      throw err;
    }
    const leg = err.transferId === transferId ? '' : ` (a leg of ${transferId})`;
    return { transferStatus: 'not-found', returnReason: `${err.message}${leg}` };
  }
}

/** Does a row with this record need a person: a failed, cancelled or unknown transfer, or a failed or cancelled fee? */
export function needsAttention(rec: Pick<ReconcileRecord, 'transferStatus' | 'fees' | 'notFound'>): boolean {
  return (
    rec.notFound !== undefined ||
    rec.transferStatus === 'failed' ||
    rec.transferStatus === 'cancelled' ||
    rec.transferStatus === 'not-found' ||
    (rec.fees ?? []).some((f) => TROUBLE.has(f.status))
  );
}
