/**
 * How journal records are written on a line, and read back. One JSON object a line, in one of
 * two formats; a journal may hold both, and both are always read.
 *
 * Legacy (every journal before this version; `Journal.open(path, { format: 'legacy' })`): the
 * record as it is, `{"type":"intent","at":"2025-03-04T15:00:00.000Z","key":…}`. Run records are
 * always written so: there is one a run.
 *
 * Compact (new records): the first field names the record and holds its key, so a line is still
 * found by grepping its key: `i` an intent, `c`/`f`/`u` an outcome created/failed/unresolved, `x`
 * a reconcile record. Then short fields, and no value written twice:
 * - time: `a` = milliseconds after the `at` of the run record its writer appended (the line's
 *   segment: the run record before it in the file); `at` = absolute, epoch milliseconds, or the
 *   text itself when it is not an instant `toISOString` gives back.
 * - intent: `r` row, `d` destination, `m` amountCents, `s` source (omitted in a record with `a`
 *   when it is the segment's default source: the source of the segment's first such intent, which
 *   always names it), `ci` correlationId (omitted when it is the key), `cl` the clearing.
 * - outcome: without `r`, it borrows from the key's intent before it in the file: its row, and its
 *   clearing unless it has clearing of its own. `n` attempts (default 1), `id` transferId, `url`
 *   transferUrl (omitted in a record with `a` when it is `{apiBase}/transfers/{id}` with the
 *   segment's run's `apiBase`), `h` httpStatus (default 201 when created), `e`/`em` errorCode and
 *   errorMessage, `v` via (default `post` when created). `null` says "absent" where a default
 *   would otherwise apply.
 * - reconcile: `st` transferStatus; its other fields as they are.
 * - clearing `cl`: 0 standard; [cutoff, fundsAvailable − cutoff] same-day, in minutes since the
 *   epoch, written back in Central Time as the results show them; null none. Anything else keeps
 *   the long fields (`clearing`, `sameDayCutoff`, `fundsAvailableBy`).
 * Any other field is written under its own name. A record that does not fit (an odd type, a field
 * named like a short one) is written in the legacy format: nothing is ever lost by encoding.
 */
import { formatCentral } from '../plan/calendar.js';
import type { ClearingColumns } from '../plan/clearing.js';
import type { IntentRecord, JournalRecord, OutcomeRecord, ReconcileRecord, RunRecord } from './journal-records.js';

export type RecordKind = JournalRecord['type'];
type Fields = Record<string, unknown>;
type OutcomeStatus = OutcomeRecord['status'];

/** A line, parsed and checked on its own (what it means may also depend on the lines before it). */
export interface ParsedLine {
  kind: RecordKind;
  fields: Fields;
  /** The key; '' for a run record. */
  key: string;
  compact: boolean;
  /** An outcome's status. */
  status?: OutcomeStatus;
  /** A compact record timed relative to its segment's run (`a`): the segment's defaults apply. */
  based: boolean;
  /** A compact outcome that borrows its row (and clearing) from the key's intent before it. */
  borrows: boolean;
}

/** The part of a journal from a run record (or the start) up to the next run record. */
export interface Segment {
  /** Byte offset of its run record (0 for the part before any). */
  readonly offset: number;
  /** Epoch milliseconds of its run record's `at`: what `a` counts from. */
  readonly baseMs: number | undefined;
  readonly apiBase: string | undefined;
  /** The source of its first compact intent with `a`. */
  defaultSource: string | undefined;
}

export function firstSegment(): Segment {
  return { offset: 0, baseMs: undefined, apiBase: undefined, defaultSource: undefined };
}

export function segmentOf(run: RunRecord, offset: number): Segment {
  return { offset, baseMs: isoMs(run.at), apiBase: run.apiBase, defaultSource: undefined };
}

const KIND_OF_FIRST: Record<string, readonly [RecordKind, OutcomeStatus?]> = {
  i: ['intent'],
  c: ['outcome', 'created'],
  f: ['outcome', 'failed'],
  u: ['outcome', 'unresolved'],
  x: ['reconcile'],
};
const FIRST_OF_STATUS: Record<string, string> = { created: 'c', failed: 'f', unresolved: 'u' };

/**
 * What each field may hold, by type: s string, n number, z null, a array, o object, u absent. Compact lines are checked with the short names, records to encode with the long ones.
 */
