/**
 * `payouts approve BATCH_ID --approve DIGEST` and `payouts cancel BATCH_ID`: a second person
 * releases (or cancels) the mass payments a `payouts run --deferred` left `deferred` at Dwolla
 * (OpenAPI initiateMassPayment `status: deferred`; updateMassPayment `{"status": "pending"}` or
 * `{"status": "cancelled"}`, which Dwolla allows only for a mass payment still `deferred`).
 *
 * The batch is found as `payouts reconcile` finds it (its state folder, under its lock), its
 * mass payments from the records the run kept (src/batch/chunk-file.ts). Each is acted on only
 * if the approval names the plan digest it was prepared with: an approve needs one, a cancel
 * checks one when given (cancelling moves no money). Each mass payment is read first (OpenAPI
 * getMassPayment: Dwolla refuses a second release with 400), at its recorded Location, else found
 * by correlationId among its source owner's mass payments (listMassPayments).
 *
 * Nothing here records rows: the next `payouts run` of the batch reads each mass payment and
 * records its items (released) or fails its rows with MassPaymentCancelled (cancelled).
 *
 * Exit: 3 when a mass payment could not be read or moved, or is not at Dwolla yet while rows wait
 * on it (run again); else 1 when one cannot be acted on (approve: cancelled earlier; cancel:
 * already released; either: prepared with another plan); else 0.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DwollaClient } from '../dwolla/client.js';
import { DwollaApiError } from '../dwolla/errors.js';
import { callFailure, type WithRetriesOptions, withRetries } from '../dwolla/retry.js';
import type { MassPayment, MassPaymentStatus } from '../dwolla/types.js';
import { parseCustomerRef } from '../input/dwolla-ids.js';
import { parseAmount } from '../input/money.js';
import { UsageError } from '../input/usage-error.js';
import { approves } from '../plan/plan-digest.js';
import { EXIT } from '../results/exit-codes.js';
import { accessApi } from './api-connection.js';
import { shellWord } from './approval.js';
import { type BatchPlace, placeBatch } from './batch-place.js';
import { chunkFilePath, type KnownChunk, readChunks } from './chunk-file.js';
import { BatchStateError } from './errors.js';
import { readJournal } from './journal.js';
import { acquireBatchLock } from './lock.js';
import type { ReconcileSettings } from './settings.js';
import { apiIdentity } from './state-dir.js';

/** approve: deferred → pending (Dwolla processes it); cancel: deferred → cancelled. */
export type ReleaseAction = 'approve' | 'cancel';

export interface ReleaseSettings extends ReconcileSettings {
  /** --approve (parseApproval's): required to approve; checked, when given, to cancel. */
  approve: string | undefined;
}

/** Hex digits of a plan digest shown when an approval does not name it. */
/** Fewer than an approval needs (16): a refusal shows which plan, never a digest that could be copied to approve it. */
const SHOWN_DIGEST_DIGITS = 8;

/**
 * What became of one deferred mass payment: moved now (`released`, `cancelled`); found already
 * moved (`already-released`: pending, processing or complete; `already-cancelled`); left alone
 * (`other-plan`: prepared with a plan the approval does not name); `not-created` (Dwolla does not
 * have it, and rows wait on it: the next run creates it); `superseded` (Dwolla does not have it,
 * and no row waits on it: Dwolla refused it, its rows were settled otherwise); `unknown` (could
 * not be read or moved).
 */
export type ChunkVerdict =
  | 'released'
  | 'cancelled'
  | 'already-released'
  | 'already-cancelled'
  | 'other-plan'
  | 'not-created'
  | 'superseded'
  | 'unknown';

export interface ChunkReport {
  /** The chunk's correlationId (src/batch/mass-send.ts chunkId). */
  correlationId: string;
  /** Dwolla's id of the mass payment, once known. */
  massPaymentId?: string;
  items: number;
  totalCents: number;
  planDigest: string;
  verdict: ChunkVerdict;
  /** Its status at Dwolla as last read or set. */
  status?: MassPaymentStatus;
  /** Why it is `unknown`. */
  problem?: string;
}

export interface ReleaseResult {
  action: ReleaseAction;
  chunks: ChunkReport[];
  exitCode: number;
}

export interface ReleaseDeps {
  log: Logger;
  say: (line: string) => void;
  /** Each mass payment's report, as soon as it is known. */
  onChunk?: (report: ChunkReport) => void;
}

