/**
 * The query of `GET /accounts/{id}/transfers` and `GET /customers/{id}/transfers` (OpenAPI
 * listAndSearchTransfers / listCustomerTransfers): startDate, endDate, startAmount, endAmount,
 * status, correlationId, limit, offset. A malformed value is refused (400 ValidationError naming
 * the parameter), never ignored; so is `search`, which searches customer names, emails and ids
 * that the simulator does not model. Other parameters are not Dwolla's and are ignored.
 *
 * Dates: `YYYY-MM-DD` calendar dates, compared with the UTC date of `created` (the date part of the
 * `created` a transfer shows), both ends inclusive: startDate=2025-03-04&endDate=2025-03-04 lists
 * the transfers created on 4 March 2025 (UTC). Amounts: dollars with up to two decimals, both ends
 * inclusive ("equal to or greater than" / "equal to or less than", as OpenAPI says).
 */
import type { EmbeddedError, TransferStatus } from '../dwolla/types.js';
import { parseAmountCents } from './money.js';

interface ListFilters {
  correlationId?: string;
  status?: TransferStatus;
  createdFromMs?: number;
  createdBeforeMs?: number;
  minCents?: bigint;
  maxCents?: bigint;
  limit: number;
  offset: number;
  /** The filters as given (minus limit and offset), for the page links. */
  echo: Array<[string, string]>;
}

export type ParsedListQuery = { ok: true; filters: ListFilters } | { ok: false; errors: EmbeddedError[] };

/** OpenAPI: "Number of search results to return. Defaults to 25"; Dwolla caps a page at 200. */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 200;
const DAY_MS = 86_400_000;
const STATUSES: readonly TransferStatus[] = ['pending', 'processed', 'failed', 'cancelled'];
const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const AMOUNT_RE = /^\d+(\.\d{1,2})?$/;
const COUNT_RE = /^\d+$/;

/** Milliseconds of the UTC midnight starting `value` (a real `YYYY-MM-DD` date), else undefined. */
function utcDayStartMs(value: string): number | undefined {
  if (!ISO_DATE_RE.test(value)) {
    return undefined;
  }
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? undefined : ms;
}

export function refusal(name: string, message: string, code = 'InvalidFormat'): EmbeddedError {
  return { code, message, path: `/${name}` };
}

export class QueryReader {
  readonly errors: EmbeddedError[] = [];
  readonly echo: Array<[string, string]> = [];

  constructor(private readonly q: URLSearchParams) {}

  /** The parameter's value (echoed in the page links), or undefined when absent. */
  take(name: string): string | undefined {
    const value = this.q.get(name);
    if (value === null) {
      return undefined;
    }
    this.echo.push([name, value]);
    return value;
  }

  date(name: string): number | undefined {
    const value = this.take(name);
    const ms = value === undefined ? undefined : utcDayStartMs(value);
    if (value !== undefined && ms === undefined) {
      this.errors.push(refusal(name, `${name} must be a calendar date written YYYY-MM-DD.`));
    }
    return ms;
  }

  amount(name: string): bigint | undefined {
    const value = this.take(name);
    if (value === undefined) {
      return undefined;
    }
    if (!AMOUNT_RE.test(value)) {
      this.errors.push(refusal(name, `${name} must be an amount such as 10.00 (up to two decimals).`));
      return undefined;
    }
    return parseAmountCents(value);
  }

  status(): TransferStatus | undefined {
    const value = this.take('status');
    const status = STATUSES.find((s) => s === value);
    if (value !== undefined && status === undefined) {
      this.errors.push(refusal('status', `status must be one of ${STATUSES.join(', ')}.`, 'Invalid'));
    }
    return status;
  }

  /** A whole number of at least `min`; limit and offset are not echoed (the links set their own). */
  count(name: string, min: number, fallback: number): number {
    const value = this.q.get(name);
    if (value === null) {
      return fallback;
    }
    if (!COUNT_RE.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
      this.errors.push(refusal(name, `${name} must be a whole number of ${min} or more.`));
      return fallback;
    }
    return Number(value);
  }
}

/** Parses and checks the list query; every malformed parameter is one embedded error. */
export function parseListQuery(q: URLSearchParams): ParsedListQuery {
  const r = new QueryReader(q);
  if (q.has('search')) {
    r.errors.push(
      refusal(
        'search',
        'search is not supported by the simulator: it searches customer names, emails and ids, which the simulator does not model. Use correlationId, status, dates or amounts.',
        'Invalid',
      ),
    );
  }
  const startMs = r.date('startDate');
  const endMs = r.date('endDate');
  const minCents = r.amount('startAmount');
  const maxCents = r.amount('endAmount');
  const status = r.status();
  const correlationId = r.take('correlationId');
  const limit = Math.min(MAX_LIMIT, r.count('limit', 1, DEFAULT_LIMIT));
  const offset = r.count('offset', 0, 0);
  if (r.errors.length > 0) {
    return { ok: false, errors: r.errors };
  }
  return {
    ok: true,
    filters: {
      correlationId,
      status,
      createdFromMs: startMs,
      createdBeforeMs: endMs === undefined ? undefined : endMs + DAY_MS,
      minCents,
      maxCents,
      limit,
      offset,
      echo: r.echo,
    },
  };
}
