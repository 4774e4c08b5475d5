/**
 * --notify-url: when a run ends, one JSON POST to a webhook — summary.json (plan.json for a dry
 * run), the rows that need a person (at most 100) and a Slack-compatible `text` line (Slack's
 * incoming webhooks read `text`; other receivers read the rest). Best-effort and bounded: a few
 * tries within NOTIFY_DEADLINE_MS, a warning when it fails, never a change to the exit code.
 *
 * What it carries is chosen for a chat channel: counts, row numbers, statuses, reasons, payment
 * ids, amounts and funding-source ids. Never credentials: DWOLLA_SECRET (and any other value
 * given as secret) is replaced wherever it would appear, and a destination that is not a Dwolla
 * funding-source reference is left out (an invalid row's cell may hold anything, even an account
 * number). The webhook's URL is shown by its origin only: a Slack URL's path is its secret.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import type { Logger } from 'pino';
import { noAnswerReason } from '../dwolla/transport.js';
import { parseFundingSourceRef } from '../input/dwolla-ids.js';
import type { RowNeedingAPerson, RowsNeedingAPerson, Summary } from '../results/tally.js';

/** How a run ended, as far as a notification tells it. */
export interface RunEnd {
  batchId: string;
  dryRun: boolean;
  exitCode: number;
  /** summary.json (plan.json): absent when the run ended before writing it (exit 2, an internal error). */
  summary?: Summary;
  needsAPerson?: RowsNeedingAPerson;
  /** results.csv or plan.csv, as the operator would open it. */
  resultsFile?: string;
  /** The embedded simulator: no money moved. */
  simulated?: boolean;
  /** Why the run ended early (exit 2: said on stderr too). */
  error?: string;
}

/** A row needing a person as a notification carries it. */
type NotifiedRow = Pick<RowNeedingAPerson, 'row' | 'status' | 'errorMessage' | 'paymentId' | 'amount'> & {
  /** The funding source's id; left out when the cell is not a funding-source reference. */
  destination?: string;
};

export interface Notification {
  text: string;
  dryRun: boolean;
  batchId: string;
  exitCode: number;
  [field: string]: unknown;
}

/** The whole notification, tries and waits included, ends within this (ms). */
const NOTIFY_DEADLINE_MS = 10_000;

export interface PostOptions {
  /** Tries at most (network errors, 5xx and 429 are tried again). */
  tries: number;
  /** One try's limit (ms). */
  tryTimeoutMs: number;
  /** The wait before the second try; doubled before each next one (ms). */
  backoffMs: number;
  /** The whole post's limit (ms). */
  deadlineMs: number;
  /** Stops the post (a signal). */
  signal?: AbortSignal;
}

const DEFAULT_POST: PostOptions = { tries: 3, tryTimeoutMs: 4000, backoffMs: 500, deadlineMs: NOTIFY_DEADLINE_MS };

/** Slack's mrkdwn control characters, escaped as its docs ask (&, <, >). */
function slackEscaped(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function countsText(summary: Summary): string {
  const counts = Object.entries(summary.byStatus)
    .filter(([, t]) => t.count > 0)
    .map(([status, t]) => `${t.count} ${status}`);
  return counts.join(', ') || 'no rows';
}

/** The one human line: what happened to which batch, with the exit code. */
export function notificationText(end: RunEnd): string {
  const what = end.dryRun ? `dry run of batch ${end.batchId}` : `batch ${end.batchId}`;
  const simulated = end.simulated ? ' (simulator: no money moved)' : '';
  if (!end.summary) {
    const why = end.error ?? 'an unexpected error: see the logs';
    return slackEscaped(`payouts: ${what} ended without results (exit ${end.exitCode}): ${why.slice(0, 300)}`);
  }
  const people = end.needsAPerson?.count ?? 0;
  const next =
    end.exitCode === 3
      ? ': incomplete, run the same command again'
      : people > 0
        ? `: ${people} row${people === 1 ? ' needs' : 's need'} a person`
        : '';
  const verb = end.dryRun ? 'planned' : 'finished';
  const nothingSent = end.dryRun ? '; nothing was sent' : '';
  return slackEscaped(
    `payouts: ${what} ${verb}: ${countsText(end.summary)} (exit ${end.exitCode})${next}${nothingSent}${simulated}`,
  );
}

function notifiedRow(p: RowNeedingAPerson): NotifiedRow {
  const { destination, ...rest } = p;
  const id = destination === undefined ? undefined : parseFundingSourceRef(destination);
  return id === undefined ? rest : { ...rest, destination: id };
}

/** Every string in `value` with each secret replaced by [redacted]. */
function scrubbed(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    return secrets.reduce((text, secret) => text.replaceAll(secret, '[redacted]'), value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => scrubbed(v, secrets));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubbed(v, secrets)]));
  }
  return value;
}

