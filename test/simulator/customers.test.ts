/**
 * The simulator's customers by email, against Dwolla's OpenAPI operations listAndSearchCustomers
 * (`GET /customers`: email, search, status, limit, offset), getCustomer and
 * listCustomerFundingSources (`removed`), and their funding sources as getFundingSource and
 * initiateTransfer know them. Plain HTTP, and one scenario through Dwolla's Node SDK.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { SIMULATOR } from '../../src/dwolla/types.js';
import { type SimulatorHandle, SPECIAL_EMAILS, startSimulator } from '../../src/simulator/index.js';
import { findOpenApiSpec, fsUrl, type Reply, Session, specErrorExample, transferBody } from './helpers.js';

interface Listed {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  type: string;
  status: string;
  created: string;
  _links: Record<string, { href: string }>;
}

interface ListedSource {
  id: string;
  name: string;
  type: string;
  status: string;
  removed: boolean;
  bankAccountType?: string;
  _links: Record<string, { href: string }>;
}

/** The `example:` of the 404 of an operation that is written in the operation itself (not a component). */
function operation404Example(spec: string, operationId: string): { code: string; message: string } {
  const from = spec.indexOf(`operationId: ${operationId}\n`);
  const at404 = spec.indexOf("'404':", from);
  const [code, message] = [...spec.slice(at404, at404 + 800).matchAll(/example: (.*)/g)].map((m) => m[1]!.trim());
  return { code: code ?? '', message: message ?? '' };
}

