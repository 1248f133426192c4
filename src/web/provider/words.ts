import type { claimStatuses, enrolmentStatuses, reversalReasonCodes, settlementKinds } from '../../db/schema/index.js';
import type { ClaimFailure } from '../../modules/claims/claims.service.js';
import type { HoldReasonCode } from '../../modules/claims/hold-reasons.js';
import type { ReasonCode } from '../../modules/eligibility/eligibility.types.js';
import type { MessageKey } from '../messages/catalogue.js';

/** The provider desk's words for each code the services answer with: every code named here, so a new one fails typecheck. */
export const enrolmentStatusWords: Record<(typeof enrolmentStatuses)[number], MessageKey> = {
  requested: 'provider.enrolmentStatus.requested', reserved: 'provider.enrolmentStatus.reserved', claimed: 'provider.enrolmentStatus.claimed',
  completed: 'provider.enrolmentStatus.completed', declined: 'provider.enrolmentStatus.declined', withdrawn: 'provider.enrolmentStatus.withdrawn',
  expired: 'provider.enrolmentStatus.expired',
};

export const claimStatusWords: Record<(typeof claimStatuses)[number], MessageKey> = {
  approved: 'provider.claimStatus.approved', rejected: 'provider.claimStatus.rejected', in_review: 'provider.claimStatus.in_review',
  paid: 'provider.claimStatus.paid', reversed: 'provider.claimStatus.reversed',
};

export const holdWords: Record<HoldReasonCode, MessageKey> = {
  completed_before_run_end: 'provider.hold.completed_before_run_end', provider_claim_burst: 'provider.hold.provider_claim_burst',
  overlapping_completions: 'provider.hold.overlapping_completions', held_for_review: 'provider.hold.held_for_review',
  flagged_by_officer: 'provider.hold.flagged_by_officer', credential_revoked: 'provider.hold.credential_revoked',
  provider_suspended: 'provider.hold.provider_suspended',
};

export const failureWords: Record<ClaimFailure, MessageKey> = {
  credential_malformed: 'provider.failure.credential_malformed', algorithm_not_allowed: 'provider.failure.algorithm_not_allowed',
  signing_key_unknown: 'provider.failure.signing_key_unknown', signature_invalid: 'provider.failure.signature_invalid',
  issuer_mismatch: 'provider.failure.issuer_mismatch', subject_mismatch: 'provider.failure.subject_mismatch',
  achievement_mismatch: 'provider.failure.achievement_mismatch', issued_before_run_start: 'provider.failure.issued_before_run_start',
  issued_in_future: 'provider.failure.issued_in_future', not_yet_valid: 'provider.failure.not_yet_valid', expired: 'provider.failure.expired',
  result_missing: 'provider.failure.result_missing', result_failed: 'provider.failure.result_failed',
  achievement_level_mismatch: 'provider.failure.achievement_level_mismatch', achievement_workload_mismatch: 'provider.failure.achievement_workload_mismatch',
  credential_revoked: 'provider.failure.credential_revoked', credential_already_used: 'provider.failure.credential_already_used',
  attendance_missing: 'provider.failure.attendance_missing', attendance_below_minimum: 'provider.failure.attendance_below_minimum',
  claim_window_closed: 'provider.failure.claim_window_closed',
};

/** Why a learner cannot be enrolled, told to the provider (the citizen portal tells the learner in their own words). */
export const eligibilityWords: Record<ReasonCode, MessageKey> = {
  run_cancelled: 'provider.reason.run_cancelled', run_already_started: 'provider.reason.run_already_started', run_full: 'provider.reason.run_full',
  provider_suspended: 'provider.reason.provider_suspended', already_enrolled: 'provider.reason.already_enrolled',
  no_grant_for_scheme: 'provider.reason.no_grant_for_scheme', scheme_closed: 'provider.reason.scheme_closed',
  currency_mismatch: 'provider.reason.currency_mismatch', citizenship_not_eligible: 'provider.reason.citizenship_not_eligible',
  age_out_of_band: 'provider.reason.age_out_of_band', employment_status_not_eligible: 'provider.reason.employment_status_not_eligible',
  income_group_not_eligible: 'provider.reason.income_group_not_eligible', course_not_approved_for_scheme: 'provider.reason.course_not_approved_for_scheme',
  course_category_not_eligible: 'provider.reason.course_category_not_eligible', grant_expired: 'provider.reason.grant_expired',
  first_use_deadline_passed: 'provider.reason.first_use_deadline_passed', insufficient_credit: 'provider.reason.insufficient_credit',
};

export const reversalWords: Record<(typeof reversalReasonCodes)[number], MessageKey> = {
  fraud: 'provider.reversal.fraud', no_completion: 'provider.reversal.no_completion', attendance_not_met: 'provider.reversal.attendance_not_met',
  duplicate_claim: 'provider.reversal.duplicate_claim', credential_revoked: 'provider.reversal.credential_revoked',
  provider_error: 'provider.reversal.provider_error', other: 'provider.reversal.other',
};

/** How part of a recovery was settled: {{amount}}, and {{reference}} the payment line it was netted against or repaid on. */
export const settlementWords: Record<(typeof settlementKinds)[number], MessageKey> = {
  netting: 'provider.settlement.netting', refund: 'provider.settlement.refund', return: 'provider.settlement.return', repayment: 'provider.settlement.repayment',
};

/** A code's words, or the fallback when the code is one this page does not know yet. */
export const wordsOf = <K extends string>(table: Record<K, MessageKey>, code: string, fallback: MessageKey): MessageKey =>
  Object.hasOwn(table, code) ? table[code as K] : fallback;
