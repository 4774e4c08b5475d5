/** In-memory state: transfers (with their legs and fees), idempotency keys and access tokens. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TransferStatus } from '../dwolla/types.js';
import { cancelDeadlineMs } from './business-days.js';
import {
  accountBalance,
  bankSidesOf,
  type FeeLeg,
  type FundedLeg,
  isChain,
  type Leg,
  type MoneyLeg,
  type StoredTransfer,
} from './legs.js';
import type { AchReturnCode } from './returns.js';
import { Settlement, type SettlementEffects } from './settlement.js';
import type { ValidTransfer } from './validate-transfer.js';

export type { Leg, StoredTransfer } from './legs.js';

export interface TransferQuery {
  involves: (t: Leg) => boolean;
  correlationId?: string;
  status?: string;
  /** Created at or after this instant. */
  createdFromMs?: number;
  /** Created before this instant. */
  createdBeforeMs?: number;
  minCents?: bigint;
  maxCents?: bigint;
}

/** Which leg of a created transfer a staged return strikes: `funding` = the created transfer (leg 1 or the single leg), `funded` = leg 2. */
export type ReturnSide = 'funding' | 'funded';

export type StageReturnRefusal = 'unknown-transfer' | 'no-funded-leg' | 'no-bank' | 'not-pending';

/** A return that could not be staged, with why. */
export class StageReturnError extends Error {
  constructor(
    readonly reason: StageReturnRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'StageReturnError';
  }
}

export class TransferStore {
  private readonly byId = new Map<string, Leg>();
  /** Every leg and fee, in creation order. */
  private readonly legs: Leg[] = [];
  /** The transfers POST /transfers created, in creation order. */
  private readonly created: StoredTransfer[] = [];
  private readonly correlationIds = new Set<string>();
  private readonly settlement: Settlement;
  private seq = 0;
  duplicatesByCorrelationId = 0;

  /** `processingMs`: undefined = legs settle only by simulate(). */
  constructor(processingMs: number | undefined, effects: SettlementEffects) {
    this.settlement = new Settlement(processingMs, effects);
  }

  /** The created transfer, with its leg 2 (a bank source) and its fee transfers, all pending. */
  create(valid: ValidTransfer, createdMs: number, idempotencyKey: string | undefined): StoredTransfer {
    const transfer: StoredTransfer = {
      ...valid,
      ...this.legBase(valid.amountCents, createdMs),
      kind: 'created',
      idempotencyKey,
      cancelDeadlineMs: cancelDeadlineMs(createdMs),
      feeTransfers: [],
    };
    this.add(transfer);
    this.created.push(transfer);
    if (isChain(valid)) {
      const funded: FundedLeg = {
        ...this.legBase(valid.amountCents, createdMs),
        kind: 'funded',
        source: accountBalance(),
        destination: valid.destination,
        origin: transfer,
      };
      transfer.funded = funded;
      this.add(funded);
    }
    for (const fee of valid.fees) {
      const feeLeg: FeeLeg = {
        ...this.legBase(fee.amountCents, createdMs),
        kind: 'fee',
        chargeTo: fee.chargeTo,
        origin: transfer,
      };
      transfer.feeTransfers.push(feeLeg);
      this.add(feeLeg);
    }
    this.countCorrelationId(transfer.correlationId);
    this.settlement.becomeEligible(transfer, createdMs);
    return transfer;
  }

  private legBase(amountCents: bigint, createdMs: number) {
    this.seq += 1;
    return { id: randomUUID(), seq: this.seq, createdMs, amountCents, status: 'pending' as const };
  }

  private add(leg: Leg): void {
    this.byId.set(leg.id, leg);
    this.legs.push(leg);
  }

  private countCorrelationId(correlationId: string | undefined): void {
    if (correlationId === undefined) {
      return;
    }
    if (this.correlationIds.has(correlationId)) {
      this.duplicatesByCorrelationId += 1;
    }
    this.correlationIds.add(correlationId);
  }

  /** Any transfer: a created one, a leg 2 or a fee transfer. Call sync() first for a current status. */
  get(id: string): Leg | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /** The transfers POST /transfers created, in creation order. */
  all(): readonly StoredTransfer[] {
    return this.created;
  }

  /** Brings every status up to `nowMs` (processingMs settlement). */
  sync(nowMs: number): void {
    this.settlement.catchUp(nowMs);
  }

  statusOf(t: Leg, nowMs: number): TransferStatus {
    this.sync(nowMs);
    return t.status;
  }

