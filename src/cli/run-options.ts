/**
 * The options of `payouts run` and `payouts reconcile`, checked and resolved into the settings a
 * command uses. Pure: the parsed flags and the environment come in; a UsageError (exit 2) comes out
 * for anything unusable. A flag left out (a caller such as a test passes only some) takes its
 * default from DEFAULTS, as it does on the command line.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import {
  API_ENVS,
  type MassPaymentSettings,
  type ReconcileSettings,
  type RunSettings,
  SEND_MODES,
} from '../batch/settings.js';
import { DWOLLA_URLS, MASS_PAYMENT_MAX_ITEMS, SIMULATOR } from '../dwolla/types.js';
import { parseDelimiterOption } from '../input/delimiter.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import { parseColumnsOption } from '../input/header.js';
import { formatCents, parseAmount } from '../input/money.js';
import { UsageError } from '../input/usage-error.js';
import { CLEARING_POLICIES, type ClearingPolicy } from '../input/validation.js';
import { CENTRAL_TIME_ZONE } from '../plan/calendar.js';
import { MIN_APPROVAL_DIGITS, parseApproval } from '../plan/plan-digest.js';
import type { ReconcileArgs } from './commands/reconcile.js';
import type { RunArgs } from './commands/run.js';
import { DEFAULTS } from './options.js';

const BATCH_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The flags of `payouts run` as yargs parses them; all but the file may be left out. */
export type RunFlags = Pick<RunArgs, 'file'> & Partial<RunArgs>;

/** The flags of `payouts reconcile` as yargs parses them; all but the batch id may be left out. */
export type ReconcileFlags = Pick<ReconcileArgs, 'batchId'> & Partial<ReconcileArgs>;

function isBatchId(id: string): boolean {
  return BATCH_ID.test(id) && id !== '.' && id !== '..';
}

/** Hex digits of the hash suffix a default batch id gets when the file's name had to be changed. */
const HASH_CHARS = 8;

/**
 * The default batch id: the file's base name without extension. A base name that is already a
 * batch id is used as it is (the batches of such files keep their ids). Any other is changed —
 * other characters replaced by '-', leading '-' dropped, shortened — and so ends with '-' and the
 * first 8 hex digits of the SHA-256 of the base name as it was: `payees (1)` and `payees [1]`, or
 * two long names that differ only near their ends, never become one batch.
 */
export function defaultBatchId(file: string): string {
  const name = basename(file, extname(file));
  if (isBatchId(name)) {
    return name;
  }
  const suffix = `-${createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS)}`;
  const kept = name
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64 - suffix.length);
  return `${kept || 'batch'}${suffix}`;
}

function integerIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError('USAGE', `--${name} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return v;
}

/** ISO-8601 with an offset or Z; a time without an offset is read as Central Time. */
export function parseNow(text: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;
  const m = iso.exec(text);
  const date = !m ? new Date(NaN) : m[3] ? new Date(text) : fromZonedTime(text, CENTRAL_TIME_ZONE);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError('USAGE', `--now must be an ISO-8601 time like 2026-03-09T08:45:00-05:00 (got '${text}')`);
  }
  return date;
}

/**
 * A URL as it may be shown: a user name and password (anything between '//' and the last '@', or
 * before the last '@' when there is no '//') masked.
 */
function withoutUserinfo(url: string): string {
  return url.replace(/^([^/]*\/\/)?.*@/s, (_all, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/**
 * The base URL of --api-url, else of --env; undefined for the embedded simulator. A URL carrying a
 * user name or password is refused, and never shown with them: credentials come only from the
 * environment.
 */
export function apiUrlOf(flags: Pick<RunFlags, 'env' | 'apiUrl'>): Pick<RunSettings, 'env' | 'apiUrl'> {
  const apiEnv = flags.env ?? DEFAULTS.env;
  if (!API_ENVS.includes(apiEnv)) {
    throw new UsageError('USAGE', `--env must be one of ${API_ENVS.join(', ')} (got '${flags.env}')`);
  }
  const apiUrl = flags.apiUrl ?? (apiEnv === 'simulator' ? undefined : DWOLLA_URLS[apiEnv]);
  if (apiUrl === undefined) {
    return { env: apiEnv, apiUrl };
  }
  if (apiUrl.includes('@')) {
    throw new UsageError(
      'USAGE',
      `--api-url must not carry a user name or password (got '${withoutUserinfo(apiUrl)}'): credentials come only from DWOLLA_KEY and DWOLLA_SECRET in the environment`,
    );
  }
  if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) {
    throw new UsageError('USAGE', `--api-url must be an http(s) URL (got '${apiUrl}')`);
  }
  return { env: apiEnv, apiUrl: apiUrl.replace(/\/+$/, '') };
}

/**
 * --notify-url, else PAYOUTS_NOTIFY_URL (a webhook's URL is often its own secret, as Slack's is:
 * the environment keeps it out of a crontab line and `ps`): an http(s) URL without a user name or
 * password. A refused URL is never echoed whole.
 */
function notifyUrlOf(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const text = flag ?? env.PAYOUTS_NOTIFY_URL;
  if (text === undefined || text === '') {
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.username || url?.password || /^[^/]*\/\/[^/?#]*@/.test(text)) {
    throw new UsageError('USAGE', '--notify-url / PAYOUTS_NOTIFY_URL must not carry a user name or password');
  }
  if (!url || !/^https?:$/.test(url.protocol) || !/^https?:\/\/[^\s/]+/.test(text)) {
    throw new UsageError(
      'USAGE',
      '--notify-url / PAYOUTS_NOTIFY_URL must be an http(s) URL, like https://hooks.slack.com/services/…',
    );
  }
  return text;
}

/** The API and credentials of --env / --api-url; credentials are required when `needsCredentials`. */
function resolveApi(
  flags: Pick<RunFlags, 'env' | 'apiUrl'>,
  env: NodeJS.ProcessEnv,
  needsCredentials: boolean,
): Pick<RunSettings, 'env' | 'apiUrl' | 'credentials'> {
  const api = apiUrlOf(flags);
  if (api.apiUrl === undefined) {
    return { ...api, credentials: undefined };
  }
  const key = env.DWOLLA_KEY;
  const secret = env.DWOLLA_SECRET;
  if (key && secret) {
    return { ...api, credentials: { key, secret } };
  }
  if (needsCredentials) {
    throw new UsageError('USAGE', `DWOLLA_KEY and DWOLLA_SECRET must be set in the environment to use ${api.apiUrl}`);
  }
  return { ...api, credentials: undefined };
}

/**
 * PAYOUTS_SIMULATOR_BALANCE, the starting amount of the embedded simulator's default balance (US
 * dollars); read only when the embedded simulator is the API.
 */
function resolveSimulatorBalance(env: NodeJS.ProcessEnv, apiUrl: string | undefined): { simulatorBalance?: string } {
  const text = env.PAYOUTS_SIMULATOR_BALANCE;
  if (apiUrl !== undefined || text === undefined || text === '') {
    return {};
  }
  const balance = parseAmount(text);
  if (!balance.ok) {
    throw new UsageError(
      'USAGE',
      `PAYOUTS_SIMULATOR_BALANCE must be a dollar amount like 250000.00 for the embedded simulator's balance (got '${text}')`,
    );
  }
  // As the simulator reads it: `$250,000` is accepted here as in the file.
  return { simulatorBalance: formatCents(balance.cents) };
}

/** --source or PAYOUTS_SOURCE as a funding-source id; without either, the embedded simulator's own. */
function resolveDefaultSource(text: string | undefined, apiUrl: string | undefined): string | undefined {
  if (text === undefined || text === '') {
    return apiUrl === undefined ? SIMULATOR.defaultSourceId : undefined;
  }
  const id = parseFundingSourceRef(text.trim());
  if (!id) {
    throw new UsageError('USAGE', `--source / PAYOUTS_SOURCE must be a funding-source URL or UUID (got '${text}')`);
  }
  return id;
}

function checkBatchId(batchId: string): string {
  if (!isBatchId(batchId)) {
    throw new UsageError('USAGE', `--batch-id must be 1-64 of A-Z a-z 0-9 . _ - (got '${batchId}')`);
  }
  return batchId;
}

function checkClearing(clearing: ClearingPolicy): ClearingPolicy {
  if (!CLEARING_POLICIES.includes(clearing)) {
    throw new UsageError('USAGE', `--clearing must be auto, same-day or standard (got '${clearing}')`);
  }
  return clearing;
}

function maxAmountCents(text: string): number {
  const maxAmount = parseAmount(text);
  if (!maxAmount.ok || maxAmount.cents < 1) {
    throw new UsageError('USAGE', `--max-amount must be a dollar amount like 10000.00 (got '${text}')`);
  }
  return maxAmount.cents;
}

