/**
 * Mass Payment mode (`--mode mass-payment|auto`): the rows of a source go to Dwolla in mass
 * payments (OpenAPI initiateMassPayment, up to 5,000 items each; Dwolla's send-money guide
 * recommends them for batches), still exactly once per row.
 *
 * A chunk is at most --chunk-size rows of one source, in file order. Its id, which is both its
 * correlationId and its Idempotency-Key, is derived from the batch and its rows' keys. Before its
 * POST: each row's intent (naming the chunk) is durable in the journal and the ledger, then the
 * chunk's record with the exact body (src/batch/chunk-file.ts); after the 201, its Location.
 * The run then waits for the mass payment to be `complete` (OpenAPI getMassPayment, polled with
 * backoff) and pages through its items (listMassPaymentItems): a `success` item's transfer is its
 * row's (`created`), a `failed` item's errors are its row's (`failed`).
 *
 * A rerun settles a row whose intent names a chunk through that chunk: its Location if recorded,
 * else the source owner's mass payments by correlationId (listMassPayments); only when Dwolla does
 * not have it is the recorded body sent again, with the same key. A chunk whose record was never
 * written was never sent: its rows are looked up like any row with an intent, then chunked again.
 *
 * Rows a mass payment cannot carry (a facilitator fee, source addenda: src/dwolla/mass-payment-request.ts)
 * go as single transfers; with --deferred they are not sent (a second person releases only what
 * Dwolla holds), and say so.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DwollaClient } from '../dwolla/client.js';
import { DwollaApiError, type DwollaError } from '../dwolla/errors.js';
import { massPaymentMisfit, massPaymentRequest } from '../dwolla/mass-payment-request.js';
import { callFailure, defaultSleep, withRetries } from '../dwolla/retry.js';
import type { MassPayment, MassPaymentItem } from '../dwolla/types.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import { parseAmount } from '../input/money.js';
import { EMPTY_KNOWN_CELLS } from '../input/validation.js';
import type { ClearingColumns } from '../plan/clearing.js';
import type { SendableRow } from '../plan/planner.js';
import type { ChunkFile, KnownChunk } from './chunk-file.js';
import type { IntentRecord } from './journal.js';
import type { RowOutcome } from './outcome.js';
import { metadataRefusal, ownerOf, type SourceCheck, type UsableSource } from './preflight.js';
import type { MassPaymentSettings } from './settings.js';
import type { RowToSend, Submitter } from './submit.js';

export interface MassSendSettings extends MassPaymentSettings {
  batchId: string;
  /** How `payouts approve`/`cancel` reach this batch's API: `--env sandbox` or `--api-url URL`. */
  releaseOptions: string;
  /** The run's plan digest (hex): recorded with each chunk for `payouts approve`. */
  planDigest: string;
  /** How long to wait for a mass payment to complete before leaving it to a rerun. */
  maxWaitMs?: number;
}

