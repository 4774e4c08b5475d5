import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { type EmbeddedError, SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_IDS, startSimulator } from '../../src/simulator/index.js';
import { findOpenApiSpec, fsUrl, type Reply, Session, specErrorExample, transferBody } from './helpers.js';

type Body = Record<string, unknown>;

describe('simulator: POST /transfers validation', () => {
  let sim: SimulatorHandle;
  let api: Session;
  /** The payee of the valid bodies, and its customer: the party a fee may be charged to. */
  const destinationId = randomUUID();
  let payee = '';
  before(async () => {
    sim = await startSimulator();
    api = await Session.open(sim.url);
    payee = (await api.get(`/funding-sources/${destinationId}`)).body._links.customer.href;
  });
  after(() => sim.close());

  // From the account's bank: a balance source refuses metadata and runs out of money (refusals.test.ts).
  const valid = (overrides: Parameters<typeof transferBody>[1] = {}): Body =>
    transferBody(sim.url, { sourceId: SPECIAL_IDS.accountBank, destinationId, ...overrides }) as unknown as Body;
  const fee = (value: string, chargeTo = payee) => ({
    _links: { 'charge-to': { href: chargeTo } },
    amount: { value, currency: 'USD' },
  });

  /** Posts the body; expects a 400 ValidationError that creates nothing; returns its embedded errors. */
  async function refused(body: unknown): Promise<EmbeddedError[]> {
    const before = sim.stats().transfersCreated;
    const r: Reply = await api.createTransfer(body);
    expect(r.status, JSON.stringify(r.body)).to.equal(400);
    expect(r.body.code).to.equal('ValidationError');
    expect(r.body.message).to.equal('Validation error(s) present. See embedded errors list for more details.');
    expect(sim.stats().transfersCreated).to.equal(before);
    return r.body._embedded.errors as EmbeddedError[];
  }

  async function refusedWith(body: unknown, code: string, path: string): Promise<EmbeddedError> {
    const errors = await refused(body);
    const match = errors.find((e) => e.code === code && e.path === path);
    expect(match, `expected ${code} at ${path} in ${JSON.stringify(errors)}`).to.not.equal(undefined);
    return match as EmbeddedError;
  }

  async function accepted(body: unknown): Promise<void> {
    const r = await api.createTransfer(body);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  }

  it('accepts a body using every optional field', async () => {
    await accepted(
      valid({
        metadata: { paymentId: 'p-1', note: 'June' },
        correlationId: 'a.B_c-1',
        fees: [fee('2.00')],
        clearing: { source: 'standard', destination: 'next-available' },
        achDetails: {
          source: { addenda: { values: ['ABC123_AddendaValue'] } },
          destination: { addenda: { values: ['ZYX987'] } },
        },
      }),
    );
  });

  it('malformed JSON is 400 BadRequest', async () => {
    const r = await api.createTransfer('{"_links": ');
    expect(r.status).to.equal(400);
    expect(r.body).to.deep.equal({
      code: 'BadRequest',
      message: 'The request body contains bad syntax or is incomplete.',
    });
  });

  describe('_links', () => {
    it('source and destination are required', async () => {
      const errors = await refused({ amount: { value: '1.00', currency: 'USD' } });
      expect(errors.map((e) => [e.code, e.path])).to.deep.include.members([
        ['Required', '/_links/source/href'],
        ['Required', '/_links/destination/href'],
      ]);
    });

    it('a source that is not a funding-source URL: Invalid "Funding source not found."', async () => {
      const body = valid();
      (body._links as Body).source = { href: SIMULATOR.defaultSourceId };
      const e = await refusedWith(body, 'Invalid', '/_links/source/href');
      expect(e.message).to.equal('Funding source not found.');
    });

    it('a destination that is not a funding-source URL: Invalid "Receiver not found."', async () => {
      const body = valid();
      (body._links as Body).destination = { href: `${sim.url}/customers/${randomUUID()}` };
      const e = await refusedWith(body, 'Invalid', '/_links/destination/href');
      expect(e.message).to.equal('Receiver not found.');
    });

    it('removed or unverified sources: Invalid "Invalid funding source."', async () => {
      for (const sourceId of [SPECIAL_IDS.removedBank, SPECIAL_IDS.unverifiedBank]) {
        const e = await refusedWith(valid({ sourceId }), 'Invalid', '/_links/source/href');
        expect(e.message).to.equal('Invalid funding source.');
      }
    });

    it('a removed destination is refused; an unverified one is accepted', async () => {
      const e = await refusedWith(
        valid({ destinationId: SPECIAL_IDS.removedBank }),
        'Invalid',
        '/_links/destination/href',
      );
      expect(e.message).to.equal('Invalid destination funding source.');
      await accepted(valid({ destinationId: SPECIAL_IDS.unverifiedBank }));
    });

    it('the same funding source as source and destination is refused', async () => {
      const id = randomUUID();
      await refusedWith(valid({ sourceId: id, destinationId: id }), 'Invalid', '/_links/destination/href');
    });
  });

  describe('amount', () => {
    it('value and currency are required', async () => {
      const errors = await refused({ ...valid(), amount: {} });
      expect(errors.map((e) => [e.code, e.path])).to.deep.include.members([
        ['Required', '/amount/value'],
        ['Required', '/amount/currency'],
      ]);
    });

    for (const value of ['abc', '-1.00', '1,000.00', '1e3', '0.00', '0', '$5']) {
      it(`${JSON.stringify(value)} is InvalidFormat at /amount/value`, async () => {
        const e = await refusedWith(
          { ...valid(), amount: { value, currency: 'USD' } },
          'InvalidFormat',
          '/amount/value',
        );
        expect(e.message).to.equal('Invalid amount. The supplied amount must be a positive number.');
      });
    }

    it('a number instead of a string is InvalidFormat', async () => {
      await refusedWith({ ...valid(), amount: { value: 5, currency: 'USD' } }, 'InvalidFormat', '/amount/value');
    });

    it('0.01 is the minimum; more than two decimals are rounded half to even, as Dwolla documents', async () => {
      await accepted({ ...valid(), amount: { value: '0.01', currency: 'USD' } });
      await refusedWith({ ...valid(), amount: { value: '0.004', currency: 'USD' } }, 'InvalidFormat', '/amount/value');
      await accepted({ ...valid({ correlationId: 'round-1' }), amount: { value: '10.125', currency: 'USD' } });
      await accepted({ ...valid({ correlationId: 'round-2' }), amount: { value: '10.135', currency: 'USD' } });
      const byCorrelation = (c: string) => sim.transfers().find((t) => t.correlationId === c)?.amount.value;
      expect(byCorrelation('round-1')).to.equal('10.12');
      expect(byCorrelation('round-2')).to.equal('10.14');
    });

    it('a currency other than USD is Invalid at /amount/currency', async () => {
      await refusedWith({ ...valid(), amount: { value: '1.00', currency: 'EUR' } }, 'Invalid', '/amount/currency');
    });
  });

  describe('metadata', () => {
    const pairs = (n: number, len = 3) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`.padEnd(len, 'k'), 'v']));

    it('10 pairs are accepted, 11 are Invalid at /metadata', async () => {
      await accepted(valid({ metadata: pairs(10) }));
      const e = await refusedWith(valid({ metadata: pairs(11) }), 'Invalid', '/metadata');
      expect(e.message).to.equal('Invalid metadata.');
    });

    it('keys and values must be under 255 characters', async () => {
      await accepted(valid({ metadata: { ['k'.repeat(254)]: 'v'.repeat(254) } }));
      await refusedWith(valid({ metadata: { ['k'.repeat(255)]: 'v' } }), 'Invalid', '/metadata');
      await refusedWith(valid({ metadata: { k: 'v'.repeat(255) } }), 'Invalid', '/metadata');
    });

    it('nested objects are refused', async () => {
      await refusedWith({ ...valid(), metadata: { k: { nested: 'x' } } }, 'Invalid', '/metadata');
      await refusedWith({ ...valid(), metadata: ['a'] }, 'Invalid', '/metadata');
    });
  });

  describe('correlationId', () => {
    it('255 characters of A-Za-z0-9._- are accepted', async () => {
      await accepted(valid({ correlationId: 'a'.repeat(255) }));
      await accepted(valid({ correlationId: 'Az09._-' }));
    });

    for (const [label, value] of [
      ['256 characters', 'a'.repeat(256)],
      ['empty', ''],
      ['a space', 'a b'],
      ['a #', 'a#b'],
      ['a number', 42],
    ] as const) {
      it(`${label} is InvalidFormat at /correlationId`, async () => {
        await refusedWith({ ...valid(), correlationId: value }, 'InvalidFormat', '/correlationId');
      });
    }
  });

  describe('fees', () => {
    it('up to 50% of the amount is accepted; one cent more is "Facilitator fee sum too large."', async () => {
      await accepted(valid({ fees: [fee('3.00'), fee('2.00')] }));
      const e = await refusedWith(valid({ fees: [fee('3.00'), fee('2.01')] }), 'Invalid', '');
      expect(e.message).to.equal('Facilitator fee sum too large.');
    });

    it('a fee under 0.01 is "Facilitator fee below minimum."', async () => {
      const e = await refusedWith(valid({ fees: [fee('0.00')] }), 'Invalid', '');
      expect(e.message).to.equal('Facilitator fee below minimum.');
    });

    it('a fee without a customer charge-to is "Facilitator fee account not found."', async () => {
      const e = await refusedWith(valid({ fees: [fee('1.00', 'not-a-url')] }), 'Invalid', '');
      expect(e.message).to.equal('Facilitator fee account not found.');
      const missing = { ...valid(), fees: [{ amount: { value: '1.00', currency: 'USD' } }] };
      await refusedWith(missing, 'Invalid', '');
    });

    it('a malformed fee amount is "Invalid facilitator fee amount."', async () => {
      const e = await refused(valid({ fees: [fee('x')] }));
      expect(e.map((x) => x.message)).to.include('Invalid facilitator fee amount.');
    });
  });

  describe('achDetails addenda', () => {
    const addenda = (side: 'source' | 'destination', values: unknown) => ({
      ...valid(),
      achDetails: { [side]: { addenda: { values } } },
    });

    it('80 characters of the allowed set are accepted', async () => {
      await accepted(addenda('destination', ['a'.repeat(80)]));
      await accepted(addenda('source', ["AZaz09 -_.~!*'();:@&=+$,/?%#[]"]));
    });

    for (const side of ['source', 'destination'] as const) {
      it(`${side}: 81 characters or a character outside the set is InvalidFormat`, async () => {
        const path = `/achDetails/${side}/addenda/values`;
        const e = await refusedWith(addenda(side, ['a'.repeat(81)]), 'InvalidFormat', path);
        expect(e.message).to.equal('Ach addenda entries can be up to 80 characters when supplied.');
        await refusedWith(addenda(side, ['caf\u00e9']), 'InvalidFormat', path);
        await refusedWith(addenda(side, ['a"b']), 'InvalidFormat', path);
      });

      it(`${side}: values must be an array of exactly one string`, async () => {
        const path = `/achDetails/${side}/addenda/values`;
        await refusedWith(addenda(side, ['a', 'b']), 'Invalid', path);
        await refusedWith(addenda(side, []), 'Invalid', path);
        await refusedWith(addenda(side, 'a'), 'Invalid', path);
      });
    }
  });

  describe('clearing', () => {
    it('source: standard or next-available; destination: next-available only', async () => {
      await accepted(valid({ clearing: { source: 'next-available', destination: 'next-available' } }));
      await refusedWith({ ...valid(), clearing: { source: 'same-day' } }, 'Invalid', '/clearing/source');
      await refusedWith({ ...valid(), clearing: { destination: 'standard' } }, 'Invalid', '/clearing/destination');
    });

    it('Same Day above $1,000,000.00 is Restricted at /amount/value', async () => {
      const sameDay = (value: string): Body => ({
        ...valid({ clearing: { destination: 'next-available' } }),
        amount: { value, currency: 'USD' },
      });
      await accepted(sameDay('1000000.00'));
      await refusedWith(sameDay('1000000.01'), 'Restricted', '/amount/value');
    });
  });

  it('names every broken rule at once', async () => {
    const errors = await refused({
      _links: { source: { href: fsUrl(sim.url, SIMULATOR.defaultSourceId) } },
      amount: { value: 'x', currency: 'USD' },
      correlationId: 'bad id',
      metadata: { a: {} },
    });
    expect(errors.map((e) => e.path)).to.include.members([
      '/_links/destination/href',
      '/amount/value',
      '/correlationId',
      '/metadata',
    ]);
  });

  describe('codes, messages and paths match the 400 examples of Dwolla’s OpenAPI spec', () => {
    const cases: Array<[schema: string, body: () => unknown]> = [
      [
        'SourceNotFoundError',
        () => ({ ...valid(), _links: { ...(valid()._links as Body), source: { href: 'nope' } } }),
      ],
      [
        'ReceiverNotFoundError',
        () => ({ ...valid(), _links: { ...(valid()._links as Body), destination: { href: 'nope' } } }),
      ],
      ['InvalidSourceFundingSourceError', () => valid({ sourceId: SPECIAL_IDS.unverifiedBank })],
      ['InvalidDestinationFundingSourceError', () => valid({ destinationId: SPECIAL_IDS.removedBank })],
      [
        'SourceSameAsDestinationError',
        () => valid({ sourceId: SPECIAL_IDS.accountBank, destinationId: SPECIAL_IDS.accountBank }),
      ],
      ['InvalidMetadataError', () => ({ ...valid(), metadata: { a: { b: 'c' } } })],
      ['CannotParseAmountError', () => ({ ...valid(), amount: { value: 'ten', currency: 'USD' } })],
      ['FacilitatorFeeAccountNotFoundError', () => valid({ fees: [fee('1.00', 'nope')] })],
      ['FacilitatorFeeSumTooLargeError', () => valid({ fees: [fee('5.01')] })],
      ['FacilitatorFeeBelowMinimumError', () => valid({ fees: [fee('0.00')] })],
      ['InvalidFacilitatorFeeAmountError', () => valid({ fees: [fee('x')] })],
      [
        'InvalidAmountForDestinationClearingTypeError',
        () => ({
          ...valid({ clearing: { destination: 'next-available' } }),
          amount: { value: '2000000.00', currency: 'USD' },
        }),
      ],
      ['InvalidCorrelationIdError', () => valid({ correlationId: 'x'.repeat(256) })],
      [
        'SourceAddendaMaxLengthError',
        () => ({ ...valid(), achDetails: { source: { addenda: { values: ['x'.repeat(81)] } } } }),
      ],
      [
        'DestinationAddendaMaxLengthError',
        () => ({ ...valid(), achDetails: { destination: { addenda: { values: ['x'.repeat(81)] } } } }),
      ],
    ];

    let specText = '';
    before(function () {
      const path = findOpenApiSpec();
      if (!path) {
        this.skip(); // set DWOLLA_OPENAPI to the spec's path to run these
      }
      specText = readFileSync(path as string, 'utf8');
    });

    it('POST /transfers lists every schema checked here among its 400 answers', () => {
      const post = specText.slice(specText.indexOf('\n  /transfers:\n'), specText.indexOf('\n  /transfers/{id}:\n'));
      for (const [schema] of cases) {
        expect(post, schema).to.contain(`#/components/schemas/${schema}'`);
      }
    });

    for (const [schema, body] of cases) {
      it(schema, async () => {
        const example = specErrorExample(specText, schema);
        expect(example.embedded, `${schema} has no embedded example`).to.not.equal(undefined);
        const errors = await refused(body());
        expect(errors, JSON.stringify(errors)).to.deep.include({ ...example.embedded, _links: {} });
      });
    }
  });
});
