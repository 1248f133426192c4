import type { ClaimFailure, ClaimRow } from '../../modules/claims/claims.service.js';
import type { ClaimHold } from '../../modules/claims/holds.js';
import type { HoldReasonCode } from '../../modules/claims/hold-reasons.js';
import type { learnerEnrolmentsOverview } from '../../modules/enrolments/enrolments.service.js';
import type { MessageKey } from '../messages/catalogue.js';

export type TrackedEnrolment = Awaited<ReturnType<typeof learnerEnrolmentsOverview>>[number];

export const trackerSteps = ['requested', 'consented', 'reserved', 'submitted', 'review', 'approved', 'paid'] as const;
export type TrackerStep = (typeof trackerSteps)[number];
export type StepState = 'done' | 'current' | 'todo' | 'stopped';

export interface Tracked {
  steps: { step: TrackerStep; state: StepState; at: Date | null }[];
  /** Why it stopped, was refused, reversed or is held: message keys of plain words. */
  why: MessageKey[];
  next: { key: MessageKey; at: Date } | null;
  /** Nothing will change any more: the page stops refreshing it. */
  final: boolean;
}

export const stepKeys: Record<TrackerStep, MessageKey> = {
  requested: 'track.step.requested', consented: 'track.step.consented', reserved: 'track.step.reserved', submitted: 'track.step.submitted',
  review: 'track.step.review', approved: 'track.step.approved', paid: 'track.step.paid',
};

export const holdKeys: Record<HoldReasonCode, MessageKey> = {
  completed_before_run_end: 'track.hold.completed_before_run_end', provider_claim_burst: 'track.hold.provider_claim_burst',
  overlapping_completions: 'track.hold.overlapping_completions', held_for_review: 'track.hold.held_for_review',
  flagged_by_officer: 'track.hold.flagged_by_officer', credential_revoked: 'track.hold.credential_revoked', provider_suspended: 'track.hold.provider_suspended',
};

/** Each reason a claim is refused, grouped into words a learner can act on. */
export const refusalKeys: Record<ClaimFailure, MessageKey> = {
  credential_malformed: 'track.refused.unreadable', algorithm_not_allowed: 'track.refused.unreadable', signing_key_unknown: 'track.refused.unreadable',
  signature_invalid: 'track.refused.unreadable', issuer_mismatch: 'track.refused.unreadable', subject_mismatch: 'track.refused.someoneElse',
  achievement_mismatch: 'track.refused.otherCourse', achievement_level_mismatch: 'track.refused.otherCourse', achievement_workload_mismatch: 'track.refused.otherCourse',
  issued_before_run_start: 'track.refused.dates', issued_in_future: 'track.refused.dates', not_yet_valid: 'track.refused.dates', expired: 'track.refused.dates',
  result_missing: 'track.refused.notPassed', result_failed: 'track.refused.notPassed', credential_revoked: 'track.refused.revoked',
  credential_already_used: 'track.refused.alreadyUsed', attendance_missing: 'track.refused.attendance', attendance_below_minimum: 'track.refused.attendance',
  claim_window_closed: 'track.refused.windowClosed',
};

/** Why an enrolment ended, by the code its end reason starts with. */
export const endKeys: Record<string, MessageKey> = {
  declined_by_learner: 'track.end.declined_by_learner', cancelled_by_learner: 'track.end.cancelled_by_learner',
  withdrawn_by_provider: 'track.end.withdrawn_by_provider', run_cancelled: 'track.end.run_cancelled', consent_lapsed: 'track.end.consent_lapsed',
  reservation_timed_out: 'track.end.reservation_timed_out',
};

const ended = ['declined', 'withdrawn', 'expired'] as const;

/**
 * Where one enrolment and its latest claim stand, from what the services
 * already decided: the steps done, the one it waits at, why it stopped or is
 * held, and the deadline that comes next.
 */
export function track(e: TrackedEnrolment, claim: ClaimRow | undefined, hold: ClaimHold | null): Tracked {
  const reached: Partial<Record<TrackerStep, Date | null>> = { requested: e.requestedAt };
  if (e.reservedAt) Object.assign(reached, { consented: e.reservedAt, reserved: e.reservedAt });
  if (claim) reached.submitted = claim.submittedAt;
  const decided = claim && (claim.status === 'approved' || claim.status === 'paid' || claim.status === 'reversed');
  if (decided && !hold) Object.assign(reached, { review: claim.decidedAt, approved: claim.decidedAt });
  if (claim?.status === 'paid' || (claim?.status === 'reversed' && claim.paidAt)) reached.paid = claim.paidAt;

  const why: MessageKey[] = [];
  let stopped: TrackerStep | undefined;
  let final = false;
  if ((ended as readonly string[]).includes(e.status)) {
    final = true;
    stopped = e.reservedAt ? 'submitted' : 'consented';
    why.push(endKeys[e.endReasonCode ?? ''] ?? 'track.end.other');
  } else if (claim?.status === 'rejected') {
    // Not final: the provider may send a corrected claim until the claim window closes.
    stopped = 'review';
    why.push(...new Set((claim.failedChecks as string[]).map((c) => refusalKeys[c as ClaimFailure] ?? 'track.refused.other')));
  } else if (claim?.status === 'reversed') {
    final = true;
    why.push('track.reversed');
  } else if (claim?.status === 'paid') {
    final = true;
  }
  if (hold) why.push(holdKeys[hold.reasonCode]);

  const firstOpen = trackerSteps.find((s) => !(s in reached));
  const steps = trackerSteps.map((step) => ({
    step,
    state: (step in reached ? 'done' : step === stopped ? 'stopped' : !final && step === firstOpen && !stopped ? 'current' : 'todo') as StepState,
    at: reached[step] ?? null,
  }));

  const next = e.status === 'requested' && e.consentDeadline
    ? { key: 'track.next.consent' as const, at: e.consentDeadline }
    : hold
      ? { key: 'track.next.decision' as const, at: new Date(hold.decideBy) }
      : e.claimWindowEnds && (!claim || claim.status === 'rejected')
        ? { key: 'track.next.claim' as const, at: e.claimWindowEnds }
        : null;
  return { steps, why, next, final };
}
