/**
 * Submission: every valid row still to pay becomes one Dwolla transfer, at most `concurrency` in
 * flight and at most one per balance source (Dwolla answers 429 to concurrent balance transfers).
 *
 * Per row: a row with an earlier intent is first looked up by correlationId (a transfer with its
 * destination and amount means it was created); then clearing is decided at this moment, the
 * intent is made durable in the journal and the ledger, and the POST is sent with the row's
 * Idempotency-Key, retried with the same key; the outcome is journalled after the answer.
 *
 * The durable writes are kept off the POSTs' path: rows have their intent written while every
 * slot to POST is taken (from bank sources, up to --concurrency of them, in groups; for a balance
 * source, the next row while its one transfer in flight is), so that a freed slot is used at
 * once. An intent is still durable before its own POST leaves, and a balance source never has
 * two POSTs in flight. A row prepared so but never sent (the run stopped first) is pending, and
 * its open intent makes a rerun look it up first.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { CreatedTransfer, DwollaClient } from '../dwolla/client.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import { transferRequest } from '../dwolla/transfer-request.js';
import type { CreateTransferRequest, Transfer } from '../dwolla/types.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import { formatCents } from '../input/money.js';
import type { ClearingPolicy } from '../input/validation.js';
import { type ClearingColumns, clearingColumns, decideClearing, SAME_DAY_LIMIT_CENTS } from '../plan/clearing.js';
import type { SendableRow, ValidRow } from '../plan/planner.js';
import { ThisRunCounter } from '../results/tally.js';
import type { IntentRecord, Journal, OutcomeRecord } from './journal.js';
import type { RowOutcome } from './outcome.js';
import type { PendingMassItems } from './pending-mass-items.js';
import { metadataRefusal, ownerOf, type SourceCheck, type UsableSource } from './preflight.js';
import { Slots } from './slots.js';

export interface SubmitSettings {
  concurrency: number;
  maxAttempts: number;
  clearing: ClearingPolicy;
  cutoffMarginMinutes: number;
  /** Fixed clock for clearing decisions (--now). */
  now: Date | undefined;
}

export interface SubmitDeps {
  client: DwollaClient;
  journal: Journal;
  log: Logger;
  clock: () => Date;
  /** Injectable retry wait (tests); default: a real timer cut short by stop(). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The installation's ledger, written beside the journal: durable before the POST like it. */
  ledger?: LedgerSink;
}

/** Where submission records every intent and outcome besides the batch's journal (src/batch/ledger.ts). */
export interface LedgerSink {
  intent(row: SendableRow, intent: IntentRecord): Promise<void>;
  outcome(row: ValidRow, outcome: OutcomeRecord): Promise<void>;
  /** Commits what is queued now (outcomes wait a little for company otherwise). */
  flush?(): Promise<void>;
}

export interface RowToSend {
  row: SendableRow;
  /** When the row's first intent was recorded: a transfer found by lookup must not be older. */
  firstIntentAt?: string;
  /**
   * A paymentId row the ledger has never seen: looked up at Dwolla by its correlationId before
   * its first send; a transfer to its destination, whenever made, is its payment.
   */
  lookUpPaymentId?: boolean;
  /** The row's last intent of an earlier run, without a created outcome: look it up before sending. */
  earlierIntent?: IntentRecord;
  /** Its last outcome was `failed` (Dwolla refused it): it is sent again, as a new payment. */
  failedBefore?: boolean;
}

/** The failure as results columns: Dwolla's code, status and one-line message. */
function describeFailure(err: unknown): Pick<RowOutcome, 'httpStatus' | 'errorCode' | 'errorMessage'> {
  const { dwollaError: last, summary } = callFailure(err, (e) => (e instanceof Error ? e.message : String(e)));
  if (last) {
    return { ...(last.httpStatus ? { httpStatus: last.httpStatus } : {}), errorCode: last.code, errorMessage: summary };
  }
  return { errorCode: 'Error', errorMessage: summary };
}