  /** Dwolla's cancel window: only a created transfer, while pending and before its deadline. */
  cancellable(t: Leg, nowMs: number): t is StoredTransfer {
    return t.kind === 'created' && this.statusOf(t, nowMs) === 'pending' && nowMs < t.cancelDeadlineMs;
  }

  /** Cancels the transfer with its leg 2 and fees; false when Dwolla would not allow it. */
  cancel(t: Leg, nowMs: number): boolean {
    if (!this.cancellable(t, nowMs)) {
      return false;
    }
    this.settlement.cancel(t, nowMs);
    return true;
  }

  /** One `POST /sandbox-simulations`: how many legs it processed or failed. */
  simulate(nowMs: number): number {
    return this.settlement.simulate(nowMs);
  }

  /** Stages an ACH return on one leg of a created transfer; throws StageReturnError when it cannot. */
  stageReturn(transferId: string, side: ReturnSide, code: AchReturnCode, nowMs: number): MoneyLeg {
    this.sync(nowMs);
    const t = this.get(transferId);
    if (t?.kind !== 'created') {
      throw new StageReturnError('unknown-transfer', `no transfer created by POST /transfers has id ${transferId}`);
    }
    const leg = side === 'funding' ? t : t.funded;
    if (!leg) {
      throw new StageReturnError(
        'no-funded-leg',
        `transfer ${t.id} is a single leg (its source is a balance): stage on "funding"`,
      );
    }
    if (bankSidesOf(leg).length === 0) {
      throw new StageReturnError('no-bank', `the ${side} leg of ${t.id} involves no bank: no ACH return can strike it`);
    }
    if (leg.status !== 'pending') {
      throw new StageReturnError('not-pending', `the ${side} leg of ${t.id} is already ${leg.status}`);
    }
    leg.stagedReturn = code;
    return leg;
  }

  /** Dwolla removes a bank once an R03 return on it has failed a transfer. */
  removedByReturn(fundingSourceId: string, nowMs: number): boolean {
    this.sync(nowMs);
    return this.settlement.removed.has(fundingSourceId);
  }

  /** Matching transfers (created ones, legs 2 and fees), newest first (as Dwolla lists them). */
  search(q: TransferQuery, nowMs: number): Leg[] {
    this.sync(nowMs);
    return this.legs.filter((t) => q.involves(t) && matches(t, q)).reverse();
  }
}

function matches(t: Leg, q: TransferQuery): boolean {
  const correlationId = t.kind === 'created' ? t.correlationId : undefined;
  return (
    (q.correlationId === undefined || correlationId === q.correlationId) &&
    (q.status === undefined || t.status === q.status) &&
    (q.createdFromMs === undefined || t.createdMs >= q.createdFromMs) &&
    (q.createdBeforeMs === undefined || t.createdMs < q.createdBeforeMs) &&
    (q.minCents === undefined || t.amountCents >= q.minCents) &&
    (q.maxCents === undefined || t.amountCents <= q.maxCents)
  );
}

/** Dwolla forgets an idempotency key 24 hours after its request. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

type KeyEntry = { state: 'processing' } | { state: 'done'; location: string; atMs: number };

export class IdempotencyKeys {
  private readonly entries = new Map<string, KeyEntry>();

  lookup(key: string, nowMs: number): KeyEntry | undefined {
    const entry = this.entries.get(key);
    if (entry?.state === 'done' && nowMs - entry.atMs >= IDEMPOTENCY_KEY_TTL_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  begin(key: string): void {
    this.entries.set(key, { state: 'processing' });
  }

  complete(key: string, location: string, nowMs: number): void {
    this.entries.set(key, { state: 'done', location, atMs: nowMs });
  }

  /** The request failed before creating anything: the key is free again. */
  abandon(key: string): void {
    if (this.entries.get(key)?.state === 'processing') {
      this.entries.delete(key);
    }
  }
}

export type TokenCheck = 'valid' | 'expired' | 'unknown';

export class AccessTokens {
  private readonly expiries = new Map<string, number>();

  issue(nowMs: number, lifetimeSec: number): string {
    const token = randomBytes(36).toString('base64url');
    this.expiries.set(token, nowMs + lifetimeSec * 1000);
    return token;
  }

  check(token: string, nowMs: number): TokenCheck {
    const expiresAt = this.expiries.get(token);
    if (expiresAt === undefined) {
      return 'unknown';
    }
    return nowMs < expiresAt ? 'valid' : 'expired';
  }
}
