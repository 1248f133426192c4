import type { SchemeRules } from '../schemes/scheme-rules.js';
import type { EquityFacts } from '../schemes/targeting.js';

/**
 * Everything the eligibility decision reads, gathered by the caller. The
 * decision itself (evaluateEligibility) is a pure function of this.
 */
export interface EligibilityInput {
  at: Date;
  learner: {
    id: string;
    dateOfBirth: string; // YYYY-MM-DD
    citizenship: string;
    employmentStatus: string;
    incomeGroup: string;
    /** The equity profile in force at `at` (what targeting rules read); absent or null fields: not stated. */
    equity?: EquityFacts;
  };
  run: {
    id: string;
    courseId: string;
    providerId: string;
    startsAt: Date;
    endsAt: Date;
    fee: bigint;
    currency: string;
    capacity: number;
    seatsTaken: number;
    status: 'scheduled' | 'cancelled';
  };
  course: { id: string; category: string; approvedSchemeIds: string[] };
  provider: { id: string; status: 'active' | 'suspended' };
  /** Schemes under which the learner holds at least one grant. */
  schemes: { id: string; name: string; currency: string; status: 'active' | 'closed'; rules: SchemeRules; rulesVersion: number }[];
  /** The learner's grants with what is available on each now. */
  grants: {
    id: string;
    schemeId: string;
    currency: string;
    available: bigint;
    expiresAt: Date | null;
    firstUseDeadline: Date | null;
    firstUsedAt: Date | null;
    status: 'active' | 'expired' | 'revoked';
    grantedAt: Date;
  }[];
  /** True when the learner already has a live enrolment on this run (other than the one being decided). */
  alreadyEnrolled: boolean;
}

export type ReasonCode =
  | 'run_cancelled'
  | 'run_already_started'
  | 'run_full'
  | 'provider_suspended'
  | 'already_enrolled'
  | 'no_grant_for_scheme'
  | 'scheme_closed'
  | 'currency_mismatch'
  | 'citizenship_not_eligible'
  | 'age_out_of_band'
  | 'employment_status_not_eligible'
  | 'income_group_not_eligible'
  | 'course_not_approved_for_scheme'
  | 'course_category_not_eligible'
  | 'grant_expired'
  | 'first_use_deadline_passed'
  | 'insufficient_credit';

export interface Check {
  rule: string;
  passed: boolean;
  /** Set when the check failed: a stable code clients can switch on. */
  reason?: ReasonCode;
  /** The scheme or grant the check is about, when it is about one. */
  schemeId?: string;
  grantId?: string;
  detail: string;
}

export interface FundingLeg {
  grantId: string;
  schemeId: string;
  amount: bigint;
  /** Reservation timeout of this leg: run end + the scheme's claim window. */
  holdUntil: Date;
}

export interface FundingPlan {
  fee: bigint;
  currency: string;
  legs: FundingLeg[];
  funded: bigint;
  coPay: bigint;
  /** The most the schemes would fund if credit were unlimited (rate, cap and co-pay floor applied). */
  fundable: bigint;
  /** The co-payment floor that applied (largest among the contributing schemes). */
  coPayFloor: bigint;
  capApplied: boolean;
}

export interface EligibilityResult {
  eligible: boolean;
  /** Failure reasons in a stable order, first is the main one. Empty when eligible. */
  reasons: ReasonCode[];
  checks: Check[];
  plan: FundingPlan;
  /** Rule versions the decision used, per scheme, recorded on the enrolment. */
  ruleVersions: Record<string, number>;
  /** Per funding scheme whose targeting rule applied: the rule and the terms it gave. */
  appliedTargeting: AppliedTargeting[];
}

export interface AppliedTargeting {
  schemeId: string;
  ruleId: string;
  subsidyRateBps: number;
  capPerCourse: bigint | null;
  noCoPayment: boolean;
}
