/**
 * Property test (fast-check, the well-kept property-testing library for JS): random sequences of
 * what operators do around `payouts run` — run the file, kill -9 a run (and run the same command
 * again at once, or leave it for later), copy the file under a new name and run the copy (with or
 * without --allow-repeat), edit a row (amount or metadata) and run with --resume, run with another
 * --out or another --source, let days pass (the simulator's clock and --now together), delete an
 * output folder, run the same file read another way (`--columns paymentId=metadata.ref`: its
 * paymentIds read as metadata, the rows then identified by content), with or without --resume
 * — never pay anything twice and never report `created` without a transfer
 * (SPEC "Payment identity, state and reruns").
 *
 * Real everything: a simulator in this process over HTTP on 127.0.0.1, the built CLI in child
 * processes, real temp folders. One sequence = one fresh simulator, one fresh state directory
 * (PAYOUTS_HOME, passed to every command of the sequence) and one fresh folder of files and outputs.
 *
 * What is counted at the simulator, after every step:
 * 1. No paymentId is paid twice. Every paymentId row has its own destination (generated unique,
 *    never edited), so the transfers to that destination are the transfers of that paymentId.
 *    One exception: a run with --allow-repeat may pay it again when one of the two payments was
 *    made by a run that read the file another way (the paymentId unread: no identity to protect),
 *    unless that run is of the same batch without --resume (refused: the reading changed).
 * 2. No row without paymentId is paid twice unless --allow-repeat allowed it: per batch at most
 *    one transfer per row content; a second transfer of a batch to the same destination (an
 *    edited paid row) only from a run with --allow-repeat; a transfer repeating another batch's
 *    destination and amount within --repeat-window days (3) only from a run with --allow-repeat.
 *    Each transfer belongs to the run during which it appeared (runs never overlap).
 * 3. Every row a results.csv reports `created` names a transfer at the simulator (transferId) to
 *    that destination for that amount.
 * Sanity: runs that were not killed exit 0, 1 or 2 (no faults are injected and runs never
 * overlap: neither 3 nor 4 has a cause); a run that exits 2 sent nothing; the same command right
 * after a kill finishes (0 or 1); a final rerun of every batch's last command leaves nothing
 * `pending` or `unresolved` (or is refused as "already paid on" an earlier day, when it was).
 *
 * The seed is fixed (in the title); PAYOUTS_PROPERTY_RUNS=n runs more sequences,
 * PAYOUTS_PROPERTY_SEED=s other ones, PAYOUTS_PROPERTY_PATH=p (with the seed fast-check printed)
 * replays a counterexample, PAYOUTS_PROPERTY_VERBOSE=1 prints every sequence's history. The
 * counterexamples found so far are replayed as tests of their own, at the end.
 */
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { accountState, apiIdentity, batchStateDir, journalPath } from '../../src/batch/state-dir.js';
import { SIMULATOR } from '../../src/dwolla/types.js';
import {
  type SimulatorHandle,
  type SimulatorTransfer,
  SPECIAL_IDS,
  startSimulator,
} from '../../src/simulator/index.js';
import { type CliResult, readCsvRows, removeDir, startCli, tempDir } from '../helpers.js';
import { countOutcomes, DEFAULT_SOURCE, SIM_ENV, waitFor } from './helpers.js';

const RUNS = Number(process.env.PAYOUTS_PROPERTY_RUNS ?? 18);
const SEED = Number(process.env.PAYOUTS_PROPERTY_SEED ?? 20_260_412);
const REPLAY_PATH = process.env.PAYOUTS_PROPERTY_PATH;
/** Generating, running and shrinking stop after this long (ms): a failure then shows the smallest sequence found so far. */
const TIME_LIMIT_MS = Number(process.env.PAYOUTS_PROPERTY_TIME_LIMIT_MS ?? 300_000);
const VERBOSE = process.env.PAYOUTS_PROPERTY_VERBOSE === '1';
const MAX_ACTIONS = 6;
const DAY_MS = 86_400_000;
/** The default --repeat-window, in days. */
const REPEAT_WINDOW = 3;
/** The simulator's latency per answer: small, so a kill after a few outcomes still lands mid-run. */
const LATENCY_MS = 15;

