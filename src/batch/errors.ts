/**
 * Errors about a batch's state that end a command before it sends anything: another run holds
 * the batch, its journal is damaged, its input file changed without --resume, it was completed
 * on an earlier day, its file is another batch's, a balance source holds less than the run
 * would send from it, --strict and an invalid row, or a plan that is not the approved one
 * (--approve, --require-approval: src/batch/approval.ts). Each has a
 * stable `code` (in the manner of csv-parse's CsvError); src/cli/exit-codes.ts maps them to exit
 * codes (BATCH_LOCKED → 4, the others → 2).
 */

export type BatchStateErrorCode =
  | 'BATCH_LOCKED'
  | 'BATCH_CORRUPT'
  | 'BATCH_INPUT_CHANGED'
  | 'BATCH_ALREADY_PAID'
  | 'BATCH_SAME_FILE'
  | 'BATCH_BALANCE_SHORTFALL'
  | 'BATCH_INVALID_ROWS'
  | 'BATCH_NOT_APPROVED';

export class BatchStateError extends Error {
  readonly code: BatchStateErrorCode;

  constructor(code: BatchStateErrorCode, message: string) {
    super(message);
    this.name = 'BatchStateError';
    this.code = code;
  }
}
