/**
 * Before the first send, every source funding source of the batch is looked up once: its type
 * (a balance allows one transfer in flight; a bank is debited next-available for Same Day), its
 * owner (whose transfer list a rerun searches by correlationId), and whether it can be used.
 */
import pLimit from 'p-limit';
import type { DwollaClient } from '../dwolla/client.js';
import { DwollaApiError } from '../dwolla/errors.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import type { FundingSourceType } from '../dwolla/types.js';
import { parseCustomerRef } from '../input/dwolla-ids.js';
import type { SendableRow } from '../plan/planner.js';

export interface UsableSource {
  ok: true;
  id: string;
  type: FundingSourceType;
  /** The customer owning it; undefined when it is the account's own. */
  customerId: string | undefined;
}

interface SourceProblem {
  ok: false;
  id: string;
  /**
   * Whose transfers list the source's transfers, when the source could be read (a removed or
   * unverified one): `{customerId: undefined}` for the account's own. Undefined when unknown.
   */
  owner?: { customerId: string | undefined };
  /** Stable code for the results' errorCode. */
  code: 'SourceNotFound' | 'SourceRemoved' | 'SourceUnverified' | 'SourceLookupFailed';
  message: string;
  httpStatus?: number;
}

export type SourceCheck = UsableSource | SourceProblem;

export interface PreflightOptions {
  maxAttempts: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

async function checkSource(client: DwollaClient, id: string, opts: PreflightOptions): Promise<SourceCheck> {
  try {
    const { value: fs } = await withRetries(() => client.getFundingSource(id), opts);
    const customerHref = fs._links.customer?.href;
    const customerId = customerHref ? parseCustomerRef(customerHref) : undefined;
    if (fs.removed) {
      return {
        ok: false,
        id,
        owner: { customerId },
        code: 'SourceRemoved',
        message: `source funding source ${id} is removed`,
      };
    }
    if (fs.status !== 'verified') {
      return {
        ok: false,
        id,
        owner: { customerId },
        code: 'SourceUnverified',
        message: `source funding source ${id} is ${fs.status}`,
      };
    }
    return { ok: true, id, type: fs.type, customerId };
  } catch (err) {
    const { dwollaError: last, summary } = callFailure(err);
    if (last instanceof DwollaApiError && last.httpStatus === 404) {
      return {
        ok: false,
        id,
        code: 'SourceNotFound',
        message: `source funding source ${id} was not found`,
        httpStatus: 404,
      };
    }
    const httpStatus = last instanceof DwollaApiError ? last.httpStatus : undefined;
    return {
      ok: false,
      id,
      code: 'SourceLookupFailed',
      message: `could not look up source ${id}: ${summary}`,
      ...(httpStatus ? { httpStatus } : {}),
    };
  }
}

/** Looks up each distinct source once, a few at a time. */
export async function preflightSources(
  client: DwollaClient,
  ids: Iterable<string>,
  opts: PreflightOptions,
  concurrency = 4,
): Promise<Map<string, SourceCheck>> {
  const limit = pLimit(concurrency);
  const checks = await Promise.all([...new Set(ids)].map((id) => limit(() => checkSource(client, id, opts))));
  return new Map(checks.map((c) => [c.id, c]));
}

/**
 * Why a row fails before it is sent because Dwolla would refuse its metadata: Dwolla refuses
 * metadata on a transfer from a balance (initiate-transfer doc, error table: "Metadata not
 * supported for this type of transfer."). Undefined when the row may be sent.
 */
export function metadataRefusal(row: SendableRow, source: UsableSource): string | undefined {
  if (source.type !== 'balance' || row.payment.metadata.length === 0) {
    return undefined;
  }
  return (
    `Metadata not supported for this type of transfer: Dwolla refuses metadata on a transfer from a balance ` +
    `(source ${source.id}). Drop the metadata columns, or send from a bank source.`
  );
}

/** Whose transfers list a source's transfers: `{customerId: undefined}` for the account's own; undefined when unknown. */
export function ownerOf(source: SourceCheck | undefined): { customerId: string | undefined } | undefined {
  if (source === undefined) {
    return undefined;
  }
  return source.ok ? { customerId: source.customerId } : source.owner;
}
