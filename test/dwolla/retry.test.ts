import { expect } from 'chai';
import {
  DwollaApiError,
  DwollaAuthError,
  DwollaConfigError,
  DwollaNetworkError,
  DwollaProtocolError,
  DwollaTimeoutError,
} from '../../src/dwolla/errors.js';
import {
  callFailure,
  classify,
  DEFAULT_BACKOFF,
  DwollaCallFailedError,
  retryDecision,
  withRetries,
} from '../../src/dwolla/retry.js';

const api = (httpStatus: number, code = 'Whatever', retryAfterMs?: number) =>
  new DwollaApiError({ httpStatus, code, message: 'm', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
const one = () => 1;
const zero = () => 0;

describe('retryDecision', () => {
  describe('what is retried', () => {
    const table: Array<[string, unknown, boolean]> = [
      ['network error (ECONNRESET)', new DwollaNetworkError({ errno: 'ECONNRESET', message: 'socket hang up' }), true],
      ['network error (ECONNREFUSED)', new DwollaNetworkError({ errno: 'ECONNREFUSED', message: 'refused' }), true],
      ['timeout', new DwollaTimeoutError({ timeoutMs: 1000 }), true],
      ['500 ServerError', api(500, 'ServerError'), true],
      ['502 from a proxy', api(502, 'BadGateway'), true],
      ['503', api(503), true],
      ['504', api(504), true],
      ['429 TooManyRequests', api(429, 'TooManyRequests'), true],
      ['409 (same key still processing)', api(409, 'Conflict'), true],
      ['408', api(408), true],
      ['201 without Location (protocol)', new DwollaProtocolError({ httpStatus: 201, message: 'x' }), true],
      ['401 ExpiredAccessToken after a renewal', api(401, 'ExpiredAccessToken'), true],
      ['401 InvalidAccessToken after a renewal', api(401, 'InvalidAccessToken'), true],
      ['400 ValidationError', api(400, 'ValidationError'), false],
      ['400 BadRequest', api(400, 'BadRequest'), false],
      ['401 InvalidCredentials', api(401, 'InvalidCredentials'), false],
      ['401 InvalidScopes', api(401, 'InvalidScopes'), false],
      ['403 Forbidden', api(403, 'Forbidden'), false],
      ['404 NotFound', api(404, 'NotFound'), false],
      ['302 (redirects are not followed)', api(302, 'Http302'), false],
      [
        'token 401 invalid_client',
        new DwollaAuthError({ httpStatus: 401, code: 'invalid_client', message: 'x' }),
        false,
      ],
      ['token 400 invalid_grant', new DwollaAuthError({ httpStatus: 400, code: 'invalid_grant', message: 'x' }), false],
      [
        'token 401 ExpiredAccessToken shape is still a credential problem',
        new DwollaAuthError({ httpStatus: 401, code: 'ExpiredAccessToken', message: 'x' }),
        false,
      ],
      ['token endpoint 503', new DwollaAuthError({ httpStatus: 503, code: 'ServiceUnavailable', message: 'x' }), true],
      ['token endpoint 429', new DwollaAuthError({ httpStatus: 429, code: 'TooManyRequests', message: 'x' }), true],
      ['config error (foreign URL)', new DwollaConfigError('ForeignUrl', 'x'), false],
      ['a plain Error (a bug)', new TypeError('x is undefined'), false],
      ['a thrown string', 'boom', false],
    ];
    for (const [name, error, retry] of table) {
      it(`${name} → ${retry ? 'retry' : 'permanent'}`, () => {
        const d = retryDecision(error, 1, 6, () => 0.5);
        expect(d.retry).to.equal(retry);
        if (!d.retry) {
          expect(d.reason).to.equal('permanent');
          expect(d.detail).to.be.a('string').and.not.equal('');
        }
        expect(classify(error).retryable).to.equal(retry);
      });
    }
  });

  it('stops when the attempts are used up, and says so', () => {
    const e = api(503);
    expect(retryDecision(e, 5, 6, one).retry).to.equal(true);
    const d = retryDecision(e, 6, 6, one);
    expect(d).to.deep.include({ retry: false, reason: 'exhausted' });
    expect(retryDecision(e, 7, 6, one).retry).to.equal(false);
    expect(retryDecision(e, 1, 1, one)).to.deep.include({ retry: false, reason: 'exhausted' });
  });

  it('a permanent error is permanent even on the last attempt', () => {
    expect(retryDecision(api(400, 'ValidationError'), 6, 6, one)).to.deep.include({
      retry: false,
      reason: 'permanent',
    });
  });

  it('backs off exponentially from 250 ms, capped at 15 s (random = 1 shows the ceiling)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => {
      const d = retryDecision(api(500), a, 100, one);
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).to.deep.equal([250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(DEFAULT_BACKOFF).to.deep.equal({ baseMs: 250, capMs: 15_000, maxRetryAfterMs: 60_000 });
  });

  it('uses full jitter: random() scales the whole delay', () => {
    const at = (r: number) => {
      const d = retryDecision(new DwollaTimeoutError({ timeoutMs: 1 }), 3, 6, () => r);
      return d.retry ? d.delayMs : -1;
    };
    expect(at(0)).to.equal(0);
    expect(at(0.5)).to.equal(500);
    expect(at(0.25)).to.equal(250);
    // out-of-range randoms are clamped, not trusted
    expect(at(7)).to.equal(1000);
    expect(at(-1)).to.equal(0);
  });

  it('takes base and cap from options', () => {
    const d = (a: number) => {
      const r = retryDecision(api(502), a, 10, one, { baseMs: 10, capMs: 50 });
      return r.retry ? r.delayMs : -1;
    };
    expect([1, 2, 3, 4, 5].map(d)).to.deep.equal([10, 20, 40, 50, 50]);
  });

  it('honours Retry-After as a floor, capped at 60 s', () => {
    const d = (e: unknown, r = zero, attempt = 1) => {
      const x = retryDecision(e, attempt, 6, r);
      return x.retry ? x.delayMs : -1;
    };
    expect(d(api(429, 'TooManyRequests', 5000))).to.equal(5000);
    expect(d(api(503, 'x', 3_600_000))).to.equal(60_000);
    // the backoff wins when it is longer than the server asked for
    expect(d(api(429, 'TooManyRequests', 100), one, 4)).to.equal(2000);
    expect(d(api(429, 'TooManyRequests', 0))).to.equal(0);
    expect(d(api(429, 'TooManyRequests', 90_000), zero)).to.equal(60_000);
    const custom = retryDecision(api(429, 'x', 90_000), 1, 6, zero, { maxRetryAfterMs: 30_000 });
    expect(custom).to.deep.equal({ retry: true, delayMs: 30_000 });
    const auth = retryDecision(
      new DwollaAuthError({ httpStatus: 503, code: 'x', message: 'x', retryAfterMs: 4000 }),
      1,
      6,
      zero,
    );
    expect(auth).to.deep.equal({ retry: true, delayMs: 4000 });
  });
});

describe('withRetries', () => {
  function recorder() {
    const slept: number[] = [];
    return { slept, sleep: async (ms: number) => void slept.push(ms) };
  }

  it('returns the value and attempts = 1 on first success, without sleeping', async () => {
    const r = recorder();
    const out = await withRetries(async () => 'ok', { maxAttempts: 6, sleep: r.sleep });
    expect(out).to.deep.equal({ value: 'ok', attempts: 1 });
    expect(r.slept).to.deep.equal([]);
  });

  it('retries retryable failures, passing the attempt number, and reports the attempts used', async () => {
    const r = recorder();
    const seen: number[] = [];
    const retries: Array<{ attempt: number; delayMs: number; code: string }> = [];
    const out = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt === 1) {
          throw new DwollaNetworkError({ errno: 'ECONNRESET', message: 'socket hang up' });
        }
        if (attempt === 2) {
          throw api(429, 'TooManyRequests', 3000);
        }
        return attempt * 10;
      },
      {
        maxAttempts: 6,
        sleep: r.sleep,
        random: one,
        onRetry: (i) =>
          retries.push({ attempt: i.attempt, delayMs: i.delayMs, code: (i.error as { code: string }).code }),
      },
    );
    expect(out).to.deep.equal({ value: 30, attempts: 3 });
    expect(seen).to.deep.equal([1, 2, 3]);
    expect(r.slept).to.deep.equal([250, 3000]);
    expect(retries).to.deep.equal([
      { attempt: 1, delayMs: 250, code: 'NetworkError' },
      { attempt: 2, delayMs: 3000, code: 'TooManyRequests' },
    ]);
  });

  it('gives up at maxAttempts with reason "exhausted", the attempt count and the last error', async () => {
    const r = recorder();
    let calls = 0;
    const last = api(503, 'ServiceUnavailable');
    try {
      await withRetries(
        async () => {
          calls++;
          throw calls === 4 ? last : api(500, 'ServerError');
        },
        { maxAttempts: 4, sleep: r.sleep, random: zero },
      );
      expect.fail('should have thrown');
    } catch (e) {
      expect(e).to.be.instanceOf(DwollaCallFailedError);
      const x = e as DwollaCallFailedError;
      expect(x.reason).to.equal('exhausted');
      expect(x.attempts).to.equal(4);
      expect(x.lastError).to.equal(last);
      expect(x.summary()).to.equal(last.summary());
      expect(x.message).to.equal(`exhausted after 4 attempts: ${last.summary()}`);
    }
    expect(calls).to.equal(4);
    expect(r.slept).to.have.length(3);
  });

  it('stops at once on a permanent error with reason "permanent"', async () => {
    const r = recorder();
    let calls = 0;
    const err = new DwollaApiError({
      httpStatus: 400,
      code: 'ValidationError',
      message: 'Validation error(s) present.',
      embedded: [{ code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value' }],
    });
    const p = withRetries(
      async () => {
        calls++;
        if (calls < 3) {
          throw api(502);
        }
        throw err;
      },
      { maxAttempts: 6, sleep: r.sleep },
    );
    const x = (await p.then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e,
    )) as DwollaCallFailedError;
    expect(x).to.be.instanceOf(DwollaCallFailedError);
    expect(x.reason).to.equal('permanent');
    expect(x.attempts).to.equal(3);
    expect(x.lastError).to.equal(err);
    expect(x.summary()).to.equal(
      'ValidationError: Validation error(s) present. [InvalidFormat /amount/value: Invalid amount.]',
    );
    expect(calls).to.equal(3);
  });

  it('maxAttempts 1 means exactly one try', async () => {
    let calls = 0;
    const x = await withRetries(
      async () => {
        calls++;
        throw api(500);
      },
      { maxAttempts: 1, sleep: async () => {} },
    ).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e as DwollaCallFailedError,
    );
    expect(calls).to.equal(1);
    expect(x.reason).to.equal('exhausted');
    expect(x.attempts).to.equal(1);
  });

  it('starts no new attempt once the signal aborts, and reports "aborted" with the attempts made', async () => {
    const ac = new AbortController();
    let calls = 0;
    const x = await withRetries(
      async () => {
        calls++;
        throw api(503);
      },
      { maxAttempts: 6, sleep: async () => ac.abort(), random: zero, signal: ac.signal },
    ).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e as DwollaCallFailedError,
    );
    expect(calls).to.equal(1);
    expect(x).to.be.instanceOf(DwollaCallFailedError);
    expect(x.reason).to.equal('aborted');
    expect(x.attempts).to.equal(1);
  });

  it('does not start at all when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    const x = await withRetries(async () => void calls++, { maxAttempts: 6, signal: ac.signal }).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e as DwollaCallFailedError,
    );
    expect(calls).to.equal(0);
    expect(x).to.be.instanceOf(DwollaCallFailedError);
    expect(x.reason).to.equal('aborted');
    expect(x.attempts).to.equal(0);
  });

  it('the default sleep is cut short by the signal (no long waits)', async function () {
    // A harness limit, not a timing assertion: an uncut 60 s Retry-After wait would exceed it.
    this.timeout(20_000);
    const ac = new AbortController();
    let calls = 0;
    setTimeout(() => ac.abort(), 20);
    const x = await withRetries(
      async () => {
        calls++;
        throw api(429, 'TooManyRequests', 60_000);
      },
      { maxAttempts: 6, signal: ac.signal },
    ).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e as DwollaCallFailedError,
    );
    expect(x.reason).to.equal('aborted');
    expect(calls).to.equal(1);
  });

  it('a throwing onRetry does not change the outcome', async () => {
    let calls = 0;
    const out = await withRetries(
      async () => {
        if (++calls < 3) {
          throw api(500);
        }
        return 'done';
      },
      {
        maxAttempts: 6,
        sleep: async () => {},
        onRetry: () => {
          throw new Error('logger broke');
        },
      },
    );
    expect(out).to.deep.equal({ value: 'done', attempts: 3 });
  });
});

