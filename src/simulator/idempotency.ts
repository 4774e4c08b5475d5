/**
 * Idempotency keys of `POST /transfers` (reference/dwolla-docs/initiate-transfer-idempotency-errors.txt:
 * "Multiple POSTs with the same idempotency key won't result in multiple resources being created";
 * Dwolla forgets a key 24 hours after its request). A done key costs nothing of its own: the transfer keeps its key (the store indexes
 * it), and the Location is derived from the transfer's id.
 */
import type { TransferStore } from './store.js';

/** Dwolla forgets an idempotency key 24 hours after its request. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

type KeyEntry = { state: 'processing' } | { state: 'done'; transferId: string };

export class IdempotencyKeys {
  /** Keys whose first request is being processed. */
  private readonly processing = new Set<string>();

  constructor(private readonly transfers: TransferStore) {}

  /** `processing`, or `done` with the transfer it created within the last 24 hours; else unknown. */
  lookup(key: string, nowMs: number): KeyEntry | undefined {
    if (this.processing.has(key)) {
      return { state: 'processing' };
    }
    const created = this.transfers.createdWithKey(key);
    return created && nowMs - created.createdMs < IDEMPOTENCY_KEY_TTL_MS
      ? { state: 'done', transferId: created.id }
      : undefined;
  }

  begin(key: string): void {
    this.processing.add(key);
  }

  /** The key's transfer was created (with the key): the key is done. */
  complete(key: string): void {
    this.processing.delete(key);
  }

  /** The request failed before creating anything: the key is free again. */
  abandon(key: string): void {
    this.processing.delete(key);
  }
}
