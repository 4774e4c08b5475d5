/**
 * The balance preflight (SPEC "Submission"): before the first send, each balance source's available
 * amount (`GET /funding-sources/{id}/balance`, OpenAPI getFundingSourceBalance) is compared with the
 * total this run would send from it. A shortfall sends nothing: a batch that runs dry half way
 * leaves some payees paid and others not, which is worse for the finance team than a batch that
 * waits for the money.
 */
import type { DwollaClient } from '../dwolla/client.js';
import { callFailure, withRetries } from '../dwolla/retry.js';
import { formatCents, parseAmount } from '../input/money.js';
import type { SourceAmounts, Survey } from './decide-rows.js';
import { BatchStateError } from './errors.js';
import { KeySet } from './key-set.js';
import type { PreflightOptions, SourceCheck } from './preflight.js';
import { needsLookup, type RowToSend, type Submitter } from './submit.js';

/** One balance source that holds less than the run would send from it. */
export interface Shortfall {
  sourceId: string;
  availableCents: number;
  totalCents: number;
}

/**
 * What each usable balance source would send in this run, in cents: its rows (those looked up
 * first included, as they may not be found), and the fees charged to the balance's owner. Pure.
 */
export function balanceTotals(
  amounts: ReadonlyMap<string, SourceAmounts>,
  sources: ReadonlyMap<string, SourceCheck>,
  settled: ReadonlyMap<string, number> = new Map(),
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [id, a] of amounts) {
    const source = sources.get(id);
    if (!source?.ok || source.type !== 'balance') {
      continue;
    }
    const fees = source.customerId === undefined ? 0 : (a.fees.get(source.customerId) ?? 0);
    totals.set(id, a.certain + a.uncertain + fees - (settled.get(id) ?? 0));
  }
  return totals;
}

/** The sources whose total is over their balance. Pure. */
export function shortfalls(totals: ReadonlyMap<string, number>, balances: ReadonlyMap<string, number>): Shortfall[] {
  const short: Shortfall[] = [];
  for (const [sourceId, totalCents] of totals) {
    const availableCents = balances.get(sourceId);
    if (availableCents !== undefined && totalCents > availableCents) {
      short.push({ sourceId, availableCents, totalCents });
    }
  }
  return short;
}

/** The refusal's words: each source, its balance, the total and the gap, and what to do. */
export function describeShortfalls(short: readonly Shortfall[]): string {
  const lines = short.map(
    (s) =>
      `source ${s.sourceId}: balance ${formatCents(s.availableCents)}, this run would send ${formatCents(s.totalCents)}, ` +
      `short by ${formatCents(s.totalCents - s.availableCents)}`,
  );
  return [
    'not enough money: nothing was sent.',
    ...lines.map((l) => `  ${l}`),
    'Add funds to the balance, or send some rows from another source (--source or a source column), then run the same command again.',
  ].join('\n');
}

/**
 * Reads the balance of each source. A balance that cannot be read blocks its source for this run
 * (its rows stay pending: exit 3, run again), without changing what is known of the source, so
 * that lookups of its earlier sends still search the right owner's transfers.
 */
async function readBalances(
  client: DwollaClient,
  ids: Iterable<string>,
  submitter: Submitter,
  opts: PreflightOptions,
): Promise<Map<string, number>> {
  const balances = new Map<string, number>();
  for (const id of ids) {
    try {
      const { value } = await withRetries(() => client.getBalance(id), opts);
      const amount = parseAmount(value.balance?.value ?? '');
      if (!amount.ok) {
        throw new Error(`unreadable balance: ${JSON.stringify(value.balance?.value)}`);
      }
      balances.set(id, amount.cents);
    } catch (err) {
      const { summary } = callFailure(err, (e) => (e instanceof Error ? e.message : String(e)));
      submitter.block(id, `could not read the balance of source ${id}: ${summary}`);
    }
  }
  return balances;
}

/**
 * The balance preflight of a run: refuses (BATCH_BALANCE_SHORTFALL, exit 2, nothing sent) when a
 * balance source holds less than this run would send from it. Rows that may have been paid
 * already (an earlier intent without an outcome, a paymentId the ledger has not seen) count until
 * they are looked up; when the check fails they are looked up first (no money moves; `beforeLookups`
 * runs first) and it is made again without those settled. Resolves with the keys those lookups
 * settled: the send pass skips them.
 */
export async function checkBalances(
  run: {
    client: DwollaClient;
    submitter: Submitter;
    sources: ReadonlyMap<string, SourceCheck>;
    opts: PreflightOptions;
  },
  survey: Survey,
  rowsToSend: () => AsyncIterable<RowToSend>,
  beforeLookups: () => Promise<void>,
): Promise<KeySet> {
  const settledKeys = new KeySet();
  const wanted = balanceTotals(survey.amounts, run.sources);
  if (wanted.size === 0) {
    return settledKeys;
  }
  const balances = await readBalances(run.client, wanted.keys(), run.submitter, run.opts);
  let short = shortfalls(wanted, balances);
  const shortIds = new Set(
    short.filter((s) => (survey.amounts.get(s.sourceId)?.uncertain ?? 0) > 0).map((s) => s.sourceId),
  );
  if (shortIds.size > 0) {
    await beforeLookups();
    const settled = new Map<string, number>();
    const uncertain = filterRows(rowsToSend(), (r) => needsLookup(r) && shortIds.has(r.row.payment.sourceId));
    await run.submitter.lookUpStream(uncertain, (row) => {
      settledKeys.add(row.key);
      const id = row.payment.sourceId ?? '';
      settled.set(id, (settled.get(id) ?? 0) + row.payment.amountCents);
    });
    short = shortfalls(balanceTotals(survey.amounts, run.sources, settled), balances);
  }
  if (short.length > 0) {
    throw new BatchStateError('BATCH_BALANCE_SHORTFALL', describeShortfalls(short));
  }
  return settledKeys;
}

async function* filterRows(rows: AsyncIterable<RowToSend>, keep: (r: RowToSend) => boolean): AsyncGenerator<RowToSend> {
  for await (const r of rows) {
    if (keep(r)) {
      yield r;
    }
  }
}
