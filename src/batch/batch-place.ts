/**
 * Where a batch lives: its state (journal and lock, under the state directory, per API and Dwolla
 * account) and its human outputs (OUT/BATCH_ID). The account comes from the API (`GET /`) when
 * this run can ask it; a run that cannot (a dry run, or no credentials) uses the account the API
 * answered last.
 *
 * Outputs: OUT/BATCH_ID carries a marker naming the API and account it belongs to. A rehearsal
 * (the embedded simulator) never overwrites another API's outputs: it writes to
 * OUT/BATCH_ID.simulator instead. A real API takes over a folder a rehearsal wrote (a rehearsal's
 * outputs are not worth keeping over a real batch's), and writes next to another real API's
 * folder as OUT/BATCH_ID.<api>.
 */
import { copyFile, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SIMULATOR } from '../dwolla/types.js';
import { UsageError } from '../input/usage-error.js';
import { syncFile } from '../results/atomic-file.js';
import { type JournalState, readJournal } from './journal.js';
import type { RunSettings } from './settings.js';
import {
  type AccountState,
  type ApiIdentity,
  accountState,
  batchStateDir,
  journalPath,
  readLastAccount,
} from './state-dir.js';

export interface BatchPlace {
  api: ApiIdentity;
  accountId: string;
  account: AccountState;
  /** The batch's state folder: journal.jsonl and lock. */
  stateDir: string;
  journal: string;
  /** The batch's human outputs: results.csv, summary.json, plan.csv, plan.json. */
  outputDir: string;
}

const MARKER = '.payouts-batch.json';

interface Marker {
  api: string;
  account: string;
}

/** The account whose state a run without an API connection reads: the simulator's, or the one answered last. */
export async function knownAccount(s: Pick<RunSettings, 'stateDir'>, api: ApiIdentity): Promise<string | undefined> {
  return api.embedded ? SIMULATOR.accountId : readLastAccount(s.stateDir, api);
}

/** The account, or a usage error saying that credentials are needed to learn it. */
export async function requireKnownAccount(s: Pick<RunSettings, 'stateDir'>, api: ApiIdentity): Promise<string> {
  const account = await knownAccount(s, api);
  if (account === undefined) {
    throw new UsageError(
      'USAGE',
      `DWOLLA_KEY and DWOLLA_SECRET must be set in the environment to use ${api.label} (no batch of this installation has used it yet)`,
    );
  }
  return account;
}

/** The batch's place; `write` makes the state folder and adopts a journal an older version kept in OUT/BATCH_ID. */
export async function placeBatch(
  s: Pick<RunSettings, 'stateDir' | 'outDir' | 'batchId'>,
  api: ApiIdentity,
  accountId: string,
  opts: { write: boolean; say: (line: string) => void },
): Promise<BatchPlace> {
  const account = accountState(s.stateDir, api, accountId);
  const stateDir = batchStateDir(account, s.batchId);
  const journal = journalPath(stateDir);
  if (opts.write) {
    await mkdir(stateDir, { recursive: true });
    await adoptLegacyJournal(join(s.outDir, s.batchId), journal, api, opts.say);
  }
  const outputDir = await chooseOutputDir(s, api, accountId, opts.say);
  return { api, accountId, account, stateDir, journal, outputDir };
}

/**
 * Before the state directory, journals lived in OUT/BATCH_ID/journal.jsonl, without saying which
 * API they were for. Such a journal is adopted (copied into the state folder, fsync'd, and
 * renamed aside, so that it is adopted once) only by the API its transfers were made at, as
 * their URLs tell: a rehearsal's journal never makes a real run skip its rows, and a real
 * batch's never makes a rehearsal think they were paid. One that names another API is left.
 */
async function adoptLegacyJournal(
  outputDir: string,
  journal: string,
  api: ApiIdentity,
  say: (line: string) => void,
): Promise<void> {
  const legacy = join(outputDir, 'journal.jsonl');
  if ((await exists(journal)) || !(await exists(legacy))) {
    return;
  }
  const foreign = foreignOrigin(await readJournal(legacy), api);
  if (foreign !== undefined) {
    say(`note: ${legacy} records transfers made at ${foreign}, not ${api.label}: it is left where it is, not adopted`);
    return;
  }
  const tmp = `${journal}.adopting`;
  await copyFile(legacy, tmp);
  await syncFile(tmp);
  await rename(tmp, journal);
  await rename(legacy, `${legacy}.moved-to-state`);
  say(`note: the journal of this batch moved from ${legacy} to the state directory (${journal})`);
}

/** The first origin of a transfer the journal records that is not this API's, if any. */
function foreignOrigin(state: JournalState, api: ApiIdentity): string | undefined {
  for (const ks of state.byKey.values()) {
    const url = ks.outcome?.transferUrl;
    if (url === undefined) {
      continue;
    }
    const { origin, hostname } = new URL(url);
    const ours = api.baseUrl === undefined ? LOOPBACK.has(hostname) : origin === new URL(api.baseUrl).origin;
    if (!ours) {
      return origin;
    }
  }
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

async function chooseOutputDir(
  s: Pick<RunSettings, 'outDir' | 'batchId'>,
  api: ApiIdentity,
  accountId: string,
  say: (line: string) => void,
): Promise<string> {
  const plain = join(s.outDir, s.batchId);
  const owner = await readMarker(plain);
  if (owner === undefined || (owner.api === api.slug && owner.account === accountId)) {
    return plain;
  }
  if (!api.embedded && owner.api === 'simulator') {
    say(`note: ${plain} held a rehearsal's outputs; this run's results replace them`);
    return plain;
  }
  const aside = `${plain}.${api.slug}`;
  say(`note: ${plain} belongs to a batch of ${owner.api}; this run's outputs go to ${aside}`);
  return aside;
}

/** Makes the output folder and marks it as this API's and account's. */
export async function claimOutputDir(place: BatchPlace): Promise<void> {
  await mkdir(place.outputDir, { recursive: true });
  const marker: Marker = { api: place.api.slug, account: place.accountId };
  const current = await readMarker(place.outputDir);
  if (current?.api !== marker.api || current.account !== marker.account) {
    const path = join(place.outputDir, MARKER);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeSynced(tmp, `${JSON.stringify(marker)}\n`);
    await rename(tmp, path);
  }
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, MARKER), 'utf8'));
    if (parsed && typeof parsed === 'object' && 'api' in parsed && 'account' in parsed) {
      const { api, account } = parsed as Record<string, unknown>;
      return typeof api === 'string' && typeof account === 'string' ? { api, account } : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

async function writeSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
