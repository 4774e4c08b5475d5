/**
 * pino JSON logs, to stderr or to --log-file. Secrets are redacted by path as a second line of
 * defence: the code never passes them to the logger in the first place. Logs are best-effort: a
 * destination that fails (a closed pipe, a full disk) never ends or changes the run.
 */
import { type Logger, pino } from 'pino';

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

export function createLogger(opts: { level: string; file?: string | undefined }): Logger {
  const destination = pino.destination({ dest: opts.file ?? 2, sync: true, mkdir: true });
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
