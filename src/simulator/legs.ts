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
 *
 * They are kept in a LegTable (leg-table.ts); the types here are a leg as read back (viewOf), for
 * rendering. The rules that decide how a leg settles read the table.
 */
import { SIMULATOR, type TransferClearing, type TransferStatus } from '../dwolla/types.js';
import { findFundingSource, type Owner, type SimFundingSource } from './funding-sources.js';
import type { LegTable, Side, StoredFailure } from './leg-table.js';
import type { AchReturnCode } from './returns.js';
import type { ValidTransfer } from './validate-transfer.js';

/** Why a leg failed: the return code and the bank funding source it struck. */
export interface LegFailure {
  code: AchReturnCode;
  fundingSource: SimFundingSource;
}

interface LegBase {
  /** Where the store keeps it. */
  row: number;
  id: string;
  createdMs: number;
  amountCents: bigint;
  status: TransferStatus;
  failure?: LegFailure;
}

/** Another leg of the same transfer, by id and status. */
interface LegRef {
  row: number;
  id: string;
  status: TransferStatus;
}

/** The transfer `POST /transfers` created: the single leg, or leg 1 of a chain. */
export interface StoredTransfer extends ValidTransfer, LegBase {
  kind: 'created';
  idempotencyKey?: string;
  /** Until when Dwolla allows a cancel (business-days.ts). */
  cancelDeadlineMs: number;
  /** Leg 2, when the source is a bank. */
  funded?: LegRef;
  feeTransfers: LegRef[];
}

interface FundedLeg extends LegBase {
  kind: 'funded';
  source: SimFundingSource;
  destination: SimFundingSource;
  /** Leg 1, and the clearing its request asked for. */
  origin: { id: string; clearing?: TransferClearing };
}

interface FeeLeg extends LegBase {
  kind: 'fee';
  /** The customer charged. */
  chargeTo: string;
  origin: { id: string };
}

export type Leg = StoredTransfer | FundedLeg | FeeLeg;

const ACCOUNT: Owner = { kind: 'account', id: SIMULATOR.accountId };
const SIDES: readonly Side[] = ['source', 'destination'];

/** A funding source by id, as it was when the transfer was created (none is removed then). */
function fundingSource(id: string): SimFundingSource {
  const fs = findFundingSource(id, () => false);
  if (!fs) {
    throw new Error(`${id} is not a funding source`);
  }
  return fs;
}

/**
 * The balance leg 2 is funded from. Dwolla uses the balance of the source's owner; the simulator
 * simplifies it to the account's balance (`SIMULATOR.defaultSourceId`) whoever owns the source bank.
 */
function accountBalance(): SimFundingSource {
  return fundingSource(SIMULATOR.defaultSourceId);
}

/**
 * Whether a transfer from this source is a chain: a bank source (the brief's simplification of
 * Dwolla's hops), except a bank sending to the account's own balance, which is one hop.
 */
export function isChain(valid: ValidTransfer): boolean {
  return valid.source.type === 'bank' && valid.destination.id !== SIMULATOR.defaultSourceId;
}

/** The funding source at one end of a created transfer. */
export function endOf(legs: LegTable, tx: number, side: Side): SimFundingSource {
  return fundingSource(legs.end(tx, side));
}

/** Who sends and who receives: the funding sources' owners, or for a fee the charged customer and the account. */
export function partiesOf(leg: Leg): { source: Owner; destination: Owner } {
  if (leg.kind === 'fee') {
    return { source: { kind: 'customer', id: leg.chargeTo }, destination: ACCOUNT };
  }
  return { source: leg.source.owner, destination: leg.destination.owner };
}

/** partiesOf, read from the table (no view built). */
export function partiesOfRow(legs: LegTable, row: number): { source: Owner; destination: Owner } {
  const tx = legs.transferOf(row);
  switch (legs.kind(row)) {
    case 'fee':
      return { source: { kind: 'customer', id: legs.chargeTo(row) }, destination: ACCOUNT };
    case 'funded':
      return { source: accountBalance().owner, destination: endOf(legs, tx, 'destination').owner };
    default:
      return { source: endOf(legs, tx, 'source').owner, destination: endOf(legs, tx, 'destination').owner };
  }
}

/** The ends of the transfer where an ACH return on this money leg (created or leg 2) can come from: its bank sides. */
export function bankSidesOf(legs: LegTable, row: number): Side[] {
  const tx = legs.transferOf(row);
  if (legs.kind(row) === 'funded') {
    return ['destination'];
  }
  if (legs.fundedRow(tx) !== undefined) {
    return ['source'];
  }
  return SIDES.filter((side) => endOf(legs, tx, side).type === 'bank');
}

/** The return this money leg meets when processed: a staged one, or its bank side's sandbox return code. */
export function returnOf(legs: LegTable, row: number): StoredFailure | undefined {
  const tx = legs.transferOf(row);
  const sides = bankSidesOf(legs, row);
  const special = sides.find((side) => endOf(legs, tx, side).returnCode !== undefined);
  const bank = special ?? sides[0];
  const staged = legs.stagedReturn(row);
  if (staged && bank) {
    return { code: staged, side: bank };
  }
  const sandboxCode = special === undefined ? undefined : endOf(legs, tx, special).returnCode;
  if (special && sandboxCode) {
    return { code: sandboxCode, side: special };
  }
  return undefined;
}

function refOf(legs: LegTable, row: number): LegRef {
  return { row, id: legs.id(row), status: legs.status(row) };
}

function baseOf(legs: LegTable, row: number): LegBase {
  const tx = legs.transferOf(row);
  const base: LegBase = {
    ...refOf(legs, row),
    createdMs: legs.createdMs(tx),
    amountCents: legs.amountCents(row),
  };
  const failure = legs.failure(row);
  if (failure) {
    base.failure = { code: failure.code, fundingSource: endOf(legs, tx, failure.side) };
  }
  return base;
}

function createdView(legs: LegTable, tx: number, base: LegBase): StoredTransfer {
  const feeRows = legs.feeRows(tx);
  const funded = legs.fundedRow(tx);
  const { metadata, addenda, chargeTo } = legs.requested(tx);
  return {
    ...base,
    kind: 'created',
    source: endOf(legs, tx, 'source'),
    destination: endOf(legs, tx, 'destination'),
    metadata,
    correlationId: legs.correlationId(tx),
    clearing: legs.clearing(tx),
    addenda,
    fees: feeRows.map((row, i) => ({ chargeTo: chargeTo[i] ?? '', amountCents: legs.amountCents(row) })),
    idempotencyKey: legs.idempotencyKey(tx),
    cancelDeadlineMs: legs.cancelDeadlineMs(tx),
    funded: funded === undefined ? undefined : refOf(legs, funded),
    feeTransfers: feeRows.map((row) => refOf(legs, row)),
  };
}

/** A leg as read back now: a snapshot, for rendering. */
export function viewOf(legs: LegTable, row: number): Leg {
  const tx = legs.transferOf(row);
  const base = baseOf(legs, row);
  switch (legs.kind(row)) {
    case 'funded':
      return {
        ...base,
        kind: 'funded',
        source: accountBalance(),
        destination: endOf(legs, tx, 'destination'),
        origin: { id: legs.id(legs.row(tx)), clearing: legs.clearing(tx) },
      };
    case 'fee':
      return { ...base, kind: 'fee', chargeTo: legs.chargeTo(row), origin: { id: legs.id(legs.row(tx)) } };
    default:
      return createdView(legs, tx, base);
  }
}