/**
 * The body posted: `text`, then summary.json's fields (or the batch id and exit code when there is
 * no summary), `dryRun`, and the rows that need a person. `secrets` (DWOLLA_SECRET) are replaced
 * wherever they would appear.
 */
export function notificationOf(end: RunEnd, secrets: readonly (string | undefined)[]): Notification {
  const people = end.needsAPerson;
  const body = {
    text: notificationText(end),
    ...(end.summary ?? {}),
    batchId: end.batchId,
    exitCode: end.exitCode,
    dryRun: end.dryRun,
    ...(end.simulated ? { simulated: true } : {}),
    ...(end.error === undefined ? {} : { error: end.error }),
    ...(end.resultsFile === undefined ? {} : { resultsFile: end.resultsFile }),
    rowsNeedingAPerson: (people?.first ?? []).map(notifiedRow),
    rowsNeedingAPersonCount: people?.count ?? 0,
  };
  const real = secrets.filter((s): s is string => typeof s === 'string' && s !== '');
  return scrubbed(body, real) as Notification;
}

/** A URL as logs and messages show it: its origin only. */
function urlOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the notify URL';
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

/** One try: its HTTP status, or why no answer came. */
async function tryPost(url: string, body: string, timeoutMs: number, signal: AbortSignal) {
  try {
    const res = await axios.post(url, body, {
      headers: { 'content-type': 'application/json' },
      // The answer as it came: any status, no redirect (the body would follow it elsewhere).
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
      timeout: timeoutMs,
      signal,
      httpAgent: new http.Agent({ keepAlive: false }),
      httpsAgent: new https.Agent({ keepAlive: false }),
      // A receiver on this machine is never reached through an HTTP(S)_PROXY from the environment.
      ...(isLoopback(url) ? { proxy: false as const } : {}),
    });
    return { status: res.status };
  } catch (err) {
    const why = noAnswerReason(err);
    return { failure: why.kind === 'timeout' ? 'no answer in time' : why.errno };
  }
}

/** Whether another try may help: no answer, a 5xx, or 429. */
function retryable(r: { status?: number }): boolean {
  return r.status === undefined || r.status >= 500 || r.status === 429;
}

/** Aborted when `ms` have passed or `outer` aborts; `clear()` lets the process exit before then. */
function deadlineOf(ms: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onOuter = () => controller.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  if (outer?.aborted) {
    controller.abort();
  }
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** The tries of postNotification, until a 2xx, a refusal, the last try or the deadline. */
async function tries(url: string, body: string, o: PostOptions, deadline: AbortSignal, log?: Logger) {
  let why = 'not tried';
  for (let attempt = 1; attempt <= o.tries && !deadline.aborted; attempt++) {
    const r = await tryPost(url, body, o.tryTimeoutMs, deadline);
    if (r.status !== undefined && r.status >= 200 && r.status < 300) {
      log?.info({ notify: urlOrigin(url), status: r.status, attempt }, 'notification sent');
      return undefined;
    }
    why = r.status === undefined ? r.failure : `HTTP ${r.status}`;
    log?.warn({ notify: urlOrigin(url), attempt, error: why }, 'notification not accepted');
    if (!retryable(r)) {
      break;
    }
    if (attempt < o.tries) {
      await pause(o.backoffMs * 2 ** (attempt - 1), deadline);
    }
  }
  return why;
}

/**
 * POSTs `payload` as JSON, tried again on network errors, 5xx and 429, all within `deadlineMs`.
 * Resolves with undefined when a 2xx came back, else with why it failed; never rejects.
 */
export async function postNotification(
  url: string,
  payload: Notification,
  options: Partial<PostOptions> = {},
  log?: Logger,
): Promise<string | undefined> {
  const o = { ...DEFAULT_POST, ...options };
  const deadline = deadlineOf(o.deadlineMs, o.signal);
  try {
    const why = await tries(url, JSON.stringify(payload), o, deadline.signal, log);
    if (why !== undefined && o.signal?.aborted) {
      return `stopped by a signal (${why})`;
    }
    return why;
  } finally {
    deadline.clear();
  }
}

/**
 * Notifies `url` of how the run ended, within NOTIFY_DEADLINE_MS. SIGINT or SIGTERM meanwhile
 * stops the notification (the process exits with the run's code, not killed by the signal). A
 * failure is a warning on stderr and in the logs.
 */
export async function notifyRunEnd(url: string, end: RunEnd, opts: { log?: Logger; secrets: string[] }): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const payload = notificationOf(end, opts.secrets);
    const failure = await postNotification(url, payload, { signal: stop.signal }, opts.log);
    if (failure !== undefined) {
      opts.log?.warn({ notify: urlOrigin(url), error: failure }, 'notification failed');
      process.stderr.write(
        `payouts: warning: could not notify ${urlOrigin(url)} (${failure}); the exit code is unchanged\n`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
