import util from 'node:util';
import { expect } from 'chai';
import {
  DwollaApiError,
  DwollaAuthError,
  DwollaNetworkError,
  DwollaTimeoutError,
  errorSummary,
  parseApiError,
  parseRetryAfter,
  parseTokenError,
  statusCode,
} from '../../src/dwolla/errors.js';
import type { HttpResponse } from '../../src/dwolla/transport.js';

const hal = { 'content-type': 'application/vnd.dwolla.v1.hal+json' };
const answer = (status: number, body: string, headers: Record<string, string> = hal): HttpResponse => ({
  status,
  headers,
  body,
});

describe('dwolla-errors', () => {
  describe('parseApiError', () => {
    it('reads {code, message}', () => {
      const e = parseApiError(answer(404, JSON.stringify({ code: 'NotFound', message: 'Transfer not found.' })), {
        request: 'GET /transfers/x',
      });
      expect(e).to.be.instanceOf(DwollaApiError);
      expect(e.httpStatus).to.equal(404);
      expect(e.code).to.equal('NotFound');
      expect(e.message).to.equal('Transfer not found.');
      expect(e.embedded).to.deep.equal([]);
      expect(e.request).to.equal('GET /transfers/x');
      expect(e.summary()).to.equal('NotFound: Transfer not found.');
    });

    it('reads _embedded.errors with code, message and path', () => {
      const body = {
        code: 'ValidationError',
        message: 'Validation error(s) present. See embedded errors list for more details.',
        _embedded: {
          errors: [
            { code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value', _links: {} },
            { code: 'Invalid', message: 'Receiver not found.', path: '/_links/destination/href', _links: {} },
            { code: 'NotAllowed', message: 'no path here' },
            'garbage',
          ],
        },
      };
      const e = parseApiError(answer(400, JSON.stringify(body)));
      expect(e.code).to.equal('ValidationError');
      expect(e.embedded).to.deep.equal([
        { code: 'InvalidFormat', message: 'Invalid amount.', path: '/amount/value' },
        { code: 'Invalid', message: 'Receiver not found.', path: '/_links/destination/href' },
        { code: 'NotAllowed', message: 'no path here' },
      ]);
      expect(e.summary()).to.equal(
        'ValidationError: Validation error(s) present. See embedded errors list for more details. ' +
          '[InvalidFormat /amount/value: Invalid amount.; Invalid /_links/destination/href: Receiver not found.; NotAllowed: no path here]',
      );
    });

    it('reads the OAuth shape when an API call answers with it', () => {
      const e = parseApiError(answer(401, JSON.stringify({ error: 'invalid_token', error_description: 'nope' })));
      expect(e.code).to.equal('invalid_token');
      expect(e.message).to.equal('nope');
    });

    it('names a non-JSON body (an HTML 502 from a proxy) by status, with a tag-free excerpt', () => {
      const html =
        '<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body><h1>Bad   Gateway</h1><p>nginx</p></body></html>';
      const e = parseApiError(answer(502, html, { 'content-type': 'text/html; charset=utf-8' }));
      expect(e.code).to.equal('BadGateway');
      expect(e.httpStatus).to.equal(502);
      expect(e.message).to.equal('HTTP 502 Bad Gateway (text/html body, not a Dwolla error document)');
      expect(e.bodyExcerpt).to.equal('502 Bad Gateway Bad Gateway nginx');
      expect(e.summary()).to.not.include('\n');
    });

    it('handles an empty body, JSON that is not an object, and JSON without code or message', () => {
      expect(parseApiError(answer(503, '', {})).message).to.equal('HTTP 503 Service Unavailable (empty body)');
      expect(parseApiError(answer(503, '', {})).code).to.equal('ServiceUnavailable');
      expect(parseApiError(answer(500, '[1,2]')).code).to.equal('ServerError');
      expect(parseApiError(answer(500, 'null')).code).to.equal('ServerError');
      expect(parseApiError(answer(418, '{"foo":1}')).code).to.equal('Http418');
      expect(parseApiError(answer(409, '{"message":"still processing"}')).code).to.equal('Conflict');
      expect(parseApiError(answer(429, '{"code":"TooManyRequests"}')).message).to.equal('Too Many Requests');
    });

    it('cuts long bodies and keeps summary on one line', () => {
      const e = parseApiError(answer(500, `${'x'.repeat(5000)}\n\r\ny`, { 'content-type': 'text/plain' }));
      expect(e.bodyExcerpt!.length).to.be.at.most(300);
      const long = parseApiError(
        answer(400, JSON.stringify({ code: 'C', message: `line1\nline2\r\n${'z'.repeat(3000)}` })),
      );
      expect(long.summary().length).to.be.at.most(1000);
      expect(long.summary()).to.match(/^C: line1 line2 z+…$/);
    });

    it('applies redact to every text copied from the body', () => {
      const redact = (s: string) => s.split('SECRET').join('[R]');
      const e = parseApiError(
        answer(
          400,
          JSON.stringify({
            code: 'SECRETcode',
            message: 'has SECRET',
            _embedded: { errors: [{ code: 'SECRET', message: 'SECRET', path: '/SECRET' }] },
          }),
        ),
        { redact },
      );
      expect(JSON.stringify(e) + e.summary() + e.stack).to.not.include('SECRET');
      const h = parseApiError(answer(502, '<p>SECRET</p>', { 'content-type': 'text/html' }), { redact });
      expect(h.bodyExcerpt).to.equal('[R]');
    });

    it('reads Retry-After (seconds and HTTP date)', () => {
      const now = Date.parse('2024-03-01T12:00:00Z');
      expect(parseApiError(answer(429, '', { 'retry-after': '7' }), { now }).retryAfterMs).to.equal(7000);
      expect(
        parseApiError(answer(503, '', { 'retry-after': 'Fri, 01 Mar 2024 12:00:30 GMT' }), { now }).retryAfterMs,
      ).to.equal(30_000);
      expect(parseApiError(answer(503, '', {}), { now }).retryAfterMs).to.equal(undefined);
    });
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('2024-03-01T12:00:00Z');
    it('reads delta-seconds, dates, past dates; refuses junk', () => {
      expect(parseRetryAfter('0', now)).to.equal(0);
      expect(parseRetryAfter(' 120 ', now)).to.equal(120_000);
      expect(parseRetryAfter('1.5', now)).to.equal(1500);
      expect(parseRetryAfter('Fri, 01 Mar 2024 12:01:00 GMT', now)).to.equal(60_000);
      expect(parseRetryAfter('Fri, 01 Mar 2024 11:00:00 GMT', now)).to.equal(0);
      expect(parseRetryAfter('-5', now)).to.equal(undefined);
      expect(parseRetryAfter('soon', now)).to.equal(undefined);
      expect(parseRetryAfter('', now)).to.equal(undefined);
      expect(parseRetryAfter(undefined, now)).to.equal(undefined);
    });
  });

  describe('parseTokenError', () => {
    it('reads the OAuth shape {error, error_description}', () => {
      const e = parseTokenError(
        answer(401, JSON.stringify({ error: 'invalid_client', error_description: 'Invalid client credentials.' })),
      );
      expect(e).to.be.instanceOf(DwollaAuthError);
      expect(e.code).to.equal('invalid_client');
      expect(e.httpStatus).to.equal(401);
      expect(e.summary()).to.equal('invalid_client: token request refused: Invalid client credentials.');
    });
    it("reads Dwolla's {code, message} and non-JSON bodies", () => {
      expect(parseTokenError(answer(401, '{"code":"InvalidCredentials","message":"bad"}')).code).to.equal(
        'InvalidCredentials',
      );
      const h = parseTokenError(answer(500, '<h1>oops</h1>', { 'content-type': 'text/html' }));
      expect(h.code).to.equal('ServerError');
      expect(h.bodyExcerpt).to.equal('oops');
      expect(parseTokenError(answer(400, '')).message).to.equal(
        'token request refused: HTTP 400 Bad Request (empty body)',
      );
    });
  });

  describe('error objects', () => {
    it('have stable codes and class names, in stack and JSON', () => {
      const n = new DwollaNetworkError({ errno: 'ECONNRESET', message: 'socket hang up', request: 'POST /transfers' });
      expect(n.code).to.equal('NetworkError');
      expect(n.kind).to.equal('network');
      expect(n.summary()).to.equal('NetworkError: ECONNRESET socket hang up');
      expect(n.stack).to.match(/^DwollaNetworkError: socket hang up/);
      expect(n.name).to.equal('DwollaNetworkError');
      const t = new DwollaTimeoutError({ timeoutMs: 1500, request: 'GET /' });
      expect(t.code).to.equal('Timeout');
      expect(t.summary()).to.equal('Timeout: no answer within 1500 ms (GET /)');
      const json = JSON.parse(JSON.stringify(n));
      expect(json).to.deep.equal({
        name: 'DwollaNetworkError',
        kind: 'network',
        code: 'NetworkError',
        message: 'socket hang up',
        errno: 'ECONNRESET',
        request: 'POST /transfers',
      });
      expect(Object.keys(n)).to.not.include('name');
    });

    it('show only their own fields under util.inspect (no undefined noise)', () => {
      const e = new DwollaApiError({ httpStatus: 400, code: 'ValidationError', message: 'm' });
      const s = util.inspect(e);
      expect(s).to.include("code: 'ValidationError'");
      expect(s).to.not.include('undefined');
    });

    it('errorSummary describes anything', () => {
      expect(errorSummary(new TypeError('bad\nthing'))).to.equal('TypeError: bad thing');
      expect(errorSummary('str')).to.equal('str');
      expect(errorSummary(new DwollaApiError({ httpStatus: 403, code: 'Forbidden', message: 'no' }))).to.equal(
        'Forbidden: no',
      );
    });

    it('statusCode names statuses the Dwolla way', () => {
      expect([400, 401, 404, 409, 429, 500, 502, 503, 504, 302].map(statusCode)).to.deep.equal([
        'BadRequest',
        'Unauthorized',
        'NotFound',
        'Conflict',
        'TooManyRequests',
        'ServerError',
        'BadGateway',
        'ServiceUnavailable',
        'GatewayTimeout',
        'Http302',
      ]);
    });
  });
});
