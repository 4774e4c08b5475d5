/**
 * Maker-checker (SPEC `--approve`, `--require-approval`, `--strict`): the file-level refusals a
 * run makes before it sends anything, and that a dry run predicts.
 *
 * - `--strict`: any invalid row sends nothing (exit 2), naming the first rows and why.
 * - `--approve DIGEST`: the plan digest (src/plan/plan-digest.ts) must still be DIGEST (or start
 *   with it); else nothing is sent (exit 2), saying what changed: the approved plan's rows and
 *   total against the file's now, read from the approved dry run's plan.json, and the first rows
 *   that differ, from its plan.csv (src/batch/plan-diff.ts).
 * - `--require-approval` (PAYOUTS_REQUIRE_APPROVAL): a run with rows to send refuses without
 *   `--approve`. A rerun with nothing left to send needs no approval: it moves no money, and it is
 *   how a cron finishes a batch's report. A matching `--approve` is always accepted, also on a
 *   rerun after a partial run: the digest describes the file's plan, rows created earlier included.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCents } from '../input/money.js';
import type { ClearingPolicy } from '../input/validation.js';
import { approves, PlanDigest, type PlanDigestResult } from '../plan/plan-digest.js';
import type { InvalidRow, ValidRow } from '../plan/planner.js';
import type { Summary } from '../results/tally.js';
import { BatchStateError } from './errors.js';
import { describeChange, firstChanges, planCsvLines, planLineOf } from './plan-diff.js';
import type { RunSettings } from './settings.js';

/** Invalid rows a --strict refusal names. */
const SHOWN_INVALID = 20;
/** Longest reason shown for one invalid row. */
const REASON_CHARS = 300;
/** Rows that differ a refused --approve names. */
const SHOWN_CHANGES = 10;