export interface MassSendDeps {
  client: DwollaClient;
  submitter: Submitter;
  chunkFile: ChunkFile;
  /** The chunks earlier runs recorded, by id. */
  known: Map<string, KnownChunk>;
  log: Logger;
  /** Poll waits, injectable; default a timer cut short by the run's stop. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A row of a chunk: the row, and the correlationId and clearing it was sent with. */
interface ChunkRow {
  row: SendableRow;
  correlationId: string;
  clearing: Partial<ClearingColumns>;
}

/**
 * A row as a chunk holds it, from the moment it joins one until its mass payment is complete: what
 * its intent, the request, its item's match and its outcome need (key, line, payment,
 * correlationId), without its file cells, which nothing reads after planning (results come from
 * the file streamed again). Up to (MAX_OPEN_CHUNKS + a filling chunk per source) × 5,000 rows are
 * held at once.
 */
function held(row: SendableRow): SendableRow {
  return { ...row, cells: [], given: EMPTY_KNOWN_CELLS };
}

/** One chunk this run sent or settles: its rows here. */
interface OpenChunk {
  id: string;
  url: string | undefined;
  source: string;
  deferred: boolean;
  /** This run POSTed it: its items are this run's sends (else they are recorded as found). */
  mine: boolean;
  rows: ChunkRow[];
}

/** Rows looked up together before they join chunks (their order kept). */
const LOOKUP_WINDOW = 256;
/** Mass payments this run holds at once, waiting for Dwolla to complete them (their rows in memory). */
const MAX_OPEN_CHUNKS = 4;
/** Items per page of `GET /mass-payments/{id}/items`. */
const ITEMS_PAGE = 200;
/** Pages of items read at once. */
const PAGES_AT_ONCE = 4;
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 10_000;
const DEFAULT_MAX_WAIT_MS = 30 * 60_000;
/** The error code of the rows of a cancelled mass payment: a person's decision, never sent again. */
export const MASS_PAYMENT_CANCELLED = 'MassPaymentCancelled';
/** A mass payment found by correlationId is a row's only if made at most this long before its first intent (clocks differ). */
const LOOKUP_SKEW_MS = 5 * 60_000;
/**
 * A fresh chunk adopts a mass payment Dwolla already has with its correlationId (the state of a
 * crashed run was lost) only if it is at most this old: an older one is another payroll's.
 */
const LOST_STATE_WINDOW_MS = 3 * 86_400_000;

/** A chunk's id: its correlationId and Idempotency-Key, from the batch and its rows' keys. */
function chunkId(batchId: string, keys: readonly string[]): string {
  const hash = createHash('sha256').update(batchId);
  for (const key of keys) {
    hash.update('\n').update(key);
  }
  return `payouts-mp-${hash.digest('hex').slice(0, 40)}`;
}

/**
 * The sources whose fresh rows go in mass payments: with `mass-payment` every usable source; with
 * `auto` those with more than --mass-payment-threshold rows to send; with `transfers` none.
 */
export function massSources(
  s: MassPaymentSettings,
  freshBySource: ReadonlyMap<string, number>,
  sources: ReadonlyMap<string, SourceCheck>,
): Set<string> {
  const chosen = new Set<string>();
  if (s.mode === 'transfers') {
    return chosen;
  }
  for (const [id, check] of sources) {
    const rows = freshBySource.get(id) ?? 0;
    if (check.ok && (s.mode === 'mass-payment' || rows > s.massPaymentThreshold)) {
      chosen.add(id);
    }
  }
  return chosen;
}

export class MassSender {
  /** Rows of a mass source that a mass payment cannot carry, kept from sending by --deferred, and why. */
  private readonly withheld = new Map<string, string>();
  /** Rows left pending by this run (deferred, --no-wait, still processing, stopped), and why. */
  private readonly waiting = new Map<string, { reason: string; clearing?: Partial<ClearingColumns> }>();
  /** Fresh rows of each source, waiting to fill a chunk. */
  private readonly filling = new Map<string, SendableRow[]>();
  /** Rows of chunks recorded by earlier runs, by chunk id. */
  private readonly earlier = new Map<string, Array<{ row: SendableRow; intent: IntentRecord }>>();
  private readonly open: OpenChunk[] = [];
  /** What this run did with mass payments, for its summary. */
  private readonly made = { created: 0, items: 0, byStatus: new Map<string, number>() };
  private pollSleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly deps: MassSendDeps,
    private readonly settings: MassSendSettings,
    private readonly sources: ReadonlyMap<string, SourceCheck>,
    private readonly mass: ReadonlySet<string>,
  ) {
    this.pollSleep = deps.sleep ?? deps.submitter.retryOptions.sleep ?? defaultSleep;
  }

  /** Mass payments carry this row (a fresh row of a mass source that fits, or a row of an earlier chunk). */
  takes(r: RowToSend): boolean {
    const chunk = r.earlierIntent?.massPayment;
    if (r.earlierIntent && chunk === undefined) {
      return false; // sent as its own transfer before: looked up, and sent so again if need be
    }
    if (chunk !== undefined && !r.failedBefore && this.deps.known.has(chunk)) {
      return true; // settled through its recorded chunk, whatever --mode says now
    }
    // A fresh row; a row whose item failed (sent again, as a new payment); a row of a chunk never
    // recorded (never sent): in a mass payment if one can carry it now, else as a transfer.
    return this.fits(r.row);
  }

  private fits(row: SendableRow): boolean {
    return this.massSource(row) !== undefined && massPaymentMisfit(row.payment) === undefined;
  }

  /**
   * A row that goes as a single transfer (not `takes`) but is not sent in this run: with
   * --deferred, a row of a mass source that a mass payment cannot carry. Remembers why.
   */
  withholds(r: RowToSend): boolean {
    if (!this.settings.deferred || r.earlierIntent || this.massSource(r.row) === undefined) {
      return false;
    }
    const misfit = massPaymentMisfit(r.row.payment);
    if (misfit === undefined) {
      return false;
    }
    this.withheld.set(
      r.row.key,
      `not sent: ${misfit}, and --deferred sends only what Dwolla holds for release; run without --deferred to send it as a transfer`,
    );
    return true;
  }

