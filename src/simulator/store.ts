/** In-memory state: created transfers, idempotency keys and access tokens. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TransferStatus } from '../dwolla/types.js';
import type { ReturnCode } from './funding-sources.js';
import type { ValidTransfer } from './validate-transfer.js';

export interface StoredTransfer extends ValidTransfer {
  id: string;
  createdMs: number;
  idempotencyKey?: string;
  /** Set when the transfer will fail once it settles (a sandbox R-code source or destination). */
  returnCode?: ReturnCode;
  cancelled: boolean;
}

export interface TransferQuery {
  involves: (t: StoredTransfer) => boolean;
  correlationId?: string;
  status?: string;
}

export class TransferStore {
  private readonly byId = new Map<string, StoredTransfer>();
  private readonly ordered: StoredTransfer[] = [];
  private readonly correlationIds = new Set<string>();
  /** Transfers that will be returned R03, kept apart: funding-source lookups scan them. */
  private readonly r03Transfers: StoredTransfer[] = [];
  duplicatesByCorrelationId = 0;

  constructor(private readonly processingMs: number) {}

  create(valid: ValidTransfer, createdMs: number, idempotencyKey: string | undefined): StoredTransfer {
    const transfer: StoredTransfer = {
      ...valid,
      id: randomUUID(),
      createdMs,
      idempotencyKey,
      returnCode: valid.source.returnCode ?? valid.destination.returnCode,
      cancelled: false,
    };
    this.byId.set(transfer.id, transfer);
    this.ordered.push(transfer);
    if (transfer.returnCode === 'R03') {
      this.r03Transfers.push(transfer);
    }
    if (transfer.correlationId !== undefined) {
      if (this.correlationIds.has(transfer.correlationId)) {
        this.duplicatesByCorrelationId += 1;
      }
      this.correlationIds.add(transfer.correlationId);
    }
    return transfer;
  }

  get(id: string): StoredTransfer | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** Every transfer, in creation order. */
  all(): readonly StoredTransfer[] {
    return this.ordered;
  }

  /** pending until `processingMs` of simulated time have passed, then processed (or failed with its return code). */
  statusOf(t: StoredTransfer, nowMs: number): TransferStatus {
    if (t.cancelled) {
      return 'cancelled';
    }
    if (nowMs - t.createdMs < this.processingMs) {
      return 'pending';
    }
    return t.returnCode ? 'failed' : 'processed';
  }

  /** Cancels a pending transfer; false when it is no longer pending. */
  cancel(t: StoredTransfer, nowMs: number): boolean {
    if (this.statusOf(t, nowMs) !== 'pending') {
      return false;
    }
    t.cancelled = true;
    return true;
  }

  /** Dwolla removes a bank once an R03 return on it has failed a transfer. */
  removedByReturn(fundingSourceId: string, nowMs: number): boolean {
    return this.r03Transfers.some(
      (t) =>
        [t.source, t.destination].some((fs) => fs.id === fundingSourceId && fs.returnCode === 'R03') &&
        this.statusOf(t, nowMs) === 'failed',
    );
  }

  /** Matching transfers, newest first (as Dwolla lists them). */
  search(q: TransferQuery, nowMs: number): StoredTransfer[] {
    return this.ordered
      .filter(
        (t) =>
          q.involves(t) &&
          (q.correlationId === undefined || t.correlationId === q.correlationId) &&
          (q.status === undefined || this.statusOf(t, nowMs) === q.status),
      )
      .reverse();
  }
}

/** Dwolla forgets an idempotency key 24 hours after its request. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

type KeyEntry = { state: 'processing' } | { state: 'done'; location: string; atMs: number };

export class IdempotencyKeys {
  private readonly entries = new Map<string, KeyEntry>();

  lookup(key: string, nowMs: number): KeyEntry | undefined {
    const entry = this.entries.get(key);
    if (entry?.state === 'done' && nowMs - entry.atMs >= IDEMPOTENCY_KEY_TTL_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  begin(key: string): void {
    this.entries.set(key, { state: 'processing' });
  }

  complete(key: string, location: string, nowMs: number): void {
    this.entries.set(key, { state: 'done', location, atMs: nowMs });
  }

  /** The request failed before creating anything: the key is free again. */
  abandon(key: string): void {
    if (this.entries.get(key)?.state === 'processing') {
      this.entries.delete(key);
    }
  }
}

export type TokenCheck = 'valid' | 'expired' | 'unknown';

export class AccessTokens {
  private readonly expiries = new Map<string, number>();

  issue(nowMs: number, lifetimeSec: number): string {
    const token = randomBytes(36).toString('base64url');
    this.expiries.set(token, nowMs + lifetimeSec * 1000);
    return token;
  }

  check(token: string, nowMs: number): TokenCheck {
    const expiresAt = this.expiries.get(token);
    if (expiresAt === undefined) {
      return 'unknown';
    }
    return nowMs < expiresAt ? 'valid' : 'expired';
  }
}