/** 4210.00 → "4,210.00": a total as people read it. */
export function groupedCents(cents: number): string {
  const [whole, fraction] = formatCents(cents).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

function rowsTotalling(rows: number, totalCents: number): string {
  return `${rows} row${rows === 1 ? '' : 's'} totalling ${groupedCents(totalCents)}`;
}

/** A path or word as a shell reads it back: quoted unless plain. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The invalid rows of a pass: all counted, the first SHOWN_INVALID kept with why. */
export class InvalidRows {
  count = 0;
  readonly first: Array<{ line: number; reason: string }> = [];

  add(row: InvalidRow): void {
    this.count++;
    if (this.first.length < SHOWN_INVALID) {
      const reason = row.errors.join('; ').replace(/\s+/g, ' ');
      this.first.push({
        line: row.line,
        reason: reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS - 1)}…` : reason,
      });
    }
  }
}

/** --strict: a file with any invalid row sends nothing (exit 2), naming the first ones. */
export function refuseInvalidRows(s: Pick<RunSettings, 'strict' | 'file'>, invalid: InvalidRows): void {
  if (!s.strict || invalid.count === 0) {
    return;
  }
  const more = invalid.count - invalid.first.length;
  throw new BatchStateError(
    'BATCH_INVALID_ROWS',
    [
      `--strict: ${invalid.count} row${invalid.count === 1 ? ' is' : 's are'} invalid, so nothing was sent:`,
      ...invalid.first.map((r) => `  row ${r.line}: ${r.reason}`),
      ...(more > 0
        ? [`  and ${more} more: a dry run without --strict lists every row in plan.csv (errorMessage)`]
        : []),
      `Fix ${invalid.count === 1 ? 'it' : 'them'} (or take ${invalid.count === 1 ? 'it' : 'them'} out of the file), then run the same command again.`,
    ].join('\n'),
  );
}

/** The plan digest of a file's valid rows, streamed in input order. */
export async function planDigestOf(
  s: Pick<RunSettings, 'batchId' | 'clearing'>,
  rows: AsyncIterable<ValidRow>,
): Promise<PlanDigestResult> {
  const digest = new PlanDigest(s.batchId);
  for await (const row of rows) {
    digest.addRow(row, s.clearing);
  }
  return digest.finish();
}

/** The plan fields of plan.json and summary.json. */
export function planSummary(
  plan: PlanDigestResult,
  clearing: ClearingPolicy,
): Required<Pick<Summary, 'planDigest' | 'planRows' | 'planTotal' | 'planClearing'>> {
  return { planDigest: plan.hex, planRows: plan.rows, planTotal: formatCents(plan.totalCents), planClearing: clearing };
}

/** What a refused approval compares with: the plan now, how many rows it would send, and its rows again. */
export interface ApprovalCheck {
  plan: PlanDigestResult;
  /** Rows this run would send: with none, --require-approval asks for nothing. */
  toSend: number;
  /** The file's valid rows, streamed again in input order (as the plan was made). */
  rows: () => AsyncIterable<ValidRow>;
}

/**
 * Refuses (BatchStateError, exit 2) a plan that is not the approved one, or a run that needs an
 * approval it was not given. Nothing has been sent when it is called.
 */
export async function refuseUnapproved(
  s: Pick<
    RunSettings,
    'approve' | 'requireApproval' | 'file' | 'outDir' | 'batchId' | 'clearing' | 'delimiter' | 'columns' | 'resume'
  >,
  check: ApprovalCheck,
): Promise<void> {
  if (s.approve !== undefined) {
    if (!approves(s.approve, check.plan.hex)) {
      throw new BatchStateError('BATCH_NOT_APPROVED', await whatChanged(s, s.approve, check));
    }
    return;
  }
  if (s.requireApproval && check.toSend > 0) {
    throw new BatchStateError(
      'BATCH_NOT_APPROVED',
      `approval is required (--require-approval or PAYOUTS_REQUIRE_APPROVAL) and no --approve was given: ` +
        `${check.toSend} row(s) would be sent; nothing was sent.\n` +
        `Get the plan digest with: ${planCommand(s, ['--dry-run'])}, ` +
        'have a second person check plan.csv and approve the digest, then run with --approve DIGEST.',
    );
  }
}

/** What plan.json says of the plan it describes. */
interface ApprovedPlan {
  dir: string;
  batchId: string;
  digest: string;
  rows: number;
  totalCents: number;
  clearing: string | undefined;
  finishedAt: string | undefined;
}

/** A dry run's plan.json, if it has a plan digest. */
async function readPlanJson(dir: string): Promise<ApprovedPlan | undefined> {
  let parsed: Partial<Record<keyof Summary, unknown>>;
  try {
    parsed = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const { batchId, planDigest, planRows, planTotal, planClearing, finishedAt } = parsed;
  const total = typeof planTotal === 'string' && /^\d+\.\d{2}$/.test(planTotal) ? planTotal : undefined;
  if (typeof batchId !== 'string' || typeof planDigest !== 'string' || typeof planRows !== 'number' || !total) {
    return undefined;
  }
  return {
    dir,
    batchId,
    digest: planDigest,
    rows: planRows,
    totalCents: Number(total.replace('.', '')),
    clearing: typeof planClearing === 'string' ? planClearing : undefined,
    finishedAt: typeof finishedAt === 'string' ? finishedAt : undefined,
  };
}

/**
 * The approved plan's plan.json among this batch's output folders (OUT/BATCH_ID, or one beside it
 * such as OUT/BATCH_ID.simulator): the one whose digest the approval names.
 */
async function findApprovedPlan(
  s: Pick<RunSettings, 'outDir' | 'batchId'>,
  approval: string,
): Promise<ApprovedPlan | undefined> {
  const names = await readdir(s.outDir).catch(() => [] as string[]);
  const folders = names.filter((n) => n === s.batchId || n.startsWith(`${s.batchId}.`)).sort();
  for (const name of folders) {
    const plan = await readPlanJson(join(s.outDir, name));
    if (plan?.batchId === s.batchId && approves(approval, plan.digest)) {
      return plan;
    }
  }
  return undefined;
}

/** The message of a refused --approve: what the approved plan was, what the file's is now, and the first rows that differ. */
async function whatChanged(
  s: Pick<RunSettings, 'file' | 'outDir' | 'batchId' | 'clearing' | 'delimiter' | 'columns' | 'resume'>,
  approval: string,
  check: ApprovalCheck,
): Promise<string> {
  const { plan } = check;
  const head = `the plan of ${s.file} is not the approved one (--approve ${approval}): nothing was sent.`;
  const again = `Dry-run the file again (${planCommand(s, ['--dry-run'])}), have the new plan approved, then run with its digest.`;
  const approved = await findApprovedPlan(s, approval);
  if (!approved) {
    return [
      head,
      `  this file's plan digest is now ${plan.hex} (${rowsTotalling(plan.rows, plan.totalCents)}).`,
      `  The approved plan is unknown here: no plan.json of batch ${s.batchId} in ${s.outDir} has that digest, so what changed cannot be said.`,
      again,
    ].join('\n');
  }
  const lines = [
    head,
    `  the approved plan (batch ${approved.batchId}${approved.finishedAt ? `, dry run of ${approved.finishedAt}` : ''}) had ${rowsTotalling(approved.rows, approved.totalCents)}; ` +
      `this file now has ${rowsTotalling(plan.rows, plan.totalCents)} (plan digest ${plan.hex}).`,
  ];
  if (approved.clearing !== undefined && approved.clearing !== s.clearing) {
    lines.push(
      `  --clearing was ${approved.clearing} when the plan was approved; this run has --clearing ${s.clearing}.`,
    );
  }
  lines.push(...(await rowChanges(join(approved.dir, 'plan.csv'), check)), again);
  return lines.join('\n');
}

/** The first rows that differ from the approved dry run's plan.csv, in words; none when it cannot be read. */
async function rowChanges(planCsv: string, check: ApprovalCheck): Promise<string[]> {
  async function* now() {
    for await (const row of check.rows()) {
      yield planLineOf(row);
    }
  }
  try {
    const { changes, more } = await firstChanges(planCsvLines(planCsv), now(), SHOWN_CHANGES);
    if (changes.length === 0) {
      return [
        "  no row's key, destination or amount differs: a row's clearing policy (its clearing column, or --clearing) or fee changed.",
      ];
    }
    return [
      `  rows that differ${more ? ` (the first ${changes.length})` : ''}:`,
      ...changes.map((c) => `    ${describeChange(c)}`),
    ];
  } catch {
    return []; // the approved plan.csv is gone or unreadable: the totals above say what is known
  }
}

/** How --columns is written back: each header quoted when it holds a comma, an equals sign or a quote. */
function columnsOption(columns: RunSettings['columns']): string {
  const header = (h: string) => (/[,="]/.test(h) ? `"${h.replaceAll('"', '""')}"` : h);
  return columns.map((c) => `${header(c.header)}=${c.target}`).join(',');
}

/**
 * `payouts run FILE` with the options that decide how the file is read and planned (so the
 * digest of a command that follows this hint is the digest it talks about), then `tail`.
 */
function planCommand(
  s: Pick<RunSettings, 'file' | 'batchId' | 'clearing' | 'delimiter' | 'columns' | 'resume'>,
  tail: readonly string[],
  fileBatchId?: string,
): string {
  const options = [
    ...(s.batchId === fileBatchId ? [] : ['--batch-id', s.batchId]),
    ...(s.clearing === 'auto' ? [] : ['--clearing', s.clearing]),
    ...(s.delimiter === undefined ? [] : ['--delimiter', s.delimiter === '\t' ? 'tab' : s.delimiter]),
    ...(s.columns.length === 0 ? [] : ['--columns', columnsOption(s.columns)]),
    ...(s.resume ? ['--resume'] : []),
  ];
  return ['payouts', 'run', s.file, ...options, ...tail].map(shellWord).join(' ');
}

/**
 * The dry run's words about its plan digest: the digest, what it covers, and the command that
 * sends exactly this plan (with the options the digest depends on: a batch id other than the
 * file's own, and --clearing).
 */
export function digestNote(
  s: Pick<RunSettings, 'file' | 'batchId' | 'clearing' | 'delimiter' | 'columns' | 'resume'> & { deferred?: boolean },
  plan: PlanDigestResult,
  fileBatchId: string,
): string {
  const digest = `Plan digest: ${plan.hex} (${rowsTotalling(plan.rows, plan.totalCents)}).\n`;
  if (s.deferred) {
    // Approval in Dwolla: the run creates the mass payments deferred; the second person releases them.
    const run = planCommand(s, ['--deferred'], fileBatchId);
    return `${digest}With --deferred, run ${run} (plus the API, source and state options of the real run) to create the mass payments held at Dwolla; once a second person has checked the plan, they release exactly it with: payouts approve ${s.batchId} --approve ${plan.hex} (and the run's API options)\n`;
  }
  const command = planCommand(s, ['--approve', plan.hex], fileBatchId);
  return `${digest}Once a second person has checked the plan, send exactly it with: ${command} (plus the API, source and state options of the real run)\n`;
}
