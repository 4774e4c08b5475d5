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
import type { SendableRow } from '../plan/planner.js';
import { BatchStateError } from './errors.js';
import type { RowOutcome } from './outcome.js';
import { metadataRefusal, type PreflightOptions, type SourceCheck } from './preflight.js';
import { needsLookup, type RowToSend, type Submitter } from './submit.js';

/** One balance source that holds less than the run would send from it. */
export interface Shortfall {
  sourceId: string;
  availableCents: number;
  totalCents: number;
}

/** The balance source a row would really be sent from, if it would: usable, a balance, and not refused for its metadata. */
function balanceSourceOf(row: SendableRow, sources: ReadonlyMap<string, SourceCheck>): string | undefined {
  const source = sources.get(row.payment.sourceId);
  return source?.ok && source.type === 'balance' && metadataRefusal(row, source) === undefined ? source.id : undefined;
}

/** The total in cents each balance source would send, over these rows. Pure. */
export function totalsByBalance(
  rows: Iterable<SendableRow>,
  sources: ReadonlyMap<string, SourceCheck>,
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const id = balanceSourceOf(row, sources);
    if (id !== undefined) {
      totals.set(id, (totals.get(id) ?? 0) + row.payment.amountCents);
    }
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
 * Reads the balance of each source, a source at a time. A balance that cannot be read turns its
 * source into a failed check (its rows are not attempted in this run: exit 3, run again).
 */
async function readBalances(
  client: DwollaClient,
  ids: Iterable<string>,
  sources: Map<string, SourceCheck>,
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
      sources.set(id, {
        ok: false,
        id,
        code: 'SourceLookupFailed',
        message: `could not read the balance of source ${id}: ${summary}`,
      });
    }
  }
  return balances;
}

/**
 * The balance preflight of a run: refuses (BATCH_BALANCE_SHORTFALL, exit 2, nothing sent) when a
 * balance source holds less than this run would send from it. Rows that may have been paid
 * already (an earlier intent without an outcome, a paymentId the ledger has not seen) count until
 * they are looked up; when the check fails they are looked up first (no money moves) and it is
 * made again without those found. Resolves with the outcomes of the rows those lookups settled.
 */
export async function checkBalances(
  client: DwollaClient,
  submitter: Submitter,
  sources: Map<string, SourceCheck>,
  rows: readonly RowToSend[],
  opts: PreflightOptions,
): Promise<Map<string, RowOutcome>> {
  const totalOf = (of: readonly RowToSend[]) =>
    totalsByBalance(
      of.map((r) => r.row),
      sources,
    );
  const wanted = totalOf(rows);
  if (wanted.size === 0) {
    return new Map();
  }
  const balances = await readBalances(client, wanted.keys(), sources, opts);
  let short = shortfalls(totalOf(rows), balances);
  if (short.length === 0) {
    return new Map();
  }
  const shortIds = new Set(short.map((s) => s.sourceId));
  const uncertain = rows.filter((r) => needsLookup(r) && shortIds.has(r.row.payment.sourceId));
  const settled = uncertain.length > 0 ? await submitter.lookUpAll(uncertain) : new Map<string, RowOutcome>();
  short = shortfalls(totalOf(rows.filter((r) => !settled.has(r.row.key))), balances);
  if (short.length > 0) {
    throw new BatchStateError('BATCH_BALANCE_SHORTFALL', describeShortfalls(short));
  }
  return settled;
}
