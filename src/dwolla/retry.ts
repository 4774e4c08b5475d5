/**
 * When to try a Dwolla call again, and how long to wait first.
 *
 * `retryDecision` is the whole policy, as one small pure function (after stripe-node's
 * `_shouldRetry`): network errors, timeouts, 5xx, 429 and 409 (Dwolla still processing the same
 * idempotency key) are retried with the same key; every other 4xx is permanent. Backoff is
 * exponential with full jitter, capped, and never shorter than a `Retry-After` the server sent.
 *
 * `withRetries` runs one operation under that policy and reports how many attempts it took,
 * whether it succeeded or not: when it gives up it throws a DwollaCallFailedError, and
 * `callFailure` is the one way to read that (the last Dwolla error, the attempts, why it stopped).
 */

import { setTimeout as delay } from 'node:timers/promises';
import { DwollaError, errorSummary, isTokenRejection } from './errors.js';

export interface BackoffOptions {
  /** First retry's ceiling (ms); doubles per attempt. Default 250. */
  baseMs?: number;
  /** Ceiling of the exponential part (ms). Default 15 000. */
  capMs?: number;
  /** Longest `Retry-After` honoured (ms); longer requests are cut to this. Default 60 000. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 250, capMs: 15_000, maxRetryAfterMs: 60_000 };

/** Why a failure is not tried again: refused for good, or out of attempts. */
type NoRetryReason = 'permanent' | 'exhausted';

export type RetryDecision = { retry: false; reason: NoRetryReason; detail: string } | { retry: true; delayMs: number };

/**
 * Is this failure worth another try with the same idempotency key? Returns the reason when not.
 * Exported for callers that need the classification alone.
 */
export function classify(error: unknown): { retryable: true } | { retryable: false; detail: string } {
  if (!(error instanceof DwollaError)) {
    return { retryable: false, detail: `not a Dwolla error: ${errorSummary(error)}` };
  }
  switch (error.kind) {
    case 'network':
    case 'timeout':
    case 'protocol':
      return { retryable: true };
    case 'config':
      return { retryable: false, detail: error.summary() };
    case 'api':
    case 'auth': {
      const s = error.httpStatus ?? 0;
      if (s >= 500 || s === 429 || s === 409 || s === 408) {
        return { retryable: true };
      }
      // A 401 for the token right after a renewal: one failed attempt, the next one renews again.
      if (error.kind === 'api' && isTokenRejection(s, error.code)) {
        return { retryable: true };
      }
      return { retryable: false, detail: `HTTP ${s} ${error.summary()}` };
    }
  }
}

/**
 * Decide what to do after attempt number `attempt` (1-based) failed with `error`.
 *
 * Delay: `random() * min(capMs, baseMs * 2^(attempt-1))` (full jitter), raised to the server's
 * `Retry-After` (itself at most `maxRetryAfterMs`) when one was sent.
 */
export function retryDecision(
  error: unknown,
  attempt: number,
  maxAttempts: number,
  random: () => number = Math.random,
  backoff: BackoffOptions = {},
): RetryDecision {
  const c = classify(error);
  if (!c.retryable) {
    return { retry: false, reason: 'permanent', detail: c.detail };
  }
  if (attempt >= maxAttempts) {
    return {
      retry: false,
      reason: 'exhausted',
      detail: `${attempt} of ${maxAttempts} attempts failed; last: ${errorSummary(error)}`,
    };
  }
  const { baseMs, capMs, maxRetryAfterMs } = { ...DEFAULT_BACKOFF, ...backoff };
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  let delayMs = Math.floor(r * ceiling);
  const retryAfter = error instanceof DwollaError ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) {
    delayMs = Math.max(delayMs, Math.min(Math.max(0, retryAfter), maxRetryAfterMs));
  }
  return { retry: true, delayMs };
}

// ---------------------------------------------------------------------------------------------

interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  error: unknown;
  delayMs: number;
}

export interface WithRetriesOptions {
  /** Tries in all, at least 1. */
  maxAttempts: number;
  /** Injectable for tests; must reject (or resolve early) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Called before each wait; a throwing callback is ignored. */
  onRetry?: (info: RetryInfo) => void;
  /** Stop: no new attempt starts after it aborts (an attempt under way is not interrupted). */
  signal?: AbortSignal;
}

