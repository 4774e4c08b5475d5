/**
 * The rows that need a person, as the run's human summary lists them on stdout: the first 20 rows
 * `invalid`, `failed` or `review` (row, status, reason on one line), then where the rest are.
 * Rows `unresolved` or `pending` need a rerun, not a person: they are only counted.
 */
import type { RowsNeedingAPerson, Summary } from '../results/tally.js';

/** Rows listed on the terminal; the file (and a notification, up to 100) has the rest. */
const LISTED_ON_TERMINAL = 20;

/** Longest reason shown on a terminal line. */
const REASON_CHARS = 120;

function shortened(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function rows(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}

/** Rows a rerun settles (SPEC "Results": unresolved, pending). */
function rerunCount(summary: Summary): number {
  return (summary.byStatus.unresolved?.count ?? 0) + (summary.byStatus.pending?.count ?? 0);
}

/**
 * The lines listing the rows that need a person, ending with "… and N more: see FILE" when there
 * are more than LISTED_ON_TERMINAL; none when no row needs a person. `file` is results.csv or
 * plan.csv as the operator should open it.
 */
export function needsAPersonLines(people: RowsNeedingAPerson, summary: Summary, file: string): string[] {
  if (people.count === 0) {
    return [];
  }
  const lines = [`${rows(people.count)} need${people.count === 1 ? 's' : ''} a person (never sent, or refused):`];
  const listed = people.first.slice(0, LISTED_ON_TERMINAL);
  for (const p of listed) {
    lines.push(`  row ${p.row} ${p.status}: ${shortened(p.errorMessage || '(no reason given)', REASON_CHARS)}`);
  }
  if (people.count > listed.length) {
    lines.push(`  … and ${people.count - listed.length} more: see ${file}`);
  }
  const rerun = rerunCount(summary);
  if (rerun > 0) {
    lines.push(`${rows(rerun)} unresolved or pending need${rerun === 1 ? 's' : ''} a rerun, not a person.`);
  }
  return lines;
}