/** Sources: the account's verified bank (metadata allowed), any other bank, the account's balance. */
const SOURCES = {
  bank: SPECIAL_IDS.accountBank,
  otherBank: 'feedbeef-0000-4000-8000-00000000b0b2',
  balance: DEFAULT_SOURCE,
} as const;
type SourceName = keyof typeof SOURCES;
type OutName = 'main' | 'other';

// ---------------------------------------------------------------------------------------------
// What fast-check generates: the payee file and a sequence of actions.

interface Payee {
  /** Empty: a row identified by its content. */
  paymentId: string;
  destination: string;
  cents: number;
  /** metadata.note; empty: no metadata. */
  note: string;
}

const isSpecial = (id: string) => /^(5bec1a10|feedbeef|b4d1c0de)-/.test(id);

const fileArb: fc.Arbitrary<Payee[]> = fc
  .uniqueArray(
    fc.record({
      hasPaymentId: fc.boolean(),
      // Not shrunk: a shorter UUID reads no better and costs a sequence per step.
      destination: fc.noShrink(fc.uuid({ version: 4 }).filter((id) => !isSpecial(id))),
      cents: fc.integer({ min: 1, max: 500_000 }),
      note: fc.constantFrom('', 'march', 'bonus'),
    }),
    { minLength: 12, maxLength: 20, selector: (p) => p.destination },
  )
  .map((rows) =>
    rows.map((r, i) => ({
      paymentId: r.hasPaymentId ? `INV-${i + 1}` : '',
      destination: r.destination,
      cents: r.cents,
      note: r.note,
    })),
  );

/**
 * Kill the run with SIGKILL once it has journalled `after` more outcomes (null: let it finish);
 * `rerun` the same command `again` at once, or leave the batch incomplete for `later` actions
 * (another run of it, days later maybe, or the final rerun) to finish.
 */
type Kill = { after: number; rerun: 'again' | 'later' } | null;

interface RunAction {
  kind: 'run';
  /** Index into the files made so far (modulo their count). */
  file: number;
  out: OutName;
  source: SourceName;
  allowRepeat: boolean;
  kill: Kill;
}
interface CopyAction {
  kind: 'copy';
  file: number;
  /** Run the copy right away (else it waits, and may be edited first). */
  run: boolean;
  allowRepeat: boolean;
  kill: Kill;
}
interface EditAction {
  kind: 'edit';
  file: number;
  row: number;
  field: 'amount' | 'note';
  /** The new amount is the old one plus 1 + value cents; the new note is `n{value}` (or none). */
  value: number;
  allowRepeat: boolean;
  kill: Kill;
}
interface AdvanceAction {
  kind: 'advance';
  days: number;
}
interface DeleteOutAction {
  kind: 'delete-out';
  out: OutName;
}
/** Run the file as it is, reading its paymentId column as metadata.ref (or back, when the last run did). */
interface RemapAction {
  kind: 'remap';
  file: number;
  resume: boolean;
  allowRepeat: boolean;
  kill: Kill;
}
type Action = RunAction | CopyAction | EditAction | AdvanceAction | DeleteOutAction | RemapAction;

const killArb: fc.Arbitrary<Kill> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  {
    weight: 2,
    arbitrary: fc.record({
      after: fc.integer({ min: 1, max: 6 }),
      rerun: fc.constantFrom('again' as const, 'later' as const),
    }),
  },
);
const fileIndexArb = fc.nat(3);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      file: fileIndexArb,
      out: fc.constantFrom<OutName>('main', 'other'),
      source: fc.constantFrom<SourceName>('bank', 'otherBank', 'balance'),
      allowRepeat: fc.boolean(),
      kill: killArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('copy' as const),
      file: fileIndexArb,
      run: fc.boolean(),
      allowRepeat: fc.boolean(),
      kill: killArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      file: fileIndexArb,
      row: fc.nat(19),
      field: fc.constantFrom<EditAction['field']>('amount', 'note'),
      value: fc.nat(999),
      allowRepeat: fc.boolean(),
      kill: killArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.constantFrom(1, 2, 4) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete-out' as const), out: fc.constantFrom<OutName>('main', 'other') }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('remap' as const),
      file: fileIndexArb,
      resume: fc.boolean(),
      allowRepeat: fc.boolean(),
      kill: killArb,
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// The model: the files, the day, the runs so far and which transfers each one made.