/**
 * Where durable state lives: --state, else PAYOUTS_HOME, else $XDG_STATE_HOME/payouts, else
 * ~/.local/state/payouts. Independent of the working directory and of --out.
 */
export function stateDirectory(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = flag ?? env.PAYOUTS_HOME;
  if (chosen !== undefined && chosen !== '') {
    return resolve(chosen);
  }
  if (env.XDG_STATE_HOME) {
    return resolve(env.XDG_STATE_HOME, 'payouts');
  }
  return join(env.HOME || homedir(), '.local', 'state', 'payouts');
}

/** The HTTP limits and logs, which run and reconcile resolve alike. */
function httpAndLogSettings(
  flags: Pick<RunFlags, 'maxAttempts' | 'timeout' | 'logLevel' | 'logFile'>,
): Pick<RunSettings, 'maxAttempts' | 'timeoutMs' | 'logLevel' | 'logFile'> {
  return {
    maxAttempts: integerIn('max-attempts', flags.maxAttempts, DEFAULTS.maxAttempts, 1, 100),
    timeoutMs: integerIn('timeout', flags.timeout, DEFAULTS.timeout, 1, 600) * 1000,
    logLevel: flags.logLevel ?? DEFAULTS.logLevel,
    logFile: flags.logFile,
  };
}

/** PAYOUTS_REQUIRE_APPROVAL: 1/true/yes or 0/false/no (any case), or unset/empty; anything else is a usage error, never "off". */
function requireApprovalEnv(text: string | undefined): boolean {
  const value = (text ?? '').trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(value)) {
    return true;
  }
  if (['', '0', 'false', 'no'].includes(value)) {
    return false;
  }
  throw new UsageError('USAGE', `PAYOUTS_REQUIRE_APPROVAL must be 1 or 0 (got '${text}')`);
}

/**
 * --strict, --approve and --require-approval. PAYOUTS_REQUIRE_APPROVAL=1 (a production host's
 * setting) cannot be turned off by --no-require-approval: the flag can only add the requirement.
 */
function approvalSettings(
  flags: Pick<RunFlags, 'strict' | 'approve' | 'requireApproval'>,
  env: NodeJS.ProcessEnv,
): Pick<RunSettings, 'strict' | 'approve' | 'requireApproval'> {
  let approve: string | undefined;
  if (flags.approve !== undefined) {
    approve = parseApproval(flags.approve);
    if (approve === undefined) {
      throw new UsageError(
        'USAGE',
        `--approve must be the plan digest a dry run printed: 64 hex digits, or its first ${MIN_APPROVAL_DIGITS} or more (got '${flags.approve}')`,
      );
    }
  }
  const requireApproval = requireApprovalEnv(env.PAYOUTS_REQUIRE_APPROVAL) || flags.requireApproval === true;
  return { strict: flags.strict ?? false, approve, requireApproval };
}

export function resolveRunSettings(flags: RunFlags, env: NodeJS.ProcessEnv): RunSettings {
  const dryRun = flags.dryRun ?? false;
  // Credentials only matter for sending: a run with nothing left to send reports without them.
  const api = resolveApi(flags, env, false);
  const defaultSourceId = resolveDefaultSource(flags.source ?? env.PAYOUTS_SOURCE, api.apiUrl);
  const batchId = checkBatchId(flags.batchId ?? defaultBatchId(flags.file));
  const clearing = checkClearing(flags.clearing ?? DEFAULTS.clearing);
  const maxAmount = maxAmountCents(flags.maxAmount ?? DEFAULTS.maxAmount);
  const outDir = resolve(flags.out ?? DEFAULTS.out);
  return {
    file: flags.file,
    dryRun,
    ...api,
    defaultSourceId,
    outDir,
    stateDir: stateDirectory(flags.state, env),
    batchId,
    resume: flags.resume ?? false,
    allowDuplicates: flags.allowDuplicates ?? false,
    allowRepeat: flags.allowRepeat ?? false,
    repeatWindowDays: integerIn('repeat-window', flags.repeatWindow, DEFAULTS.repeatWindow, 0, 3650),
    concurrency: integerIn('concurrency', flags.concurrency, DEFAULTS.concurrency, 1, 64),
    clearing,
    cutoffMarginMinutes: integerIn('cutoff-margin', flags.cutoffMargin, DEFAULTS.cutoffMargin, 0, 600),
    now: flags.now === undefined ? undefined : parseNow(flags.now),
    maxAmountCents: maxAmount,
    ...httpAndLogSettings(flags),
    notifyUrl: notifyUrlOf(flags.notifyUrl, env),
    ...resolveSimulatorBalance(env, api.apiUrl),
    ...inputAndOutputSettings(flags),
    ...approvalSettings(flags, env),
    ...massPaymentSettings(flags),
  };
}