type Spec = Readonly<Record<string, string>>;
const TIME_SPEC: Spec = { a: 'nu', at: 'nsu' };
const COMPACT_SPEC: Readonly<Record<RecordKind, Spec>> = {
  run: {},
  intent: { r: 'n', d: 's', m: 'n', s: 'su', ci: 'su', cl: 'nau' },
  outcome: { r: 'nu', n: 'nzu', id: 'su', url: 'szu', h: 'nzu', e: 'su', em: 'su', v: 'szu', cl: 'nazu' },
  reconcile: { st: 's' },
};
const CLEARING_SPEC: Spec = { clearing: 'su', sameDayCutoff: 'su', fundsAvailableBy: 'su' };
const LOGICAL_SPEC: Readonly<Record<RecordKind, Spec>> = {
  run: {},
  intent: {
    key: 's',
    at: 's',
    row: 'n',
    correlationId: 's',
    destination: 's',
    amountCents: 'n',
    source: 's',
    ...CLEARING_SPEC,
  },
  outcome: {
    key: 's',
    at: 's',
    row: 'n',
    status: 's',
    attempts: 'nu',
    transferUrl: 'su',
    transferId: 'su',
    httpStatus: 'nu',
    errorCode: 'su',
    errorMessage: 'su',
    via: 'su',
    ...CLEARING_SPEC,
  },
  reconcile: { key: 's', at: 's', transferStatus: 's' },
};
/** The short names of each compact kind: a record with another field so named is written legacy. */
const SHORT: Readonly<Record<RecordKind, ReadonlySet<string>>> = {
  run: new Set(),
  intent: new Set(['i', 'a', 'at', 'r', 'd', 'm', 's', 'ci', 'cl']),
  outcome: new Set(['c', 'f', 'u', 'a', 'at', 'r', 'n', 'id', 'url', 'h', 'e', 'em', 'v', 'cl']),
  reconcile: new Set(['x', 'a', 'at', 'st']),
};
/** The logical fields each compact kind encodes itself; the others are copied as they are. */
const KNOWN: Readonly<Record<RecordKind, ReadonlySet<string>>> = {
  run: new Set(),
  intent: new Set(['type', ...Object.keys(LOGICAL_SPEC.intent)]),
  outcome: new Set(['type', ...Object.keys(LOGICAL_SPEC.outcome)]),
  reconcile: new Set(['type', ...Object.keys(LOGICAL_SPEC.reconcile)]),
};
const CLEARING_FIELDS = ['clearing', 'sameDayCutoff', 'fundsAvailableBy'] as const;
const RECORD_TYPES = new Set(['run', 'intent', 'outcome', 'reconcile']);
/** A field name JSON puts first whatever its place (an array index): it would hide the kind. */
const INDEX_NAME = /^(0|[1-9]\d*)$/;

const TYPE_BITS: Readonly<Record<string, number>> = { s: 1, n: 2, z: 4, a: 8, o: 16, u: 32 };

/** The bit in `TYPE_BITS` of a value's type. */
function typeBit(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return 1;
    case 'number':
      return 2;
    case 'undefined':
      return 32;
    case 'object':
      return v === null ? 4 : Array.isArray(v) ? 8 : 16;
    default:
      return 0;
  }
}

/** A spec as field names and masks of the types each may hold. */
type Checks = ReadonlyArray<readonly [string, number]>;
const checksCache = new Map<Spec, Checks>();

function checksOf(spec: Spec): Checks {
  let checks = checksCache.get(spec);
  if (checks === undefined) {
    checks = Object.entries(spec).map(([name, codes]) => {
      const mask = [...codes].reduce((m, code) => m | (TYPE_BITS[code] ?? 0), 0);
      return [name, mask] as const;
    });
    checksCache.set(spec, checks);
  }
  return checks;
}