interface FileModel {
  /** File base name = batch id. */
  name: string;
  path: string;
  rows: Payee[];
  /** The command of the batch's last run that was not refused, for the final rerun. */
  last?: { opts: RunOptions; code: number; day: number };
  /** Edited since `last`: the final rerun needs --resume. */
  editedSinceLast: boolean;
}

interface RunOptions {
  out: OutName;
  source: SourceName;
  resume: boolean;
  allowRepeat: boolean;
  /** --columns paymentId=metadata.ref: the paymentIds unread (the rows identified by content). */
  remap: boolean;
}

const PLAIN: RunOptions = { out: 'main', source: 'bank', resume: false, allowRepeat: false, remap: false };

interface RunRecord {
  /** 1-based, as the history names it. */
  n: number;
  batch: string;
  allowRepeat: boolean;
  resume: boolean;
  remap: boolean;
  day: number;
  /** Index in sim.transfers() of the first transfer this run may have made. */
  from: number;
  code: number | null;
  killed: boolean;
}

/** What all sequences did, printed at the end: evidence that the actions reach what matters. */
const stats = { sequences: 0, runs: 0, killsLanded: 0, exits: {} as Record<string, number>, transfers: 0 };

function amountOf(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

function csvOf(rows: readonly Payee[]): string {
  const lines = rows.map((r) => [r.paymentId, r.destination, amountOf(r.cents), r.note].join(','));
  return `paymentId,destination,amount,metadata.note\n${lines.join('\n')}\n`;
}

function idOf(href: string | undefined): string {
  return (href?.split('/').pop() ?? '').toLowerCase();
}

function describeAction(a: Action): string {
  const kill =
    'kill' in a && a.kill !== null
      ? `, kill -9 after ${a.kill.after} outcomes${a.kill.rerun === 'again' ? ' and run again' : ' (left incomplete)'}`
      : '';
  const repeat = 'allowRepeat' in a && a.allowRepeat ? ' --allow-repeat' : '';
  switch (a.kind) {
    case 'run':
      return `run file#${a.file} --out ${a.out} --source ${a.source}${repeat}${kill}`;
    case 'copy':
      return `copy file#${a.file}${a.run ? ` and run the copy${repeat}${kill}` : ''}`;
    case 'edit':
      return `edit file#${a.file} row#${a.row} ${a.field}(${a.value}), run --resume${repeat}${kill}`;
    case 'advance':
      return `advance ${a.days} day(s)`;
    case 'delete-out':
      return `delete the ${a.out} output folder`;
    case 'remap':
      return `run file#${a.file} read another way${a.resume ? ' --resume' : ''}${repeat}${kill}`;
  }
}

/** One sequence: its simulator, folders, files and history. */
class Sequence {
  readonly files: FileModel[] = [];
  readonly runs: RunRecord[] = [];
  readonly history: string[] = [];
  /** paymentId of each paymentId row's destination. */
  readonly paymentIdOf = new Map<string, string>();
  day = 0;
  private copies = 0;

  constructor(
    readonly sim: SimulatorHandle,
    readonly dir: string,
    readonly home: string,
    readonly start: Date,
  ) {}

  static async create(rows: Payee[]): Promise<Sequence> {
    const dir = await tempDir('payouts-prop-');
    const home = join(dir, 'home');
    const start = new Date();
    const sim = await startSimulator({ port: 0, startTime: start, latencyMs: LATENCY_MS });
    const seq = new Sequence(sim, dir, home, start);
    for (const r of rows) {
      if (r.paymentId !== '') {
        seq.paymentIdOf.set(r.destination, r.paymentId);
      }
    }
    await seq.addFile('payroll', rows);
    return seq;
  }

  async close(): Promise<void> {
    await this.sim.close();
    await removeDir(this.dir);
  }

  outDir(out: OutName): string {
    return join(this.dir, out === 'main' ? 'out' : 'out-other');
  }

  private async addFile(name: string, rows: Payee[]): Promise<FileModel> {
    const f: FileModel = { name, path: join(this.dir, `${name}.csv`), rows, editedSinceLast: false };
    await writeFile(f.path, csvOf(rows));
    this.files.push(f);
    return f;
  }

  fileAt(i: number): FileModel {
    return this.files[i % this.files.length]!;
  }

  async copy(from: FileModel): Promise<FileModel> {
    this.copies++;
    const name = `copy${this.copies}`;
    const f: FileModel = { name, path: join(this.dir, `${name}.csv`), rows: [...from.rows], editedSinceLast: false };
    await copyFile(from.path, f.path);
    this.files.push(f);
    return f;
  }

  async edit(f: FileModel, a: EditAction): Promise<void> {
    const i = a.row % f.rows.length;
    const old = f.rows[i]!;
    const note = a.value % 4 === 0 ? '' : `n${a.value}`;
    const edited =
      a.field === 'amount'
        ? { ...old, cents: old.cents + 1 + a.value }
        : { ...old, note: note === old.note ? `${note}x` : note };
    f.rows = f.rows.map((r, j) => (j === i ? edited : r));
    f.editedSinceLast = true;
    await writeFile(f.path, csvOf(f.rows));
  }

  advance(days: number): void {
    this.sim.advanceClock(days * DAY_MS);
    this.day += days;
  }

  env(): NodeJS.ProcessEnv {
    return { ...SIM_ENV, PAYOUTS_HOME: this.home };
  }

  args(f: FileModel, o: RunOptions): string[] {
    return [
      'run',
      f.path,
      '--api-url',
      this.sim.url,
      '--source',
      SOURCES[o.source],
      '--out',
      this.outDir(o.out),
      '--log-level',
      'warn',
      '--concurrency',
      '2',
      '--now',
      new Date(this.start.getTime() + this.day * DAY_MS).toISOString(),
      ...(o.resume ? ['--resume'] : []),
      ...(o.allowRepeat ? ['--allow-repeat'] : []),
      ...(o.remap ? ['--columns', 'paymentId=metadata.ref'] : []),
    ];
  }

  journalOf(batchId: string): string {
    const account = accountState(
      this.home,
      apiIdentity({ env: 'simulator', apiUrl: this.sim.url }),
      SIMULATOR.accountId,
    );
    return journalPath(batchStateDir(account, batchId));
  }

  fail(what: string): never {
    expect.fail(`${what}\n  history:\n    ${this.history.join('\n    ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running the CLI.

/** Starts the command; with a kill, SIGKILLs it once `kill.after` more outcomes are journalled (or it ends first). */
async function runOnce(
  seq: Sequence,
  f: FileModel,
  o: RunOptions,
  kill: Kill,
): Promise<{ result: CliResult; killed: boolean }> {
  if (kill === null) {
    return { result: await startCli(seq.args(f, o), { env: seq.env() }).done, killed: false };
  }
  const journal = seq.journalOf(f.name);
  const before = await countOutcomes(journal);
  const cli = startCli(seq.args(f, o), { env: seq.env() });
  let exited = false;
  void cli.done.then(() => (exited = true));
  await waitFor(
    `${kill.after} outcomes of ${f.name}`,
    async () => exited || (await countOutcomes(journal)) - before >= kill.after,
    60_000,
  );
  const sent = !exited && cli.child.kill('SIGKILL');
  const result = await cli.done;
  // A POST the killed process had in flight may still be answered: let it land in this run.
  await new Promise((r) => setTimeout(r, 100));
  return { result, killed: sent && result.signal === 'SIGKILL' };
}

/** Runs the command (killed, and run again, when `kill` says so), records it, and checks what it did. */
async function run(seq: Sequence, f: FileModel, o: RunOptions, kill: Kill): Promise<void> {
  const record: RunRecord = {
    n: seq.runs.length + 1,
    batch: f.name,
    allowRepeat: o.allowRepeat,
    resume: o.resume,
    remap: o.remap,
    day: seq.day,
    from: seq.sim.transfers().length,
    code: null,
    killed: false,
  };
  seq.runs.push(record);
  const { result, killed } = await runOnce(seq, f, o, kill);
  record.code = result.code;
  record.killed = killed;
  stats.runs++;
  stats.killsLanded += killed ? 1 : 0;
  const exit = killed ? 'killed' : String(result.code);
  stats.exits[exit] = (stats.exits[exit] ?? 0) + 1;
  const made = seq.sim.transfers().length - record.from;
  const flags = `--out ${o.out} --source ${o.source}${o.resume ? ' --resume' : ''}${o.allowRepeat ? ' --allow-repeat' : ''}${o.remap ? ' --columns paymentId=metadata.ref' : ''}`;
  seq.history.push(
    `  run #${record.n} day ${seq.day} ${f.name}.csv ${flags}: ${killed ? 'killed' : `exit ${result.code}`}, ${made} transfer(s)${killed ? '' : `; ${lastLine(result)}`}`,
  );
  if (killed && kill?.rerun === 'again') {
    await run(seq, f, o, null);
    const again = seq.runs.at(-1)!;
    if (again.code !== 0 && again.code !== 1) {
      seq.fail(`the same command after a kill did not finish: exit ${again.code}`);
    }
    return;
  }
  if (killed) {
    // Incomplete: its last command (the final rerun's) is this one.
    f.last = { opts: o, code: 3, day: seq.day };
    f.editedSinceLast = false;
    return checkTransfers(seq);
  }
  checkExit(seq, result, made);
  if (result.code !== 2) {
    f.last = { opts: o, code: result.code!, day: seq.day };
    f.editedSinceLast = false;
    await checkResults(seq, join(seq.outDir(o.out), f.name, 'results.csv'));
  }
  checkTransfers(seq);
}

/** The run's own one-line account: the refusal of a run that exits 2, else the "Batch …" line of its summary. */
function lastLine(r: CliResult): string {
  const lines = r.code === 2 ? r.stderr.trim().split('\n') : r.stdout.split('\n').filter((l) => l.startsWith('Batch '));
  const text = lines.at(-1) ?? '';
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

function checkExit(seq: Sequence, r: CliResult, made: number): void {
  if (r.code === null || ![0, 1, 2].includes(r.code)) {
    seq.fail(
      `exit ${r.code} (signal ${r.signal}) from a run that was not killed, with no faults:\n${r.stderr.slice(-2000)}`,
    );
  }
  if (r.code === 2 && made > 0) {
    seq.fail(`a run that exited 2 (nothing sent) made ${made} transfer(s)`);
  }
}

// ---------------------------------------------------------------------------------------------
// The invariants.

interface Paid {
  t: SimulatorTransfer;
  index: number;
  run: RunRecord;
  destination: string;
  cents: number;
  note: string;
}

function paidList(seq: Sequence): Paid[] {
  return seq.sim.transfers().map((t, index) => {
    const run = [...seq.runs].reverse().find((r) => r.from <= index);
    if (!run) {
      seq.fail(`transfer ${t.id} appeared before any run`);
    }
    return {
      t,
      index,
      run,
      destination: idOf(t._links['destination-funding-source']?.href),
      cents: Math.round(Number(t.amount.value) * 100),
      note: t.metadata?.note ?? '',
    };
  });
}

function describePaid(p: Paid): string {
  return `transfer ${p.t.id} ${p.t.amount.value} to ${p.destination}${p.note ? ` (note ${p.note})` : ''} by run #${p.run.n} (batch ${p.run.batch}, day ${p.run.day}${p.run.allowRepeat ? ', --allow-repeat' : ''})`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  }
  return groups;
}

/** Invariants 1 and 2, over every transfer at the simulator. */
function checkTransfers(seq: Sequence): void {
  const paid = paidList(seq);
  const byPaymentId = groupBy(
    paid.filter((p) => seq.paymentIdOf.has(p.destination)),
    (p) => seq.paymentIdOf.get(p.destination)!,
  );
  for (const [paymentId, ps] of byPaymentId) {
    const again = ps.slice(1).find((p) => !repaidAnotherWay(ps[0]!.run, p.run));
    if (again) {
      seq.fail(
        `invariant 1: paymentId ${paymentId} paid ${ps.length} times:\n    ${ps.map(describePaid).join('\n    ')}`,
      );
    }
  }
  const content = paid.filter((p) => !seq.paymentIdOf.has(p.destination));
  for (const [, ps] of groupBy(content, (p) => `${p.run.batch} ${p.destination} ${p.cents} ${p.note}`)) {
    if (ps.length > 1) {
      seq.fail(
        `invariant 2: one row of batch ${ps[0]!.run.batch} paid ${ps.length} times:\n    ${ps.map(describePaid).join('\n    ')}`,
      );
    }
  }
  for (const [, ps] of groupBy(content, (p) => `${p.run.batch} ${p.destination}`)) {
    const unallowed = ps.slice(1).find((p) => !p.run.allowRepeat);
    if (unallowed) {
      seq.fail(
        `invariant 2: batch ${unallowed.run.batch} paid an edited row again without --allow-repeat:\n    ${describePaid(ps[0]!)}\n    ${describePaid(unallowed)}`,
      );
    }
  }
  checkRepeatsAcrossBatches(seq, content);
}

/**
 * Invariant 1's exception: `later` had --allow-repeat and one of the two runs read the paymentIds
 * as metadata, so the two payments share no paymentId; within one batch, only on --resume (a run
 * of a batch read another way without it is refused before it sends).
 */
function repaidAnotherWay(first: RunRecord, later: RunRecord): boolean {
  if (!later.allowRepeat || !(first.remap || later.remap)) {
    return false;
  }
  // Both read as content: another batch may repeat it with --allow-repeat; the same batch never.
  const sameBatch = first.batch === later.batch;
  return first.remap && later.remap ? !sameBatch : !sameBatch || later.resume;
}

/**
 * Invariant 2 across batches: the same destination and amount within the window only with
 * --allow-repeat. One exception: when the later payment's batch had a run killed before the
 * earlier payment's run, and that run had --allow-repeat, the later row may have been sent
 * (journalled as an intent) first: its rerun only settles it, and the repeat was the other's.
 */
function checkRepeatsAcrossBatches(seq: Sequence, content: readonly Paid[]): void {
  const intendedBefore = (batch: string, run: RunRecord) =>
    seq.runs.some((r) => r.batch === batch && r.killed && r.n < run.n);
  for (const p of content) {
    if (p.run.allowRepeat) {
      continue;
    }
    const earlier = content.find(
      (q) =>
        q.index < p.index &&
        q.run.batch !== p.run.batch &&
        q.destination === p.destination &&
        q.cents === p.cents &&
        p.run.day - q.run.day <= REPEAT_WINDOW &&
        !(q.run.allowRepeat && intendedBefore(p.run.batch, q.run)),
    );
    if (earlier) {
      seq.fail(
        `invariant 2: another batch's payment repeated within ${REPEAT_WINDOW} days without --allow-repeat:\n    ${describePaid(earlier)}\n    ${describePaid(p)}`,
      );
    }
  }
}

/** Invariant 3: every `created` row of a results.csv names a transfer with its destination and amount. */
async function checkResults(seq: Sequence, path: string): Promise<void> {
  const byId = new Map(seq.sim.transfers().map((t) => [t.id, t]));
  for (const row of await readCsvRows(path)) {
    if (row.status !== 'created') {
      continue;
    }
    const t = byId.get(row.transferId ?? '');
    const what = `${path.slice(seq.dir.length + 1)} row ${row.row} (${row.paymentId || 'no paymentId'}, ${row.amount} to ${row.destination})`;
    if (!t) {
      seq.fail(`invariant 3: ${what} is created with transfer ${row.transferId}, which the simulator does not have`);
    }
    const destination = idOf(t._links['destination-funding-source']?.href);
    if (destination !== idOf(row.destination) || t.amount.value !== row.amount) {
      seq.fail(`invariant 3: ${what} is created, but transfer ${t.id} paid ${t.amount.value} to ${destination}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One sequence, end to end.

async function act(seq: Sequence, a: Action): Promise<void> {
  seq.history.push(describeAction(a));
  switch (a.kind) {
    case 'run':
      return run(
        seq,
        seq.fileAt(a.file),
        { ...PLAIN, out: a.out, source: a.source, allowRepeat: a.allowRepeat },
        a.kill,
      );
    case 'copy': {
      const f = await seq.copy(seq.fileAt(a.file));
      seq.history[seq.history.length - 1] += ` → ${f.name}.csv`;
      return a.run ? run(seq, f, { ...PLAIN, allowRepeat: a.allowRepeat }, a.kill) : undefined;
    }
    case 'edit': {
      const f = seq.fileAt(a.file);
      await seq.edit(f, a);
      return run(seq, f, { ...PLAIN, resume: true, allowRepeat: a.allowRepeat }, a.kill);
    }
    case 'advance':
      return seq.advance(a.days);
    case 'delete-out':
      return rm(seq.outDir(a.out), { recursive: true, force: true });
    case 'remap': {
      const f = seq.fileAt(a.file);
      const remap = !(f.last?.opts.remap ?? false);
      return run(seq, f, { ...PLAIN, resume: a.resume, allowRepeat: a.allowRepeat, remap }, a.kill);
    }
  }
}

/** The same command once more for every batch: it finishes, and nothing is left pending or unresolved. */
async function finalReruns(seq: Sequence): Promise<void> {
  seq.history.push('final plain reruns:');
  for (const f of seq.files) {
    if (f.last) {
      await finalRerun(seq, f, f.last);
    }
  }
  for (const out of ['main', 'other'] as const) {
    for (const f of seq.files) {
      await checkResults(seq, join(seq.outDir(out), f.name, 'results.csv')).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') {
          throw err;
        }
      });
    }
  }
}

async function finalRerun(seq: Sequence, f: FileModel, last: NonNullable<FileModel['last']>): Promise<void> {
  const o = { ...last.opts, resume: last.opts.resume || f.editedSinceLast };
  await run(seq, f, o, null);
  if (seq.runs.at(-1)!.code === 2) {
    // Refused only as "already paid on an earlier day": the batch was settled then.
    const alreadyPaid = /already paid on/.test(seq.history.at(-1) ?? '');
    if (!(alreadyPaid && last.code <= 1 && last.day < seq.day)) {
      seq.fail(`the final rerun of ${f.name} was refused (exit 2) although the batch was not settled`);
    }
    return;
  }
  const rows = await readCsvRows(join(seq.outDir(o.out), f.name, 'results.csv'));
  const open = rows.filter((r) => r.status === 'pending' || r.status === 'unresolved');
  if (open.length > 0) {
    seq.fail(`after the final rerun of ${f.name}, rows ${open.map((r) => `${r.row} ${r.status}`).join(', ')}`);
  }
}

async function sequence(rows: Payee[], actions: Action[]): Promise<void> {
  const seq = await Sequence.create(rows);
  try {
    for (const a of actions) {
      await act(seq, a);
    }
    await finalReruns(seq);
    checkTransfers(seq);
    stats.sequences++;
    stats.transfers += seq.sim.transfers().length;
    if (VERBOSE) {
      process.stdout.write(
        `      ${rows.length} rows, ${seq.sim.transfers().length} transfers:\n        ${seq.history.join('\n        ')}\n`,
      );
    }
  } finally {
    await seq.close();
  }
}

/** `n` rows without paymentId, 10.00 each, to fixed destinations: the file of the replayed counterexamples. */
function contentRows(n: number): Payee[] {
  return Array.from({ length: n }, (_, i) => ({
    paymentId: '',
    destination: `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    cents: 1000,
    note: '',
  }));
}

/** `n` rows with paymentIds INV-1…, 10.00 each, to fixed destinations. */
function paymentIdRows(n: number): Payee[] {
  return contentRows(n).map((r, i) => ({ ...r, paymentId: `INV-${i + 1}` }));
}

describe('operator actions, in any order, never pay twice (property, built CLI, simulator)', function () {
  this.timeout(TIME_LIMIT_MS + 120_000);

  it(`holds for ${RUNS} random sequences of up to ${MAX_ACTIONS} actions (seed ${SEED})`, async () => {
    process.stdout.write(`      fast-check seed ${SEED}, ${RUNS} runs${REPLAY_PATH ? `, path ${REPLAY_PATH}` : ''}\n`);
    await fc.assert(
      fc.asyncProperty(fileArb, fc.array(actionArb, { minLength: 1, maxLength: MAX_ACTIONS }), sequence),
      {
        numRuns: RUNS,
        seed: SEED,
        ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: true,
      },
    );
    process.stdout.write(`      ${JSON.stringify(stats)}\n`);
  });

  describe('counterexamples found, replayed', () => {
    // Found in review: the batch kept the file's digest only, so the same bytes first run with
    // --columns paymentId=metadata.ref (rows identified by content) and then run plainly were
    // "the same file": every row became a paymentId row with a new key, which neither the
    // ledger nor the lookup by correlationId knew, and the run paid all 12 again. Now the
    // changed reading is refused like a changed file, and on --resume the paymentId rows are
    // held as edits of paid rows (check 4, for paymentId rows too).
    it('the same file read another way (--columns) pays nothing twice, with or without --resume', async () => {
      const remap = (resume: boolean): Action => ({ kind: 'remap', file: 0, resume, allowRepeat: false, kill: null });
      await sequence(paymentIdRows(12), [
        remap(false),
        { kind: 'run', file: 0, out: 'main', source: 'bank', allowRepeat: false, kill: null },
        remap(true),
        remap(true),
      ]);
    });

    // Found with PAYOUTS_PROPERTY_SEED=1 (shrunk: edit+--resume, edit+--resume, run). The second
    // --resume holds the edited row for review ("looks like an edit of a paid row"), but the next
    // run without --resume (the file is unchanged since, so it is not refused) skips check 4 and
    // pays the edited row: 10.00 and then 10.01 to the same payee, never with --allow-repeat.
    it('a content row held on --resume as an edit of a paid row is not paid by the next run without --resume', async () => {
      await sequence(contentRows(12), [
        { kind: 'run', file: 0, out: 'main', source: 'bank', allowRepeat: false, kill: null },
        { kind: 'edit', file: 0, row: 0, field: 'amount', value: 0, allowRepeat: false, kill: null },
        { kind: 'run', file: 0, out: 'main', source: 'bank', allowRepeat: false, kill: null },
      ]);
    });

    // With --now 4 days ahead, payroll.csv pays 12 rows; copy1.csv (payroll.csv with one amount
    // edited: not the same file, so not refused) then pays the 11 identical rows again minutes
    // later. Check 3 compares --now minus the window with when the ledger says the earlier
    // payments were made, which is the wall clock, 4 days before --now: outside the window.
    it('days later (--now), a copy edited and run right after the original does not repeat its payments', async () => {
      await sequence(contentRows(12), [
        { kind: 'advance', days: 4 },
        { kind: 'copy', file: 0, run: false, allowRepeat: false, kill: null },
        { kind: 'run', file: 0, out: 'main', source: 'bank', allowRepeat: false, kill: null },
        { kind: 'edit', file: 1, row: 0, field: 'amount', value: 0, allowRepeat: false, kill: null },
      ]);
    });

    // Found with PAYOUTS_PROPERTY_SEED=22 (shrunk). The killed run leaves rows with an intent and
    // a transfer at the simulator but no outcome; a day later (Dwolla has forgotten the keys) the
    // rerun with another --source looks those rows up among the transfers of the NEW source's
    // owner (submit.ts lookUp takes the row's source now, not the intent's), finds nothing, and
    // POSTs them again: the same payee paid twice. Same source both times: paid once.
    it('a run killed mid-flight and rerun a day later with another --source pays nothing twice', async () => {
      await sequence(contentRows(12), [
        {
          kind: 'run',
          file: 0,
          out: 'main',
          source: 'otherBank',
          allowRepeat: false,
          kill: { after: 1, rerun: 'later' },
        },
        { kind: 'advance', days: 1 },
        { kind: 'run', file: 0, out: 'main', source: 'bank', allowRepeat: false, kill: null },
      ]);
    });
  });
});
