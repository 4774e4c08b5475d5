/**
 * `POST /transfers`, in Dwolla's order: idempotency first (a known key answers its original
 * Location, a key still being processed answers 409), then the one-at-a-time rule of balance
 * sources (429), then validation (400), then the balance's money (400 InsufficientFunds), then
 * creation (201 + Location). Injected faults strike
 * before anything is created (429 storm, 500/503) or after (500, dropped socket, slow answer).
 */
import { type ErrorAnswer, errors, validationError } from './errors.js';
import { fundingSourceIdOfHref } from './funding-sources.js';
import { type Exchange, parseJson, readBody, sendCreated, sendError } from './http.js';
import type { SimulatorState } from './state.js';
import { type ValidTransfer, validateTransfer } from './validate-transfer.js';

function sourceHrefOf(body: unknown): unknown {
  const links = (body as { _links?: { source?: { href?: unknown } } } | null)?._links;
  return typeof links === 'object' && links !== null ? links.source?.href : undefined;
}

/** The request's source, when it is a balance: one transfer at a time may use it. */
function balanceSourceOf(body: unknown, sim: SimulatorState): string | undefined {
  const sourceId = fundingSourceIdOfHref(sourceHrefOf(body));
  return sourceId !== undefined && sim.fundingSource(sourceId)?.type === 'balance' ? sourceId : undefined;
}

/** The Location of a created transfer (OpenAPI createTransfer: 201 with a `Location` header). */
function transferLocation(ex: Exchange, transferId: string): string {
  return `${ex.base}/transfers/${transferId}`;
}

export function idempotencyKeyOf(ex: Exchange): string | undefined {
  const key = ex.req.headers['idempotency-key'];
  return typeof key === 'string' && key.trim() !== '' ? key.trim() : undefined;
}

/** The answer of a fault that strikes before anything is created (429 storm, 500/503), if one does; also for POST /mass-payments. */
export function faultBeforeCreation(ex: Exchange, sim: SimulatorState): Promise<void> | undefined {
  if (sim.faults.strikes('rate429')) {
    sim.counters.injected.rate429 += 1;
    return sendError(ex, errors.rateLimited());
  }
  if (sim.faults.strikes('error5xxBefore')) {
    sim.counters.injected.error5xxBefore += 1;
    return sendError(ex, errors.serverError(sim.faults.pick5xx()));
  }
  return undefined;
}

/**
 * The answer to a key already known: its original Location when it is done, 409 while it is
 * being processed. An unknown key is taken (begun) and gets no answer here.
 */
function answerKnownKey(ex: Exchange, sim: SimulatorState, idempotencyKey: string): Promise<void> | undefined {
  const known = sim.keys.lookup(idempotencyKey, sim.clock.nowMs());
  if (known?.state === 'done') {
    sim.counters.idempotentReplays += 1;
    return sendCreated(ex, transferLocation(ex, known.id));
  }
  if (known?.state === 'processing') {
    sim.counters.idempotencyConflicts += 1;
    return sendError(ex, errors.conflict());
  }
  sim.keys.begin(idempotencyKey);
  return undefined;
}

/**
 * A transfer from a balance takes its amount from it now; more than the balance holds is refused
 * (OpenAPI `POST /transfers` 400 `InsufficientFundsError`) and nothing is taken. Undefined when
 * the transfer may be created.
 */
function takeFromBalance(sim: SimulatorState, transfer: ValidTransfer): ErrorAnswer | undefined {
  const { source, amountCents } = transfer;
  if (source.type !== 'balance' || sim.balances.debit(source.id, amountCents, sim.clock.nowMs())) {
    return undefined;
  }
  sim.counters.insufficientFunds += 1;
  return validationError([{ code: 'InsufficientFunds', message: 'Insufficient funds.', path: '/_links/source/href' }]);
}

/** The valid transfer to create, its amount taken from a balance source; or the 400 that refuses it. */
function acceptTransfer(
  sim: SimulatorState,
  body: unknown,
): { ok: true; transfer: ValidTransfer } | { ok: false; refusal: ErrorAnswer } {
  const validation = validateTransfer(body, (id) => sim.fundingSource(id));
  if (!validation.ok) {
    return { ok: false, refusal: validationError(validation.errors) };
  }
  const refusal = takeFromBalance(sim, validation.transfer);
  return refusal ? { ok: false, refusal } : { ok: true, transfer: validation.transfer };
}

/** The answer to a created transfer (or mass payment), unless a fault drops it, replaces it with 500 or delays it. */
export async function answerCreated(ex: Exchange, sim: SimulatorState, location: string): Promise<void> {
  if (sim.faults.strikes('dropAfter')) {
    sim.counters.injected.dropAfter += 1;
    ex.req.socket.destroy();
    return;
  }
  if (sim.faults.strikes('error5xxAfter')) {
    sim.counters.injected.error5xxAfter += 1;
    return sendError(ex, errors.serverError(500));
  }
  if (sim.faults.strikes('slow')) {
    sim.counters.injected.slow += 1;
    await sim.sleeper.sleep(sim.faults.slowMs());
  }
  return sendCreated(ex, location);
}

/**
 * Takes the balance source (429 when another transfer holds it), validates (400), takes the
 * amount from a balance source (400 InsufficientFunds) and creates the transfer, then answers. A key begun for a transfer that was not created is abandoned.
 */
async function createAndAnswer(
  ex: Exchange,
  sim: SimulatorState,
  body: unknown,
  balanceSourceId: string | undefined,
  idempotencyKey: string | undefined,
): Promise<void> {
  let created = false;
  try {
    if (balanceSourceId && !sim.occupyBalanceSource(balanceSourceId, ex.res)) {
      sim.counters.concurrencyRejections += 1;
      return await sendError(ex, errors.concurrentBalanceTransfer());
    }
    await ex.delay(); // the request is being processed: its key and its balance source are taken meanwhile

    const accepted = acceptTransfer(sim, body);
    if (!accepted.ok) {
      sim.counters.validationFailures += 1;
      return await sendError(ex, accepted.refusal);
    }

    const nowMs = sim.clock.nowMs();
    const transferId = sim.transfers.create(accepted.transfer, nowMs, idempotencyKey);
    if (idempotencyKey !== undefined) {
      sim.keys.complete(idempotencyKey);
    }
    created = true;
    return await answerCreated(ex, sim, transferLocation(ex, transferId));
  } finally {
    if (idempotencyKey !== undefined && !created) {
      sim.keys.abandon(idempotencyKey);
    }
  }
}

export async function createTransfer(ex: Exchange, sim: SimulatorState): Promise<void> {
  sim.trackCreateRequest(ex.res);
  const parsed = parseJson(await readBody(ex.req));
  if (!parsed) {
    return sendError(ex, errors.badRequest());
  }
  const body = parsed.value;
  const balanceSourceId = balanceSourceOf(body, sim);
  if (balanceSourceId) {
    sim.trackBalanceArrival(balanceSourceId, ex.res);
  }

  const fault = faultBeforeCreation(ex, sim);
  if (fault !== undefined) {
    return fault;
  }
  const idempotencyKey = idempotencyKeyOf(ex);
  const replay = idempotencyKey === undefined ? undefined : answerKnownKey(ex, sim, idempotencyKey);
  if (replay !== undefined) {
    return replay;
  }
  return createAndAnswer(ex, sim, body, balanceSourceId, idempotencyKey);
}