  /**
   * Why a row of a mass source went as its own transfer (what a mass payment item cannot carry),
   * for its results; undefined for any other row.
   */
  singleNote(row: SendableRow): string | undefined {
    const misfit = this.massSource(row) === undefined ? undefined : massPaymentMisfit(row.payment);
    return misfit === undefined ? undefined : `sent as a single transfer: ${misfit}`;
  }

  /**
   * One line for the run's summary, when this run created or settled mass payments: e.g.
   * "Mass payments: 1 created (24 items); 1 deferred (waiting for payouts approve)."
   */
  summaryLine(): string | undefined {
    const { created, items, byStatus } = this.made;
    if (created === 0 && byStatus.size === 0) {
      return undefined;
    }
    const { batchId, releaseOptions } = this.settings;
    const release = ` (waiting: a second person checks the plan with --dry-run, then runs 'payouts approve ${batchId} ${releaseOptions} --approve DIGEST'; then run this command again)`;
    const states = [...byStatus].map(([status, n]) => `${n} ${status}${status === 'deferred' ? release : ''}`);
    const made = created > 0 ? `${created} created (${items} item${items === 1 ? '' : 's'})` : 'none created';
    return `Mass payments: ${made}${states.length ? `; ${states.join(', ')}` : ''}.`;
  }

  /**
   * Why a row this run did not settle is pending, when this sender knows, with the clearing its
   * mass payment asked for (Same Day is decided when the chunk is sent).
   */
  pendingShown(key: string): ({ errorMessage: string } & Partial<ClearingColumns>) | undefined {
    const waiting = this.waiting.get(key);
    if (waiting) {
      return { errorMessage: waiting.reason, ...waiting.clearing };
    }
    const withheld = this.withheld.get(key);
    return withheld === undefined ? undefined : { errorMessage: withheld };
  }

  /** The fresh rows of a usable mass source whose metadata its type allows; else undefined. */
  private massSource(row: SendableRow): UsableSource | undefined {
    const id = row.payment.sourceId;
    const source = this.sources.get(id);
    if (!this.mass.has(id) || !source?.ok || metadataRefusal(row, source) !== undefined) {
      return undefined;
    }
    return source;
  }

  private get stopped(): boolean {
    return this.deps.submitter.stopped;
  }

  /**
   * Sends the rows it `takes` as they come: fresh rows are looked up when they need it (in order,
   * a window at a time), then fill their source's chunks; each full chunk is sent at once. Rows of
   * earlier chunks are gathered, then their chunks settled. `onSettled` gets each row settled here.
   */
  async send(rows: AsyncIterable<RowToSend>, onSettled: () => void): Promise<void> {
    let window: RowToSend[] = [];
    for await (const r of rows) {
      if (this.stopped) {
        break;
      }
      if (r.earlierIntent?.massPayment !== undefined && !r.failedBefore) {
        this.gather(r.earlierIntent.massPayment, r.row, r.earlierIntent);
        continue;
      }
      window.push(r);
      if (window.length >= LOOKUP_WINDOW) {
        await this.admit(window, onSettled);
        window = [];
      }
    }
    await this.admit(window, onSettled);
    await this.resumeEarlier(onSettled);
    for (const [source, filled] of this.filling) {
      this.filling.delete(source);
      await this.sendChunk(source, filled, onSettled);
    }
  }

  private gather(id: string, row: SendableRow, intent: IntentRecord): void {
    let rows = this.earlier.get(id);
    if (!rows) {
      rows = [];
      this.earlier.set(id, rows);
    }
    rows.push({ row: held(row), intent });
  }

  /** Looks up the rows that need it (together), then adds the rest, in order, to their chunks. */
  private async admit(window: readonly RowToSend[], onSettled: () => void): Promise<void> {
    const { submitter } = this.deps;
    const looked = await Promise.all(window.map((r) => submitter.lookUpBeforeSend(r)));
    for (const [i, r] of window.entries()) {
      if (looked[i] !== undefined) {
        onSettled();
        continue;
      }
      if (this.stopped) {
        return;
      }
      await this.add(r.row, onSettled);
    }
  }

  private async add(row: SendableRow, onSettled: () => void): Promise<void> {
    const source = row.payment.sourceId;
    let filled = this.filling.get(source);
    if (!filled) {
      filled = [];
      this.filling.set(source, filled);
    }
    filled.push(held(row));
    if (filled.length >= this.settings.chunkSize) {
      this.filling.delete(source);
      await this.sendChunk(source, filled, onSettled);
    }
  }

