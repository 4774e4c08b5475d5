/**
 * The amounts of the simulator's balance funding sources (OpenAPI `getFundingSourceBalance`:
 * `GET /funding-sources/{id}/balance`). A transfer from a balance takes its amount when it is
 * created, and more than is available is refused with `InsufficientFunds` (OpenAPI
 * `InsufficientFundsError` of `POST /transfers`); a cancelled or failed one gives it back.
 */
import { SPECIAL_IDS, STARTING_BALANCES } from './funding-sources.js';

/** Cents of one balance, and when it last changed. */
interface Entry {
  cents: bigint;
  updatedMs: number;
}

export class Balances {
  private readonly entries = new Map<string, Entry>();

  /** `starting`: each balance funding source's id (lower case) and its starting cents. */
  constructor(starting: ReadonlyMap<string, bigint>, nowMs: number) {
    for (const [id, cents] of starting) {
      this.entries.set(id, { cents, updatedMs: nowMs });
    }
  }

  /** What the balance holds now, or undefined when the id is not a balance. */
  available(id: string): { cents: bigint; updatedMs: number } | undefined {
    const entry = this.entries.get(id);
    return entry ? { ...entry } : undefined;
  }

  /** Takes `cents` from the balance; false (and nothing taken) when it holds less. */
  debit(id: string, cents: bigint, nowMs: number): boolean {
    const entry = this.entries.get(id);
    if (!entry || entry.cents < cents) {
      return false;
    }
    entry.cents -= cents;
    entry.updatedMs = nowMs;
    return true;
  }

  /** Gives `cents` to the balance (a cancelled or returned transfer from it, or money received). */
  credit(id: string, cents: bigint, nowMs: number): void {
    const entry = this.entries.get(id);
    if (entry) {
      entry.cents += cents;
      entry.updatedMs = nowMs;
    }
  }
}

const DOLLARS_RE = /^(\d+)(?:\.(\d{1,2}))?$/;

/** Cents of a starting balance written in US dollars ("250000", "250000.5", "250000.00"); RangeError otherwise. */
export function balanceCents(dollars: string): bigint {
  const match = DOLLARS_RE.exec(dollars);
  if (!match) {
    throw new RangeError(`balance must be an amount of US dollars such as 250000.00, got '${dollars}'`);
  }
  return BigInt(match[1] ?? '0') * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** The balances a simulator starts with: the account's (`balance`, else its default) and the customer's. */
export function startingBalances(balance: string = STARTING_BALANCES.defaultBalance): Map<string, bigint> {
  return new Map([
    [SPECIAL_IDS.defaultBalance, balanceCents(balance)],
    [SPECIAL_IDS.customerBalance, balanceCents(STARTING_BALANCES.customerBalance)],
  ]);
}
