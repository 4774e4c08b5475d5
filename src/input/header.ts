/**
 * The payee file's header row (SPEC "Input CSV"): which cell is which of the columns the tool
 * reads, matched case-insensitively after trimming, after the `--columns` mapping of the file's
 * own headers; and the usage errors (exit 2) of a header that cannot be used, with hints (the
 * delimiter, the `--columns` line to use).
 *
 * `--columns "Amount (USD)=amount,Funding Source=destination"`: pairs separated by commas, each
 * HEADER=COLUMN split at its last `=`. A header holding a comma, an `=` or a double quote is written
 * in double quotes, its double quotes doubled, as in a CSV cell: `"Amount, USD"=amount`.
 */
import { type Delimiter, delimiterHint } from './delimiter.js';
import { UsageError } from './usage-error.js';

/** Columns the tool understands; matched case-insensitively after trimming. */
const KNOWN_COLUMNS = [
  'destination',
  'destinationEmail',
  'amount',
  'currency',
  'source',
  'paymentId',
  'correlationId',
  'feeAmount',
  'feeChargeTo',
  'sourceAddenda',
  'destinationAddenda',
  'clearing',
] as const;
export type KnownColumn = (typeof KNOWN_COLUMNS)[number];
const METADATA_PREFIX = 'metadata.';
const KNOWN_BY_LOWER = new Map<string, KnownColumn>(KNOWN_COLUMNS.map((c) => [c.toLowerCase(), c]));

export interface CsvHeader {
  /** Header cells as written (trimmed). */
  names: string[];
  /** Column index of each known column present (after the --columns mapping). */
  known: Partial<Record<KnownColumn, number>>;
  /** `metadata.KEY` columns: the KEY as written (or as mapped), and its index. */
  metadata: Array<{ key: string; index: number }>;
  /** Every column the tool does not read (an unnamed one is `columnN`, N from 1). */
  carried: Array<{ name: string; index: number }>;
}

/** One pair of --columns: a header of the file, and the column it is read as. */
export interface ColumnPair {
  header: string;
  /** The column's name as this contract spells it (`amount`, `metadata.KEY`). */
  target: string;
}

export interface HeaderOptions {
  /** The delimiter the header was split with, for the hint of a header that looks split wrongly. */
  delimiter: Delimiter;
  columns?: readonly ColumnPair[];
}

/** Indexes in `text` of `ch` outside double quotes; undefined when a quote is never closed. */
function positionsOutsideQuotes(text: string, ch: string): number[] | undefined {
  const at: number[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      quoted = !quoted;
    } else if (!quoted && text[i] === ch) {
      at.push(i);
    }
  }
  return quoted ? undefined : at;
}

function splitAt(text: string, positions: readonly number[]): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const p of positions) {
    parts.push(text.slice(from, p));
    from = p + 1;
  }
  parts.push(text.slice(from));
  return parts;
}

/** A header of a pair, trimmed; a double-quoted one without its quotes, its doubled quotes single. */
function unquoteHeader(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replaceAll('""', '"').trim() : t;
}

/** A column name of this contract as it spells it (case-insensitive), or undefined. */
function contractColumn(text: string): string | undefined {
  const t = text.trim();
  const known = KNOWN_BY_LOWER.get(t.toLowerCase());
  if (known) {
    return known;
  }
  const key = t.slice(METADATA_PREFIX.length).trim();
  return t.toLowerCase().startsWith(METADATA_PREFIX) && key !== '' ? `${METADATA_PREFIX}${key}` : undefined;
}

function columnsError(message: string): UsageError {
  return new UsageError('USAGE', `--columns: ${message}`);
}

function parsePair(text: string): ColumnPair {
  const equals = positionsOutsideQuotes(text, '=') ?? [];
  const at = equals[equals.length - 1];
  const header = at === undefined ? '' : unquoteHeader(text.slice(0, at));
  const targetText = at === undefined ? '' : text.slice(at + 1).trim();
  if (header === '' || targetText === '') {
    throw columnsError(`'${text.trim()}' is not HEADER=column (e.g. "Amount (USD)=amount")`);
  }
  const target = contractColumn(targetText);
  if (target === undefined) {
    throw columnsError(
      `'${targetText}' (for '${header}') is not a column payouts reads: use one of ${KNOWN_COLUMNS.join(', ')} or metadata.KEY`,
    );
  }
  return { header, target };
}

