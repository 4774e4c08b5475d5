/**
 * Errors that make a whole run a usage error (exit 2, nothing sent): options that cannot be
 * used, and an input file that cannot be read as CSV. Each has a stable `code` and, where it
 * applies, the line of the input it concerns (in the manner of csv-parse's CsvError).
 */

export type UsageErrorCode =
  | 'USAGE'
  | 'INPUT_UNREADABLE'
  | 'INPUT_NOT_UTF8'
  | 'INPUT_EMPTY'
  | 'INPUT_MISSING_COLUMN'
  | 'INPUT_BAD_HEADER'
  | 'INPUT_MALFORMED';

export class UsageError extends Error {
  readonly code: UsageErrorCode;
  readonly line: number | undefined;

  constructor(code: UsageErrorCode, message: string, line?: number) {
    super(message);
    this.name = 'UsageError';
    this.code = code;
    this.line = line;
  }
}
