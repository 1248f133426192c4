/** Why a claim is held: the stable codes and the words shown with them. No imports, so schemas and rules can share them. */
export const holdReasonCodes = [
  'completed_before_run_end',
  'provider_claim_burst',
  'overlapping_completions',
  'held_for_review',
  'flagged_by_officer',
  'credential_revoked',
  'provider_suspended',
] as const;
export type HoldReasonCode = (typeof holdReasonCodes)[number];

/** The words shown with each code, to the provider as much as to finance. */
export const holdWords: Record<HoldReasonCode, string> = {
  completed_before_run_end: 'The completion credential was issued before the course run ended. A finance officer checks the evidence before the claim is paid.',
  provider_claim_burst: 'The provider sent unusually many claims within one hour. A finance officer checks them before they are paid.',
  overlapping_completions: 'The learner completed another course running at the same time on the same day. A finance officer checks both before payment.',
  held_for_review: 'The automatic checks sent this claim to review. A finance officer decides it.',
  flagged_by_officer: 'A finance officer is holding this claim for review before it is paid. Another officer decides it.',
  credential_revoked: 'The provider revoked the completion credential this claim rests on. A finance officer decides whether the claim stands.',
  provider_suspended: "The provider's account is suspended. Its approved claims are held and paid once it is reinstated.",
};