/** How far before a row's first intent a transfer found by lookup may have been created (clock skew). */
const LOOKUP_SKEW_MS = 5 * 60_000;

/** What a transfer found by correlationId must match to be the row's payment. */
interface LookupMatch {
  correlationId: string;
  destination: string;
  /** The intent's amount; undefined for a paymentId's lookup (its destination is enough). */
  amountCents?: number;
  /** Created no earlier than this (ms): a transfer of an older batch that reused the correlationId never settles a new row. */
  notBeforeMs?: number;
}

function isTransferOf(t: Transfer, m: LookupMatch): boolean {
  const dest = t._links['destination-funding-source']?.href;
  return (
    dest !== undefined &&
    parseFundingSourceRef(dest) === m.destination &&
    (m.amountCents === undefined || t.amount.value === formatCents(m.amountCents)) &&
    (m.notBeforeMs === undefined || Date.parse(t.created) >= m.notBeforeMs)
  );
}

/** The lookup of a row with an earlier intent: the intent's correlationId, destination and amount, dated by the first intent. */
function intentMatch(intent: IntentRecord, firstIntentAt: string | undefined): LookupMatch {
  return {
    correlationId: intent.correlationId,
    destination: intent.destination,
    amountCents: intent.amountCents,
    notBeforeMs: Date.parse(firstIntentAt ?? intent.at) - LOOKUP_SKEW_MS,
  };
}

/** Whether a row is looked up at Dwolla before it is sent (it may have been paid already). */
export function needsLookup(r: RowToSend): boolean {
  return lookupMatchOf(r) !== undefined;
}

/** What a row is looked up by before it is sent, if it is: an earlier intent's, or a new paymentId's. */
function lookupMatchOf(r: RowToSend): LookupMatch | undefined {
  if (r.earlierIntent) {
    return intentMatch(r.earlierIntent, r.firstIntentAt);
  }
  return r.lookUpPaymentId
    ? { correlationId: r.row.correlationId, destination: r.row.payment.destinationId }
    : undefined;
}

/**
 * Runs `each` over the items as they come, with at most `bound` of them unsettled at once; once
 * `stopped()` says so, or an `each` failed, takes no more items. Resolves when every item taken
 * has settled (rejects then with the first failure). A count and one waiter: no per-item
 * reaction on every unsettled item (as a Promise.race over them would add).
 */