/** Finds the batch (as reconcile does), takes its lock, and releases or cancels its deferred mass payments. */
export async function releaseBatch(
  s: ReleaseSettings,
  action: ReleaseAction,
  deps: ReleaseDeps,
): Promise<ReleaseResult> {
  if (action === 'approve' && s.approve === undefined) {
    throw new UsageError('USAGE', 'approve needs --approve DIGEST: the plan digest a second person checked');
  }
  const api = apiIdentity(s);
  const access = await accessApi(s, api, deps);
  try {
    const place = await placeBatch(s, api, access.accountId, { write: false, say: deps.say });
    if (!existsSync(place.journal)) {
      throw new UsageError(
        'USAGE',
        `no batch ${s.batchId} of ${place.api.label} (account ${place.accountId}) in ${s.stateDir}: run it first (payouts run FILE --mode mass-payment --deferred)`,
      );
    }
    const lock = await acquireBatchLock(place.stateDir, {
      onTakeover: (prev) =>
        deps.say(
          `warning: took over the lock of batch ${s.batchId} left by a dead process (${prev ? `pid ${prev.pid}` : 'unreadable'})`,
        ),
    });
    try {
      const chunks = await deferredChunks(s, place);
      await refuseUnapproved(s, action, place, chunks);
      const { client } = await access.session();
      return await releaseChunks(s, action, deps, { client, place, chunks });
    } finally {
      await lock.release();
    }
  } finally {
    await access.close();
  }
}

/** The batch's deferred mass payments as its runs recorded them, in order; a usage error when there are none. */
async function deferredChunks(s: ReleaseSettings, place: BatchPlace): Promise<KnownChunk[]> {
  const all = await readChunks(chunkFilePath(place.stateDir));
  const deferred = [...all.values()].filter((c) => c.record.deferred);
  if (deferred.length === 0) {
    throw new UsageError(
      'USAGE',
      `batch ${s.batchId} has no deferred mass payments: only a run with --deferred (payouts run FILE --mode mass-payment --deferred) leaves mass payments to approve or cancel`,
    );
  }
  return deferred;
}

/** Whether the approval (if any) names the plan the chunk was prepared with. */
function inScope(s: ReleaseSettings, chunk: KnownChunk): boolean {
  return s.approve === undefined || approves(s.approve, chunk.record.planDigest);
}

/**
 * Refuses (BatchStateError, exit 2; nothing released or cancelled) an approval that names the plan
 * of none of the deferred mass payments, saying which plan they were prepared with and how to see it.
 */
async function refuseUnapproved(
  s: ReleaseSettings,
  action: ReleaseAction,
  place: BatchPlace,
  chunks: readonly KnownChunk[],
): Promise<void> {
  if (chunks.some((c) => inScope(s, c))) {
    return;
  }
  const digests = [...new Set(chunks.map((c) => c.record.planDigest))];
  const shown = digests.map((d) => `${d.slice(0, SHOWN_DIGEST_DIGITS)}…`).join(', ');
  const file = await inputFileOf(place);
  const dryRun = ['payouts', 'run', file ?? 'FILE', '--batch-id', s.batchId, '--dry-run'].map(shellWord).join(' ');
  throw new BatchStateError(
    'BATCH_NOT_APPROVED',
    [
      `--approve ${s.approve} is not the plan digest batch ${s.batchId}'s deferred mass payments were prepared with (${shown}): nothing was ${action === 'approve' ? 'released' : 'cancelled'}.`,
      `See the plan with: ${dryRun} (with the --clearing and --columns options of the run that prepared it),`,
      `check its plan.csv, then ${action} with the digest it prints.`,
    ].join('\n'),
  );
}

/** The input file of the batch's last run, as its journal recorded it. */
async function inputFileOf(place: BatchPlace): Promise<string | undefined> {
  try {
    return (await readJournal(place.journal)).runs.at(-1)?.inputFile;
  } catch {
    return undefined;
  }
}

interface ReleaseContext {
  client: DwollaClient;
  place: BatchPlace;
  chunks: readonly KnownChunk[];
}

async function releaseChunks(
  s: ReleaseSettings,
  action: ReleaseAction,
  deps: ReleaseDeps,
  ctx: ReleaseContext,
): Promise<ReleaseResult> {
  const retry: WithRetriesOptions = { maxAttempts: s.maxAttempts };
  const reports: ChunkReport[] = [];
  for (const chunk of ctx.chunks) {
    const base = chunkBase(chunk);
    const report = inScope(s, chunk)
      ? await actOn(ctx.client, retry, action, chunk, base)
      : { ...base, verdict: 'other-plan' as const };
    const settled = report.verdict === 'not-created' ? await unlessSuperseded(ctx.place, chunk, report) : report;
    deps.log.info(
      { correlationId: settled.correlationId, massPayment: settled.massPaymentId, verdict: settled.verdict },
      `mass payment ${action}`,
    );
    deps.onChunk?.(settled);
    reports.push(settled);
  }
  return { action, chunks: reports, exitCode: exitCodeOf(action, reports) };
}

function chunkBase(chunk: KnownChunk): Omit<ChunkReport, 'verdict'> {
  const { record, url } = chunk;
  const totalCents = record.body.items.reduce((sum, item) => {
    const amount = parseAmount(item.amount.value);
    return sum + (amount.ok ? amount.cents : 0);
  }, 0);
  return {
    correlationId: record.id,
    ...(url ? { massPaymentId: idOf(url) } : {}),
    items: record.keys.length,
    totalCents,
    planDigest: record.planDigest,
  };
}

function idOf(url: string): string {
  return url.split('/').pop() ?? url;
}