describe('simulator: customers by email (GET /customers, /customers/{id}, /customers/{id}/funding-sources)', () => {
  let sim: SimulatorHandle;
  let api: Session;

  beforeEach(async () => {
    sim = await startSimulator({ port: 0 });
    api = await Session.open(sim.url);
  });
  afterEach(() => sim.close());

  async function customersOf(email: string): Promise<Listed[]> {
    const r = await api.get(`/customers?email=${encodeURIComponent(email)}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.total).to.equal(r.body._embedded.customers.length);
    return r.body._embedded.customers;
  }

  async function sourcesOf(customer: Listed, query = ''): Promise<ListedSource[]> {
    const r = await api.get(`/customers/${customer.id}/funding-sources${query}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.total).to.equal(r.body._embedded['funding-sources'].length);
    expect(r.body._links.customer.href).to.equal(`${sim.url}/customers/${customer.id}`);
    return r.body._embedded['funding-sources'];
  }

  const summary = (fs: ListedSource[]) => fs.map((s) => `${s.name}:${s.type}:${s.status}:${s.removed}`);

  it('an email finds one unverified customer named from the part before @, the same for any case of the email', async () => {
    const [alice] = await customersOf('alice.smith@example.com');
    expect(alice).to.include({
      firstName: 'Alice',
      lastName: 'Smith',
      email: 'alice.smith@example.com',
      type: 'unverified',
      status: 'unverified',
    });
    // OpenAPI BaseCustomer's required fields, and HAL links.
    expect(alice).to.have.all.keys('_links', 'id', 'firstName', 'lastName', 'email', 'type', 'status', 'created');
    expect(alice!._links.self!.href).to.equal(`${sim.url}/customers/${alice!.id}`);
    expect(alice!._links['funding-sources']!.href).to.equal(`${sim.url}/customers/${alice!.id}/funding-sources`);
    const again = await customersOf('  Alice.Smith@EXAMPLE.com ');
    expect(again.map((c) => c.id)).to.deep.equal([alice!.id]);
    const other = await customersOf('bob@example.com');
    expect(other[0]!.id).to.not.equal(alice!.id);
    expect(other[0]).to.include({ firstName: 'Bob', lastName: '' });
  });

  it('GET /customers/{id} shows a listed customer; an id never listed is 404 "Customer not found." (OpenAPI getCustomer)', async () => {
    const [alice] = await customersOf('alice@example.com');
    const r = await api.get(`/customers/${alice!.id}`);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal(alice);

    const spec = findOpenApiSpec();
    const unknown = await api.get('/customers/6f1c8a0e-5b6d-4e2f-9a7b-1c2d3e4f5a6b');
    const sources = await api.get('/customers/6f1c8a0e-5b6d-4e2f-9a7b-1c2d3e4f5a6b/funding-sources');
    for (const answer of [unknown, sources]) {
      expect(answer.status).to.equal(404);
      expect(answer.body).to.deep.equal({ code: 'NotFound', message: 'Customer not found.' });
    }
    if (spec) {
      const text = readFileSync(spec, 'utf8');
      // Dwolla's error code (schema NotFoundError), the operations' own 404 message.
      expect(unknown.body.code).to.equal(specErrorExample(text, 'NotFoundError').code);
      expect(unknown.body.message).to.equal(operation404Example(text, 'getCustomer').message);
      expect(sources.body.message).to.equal(operation404Example(text, 'listCustomerFundingSources').message);
    }
  });

  it("a customer's one verified checking account is the funding source GET /funding-sources/{id} and POST /transfers know", async () => {
    const [pat] = await customersOf('pat.lee@example.com');
    const [bank] = await sourcesOf(pat!, '?removed=false');
    expect(bank).to.include({ name: 'Checking', type: 'bank', status: 'verified', removed: false });
    expect(bank!.bankAccountType).to.equal('checking');
    const read = await api.get(`/funding-sources/${bank!.id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal(bank);
    expect(read.body._links.customer.href).to.equal(`${sim.url}/customers/${pat!.id}`);

    // The payee's customer is a party to a transfer to that bank: a fee may be charged to it.
    const created = await api.createTransfer(
      transferBody(sim.url, {
        destinationId: bank!.id,
        sourceId: SIMULATOR.defaultSourceId,
        fees: [
          {
            _links: { 'charge-to': { href: `${sim.url}/customers/${pat!.id}` } },
            amount: { value: '1.00', currency: 'USD' },
          },
        ],
      }),
    );
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const [transfer] = sim.transfers();
    expect(transfer!._links['destination-funding-source']!.href).to.equal(fsUrl(sim.url, bank!.id));
    expect(transfer!._links.destination!.href).to.equal(`${sim.url}/customers/${pat!.id}`);
  });

  it('special emails: nobody/unknown find no one, twobanks two verified banks, unverified and removed banks, twins two customers', async () => {
    expect(SPECIAL_EMAILS.map((s) => s.localPart)).to.deep.equal([
      'nobody',
      'unknown',
      'twobanks',
      'unverified',
      'removed',
      'twins',
    ]);
    expect(await customersOf('nobody@example.com')).to.deep.equal([]);
    expect(await customersOf('unknown+3@example.com')).to.deep.equal([]);

    const [two] = await customersOf('twobanks+1@example.com');
    expect(two).to.include({ firstName: 'Twobanks' });
    expect(summary(await sourcesOf(two!, '?removed=false'))).to.deep.equal([
      'Checking:bank:verified:false',
      'Savings:bank:verified:false',
    ]);

    const [unverified] = await customersOf('unverified@example.com');
    const [unverifiedBank] = await sourcesOf(unverified!, '?removed=false');
    expect(summary([unverifiedBank!])).to.deep.equal(['Checking:bank:unverified:false']);
    expect((await api.get(`/funding-sources/${unverifiedBank!.id}`)).body.status).to.equal('unverified');

    const [removed] = await customersOf('removed@example.com');
    expect(summary(await sourcesOf(removed!))).to.deep.equal(['Checking:bank:verified:true']);
    expect(summary(await sourcesOf(removed!, '?removed=true'))).to.deep.equal(['Checking:bank:verified:true']);
    expect(await sourcesOf(removed!, '?removed=false')).to.deep.equal([]);
    // A removed bank is refused as a destination, as any removed funding source is.
    const [removedBank] = await sourcesOf(removed!);
    const refused = await api.createTransfer(transferBody(sim.url, { destinationId: removedBank!.id }));
    expect(refused.status).to.equal(400);
    expect(refused.body.code).to.equal('ValidationError');

    const twins = await customersOf('twins@example.com');
    expect(twins).to.have.length(2);
    expect(new Set(twins.map((c) => c.id)).size).to.equal(2);
  });

  it('an email that is not well-formed finds no one (an exact-match filter), with 200', async () => {
    for (const email of ['not-an-email', 'a@b', 'a b@example.com', '@example.com']) {
      expect(await customersOf(email), email).to.deep.equal([]);
    }
  });

  it('refuses malformed limit, offset, status and removed with 400 ValidationError naming the parameter', async () => {
    const [alice] = await customersOf('alice@example.com');
    const bad: Array<[string, string]> = [
      ['/customers?limit=abc', '/limit'],
      ['/customers?limit=0', '/limit'],
      ['/customers?offset=-1', '/offset'],
      ['/customers?status=happy', '/status'],
      [`/customers/${alice!.id}/funding-sources?removed=maybe`, '/removed'],
    ];
    for (const [path, errorPath] of bad) {
      const r: Reply = await api.get(path);
      expect(r.status, path).to.equal(400);
      expect(r.body.code, path).to.equal('ValidationError');
      expect(
        r.body._embedded.errors.map((e: { path: string }) => e.path),
        path,
      ).to.deep.equal([errorPath]);
    }
  });

  it('lists, searches and pages the customers shown so far; status filters exactly', async () => {
    for (const email of ['ann.smith@example.com', 'bob.smith@example.com', 'carl.jones@example.com']) {
      await customersOf(email);
    }
    const all = await api.get('/customers');
    expect(all.body._embedded.customers.map((c: Listed) => c.firstName)).to.deep.equal(['Ann', 'Bob', 'Carl']);
    const smiths = await api.get('/customers?search=SMITH');
    expect(smiths.body._embedded.customers.map((c: Listed) => c.email)).to.deep.equal([
      'ann.smith@example.com',
      'bob.smith@example.com',
    ]);
    const page = await api.get('/customers?limit=1&offset=1');
    expect(page.body.total).to.equal(3);
    expect(page.body._embedded.customers.map((c: Listed) => c.firstName)).to.deep.equal(['Bob']);
    expect(page.body._links.next.href).to.equal(`${sim.url}/customers?limit=1&offset=2`);
    expect(page.body._links.prev.href).to.equal(`${sim.url}/customers?limit=1&offset=0`);
    expect((await api.get('/customers?status=unverified')).body.total).to.equal(3);
    expect((await api.get('/customers?status=verified')).body.total).to.equal(0);
  });

  it('needs a bearer token and counts its searches and funding-source lists in stats', async () => {
    const anonymous = await fetch(`${sim.url}/customers?email=alice%40example.com`);
    expect(anonymous.status).to.equal(401);
    const [alice] = await customersOf('alice@example.com');
    await sourcesOf(alice!);
    // The refused request never reached the list.
    expect(sim.stats()).to.deep.include({ customerSearches: 1, customerFundingSourceLists: 1 });
  });

  it("through Dwolla's Node SDK: customers by email, then their funding sources", async () => {
    const require = createRequire(import.meta.url);
    const dwolla = require('dwolla-v2') as {
      Client: new (o: {
        key: string;
        secret: string;
        environment: 'sandbox';
      }) => {
        tokenUrl: string;
        apiUrl: string;
        get(path: string, query?: Record<string, string>): Promise<{ body: { _embedded: Record<string, unknown[]> } }>;
      };
    };
    const client = new dwolla.Client({ key: SIMULATOR.key, secret: SIMULATOR.secret, environment: 'sandbox' });
    client.tokenUrl = `${sim.url}/token`;
    client.apiUrl = sim.url;
    const found = await client.get('customers', { email: 'twobanks@example.com' });
    const [customer] = found.body._embedded.customers as Listed[];
    const sources = await client.get(`${customer!._links.self!.href}/funding-sources`, { removed: 'false' });
    expect((sources.body._embedded['funding-sources'] as ListedSource[]).map((s) => s.name)).to.deep.equal([
      'Checking',
      'Savings',
    ]);
  });
});