  /**
   * One chunk, once there is room for it among the open mass payments (so that no chunk's body is
   * held while an older one is waited for); nothing of it is written or sent after a stop (a
   * signal, the file changed), even one that came during that wait.
   */
  private async sendChunk(sourceId: string, rows: SendableRow[], onSettled: () => void): Promise<void> {
    if (rows.length > 0 && !this.stopped) {
      await this.roomForOne(onSettled);
    }
    if (rows.length === 0 || this.stopped) {
      // Stopped before this chunk's POST: its rows (some with an intent of a refused chunk) were not sent.
      this.neverSent(rows);
      return;
    }
    await this.recordAndPost(sourceId, rows, onSettled);
  }

  /**
   * The clearing decided now for each row, their intents durable, the chunk's record (its exact
   * body) durable, then `POST /mass-payments` with its Idempotency-Key.
   */
  private async recordAndPost(sourceId: string, rows: SendableRow[], onSettled: () => void): Promise<void> {
    const { submitter, client } = this.deps;
    const source = this.sources.get(sourceId) as UsableSource;
    const id = chunkId(
      this.settings.batchId,
      rows.map((r) => r.key),
    );
    const decided = rows.map((row) => submitter.clearingNow(row));
    const unwritten = await Promise.all(
      rows.map((row, i) => submitter.writeIntent(row, decided[i]!.clearing, decided[i]!.now, id)),
    );
    if (unwritten.some((u) => u !== undefined)) {
      // The run stops: its rows are pending, their intents (those written) name a chunk never recorded.
      this.neverSent(rows);
      return;
    }
    const body = massPaymentRequest(
      { sourceId, sourceType: source.type, correlationId: id, deferred: this.settings.deferred },
      rows.map((row, i) => ({
        payment: row.payment,
        correlationId: row.correlationId,
        clearing: decided[i]!.clearing.clearing,
      })),
      client,
    );
    const at = decided[0]!.now.toISOString();
    const record = {
      type: 'chunk' as const,
      id,
      at,
      source: sourceId,
      keys: rows.map((r) => r.key),
      planDigest: this.settings.planDigest,
      deferred: this.settings.deferred,
      body,
    };
    try {
      await this.deps.chunkFile.append(record);
    } catch (err) {
      submitter.stateUnwritable(err);
      this.neverSent(rows);
      return;
    }
    // Dwolla may have it already though nothing here says so (the batch's state was lost, and its
    // Idempotency-Key is forgotten after 24 hours): one search per chunk, before its POST.
    const search = await this.searchDwolla(id, sourceId, decided[0]!.now.getTime() - LOST_STATE_WINDOW_MS);
    const chunk: OpenChunk = {
      id,
      url: 'url' in search ? search.url : undefined,
      source: sourceId,
      deferred: this.settings.deferred,
      mine: false,
      rows: rows.map((row, i) => ({
        row,
        correlationId: row.correlationId,
        clearing: decided[i]!.clearing,
      })),
    };
    if (chunk.url === undefined) {
      await this.post(chunk, record.body, onSettled);
      return;
    }
    this.deps.log.warn(
      { massPayment: chunk.url, correlationId: id },
      'mass payment found at Dwolla before its POST: not sent again',
    );
    await this.recordLocation(chunk, chunk.url);
    await this.opened(chunk, onSettled);
  }

  /** Rows of a chunk that was not POSTed: pending, never sent. */
  private neverSent(rows: readonly SendableRow[]): void {
    for (const row of rows) {
      this.deps.submitter.neverSent(row.key);
    }
  }

  /** Waits for the oldest open chunks until one more may be held. */
  private async roomForOne(onSettled: () => void): Promise<void> {
    while (this.open.length >= MAX_OPEN_CHUNKS) {
      await this.finishOne(this.open.shift()!, onSettled);
    }
  }

  /**
   * A chunk now at Dwolla joins those being waited for. At most MAX_OPEN_CHUNKS are held at once
   * (their rows in memory): beyond, the oldest is waited for and recorded before the run goes on.
   */
  private async opened(chunk: OpenChunk, onSettled: () => void): Promise<void> {
    this.open.push(chunk);
    while (this.open.length > MAX_OPEN_CHUNKS) {
      await this.finishOne(this.open.shift()!, onSettled);
    }
  }

  /** Records where the chunk's mass payment is (a rerun finds it by correlationId when this fails). */
  private async recordLocation(chunk: OpenChunk, url: string): Promise<void> {
    await this.deps.chunkFile
      .append({ type: 'created', id: chunk.id, at: new Date().toISOString(), url })
      .catch((err: unknown) => this.deps.submitter.stateUnwritable(err));
  }