/** Each target at most once, each header at most once. */
function checkPairs(pairs: readonly ColumnPair[]): void {
  const byTarget = new Map<string, string>();
  const headers = new Set<string>();
  for (const { header, target } of pairs) {
    const earlier = byTarget.get(target.toLowerCase());
    if (earlier !== undefined) {
      throw columnsError(`'${target}' is mapped twice (from '${earlier}' and from '${header}')`);
    }
    if (headers.has(header.toLowerCase())) {
      throw columnsError(`the header '${header}' is mapped twice`);
    }
    byTarget.set(target.toLowerCase(), header);
    headers.add(header.toLowerCase());
  }
}

/** The pairs of `--columns` (see the top of this file); a UsageError names what cannot be used. */
export function parseColumnsOption(text: string): ColumnPair[] {
  const commas = positionsOutsideQuotes(text, ',');
  if (commas === undefined) {
    throw columnsError(`a double quote is never closed in '${text}'`);
  }
  const pairs = splitAt(text, commas)
    .filter((p) => p.trim() !== '')
    .map(parsePair);
  checkPairs(pairs);
  return pairs;
}

function found(names: readonly string[]): string {
  return names.join(', ') || 'nothing';
}

/** ' (hint)' after an error about `names`, when they look split with the wrong delimiter; else ''. */
function withDelimiterHint(names: readonly string[], delimiter: Delimiter): string {
  const hint = delimiterHint(names, delimiter);
  return hint ? `: ${hint}` : '';
}

/**
 * The name each column is read as: its own, or the column --columns maps it to. A pair naming a
 * header the file lacks, or a column the file also has under its own name (not itself mapped), is
 * a usage error.
 */
function mappedNames(names: readonly string[], pairs: readonly ColumnPair[], delimiter: Delimiter): string[] {
  const at = new Map<string, number>();
  for (const [i, n] of names.entries()) {
    if (n !== '') {
      at.set(n.toLowerCase(), i);
    }
  }
  const effective = [...names];
  const mapped = new Set<number>();
  for (const { header, target } of pairs) {
    const i = at.get(header.toLowerCase());
    if (i === undefined) {
      const why = `'${header}' is not a header of the file (found: ${found(names)})`;
      throw new UsageError('INPUT_BAD_HEADER', `--columns: ${why}${withDelimiterHint(names, delimiter)}`, 1);
    }
    effective[i] = target;
    mapped.add(i);
  }
  for (const { header, target } of pairs) {
    const own = at.get(target.toLowerCase());
    if (own !== undefined && !mapped.has(own)) {
      throw new UsageError(
        'INPUT_BAD_HEADER',
        `--columns maps '${header}' to '${target}', but the file has a '${names[own]}' column too: map only one of them`,
        1,
      );
    }
  }
  return effective;
}

function checkNoDuplicates(names: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) {
      throw new UsageError('INPUT_BAD_HEADER', `column '${name}' appears twice in the header (as '${earlier}' too)`, 1);
    }
    if (name !== '') {
      seen.set(name.toLowerCase(), name);
    }
  }
}

/** Sorts the columns by the name each is read as (`effective`); the carried ones keep their own. */
function sortColumns(names: readonly string[], effective: readonly string[]): CsvHeader {
  const header: CsvHeader = { names: [...names], known: {}, metadata: [], carried: [] };
  effective.forEach((name, index) => {
    const lower = name.toLowerCase();
    const column = KNOWN_BY_LOWER.get(lower);
    if (name === '') {
      header.carried.push({ name: `column${index + 1}`, index });
    } else if (column) {
      header.known[column] = index;
    } else if (lower.startsWith(METADATA_PREFIX)) {
      const key = name.slice(METADATA_PREFIX.length).trim();
      if (key === '') {
        throw new UsageError('INPUT_BAD_HEADER', `column '${name}' names no metadata key (write metadata.KEY)`, 1);
      }
      header.metadata.push({ key, index });
    } else {
      header.carried.push({ name: names[index]!, index });
    }
  });
  return header;
}

