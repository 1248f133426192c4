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

type Reached = Partial<Record<TrackerStep, Date | null>>;

/** The steps an enrolment reached by the consent, the same for every course. */
const consentReached = (e: TrackedEnrolment): Reached =>
  e.reservedAt ? { requested: e.requestedAt, consented: e.reservedAt, reserved: e.reservedAt } : { requested: e.requestedAt };

const isEnded = (e: TrackedEnrolment) => (ended as readonly string[]).includes(e.status);
const endWhy = (e: TrackedEnrolment): MessageKey => endKeys[e.endReasonCode ?? ''] ?? 'track.end.other';
const refusalsOf = (claim: ClaimRow): MessageKey[] => [...new Set((claim.failedChecks as string[]).map((c) => refusalKeys[c as ClaimFailure] ?? 'track.refused.other'))];

function stepsOf(reached: Reached, stopped: TrackerStep | undefined, final: boolean): Tracked['steps'] {
  const firstOpen = trackerSteps.find((s) => !(s in reached));
  return trackerSteps.map((step) => ({
    step,
    state: (step in reached ? 'done' : step === stopped ? 'stopped' : !final && step === firstOpen && !stopped ? 'current' : 'todo') as StepState,
    at: reached[step] ?? null,
  }));
}

/** The deadline that comes next: the learner's answer, an officer's decision on a held claim, or the close of the claim window while a claim is still due. */
function nextOf(e: TrackedEnrolment, decideBy: string | undefined, claimDue: boolean): Tracked['next'] {
  if (e.status === 'requested' && e.consentDeadline) return { key: 'track.next.consent', at: e.consentDeadline };
  if (decideBy) return { key: 'track.next.decision', at: new Date(decideBy) };
  if (e.claimWindowEnds && claimDue) return { key: 'track.next.claim', at: e.claimWindowEnds };
  return null;
}

/**
 * Where one enrolment and its latest claim stand, from what the services
 * already decided: the steps done, the one it waits at, why it stopped or is
 * held, and the deadline that comes next.
 */
export function track(e: TrackedEnrolment, claim: ClaimRow | undefined, hold: ClaimHold | null): Tracked {
  const reached = consentReached(e);
  if (claim) reached.submitted = claim.submittedAt;
  const decided = claim && (claim.status === 'approved' || claim.status === 'paid' || claim.status === 'reversed');
  if (decided && !hold) Object.assign(reached, { review: claim.decidedAt, approved: claim.decidedAt });
  if (claim?.status === 'paid' || (claim?.status === 'reversed' && claim.paidAt)) reached.paid = claim.paidAt;

  const why: MessageKey[] = [];
  let stopped: TrackerStep | undefined;
  let final = false;
  if (isEnded(e)) {
    final = true;
    stopped = e.reservedAt ? 'submitted' : 'consented';
    why.push(endWhy(e));
  } else if (claim?.status === 'rejected') {
    // Not final: the provider may send a corrected claim until the claim window closes.
    stopped = 'review';
    why.push(...refusalsOf(claim));
  } else if (claim?.status === 'reversed') {
    final = true;
    why.push('track.reversed');
  } else if (claim?.status === 'paid') {
    final = true;
  }
  if (hold) why.push(holdKeys[hold.reasonCode]);
  return { steps: stepsOf(reached, stopped, final), why, next: nextOf(e, hold?.decideBy, !claim || claim.status === 'rejected'), final };
}

export type ModuleState = 'waiting' | 'checking' | 'approved' | 'paid' | 'refused' | 'reversed';

export const moduleStateKeys: Record<ModuleState, MessageKey> = {
  waiting: 'track.module.waiting', checking: 'track.module.checking', approved: 'track.step.approved', paid: 'track.step.paid',
  refused: 'track.step.refused', reversed: 'track.module.reversed',
};

export interface TrackedModule {
  ordinal: number;
  title: string;
  state: ModuleState;
  claim: ClaimRow | undefined;
  /** Why its claim was refused or is held, in plain words. */
  why: MessageKey[];
}

const moduleStateOf = (claim: ClaimRow | undefined, hold: ClaimHold | null): ModuleState => {
  if (!claim) return 'waiting';
  if (claim.status === 'rejected') return 'refused';
  if (claim.status === 'in_review' || hold) return 'checking';
  return claim.status;
};

/**
 * Where an enrolment on a modular course stands, from every module's latest
 * claim and the enrolment's status: each module on its own line; the claim
 * sent once every module has one standing, approved only once the service
 * completed the enrolment (every module approved), paid and final only once
 * every module is paid.
 */
export function trackModular(
  e: TrackedEnrolment, modules: readonly { title: string }[], claims: ReadonlyMap<number, ClaimRow>, holds: ReadonlyMap<string, ClaimHold>,
): Tracked & { modules: TrackedModule[] } {
  const tracked = modules.map((m, i): TrackedModule => {
    const claim = claims.get(i + 1);
    const hold = (claim && holds.get(claim.id)) ?? null;
    const why = [...(claim?.status === 'rejected' ? refusalsOf(claim) : []), ...(claim?.status === 'reversed' ? ['track.reversed' as const] : []), ...(hold ? [holdKeys[hold.reasonCode]] : [])];
    return { ordinal: i + 1, title: m.title, state: moduleStateOf(claim, hold), claim, why };
  });
  const sent = tracked.flatMap((m) => (m.claim ? [m.claim] : []));
  const latest = (dates: (Date | null)[]) => dates.reduce<Date | null>((a, d) => (d && (!a || d > a) ? d : a), null);
  const reached = consentReached(e);
  // Sent once every module has a claim standing; until then the tracker waits for the provider's next claim.
  if (tracked.every((m) => m.claim && m.state !== 'refused')) reached.submitted = latest(sent.map((c) => c.submittedAt));
  const completed = e.status === 'completed';
  if (completed) Object.assign(reached, { review: latest(sent.map((c) => c.decidedAt)), approved: latest(sent.map((c) => c.decidedAt)) });
  const allPaid = completed && tracked.every((m) => m.state === 'paid' || (m.state === 'reversed' && m.claim?.paidAt));
  if (allPaid) reached.paid = latest(sent.map((c) => c.paidAt));

  const why: MessageKey[] = [];
  let stopped: TrackerStep | undefined;
  const final = isEnded(e) || allPaid;
  if (isEnded(e)) {
    stopped = e.reservedAt ? 'submitted' : 'consented';
    why.push(endWhy(e));
  }
  const decideBy = tracked.flatMap((m) => {
    const hold = m.claim && holds.get(m.claim.id);
    return hold ? [hold.decideBy] : [];
  }).sort()[0];
  const claimDue = tracked.some((m) => m.state === 'waiting' || m.state === 'refused');
  return { steps: stepsOf(reached, stopped, final), why, next: nextOf(e, decideBy, claimDue), final, modules: tracked };
}
