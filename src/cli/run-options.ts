/**
 * The options of `payouts run`, checked and resolved into the settings a run uses. Pure: the
 * parsed flags and the environment come in; a UsageError (exit 2) comes out for anything unusable.
 */
import { basename, extname, resolve } from 'node:path';
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import { API_ENVS, type ApiEnv, type ReconcileSettings, type RunSettings } from '../batch/settings.js';
import { DWOLLA_URLS, SIMULATOR } from '../dwolla/types.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import { parseAmount } from '../input/money.js';
import { UsageError } from '../input/usage-error.js';
import type { ClearingPolicy } from '../input/validation.js';
import { CLEARING_POLICIES } from '../input/validation.js';

const BATCH_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CENTRAL = 'America/Chicago';

/** The flags of `payouts run` as yargs parsed them. */
export interface RunFlags {
  file: string;
  dryRun?: boolean;
  env?: string;
  apiUrl?: string;
  source?: string;
  out?: string;
  batchId?: string;
  resume?: boolean;
  allowDuplicates?: boolean;
  concurrency?: number;
  clearing?: string;
  cutoffMargin?: number;
  now?: string;
  maxAmount?: string;
  maxAttempts?: number;
  timeout?: number;
  logLevel?: string;
  logFile?: string;
}

/** The default batch id: the file's base name without extension, other characters replaced by '-'. */
export function defaultBatchId(file: string): string {
  const name = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 64);
  return name === '' || name === '.' || name === '..' ? 'batch' : name;
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
  const date = !m ? new Date(NaN) : m[3] ? new Date(text) : fromZonedTime(text, CENTRAL);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError('USAGE', `--now must be an ISO-8601 time like 2026-03-09T08:45:00-05:00 (got '${text}')`);
  }
  return date;
}

/** The API and credentials of --env / --api-url; credentials are required when `needsCredentials`. */
function resolveApi(
  flags: Pick<RunFlags, 'env' | 'apiUrl'>,
  env: NodeJS.ProcessEnv,
  needsCredentials: boolean,
): Pick<RunSettings, 'env' | 'apiUrl' | 'credentials'> {
  const apiEnv = (flags.env ?? 'simulator') as ApiEnv;
  if (!API_ENVS.includes(apiEnv)) {
    throw new UsageError('USAGE', `--env must be one of ${API_ENVS.join(', ')} (got '${flags.env}')`);
  }
  let apiUrl = flags.apiUrl ?? (apiEnv === 'simulator' ? undefined : DWOLLA_URLS[apiEnv]);
  if (apiUrl !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) {
      throw new UsageError('USAGE', `--api-url must be an http(s) URL (got '${apiUrl}')`);
    }
    apiUrl = apiUrl.replace(/\/+$/, '');
  }
  const key = env.DWOLLA_KEY;
  const secret = env.DWOLLA_SECRET;
  if (needsCredentials && apiUrl !== undefined && (!key || !secret)) {
    throw new UsageError('USAGE', `DWOLLA_KEY and DWOLLA_SECRET must be set in the environment to use ${apiUrl}`);
  }
  return { env: apiEnv, apiUrl, credentials: key && secret && apiUrl !== undefined ? { key, secret } : undefined };
}

export function resolveRunSettings(flags: RunFlags, env: NodeJS.ProcessEnv): RunSettings {
  const dryRun = flags.dryRun ?? false;
  const api = resolveApi(flags, env, !dryRun);
  const { apiUrl } = api;

  const sourceText = flags.source ?? env.PAYOUTS_SOURCE;
  let defaultSourceId: string | undefined;
  if (sourceText !== undefined && sourceText !== '') {
    defaultSourceId = parseFundingSourceRef(sourceText.trim());
    if (!defaultSourceId) {
      throw new UsageError(
        'USAGE',
        `--source / PAYOUTS_SOURCE must be a funding-source URL or UUID (got '${sourceText}')`,
      );
    }
  } else if (apiUrl === undefined) {
    defaultSourceId = SIMULATOR.defaultSourceId;
  }

  const batchId = checkBatchId(flags.batchId ?? defaultBatchId(flags.file));

  const clearing = (flags.clearing ?? 'auto') as ClearingPolicy;
  if (!CLEARING_POLICIES.includes(clearing)) {
    throw new UsageError('USAGE', `--clearing must be auto, same-day or standard (got '${flags.clearing}')`);
  }

  const maxAmount = parseAmount(String(flags.maxAmount ?? '10000.00'));
  if (!maxAmount.ok || maxAmount.cents < 1) {
    throw new UsageError('USAGE', `--max-amount must be a dollar amount like 10000.00 (got '${flags.maxAmount}')`);
  }
  const outDir = resolve(flags.out ?? 'output');

  return {
    file: flags.file,
    dryRun,
    ...api,
    defaultSourceId,
    outDir,
    batchId,
    batchDir: resolve(outDir, batchId),
    resume: flags.resume ?? false,
    allowDuplicates: flags.allowDuplicates ?? false,
    concurrency: integerIn('concurrency', flags.concurrency, 4, 1, 64),
    clearing,
    cutoffMarginMinutes: integerIn('cutoff-margin', flags.cutoffMargin, 10, 0, 600),
    now: flags.now === undefined ? undefined : parseNow(flags.now),
    maxAmountCents: maxAmount.cents,
    maxAttempts: integerIn('max-attempts', flags.maxAttempts, 6, 1, 100),
    timeoutMs: integerIn('timeout', flags.timeout, 30, 1, 600) * 1000,
    logLevel: flags.logLevel ?? 'info',
    logFile: flags.logFile,
  };
}

function checkBatchId(batchId: string): string {
  if (!BATCH_ID.test(batchId) || batchId === '.' || batchId === '..') {
    throw new UsageError('USAGE', `--batch-id must be 1-64 of A-Z a-z 0-9 . _ - (got '${batchId}')`);
  }
  return batchId;
}

/** The flags of `payouts reconcile`. */
export interface ReconcileFlags {
  batchId: string;
  out?: string;
  env?: string;
  apiUrl?: string;
  concurrency?: number;
  maxAttempts?: number;
  timeout?: number;
  logLevel?: string;
  logFile?: string;
}

export function resolveReconcileSettings(flags: ReconcileFlags, env: NodeJS.ProcessEnv): ReconcileSettings {
  const api = resolveApi(flags, env, true);
  if (api.apiUrl === undefined) {
    throw new UsageError(
      'USAGE',
      'the embedded simulator keeps no transfers between runs: give --api-url of a standalone simulator, or --env sandbox / production',
    );
  }
  const batchId = checkBatchId(flags.batchId);
  const outDir = resolve(flags.out ?? 'output');
  return {
    ...api,
    outDir,
    batchId,
    batchDir: resolve(outDir, batchId),
    concurrency: integerIn('concurrency', flags.concurrency, 4, 1, 64),
    maxAttempts: integerIn('max-attempts', flags.maxAttempts, 6, 1, 100),
    timeoutMs: integerIn('timeout', flags.timeout, 30, 1, 600) * 1000,
    logLevel: flags.logLevel ?? 'info',
    logFile: flags.logFile,
  };
}
