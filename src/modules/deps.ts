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
}

export const defaultPolicy: Policy = { claimBurstPerHour: 100 };
export const policyOf = (deps: ServiceDeps): Policy => ({ ...defaultPolicy, ...deps.policy });
