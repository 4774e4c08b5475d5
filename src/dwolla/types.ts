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