  /** The chunk's POST, retried with its key; its Location recorded. A refusal settles its rows. */
  private async post(
    chunk: OpenChunk,
    body: KnownChunk['record']['body'],
    onSettled: () => void,
    keys: readonly string[] = chunk.rows.map((r) => r.row.key),
  ): Promise<void> {
    const { client, submitter, log } = this.deps;
    try {
      const { value } = await withRetries(() => client.createMassPayment(body, chunk.id), submitter.retryOptions);
      chunk.url = value.url;
      chunk.mine = true;
      log.info({ massPayment: value.id, correlationId: chunk.id, items: chunk.rows.length }, 'mass payment created');
      this.made.created++;
      this.made.items += chunk.rows.length;
    } catch (err) {
      await this.refused(chunk, err, onSettled, keys);
      return;
    }
    await this.recordLocation(chunk, chunk.url);
    await this.opened(chunk, onSettled);
  }

  /**
   * A chunk whose POST failed: not sent (stopped first: pending); refused (each row with its
   * item's errors, the rest sent again as a chunk of their own); or unknown (unresolved: a rerun
   * looks it up first).
   */
  private async refused(chunk: OpenChunk, err: unknown, onSettled: () => void, keys: readonly string[]): Promise<void> {
    const { submitter } = this.deps;
    const failure = failureOf(err);
    if (failure.reason === 'aborted' && failure.attempts === 0) {
      for (const { row } of chunk.rows) {
        submitter.neverSent(row.key);
      }
      return;
    }
    const attempts = failure.attempts ?? 1;
    if (failure.reason !== 'permanent') {
      for (const { row, clearing } of chunk.rows) {
        submitter.settle(row, {
          status: 'unresolved',
          attempts,
          errorCode: failure.dwollaError?.code ?? 'MassPaymentUnknown',
          errorMessage: `mass payment ${chunk.id} may have been created (${failure.summary}): run the same command again; it is looked up first`,
          ...clearing,
        });
        onSettled();
      }
      return;
    }
    await this.refusedForGood(chunk, failure, onSettled, keys);
  }

  /** A chunk Dwolla refused (4xx): each row with its item's errors; the rows it did not refuse go again. */
  private async refusedForGood(
    chunk: OpenChunk,
    failure: ReturnType<typeof callFailure>,
    onSettled: () => void,
    keys: readonly string[],
  ): Promise<void> {
    const { submitter } = this.deps;
    const attempts = failure.attempts ?? 1;
    // Item errors are pathed by the index in the body sent: its keys' order (a recorded body may
    // hold rows that are not in this run's file any more).
    const errors = itemErrors(failure.dwollaError);
    const byKey = new Map([...errors].map(([i, e]) => [keys[i] ?? '', e]));
    const rest: SendableRow[] = [];
    for (const { row, clearing } of chunk.rows) {
      const own = byKey.get(row.key);
      if (own === undefined && errors.size > 0) {
        rest.push(row);
        continue;
      }
      const error = own ?? { code: failure.dwollaError?.code ?? 'MassPaymentRefused', message: failure.summary };
      submitter.settle(row, {
        status: 'failed',
        attempts,
        ...(failure.dwollaError?.httpStatus ? { httpStatus: failure.dwollaError.httpStatus } : {}),
        errorCode: error.code,
        errorMessage: error.message,
        ...clearing,
      });
      onSettled();
    }
    // Nothing of a refused mass payment was created: the rows it did not refuse go in a new one.
    await this.sendChunk(chunk.source, rest, onSettled);
  }

  /**
   * The chunks earlier runs sent: found by Location, else by correlationId at Dwolla, else (never
   * created) sent again as recorded, with the same key. A chunk never recorded was never sent: its
   * rows are chunked again.
   */
  private async resumeEarlier(onSettled: () => void): Promise<void> {
    for (const [id, rows] of this.earlier) {
      this.earlier.delete(id);
      if (this.stopped) {
        return;
      }
      await this.resumeChunk(id, rows, onSettled);
    }
  }