/** A header as a --columns pair writes it: in double quotes when it holds a comma, `=` or `"`. */
function pairHeader(name: string): string {
  return /[,="]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name;
}

/** An option value as a shell takes it: double quotes, or single quotes when it holds what a shell expands. */
function shellQuoted(value: string): string {
  return /["$`\\!]/.test(value) ? `'${value.replaceAll("'", `'\\''`)}'` : `"${value}"`;
}

/** Carried headers that look like the missing required columns, as --columns pairs. */
function likelyPairs(header: CsvHeader): ColumnPair[] {
  const unread = header.carried.filter((c) => header.names[c.index] !== '').map((c) => c.name);
  const pick = (pattern: RegExp) => unread.find((n) => pattern.test(n));
  const pairs: ColumnPair[] = [];
  const amount = pick(/amount|\bamt\b/i);
  if (header.known.amount === undefined && amount !== undefined) {
    pairs.push({ header: amount, target: 'amount' });
  }
  if (header.known.destination === undefined && header.known.destinationEmail === undefined) {
    const destination = pick(/destination|funding.?source/i);
    const email = pick(/e-?mail/i);
    if (destination !== undefined) {
      pairs.push({ header: destination, target: 'destination' });
    } else if (email !== undefined) {
      pairs.push({ header: email, target: 'destinationEmail' });
    }
  }
  return pairs;
}

/** The hint of a header missing a required column: the delimiter, else the --columns line to use. */
function missingColumnHint(header: CsvHeader, delimiter: Delimiter): string {
  const wrongDelimiter = delimiterHint(header.names, delimiter);
  if (wrongDelimiter) {
    return `: ${wrongDelimiter}`;
  }
  const pairs = likelyPairs(header);
  if (pairs.length === 0) {
    return `; map the file's own headers with --columns "Its Header=amount,Other Header=destination"`;
  }
  const value = pairs.map((p) => `${pairHeader(p.header)}=${p.target}`).join(',');
  return `; to read the file's own headers, try --columns ${shellQuoted(value)}`;
}

/** `amount`, and `destination` or `destinationEmail`. */
function checkRequired(header: CsvHeader, delimiter: Delimiter): void {
  const missing: string[] = [];
  if (header.known.destination === undefined && header.known.destinationEmail === undefined) {
    missing.push("'destination' (or 'destinationEmail')");
  }
  if (header.known.amount === undefined) {
    missing.push("'amount'");
  }
  if (missing.length > 0) {
    throw new UsageError(
      'INPUT_MISSING_COLUMN',
      `the header has no ${missing.join(' and no ')} column (found: ${found(header.names)})${missingColumnHint(header, delimiter)}`,
      1,
    );
  }
}

/** The header row's cells, read (see the top of this file). */
export function readHeader(cells: readonly string[], options: HeaderOptions): CsvHeader {
  const names = cells.map((c) => c.trim());
  checkNoDuplicates(names);
  const header = sortColumns(names, mappedNames(names, options.columns ?? [], options.delimiter));
  checkRequired(header, options.delimiter);
  return header;
}

/**
 * How the file was read, as one line: the delimiter and the header each column the tool reads was
 * taken from (after --columns), e.g. `delimiter ';'; amount: Amount (USD); paymentId: Invoice`.
 * The same bytes read another way can be other payments (a column newly read as paymentId changes
 * every row's identity), so a batch keeps the reading of its runs like the file's digest.
 */
export function readingOf(header: CsvHeader, delimiter: Delimiter): string {
  const columns = Object.entries(header.known).map(([column, index]) => `${column}: ${header.names[index]}`);
  const metadata = header.metadata.map(({ key, index }) => `metadata.${key}: ${header.names[index]}`);
  const shown = delimiter === '\t' ? 'tab' : delimiter;
  return [`delimiter '${shown}'`, ...[...columns, ...metadata].sort()].join('; ');
}
