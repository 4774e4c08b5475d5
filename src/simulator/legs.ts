/**
 * The transfers the simulator keeps, as Dwolla breaks a payout into them
 * (reference/dwolla-docs/transfer-statuses-correlation-chains.txt: "all account-to-account
 * transfers are two-sided ... broken down into hops or legs"):
 *
 * - the created transfer (`POST /transfers`, its Location): the single leg of a transfer from a
 *   balance, or leg 1 of a chain from a bank (the bank side is its source);
 * - the funded leg (leg 2) of a chain: from the account's balance to the destination, linked
 *   `funding-transfer` -> leg 1 (and leg 1 `funded-transfer` -> it);
 * - fee transfers (OpenAPI listTransferFees): one per fee of the created transfer, from the
 *   `charge-to` customer to the account.
 */
import { SIMULATOR, type TransferStatus } from '../dwolla/types.js';
import { findFundingSource, type Owner, type ReturnCode, type SimFundingSource } from './funding-sources.js';
import type { AchReturnCode } from './returns.js';
import type { ValidTransfer } from './validate-transfer.js';

/** Why a leg failed: the return code and the bank funding source it struck. */
export interface LegFailure {
  code: AchReturnCode;
  fundingSource: SimFundingSource;
}

interface LegBase {
  id: string;
  /** Creation order (newest = highest), for "newest first". */
  seq: number;
  createdMs: number;
  amountCents: bigint;
  status: TransferStatus;
  /** Since when the leg may be processed (undefined while it waits for its funding leg). */
  eligibleMs?: number;
  failure?: LegFailure;
  /** A return staged by a test, applied when the leg is next processed. */
  stagedReturn?: AchReturnCode;
}

/** The transfer `POST /transfers` created: the single leg, or leg 1 of a chain. */
export interface StoredTransfer extends ValidTransfer, LegBase {
  kind: 'created';
  idempotencyKey?: string;
  /** Until when Dwolla allows a cancel (business-days.ts). */
  cancelDeadlineMs: number;
  /** Leg 2, when the source is a bank. */
  funded?: FundedLeg;
  feeTransfers: FeeLeg[];
}

export interface FundedLeg extends LegBase {
  kind: 'funded';
  source: SimFundingSource;
  destination: SimFundingSource;
  origin: StoredTransfer;
}

export interface FeeLeg extends LegBase {
  kind: 'fee';
  /** The customer charged. */
  chargeTo: string;
  origin: StoredTransfer;
}

export type Leg = StoredTransfer | FundedLeg | FeeLeg;

/** A leg that moves money through a bank or balance funding source (not a fee). */
export type MoneyLeg = StoredTransfer | FundedLeg;

const ACCOUNT: Owner = { kind: 'account', id: SIMULATOR.accountId };

/**
 * The balance leg 2 is funded from. Dwolla uses the balance of the source's owner; the simulator
 * simplifies it to the account's balance (`SIMULATOR.defaultSourceId`) whoever owns the source bank.
 */
export function accountBalance(): SimFundingSource {
  const balance = findFundingSource(SIMULATOR.defaultSourceId, () => false);
  if (!balance) {
    throw new Error('the account balance is not a funding source');
  }
  return balance;
}

/**
 * Whether a transfer from this source is a chain: a bank source (the brief's simplification of
 * Dwolla's hops), except a bank sending to the account's own balance, which is one hop.
 */
export function isChain(valid: ValidTransfer): boolean {
  return valid.source.type === 'bank' && valid.destination.id !== SIMULATOR.defaultSourceId;
}

/** Who sends and who receives: the funding sources' owners, or for a fee the charged customer and the account. */
export function partiesOf(leg: Leg): { source: Owner; destination: Owner } {
  if (leg.kind === 'fee') {
    return { source: { kind: 'customer', id: leg.chargeTo }, destination: ACCOUNT };
  }
  return { source: leg.source.owner, destination: leg.destination.owner };
}

/** The bank funding sources an ACH return on this leg can come from. */
export function bankSidesOf(leg: MoneyLeg): SimFundingSource[] {
  if (leg.kind === 'funded') {
    return [leg.destination];
  }
  if (leg.funded) {
    return [leg.source];
  }
  return [leg.source, leg.destination].filter((fs) => fs.type === 'bank');
}

/** The return this leg meets when processed: a staged one, or its bank side's sandbox return code. */
export function returnOf(leg: MoneyLeg): LegFailure | undefined {
  const sides = bankSidesOf(leg);
  const special = sides.find((fs) => fs.returnCode !== undefined);
  const bank = special ?? sides[0];
  if (leg.stagedReturn && bank) {
    return { code: leg.stagedReturn, fundingSource: bank };
  }
  const sandboxCode: ReturnCode | undefined = special?.returnCode;
  if (special && sandboxCode) {
    return { code: sandboxCode, fundingSource: special };
  }
  return undefined;
}
