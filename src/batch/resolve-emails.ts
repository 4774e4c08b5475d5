/**
 * Payees named by email (`destinationEmail`, SPEC "Input CSV"): before anything is sent, each
 * distinct email of the rows still to pay is resolved once through Dwolla, the customer by email
 * (OpenAPI listAndSearchCustomers, `GET /customers?email=`), then its verified bank funding
 * sources that are not removed (listCustomerFundingSources, `?removed=false`). Exactly one
 * customer with exactly one such bank: that bank is the row's destination. Anything else makes
 * the row `invalid`, naming the candidates by customer and funding-source name only.
 *
 * A row that already has an intent in this batch's journal keeps the destination its intent
 * recorded: the payee changing banks mid-batch never redirects a payment that may already exist.
 * When the email now resolves to another bank, such a row (not yet created) is held for review.
 *
 * Resolved destinations reach every later step through the planner of this module: the rows it
 * gives have their destination in place of the email identity (for the repeat checks, the
 * preflight, the intent, the ledger and the results' `destination` column); their key, made from
 * the email identity when planned, never changes. Memory: one entry per distinct email.
 */
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { DwollaClient } from '../dwolla/client.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import type { Customer, FundingSource } from '../dwolla/types.js';
import { type CsvHeader, type CsvRecord, openPayeeCsv } from '../input/csv-reader.js';
import { isEmailIdentity } from '../input/destination-email.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import { type PlannedRow, Planner, type PlanSettings, type ValidRow } from '../plan/planner.js';
import { InvalidRows, refuseInvalidRows } from './approval.js';
import type { JournalState, KeyState } from './journal.js';
import type { RunSettings } from './settings.js';

/** The input file and how it is read. */
type FileSettings = Pick<RunSettings, 'file' | 'delimiter' | 'columns'>;

/** What an email resolved to: a destination, why no row may pay it (invalid), or a lookup that failed (pending). */
export type Resolution =
  | { kind: 'found'; destinationId: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'failed'; message: string };

