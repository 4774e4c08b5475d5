/**
 * The TransferStore at a size where its columns span several 65,536-row pages and its indexes
 * have grown many times: every transfer created reads back identical (by id, by Idempotency-Key,
 * by correlationId), with its leg 2 and fee transfers. In process, without HTTP: the HTTP views
 * of the same fields are covered by compact-store.test.ts.
 */
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { findFundingSource, type SimFundingSource } from '../../src/simulator/funding-sources.js';
import { TransferStore } from '../../src/simulator/store.js';
import type { ValidTransfer } from '../../src/simulator/validate-transfer.js';

/** Over 65,536 transfers and well over 65,536 legs: every column spans two pages or more. */
const COUNT = 70_000;
const T0 = Date.parse('2025-03-04T15:00:00Z');

/** JSON with bigints: a field compared as text. */
function text(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
}

function fs(id: string): SimFundingSource {
  return findFundingSource(id, () => false)!;
}

/** A UUID from a number, distinct per (n, tag). */
function uuidOf(n: number, tag: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${tag.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

/** Transfer n: from the balance (1 in 2) or a bank chain; fees, metadata, addenda and clearing by turns. */
function transferOf(n: number): { valid: ValidTransfer; key: string | undefined; createdMs: number } {
  const fromBank = n % 2 === 1;
  const source = fs(fromBank ? uuidOf(1, 0xbacc) : SIMULATOR.defaultSourceId);
  const destination = fs(uuidOf(n, 0xde57));
  const chargeTo = source.owner.kind === 'customer' ? source.owner.id : destination.owner.id;
  const valid: ValidTransfer = {
    source,
    destination,
    amountCents: BigInt(n) * 7919n + 1n + (n % 97 === 0 ? 2n ** 60n : 0n),
    metadata: fromBank && n % 3 === 0 ? { row: String(n), note: `ü${n}` } : undefined,
    correlationId: n % 5 === 0 ? undefined : n % 5 === 1 ? `corr-${n % 1000}` : uuidOf(n, 0xc0),
    clearing: n % 7 === 0 ? { source: 'next-available', destination: 'next-available' } : undefined,
    addenda: n % 11 === 0 ? { destination: `ROW ${n}` } : {},
    fees: fromBank && n % 4 === 1 ? [1n, 2n].slice(0, 1 + (n % 3)).map((c) => ({ chargeTo, amountCents: c })) : [],
  };
  const key = n % 6 === 0 ? undefined : n % 6 === 1 ? `Key ${n}` : uuidOf(n, 0x1de);
  return { valid, key, createdMs: T0 + n * 1000 };
}

describe('simulator: TransferStore over several pages', () => {
  const store = new TransferStore(undefined, { credit: () => undefined });
  const ids: string[] = [];

  before(function () {
    this.timeout(120_000);
    for (let n = 0; n < COUNT; n += 1) {
      const { valid, key, createdMs } = transferOf(n);
      ids.push(store.create(valid, createdMs, key));
    }
  });

  /** What differs between transfer n as read back and as created (field names), with its legs. */
  function differences(n: number): string[] {
    const { valid, key, createdMs } = transferOf(n);
    const t = store.view(store.find(ids[n]!.toUpperCase()) ?? -1);
    if (t.kind !== 'created') {
      return ['kind'];
    }
    const expected = { ...valid, id: ids[n], status: 'pending', createdMs, idempotencyKey: key };
    const fields = Object.keys(expected) as Array<keyof typeof expected>;
    const wrong: string[] = fields.filter((f) => text(t[f]) !== text(expected[f]));
    if ((t.funded !== undefined) !== (n % 2 === 1)) {
      wrong.push('funded');
    }
    const legs = [...(t.funded ? [t.funded] : []), ...t.feeTransfers].map((leg) =>
      store.view(store.find(leg.id) ?? -1),
    );
    if (legs.some((leg) => leg.kind === 'created' || leg.origin.id !== ids[n] || leg.createdMs !== createdMs)) {
      wrong.push('legs');
    }
    const feeCents = legs.filter((leg) => leg.kind === 'fee').map((leg) => leg.amountCents);
    if (text(feeCents) !== text(valid.fees.map((f) => f.amountCents))) {
      wrong.push('fee transfers');
    }
    if (key !== undefined && text(store.createdWithKey(key)) !== text({ id: ids[n], createdMs })) {
      wrong.push('by key');
    }
    return wrong;
  }

  it(`reads every one of ${COUNT.toLocaleString('en-US')} transfers back as created, with its leg 2 and fee transfers`, function () {
    this.timeout(120_000);
    expect(store.createdCount).to.equal(COUNT);
    expect(new Set(ids).size).to.equal(COUNT);
    const wrong: string[] = [];
    for (let n = 0; n < COUNT; n += 1) {
      wrong.push(...differences(n).map((field) => `transfer ${n}: ${field}`));
    }
    expect(wrong.slice(0, 20)).to.deep.equal([]);
  });

  it('lists by correlationId exactly the transfers that have it, newest first', () => {
    const everyone = { involves: () => true };
    const withCorr = (c: string) =>
      store.search({ ...everyone, correlationId: c }, T0).map((row) => store.view(row).id);
    const shared = ids.filter((_, n) => n % 1000 === 1).reverse();
    expect(shared.length).to.equal(70);
    expect(withCorr('corr-1')).to.deep.equal(shared);
    expect(withCorr(uuidOf(12_347, 0xc0))).to.deep.equal([ids[12_347]]);
    expect(withCorr(uuidOf(12_345, 0xc0)), 'transfer 12,345 has none').to.deep.equal([]);
    expect(store.duplicatesByCorrelationId, '200 corr-… ids shared by 6,000 transfers').to.equal(COUNT / 5 - 200);
  });
});