describe('callFailure', () => {
  const failed = (op: () => Promise<unknown>, opts: Partial<Parameters<typeof withRetries>[1]> = {}) =>
    withRetries(op, { maxAttempts: 3, sleep: async () => {}, ...opts }).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e,
    );

  it('reads an exhausted call: the last Dwolla error, the attempts, the reason, its summary', async () => {
    const last = api(503, 'ServiceUnavailable');
    const err = await failed(async () => {
      throw last;
    });
    expect(err).to.be.instanceOf(DwollaCallFailedError);
    expect(callFailure(err)).to.deep.equal({
      dwollaError: last,
      attempts: 3,
      reason: 'exhausted',
      summary: 'ServiceUnavailable: m',
    });
  });

  it('reads a permanent refusal after retries', async () => {
    const refusal = api(400, 'ValidationError');
    let calls = 0;
    const err = await failed(async () => {
      throw ++calls === 1 ? api(500) : refusal;
    });
    expect(callFailure(err)).to.deep.include({ dwollaError: refusal, attempts: 2, reason: 'permanent' });
  });

  it('a bug inside the call: permanent after one attempt, no Dwolla error, the bug in the summary', async () => {
    const err = await failed(async () => {
      throw new TypeError('x is undefined');
    });
    expect(callFailure(err)).to.deep.equal({
      dwollaError: undefined,
      attempts: 1,
      reason: 'permanent',
      summary: 'TypeError: x is undefined',
    });
  });

  it('stopped before the first attempt: 0 attempts, reason aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await failed(async () => 'never', { signal: ac.signal });
    expect(callFailure(err)).to.deep.equal({
      dwollaError: undefined,
      attempts: 0,
      reason: 'aborted',
      summary: 'Aborted: aborted before the first attempt',
    });
  });

  it('anything else caught next to the call: no attempts, no reason, worded by describeOther (default String)', () => {
    const disk = new Error('ENOSPC: no space left on device');
    expect(callFailure(disk)).to.deep.equal({
      dwollaError: undefined,
      attempts: undefined,
      reason: undefined,
      summary: 'Error: ENOSPC: no space left on device',
    });
    expect(callFailure(disk, (e) => (e as Error).message).summary).to.equal('ENOSPC: no space left on device');
    expect(callFailure('boom').summary).to.equal('boom');
    const bare = api(404, 'NotFound');
    expect(callFailure(bare)).to.deep.include({ dwollaError: bare, attempts: undefined, reason: undefined });
  });
});