  private async resumeChunk(
    id: string,
    rows: Array<{ row: SendableRow; intent: IntentRecord }>,
    onSettled: () => void,
  ): Promise<void> {
    await this.roomForOne(onSettled);
    if (this.stopped) {
      return; // as resumeEarlier leaves the chunks after a stop
    }
    const known = this.deps.known.get(id);
    const source = known?.record.source ?? rows[0]!.intent.source;
    const chunk: OpenChunk = {
      id,
      url: known?.url,
      source,
      deferred: known?.record.deferred ?? false,
      mine: false,
      // The correlationId sent is the intent's: the file's may have been edited since (--resume).
      rows: rows.map(({ row, intent }) => ({
        row,
        correlationId: intent.correlationId,
        clearing: clearingOf(intent),
      })),
    };
    const firstIntentMs = Math.min(...rows.map(({ intent }) => Date.parse(intent.at)));
    const search =
      chunk.url === undefined
        ? await this.searchDwolla(id, source, firstIntentMs - LOOKUP_SKEW_MS)
        : { url: chunk.url };
    if ('failed' in search) {
      this.cannotTell(chunk, search.failed, onSettled);
    } else if (search.url !== undefined) {
      chunk.url = search.url;
      await this.opened(chunk, onSettled);
    } else if (known) {
      await this.post(chunk, known.record.body, onSettled, known.record.keys);
    } else {
      // Never recorded, so never sent (the record precedes the POST), and a row joins a chunk only
      // once nothing else may have paid it (its lookups came before its first chunk): chunked again.
      for (const { row } of rows) {
        await this.add(row, onSettled);
      }
    }
  }

  /**
   * The mass payment with this correlationId among the source owner's (OpenAPI listMassPayments):
   * its URL, `url: undefined` when Dwolla has none, or why it could not be searched.
   */
  private async searchDwolla(
    id: string,
    sourceId: string,
    notBeforeMs: number,
  ): Promise<{ url: string | undefined } | { failed: string }> {
    const { client, submitter } = this.deps;
    const owner = ownerOf(this.sources.get(sourceId));
    if (owner === undefined) {
      return { failed: `cannot tell whose mass payments to search: source ${sourceId} was not checked` };
    }
    const query = { correlationId: id, limit: 25, ...(owner.customerId ? { customerId: owner.customerId } : {}) };
    try {
      const { value } = await withRetries(() => client.listMassPayments(query), submitter.retryOptions);
      // An older one with this correlationId is another payroll's (the same file next month): never this chunk.
      const found = value._embedded['mass-payments'].find(
        (m) => m.correlationId === id && Date.parse(m.created) >= notBeforeMs,
      );
      return { url: found ? (found._links.self?.href ?? client.massPaymentUrl(found.id)) : undefined };
    } catch (err) {
      return { failed: failureOf(err).summary };
    }
  }

  /** A chunk Dwolla could not be asked about: its rows are not sent again (stopped: pending; else unresolved). */
  private cannotTell(chunk: OpenChunk, why: string, onSettled: () => void): void {
    for (const { row, clearing } of chunk.rows) {
      if (this.stopped) {
        this.waiting.set(row.key, {
          reason: `stopped before mass payment ${chunk.id} was looked up: run the same command again`,
        });
        continue;
      }
      this.deps.submitter.settle(row, {
        status: 'unresolved',
        attempts: 0,
        errorCode: 'MassPaymentLookupFailed',
        errorMessage: `could not look up mass payment ${chunk.id} (${why}); not sent again: run the same command again`,
        ...clearing,
      });
      onSettled();
    }
  }

  /**
   * Waits for each open mass payment to complete, then records its items against their rows.
   * Deferred ones, --no-wait, a stop or the wait's bound leave their rows pending, saying why.
   */
  async finish(onSettled: () => void): Promise<void> {
    // Dwolla processes them side by side: each is waited for and read on its own.
    await Promise.all(this.open.splice(0).map((chunk) => this.finishOne(chunk, onSettled)));
    await this.deps.submitter.flush();
  }

  private async finishOne(chunk: OpenChunk, onSettled: () => void): Promise<void> {
    if (chunk.rows.length === 0) {
      return;
    }
    const status = await this.waitFor(chunk);
    if (status === undefined) {
      return;
    }
    this.made.byStatus.set(status.status, (this.made.byStatus.get(status.status) ?? 0) + 1);
    if (status.status === 'complete') {
      await this.recordItems(chunk, onSettled);
    } else if (status.status === 'cancelled') {
      this.settleCancelled(chunk, status, onSettled);
    } else {
      this.leavePending(chunk, status);
      if (chunk.mine) {
        // Sent by this run, recorded by a later one: "sent" now, never "nothing to send".
        this.deps.submitter.counts.sent += chunk.rows.length;
      }
    }
  }

