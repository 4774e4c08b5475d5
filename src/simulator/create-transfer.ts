/**
 * `POST /transfers`, in Dwolla's order: idempotency first (a known key answers its original
 * Location, a key still being processed answers 409), then the one-at-a-time rule of balance
 * sources (429), then validation (400), then creation (201 + Location). Injected faults strike
 * before anything is created (429 storm, 500/503) or after (500, dropped socket, slow answer).
 */
import { errors, validationError } from './errors.js';
import { fundingSourceIdOfHref } from './funding-sources.js';
import { type Exchange, parseJson, readBody, sendCreated, sendError } from './http.js';
import type { SimulatorState } from './state.js';
import { validateTransfer } from './validate-transfer.js';

function sourceHrefOf(body: unknown): unknown {
  const links = (body as { _links?: { source?: { href?: unknown } } } | null)?._links;
  return typeof links === 'object' && links !== null ? links.source?.href : undefined;
}

export async function createTransfer(ex: Exchange, sim: SimulatorState): Promise<void> {
  sim.trackCreateRequest(ex.res);
  const parsed = parseJson(await readBody(ex.req));
  if (!parsed) {
    return sendError(ex, errors.badRequest());
  }
  const body = parsed.value;

  const sourceId = fundingSourceIdOfHref(sourceHrefOf(body));
  const balanceSourceId =
    sourceId !== undefined && sim.fundingSource(sourceId)?.type === 'balance' ? sourceId : undefined;
  if (balanceSourceId) {
    sim.trackBalanceArrival(balanceSourceId, ex.res);
  }

  if (sim.faults.strikes('rate429')) {
    sim.counters.injected.rate429 += 1;
    return sendError(ex, errors.rateLimited());
  }
  if (sim.faults.strikes('error5xxBefore')) {
    sim.counters.injected.error5xxBefore += 1;
    return sendError(ex, errors.serverError(sim.faults.pick5xx()));
  }

  const key = ex.req.headers['idempotency-key'];
  const idempotencyKey = typeof key === 'string' && key.trim() !== '' ? key.trim() : undefined;
  if (idempotencyKey !== undefined) {
    const known = sim.keys.lookup(idempotencyKey, sim.clock.nowMs());
    if (known?.state === 'done') {
      sim.counters.idempotentReplays += 1;
      return sendCreated(ex, known.location);
    }
    if (known?.state === 'processing') {
      sim.counters.idempotencyConflicts += 1;
      return sendError(ex, errors.conflict());
    }
    sim.keys.begin(idempotencyKey);
  }

  let created = false;
  try {
    if (balanceSourceId && !sim.occupyBalanceSource(balanceSourceId, ex.res)) {
      sim.counters.concurrencyRejections += 1;
      return await sendError(ex, errors.concurrentBalanceTransfer());
    }
    await ex.delay(); // the request is being processed: its key and its balance source are taken meanwhile

    const validation = validateTransfer(body, (id) => sim.fundingSource(id));
    if (!validation.ok) {
      sim.counters.validationFailures += 1;
      return await sendError(ex, validationError(validation.errors));
    }

    const nowMs = sim.clock.nowMs();
    const transfer = sim.transfers.create(validation.transfer, nowMs, idempotencyKey);
    const location = `${ex.base}/transfers/${transfer.id}`;
    if (idempotencyKey !== undefined) {
      sim.keys.complete(idempotencyKey, location, nowMs);
    }
    created = true;

    if (sim.faults.strikes('dropAfter')) {
      sim.counters.injected.dropAfter += 1;
      ex.req.socket.destroy();
      return;
    }
    if (sim.faults.strikes('error5xxAfter')) {
      sim.counters.injected.error5xxAfter += 1;
      return await sendError(ex, errors.serverError(500));
    }
    if (sim.faults.strikes('slow')) {
      sim.counters.injected.slow += 1;
      await sim.sleeper.sleep(sim.faults.slowMs());
    }
    return await sendCreated(ex, location);
  } finally {
    if (idempotencyKey !== undefined && !created) {
      sim.keys.abandon(idempotencyKey);
    }
  }
}
