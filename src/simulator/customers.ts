/**
 * The simulator's customers, found by email (OpenAPI listAndSearchCustomers `GET /customers`
 * with its exact-match `email` filter, getCustomer, listCustomerFundingSources). So that any payee
 * file runs, any well-formed email is the email of one customer, its ids derived from a hash of
 * the lower-cased email, with one verified checking account ("Checking"); a few local parts
 * (before any `+tag`) behave otherwise (SPECIAL_EMAILS). Its name comes from the local part:
 * `alice.smith@…` is Alice Smith. Customers are unverified (OpenAPI UnverifiedCustomer), as
 * payees usually are.
 *
 * A customer is known once a list has shown it: `GET /customers/{id}` of any other id is 404. Its
 * banks' ids carry their state and owner (funding-sources.ts), so `GET /funding-sources/{id}` and
 * `POST /transfers` know them without this directory.
 */
import { CUSTOMER_STATUSES, type Customer, type CustomerStatus } from '../dwolla/types.js';
import { derivedUuid, EMAIL_CUSTOMER_GROUP, type EmailBankKind } from './funding-sources.js';
import { link } from './resources.js';

/** What the customers of an email are like. */
type EmailKind = 'one-bank' | 'nobody' | 'two-banks' | 'unverified' | 'removed' | 'twins';

/** The special local parts (before any `+tag`, case-insensitive) and what their emails find. */
const SPECIAL_LOCAL_PARTS: ReadonlyArray<{ localPart: string; kind: EmailKind; behaviour: string }> = [
  { localPart: 'nobody', kind: 'nobody', behaviour: 'no customer has the email (an empty list)' },
  { localPart: 'unknown', kind: 'nobody', behaviour: 'no customer has the email (an empty list)' },
  { localPart: 'twobanks', kind: 'two-banks', behaviour: 'one customer with two verified banks, Checking and Savings' },
  { localPart: 'unverified', kind: 'unverified', behaviour: 'one customer whose only bank is unverified' },
  {
    localPart: 'removed',
    kind: 'removed',
    behaviour: 'one customer whose only bank is removed (left out by ?removed=false)',
  },
  { localPart: 'twins', kind: 'twins', behaviour: 'two customers with the email, each with a verified bank' },
];

export const SPECIAL_EMAILS: ReadonlyArray<{ localPart: string; behaviour: string }> = SPECIAL_LOCAL_PARTS.map(
  ({ localPart, behaviour }) => ({ localPart, behaviour }),
);

/** The special emails as `payouts simulator` lists them. */
export const specialEmailsHelp = [
  'Simulator customers by email (GET /customers?email=): any other well-formed email is one customer with one verified bank, "Checking"; its name comes from the part before @ (alice.smith: Alice Smith). Special parts before @ (a +tag may follow, e.g. twobanks+1@example.com):',
  ...SPECIAL_EMAILS.map((s) => `  ${s.localPart.padEnd(10)}  ${s.behaviour}`),
].join('\n');

const BANKS_OF: Record<Exclude<EmailKind, 'nobody' | 'twins'>, EmailBankKind[]> = {
  'one-bank': ['checking'],
  'two-banks': ['checking', 'savings'],
  unverified: ['unverified'],
  removed: ['removed'],
};

export interface SimCustomer {
  id: string;
  /** Lower-cased. */
  email: string;
  firstName: string;
  lastName: string;
  /** OpenAPI UnverifiedCustomer `status`. */
  status: CustomerStatus;
  banks: EmailBankKind[];
}

const FIXED_CREATED = '2024-01-02T15:04:05.000Z';
const MAX_EMAIL_LENGTH = 254;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether `text` is an email the directory finds customers for: one `@`, no spaces, a dot in the domain. */
function isWellFormedEmail(text: string): boolean {
  return text.length <= MAX_EMAIL_LENGTH && EMAIL_RE.test(text);
}

function kindOf(email: string): EmailKind {
  const local = email.slice(0, email.indexOf('@')).split('+')[0] ?? '';
  return SPECIAL_LOCAL_PARTS.find((s) => s.localPart === local)?.kind ?? 'one-bank';
}

/** "alice.smith+x" → ["Alice", "Smith"]: the words of the local part before any +tag. */
function nameOf(email: string): { firstName: string; lastName: string } {
  const local = email.slice(0, email.indexOf('@')).split('+')[0] ?? '';
  const words = local
    .split(/[._-]+/)
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return { firstName: words[0] ?? 'Payee', lastName: words.slice(1).join(' ') };
}

/** A customer id: the email customers' group, then 28 hex digits of a hash of the text. */
function customerId(text: string): string {
  return `${EMAIL_CUSTOMER_GROUP}${derivedUuid(`payouts-simulator/customer-by-email/${text}`).slice(EMAIL_CUSTOMER_GROUP.length)}`;
}

/** The customers an email finds: none, one, or two ("twins"). */
function customersOf(email: string): SimCustomer[] {
  const kind = kindOf(email);
  if (kind === 'nobody') {
    return [];
  }
  const base = { email, ...nameOf(email), status: 'unverified' as const };
  if (kind === 'twins') {
    return [1, 2].map((n) => ({ ...base, id: customerId(`${email}#${n}`), banks: ['checking'] }));
  }
  return [{ ...base, id: customerId(email), banks: BANKS_OF[kind] }];
}

/** The customers shown so far, by id, in the order they were first shown. */
export class CustomerDirectory {
  private readonly byId = new Map<string, SimCustomer>();

  /** The customers with this email (compared lower-cased); none for an email that is not well-formed. */
  byEmail(email: string): SimCustomer[] {
    const lower = email.trim().toLowerCase();
    if (!isWellFormedEmail(lower)) {
      return [];
    }
    const found = customersOf(lower);
    for (const c of found) {
      if (!this.byId.has(c.id)) {
        this.byId.set(c.id, c);
      }
    }
    return found;
  }

  /** A customer shown before; undefined for any other id. */
  get(id: string): SimCustomer | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /**
   * OpenAPI listAndSearchCustomers `search` ("fuzzy search across customer names, business names,
   * and email addresses"), simplified: the customers shown so far whose first name, last name or
   * email contains the term (case-insensitive), and the customers of the term when it is an email.
   */
  search(term: string): SimCustomer[] {
    this.byEmail(term);
    const t = term.trim().toLowerCase();
    return this.all().filter((c) => [c.firstName, c.lastName, c.email].some((f) => f.toLowerCase().includes(t)));
  }

  all(): SimCustomer[] {
    return [...this.byId.values()];
  }
}

/** Whether `value` is one of the customer statuses a list may be filtered by. */
export function isCustomerStatus(value: string): value is CustomerStatus {
  return (CUSTOMER_STATUSES as readonly string[]).includes(value);
}

/** A customer resource (OpenAPI getCustomer, schema UnverifiedCustomer), links on the simulator's base. */
export function renderCustomer(base: string, c: SimCustomer): Customer {
  const self = `${base}/customers/${c.id}`;
  return {
    _links: {
      self: link(self, 'customer'),
      'funding-sources': link(`${self}/funding-sources`, 'funding-source'),
      transfers: link(`${self}/transfers`, 'transfer'),
    },
    id: c.id,
    firstName: c.firstName,
    lastName: c.lastName,
    email: c.email,
    type: 'unverified',
    status: c.status,
    created: FIXED_CREATED,
  };
}