/** The first field that does not fit `spec`, described; undefined when all do. */
function misfit(fields: Fields, spec: Spec): string | undefined {
  const checks = checksOf(spec);
  for (let k = 0; k < checks.length; k++) {
    const [name, mask] = checks[k]!;
    const value = fields[name];
    if ((typeBit(value) & mask) === 0) {
      return value === undefined ? `no "${name}"` : `"${name}" is ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/** The line as a record, or why it is not one. Context-free: see `contextProblem` for the rest. */
export function parseLine(line: string): ParsedLine | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const fields = value as Fields;
  return 'type' in fields ? parseLegacy(fields) : parseCompact(fields);
}

function parseLegacy(fields: Fields): ParsedLine | string {
  const kind = fields.type;
  if (typeof kind !== 'string' || !RECORD_TYPES.has(kind)) {
    return `unknown record type ${JSON.stringify(kind)}`;
  }
  if (typeof fields.at !== 'string') {
    return `${kind} record without "at"`;
  }
  if (kind === 'run') {
    return typeof fields.inputDigest === 'string'
      ? { kind, fields, key: '', compact: false, based: false, borrows: false }
      : 'run record without "inputDigest"';
  }
  if (typeof fields.key !== 'string') {
    return `${kind} record without "key"`;
  }
  const status = kind === 'outcome' ? (fields.status as OutcomeStatus) : undefined;
  return { kind: kind as RecordKind, fields, key: fields.key, compact: false, status, based: false, borrows: false };
}

function parseCompact(fields: Fields): ParsedLine | string {
  let first = '';
  for (const name in fields) {
    first = name;
    break;
  }
  const known = KIND_OF_FIRST[first];
  if (known === undefined) {
    return `unknown record type (first field ${JSON.stringify(first)})`;
  }
  const [kind, status] = known;
  const key = fields[first];
  if (typeof key !== 'string') {
    return `${kind} record without its key`;
  }
  const problem = timeProblem(fields) ?? misfit(fields, COMPACT_SPEC[kind]) ?? clearingProblem(fields.cl);
  if (problem !== undefined) {
    return `${kind} record of key ${key}: ${problem}`;
  }
  const borrows = kind === 'outcome' && fields.r === undefined;
  return { kind, fields, key, compact: true, status, based: fields.a !== undefined, borrows };
}

function timeProblem(fields: Fields): string | undefined {
  const wrong = misfit(fields, TIME_SPEC);
  if (wrong !== undefined) {
    return wrong;
  }
  return (fields.a === undefined) === (fields.at === undefined) ? 'not exactly one of "a" and "at"' : undefined;
}

function clearingProblem(cl: unknown): string | undefined {
  if (cl === undefined || cl === null || cl === 0) {
    return undefined;
  }
  const ok = Array.isArray(cl) && cl.length === 2 && cl.every((n) => Number.isSafeInteger(n));
  return ok ? undefined : `"cl" is ${JSON.stringify(cl)}`;
}

/**
 * What is wrong with a parsed line given the lines before it: its segment, and whether its key
 * had an intent. Undefined when nothing is.
 */
export function contextProblem(p: ParsedLine, seg: Segment, keyHadIntent: boolean): string | undefined {
  if (p.based && seg.baseMs === undefined) {
    return `${p.kind} record of key ${p.key} counts its time from a run record the journal lacks`;
  }
  if (p.kind === 'intent' && p.compact && p.fields.s === undefined && (!p.based || seg.defaultSource === undefined)) {
    return `intent record of key ${p.key} without its source`;
  }
  if (p.borrows && !keyHadIntent) {
    return `outcome record of key ${p.key} refers to an intent the journal lacks`;
  }
  return undefined;
}

/** Learns the segment's default source from a line (call after `contextProblem`). */
export function noteSegment(p: ParsedLine, seg: Segment): void {
  if (p.kind === 'intent' && p.based && seg.defaultSource === undefined) {
    seg.defaultSource = p.fields.s as string;
  }
}

/**
 * The record a checked line holds: `seg` is its segment; `borrowed`, for an outcome that borrows,
 * the key's intent before it.
 */
export function decodeLine(p: ParsedLine, seg: Segment, borrowed: IntentRecord | undefined): JournalRecord {
  if (!p.compact) {
    return p.fields as unknown as JournalRecord;
  }
  switch (p.kind) {
    case 'intent':
      return decodeIntent(p, seg);
    case 'outcome':
      return decodeOutcome(p, seg, p.borrows ? borrowed : undefined);
    default:
      return decodeReconcile(p, seg);
  }
}

function decodeTime(fields: Fields, seg: Segment): string {
  const at = fields.at ?? (seg.baseMs ?? Number.NaN) + (fields.a as number);
  return typeof at === 'string' ? at : isoText(at as number);
}

/** The second `isoText` formatted last, and its text up to the milliseconds. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, a second's text kept (records come many a second). */
function isoText(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const text = new Date(ms).toISOString();
    if (text.length !== 24) {
      return text; // a year outside 0000-9999
    }
    isoSecond = second;
    isoPrefix = text.slice(0, 20);
  }
  return `${isoPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
}

/** Copies the fields a compact kind does not name itself (as they are). */
function copyOthers(fields: Fields, kind: RecordKind, into: Fields): void {
  const short = SHORT[kind];
  for (const name in fields) {
    if (!short.has(name)) {
      into[name] = fields[name];
    }
  }
}

function decodeIntent(p: ParsedLine, seg: Segment): IntentRecord {
  const f = p.fields;
  const rec: Fields = {
    type: 'intent',
    at: decodeTime(f, seg),
    key: p.key,
    row: f.r,
    correlationId: f.ci ?? p.key,
    destination: f.d,
    amountCents: f.m,
    source: f.s ?? seg.defaultSource,
    ...unpackClearing(f.cl),
  };
  copyOthers(f, 'intent', rec);
  return rec as unknown as IntentRecord;
}

/** `value`, its default when not written, nothing when written null. */
function setDefaulted(rec: Fields, name: string, value: unknown, dflt: unknown): void {
  const v = value === undefined ? dflt : value;
  if (v !== undefined && v !== null) {
    rec[name] = v;
  }
}

function decodeOutcome(p: ParsedLine, seg: Segment, borrowed: IntentRecord | undefined): OutcomeRecord {
  const f = p.fields;
  const created = p.status === 'created';
  const rec: Fields = {
    type: 'outcome',
    at: decodeTime(f, seg),
    key: p.key,
    row: f.r ?? borrowed?.row,
    status: p.status,
  };
  setDefaulted(rec, 'attempts', f.n, 1);
  const derived = p.based && seg.apiBase !== undefined && f.id !== undefined;
  setDefaulted(rec, 'transferUrl', f.url, derived ? transferUrlOf(seg.apiBase!, f.id as string) : undefined);
  setDefaulted(rec, 'transferId', f.id, undefined);
  setDefaulted(rec, 'httpStatus', f.h, created ? 201 : undefined);
  setDefaulted(rec, 'errorCode', f.e, undefined);
  setDefaulted(rec, 'errorMessage', f.em, undefined);
  const own = f.cl !== undefined || CLEARING_FIELDS.some((name) => f[name] !== undefined);
  Object.assign(rec, own ? unpackClearing(f.cl) : clearingOf(borrowed));
  setDefaulted(rec, 'via', f.v, created ? 'post' : undefined);
  copyOthers(f, 'outcome', rec);
  return rec as unknown as OutcomeRecord;
}

function decodeReconcile(p: ParsedLine, seg: Segment): ReconcileRecord {
  const rec: Fields = { type: 'reconcile', at: decodeTime(p.fields, seg), key: p.key, transferStatus: p.fields.st };
  copyOthers(p.fields, 'reconcile', rec);
  return rec as unknown as ReconcileRecord;
}

/** The URL of a transfer at an API: what `DwollaClient.transferUrl` gives for an id. */
function transferUrlOf(apiBase: string, transferId: string): string {
  return `${apiBase.replace(/\/+$/, '')}/transfers/${transferId}`;
}

/** Epoch milliseconds of an ISO instant that `toISOString` gives back exactly; else undefined. */
function isoMs(at: string): number | undefined {
  const ms = Date.parse(at);
  return Number.isFinite(ms) && new Date(ms).toISOString() === at ? ms : undefined;
}

const MEMO_SIZE = 64;
const minutesOfText = new Map<string, number | null>();
const textOfMinutes = new Map<number, string>();

function memo<K, V>(map: Map<K, V>, key: K, make: (key: K) => V): V {
  if (map.has(key)) {
    return map.get(key)!;
  }
  const value = make(key);
  if (map.size >= MEMO_SIZE) {
    map.clear();
  }
  map.set(key, value);
  return value;
}

/** A Central Time instant as the results show it (`formatCentral`), from minutes since the epoch. */
function centralText(minutes: number): string {
  return memo(textOfMinutes, minutes, (m) => formatCentral(new Date(m * 60_000)));
}

/** Minutes since the epoch of a whole-minute Central Time text that `centralText` gives back. */
function centralMinutes(text: string): number | undefined {
  const minutes = memo(minutesOfText, text, (t) => {
    const ms = Date.parse(t);
    return Number.isFinite(ms) && ms % 60_000 === 0 && centralText(ms / 60_000) === t ? ms / 60_000 : null;
  });
  return minutes ?? undefined;
}

function clearingOf(rec: Partial<ClearingColumns> | undefined): Partial<ClearingColumns> {
  const cols: Fields = {};
  for (const name of CLEARING_FIELDS) {
    if (rec?.[name] !== undefined) {
      cols[name] = rec[name];
    }
  }
  return cols as Partial<ClearingColumns>;
}

function sameClearing(a: Partial<ClearingColumns>, b: Partial<ClearingColumns>): boolean {
  return CLEARING_FIELDS.every((name) => a[name] === b[name]);
}

/** `cl` for clearing columns, or undefined when they need their long fields. */
function packClearing(cols: Partial<ClearingColumns>): 0 | [number, number] | undefined {
  const { clearing, sameDayCutoff, fundsAvailableBy } = cols;
  if (clearing === 'standard' && sameDayCutoff === undefined && fundsAvailableBy === undefined) {
    return 0;
  }
  if (clearing !== 'same-day' || sameDayCutoff === undefined || fundsAvailableBy === undefined) {
    return undefined;
  }
  const cutoff = centralMinutes(sameDayCutoff);
  const funds = centralMinutes(fundsAvailableBy);
  return cutoff === undefined || funds === undefined ? undefined : [cutoff, funds - cutoff];
}

function unpackClearing(cl: unknown): Partial<ClearingColumns> {
  if (cl === 0) {
    return { clearing: 'standard' };
  }
  if (!Array.isArray(cl)) {
    return {};
  }
  const [cutoff, after] = cl as [number, number];
  return { clearing: 'same-day', sameDayCutoff: centralText(cutoff), fundsAvailableBy: centralText(cutoff + after) };
}

/** Writes `cols` into a compact record: `cl`, else the long fields; `null` for none against a borrowed clearing. */
function putClearing(
  into: Fields,
  cols: Partial<ClearingColumns>,
  borrowed: Partial<ClearingColumns> | undefined,
): void {
  if (borrowed !== undefined && sameClearing(cols, borrowed)) {
    return;
  }
  if (cols.clearing === undefined && cols.sameDayCutoff === undefined && cols.fundsAvailableBy === undefined) {
    if (borrowed !== undefined) {
      into.cl = null;
    }
    return;
  }
  const packed = packClearing(cols);
  if (packed === undefined) {
    Object.assign(into, cols);
  } else {
    into.cl = packed;
  }
}

/** `value` unless it is the default; `null` when absent against a default. */
function putDefaulted(into: Fields, name: string, value: unknown, dflt: unknown): void {
  if (value !== dflt) {
    into[name] = value ?? null;
  }
}

/** Copies the fields of `rec` the kind does not encode; false when one is named like a short field. */
function putOthers(rec: object, kind: RecordKind, into: Fields): boolean {
  const known = KNOWN[kind];
  const short = SHORT[kind];
  for (const [name, value] of Object.entries(rec)) {
    if (known.has(name) || value === undefined) {
      continue;
    }
    if (short.has(name) || INDEX_NAME.test(name)) {
      return false;
    }
    into[name] = value;
  }
  return true;
}

/**
 * Encodes records for one writer (`Journal`), which appends them in order and alone (the batch
 * lock). What it has written decides what later lines may leave out: its run record (the time
 * base, the API base), its first intent after it (the default source), and each intent whose
 * outcome is yet to come (what that outcome borrows).
 */
export class LineEncoder {
  private baseMs: number | undefined;
  private apiBase: string | undefined;
  private defaultSource: string | undefined;
  /** Intents written whose outcome is not, by key: at most the rows in flight (and a stop's leftovers). */
  private readonly awaiting = new Map<string, IntentRecord>();

  constructor(private readonly compact: boolean) {}

  /** The line for `rec`, with its newline. */
  encode(rec: JournalRecord): string {
    const line = this.compact ? this.encodeCompact(rec) : undefined;
    return `${line ?? JSON.stringify(rec)}\n`;
  }

  private encodeCompact(rec: JournalRecord): string | undefined {
    if (rec.type === 'run') {
      this.baseMs = isoMs(rec.at);
      this.apiBase = rec.apiBase;
      this.defaultSource = undefined;
      return undefined;
    }
    if (!RECORD_TYPES.has(rec.type) || misfit(rec as unknown as Fields, LOGICAL_SPEC[rec.type]) !== undefined) {
      return undefined;
    }
    const into =
      rec.type === 'intent' ? this.intent(rec) : rec.type === 'outcome' ? this.outcome(rec) : this.reconcile(rec);
    return into !== undefined && putOthers(rec, rec.type, into) ? JSON.stringify(into) : undefined;
  }

  /** The first field (the kind and key), then the time. */
  private head(first: string, rec: { key: string; at: string }): Fields {
    const into: Fields = { [first]: rec.key };
    const ms = isoMs(rec.at);
    if (ms === undefined) {
      into.at = rec.at;
    } else if (this.baseMs === undefined) {
      into.at = ms;
    } else {
      into.a = ms - this.baseMs;
    }
    return into;
  }

  private intent(rec: IntentRecord): Fields {
    const into = this.head('i', rec);
    into.r = rec.row;
    into.d = rec.destination;
    into.m = rec.amountCents;
    // The segment's defaults apply to lines timed from its run only (`a`), on both sides.
    const based = into.a !== undefined;
    if (!based || rec.source !== this.defaultSource) {
      into.s = rec.source;
    }
    if (based) {
      this.defaultSource ??= rec.source;
    }
    if (rec.correlationId !== rec.key) {
      into.ci = rec.correlationId;
    }
    putClearing(into, clearingOf(rec), undefined);
    this.awaiting.set(rec.key, rec);
    return into;
  }

  private outcome(rec: OutcomeRecord): Fields | undefined {
    const first = FIRST_OF_STATUS[rec.status];
    const intent = this.awaiting.get(rec.key);
    this.awaiting.delete(rec.key);
    if (first === undefined) {
      return undefined;
    }
    const into = this.head(first, rec);
    const borrowed = intent?.row === rec.row ? intent : undefined;
    if (borrowed === undefined) {
      into.r = rec.row;
    }
    const created = rec.status === 'created';
    putDefaulted(into, 'n', rec.attempts, 1);
    putDefaulted(into, 'id', rec.transferId, undefined);
    this.putUrl(into, rec);
    putDefaulted(into, 'h', rec.httpStatus, created ? 201 : undefined);
    putDefaulted(into, 'e', rec.errorCode, undefined);
    putDefaulted(into, 'em', rec.errorMessage, undefined);
    putDefaulted(into, 'v', rec.via, created ? 'post' : undefined);
    putClearing(into, clearingOf(rec), borrowed === undefined ? undefined : clearingOf(borrowed));
    return into;
  }

  private putUrl(into: Fields, rec: OutcomeRecord): void {
    const derivable = into.a !== undefined && this.apiBase !== undefined && rec.transferId !== undefined;
    if (!derivable) {
      putDefaulted(into, 'url', rec.transferUrl, undefined);
    } else if (rec.transferUrl !== transferUrlOf(this.apiBase!, rec.transferId!)) {
      into.url = rec.transferUrl ?? null;
    }
  }

  private reconcile(rec: ReconcileRecord): Fields {
    const into = this.head('x', rec);
    into.st = rec.transferStatus;
    return into;
  }
}

/**
 * Reads a journal's lines in order, as records: for tests and tools that look at every line (it
 * keeps each key's last intent, so its memory grows with the keys). Throws on a line that is
 * not a record.
 */
export class JournalDecoder {
  private segment = firstSegment();
  private readonly intents = new Map<string, IntentRecord>();

  decode(line: string): JournalRecord {
    const p = parseLine(line);
    if (typeof p === 'string') {
      throw new Error(p);
    }
    if (p.kind === 'run') {
      this.segment = segmentOf(p.fields as unknown as RunRecord, 0);
      return p.fields as unknown as RunRecord;
    }
    const problem = contextProblem(p, this.segment, this.intents.has(p.key));
    if (problem !== undefined) {
      throw new Error(problem);
    }
    noteSegment(p, this.segment);
    const rec = decodeLine(p, this.segment, this.intents.get(p.key));
    if (rec.type === 'intent') {
      this.intents.set(rec.key, rec);
    }
    return rec;
  }
}
