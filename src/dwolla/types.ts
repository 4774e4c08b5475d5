/**
 * Wire types of Dwolla's API (see ../shared/reference/dwolla-openapi.yml), shared by the
 * client (src/dwolla-client.ts) and the simulator (src/simulator/). Types and constants only:
 * no code paths are shared between the two.
 */

/** Dwolla's HAL media type, sent as both Accept and Content-Type. */
export const HAL_JSON = 'application/vnd.dwolla.v1.hal+json';

export interface HalLink {
  href: string;
  type?: string;
  'resource-type'?: string;
}

export type HalLinks = Record<string, HalLink>;

interface Money {
  /** Two-decimal string, e.g. "12.50". */
  value: string;
  currency: 'USD' | string;
}

/** `clearing` of a create-transfer request. */
export interface TransferClearing {
  source?: 'standard' | 'next-available';
  destination?: 'next-available';
}

interface TransferFee {
  _links: { 'charge-to': HalLink };
  amount: Money;
}

interface AchAddenda {
  addenda: { values: string[] };
}

/** Body of `POST /transfers`. */
export interface CreateTransferRequest {
  _links: { source: HalLink; destination: HalLink };
  amount: Money;
  metadata?: Record<string, string>;
  fees?: TransferFee[];
  clearing?: TransferClearing;
  achDetails?: { source?: AchAddenda; destination?: AchAddenda };
  correlationId?: string;
}

export type TransferStatus = 'pending' | 'processed' | 'cancelled' | 'failed';

/** A transfer resource as `GET /transfers/{id}` returns it. */
export interface Transfer {
  _links: HalLinks;
  id: string;
  status: TransferStatus;
  amount: Money;
  created: string;
  clearing?: { source?: string; destination?: string };
  metadata?: Record<string, string>;
  correlationId?: string;
  individualAchId?: string;
}

/** `GET /transfers/{id}/failure`. */
export interface TransferFailure {
  _links: HalLinks;
  code: string;
  description: string;
  explanation?: string;
}

export type FundingSourceType = 'bank' | 'balance' | 'card' | 'virtual';
export type FundingSourceStatus = 'verified' | 'unverified';

/** `GET /funding-sources/{id}`. */
export interface FundingSource {
  _links: HalLinks;
  id: string;
  status: FundingSourceStatus;
  type: FundingSourceType;
  bankAccountType?: string;
  name: string;
  created: string;
  removed: boolean;
  channels?: string[];
  bankName?: string;
}

/**
 * A page of `GET /customers/{id}/funding-sources` (OpenAPI listCustomerFundingSources, schema
 * FundingSources): `_embedded['funding-sources']`.
 */
export interface FundingSourceList {
  _links: HalLinks;
  _embedded: { 'funding-sources': FundingSource[] };
  total: number;
}

