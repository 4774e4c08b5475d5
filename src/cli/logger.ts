/**
 * pino JSON logs, to stderr or to --log-file. Secrets are redacted by path as a second line of
 * defence: the code never passes them to the logger in the first place. --log-file's missing
 * folders are created; a log file that cannot be opened at all (a file in the way of its folder,
 * no permission) is a usage error (exit 2) before anything is sent. Once open, logs are
 * best-effort: a destination that fails (a closed pipe, a full disk) never ends or changes the run.
 */
import { type Logger, pino } from 'pino';
import { UsageError } from '../input/usage-error.js';

const REDACT_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'secret',
  '*.secret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
];

/** Why a log file cannot be opened, in words, from the error's code. */
const OPEN_FAILURES: Partial<Record<string, string>> = {
  EEXIST: 'a file is in the way of its folder',
  ENOTDIR: 'a file is in the way of its folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  EROFS: 'read-only file system',
};

/** pino's destination: stderr, or the log file opened for appending (its missing folders created). */
function openDestination(file: string | undefined) {
  try {
    return pino.destination({ dest: file ?? 2, sync: true, mkdir: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = OPEN_FAILURES[code] ?? (err as Error).message;
    throw new UsageError(
      'USAGE',
      `cannot write logs to --log-file ${file}: ${why}${code && !why.includes(code) ? ` (${code})` : ''}. Nothing was sent.`,
    );
  }
}

export function createLogger(opts: { level: string; file?: string | undefined }): Logger {
  const destination = openDestination(opts.file);
  // A sync destination reports a failed write as an 'error' event, emitted inside the logging
  // call: without a listener it would be thrown into whatever step logged. pino itself stops
  // writing on EPIPE (a closed pipe); any other failure stops logging here, said once on stderr.
  let failed = false;
  destination.on('error', (err: NodeJS.ErrnoException) => {
    if (failed || err.code === 'EPIPE') {
      return;
    }
    failed = true;
    destination.write = () => true;
    process.stderr.write(
      `payouts: cannot write logs to ${opts.file ?? 'stderr'} (${err.code ?? err.message}); continuing without logs\n`,
    );
  });
  return pino(
    { level: opts.level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}
