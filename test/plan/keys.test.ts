import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { CURRENT_KEY_VERSION, canonicalContent, idempotencyKey, type KeyVersion } from '../../src/plan/keys.js';
import type { ValidRow } from '../../src/plan/planner.js';
import { planCsv, UUIDS } from '../helpers.js';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function keysOf(text: string, settings = {}): Promise<string[]> {
  const rows = await planCsv(text, settings);
  return rows.map((r) => {
    if (r.status !== 'valid') {
      throw new Error(`row ${r.line} ${r.status}: ${r.status === 'invalid' ? r.errors.join('; ') : r.message}`);
    }
    return r.key;
  });
}

describe('idempotency keys', () => {
  // Computed independently (python hashlib): sha256 of the JSON text, first 16 bytes, version
  // nibble 8, variant 10.
  it('known answer (v2): a paymentId key is the same in every batch', () => {
    expect(CURRENT_KEY_VERSION).to.equal('v2');
    // sha256('["payouts/v2","paymentId","PAY-0001"]')
    const expected = '6da2c8ec-362f-8ffa-ad17-c0c499484312';
    expect(idempotencyKey('payroll-2026-11', { kind: 'paymentId', paymentId: 'PAY-0001' })).to.equal(expected);
    expect(idempotencyKey('payroll-2026-12', { kind: 'paymentId', paymentId: 'PAY-0001' })).to.equal(expected);
  });

  it('known answer (v1): batches journalled with v1 keep their keys', () => {
    // sha256('["payouts/v1","payroll-2026-11","paymentId","PAY-0001"]')
    expect(idempotencyKey('payroll-2026-11', { kind: 'paymentId', paymentId: 'PAY-0001' }, 'v1')).to.equal(
      '7c920f9f-cefb-8722-a7b6-89aab2019e04',
    );
  });

  it('v2 content leaves the source out; v1 keeps it', () => {
    const fields = { sourceId: UUIDS.source, destinationId: UUIDS.a, amountCents: 1050, currency: 'USD', metadata: [] };
    expect(canonicalContent(fields)).to.equal(`["${UUIDS.a}",1050,"USD",[],null,null,null,null]`);
    expect(canonicalContent(fields, 'v1')).to.equal(
      `["${UUIDS.source}","${UUIDS.a}",1050,"USD",[],null,null,null,null]`,
    );
  });

  it('known answer for a content identity', () => {
    const canonical = canonicalContent({
      sourceId: UUIDS.source,
      destinationId: UUIDS.a,
      amountCents: 1050,
      currency: 'USD',
      metadata: [
        ['b', '2'],
        ['a', '1'],
      ],
    });
    expect(canonical).to.equal(`["${UUIDS.a}",1050,"USD",[["a","1"],["b","2"]],null,null,null,null]`);
    expect(idempotencyKey('payroll-2026-11', { kind: 'content', canonical, occurrence: 1 })).to.match(UUID_V8);
  });

  it('content keys hash the JSON array of their parts (v1 and v2), whatever the canonical text holds', () => {
    const sha = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');
    const canonical = `["${UUIDS.a}",1050,"USD",[["a","q\\"uote \\u00e9 😀"]],null,null,null,null]`;
    for (const version of ['v1', 'v2'] as const) {
      for (const [batchId, occurrence] of [
        ['payroll-2026-11', 1],
        ['b "quoted" \\ batch', 12],
      ] as const) {
        const hex = sha([`payouts/${version}`, batchId, 'content', canonical, occurrence]);
        const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
        expect(idempotencyKey(batchId, { kind: 'content', canonical, occurrence }, version)).to.equal(expected);
      }
    }
    const paymentId = 'P "1" é';
    const hex = sha(['payouts/v1', 'b1', 'paymentId', paymentId]);
    expect(idempotencyKey('b1', { kind: 'paymentId', paymentId }, 'v1').replaceAll('-', '').slice(0, 12)).to.equal(
      hex.slice(0, 12),
    );
  });

  it("the planner's keys are the keys of the rows' identities, copies counted with --allow-duplicates", async () => {
    const text = `paymentId,destination,amount\nP1,${UUIDS.a},1.00\n,${UUIDS.b},2.00\n,${UUIDS.b},2.00\n`;
    for (const keyVersion of ['v1', 'v2'] as const) {
      const rows = (await planCsv(text, { batchId: 'b1', keyVersion, allowDuplicates: true })) as ValidRow[];
      const canonical = canonicalContent(rows[1]!.payment, keyVersion);
      expect(rows.map((r) => r.key)).to.deep.equal([
        idempotencyKey('b1', { kind: 'paymentId', paymentId: 'P1' }, keyVersion),
        idempotencyKey('b1', { kind: 'content', canonical, occurrence: 1 }, keyVersion),
        idempotencyKey('b1', { kind: 'content', canonical, occurrence: 2 }, keyVersion),
      ]);
    }
  });

  it('is a version-8 UUID', async () => {
    const [key] = await keysOf(`destination,amount\n${UUIDS.a},1.00\n`);
    expect(key).to.match(UUID_V8);
  });

  it('is stable across runs, row order, blank lines and extra columns', async () => {
    const a = await keysOf(`paymentId,destination,amount\nP1,${UUIDS.a},1.00\nP2,${UUIDS.b},2.00\n,${UUIDS.c},3.00\n`);
    const again = await keysOf(
      `paymentId,destination,amount\nP1,${UUIDS.a},1.00\nP2,${UUIDS.b},2.00\n,${UUIDS.c},3.00\n`,
    );
    const reordered = await keysOf(
      `amount,name,destination,paymentId,notes\r\n\r\n3.00,Carol,${UUIDS.c},,x\r\n2.00,Bob,${UUIDS.b},P2,y\r\n\r\n1.00,Al,${UUIDS.a},P1,z\r\n`,
    );
    expect(again).to.deep.equal(a);
    expect(reordered).to.deep.equal([a[2], a[1], a[0]]);
  });

  it('is not changed by the clearing column or the case of the destination UUID', async () => {
    const [a] = await keysOf(`destination,amount\n${UUIDS.a},1.00\n`);
    const [b] = await keysOf(`destination,amount,clearing\n${UUIDS.a.toUpperCase()},1.00,standard\n`);
    expect(b).to.equal(a);
  });

  it('a URL and a bare UUID of the same funding source give the same key', async () => {
    const [a] = await keysOf(`destination,amount\n${UUIDS.a},1.00\n`);
    const [b] = await keysOf(`destination,amount\nhttps://api-sandbox.dwolla.com/funding-sources/${UUIDS.a},1.00\n`);
    expect(b).to.equal(a);
  });

  it('is made of cents: $1,234.56 and 1234.56 are the same payment, with or without a paymentId', async () => {
    const plain = await keysOf(`paymentId,destination,amount\n,${UUIDS.a},1234.56\nP1,${UUIDS.b},.75\n`);
    const sheet = await keysOf(`paymentId,destination,amount\n,${UUIDS.a},"$1,234.56"\nP1,${UUIDS.b},$0.75\n`);
    expect(sheet).to.deep.equal(plain);
    // Within one file they are identical rows: a copy-paste double payment, whatever the format.
    const rows = await planCsv(`destination,amount\n${UUIDS.a},1234.56\n${UUIDS.a},"$1,234.56"\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'invalid']);
  });

  it('is not changed by a total row at the end of the file', async () => {
    const body = `name,destination,amount\nAl,${UUIDS.a},10.00\nBo,${UUIDS.b},20.00\n`;
    const without = await keysOf(body);
    const rows = await planCsv(`${body}Total,,30.00\n`);
    expect(rows.map((r) => r.status)).to.deep.equal(['valid', 'valid', 'total']);
    expect(rows.slice(0, 2).map((r) => (r as ValidRow).key)).to.deep.equal(without);
  });

  it('is not changed by the source: the same payment whichever source funds it', async () => {
    const [a] = await keysOf(`destination,amount,source\n${UUIDS.a},1.00,${UUIDS.source}\n`);
    const [b] = await keysOf(`destination,amount,source\n${UUIDS.a},1.00,${UUIDS.c}\n`);
    const [c] = await keysOf(`destination,amount\n${UUIDS.a},1.00\n`);
    expect(b).to.equal(a);
    expect(c).to.equal(a);
  });

  it('is changed by any sent field of a row without paymentId, the source aside', async () => {
    const base = {
      destination: UUIDS.a,
      amount: '1.00',
      source: '',
      'metadata.n': 'x',
      feeAmount: '',
      feeChargeTo: '',
      sourceAddenda: '',
      destinationAddenda: '',
      correlationId: '',
    };
    const variants: Array<Partial<typeof base>> = [
      {},
      { destination: UUIDS.b },
      { amount: '1.01' },
      { 'metadata.n': 'y' },
      { feeAmount: '0.10', feeChargeTo: UUIDS.customer },
      { sourceAddenda: 'A' },
      { destinationAddenda: 'B' },
      { correlationId: 'corr-1' },
    ];
    const columns = Object.keys(base);
    const keys: string[] = [];
    for (const v of variants) {
      const row = { ...base, ...v };
      const [key] = await keysOf(`${columns.join(',')}\n${columns.map((c) => row[c as keyof typeof row]).join(',')}\n`);
      keys.push(key!);
    }
    expect(new Set(keys).size).to.equal(variants.length);
  });

  it('a content row depends on the batch id; a paymentId row does not', async () => {
    const content = `destination,amount\n${UUIDS.a},1.00\n`;
    expect((await keysOf(content, { batchId: 'one' }))[0]).not.to.equal((await keysOf(content, { batchId: 'two' }))[0]);
    const withId = `paymentId,destination,amount\nP1,${UUIDS.a},1.00\n`;
    expect((await keysOf(withId, { batchId: 'one' }))[0]).to.equal((await keysOf(withId, { batchId: 'two' }))[0]);
  });

  it('a v1 batch plans with its v1 keys', async () => {
    const text = `paymentId,destination,amount\nPAY-0001,${UUIDS.a},1.00\n`;
    const [key] = await keysOf(text, { batchId: 'payroll-2026-11', keyVersion: 'v1' });
    expect(key).to.equal('7c920f9f-cefb-8722-a7b6-89aab2019e04');
  });

  it('with paymentId, only the paymentId matters', async () => {
    const [a] = await keysOf(`paymentId,destination,amount\nP1,${UUIDS.a},1.00\n`);
    const [b] = await keysOf(`paymentId,destination,amount\nP1,${UUIDS.b},9.00\n`);
    expect(b).to.equal(a);
  });

  it('differs for the 2nd and 3rd identical row, and is stable for each', async () => {
    const text = `destination,amount\n${UUIDS.a},1.00\n${UUIDS.a},1.00\n${UUIDS.a},1.00\n`;
    const a = await keysOf(text, { allowDuplicates: true });
    expect(new Set(a).size).to.equal(3);
    expect(await keysOf(text, { allowDuplicates: true })).to.deep.equal(a);
    const [single] = await keysOf(`destination,amount\n${UUIDS.a},1.00\n`);
    expect(a[0]).to.equal(single);
  });

  it('defaulted correlationId is the key; a row of its own keeps its own', async () => {
    const rows = (await planCsv(
      `destination,amount,correlationId\n${UUIDS.a},1.00,\n${UUIDS.b},1.00,mine\n`,
    )) as ValidRow[];
    expect(rows[0]!.correlationId).to.equal(rows[0]!.key);
    expect(rows[1]!.correlationId).to.equal('mine');
  });
});

describe('canonicalContent: written out, the same text as JSON.stringify of its fields', () => {
  it('for random fields, in v1 and v2', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('a"b', 'c\\d', 'e\nf', 'é', '\ud800'));
    const fields = fc.record({
      sourceId: fc.option(text, { nil: undefined }),
      destinationId: text,
      amountCents: fc.integer({ min: 1, max: 10 ** 12 }),
      currency: text,
      metadata: fc.array(fc.tuple(text, text), { maxLength: 4 }),
      fee: fc.option(fc.record({ cents: fc.integer({ min: 1, max: 10 ** 9 }), chargeToId: text }), { nil: undefined }),
      sourceAddenda: fc.option(text, { nil: undefined }),
      destinationAddenda: fc.option(text, { nil: undefined }),
      correlationId: fc.option(text, { nil: undefined }),
    });
    fc.assert(
      fc.property(fields, fc.constantFrom<KeyVersion>('v1', 'v2'), (f, version) => {
        const metadata = [...f.metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const expected = JSON.stringify([
          ...(version === 'v1' ? [f.sourceId ?? null] : []),
          f.destinationId,
          f.amountCents,
          f.currency,
          metadata,
          f.fee ? [f.fee.cents, f.fee.chargeToId] : null,
          f.sourceAddenda ?? null,
          f.destinationAddenda ?? null,
          f.correlationId ?? null,
        ]);
        expect(canonicalContent(f, version)).to.equal(expected);
      }),
      { numRuns: 1000, seed: 20261202 },
    );
  });
});