async function forEachBounded<T>(
  items: AsyncIterable<T> | Iterable<T>,
  bound: number,
  each: (item: T) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  let unsettled = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const settled = () => {
    unsettled--;
    const waiter = wake;
    wake = undefined;
    waiter?.();
  };
  const failed = (error: unknown) => {
    failure ??= { error };
    settled();
  };
  const fewerThan = async (n: number) => {
    while (unsettled >= n) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  for await (const item of items) {
    if (stopped() || failure) {
      break;
    }
    unsettled++;
    each(item).then(settled, failed);
    await fewerThan(bound);
  }
  await fewerThan(1);
  if (failure) {
    throw failure.error;
  }
}

/** Rows held by a submitter at once (in flight, or queued for a lane): at least this many... */
const WINDOW_MIN = 256;
/** ...or this many per transfer allowed in flight. */
const WINDOW_PER_SLOT = 16;
/**
 * Rows from bank sources whose intent may be written ahead of a free slot to POST: as many as
 * transfers may be in flight (at least 2). Refilled by halves, so that intents are written in
 * groups (one durable write for several) while half of them are still ready to go.
 */
const AHEAD_MIN = 2;
/**
 * A row prepared ahead that waited longer than this for its slot (its balance source's transfer
 * before it was being retried) has its clearing decided, and its intent written, again: the
 * clearing is decided when the row is sent.
 */
const PREPARED_FRESH_MS = 1000;

/** A row whose intent is durable: what its POST sends. */
interface Prepared {
  body: CreateTransferRequest;
  clearing: ClearingColumns;
  /** When its clearing was decided (ms). */
  decidedAt: number;
}

/**
 * Where a row waits to be sent. `ahead`: rows being prepared, or prepared and waiting for a slot
 * to POST (a row holds it until it holds those slots). `post`: a balance source's one transfer
 * in flight; bank rows have none of their own (only the global --concurrency slots).
 */
interface Lane {
  ahead: Slots;
  post?: Slots;
}

/** A prepared row's turn to POST: the slots it holds, given back once its POST settled. */
interface Turn {
  prepared: Prepared;
  release: () => void;
}

function isOutcome<T extends object>(x: T | RowOutcome): x is RowOutcome {
  return 'status' in x;
}

export class Submitter {
  private readonly stopper = new AbortController();
  /** What this submitter did so far. */
  readonly counts = new ThisRunCounter();
  /** Sources whose rows are not sent in this run (their balance could not be read), with why. */
  private readonly blocked = new Map<string, string>();
  /** Transfers in flight: --concurrency. */
  private readonly global: Slots;
  /** Lookups by correlationId before a send: their own bound, beside the transfers'. */
  private readonly lookups: LimitFunction;
  /** Bank rows: prepared ahead of a free slot (AHEAD_MIN). */
  private readonly bankLane: Lane;
  private readonly balanceLanes = new Map<string, Lane>();
  /** Outcome records being made durable: awaited before submitAll returns, not on each row's path. */
  private readonly outcomeWrites = new Set<Promise<void>>();
  /** Keys whose intent this run wrote but whose POST it never sent. */
  private readonly neverPosted = new Set<string>();
  private readonly retries: Parameters<typeof withRetries>[1];
  /** The clearing decisions of the current second (clearingAt). */
  private decided = { second: -1, byKey: new Map<string, ClearingColumns>() };

  constructor(
    private readonly deps: SubmitDeps,
    private readonly settings: SubmitSettings,
    private readonly sources: ReadonlyMap<string, SourceCheck>,
  ) {
    this.global = new Slots(settings.concurrency);
    this.lookups = pLimit(settings.concurrency);
    const ahead = Math.max(AHEAD_MIN, settings.concurrency);
    this.bankLane = { ahead: new Slots(ahead, Math.floor(ahead / 2)) };
    this.retries = {
      maxAttempts: settings.maxAttempts,
      signal: this.stopper.signal,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    };
  }

  /**
   * Whether this run journalled an intent for the row's key but never sent its POST (it stopped
   * first, or the state could not be written): the row was not attempted in this run.
   */
  sentNothingFor(key: string): boolean {
    return this.neverPosted.has(key);
  }

  /**
   * Why a row from `sourceId` that this run did not send and did not journal is `pending`, when a
   * reason is known: the state could not be written, or its source could not be checked or read.
   */
  whyPending(sourceId: string | undefined): Pick<RowOutcome, 'errorCode' | 'errorMessage'> | undefined {
    if (this.stateFailure !== undefined) {
      return { errorCode: 'StateUnwritable', errorMessage: this.stateFailure };
    }
    const blocked = sourceId === undefined ? undefined : this.blocked.get(sourceId);
    if (blocked !== undefined) {
      return { errorCode: 'SourceLookupFailed', errorMessage: blocked };
    }
    const source = sourceId === undefined ? undefined : this.sources.get(sourceId);
    return source?.ok === false && source.code === 'SourceLookupFailed'
      ? { errorCode: source.code, errorMessage: source.message }
      : undefined;
  }

  /** Sends nothing from `sourceId` in this run (its rows stay pending), saying why; lookups of its earlier sends still run. */
  block(sourceId: string, why: string): void {
    this.blocked.set(sourceId, why);
  }

  /** Why the state could not be written, if it could not: sending stopped then. */
  stateFailure: string | undefined;

  /**
   * The clock of every record and decision: --now when given (replays and tests), so that the
   * ledger's times and the repeat window are read on one clock.
   */
  private now(): Date {
    return this.settings.now ?? this.deps.clock();
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** No new sends; retry waits end at once; requests in flight finish (bounded by the timeout). */
  stop(): void {
    this.stopper.abort();
  }

  /** Sends every row; resolves with each row's outcome by key once all are settled (tests, bench). */
  async submitAll(
    rows: readonly RowToSend[],
    onOutcome?: (row: ValidRow, outcome: RowOutcome) => void,
  ): Promise<Map<string, RowOutcome>> {
    const outcomes = new Map<string, RowOutcome>();
    await this.submitStream(rows, (row, outcome) => {
      outcomes.set(row.key, outcome);
      onOutcome?.(row, outcome);
    });
    return outcomes;
  }

  /**
   * Sends the rows as they come, holding at most a bounded window of them (in flight or waiting
   * for their balance source's lane), so memory stays flat however many rows there are. Each
   * settled outcome goes to `onOutcome` and is dropped; the journal keeps it. Once stopped, no
   * more rows are taken from `rows`: the rows not taken are not attempted.
   */
  async submitStream(
    rows: AsyncIterable<RowToSend> | Iterable<RowToSend>,
    onOutcome?: (row: ValidRow, outcome: RowOutcome) => void,
  ): Promise<void> {
    const each = async (r: RowToSend) => {
      const outcome = await this.submitOne(r);
      this.counts.add(outcome);
      onOutcome?.(r.row, outcome);
    };
    await forEachBounded(rows, this.windowSize(), each, () => this.stopped);
    await this.flushOutcomes();
  }

  /** How many rows the submitter holds at once (in flight, or queued for a lane). */
  private windowSize(): number {
    return Math.max(WINDOW_MIN, this.settings.concurrency * WINDOW_PER_SLOT);
  }

  /** One row: its lookup first when it needs one, then its source's lane and the POST. */
  private async submitOne(r: RowToSend): Promise<RowOutcome> {
    return (await this.lookUpFirst(r)) ?? (await this.sendRow(r.row));
  }

  /**
   * Waits for the outcome records being made durable, written at once: no intent comes any more
   * for them to wait for. The journal's outcomes first: each goes to the ledger once durable.
   */
  private async flushOutcomes(): Promise<void> {
    await this.deps.journal.flush();
    await this.deps.ledger?.flush?.().catch(() => undefined); // a failure is the outcomes' own, below
    // An outcome that could not be made durable leaves the row's intent open: a rerun looks it up.
    const written = await Promise.allSettled([...this.outcomeWrites]);
    const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) {
      this.failState(failed.reason);
    }
  }

  /**
   * Settles by lookup alone the rows that need one (sends nothing), a bounded window at a time:
   * each row the lookups settled (found at Dwolla, unknown, or stopped) goes to `onSettled`. The
   * rows left are sent later.
   */
  async lookUpStream(
    rows: AsyncIterable<RowToSend> | Iterable<RowToSend>,
    onSettled: (row: ValidRow, outcome: RowOutcome) => void,
  ): Promise<void> {
    const each = async (r: RowToSend) => {
      const outcome = await this.lookUpFirst(r);
      if (outcome !== undefined) {
        this.counts.add(outcome);
        onSettled(r.row, outcome);
      }
    };
    await forEachBounded(rows, this.windowSize(), each);
    await this.flushOutcomes();
  }

  /** State (journal or ledger) cannot be written: no new sends; what is known is still reported. */
  private failState(err: unknown): void {
    this.stateFailure ??= err instanceof Error ? err.message : String(err);
    this.deps.log.error({ error: this.stateFailure }, 'state cannot be written: stopping');
    this.stop();
  }

  /**
   * The lookup a row needs before it is sent, if any: its settled outcome when that decides the
   * row (found, unknown, or stopped), else undefined (send it). Lookups are not transfers: they
   * run beside the sends, at most --concurrency at once, and outside a balance source's one-at-a-
   * time lane, so a batch of new paymentIds is not slowed to one round trip after another.
   */
  private async lookUpFirst(r: RowToSend): Promise<RowOutcome | undefined> {
    const match = lookupMatchOf(r);
    if (!match) {
      return undefined;
    }
    return this.lookups(async () => {
      if (this.stopped) {
        return { status: 'pending', attempts: 0 };
      }
      // An earlier send is looked up among the transfers of the source it was sent from (the
      // intent's), which may not be the row's source now (another --source after a shortfall).
      const sentFrom = this.sources.get(r.earlierIntent?.source ?? r.row.payment.sourceId);
      const found = await this.lookUp(r.row, sentFrom, match, r.earlierIntent);
      return found ?? (this.stopped ? { status: 'pending', attempts: 0 } : undefined);
    });
  }

  /**
   * Sends a row whose lookup (if it needed one) found nothing: its intent is written while it
   * waits among the rows of its lane prepared ahead, then its POST once it holds its slots.
   */
  private async sendRow(row: SendableRow): Promise<RowOutcome> {
    const source = this.usableSource(row);
    if (isOutcome(source)) {
      return source;
    }
    const lane = this.laneOf(source);
    const leaveAhead = await lane.ahead.acquire();
    let turn: Turn | RowOutcome;
    try {
      turn = await this.prepareTurn(row, source, lane);
    } finally {
      leaveAhead();
    }
    if (isOutcome(turn)) {
      return turn;
    }
    return this.post(row, turn);
  }

  /** The row's source when the row can be sent; else its outcome (not sent: stopped, or the source's problem). */
  private usableSource(row: SendableRow): UsableSource | RowOutcome {
    if (this.stopped) {
      return { status: 'pending', attempts: 0 };
    }
    const source = this.sources.get(row.payment.sourceId);
    const blocked = this.blocked.get(row.payment.sourceId);
    if (blocked !== undefined) {
      return { status: 'pending', attempts: 0, errorCode: 'SourceLookupFailed', errorMessage: blocked };
    }
    if (!source?.ok) {
      const problem = source ?? {
        code: 'SourceLookupFailed',
        message: `source ${row.payment.sourceId} was not checked`,
      };
      if (problem.code === 'SourceLookupFailed') {
        return { status: 'pending', attempts: 0, errorCode: problem.code, errorMessage: problem.message };
      }
      return this.record(row, {
        status: 'failed',
        attempts: 0,
        ...('httpStatus' in problem && problem.httpStatus ? { httpStatus: problem.httpStatus } : {}),
        errorCode: problem.code,
        errorMessage: problem.message,
      });
    }
    const refusal = metadataRefusal(row, source);
    if (refusal !== undefined) {
      return this.record(row, {
        status: 'failed',
        attempts: 0,
        errorCode: 'MetadataNotSupported',
        errorMessage: refusal,
      });
    }
    return source;
  }

  /** A balance source's rows go one at a time (one POST in flight, one row prepared ahead); bank rows share one lane. */
  private laneOf(source: UsableSource): Lane {
    if (source.type !== 'balance') {
      return this.bankLane;
    }
    let lane = this.balanceLanes.get(source.id);
    if (!lane) {
      lane = { ahead: new Slots(1), post: new Slots(1) };
      this.balanceLanes.set(source.id, lane);
    }
    return lane;
  }

  /**
   * Makes the row's intent durable, then waits for its slots to POST: its lane's own (a balance
   * source's one transfer in flight), then a global one. A row that waited long is decided and
   * journalled again, now.
   */
  private async prepareTurn(row: SendableRow, source: UsableSource, lane: Lane): Promise<Turn | RowOutcome> {
    if (this.stopped) {
      return { status: 'pending', attempts: 0 };
    }
    let prepared = await this.prepare(row, source);
    if (isOutcome(prepared)) {
      return prepared;
    }
    const own = lane.post ? await lane.post.acquire() : undefined;
    const shared = await this.global.acquire();
    const release = () => {
      shared();
      own?.();
    };
    if (!this.stopped && this.now().getTime() - prepared.decidedAt > PREPARED_FRESH_MS) {
      const again = await this.prepare(row, source);
      if (isOutcome(again)) {
        release();
        return again;
      }
      prepared = again;
    }
    return { prepared, release };
  }

  /**
   * Decides the row's clearing now and makes its intent durable: the journal first, then the
   * ledger (a crash between them leaves the journal ahead of the ledger, never behind it: a
   * journal that lacks what the ledger recorded is refused as cut short).
   */
  private async prepare(row: SendableRow, source: UsableSource): Promise<Prepared | RowOutcome> {
    const now = this.now();
    const clearing = this.clearingAt(now, row);
    const unwritten = await this.writeIntent(row, clearing, now);
    if (unwritten) {
      return unwritten;
    }
    const body = transferRequest(row.payment, row.correlationId, clearing.clearing, source.type, this.deps.client);
    return { body, clearing, decidedAt: now.getTime() };
  }

  /**
   * Makes the row's intent durable: the journal first, then the ledger. Undefined once it is;
   * else the row's outcome (pending: nothing may be sent for it) and the run stops.
   * `massPayment`: the id of the mass payment chunk the row is sent in (src/batch/mass-send.ts).
   */
  async writeIntent(
    row: SendableRow,
    clearing: ClearingColumns,
    now: Date,
    massPayment?: string,
  ): Promise<RowOutcome | undefined> {
    const intent: IntentRecord = {
      type: 'intent',
      at: now.toISOString(),
      key: row.key,
      row: row.line,
      correlationId: row.correlationId,
      destination: row.payment.destinationId,
      amountCents: row.payment.amountCents,
      source: row.payment.sourceId,
      ...clearing,
      ...(massPayment === undefined ? {} : { massPayment }),
    };
    try {
      await this.deps.journal.append(intent);
      await this.deps.ledger?.intent(row, intent);
      return undefined;
    } catch (err) {
      // Without a durable intent the POST must not leave: the row is not attempted.
      this.failState(err);
      this.neverPosted.add(row.key);
      return { status: 'pending', attempts: 0, errorCode: 'StateUnwritable', errorMessage: this.stateFailure };
    }
  }

  /** The row's clearing decided now (a mass payment's rows: when their chunk is sent). */
  clearingNow(row: SendableRow): { now: Date; clearing: ClearingColumns } {
    const now = this.now();
    return { now, clearing: this.clearingAt(now, row) };
  }

  /** Journals a settled outcome of a row sent another way (a mass payment item), and counts it. */
  settle(row: ValidRow, outcome: RowOutcome): RowOutcome {
    const recorded = this.record(row, outcome);
    this.counts.add(recorded);
    return recorded;
  }

  /**
   * The lookup a row needs before its first send, if any (an earlier intent, a new paymentId),
   * counted when it settles the row; undefined: send it.
   */
  async lookUpBeforeSend(r: RowToSend): Promise<RowOutcome | undefined> {
    const outcome = await this.lookUpFirst(r);
    if (outcome !== undefined) {
      this.counts.add(outcome);
    }
    return outcome;
  }

  /**
   * Also looks among the items of mass payments Dwolla has not completed (src/batch/pending-mass-items.ts)
   * before a row's first send, or the send of a row whose chunk was never recorded: such an item
   * has no transfer yet. Undefined (send it) when none carries the row; else it is pending.
   */
  private async inPendingMassPayment(
    row: ValidRow,
    customerId: string | undefined,
    correlationId: string,
    intent: IntentRecord | undefined,
  ): Promise<RowOutcome | undefined> {
    const wanted = this.pendingMassItems !== undefined && (intent === undefined || intent.massPayment !== undefined);
    const url = wanted ? await this.pendingMassItems!.find(customerId, correlationId) : undefined;
    if (url === undefined) {
      return undefined;
    }
    const reason = `an item of mass payment ${url}, not complete at Dwolla, has this row's correlationId: not sent; run the same command again once Dwolla has processed it`;
    this.heldPending.set(row.key, reason);
    return { status: 'pending', attempts: 0, errorCode: 'InMassPayment', errorMessage: reason };
  }

  /** Lookups before a first send also search these (Mass Payment mode's items not yet processed). */
  watchMassPayments(items: PendingMassItems): void {
    this.pendingMassItems = items;
  }

  private pendingMassItems: PendingMassItems | undefined;
  private readonly heldPending = new Map<string, string>();

  /** Why a row the lookups left pending (its payment may be an item of a mass payment not yet complete). */
  pendingReason(key: string): string | undefined {
    return this.heldPending.get(key);
  }

  /** Says why a row created as its own transfer went so (Mass Payment mode), in its errorMessage. */
  annotate(noteFor: (row: ValidRow) => string | undefined): void {
    this.noteFor = noteFor;
  }

  private noteFor: ((row: ValidRow) => string | undefined) | undefined;

  /** Waits until every outcome recorded is durable (or the run stopped on one that could not be). */
  flush(): Promise<void> {
    return this.flushOutcomes();
  }

  /** The retries of a request (the run's --max-attempts, cut short by stop()). */
  get retryOptions(): Parameters<typeof withRetries>[1] {
    return this.retries;
  }

  /** Marks a row whose intent this run wrote as never sent (its chunk's POST never left). */
  neverSent(key: string): void {
    this.neverPosted.add(key);
  }

  /** State could not be written: stops the run (src/batch/mass-send.ts's chunk records). */
  stateUnwritable(err: unknown): void {
    this.failState(err);
  }

  /** Searches the source owner's transfers by correlationId; undefined when none is this row's. */
  private async lookUp(
    row: ValidRow,
    source: SourceCheck | undefined,
    wanted: LookupMatch,
    intent: IntentRecord | undefined,
  ): Promise<RowOutcome | undefined> {
    const { client } = this.deps;
    const known = ownerOf(source);
    if (known === undefined) {
      // Searching another owner's transfers would find nothing and send it again: not knowing, it is not sent.
      return this.record(row, {
        status: 'unresolved',
        attempts: 0,
        errorCode: 'SourceLookupFailed',
        errorMessage: `cannot tell whose transfers to search for this row's earlier send (${source?.ok === false ? source.message : 'its source was not checked'}); not sent again: run the same command again once the source can be read`,
      });
    }
    const owner = known.customerId ? { customerId: known.customerId } : {};
    try {
      const { value: page } = await withRetries(
        () => client.listTransfers({ ...owner, correlationId: wanted.correlationId, limit: 200 }),
        this.retries,
      );
      const match = page._embedded.transfers.find((t) => isTransferOf(t, wanted));
      if (!match) {
        return await this.inPendingMassPayment(row, known.customerId, wanted.correlationId, intent);
      }
      const { clearing, sameDayCutoff, fundsAvailableBy } = intent ?? {};
      const outcome: RowOutcome = {
        status: 'created',
        attempts: 0,
        transferUrl: match._links.self?.href ?? client.transferUrl(match.id),
        transferId: match.id,
        clearing,
        sameDayCutoff,
        fundsAvailableBy,
        via: 'lookup',
      };
      return this.record(row, outcome);
    } catch (err) {
      // Stopped (a signal) while looking: nothing was sent for it in this run, so it is pending,
      // and the next run looks it up again.
      if (callFailure(err).reason === 'aborted') {
        return { status: 'pending', attempts: 0 };
      }
      // Not knowing whether it exists, the row must not be sent again in this run.
      return this.record(row, { status: 'unresolved', attempts: 0, ...describeFailure(err) });
    }
  }

  /**
   * The row's clearing, decided at `now`. A decision depends on the time only through Central
   * dates and cutoffs less a whole number of minutes, which all fall on whole seconds, and on the
   * amount only through the Same Day limit: so the decisions of one second are made once per
   * policy (the time-zone conversions are most of a decision's cost).
   */
  private clearingAt(now: Date, row: SendableRow): ClearingColumns {
    const policy = row.payment.clearing ?? this.settings.clearing;
    const { cutoffMarginMinutes } = this.settings;
    const decide = () =>
      Object.freeze(
        clearingColumns(decideClearing({ now, policy, amountCents: row.payment.amountCents, cutoffMarginMinutes })),
      );
    if (!Number.isInteger(cutoffMarginMinutes)) {
      return decide();
    }
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.decided.second) {
      this.decided = { second, byKey: new Map() };
    }
    const key = row.payment.amountCents > SAME_DAY_LIMIT_CENTS ? `${policy}+` : policy;
    let clearing = this.decided.byKey.get(key);
    if (clearing === undefined) {
      clearing = decide();
      this.decided.byKey.set(key, clearing);
    }
    return clearing;
  }

  /**
   * The POST of a prepared row (its intent is durable), retried with the same key. Its slots are
   * given back as soon as Dwolla answered (or retries ran out), before its outcome is recorded:
   * the next row's POST leaves at once.
   */
  private async post(row: SendableRow, { prepared: { body, clearing }, release }: Turn): Promise<RowOutcome> {
    const { client } = this.deps;
    let sent: { value: CreatedTransfer; attempts: number };
    try {
      sent = await withRetries(() => client.createTransfer(body, row.key), this.retries);
    } catch (err) {
      release();
      // Stopped before its POST left (its intent was durable): the row was not attempted
      // (pending), not unresolved. Its open intent makes a rerun look it up first.
      const failure = callFailure(err);
      if (failure.reason === 'aborted' && failure.attempts === 0) {
        this.neverPosted.add(row.key);
        return this.record(row, { status: 'pending', attempts: 0 });
      }
      const attempts = failure.attempts ?? 1;
      const status = failure.reason === 'permanent' ? 'failed' : 'unresolved';
      return this.record(row, { status, attempts, ...describeFailure(err), ...clearing });
    }
    release();
    const { value, attempts } = sent;
    return this.record(row, {
      status: 'created',
      attempts,
      transferUrl: value.location,
      transferId: value.id,
      httpStatus: value.httpStatus,
      ...clearing,
      via: 'post',
    });
  }

  /**
   * Journals a settled outcome and logs it. The record's fields come in the order the outcomes
   * above are built in: status, attempts, the transfer or the failure, the clearing, `via`.
   */
  private record(row: ValidRow, settled: RowOutcome): RowOutcome {
    const { journal, log } = this.deps;
    const note = settled.status === 'created' && settled.errorMessage === undefined ? this.noteFor?.(row) : undefined;
    const outcome = note === undefined ? settled : { ...settled, errorMessage: note };
    if (outcome.status !== 'pending') {
      // The intent was durable before the POST; a crash before this record is durable only means
      // the rerun looks the row up by correlationId. So the row's slot is not held for this fsync.
      const record: OutcomeRecord = {
        type: 'outcome',
        at: this.now().toISOString(),
        key: row.key,
        row: row.line,
        ...outcome,
      };
      const durable = journal.append(record, { linger: true }).then(() => this.deps.ledger?.outcome(row, record));
      // A write that fails stops the run at once (and stays in the set for flushOutcomes to report);
      // one that succeeds leaves the set, so the set holds only the writes in flight.
      this.outcomeWrites.add(durable);
      durable.then(
        () => this.outcomeWrites.delete(durable),
        (err: unknown) => this.failState(err),
      );
    }
    const created = outcome.status === 'created';
    if (!log.isLevelEnabled(created ? 'info' : 'warn')) {
      return outcome; // no log line: nothing built for it (most rows, at the default level)
    }
    const entry = {
      row: row.line,
      key: row.key,
      status: outcome.status,
      transferId: outcome.transferId,
      errorCode: outcome.errorCode,
      attempts: outcome.attempts,
    };
    if (created) {
      log.info(entry, 'row created');
    } else {
      log.warn({ ...entry, error: outcome.errorMessage }, `row ${outcome.status}`);
    }
    return outcome;
  }
}
