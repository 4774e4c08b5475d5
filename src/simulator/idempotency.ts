/**
 * Idempotency keys of `POST /transfers` and of `POST /mass-payments`, one instance each
 * (reference/dwolla-docs/initiate-transfer-idempotency-errors.txt: "Multiple POSTs with the same
 * idempotency key won't result in multiple resources being created"; the mass payment docs say the
 * same of mass payments; Dwolla forgets a key 24 hours after its request). A done key costs nothing
 * of its own: the resource keeps its key (its store indexes it), and the Location is derived from
 * the resource's id.
 */

/** The store of what a key creates: the latest resource created with a key, its id and when. */
interface CreatedWithKey {
  createdWithKey(key: string): { id: string; createdMs: number } | undefined;
}

/** Dwolla forgets an idempotency key 24 hours after its request. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

type KeyEntry = { state: 'processing' } | { state: 'done'; id: string };

export class IdempotencyKeys {
  /** Keys whose first request is being processed. */
  private readonly processing = new Set<string>();

  constructor(private readonly created: CreatedWithKey) {}

  /** `processing`, or `done` with the resource it created within the last 24 hours; else unknown. */
  lookup(key: string, nowMs: number): KeyEntry | undefined {
    if (this.processing.has(key)) {
      return { state: 'processing' };
    }
    const created = this.created.createdWithKey(key);
    return created && nowMs - created.createdMs < IDEMPOTENCY_KEY_TTL_MS
      ? { state: 'done', id: created.id }
      : undefined;
  }

  begin(key: string): void {
    this.processing.add(key);
  }

  /** The key's resource was created (with the key): the key is done. */
  complete(key: string): void {
    this.processing.delete(key);
  }

  /** The request failed before creating anything: the key is free again. */
  abandon(key: string): void {
    this.processing.delete(key);
  }
}