  /**
   * Polls the mass payment (backoff, bounded) until it is complete or cancelled, or is deferred,
   * or the run does not wait; undefined when it could not be read (its rows are left pending).
   */
  private async waitFor(chunk: OpenChunk): Promise<MassPayment | undefined> {
    const { client, submitter } = this.deps;
    const deadline = Date.now() + (this.settings.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    let pause = POLL_FIRST_MS;
    for (;;) {
      let mp: MassPayment;
      try {
        mp = (await withRetries(() => client.getMassPayment(chunk.url!), submitter.retryOptions)).value;
      } catch (err) {
        const { summary } = failureOf(err);
        this.leavePending(
          chunk,
          undefined,
          this.stopped ? undefined : `mass payment ${chunk.url} could not be read (${summary})`,
        );
        return undefined;
      }
      const settled = mp.status === 'complete' || mp.status === 'cancelled' || mp.status === 'deferred';
      if (settled || !this.settings.wait || this.stopped || Date.now() >= deadline) {
        return mp;
      }
      await this.pollSleep(pause, submitter.retryOptions.signal);
      pause = Math.min(POLL_MAX_MS, pause * 2);
    }
  }

  private leavePending(chunk: OpenChunk, mp: MassPayment | undefined, why?: string): void {
    const { batchId } = this.settings;
    const reason =
      why ??
      (mp?.status === 'deferred'
        ? `in deferred mass payment ${mp.id}: a second person checks the plan (--dry-run) and releases it with 'payouts approve ${batchId} ${this.settings.releaseOptions} --approve DIGEST' (or cancels it with 'payouts cancel ${batchId} ${this.settings.releaseOptions}'); then run the same command again`
        : this.stopped
          ? `in mass payment ${mp?.id ?? chunk.url ?? chunk.id} (stopped while waiting for it): run the same command again to record its transfers`
          : `in mass payment ${mp?.id ?? chunk.id}, ${mp?.status ?? 'unknown'} at Dwolla: run the same command again to record its transfers`);
    for (const { row, clearing } of chunk.rows) {
      this.waiting.set(row.key, { reason, clearing });
    }
  }

  private settleCancelled(chunk: OpenChunk, mp: MassPayment, onSettled: () => void): void {
    for (const { row, clearing } of chunk.rows) {
      this.deps.submitter.settle(row, {
        status: 'failed',
        attempts: 0,
        errorCode: MASS_PAYMENT_CANCELLED,
        errorMessage: `mass payment ${mp.id} was cancelled before it was processed: nothing was paid; to pay the row, run it in a new batch (--batch-id NEW --allow-repeat, the file being this batch's)`,
        ...clearing,
      });
      onSettled();
    }
  }

  /** Pages through the items; each becomes its row's outcome (matched by correlationId, destination and amount). */
  private async recordItems(chunk: OpenChunk, onSettled: () => void): Promise<void> {
    const { client, submitter } = this.deps;
    const match = new ItemMatch(chunk.rows);
    try {
      for await (const page of this.itemPages(chunk.url!)) {
        for (const item of page) {
          const entry = match.take(item);
          if (entry) {
            submitter.settle(entry.row, itemOutcome(item, entry.clearing, client, chunk.mine));
            onSettled();
          }
        }
      }
    } catch (err) {
      const { summary } = failureOf(err);
      const why = `the items of mass payment ${chunk.url} could not be read (${summary})`;
      this.leavePending({ ...chunk, rows: match.left() }, undefined, why);
      return;
    }
    this.unmatched(match.left(), chunk, onSettled);
  }

  /**
   * The mass payment's items, a page at a time (OpenAPI listMassPaymentItems, `limit` and
   * `offset`): the first page tells how many there are; the others are read PAGES_AT_ONCE at a time.
   */
  private async *itemPages(url: string): AsyncGenerator<MassPaymentItem[]> {
    const { client, submitter } = this.deps;
    const page = async (offset: number) =>
      (await withRetries(() => client.listMassPaymentItems(url, { limit: ITEMS_PAGE, offset }), submitter.retryOptions))
        .value;
    const first = await page(0);
    yield first._embedded.items;
    const offsets: number[] = [];
    for (let offset = ITEMS_PAGE; offset < first.total; offset += ITEMS_PAGE) {
      offsets.push(offset);
    }
    for (let i = 0; i < offsets.length; i += PAGES_AT_ONCE) {
      const pages = await Promise.all(offsets.slice(i, i + PAGES_AT_ONCE).map(page));
      for (const p of pages) {
        yield p._embedded.items;
      }
    }
  }

  private unmatched(rows: OpenChunk['rows'], chunk: OpenChunk, onSettled: () => void): void {
    for (const { row, clearing } of rows) {
      this.deps.submitter.settle(row, {
        status: 'unresolved',
        attempts: 1,
        errorCode: 'MassPaymentItemMissing',
        errorMessage: `no item of mass payment ${chunk.url} is this row's (correlationId ${row.correlationId}); look it up at Dwolla before sending it again`,
        ...clearing,
      });
      onSettled();
    }
  }
}

/**
 * Which row an item is: by the correlationId its row was sent with, its destination and amount.
 * OpenAPI's MassPaymentItem schema does not list `correlationId` (Dwolla's docs show it on items):
 * an item without one is matched by destination and amount within its mass payment.
 */
class ItemMatch {
  private readonly exact = new Map<string, ChunkRow[]>();
  private readonly loose = new Map<string, ChunkRow[]>();
  private readonly done = new Set<ChunkRow>();

