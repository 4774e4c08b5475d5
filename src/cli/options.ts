/**
 * The defaults of `payouts run` and `payouts reconcile`, and the options the two share (where
 * batches are, which API, HTTP limits, logs). Each default is written here once: the option
 * definitions show it in --help and yargs applies it, and resolveRunSettings applies it to a
 * caller that passes only some flags (a test, for one).
 */
import type { Options } from 'yargs';
import { API_ENVS, type ApiEnv } from '../batch/settings.js';
import type { ClearingPolicy } from '../input/validation.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const DEFAULTS = {
  out: 'output',
  env: 'simulator',
  maxAttempts: 6,
  timeout: 30,
  logLevel: 'info',
  concurrency: 4,
  clearing: 'auto',
  cutoffMargin: 10,
  maxAmount: '10000.00',
  repeatWindow: 3,
  historyLimit: 100,
  mode: 'auto',
  massPaymentThreshold: 500,
  chunkSize: 5000,
} as const satisfies {
  env: ApiEnv;
  clearing: ClearingPolicy;
  logLevel: (typeof LOG_LEVELS)[number];
  [option: string]: string | number;
};

export const apiAndLogOptions = {
  out: {
    type: 'string',
    requiresArg: true,
    default: DEFAULTS.out,
    describe: "where a batch's results go (OUT/BATCH_ID)",
  },
  state: {
    type: 'string',
    requiresArg: true,
    describe:
      'where durable state lives (journals, locks, the ledger); env PAYOUTS_HOME; default $XDG_STATE_HOME/payouts, else ~/.local/state/payouts',
  },
  env: {
    choices: API_ENVS,
    requiresArg: true,
    default: DEFAULTS.env,
    describe: 'which API: the embedded simulator (no money moves), Dwolla sandbox or production',
  },
  'api-url': { type: 'string', requiresArg: true, describe: 'any Dwolla-compatible base URL; overrides --env' },
  'max-attempts': {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.maxAttempts,
    describe: 'tries per request for retryable failures',
  },
  timeout: {
    type: 'number',
    requiresArg: true,
    default: DEFAULTS.timeout,
    describe: "one HTTP request's limit, in seconds",
  },
  'log-level': {
    choices: LOG_LEVELS,
    requiresArg: true,
    default: DEFAULTS.logLevel,
    describe: 'pino log level',
  },
  'log-file': { type: 'string', requiresArg: true, describe: 'write JSON logs here instead of stderr' },
} as const satisfies Record<string, Options>;

/**
 * Options without their descriptions, for a command line that does not ask for --help: once it
 * has parsed a command, yargs renders that command's whole help ahead of need, and wrapping the
 * descriptions of `payouts run` cost 10-25 ms of every run's start-up (cliui, string-width).
 */
export function undescribed<T extends Record<string, Options>>(options: T): T {
  const bare: Record<string, Options> = {};
  for (const [name, option] of Object.entries(options)) {
    bare[name] = { ...option, describe: undefined };
  }
  return bare as T;
}
