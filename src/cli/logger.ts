/**
 * pino JSON logs, to stderr or to --log-file. Secrets are redacted by path as a second line of
 * defence: the code never passes them to the logger in the first place.
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
  return pino(
    { level: opts.level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}