/** How the email lookups are made: retried as any Dwolla call, a few at a time. */
export interface ResolveOptions {
  maxAttempts: number;
  concurrency: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A customer's name as people know it: the business name, else first and last name. */
function customerName(c: Customer): string {
  const name = c.businessName?.trim() || `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim();
  return name === '' ? 'a customer without a name' : name;
}

function sourceNames(sources: readonly FundingSource[]): string {
  return sources.map((fs) => fs.name?.trim() || 'unnamed').join(', ');
}

/** Of a customer's funding sources, the one bank to pay, or why there is not exactly one. */
function pickBank(email: string, customer: Customer, sources: readonly FundingSource[]): Resolution {
  const who = customerName(customer);
  const banks = sources.filter((fs) => fs.type === 'bank' && !fs.removed);
  const verified = banks.filter((fs) => fs.status === 'verified');
  const [only] = verified;
  if (verified.length === 1 && only) {
    const destinationId = parseFundingSourceRef(only.id ?? '') ?? parseFundingSourceRef(only._links?.self?.href ?? '');
    return destinationId
      ? { kind: 'found', destinationId }
      : { kind: 'failed', message: `destinationEmail ${email}: Dwolla answered a bank of ${who} without an id` };
  }
  if (verified.length > 1) {
    return {
      kind: 'invalid',
      message: `destinationEmail ${email}: ${verified.length} verified banks for ${who} (${sourceNames(verified)}); use the destination column`,
    };
  }
  const unverified =
    banks.length > 0 ? ` (${banks.map((fs) => `${fs.name?.trim() || 'unnamed'}: ${fs.status}`).join(', ')})` : '';
  return {
    kind: 'invalid',
    message: `destinationEmail ${email}: ${who} has no verified bank${unverified}; verify one at Dwolla, or use the destination column`,
  };
}

/** One email through Dwolla: its customers, then the one customer's banks. */
export async function resolveEmail(client: DwollaClient, email: string, opts: ResolveOptions): Promise<Resolution> {
  const retry = { maxAttempts: opts.maxAttempts, ...(opts.sleep ? { sleep: opts.sleep } : {}) };
  try {
    const { value: customers } = await withRetries(() => client.findCustomersByEmail(email), retry);
    const [customer] = customers;
    if (customers.length === 0 || !customer) {
      return {
        kind: 'invalid',
        message: `destinationEmail ${email}: no Dwolla customer has this email; add the payee at Dwolla, or use the destination column`,
      };
    }
    if (customers.length > 1) {
      return {
        kind: 'invalid',
        message: `destinationEmail ${email}: ${customers.length} Dwolla customers have this email (${customers.map(customerName).join(', ')}); use the destination column`,
      };
    }
    const customerRef = customer._links?.self?.href ?? customer.id;
    const { value: sources } = await withRetries(
      () => client.listCustomerFundingSources(customerRef, { removed: false }),
      retry,
    );
    return pickBank(email, customer, sources);
  } catch (err) {
    return {
      kind: 'failed',
      message: `destinationEmail ${email}: could not be looked up at Dwolla (${callFailure(err).summary}); run the same command again`,
    };
  }
}

/** The emails of the file's rows that may be sent: valid, named by email only, not created earlier. */
async function emailsToResolve(s: FileSettings, settings: PlanSettings, state: JournalState): Promise<Set<string>> {
  const csv = await openPayeeCsv(s.file, s);
  try {
    const emails = new Set<string>();
    if (csv.header.known.destinationEmail === undefined) {
      return emails;
    }
    for await (const row of new Planner(csv.header, settings).rows(csv.batches)) {
      const email = row.status === 'valid' ? row.payment.destinationEmail : undefined;
      if (email === undefined || emails.has(email) || row.status !== 'valid') {
        continue;
      }
      if (state.byKey.get(row.key)?.outcome?.status !== 'created') {
        emails.add(email);
      }
    }
    return emails;
  } finally {
    await csv.close();
  }
}

/** The rows of one pass over the file with their email destinations resolved (see the top of this file). */
class ResolvingPlanner extends Planner {
  constructor(
    header: CsvHeader,
    settings: PlanSettings,
    private readonly destinations: EmailDestinations,
  ) {
    super(header, settings);
  }

  override async *rows(batches: AsyncIterable<readonly CsvRecord[]>): AsyncGenerator<PlannedRow> {
    for await (const row of super.rows(batches)) {
      yield this.destinations.apply(row);
    }
  }

  override async *rowBatches(batches: AsyncIterable<readonly CsvRecord[]>): AsyncGenerator<PlannedRow[]> {
    for await (const rows of super.rowBatches(batches)) {
      yield rows.map((row) => this.destinations.apply(row));
    }
  }
}

/** The row paying `destinationId`: in the payment, and in the results' `destination` column. */
function withDestination(row: ValidRow, destinationId: string): ValidRow {
  return {
    ...row,
    payment: { ...row.payment, destinationId },
    given: { ...row.given, destination: destinationId },
  };
}

/** The destinations of a batch's email rows, from Dwolla (a run) or as far as known without it (a dry run). */
export class EmailDestinations {
  private constructor(
    private readonly state: JournalState,
    private readonly found: ReadonlyMap<string, Resolution>,
    /** A real run: a row whose email was not resolved is never sent. */
    private readonly sending: boolean,
  ) {}

  /** Without a network: rows keep their email identity, except those whose intent recorded a destination. */
  static offline(state: JournalState): EmailDestinations {
    return new EmailDestinations(state, new Map(), false);
  }

  /**
   * Resolves each distinct email of the file's rows still to pay, once (none when the file has no
   * destinationEmail column or every email row was created earlier: no client is opened then).
   */
  static async resolve(
    s: FileSettings,
    settings: PlanSettings,
    state: JournalState,
    api: { client: () => Promise<DwollaClient>; opts: ResolveOptions; log: Logger; sending: boolean },
  ): Promise<EmailDestinations> {
    const emails = await emailsToResolve(s, settings, state);
    const found = new Map<string, Resolution>();
    if (emails.size > 0) {
      const client = await api.client();
      const limit = pLimit(Math.max(1, api.opts.concurrency));
      await Promise.all(
        [...emails].map((email) =>
          limit(async () => {
            found.set(email, await resolveEmail(client, email, api.opts));
          }),
        ),
      );
      api.log.info(
        { emails: emails.size, unresolved: [...found.values()].filter((r) => r.kind !== 'found').length },
        'destination emails resolved',
      );
    }
    return new EmailDestinations(state, found, api.sending);
  }

  /** Whether this run asked Dwolla for any email (rows are then planned with its answers). */
  get resolvedAny(): boolean {
    return this.found.size > 0;
  }

  /** Whether some email resolved to no single bank: its rows are invalid. */
  anyInvalid(): boolean {
    return [...this.found.values()].some((r) => r.kind === 'invalid');
  }

  /** A planner for one pass over the file whose rows have their email destinations. */
  planner(header: CsvHeader, settings: PlanSettings): Planner {
    return new ResolvingPlanner(header, settings, this);
  }

  /** The row as this batch pays it (see the top of this file); rows not named by email only, as they are. */
  apply(row: PlannedRow): PlannedRow {
    if (row.status !== 'valid' || row.payment.destinationEmail === undefined) {
      return row;
    }
    const email = row.payment.destinationEmail;
    const known = this.state.byKey.get(row.key);
    const resolution = this.found.get(email);
    if (known?.intent) {
      return fromIntent(row, email, known, resolution);
    }
    if (resolution?.kind === 'found') {
      return withDestination(row, resolution.destinationId);
    }
    if (resolution?.kind === 'invalid') {
      const { line, cells, given } = row;
      return { status: 'invalid', line, cells, given, errors: [resolution.message], planned: row };
    }
    if (resolution?.kind === 'failed') {
      return { ...row, hold: { status: 'pending', reason: resolution.message } };
    }
    return this.sending
      ? { ...row, hold: { status: 'pending', reason: `destinationEmail ${email}: not resolved in this run` } }
      : row;
  }
}

/**
 * A row this batch already sent: the destination its intent recorded, whatever the email resolves
 * to now; held for review when that is another bank and the row is not created.
 */
function fromIntent(row: ValidRow, email: string, known: KeyState, resolution: Resolution | undefined): ValidRow {
  const recorded = known.intent?.destination ?? row.payment.destinationId;
  const paid = withDestination(row, recorded);
  if (known.outcome?.status === 'created' || resolution?.kind !== 'found' || resolution.destinationId === recorded) {
    return paid;
  }
  return {
    ...paid,
    hold: {
      status: 'review',
      reason: `destinationEmail ${email} now resolves to another bank than ${recorded}, where this batch already sent this row (it may have been paid): held, never redirected; check that transfer at Dwolla, then settle the row by hand`,
    },
  };
}

/** Whether a valid row's destination is still its email (a dry run without a network): resolved when sent. */
function unresolvedEmail(row: ValidRow): string | undefined {
  const { destinationEmail, destinationId } = row.payment;
  return destinationEmail !== undefined && isEmailIdentity(destinationId) ? destinationEmail : undefined;
}

/**
 * The dry run's email destinations: resolved through the API when it names one (`--api-url`,
 * `--env sandbox|production`) and credentials are set (read-only calls: nothing is written);
 * otherwise, and for the embedded simulator, which a dry run does not start, offline.
 */
export async function dryRunEmailDestinations(
  s: RunSettings,
  settings: PlanSettings,
  state: JournalState,
  log: Logger,
): Promise<EmailDestinations> {
  const { apiUrl, credentials } = s;
  if (apiUrl === undefined || credentials === undefined) {
    return EmailDestinations.offline(state);
  }
  let client: DwollaClient | undefined;
  try {
    return await EmailDestinations.resolve(s, settings, state, {
      client: async () => {
        client = new DwollaClient({ baseUrl: apiUrl, ...credentials, timeoutMs: s.timeoutMs, logger: log });
        return client;
      },
      opts: { maxAttempts: s.maxAttempts, concurrency: s.concurrency },
      log,
      sending: false,
    });
  } finally {
    client?.close();
  }
}

/**
 * A real run's email destinations, resolved before its survey (so before the balance preflight
 * and the first send), through the run's own client: opened only when some email needs it.
 */
export function runEmailDestinations(
  s: FileSettings & Pick<RunSettings, 'maxAttempts' | 'concurrency'>,
  settings: PlanSettings,
  state: JournalState,
  deps: { session: () => Promise<{ client: DwollaClient }>; log: Logger; sleep?: ResolveOptions['sleep'] },
): Promise<EmailDestinations> {
  return EmailDestinations.resolve(s, settings, state, {
    client: async () => (await deps.session()).client,
    opts: { maxAttempts: s.maxAttempts, concurrency: s.concurrency, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
    log: deps.log,
    sending: true,
  });
}

/**
 * --strict: a file with a row whose email resolved to no single bank sends nothing either (the
 * rows invalid before resolution were refused with the plan). Reads the file again only then.
 */
export async function refuseInvalidEmails(
  s: FileSettings & Pick<RunSettings, 'strict'>,
  settings: PlanSettings,
  emails: EmailDestinations,
): Promise<void> {
  if (!s.strict || !emails.anyInvalid()) {
    return;
  }
  const csv = await openPayeeCsv(s.file, s);
  try {
    const invalid = new InvalidRows();
    for await (const row of emails.planner(csv.header, settings).rows(csv.batches)) {
      if (row.status === 'invalid') {
        invalid.add(row);
      }
    }
    refuseInvalidRows(s, invalid);
  } finally {
    await csv.close();
  }
}

/** What a dry run's plan.csv says of an email row's destination: resolved when sent, or why it could not be. */
export function emailDestinationNote(row: ValidRow): string | undefined {
  if (row.hold?.status === 'pending') {
    return row.hold.reason;
  }
  const email = unresolvedEmail(row);
  return email === undefined ? undefined : `destination: resolved from ${email} when sent`;
}
