/**
 * A big ledger of earlier payments for the dry-run bench, in the state of the API a dry run
 * without --api-url reads: STATE/simulator/<SIMULATOR.accountId>/ledger.db.
 * Usage: node ledger.js STATE OPTIONS_JSON (BigLedgerOptions, `now` as ISO-8601); prints the
 * BigLedger figures as JSON. A child process of its own: a child's peak RSS counts its parent's
 * RSS at fork time, so building here (a 256 MB page cache) would inflate the dry runs' figures.
 *
 * Entries: `entries` created payments of other batches (batches of 10,000, one every few days,
 * the newest last), to the destinations of rows 0…payees-1 of the generated files (each payee
 * paid entries/payees times, for other amounts), half of them with a paymentId of their own.
 * Hits: for every `hitEvery`-th payee, its newest payment carries that row's paymentId,
 * destination and amount, one day before `now`: a row with that paymentId is held (already
 * paid), and a row without paymentId is held by the repeat window (3 days by default).
 *
 * How it is built, fast: `Ledger.open` once (the schema, WAL, as the product makes it), closed;
 * then better-sqlite3 directly: the secondary indexes are dropped (their SQL kept from
 * sqlite_master), every row goes in through one prepared statement in one transaction with
 * journal_mode OFF and synchronous OFF, the indexes are created again from the same SQL (one sort
 * each instead of a random B-tree insert per row), ANALYZE is not run (the product never runs
 * it), and the file is put back in WAL mode.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Ledger } from '../src/batch/ledger.js';
import { accountState, apiIdentity } from '../src/batch/state-dir.js';
import { SIMULATOR } from '../src/dwolla/types.js';
import { amountCentsOf, destinationOf, paymentIdOf, uuidOf } from './generate.js';

const BATCH_ROWS = 10_000;
const DAY_MS = 86_400_000;
const SOURCES = Array.from({ length: 4 }, (_, i) => uuidOf(i, 5));

export interface BigLedgerOptions {
  entries: number;
  /** Payees 0…payees-1 of the generated files are the ledger's destinations. */
  payees: number;
  hitEvery: number;
  /** The dry run's --now (ISO-8601): the hits are one day before it. */
  now: string;
  /** The entries' first intents spread over this many days before `now`. */
  spanDays: number;
}

interface BigLedger {
  /** Rows of a generated file (0…payees-1) that the ledger holds: each is held for review. */
  hits: number;
  seconds: number;
  megabytes: number;
}

/** The values of entry n, in the column order of INSERT_PAYMENT. */
function entryOf(n: number, o: BigLedgerOptions): unknown[] {
  const payee = n % o.payees;
  const cycle = Math.floor(n / o.payees);
  const hit = payee % o.hitEvery === 0 && cycle === Math.floor((o.entries - 1) / o.payees);
  const ageMs = hit ? DAY_MS : 2 * DAY_MS + ((o.entries - n) / o.entries) * o.spanDays * DAY_MS;
  const at = Date.parse(o.now) - ageMs;
  const key = uuidOf(n, 7);
  const transferId = uuidOf(n, 9);
  return [
    batchOf(n),
    key,
    (n % BATCH_ROWS) + 2,
    hit ? paymentIdOf(payee) : n % 2 === 1 ? `INV-OLD-${n}` : null,
    destinationOf(payee),
    hit ? amountCentsOf(payee) : amountCentsOf(payee) + 1 + cycle,
    key,
    SOURCES[n % SOURCES.length],
    new Date(at).toISOString(),
    `https://api.dwolla.com/transfers/${transferId}`,
    transferId,
    new Date(at + 1000).toISOString(),
  ];
}

function batchOf(n: number): string {
  return `hist-${String(Math.floor(n / BATCH_ROWS)).padStart(4, '0')}`;
}

const INSERT_PAYMENT = `INSERT INTO payments (batch_id, key, row, payment_id, destination, amount_cents,
  correlation_id, source, first_intent_at, status, transfer_url, transfer_id, settled_at, via)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, 'post')`;

const INSERT_BATCH = `INSERT INTO batches (batch_id, input_digest, input_file, key_version, first_run_at,
  last_run_at, completed_at) VALUES (?, ?, ?, 'v2', ?, ?, ?)`;

/** Inserts every entry and one batch row per 10,000 entries, in one transaction. */
function insertAll(db: Database.Database, o: BigLedgerOptions): void {
  const payment = db.prepare(INSERT_PAYMENT);
  const batch = db.prepare(INSERT_BATCH);
  db.transaction(() => {
    for (let n = 0; n < o.entries; n++) {
      const entry = entryOf(n, o);
      payment.run(entry);
      if (n % BATCH_ROWS === 0) {
        const at = entry[8];
        batch.run(batchOf(n), `sha256:${uuidOf(n, 11)}`, `/payroll/${batchOf(n)}.csv`, at, at, at);
      }
    }
  })();
}

/** Builds the ledger under `stateDir` (which must not hold one yet). */
function buildBigLedger(stateDir: string, o: BigLedgerOptions): BigLedger {
  const started = process.hrtime.bigint();
  const path = accountState(stateDir, apiIdentity({ env: 'simulator', apiUrl: undefined }), SIMULATOR.accountId).ledger;
  Ledger.open(path).close();
  const db = new Database(path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .all() as { name: string; sql: string }[];
    for (const { name } of indexes) {
      db.exec(`DROP INDEX ${name}`);
    }
    insertAll(db, o);
    for (const { sql } of indexes) {
      db.exec(sql);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const hits = Math.ceil(Math.min(o.payees, o.entries) / o.hitEvery);
  return { hits, seconds, megabytes: statSync(path).size / 1e6 };
}

const [stateDir, options] = process.argv.slice(2);
if (!stateDir || !options) {
  throw new Error('usage: ledger STATE OPTIONS_JSON');
}
const built: BigLedger = buildBigLedger(stateDir, JSON.parse(options) as BigLedgerOptions);
process.stdout.write(`${JSON.stringify(built)}\n`);
