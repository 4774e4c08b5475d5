/**
 * Fault injection: latency, error rates and dropped connections, all off by default. The rates
 * apply to the creating POSTs, `POST /transfers` and `POST /mass-payments`; latency to every answer.
 */

export interface FaultOptions {
  /** Added to every answer of a Dwolla endpoint (ms). */
  latencyMs?: number;
  /** Uniform 0..jitterMs added on top of latencyMs. */
  jitterMs?: number;
  /** 0..1: POST /transfers (or /mass-payments) answers 500/503 and creates nothing. */
  error5xxBeforeRate?: number;
  /** 0..1: the transfer (or mass payment) IS created (and its key remembered), then 500 is answered. */
  error5xxAfterRate?: number;
  /** 0..1: the transfer (or mass payment) IS created, then the socket is destroyed with no answer. */
  dropAfterRate?: number;
  /** 0..1: POST /transfers (or /mass-payments) answers 429 TooManyRequests (a 429 storm) and creates nothing. */
  rate429?: number;
  /** 0..1: the answer to POST /transfers (or /mass-payments) is delayed by slowMs more; it is still created. */
  slowRate?: number;
  slowMs?: number;
  /** expires_in of issued tokens, seconds (default 3600). */
  tokenLifetimeSec?: number;
  /** Makes the choice of faults (and jitter) deterministic. */
  seed?: number;
}

export type FaultKind = 'rate429' | 'error5xxBefore' | 'error5xxAfter' | 'dropAfter' | 'slow';

const RATE_KEYS = ['error5xxBeforeRate', 'error5xxAfterRate', 'dropAfterRate', 'rate429', 'slowRate'] as const;
const DURATION_KEYS = ['latencyMs', 'jitterMs', 'slowMs'] as const;
const KNOWN_KEYS = new Set<string>([...RATE_KEYS, ...DURATION_KEYS, 'tokenLifetimeSec', 'seed']);

const DEFAULT_TOKEN_LIFETIME_SEC = 3600;
const DEFAULT_SLOW_MS = 60_000;

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a RangeError naming the first unknown or out-of-range option. */
function checkFaultOptions(f: FaultOptions): void {
  const unknown = Object.keys(f).find((k) => !KNOWN_KEYS.has(k));
  if (unknown !== undefined) {
    throw new RangeError(`unknown fault option: ${unknown}`);
  }
  checkRates(f);
  checkDurations(f);
  checkTokenLifetimeAndSeed(f);
}

function checkRates(f: FaultOptions): void {
  for (const key of RATE_KEYS) {
    const v = f[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) {
      throw new RangeError(`${key} must be within 0..1, got ${v}`);
    }
  }
}

function checkDurations(f: FaultOptions): void {
  for (const key of DURATION_KEYS) {
    const v = f[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`${key} must be 0 or more ms, got ${v}`);
    }
  }
}

function checkTokenLifetimeAndSeed(f: FaultOptions): void {
  const life = f.tokenLifetimeSec;
  if (life !== undefined && !(Number.isInteger(life) && life > 0)) {
    throw new RangeError(`tokenLifetimeSec must be a positive integer, got ${life}`);
  }
  if (f.seed !== undefined && !Number.isInteger(f.seed)) {
    throw new RangeError(`seed must be an integer, got ${f.seed}`);
  }
}

export class Faults {
  private options: FaultOptions = {};
  private random: () => number = Math.random;
  private jitterRandom: () => number = Math.random;

  constructor(options: FaultOptions) {
    this.set(options);
  }

  /** Replaces every fault option: what `f` leaves out is off (or its default). */
  set(f: FaultOptions): void {
    checkFaultOptions(f);
    this.options = { ...f };
    this.random = f.seed === undefined ? Math.random : seededRandom(f.seed);
    this.jitterRandom = f.seed === undefined ? Math.random : seededRandom(f.seed ^ 0x5eed);
  }

  current(): FaultOptions {
    return { ...this.options };
  }

  tokenLifetimeSec(): number {
    return this.options.tokenLifetimeSec ?? DEFAULT_TOKEN_LIFETIME_SEC;
  }

  /** The latency of one answer: latencyMs plus uniform jitter. */
  latencyMs(): number {
    const { latencyMs = 0, jitterMs = 0 } = this.options;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.jitterRandom() * (jitterMs + 1)) : 0);
  }

  slowMs(): number {
    return this.options.slowMs ?? DEFAULT_SLOW_MS;
  }

  /** Draws whether this fault strikes this request. */
  strikes(kind: FaultKind): boolean {
    const rate = this.rateOf(kind);
    return rate > 0 && this.random() < rate;
  }

  /** 500 or 503, for error5xxBefore. */
  pick5xx(): number {
    return this.random() < 0.5 ? 500 : 503;
  }

  private rateOf(kind: FaultKind): number {
    switch (kind) {
      case 'rate429':
        return this.options.rate429 ?? 0;
      case 'error5xxBefore':
        return this.options.error5xxBeforeRate ?? 0;
      case 'error5xxAfter':
        return this.options.error5xxAfterRate ?? 0;
      case 'dropAfter':
        return this.options.dropAfterRate ?? 0;
      case 'slow':
        return this.options.slowRate ?? 0;
    }
  }
}
