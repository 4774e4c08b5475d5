/**
 * Dwolla's error bodies, with the codes and messages of Dwolla's documentation
 * (api-fundamentals/errors, transfers/initiate and the error schemas of dwolla-openapi.yml).
 */
import { randomUUID } from 'node:crypto';
import type { DwollaErrorBody, EmbeddedError } from '../dwolla/types.js';

/** An HTTP status with the body to answer. */
export interface ErrorAnswer {
  status: number;
  body: DwollaErrorBody;
}

function answer(status: number, code: string, message: string): ErrorAnswer {
  return { status, body: { code, message } };
}

const VALIDATION_MESSAGE = 'Validation error(s) present. See embedded errors list for more details.';

export function validationError(errors: EmbeddedError[]): ErrorAnswer {
  return {
    status: 400,
    body: {
      code: 'ValidationError',
      message: VALIDATION_MESSAGE,
      _embedded: { errors: errors.map((e) => ({ ...e, _links: e._links ?? {} })) },
    },
  };
}

export const errors = {
  badRequest: () => answer(400, 'BadRequest', 'The request body contains bad syntax or is incomplete.'),
  invalidCredentials: () => answer(401, 'InvalidCredentials', 'Missing or invalid Authorization header.'),
  invalidAccessToken: () => answer(401, 'InvalidAccessToken', 'Invalid access token.'),
  expiredAccessToken: () =>
    answer(401, 'ExpiredAccessToken', 'Generate a new access token using your client credentials.'),
  notFound: () => answer(404, 'NotFound', 'The requested resource was not found.'),
  /** OpenAPI getCustomer / listCustomerFundingSources 404: "Customer not found." (code as NotFoundError's). */
  customerNotFound: () => answer(404, 'NotFound', 'Customer not found.'),
  methodNotAllowed: () => answer(405, 'MethodNotAllowed', 'Method not allowed.'),
  invalidVersion: () => answer(406, 'InvalidVersion', 'Missing or invalid API version.'),
  /** Idempotency: the original request with this key is still being processed. */
  conflict: () =>
    answer(
      409,
      'Conflict',
      'A request with this Idempotency-Key is still being processed. Please wait before re-attempting the request.',
    ),
  /** Dwolla's concurrency limit on balance funding sources (TooManyRequestsErrorError). */
  concurrentBalanceTransfer: () =>
    answer(
      429,
      'TooManyRequests',
      'Concurrent transfers with the given funding source are not supported. Please wait a short period of time before re-attempting the request.',
    ),
  /** Dwolla's volume-based rate limit (used by the rate429 fault). */
  rateLimited: () =>
    answer(
      429,
      'TooManyRequests',
      'Too many requests. Please wait a short period of time before re-attempting the request.',
    ),
  serverError: (status = 500) => answer(status, 'ServerError', `A server error occurred. Error ID: ${randomUUID()}`),
} as const;

/** OAuth errors of `POST /token` (RFC 6749 section 5.2, as Dwolla answers them: `{"error": "invalid_client"}`). */
export interface OAuthErrorAnswer {
  status: number;
  body: { error: string; error_description: string };
}

export const oauthErrors = {
  invalidClient: (): OAuthErrorAnswer => ({
    status: 401,
    body: { error: 'invalid_client', error_description: 'Missing or invalid client credentials.' },
  }),
  invalidRequest: (): OAuthErrorAnswer => ({
    status: 400,
    body: { error: 'invalid_request', error_description: 'grant_type is required.' },
  }),
  unsupportedGrantType: (): OAuthErrorAnswer => ({
    status: 400,
    body: { error: 'unsupported_grant_type', error_description: 'Only grant_type=client_credentials is supported.' },
  }),
} as const;
