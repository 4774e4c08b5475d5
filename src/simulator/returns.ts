/**
 * ACH return codes the simulator can fail a transfer leg with, with the description and
 * explanation of Dwolla's transfer failure resource (OpenAPI getTransferFailureReason; Dwolla's
 * "Transfer failures" return-code table). A leg fails with one when its bank side is a sandbox
 * return source (R01/R03, funding-sources.ts) or when a return was staged on it (admin
 * `POST /__simulator/returns`, `SimulatorHandle.stageReturn`).
 */

export type AchReturnCode = 'R01' | 'R02' | 'R03';

export const ACH_RETURNS: Readonly<Record<AchReturnCode, { description: string; explanation: string }>> = {
  R01: {
    description: 'Insufficient Funds',
    explanation: 'Available balance is not sufficient to cover the dollar value of the debit entry.',
  },
  R02: {
    description: 'Account Closed',
    explanation: 'Previously active account has been closed by customer or RDFI.',
  },
  R03: {
    description: 'No Account/Unable to Locate Account',
    explanation: 'The account number does not correspond to the individual identified in the entry or a valid account.',
  },
};

export function isAchReturnCode(value: unknown): value is AchReturnCode {
  return typeof value === 'string' && Object.hasOwn(ACH_RETURNS, value);
}

/** Dwolla removes a bank funding source once a return with one of these codes struck a transfer from or to it. */
export function removesBank(code: AchReturnCode): boolean {
  return code === 'R03';
}
