/**
 * Errors about a batch's state that end a command before it sends anything: another run holds
 * the batch, its journal is damaged, its input file changed without --resume, it was completed
 * on an earlier day, or its file is another batch's. Each has a
 * stable `code` (in the manner of csv-parse's CsvError); src/cli/exit-codes.ts maps them to exit
 * codes (BATCH_LOCKED → 4, the others → 2).
 */

export type BatchStateErrorCode =
  | 'BATCH_LOCKED'
  | 'BATCH_CORRUPT'
  | 'BATCH_INPUT_CHANGED'
  | 'BATCH_ALREADY_PAID'
  | 'BATCH_SAME_FILE';

export class BatchStateError extends Error {
  readonly code: BatchStateErrorCode;

  constructor(code: BatchStateErrorCode, message: string) {
    super(message);
    this.name = 'BatchStateError';
    this.code = code;
  }
}
