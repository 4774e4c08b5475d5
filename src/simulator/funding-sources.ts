/**
 * The simulator's funding sources. Every UUID is a funding source: the account's balance
 * (`SIMULATOR.defaultSourceId`), a few special ids that behave like Dwolla's sandbox sentinel
 * values, the banks of the customers found by email (customers.ts), and any other UUID, which is
 * a verified checking account of its own customer (a payee).
 */
import { createHash } from 'node:crypto';
import { type FundingSourceStatus, type FundingSourceType, SIMULATOR } from '../dwolla/types.js';

export type Owner = { kind: 'account' | 'customer'; id: string };

/** ACH return codes that Dwolla's sandbox triggers from a funding source named after them. */
type ReturnCode = 'R01' | 'R03';

export interface SimFundingSource {
  id: string;
  name: string;
  type: FundingSourceType;
  status: FundingSourceStatus;
  removed: boolean;
  owner: Owner;
  /** Transfers from or to this source fail with this return code once they settle. */
  returnCode?: ReturnCode;
  /** A bank's account type (OpenAPI FundingSource `bankAccountType`); default checking. */
  bankAccountType?: 'checking' | 'savings';
}

interface SpecialSource {
  source: SimFundingSource;
  behaviour: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** A stable UUID (version-4 layout) derived from a text. */
export function derivedUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The customer owning a payee bank: one customer per funding source, with a stable id (the
 * customer of `GET /funding-sources/{id}` `_links.customer`, the one a fee may be charged to).
 */
function customerIdFor(fundingSourceId: string): string {
  return derivedUuid(`payouts-simulator/customer/${fundingSourceId.toLowerCase()}`);
}

const account: Owner = { kind: 'account', id: SIMULATOR.accountId };
const SPECIAL_CUSTOMER_ID = '5bec1a10-0000-4000-8000-00000000c001';

export const SPECIAL_IDS = {
  defaultBalance: SIMULATOR.defaultSourceId,
  accountBank: '5bec1a10-0000-4000-8000-000000000001',
  customerBalance: '5bec1a10-0000-4000-8000-000000000002',
  removedBank: '5bec1a10-0000-4000-8000-000000000003',
  unverifiedBank: '5bec1a10-0000-4000-8000-000000000004',
  r01Bank: '5bec1a10-0000-4000-8000-000000000101',
  r03Bank: '5bec1a10-0000-4000-8000-000000000103',
} as const;

/**
 * What the two balances hold at start, in US dollars (OpenAPI `getFundingSourceBalance`). The
 * account's is generous by default (`SimulatorOptions.balance`, `payouts simulator --balance`);
 * the customer's holds $5,000.00, what a Dwolla sandbox account's balance starts with.
 */
export const STARTING_BALANCES = { defaultBalance: '1000000.00', customerBalance: '5000.00' } as const;

function special(
  source: Omit<SimFundingSource, 'removed' | 'status'> & Partial<Pick<SimFundingSource, 'removed' | 'status'>>,
  behaviour: string,
): SpecialSource {
  return { source: { status: 'verified', removed: false, ...source }, behaviour };
}

function payeeOwner(fundingSourceId: string): Owner {
  return { kind: 'customer', id: customerIdFor(fundingSourceId) };
}

const SPECIALS: SpecialSource[] = [
  special(
    { id: SPECIAL_IDS.defaultBalance, name: 'Balance', type: 'balance', owner: account },
    `the account's verified Dwolla balance (the default source): $${STARTING_BALANCES.defaultBalance} unless --balance or PAYOUTS_SIMULATOR_BALANCE says otherwise; a transfer beyond it gets 400 InsufficientFunds, one with metadata 400, one while another is in flight 429`,
  ),
  special(
    { id: SPECIAL_IDS.accountBank, name: 'Simulator Checking', type: 'bank', owner: account },
    "the account's verified bank (checking): a bank source, for clearing.source",
  ),
  special(
    {
      id: SPECIAL_IDS.customerBalance,
      name: 'Balance',
      type: 'balance',
      owner: { kind: 'customer', id: SPECIAL_CUSTOMER_ID },
    },
    `a second verified balance, of customer ${SPECIAL_CUSTOMER_ID}; it starts with $${STARTING_BALANCES.customerBalance}, as a Dwolla sandbox account's balance does`,
  ),
  special(
    { id: SPECIAL_IDS.removedBank, name: 'Removed Checking', type: 'bank', owner: account, removed: true },
    'a removed bank: a transfer from or to it is refused (400 ValidationError)',
  ),
  special(
    { id: SPECIAL_IDS.unverifiedBank, name: 'Unverified Checking', type: 'bank', owner: account, status: 'unverified' },
    'an unverified bank: refused as a source (400 "Invalid funding source."), accepted as a destination',
  ),
  special(
    { id: SPECIAL_IDS.r01Bank, name: 'R01', type: 'bank', owner: payeeOwner(SPECIAL_IDS.r01Bank), returnCode: 'R01' },
    'a bank named "R01" (sandbox sentinel): transfers from or to it are created, then fail with R01 Insufficient Funds when they settle',
  ),
  special(
    { id: SPECIAL_IDS.r03Bank, name: 'R03', type: 'bank', owner: payeeOwner(SPECIAL_IDS.r03Bank), returnCode: 'R03' },
    'a bank named "R03" (sandbox sentinel): transfers fail with R03 No Account/Unable to Locate Account when they settle; the bank is then removed',
  ),
];

export const SPECIAL_FUNDING_SOURCES: ReadonlyArray<{ id: string; name: string; behaviour: string }> = SPECIALS.map(
  ({ source, behaviour }) => ({ id: source.id, name: source.name, behaviour }),
);

/** The special funding sources as `payouts simulator` lists them, in its --help and when it starts. */
export const specialSourcesHelp = [
  'Simulator funding sources (any other UUID is a verified payee bank):',
  ...SPECIAL_FUNDING_SOURCES.map((s) => `  ${s.id}  ${s.behaviour}`),
].join('\n');

/**
 * The banks of the customers found by email (customers.ts). A bank's id is its customer's id with
 * the first group replaced by one of these, so that the bank, its state and its owner are read
 * from the id alone (the transfer legs keep only ids): `e3a1c000-REST` is a customer,
 * `e3a1b000-REST` its verified checking account. Dwolla's ids are random v4 UUIDs; one of these
 * groups turns up in a payee file's random UUID about once in a billion.
 */
export const EMAIL_CUSTOMER_GROUP = 'e3a1c000';

type EmailBank = Pick<SimFundingSource, 'name' | 'status' | 'removed' | 'bankAccountType'>;

/** OpenAPI FundingSource: a bank's `name`, `status` (verified/unverified), `removed` and `bankAccountType`. */
const EMAIL_BANKS = {
  checking: { group: 'e3a1b000', name: 'Checking', status: 'verified', removed: false, bankAccountType: 'checking' },
  savings: { group: 'e3a1b001', name: 'Savings', status: 'verified', removed: false, bankAccountType: 'savings' },
  unverified: {
    group: 'e3a1b100',
    name: 'Checking',
    status: 'unverified',
    removed: false,
    bankAccountType: 'checking',
  },
  removed: { group: 'e3a1b200', name: 'Checking', status: 'verified', removed: true, bankAccountType: 'checking' },
} as const satisfies Record<string, EmailBank & { group: string }>;

export type EmailBankKind = keyof typeof EMAIL_BANKS;

const EMAIL_BANK_BY_GROUP = new Map<string, EmailBank>(Object.values(EMAIL_BANKS).map((b) => [b.group, b]));

/** The id of a bank of the email customer `customerId` (which starts with EMAIL_CUSTOMER_GROUP). */
export function emailBankId(customerId: string, kind: EmailBankKind): string {
  return `${EMAIL_BANKS[kind].group}${customerId.slice(EMAIL_CUSTOMER_GROUP.length)}`;
}

/** The email customer's bank with this (lower-case) id, or undefined when the id is not one. */
function emailBank(id: string): SimFundingSource | undefined {
  const bank = EMAIL_BANK_BY_GROUP.get(id.slice(0, EMAIL_CUSTOMER_GROUP.length));
  if (!bank) {
    return undefined;
  }
  const owner: Owner = { kind: 'customer', id: `${EMAIL_CUSTOMER_GROUP}${id.slice(EMAIL_CUSTOMER_GROUP.length)}` };
  return {
    id,
    type: 'bank',
    owner,
    name: bank.name,
    status: bank.status,
    removed: bank.removed,
    bankAccountType: bank.bankAccountType,
  };
}

/**
 * The funding source with this id, or undefined when the id is not a UUID.
 * `removedByReturn` tells whether an ACH return (R03) has removed the source since.
 */
export function findFundingSource(id: string, removedByReturn: (id: string) => boolean): SimFundingSource | undefined {
  if (!isUuid(id)) {
    return undefined;
  }
  const lower = id.toLowerCase();
  const source: SimFundingSource = SPECIALS.find((s) => s.source.id === lower)?.source ??
    emailBank(lower) ?? {
      id: lower,
      name: 'Payee Checking',
      type: 'bank',
      status: 'verified',
      removed: false,
      owner: payeeOwner(lower),
    };
  return removedByReturn(lower) ? { ...source, removed: true } : source;
}

/** The funding-source id of a `/funding-sources/{uuid}` URL, or undefined. */
export function fundingSourceIdOfHref(href: unknown): string | undefined {
  if (typeof href !== 'string') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  const match = /^\/funding-sources\/([^/]+)\/?$/.exec(url.pathname);
  return match?.[1] && isUuid(match[1]) ? match[1].toLowerCase() : undefined;
}
