import type { Database } from '../db/client.js';
import { defaultRateLimits, type RateLimits } from '../lib/rate-limit-policy.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { NationalIdProtector } from '../lib/national-id.js';
import { developmentKeySealer, type KeySealer } from '../lib/key-sealer.js';
import type { ReportPeriod } from './equity/report-period.js';
import type { NoticeChannels } from './notices/notice-channel.js';

/** What every feature module receives. No module keeps state of its own. */
export interface ServiceDeps {
  database: Database;
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  nationalIds: NationalIdProtector;
  /** Seals the schemes' private signing keys; the running service always passes the configured one, tests may leave it out. */
  keySealer?: KeySealer;
  policy?: Partial<Policy>;
  /** How learner notices are sent (noticeChannelsFromConfig); only the worker needs them. */
  noticeChannels?: NoticeChannels;
}

/** Thresholds an operator may tune. */
export interface Policy {
  /** More claims than this from one provider in an hour go to review. */
  claimBurstPerHour: number;
  /** A payment line the bank has not reported this many days after its batch is an exception. */
  unseenPaymentDays: number;
  /**
   * The treasury's disbursement account per currency: the debtor written into
   * payment files, and the only account whose bank statements are accepted.
   */
  treasuryAccounts: Partial<Record<string, TreasuryAccount>>;
  /**
   * A clawback or recovery of more than this (minor units, per currency)
   * takes a second officer. A currency not listed always takes two.
   */
  fourEyesAbove: Partial<Record<string, bigint>>;
  /**
   * Requests allowed per window (src/lib/rate-limit-policy.ts): eligibility checks
   * and learner look-ups per caller, failed authentications per client
   * address. 0 points: no limit.
   */
  rateLimits: RateLimits;
  /**
   * The service's public base URL (PUBLIC_URL): links it hands out (a
   * learner's share link) start with it. Unset (development), they follow the
   * request's own host.
   */
  publicUrl?: string;
  /**
   * The periods the equity report is published for (EQUITY_REPORT_PERIOD):
   * any asOf answers for the last one closed by then.
   */
  equityReportPeriod: ReportPeriod;
  /**
   * WEBHOOKS_ALLOW_LOCAL (development and tests only, refused in production):
   * a webhook endpoint may be http(s)://127.0.0.1:<port>.
   */
  webhooksAllowLocal: boolean;
  /**
   * Days after a learner's last activity after which the retention task
   * erases their personal data (RETENTION_DAYS_AFTER_LAST_ACTIVITY); 0: never.
   */
  retentionDaysAfterLastActivity: number;
}

/** A bank account the treasury pays from: an IBAN or a local account number, and the bank's BIC. */
export interface TreasuryAccount {
  name: string;
  iban?: string;
  accountNumber?: string;
  bic: string;
}

export const defaultPolicy: Policy = {
  fourEyesAbove: { SGD: 100_000n, EUR: 100_000n, MYR: 300_000n, USD: 100_000n, IDR: 200_000_000n },
  claimBurstPerHour: 100,
  unseenPaymentDays: 5,
  equityReportPeriod: 'month',
  webhooksAllowLocal: false,
  // Seven years, a common period for keeping financial records; a deployment sets what its law asks.
  retentionDaysAfterLastActivity: 2555,
  rateLimits: defaultRateLimits,
  // Demo accounts for development and tests; production sets TREASURY_ACCOUNTS.
  treasuryAccounts: {
    SGD: { name: 'Learning Credits Treasury SG', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' },
    IDR: { name: 'Learning Credits Treasury ID', accountNumber: '1230004567890', bic: 'BMRIIDJAXXX' },
    EUR: { name: 'Learning Credits Treasury EU', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPPXXX' },
  },
};
export const policyOf = (deps: ServiceDeps): Policy => ({ ...defaultPolicy, ...deps.policy });

/** The key sealer of these dependencies: the configured one, or in tests the development one. */
export const keySealerOf = (deps: ServiceDeps): KeySealer => deps.keySealer ?? developmentKeySealer();
