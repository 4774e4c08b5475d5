/** Dwolla's endpoints: the route table, authentication, and every handler but POST /transfers. */
import { HAL_JSON, SIMULATOR, type TokenResponse } from '../dwolla/types.js';
import { createMassPayment } from './create-mass-payment.js';
import { createTransfer } from './create-transfer.js';
import { getCustomer, listCustomerFundingSources, listCustomers } from './customer-routes.js';
import { type ErrorAnswer, errors, oauthErrors } from './errors.js';
import { getFundingSourceBalance } from './funding-source-balance.js';
import { type Exchange, readBody, sendError, sendJson } from './http.js';
import {
  getMassPayment,
  getMassPaymentItem,
  listAccountMassPayments,
  listCustomerMassPayments,
  listMassPaymentItems,
  updateMassPayment,
} from './mass-payment-routes.js';
import { link, renderFundingSource } from './resources.js';
import type { SimulatorState } from './state.js';
import {
  cancelTransfer,
  getFailure,
  getTransfer,
  listAccountTransfers,
  listCustomerTransfers,
  listTransferFees,
  simulateProcessing,
} from './transfer-routes.js';

type Handler = (ex: Exchange, sim: SimulatorState, params: string[]) => Promise<void>;

interface Route {
  pattern: RegExp;
  /** Handlers by HTTP method. */
  methods: Partial<Record<string, Handler>>;
  /** Whether the route needs a bearer token and Dwolla's Accept header (all but /token). */
  authenticated: boolean;
}

const ID = '([^/]+)';

const ROUTES: Route[] = [
  { pattern: /^\/token$/, methods: { POST: issueToken }, authenticated: false },
  { pattern: /^\/$/, methods: { GET: getRoot }, authenticated: true },
  { pattern: new RegExp(`^/accounts/${ID}$`), methods: { GET: getAccount }, authenticated: true },
  { pattern: new RegExp(`^/accounts/${ID}/transfers$`), methods: { GET: listAccountTransfers }, authenticated: true },
  { pattern: /^\/customers$/, methods: { GET: listCustomers }, authenticated: true },
  { pattern: new RegExp(`^/customers/${ID}$`), methods: { GET: getCustomer }, authenticated: true },
  {
    pattern: new RegExp(`^/customers/${ID}/funding-sources$`),
    methods: { GET: listCustomerFundingSources },
    authenticated: true,
  },
  { pattern: new RegExp(`^/customers/${ID}/transfers$`), methods: { GET: listCustomerTransfers }, authenticated: true },
  { pattern: new RegExp(`^/funding-sources/${ID}$`), methods: { GET: getFundingSource }, authenticated: true },
  {
    pattern: new RegExp(`^/funding-sources/${ID}/balance$`),
    methods: { GET: getFundingSourceBalance },
    authenticated: true,
  },
  { pattern: /^\/transfers$/, methods: { POST: (ex, sim) => createTransfer(ex, sim) }, authenticated: true },
  {
    pattern: new RegExp(`^/transfers/${ID}$`),
    methods: { GET: getTransfer, POST: cancelTransfer },
    authenticated: true,
  },
  { pattern: new RegExp(`^/transfers/${ID}/failure$`), methods: { GET: getFailure }, authenticated: true },
  { pattern: new RegExp(`^/transfers/${ID}/fees$`), methods: { GET: listTransferFees }, authenticated: true },
  { pattern: /^\/sandbox-simulations$/, methods: { POST: simulateProcessing }, authenticated: true },
  { pattern: /^\/mass-payments$/, methods: { POST: createMassPayment }, authenticated: true },
  {
    pattern: new RegExp(`^/mass-payments/${ID}$`),
    methods: { GET: getMassPayment, POST: updateMassPayment },
    authenticated: true,
  },
  { pattern: new RegExp(`^/mass-payments/${ID}/items$`), methods: { GET: listMassPaymentItems }, authenticated: true },
  { pattern: new RegExp(`^/mass-payment-items/${ID}$`), methods: { GET: getMassPaymentItem }, authenticated: true },
  {
    pattern: new RegExp(`^/accounts/${ID}/mass-payments$`),
    methods: { GET: listAccountMassPayments },
    authenticated: true,
  },
  {
    pattern: new RegExp(`^/customers/${ID}/mass-payments$`),
    methods: { GET: listCustomerMassPayments },
    authenticated: true,
  },
];