/** Customer statuses (OpenAPI customer schemas; Dwolla's verification statuses). */
export const CUSTOMER_STATUSES = ['unverified', 'retry', 'document', 'verified', 'suspended', 'deactivated'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/** A customer as `GET /customers/{id}` and the customer list show it (OpenAPI BaseCustomer and its types). */
export interface Customer {
  _links: HalLinks;
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  type: 'unverified' | 'receive-only' | 'personal' | 'business' | string;
  status: CustomerStatus | string;
  businessName?: string;
  created: string;
}

/** A page of `GET /customers` (OpenAPI listAndSearchCustomers, schema Customers): `_embedded.customers`. */
export interface CustomerList {
  _links: HalLinks;
  _embedded: { customers: Customer[] };
  total: number;
}

/** `GET /funding-sources/{id}/balance` of a Dwolla balance (OpenAPI getFundingSourceBalance, "Dwolla Balance Response"). */
export interface FundingSourceBalance {
  _links: HalLinks;
  balance: Money;
  total: Money;
  lastUpdated: string;
}

/** `POST /token`. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/** One entry of `_embedded.errors` in a Dwolla error body. */
export interface EmbeddedError {
  code: string;
  message: string;
  path?: string;
  _links?: HalLinks;
}

/** Dwolla's error body: `{code, message, _embedded: {errors: [...]}}`. */
export interface DwollaErrorBody {
  code: string;
  message: string;
  _embedded?: { errors: EmbeddedError[] };
}

/** A page of `GET /accounts/{id}/transfers` or `GET /customers/{id}/transfers`. */
export interface TransferList {
  _links: HalLinks;
  _embedded: { transfers: Transfer[] };
  total: number;
}

/** `GET /` for an application (client-credentials) token. */
export interface RootResource {
  _links: HalLinks & { account?: HalLink };
}

/** Base URLs of Dwolla's real environments. */
export const DWOLLA_URLS = {
  sandbox: 'https://api-sandbox.dwolla.com',
  production: 'https://api.dwolla.com',
} as const;

/**
 * Well-known identities of the simulator, published so that the CLI can plan a dry run against
 * the simulator's default source without starting it. The simulator itself defines its data from
 * these same constants.
 */
export const SIMULATOR = {
  accountId: '9f7c3a52-4e1b-4d0c-9a55-2f0e6c1d7a10',
  /** The account's verified balance funding source: the default `--source` in the simulator. */
  defaultSourceId: 'b4d1c0de-0000-4000-8000-00000000ba1a',
  /** The credentials the simulator accepts unless it is given others (`payouts simulator` takes DWOLLA_KEY/DWOLLA_SECRET when both are set). */
  key: 'simulator-key',
  secret: 'simulator-secret',
} as const;

/** `GET /transfers/{id}/fees` (OpenAPI listTransferFees): the fee transfers of a transfer, each a transfer resource. */
export interface TransferFees {
  _links: HalLinks;
  transactions: Transfer[];
  total: number;
}

/** Most items Dwolla takes in one mass payment (OpenAPI initiateMassPayment: "up to 5,000 individual payment items"). */
export const MASS_PAYMENT_MAX_ITEMS = 5000;

/** One payment of `POST /mass-payments` (OpenAPI initiateMassPayment `items[]`): no `fees`, no source of its own. */
export interface MassPaymentItemRequest {
  _links: { destination: HalLink };
  amount: Money;
  metadata?: Record<string, string>;
  correlationId?: string;
  clearing?: { destination?: 'next-available' };
  achDetails?: { destination?: AchAddenda };
}

/** Body of `POST /mass-payments` (OpenAPI initiateMassPayment). */
export interface CreateMassPaymentRequest {
  _links: { source: HalLink };
  items: MassPaymentItemRequest[];
  metadata?: Record<string, string>;
  correlationId?: string;
  clearing?: { source?: 'standard' | 'next-available' };
  achDetails?: { source?: AchAddenda };
  /** `deferred`: created but not processed until `POST /mass-payments/{id}` `{"status":"pending"}`. */
  status?: 'deferred';
}

export type MassPaymentStatus = 'deferred' | 'pending' | 'processing' | 'complete' | 'cancelled';

/** `GET /mass-payments/{id}` (OpenAPI MassPayment; Dwolla's docs spell `metadata`, the schema `metaData`). */
export interface MassPayment {
  _links: HalLinks;
  id: string;
  status: MassPaymentStatus;
  created: string;
  metadata?: Record<string, string>;
  /** The sum of all items' amounts. */
  total: Money;
  totalFees: Money;
  correlationId?: string;
}

/** `pending` until processed; `success`: its transfer was created (`_links.transfer`); `failed`: `_embedded.errors` say why. */
export type MassPaymentItemStatus = 'pending' | 'success' | 'failed';

/** `GET /mass-payment-items/{id}` and the entries of `GET /mass-payments/{id}/items` (OpenAPI MassPaymentItem). */
export interface MassPaymentItem {
  _links: HalLinks;
  _embedded?: { errors: EmbeddedError[] };
  id: string;
  status: MassPaymentItemStatus;
  amount: Money;
  metadata?: Record<string, string>;
  correlationId?: string;
}

/** A page of `GET /mass-payments/{id}/items` (OpenAPI listMassPaymentItems). */
export interface MassPaymentItemList {
  _links: HalLinks;
  _embedded: { items: MassPaymentItem[] };
  total: number;
}

/** A page of `GET /accounts/{id}/mass-payments` or `GET /customers/{id}/mass-payments` (OpenAPI MassPayments). */
export interface MassPaymentList {
  _links: HalLinks;
  _embedded: { 'mass-payments': MassPayment[] };
  total: number;
}
