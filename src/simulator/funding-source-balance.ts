/**
 * `GET /funding-sources/{id}/balance` (OpenAPI `getFundingSourceBalance`): the "Dwolla Balance
 * Response" of a balance funding source.
 */
import type { FundingSourceBalance } from '../dwolla/types.js';
import type { ErrorAnswer } from './errors.js';
import { type Exchange, sendError, sendJson } from './http.js';
import { formatCents } from './money.js';
import { link } from './resources.js';
import type { SimulatorState } from './state.js';

/**
 * The operation's documented 404 body (note Dwolla's lower-case `notFound` here). Dwolla answers a
 * bank's balance only for a bank connected through Open Banking ("Bank Balance Response"); the
 * simulator's banks never are, so a bank gets this 404, as does an unknown id.
 */
const fundingSourceNotFound = (): ErrorAnswer => ({
  status: 404,
  body: { code: 'notFound', message: 'Funding source not found.' },
});

export function getFundingSourceBalance(ex: Exchange, sim: SimulatorState, [id]: string[]): Promise<void> {
  const fs = id === undefined ? undefined : sim.fundingSource(id);
  const held = fs?.type === 'balance' ? sim.balances.available(fs.id) : undefined;
  if (!(fs && held)) {
    return sendError(ex, fundingSourceNotFound());
  }
  const self = `${ex.base}/funding-sources/${fs.id}`;
  const amount = { value: formatCents(held.cents), currency: 'USD' as const };
  const body: FundingSourceBalance = {
    _links: { self: link(`${self}/balance`, 'balance'), 'funding-source': link(self, 'funding-source') },
    balance: amount,
    // A transfer's amount leaves the balance when it is created: nothing else is pending, so the total is what is available.
    total: { ...amount },
    lastUpdated: new Date(held.updatedMs).toISOString(),
  };
  return sendJson(ex, 200, body);
}
