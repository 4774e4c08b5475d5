/**
 * `POST /mass-payments` (OpenAPI initiateMassPayment), in the order of `POST /transfers`
 * (create-transfer.ts), whose fault injection it shares: a fault before creation (429 storm,
 * 500/503) creates nothing; idempotency next (Dwolla's mass payment docs: "Multiple POSTs with the
 * same idempotency key won't result in multiple resources being created": a known key answers 201
 * with its original Location, a key still being processed 409); then validation (400,
 * validate-mass-payment.ts); then creation (201 + Location), whose answer a fault may replace with
 * 500, drop, or delay. No money moves here: a balance gives each item's amount when the mass
 * payment is processed (mass-payments.ts). Balance sources have no one-at-a-time rule here (Dwolla
 * documents the 429 for `POST /transfers` only).
 */
import { answerCreated, faultBeforeCreation, idempotencyKeyOf } from './create-transfer.js';
import { errors, validationError } from './errors.js';
import { type Exchange, parseJson, readBody, sendCreated, sendError } from './http.js';
import { massPaymentUrl } from './mass-payment-resources.js';
import type { SimulatorState } from './state.js';
import { validateMassPayment } from './validate-mass-payment.js';

/** Room for 5,000 items with metadata and addenda (the 1 MiB of other requests holds about 3,000 plain ones). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Its original Location for a done key, 409 for a key still being processed; an unknown key is taken (begun) and gets no answer here. */
function answerKnownKey(ex: Exchange, sim: SimulatorState, key: string): Promise<void> | undefined {
  const known = sim.massPaymentKeys.lookup(key, sim.clock.nowMs());
  if (known?.state === 'done') {
    sim.counters.massPayments.idempotentReplays += 1;
    return sendCreated(ex, massPaymentUrl(ex.base, known.id));
  }
  if (known?.state === 'processing') {
    sim.counters.massPayments.idempotencyConflicts += 1;
    return sendError(ex, errors.conflict());
  }
  sim.massPaymentKeys.begin(key);
  return undefined;
}

/** Validates (400) and creates the mass payment, then answers. A key begun for one that was not created is abandoned. */
async function createAndAnswer(ex: Exchange, sim: SimulatorState, body: unknown, key: string | undefined) {
  let created = false;
  try {
    await ex.delay(); // the request is being processed: its key is taken meanwhile
    const validation = validateMassPayment(body, (id) => sim.fundingSource(id));
    if (!validation.ok) {
      sim.counters.massPayments.validationFailures += 1;
      return await sendError(ex, validationError(validation.errors));
    }
    const record = sim.massPayments.create(validation.massPayment, sim.clock.nowMs(), key);
    sim.counters.massPayments.created += 1;
    if (key !== undefined) {
      sim.massPaymentKeys.complete(key);
    }
    created = true;
    return await answerCreated(ex, sim, massPaymentUrl(ex.base, record.id));
  } finally {
    if (key !== undefined && !created) {
      sim.massPaymentKeys.abandon(key);
    }
  }
}

export async function createMassPayment(ex: Exchange, sim: SimulatorState): Promise<void> {
  sim.counters.massPayments.requests += 1;
  const parsed = parseJson(await readBody(ex.req, MAX_BODY_BYTES));
  if (!parsed) {
    return sendError(ex, errors.badRequest());
  }
  const fault = faultBeforeCreation(ex, sim);
  if (fault !== undefined) {
    return fault;
  }
  const key = idempotencyKeyOf(ex);
  const replay = key === undefined ? undefined : answerKnownKey(ex, sim, key);
  if (replay !== undefined) {
    return replay;
  }
  return createAndAnswer(ex, sim, parsed.value, key);
}
