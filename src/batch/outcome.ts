/**
 * What became of a row's transfer: the one description of it that submission returns, that the
 * journal records (an OutcomeRecord is a settled outcome in the record envelope) and that the
 * results show (its fields are named as the results columns they fill).
 */
import type { ClearingColumns } from '../plan/clearing.js';

interface Outcome<S extends string> extends Partial<ClearingColumns> {
  status: S;
  attempts: number;
  transferUrl?: string;
  transferId?: string;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  /** `post`: the POST's answer; `lookup`: found by correlationId on a rerun. */
  via?: 'post' | 'lookup';
}

/** An outcome once Dwolla answered (or retries ran out): the journal records it. */
export type SettledOutcome = Outcome<'created' | 'failed' | 'unresolved'>;

/**
 * What became of a row in this run. `pending`: not attempted (stopped, or its source could not be
 * checked); never journalled.
 */
export type RowOutcome = SettledOutcome | Outcome<'pending'>;