  constructor(private readonly rows: readonly ChunkRow[]) {
    for (const entry of rows) {
      const { destinationId, amountCents } = entry.row.payment;
      push(this.exact, `${entry.correlationId}\n${looseKey(destinationId, amountCents)}`, entry);
      push(this.loose, looseKey(destinationId, amountCents), entry);
    }
  }

  take(item: MassPaymentItem): ChunkRow | undefined {
    const dest = parseFundingSourceRef(item._links.destination?.href ?? '') ?? '';
    const loose = looseKey(dest, amountCentsOf(item.amount.value));
    const from =
      item.correlationId === undefined ? this.loose.get(loose) : this.exact.get(`${item.correlationId}\n${loose}`);
    const entry = from?.find((e) => !this.done.has(e));
    if (entry) {
      this.done.add(entry);
    }
    return entry;
  }

  left(): ChunkRow[] {
    return this.rows.filter((e) => !this.done.has(e));
  }
}

function push(map: Map<string, ChunkRow[]>, key: string, entry: ChunkRow): void {
  const list = map.get(key);
  if (list) {
    list.push(entry);
  } else {
    map.set(key, [entry]);
  }
}

/** Dwolla's two-decimal amount in cents (src/input/money.ts); -1 when it is not one. */
function amountCentsOf(value: string): number {
  const parsed = parseAmount(value);
  return parsed.ok ? parsed.cents : -1;
}

function looseKey(destination: string, cents: number): string {
  return `${destination.toLowerCase()}\n${cents}`;
}

function clearingOf(intent: IntentRecord): Partial<ClearingColumns> {
  const { clearing, sameDayCutoff, fundsAvailableBy } = intent;
  return { clearing, sameDayCutoff, fundsAvailableBy };
}

/** A processed item as its row's outcome: `success` → created with its transfer; `failed` → Dwolla's errors. */
function itemOutcome(
  item: MassPaymentItem,
  clearing: Partial<ClearingColumns>,
  client: DwollaClient,
  mine: boolean,
): RowOutcome {
  // An item of a mass payment an earlier run sent was found, not sent, by this run.
  const attempts = mine ? 1 : 0;
  if (item.status === 'success') {
    const href = item._links.transfer?.href;
    const transferId = href?.split('/').pop();
    return {
      status: 'created',
      attempts,
      ...(transferId ? { transferId, transferUrl: href ?? client.transferUrl(transferId) } : {}),
      ...(mine ? { httpStatus: 201 } : {}),
      ...clearing,
      via: mine ? 'post' : 'lookup',
    };
  }
  if (item.status === 'failed') {
    const errors = item._embedded?.errors ?? [];
    const first = errors[0];
    return {
      status: 'failed',
      attempts,
      errorCode: first?.code ?? 'MassPaymentItemFailed',
      errorMessage: errors.map((e) => `${e.message}${e.path ? ` (${e.path})` : ''}`).join('; ') || 'the item failed',
      ...clearing,
    };
  }
  return {
    status: 'unresolved',
    attempts: 1,
    errorCode: 'MassPaymentItemPending',
    errorMessage: `item ${item.id} is still pending in a completed mass payment: run the same command again`,
    ...clearing,
  };
}

/** The errors of a refused POST /mass-payments by item index (`/items/N/...` paths). */
function itemErrors(err: DwollaError | undefined): Map<number, { code: string; message: string }> {
  const byItem = new Map<number, { code: string; message: string }>();
  for (const e of err instanceof DwollaApiError ? err.embedded : []) {
    const m = /^\/items\/(\d+)\//.exec(e.path ?? '');
    if (m && !byItem.has(Number(m[1]))) {
      byItem.set(Number(m[1]), { code: e.code, message: `${e.message} (${e.path})` });
    }
  }
  return byItem;
}

/** Why a call failed, one line: Dwolla's error, or the message of any other error. */
function failureOf(err: unknown): ReturnType<typeof callFailure> {
  return callFailure(err, (e) => (e instanceof Error ? e.message : String(e)));
}
