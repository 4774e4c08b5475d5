/**
 * Where the tool's durable state lives (SPEC "State"): journals, locks and the ledger, in the
 * state directory (`--state`, PAYOUTS_HOME, `$XDG_STATE_HOME/payouts`, `~/.local/state/payouts`),
 * never in `--out`. State is kept per API and, within it, per Dwolla account:
 *
 *     STATE/<api>/<account>/ledger.db
 *     STATE/<api>/<account>/batches/<batchId>/journal.jsonl, lock
 *     STATE/<api>/last-account          the account this API answered last (for dry runs)
 *
 * `<api>` is `simulator` (the embedded one), `sandbox`, `production`, or `url-<host>-<hash>` for
 * an --api-url, so a rehearsal never makes a real run skip or repeat anything. Pure path logic
 * apart from the small last-account file.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DWOLLA_URLS } from '../dwolla/types.js';
import type { RunSettings } from './settings.js';

/** Which API a batch talks to, as its state and results name it. */
export interface ApiIdentity {
  /** Folder name under the state directory. */
  slug: string;
  /** What summary.json and messages call it: `simulator`, `sandbox`, `production` or the URL. */
  label: string;
  /** The embedded simulator: a rehearsal, no money moves. */
  embedded: boolean;
  /** The API's base URL; undefined for the embedded simulator (a new port every run). */
  baseUrl?: string;
}

export function apiIdentity(s: Pick<RunSettings, 'env' | 'apiUrl'>): ApiIdentity {
  if (s.apiUrl === undefined) {
    return { slug: 'simulator', label: 'simulator', embedded: true };
  }
  for (const env of ['sandbox', 'production'] as const) {
    if (s.apiUrl === DWOLLA_URLS[env]) {
      return { slug: env, label: env, embedded: false, baseUrl: s.apiUrl };
    }
  }
  const url = new URL(s.apiUrl);
  const host = url.host.replace(/[^A-Za-z0-9.-]/g, '-');
  const hash = createHash('sha256').update(s.apiUrl).digest('hex').slice(0, 10);
  return { slug: `url-${host}-${hash}`, label: s.apiUrl, embedded: false, baseUrl: s.apiUrl };
}

/** The state of one API account: its ledger and its batches. */
export interface AccountState {
  dir: string;
  ledger: string;
}

export function accountState(stateDir: string, api: ApiIdentity, accountId: string): AccountState {
  const dir = join(stateDir, api.slug, safeName(accountId));
  return { dir, ledger: join(dir, 'ledger.db') };
}

/** A batch's state folder (its journal and lock). */
export function batchStateDir(account: AccountState, batchId: string): string {
  return join(account.dir, 'batches', batchId);
}

export function journalPath(batchDir: string): string {
  return join(batchDir, 'journal.jsonl');
}

/** The account id as a folder name: ids are UUIDs; anything else is made safe. */
function safeName(id: string): string {
  return /^[A-Za-z0-9._-]{1,100}$/.test(id) && id !== '.' && id !== '..'
    ? id
    : createHash('sha256').update(id).digest('hex').slice(0, 32);
}

/** The account this API answered last, if any: a dry run (no network) reads that account's state. */
export async function readLastAccount(stateDir: string, api: ApiIdentity): Promise<string | undefined> {
  try {
    const text = (await readFile(join(stateDir, api.slug, 'last-account'), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
}

/** Records the account this API answered, durably (temp file, fsync, rename). */
export async function writeLastAccount(stateDir: string, api: ApiIdentity, accountId: string): Promise<void> {
  const dir = join(stateDir, api.slug);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.last-account.${process.pid}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${accountId}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'last-account'));
}