/** --mode and the Mass Payment options. --deferred uses Mass Payments for every row they can carry. */
function massPaymentSettings(
  flags: Pick<RunFlags, 'mode' | 'massPaymentThreshold' | 'chunkSize' | 'deferred' | 'wait' | 'noWait'>,
): MassPaymentSettings {
  const mode = SEND_MODES.find((m) => m === (flags.mode ?? DEFAULTS.mode));
  if (mode === undefined) {
    throw new UsageError('USAGE', `--mode must be one of ${SEND_MODES.join(', ')} (got '${flags.mode}')`);
  }
  const deferred = flags.deferred ?? false;
  if (deferred && mode === 'transfers') {
    throw new UsageError('USAGE', '--deferred creates mass payments: it cannot go with --mode transfers');
  }
  return {
    mode: deferred ? 'mass-payment' : mode,
    massPaymentThreshold: integerIn(
      'mass-payment-threshold',
      flags.massPaymentThreshold,
      DEFAULTS.massPaymentThreshold,
      0,
      1_000_000_000,
    ),
    chunkSize: integerIn('chunk-size', flags.chunkSize, DEFAULTS.chunkSize, 1, MASS_PAYMENT_MAX_ITEMS),
    deferred,
    wait: flags.wait !== false && flags.noWait !== true,
  };
}

/** How the file is read (--delimiter, --columns) and how results are written (--no-bom). */
function inputAndOutputSettings(
  flags: Pick<RunFlags, 'delimiter' | 'columns' | 'bom' | 'noBom'>,
): Pick<RunSettings, 'delimiter' | 'columns' | 'bom'> {
  return {
    delimiter: flags.delimiter === undefined ? undefined : parseDelimiterOption(flags.delimiter),
    columns: flags.columns === undefined ? [] : parseColumnsOption(flags.columns),
    bom: flags.bom !== false && flags.noBom !== true,
  };
}

/**
 * Reconcile names its API explicitly (no default): the embedded simulator keeps nothing between
 * runs, so a batch rehearsed on it has nothing left to reconcile. --api-url overrides --env.
 */
function reconcileApi(
  flags: Pick<ReconcileFlags, 'env' | 'apiUrl'>,
  command: string,
): Pick<RunFlags, 'env' | 'apiUrl'> {
  const env = API_ENVS.find((e) => e === flags.env);
  if (flags.env !== undefined && env === undefined) {
    throw new UsageError('USAGE', `--env must be sandbox or production (got '${flags.env}')`);
  }
  if (flags.apiUrl !== undefined) {
    return { env, apiUrl: flags.apiUrl };
  }
  const why = `the embedded simulator keeps nothing between runs, so it has nothing to ${command}; to ${command} a rehearsal, run it against a standalone \`payouts simulator\` and give its --api-url to both run and ${command}`;
  if (env === undefined) {
    throw new UsageError('USAGE', `${command} needs --env sandbox|production or --api-url URL (${why})`);
  }
  if (env === 'simulator') {
    throw new UsageError('USAGE', `${command} cannot use --env simulator: ${why}`);
  }
  return { env };
}

/** The settings of `payouts reconcile`, and of the commands that find a batch as it does (`command`: approve, cancel). */
export function resolveReconcileSettings(
  flags: ReconcileFlags,
  env: NodeJS.ProcessEnv,
  command = 'reconcile',
): ReconcileSettings {
  const api = resolveApi(reconcileApi(flags, command), env, true);
  if (api.apiUrl === undefined) {
    throw new UsageError('USAGE', `${command} needs --env sandbox|production or --api-url URL`);
  }
  const batchId = checkBatchId(flags.batchId);
  const outDir = resolve(flags.out ?? DEFAULTS.out);
  return {
    ...api,
    outDir,
    stateDir: stateDirectory(flags.state, env),
    batchId,
    concurrency: integerIn('concurrency', flags.concurrency, DEFAULTS.concurrency, 1, 64),
    ...httpAndLogSettings(flags),
  };
}
