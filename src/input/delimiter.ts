/**
 * The input's delimiter (SPEC "Input CSV"): a comma, a semicolon (spreadsheets in locales that
 * write a decimal comma, accounting exports) or a tab. Detected from the header line unless
 * `--delimiter` names it.
 */
import { UsageError } from './usage-error.js';

/** In order of preference: a tie goes to the earlier one. */
export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

const NAMES: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };
/** How --delimiter spells each, as a shell would take it. */
const SPELLINGS: Record<Delimiter, string> = { ',': ',', ';': "';'", '\t': 'tab' };

/** `--delimiter`'s value: `,`, `;` or `tab` (also `comma`, `semicolon`, or a tab character itself). */
export function parseDelimiterOption(text: string): Delimiter {
  const word = text === '\t' ? 'tab' : text.trim().toLowerCase();
  const found = DELIMITERS.find((d) => word === d || word === NAMES[d]);
  if (found === undefined) {
    throw new UsageError('USAGE', `--delimiter must be , or ; or tab (got '${text}')`);
  }
  return found;
}

/**
 * How many times each delimiter occurs outside double quotes in the header line: the text up to
 * its first line end outside quotes. A BOM before it is ignored.
 */
function countOutsideQuotes(head: string): Record<Delimiter, number> {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of head) {
    if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && (ch === '\n' || ch === '\r')) {
      break;
    } else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) {
      counts[ch]++;
    }
  }
  return counts;
}

/**
 * The delimiter that splits the header line into the most cells; a comma when none occurs, and
 * on a tie the earlier of comma, semicolon, tab.
 */
export function detectDelimiter(head: string): Delimiter {
  const counts = countOutsideQuotes(head);
  let best: Delimiter = ',';
  for (const d of DELIMITERS) {
    if (counts[d] > counts[best]) {
      best = d;
    }
  }
  return best;
}

/**
 * A hint for a header that lacks the columns it needs: when its cells, split with `used`, still
 * hold another delimiter, the file was probably split with the wrong one. '' when none applies.
 */
export function delimiterHint(names: readonly string[], used: Delimiter): string {
  const count = (d: Delimiter) => names.reduce((n, name) => n + name.split(d).length - 1, 0);
  const other = DELIMITERS.filter((d) => d !== used).sort((a, b) => count(b) - count(a))[0]!;
  if (count(other) === 0) {
    return '';
  }
  return `the header looks ${NAMES[other]}-separated; try --delimiter ${SPELLINGS[other]}`;
}
