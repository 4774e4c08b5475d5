/**
 * The items of the mass payments Dwolla has not completed yet, by correlationId: a row's transfer
 * does not exist until its mass payment is processed (OpenAPI listMassPaymentItems: an item is
 * `pending` until then, with no `transfer` link), so the lookup of a row before its first send
 * (SPEC rule 2, and a row whose chunk was never recorded here) must also look among them, or a
 * rerun after the batch's state was lost would send again what a pending or deferred mass payment
 * already carries. Read once per source owner and run, only when a lookup needs it:
 * `GET /accounts/{id}/mass-payments` (or a customer's), newest first, back to `since`, and the
 * items of those not `complete` or `cancelled`.
 */
import type { DwollaClient } from '../dwolla/client.js';
import { withRetries } from '../dwolla/retry.js';
import type { MassPayment } from '../dwolla/types.js';

/** Mass payments and items read per page (Dwolla's `limit` is at most 200). */
const PAGE = 200;

export class PendingMassItems {
  private readonly byOwner = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly client: DwollaClient,
    private readonly retries: Parameters<typeof withRetries>[1],
    /** Mass payments created before this (ms) are not read: older ones are another payroll's. */
    private readonly sinceMs: number,
  ) {}

  /** The URL of a mass payment not yet complete with an item of this correlationId, if any. */
  async find(customerId: string | undefined, correlationId: string): Promise<string | undefined> {
    const key = customerId ?? '';
    let index = this.byOwner.get(key);
    if (!index) {
      index = this.load(customerId);
      this.byOwner.set(key, index);
      index.catch(() => this.byOwner.delete(key)); // a failed read is tried again by the next lookup
    }
    return (await index).get(correlationId);
  }

  private async load(customerId: string | undefined): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (let offset = 0; ; offset += PAGE) {
      const query = { limit: PAGE, offset, ...(customerId ? { customerId } : {}) };
      const { value } = await withRetries(() => this.client.listMassPayments(query), this.retries);
      const list = value._embedded['mass-payments'];
      const older = await this.addPage(index, list);
      if (older || list.length < PAGE || offset + PAGE >= value.total) {
        return index;
      }
    }
  }

  /** Adds the items of a page's mass payments not yet complete; true once one is older than `since` (newest first). */
  private async addPage(index: Map<string, string>, list: readonly MassPayment[]): Promise<boolean> {
    for (const mp of list) {
      if (Date.parse(mp.created) < this.sinceMs) {
        return true;
      }
      if (mp.status !== 'complete' && mp.status !== 'cancelled') {
        await this.addItems(index, mp._links.self?.href ?? this.client.massPaymentUrl(mp.id));
      }
    }
    return false;
  }

  private async addItems(index: Map<string, string>, url: string): Promise<void> {
    for (let offset = 0; ; offset += PAGE) {
      const { value } = await withRetries(
        () => this.client.listMassPaymentItems(url, { limit: PAGE, offset }),
        this.retries,
      );
      for (const item of value._embedded.items) {
        if (item.correlationId) {
          index.set(item.correlationId, url);
        }
      }
      if (value._embedded.items.length < PAGE || offset + PAGE >= value.total) {
        return;
      }
    }
  }
}