/** Reads the mass payment (found first when its Location was never recorded), then moves it if it is still deferred. */
async function actOn(
  client: DwollaClient,
  retry: WithRetriesOptions,
  action: ReleaseAction,
  chunk: KnownChunk,
  base: Omit<ChunkReport, 'verdict'>,
): Promise<ChunkReport> {
  let url: string | undefined;
  let mp: MassPayment;
  try {
    url = chunk.url ?? (await findAtDwolla(client, retry, chunk));
    if (url === undefined) {
      return { ...base, verdict: 'not-created' };
    }
    mp = (await withRetries(() => client.getMassPayment(url!), retry)).value;
  } catch (err) {
    const what = url === undefined ? 'could not be looked up' : 'could not be read';
    return { ...base, verdict: 'unknown', problem: `${what} (${summaryOf(err)})` };
  }
  const read = { ...base, massPaymentId: mp.id, status: mp.status };
  if (mp.status !== 'deferred') {
    return { ...read, verdict: alreadyVerdict(mp.status) };
  }
  const target = action === 'approve' ? 'pending' : 'cancelled';
  try {
    const { value } = await withRetries(() => client.updateMassPayment(url!, target), retry);
    return { ...read, status: value.status, verdict: action === 'approve' ? 'released' : 'cancelled' };
  } catch (err) {
    return afterRefusedUpdate(client, retry, url, read, err);
  }
}

/**
 * The update failed: Dwolla answers 400 for a mass payment no longer deferred (released or
 * cancelled meanwhile, or by an attempt whose answer was lost), so what it is now tells.
 */
async function afterRefusedUpdate(
  client: DwollaClient,
  retry: WithRetriesOptions,
  url: string,
  read: Omit<ChunkReport, 'verdict'>,
  err: unknown,
): Promise<ChunkReport> {
  const problem = `could not be updated (${summaryOf(err)})`;
  try {
    const { value: now } = await withRetries(() => client.getMassPayment(url), retry);
    if (now.status !== 'deferred') {
      return { ...read, status: now.status, verdict: alreadyVerdict(now.status) };
    }
  } catch {
    // still unknown: say why the update failed
  }
  return { ...read, verdict: 'unknown', problem };
}

function alreadyVerdict(status: MassPaymentStatus): ChunkVerdict {
  return status === 'cancelled' ? 'already-cancelled' : 'already-released';
}

function summaryOf(err: unknown): string {
  return callFailure(err, (e) => (e instanceof Error ? e.message : String(e))).summary;
}

/**
 * The chunk's mass payment among its source owner's (OpenAPI listMassPayments, by correlationId):
 * a customer's for a customer's source (its `_links.customer`), else the account's. Undefined
 * when Dwolla has none.
 */
async function findAtDwolla(
  client: DwollaClient,
  retry: WithRetriesOptions,
  chunk: KnownChunk,
): Promise<string | undefined> {
  const { id, source } = chunk.record;
  const customerId = await sourceCustomer(client, retry, source);
  const query = { correlationId: id, limit: 25, ...(customerId ? { customerId } : {}) };
  const { value } = await withRetries(() => client.listMassPayments(query), retry);
  const found = value._embedded['mass-payments'].find((m) => m.correlationId === id);
  return found ? (found._links.self?.href ?? client.massPaymentUrl(found.id)) : undefined;
}

/** The customer owning a funding source (OpenAPI getFundingSource `_links.customer`); undefined: the account's, or gone (404). */
async function sourceCustomer(
  client: DwollaClient,
  retry: WithRetriesOptions,
  source: string,
): Promise<string | undefined> {
  try {
    const { value } = await withRetries(() => client.getFundingSource(source), retry);
    const href = value._links.customer?.href;
    return href ? parseCustomerRef(href) : undefined;
  } catch (err) {
    const { dwollaError } = callFailure(err);
    if (dwollaError instanceof DwollaApiError && dwollaError.httpStatus === 404) {
      return undefined;
    }
    throw err;
  }
}

/**
 * A chunk Dwolla does not have: rows still wait on it when one's last intent names it and it has
 * no final outcome (the next run creates it, with the same key); else it was refused and its rows
 * settled otherwise (`superseded`).
 */
async function unlessSuperseded(place: BatchPlace, chunk: KnownChunk, report: ChunkReport): Promise<ChunkReport> {
  const { byKey } = await readJournal(place.journal);
  const waiting = chunk.record.keys.some((key) => {
    const ks = byKey.get(key);
    return ks?.intent?.massPayment === chunk.record.id && (ks.openIntent || ks.outcome?.status === 'unresolved');
  });
  return waiting ? report : { ...report, verdict: 'superseded' };
}

/** Incomplete (run again) before attention before ok, as every command's exit code (SPEC "Exit codes"). */
function exitCodeOf(action: ReleaseAction, reports: readonly ChunkReport[]): number {
  if (reports.some((r) => r.verdict === 'unknown' || r.verdict === 'not-created')) {
    return EXIT.incomplete;
  }
  const blocked: readonly ChunkVerdict[] =
    action === 'approve' ? ['already-cancelled', 'other-plan'] : ['already-released', 'other-plan'];
  return reports.some((r) => blocked.includes(r.verdict)) ? EXIT.attention : EXIT.ok;
}
