import type { Database } from '../db/client.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { NationalIdProtector } from '../lib/national-id.js';

/** What every feature module receives. No module keeps state of its own. */
export interface ServiceDeps {
  database: Database;
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  nationalIds: NationalIdProtector;
  policy?: Partial<Policy>;
}

/** Thresholds an operator may tune. */
export interface Policy {
  /** More claims than this from one provider in an hour go to review. */
  claimBurstPerHour: number;
  /** A payment line the bank has not reported this many days after its batch is an exception. */
  unseenPaymentDays: number;
  /** The account disbursements are paid from, as written into payment files. */
  treasuryDebtor: { name: string; iban?: string; bic?: string; accountNumber?: string; bankCode?: string };
}

export const defaultPolicy: Policy = {
  claimBurstPerHour: 100,
  unseenPaymentDays: 5,
  treasuryDebtor: { name: 'Learning Credits Treasury', accountNumber: 'TREASURY-DISBURSEMENT' },
};
export const policyOf = (deps: ServiceDeps): Policy => ({ ...defaultPolicy, ...deps.policy });