/** Why `withRetries` gave up: refused for good, out of attempts, or stopped by its signal. */
type CallStop = NoRetryReason | 'aborted';

/**
 * Thrown by `withRetries` when the call did not succeed, whether it was refused for good
 * (`permanent`), ran out of attempts (`exhausted`) or was stopped (`aborted`). `lastError` is
 * what the last attempt threw (undefined when stopped before the first); read it through
 * `callFailure`.
 */
export class DwollaCallFailedError extends Error {
  readonly reason: CallStop;
  readonly attempts: number;
  readonly lastError: unknown;

  constructor(reason: CallStop, attempts: number, lastError: unknown) {
    super(
      attempts === 0
        ? `${reason} before the first attempt`
        : `${reason} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorSummary(lastError)}`,
    );
    this.reason = reason;
    this.attempts = attempts;
    this.lastError = lastError;
  }

  /** One line for the results CSV: the last error's own summary. */
  summary(): string {
    return this.attempts === 0 ? `Aborted: ${this.message}` : errorSummary(this.lastError);
  }
}
Object.defineProperty(DwollaCallFailedError.prototype, 'name', {
  value: 'DwollaCallFailedError',
  enumerable: false,
  configurable: true,
  writable: true,
});

/** A failed call as the results and the log report it. */
interface CallFailure {
  /** The Dwolla error it ended with: its code and status go to the results. */
  dwollaError: DwollaError | undefined;
  /** Attempts made (0: stopped before the first); undefined when no `withRetries` failed. */
  attempts: number | undefined;
  /** Why `withRetries` gave up; undefined when no `withRetries` failed. */
  reason: CallStop | undefined;
  /** One line for the results CSV or a log. */
  summary: string;
}

/**
 * The one way to read what a `try` around `withRetries` caught: the Dwolla error the call ended
 * with, the attempts made, why it stopped, and its summary line. Anything else caught there (a
 * bug, a failed journal write) has no attempts and no reason, a Dwolla error only if it is one,
 * and is worded by `describeOther` (default `String`).
 */
export function callFailure(err: unknown, describeOther: (e: unknown) => string = String): CallFailure {
  if (err instanceof DwollaCallFailedError) {
    return {
      dwollaError: err.lastError instanceof DwollaError ? err.lastError : undefined,
      attempts: err.attempts,
      reason: err.reason,
      summary: err.summary(),
    };
  }
  return {
    dwollaError: err instanceof DwollaError ? err : undefined,
    attempts: undefined,
    reason: undefined,
    summary: describeOther(err),
  };
}

/** Waits `ms`, or less when `signal` aborts (never rejects): the retries' wait, and other bounded polls. */
export async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the loop checks the signal itself
  }
}

/**
 * Run `op(attempt)` until it succeeds, fails permanently, or `maxAttempts` tries have failed.
 * Resolves `{ value, attempts }`; rejects with a DwollaCallFailedError carrying `reason`,
 * `attempts` and `lastError`.
 */
export async function withRetries<T>(
  op: (attempt: number) => Promise<T>,
  opts: WithRetriesOptions,
): Promise<{ value: T; attempts: number }> {
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts));
  const sleep = opts.sleep ?? defaultSleep;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) {
      throw new DwollaCallFailedError('aborted', attempt - 1, lastError);
    }
    try {
      return { value: await op(attempt), attempts: attempt };
    } catch (error) {
      lastError = error;
      await sleep(waitBeforeRetry(error, attempt, maxAttempts, opts), opts.signal);
    }
  }
}

/** After attempt `attempt` failed: the wait before the next one, or a throw when there is none. */
function waitBeforeRetry(error: unknown, attempt: number, maxAttempts: number, opts: WithRetriesOptions): number {
  const d = retryDecision(error, attempt, maxAttempts, opts.random ?? Math.random, opts.backoff);
  if (!d.retry) {
    throw new DwollaCallFailedError(d.reason, attempt, error);
  }
  if (opts.signal?.aborted) {
    throw new DwollaCallFailedError('aborted', attempt, error);
  }
  try {
    opts.onRetry?.({ attempt, error, delayMs: d.delayMs });
  } catch {
    // a logging callback must not change the outcome
  }
  return d.delayMs;
}