/** Answers one request to a Dwolla endpoint. */
export async function handleDwollaRequest(ex: Exchange, sim: SimulatorState): Promise<void> {
  sim.counters.requests += 1;
  const path = ex.url.pathname.length > 1 ? ex.url.pathname.replace(/\/$/, '') : ex.url.pathname;
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) {
      continue;
    }
    const handler = route.methods[ex.req.method ?? 'GET'];
    if (!handler) {
      return sendError(ex, errors.methodNotAllowed());
    }
    if (route.authenticated) {
      const refusal = authenticate(ex, sim);
      if (refusal) {
        return sendError(ex, refusal);
      }
    }
    sim.catchUp(); // mass payments move on with the clock before anything is read or created
    return handler(ex, sim, match.slice(1).map(decodeURIComponent));
  }
  return sendError(ex, errors.notFound());
}

function authenticate(ex: Exchange, sim: SimulatorState): ErrorAnswer | undefined {
  const auth = ex.req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!bearer?.[1]) {
    return errors.invalidCredentials();
  }
  const check = sim.tokens.check(bearer[1], sim.clock.nowMs());
  if (check === 'unknown') {
    return errors.invalidAccessToken();
  }
  if (check === 'expired') {
    return errors.expiredAccessToken();
  }
  if (!(ex.req.headers.accept ?? '').toLowerCase().includes(HAL_JSON)) {
    return errors.invalidVersion();
  }
  return undefined;
}

async function issueToken(ex: Exchange, sim: SimulatorState): Promise<void> {
  const form = new URLSearchParams(await readBody(ex.req));
  let clientId = form.get('client_id') ?? '';
  let clientSecret = form.get('client_secret') ?? '';
  const basic = /^Basic\s+(\S+)\s*$/i.exec(ex.req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      clientId = decoded.slice(0, colon);
      clientSecret = decoded.slice(colon + 1);
    }
  }
  const oauthError = (e: { status: number; body: unknown }) => sendJson(ex, e.status, e.body, 'application/json');
  // OpenAPI createApplicationAccessToken: 401 {"error": "invalid_client"} for missing or wrong
  // credentials, checked before the grant type (client authentication comes first, RFC 6749 3.2.1).
  if (clientId === '' || clientSecret === '' || !sim.acceptsClient(clientId, clientSecret)) {
    return oauthError(oauthErrors.invalidClient());
  }
  const grantType = form.get('grant_type');
  if (!grantType) {
    return oauthError(oauthErrors.invalidRequest());
  }
  if (grantType !== 'client_credentials') {
    return oauthError(oauthErrors.unsupportedGrantType());
  }

  const lifetime = sim.faults.tokenLifetimeSec();
  const body: TokenResponse = {
    access_token: sim.tokens.issue(sim.clock.nowMs(), lifetime),
    token_type: 'bearer',
    expires_in: lifetime,
  };
  sim.counters.tokensIssued += 1;
  return sendJson(ex, 200, body, 'application/json');
}

function getRoot(ex: Exchange): Promise<void> {
  return sendJson(ex, 200, {
    _links: { account: link(`${ex.base}/accounts/${SIMULATOR.accountId}`, 'account') },
  });
}

function getAccount(ex: Exchange, _sim: SimulatorState, [id]: string[]): Promise<void> {
  if (id?.toLowerCase() !== SIMULATOR.accountId) {
    return sendError(ex, errors.notFound());
  }
  const self = `${ex.base}/accounts/${SIMULATOR.accountId}`;
  return sendJson(ex, 200, {
    _links: {
      self: link(self, 'account'),
      transfers: link(`${self}/transfers`, 'transfer'),
    },
    id: SIMULATOR.accountId,
    name: 'Payouts Simulator',
  });
}

function getFundingSource(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const fs = id === undefined ? undefined : sim.fundingSource(id);
  if (!fs) {
    return sendError(ex, errors.notFound());
  }
  return sendJson(ex, 200, renderFundingSource(ex.base, fs));
}
