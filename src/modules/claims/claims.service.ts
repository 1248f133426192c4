import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { claims, credentialRevocations, enrolments } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { ApprovalRow } from '../approvals/approvals.repo.js';
import { propose, type ApprovalKind } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import { verifyCredential, type CredentialFailure } from '../credentials/verify-credential.js';
import type { CourseModule } from '../../db/schema/index.js';
import { findCourse } from '../courses/courses.repo.js';
import { microCredentialOf } from '../courses/micro-credential.js';
import { accrueIncentive } from '../incentives/incentives.service.js';
import { findEnrolment, reservationsHeldOf, reservationsOf } from '../enrolments/enrolments.repo.js';
import { heldAmount } from '../enrolments/held.js';
import { keepClaimCredential } from '../learner-credentials/learner-credentials.service.js';
import { samePerson, type Acting } from '../acting.js';
import { recordCourseCompletion } from '../pathways/record-completion.js';
import { activeProviderKeys } from '../providers/providers.repo.js';
import {
  claimContext, claimsInLastHour, countClaims, credentialUse, findClaim, findClaims, isRevoked, legsInPlanOrder, listClaims, liveModuleClaims, lockCredential, moduleCountOf,
  overlappingCompletion,
  type ClaimFilter, type ClaimRow,
} from './claims.repo.js';

export type { ClaimFilter, ClaimRow };
import { refuseEscalatedHandler } from './holds.js';
import { claimEventTypeOf, recordClaimEvent } from './claim-events.js';

export type ClaimFailure =
  | CredentialFailure
  | 'credential_revoked'
  | 'credential_already_used'
  | 'attendance_missing'
  | 'attendance_below_minimum'
  | 'claim_window_closed';

export type ReviewReason = 'completed_before_run_end' | 'provider_claim_burst' | 'overlapping_completions' | 'flagged_by_officer' | 'credential_revoked_after_approval';

/** A claim for more than its enrolment has reserved: refused, naming the field and what was reserved. */
const claimAboveReservation = (reserved: bigint) =>
  new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.amount', message: `must not exceed the ${reserved} reserved` }] });

/**
 * Posts one module's reservation (the whole course's: module 0) for the
 * claimed amount, drawing the legs first-expiry-first; what is not claimed
 * goes back to the learner. One linked chain: all legs or none.
 */
/** Whether modules 1..ordinal add up to more of the price than the share of the run that had passed at `issuedAt`. */
export function moduleAheadOfRun(
  modules: readonly { shareBps: number }[], ordinal: number, issuedAt: Date, run: { runStartsAt: Date; runEndsAt: Date },
): boolean {
  const paidBps = modules.slice(0, ordinal).reduce((s, m) => s + m.shareBps, 0);
  const length = run.runEndsAt.getTime() - run.runStartsAt.getTime();
  const elapsed = Math.min(Math.max(issuedAt.getTime() - run.runStartsAt.getTime(), 0), length);
  return length <= 0 ? issuedAt < run.runEndsAt : paidBps * length > elapsed * 10_000;
}

async function payFromReservation(deps: ServiceDeps, tx: Tx, enrolmentId: string, moduleOrdinal: number, amount: bigint) {
  const legs = await legsInPlanOrder(tx, enrolmentId, moduleOrdinal);
  let remaining = amount;
  const transfers = legs.map((leg, i) => {
    const take = remaining < leg.amount ? remaining : leg.amount;
    remaining -= take;
    const linked = i < legs.length - 1;
    // A leg the claim does not reach is released whole: a void, not a payment of nothing.
    if (take === 0n) return { id: newId(), kind: 'void_pending' as const, pendingId: leg.transferId, code: 'reservation_release', referenceId: enrolmentId, linked };
    return { id: newId(), kind: 'post_pending' as const, pendingId: leg.transferId, amount: take, code: 'claim_payment', referenceId: enrolmentId, linked };
  });
  if (remaining > 0n) throw claimAboveReservation(amount - remaining);
  const results = await deps.ledger.createTransfers(tx, transfers);
  const failed = results.find((r) => r !== 'ok');
  if (failed) throw new AppError('invalid_state', `the reservation can no longer be paid: ${failed}`, { reasons: results });
}

const moduleRefused = (message: string) => new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.module', message }] });

/** The module a claim names, checked against the course: none on a course paid in one claim, one of its modules on a modular course. */
function claimedModule(course: { modules: CourseModule[] }, module: number | undefined): (CourseModule & { ordinal: number }) | undefined {
  const count = course.modules.length;
  if (count === 0) {
    if (module !== undefined) throw moduleRefused('the course is not modular: it is paid in one claim, so leave module out');
    return undefined;
  }
  if (module === undefined) throw moduleRefused(`is required: the course pays per module, so name the module (1 to ${count}) this claim is for`);
  const found = course.modules[module - 1];
  if (!found) throw moduleRefused(`the course has ${count} modules: there is no module ${module}`);
  return { ...found, ordinal: module };
}

/**
 * Where the enrolment stands once one of its claims was decided. A course
 * paid in one claim follows that claim. A modular one completes when every
 * module has an approved (or paid) claim: that is the course completion, so
 * the incentive and the pathways are evaluated then, once. Until then it is
 * claimed while any module's claim is in review (its money stays held past
 * the claim window) and reserved otherwise.
 */
async function moveEnrolmentOn(
  deps: ServiceDeps, tx: Tx, claim: Pick<ClaimRow, 'enrolmentId' | 'learnerId' | 'status'>, moduleCount: number, acting: Acting,
): Promise<void> {
  let next: 'completed' | 'claimed' | 'reserved';
  if (moduleCount === 0) {
    next = claim.status === 'approved' ? 'completed' : claim.status === 'in_review' ? 'claimed' : 'reserved';
  } else {
    // Two module claims decided at once: the second waits here and then sees the first.
    await findEnrolment(tx, claim.enrolmentId, { forUpdate: true });
    const live = await liveModuleClaims(tx, claim.enrolmentId);
    const paid = (o: number) => live.get(o) === 'approved' || live.get(o) === 'paid';
    next = Array.from({ length: moduleCount }, (_, i) => i + 1).every(paid) ? 'completed' : [...live.values()].includes('in_review') ? 'claimed' : 'reserved';
  }
  if (next !== 'completed') {
    await tx.update(enrolments).set({ status: next }).where(eq(enrolments.id, claim.enrolmentId));
    return;
  }
  await tx.update(enrolments).set({ status: 'completed', endedAt: deps.clock.now(), endReason: 'claim_approved' }).where(eq(enrolments.id, claim.enrolmentId));
  await accrueIncentive(deps, tx, claim.enrolmentId, acting);
  await recordCourseCompletion(deps, tx, { learnerId: claim.learnerId, enrolmentId: claim.enrolmentId }, acting);
}

/** Whether an enrolment takes a claim now: reserved, or on a modular course also claimed (another module's claim is in review). */
export const takesClaim = (status: string, modular: boolean): boolean => status === 'reserved' || (modular && status === 'claimed');

export async function submitClaim(
  deps: ServiceDeps,
  db: Db | Tx,
  providerId: string,
  input: { enrolmentId: string; module?: number | undefined; amount: bigint; credential: string },
  acting: Acting,
): Promise<ClaimRow> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    // The enrolment row lock serialises claims on one enrolment: one credential, one payment (per module).
    const enrolment = await findEnrolment(tx, input.enrolmentId, { forUpdate: true });
    if (!enrolment || enrolment.providerId !== providerId) throw notFound('enrolment');
    const ctx = await claimContext(tx, enrolment.id);
    const course = (await findCourse(tx, ctx.courseId))!;
    const module = claimedModule(course, input.module);
    // A modular enrolment stays open for the other modules while one module's claim is in review.
    if (!takesClaim(enrolment.status, module !== undefined)) {
      throw new AppError('invalid_state', `the enrolment is ${enrolment.status}: there is no reservation to claim`);
    }
    if (ctx.providerStatus !== 'active') throw new AppError('rule_violation', 'a suspended provider cannot submit claims', { reasons: ['provider_suspended'] });
    const moduleOrdinal = module?.ordinal ?? 0;
    if (module) {
      const live = (await liveModuleClaims(tx, enrolment.id)).get(moduleOrdinal);
      if (live) throw new AppError('invalid_state', `module ${moduleOrdinal} already has a claim that is ${live}: each module is claimed once`);
    }
    const reserved = (await reservationsOf(tx, [enrolment.id])).filter((l) => l.moduleOrdinal === moduleOrdinal).reduce((s, l) => s + l.amount, 0n);
    if (input.amount > reserved) throw claimAboveReservation(reserved);

    const verified = await verifyCredential(input.credential, {
      providerId, keys: await activeProviderKeys(tx, providerId), learnerSubjectId: ctx.learnerSubjectId, courseId: ctx.courseId,
      ...(module ? { achievementId: module.achievementId } : {}),
      course: { hours: course.hours, microCredential: microCredentialOf(course) }, runStartsAt: ctx.runStartsAt, now,
    });
    const failures: ClaimFailure[] = [...verified.failures];
    if (verified.id) {
      await lockCredential(tx, providerId, verified.id);
      if (await isRevoked(tx, providerId, verified.id)) failures.push('credential_revoked');
      const uses = await credentialUse(tx, providerId, verified.id);
      // Used means backing a claim that was not rejected (approved, in review or paid), on any enrolment: a credential
      // first sent on the wrong enrolment and rejected there has paid nothing and may still back the right one.
      if (uses.some((u) => u.status !== 'rejected')) failures.push('credential_already_used');
    }
    // Attendance counts only as the provider signed it, inside the credential.
    if (ctx.minAttendanceBps !== null && verified.id) {
      if (verified.attendanceBps === null) failures.push('attendance_missing');
      else if (verified.attendanceBps < ctx.minAttendanceBps) failures.push('attendance_below_minimum');
    }
    if (enrolment.reservationExpiresAt && now >= enrolment.reservationExpiresAt) failures.push('claim_window_closed');

    const review: ReviewReason[] = [];
    if (failures.length === 0 && verified.issuedAt) {
      // A module before the last is meant to be completed while the run goes on, but not ahead of it: the share of the
      // price paid so far may not run ahead of the share of the run that had passed when its credential was issued.
      const completesCourse = !module || moduleOrdinal === course.modules.length;
      if (completesCourse ? verified.issuedAt < ctx.runEndsAt : moduleAheadOfRun(course.modules, moduleOrdinal, verified.issuedAt, ctx)) {
        review.push('completed_before_run_end');
      }
      if ((await claimsInLastHour(tx, providerId, now)) >= policyOf(deps).claimBurstPerHour) review.push('provider_claim_burst');
      if (await overlappingCompletion(tx, enrolment.learnerId, enrolment.id, verified.issuedAt, { startsAt: ctx.runStartsAt, endsAt: ctx.runEndsAt })) {
        review.push('overlapping_completions');
      }
    }
    const status = failures.length > 0 ? 'rejected' : review.length > 0 ? 'in_review' : 'approved';
    const id = newId();
    const [claim] = await tx
      .insert(claims)
      .values({
        id, enrolmentId: enrolment.id, moduleOrdinal, learnerId: enrolment.learnerId, providerId, currency: enrolment.currency, amountClaimed: input.amount,
        attendanceBps: verified.attendanceBps, status, credentialId: verified.id,
        credentialSha256: createHash('sha256').update(input.credential).digest('hex'), credentialIssuedAt: verified.issuedAt,
        failedChecks: failures, reviewReasons: review, submittedAt: now, decidedAt: status === 'in_review' ? null : now,
        decidedBy: status === 'in_review' ? null : 'system:automatic-checks',
      })
      .returning();
    // The learner's record keeps the credential as sent; they see it once the claim is approved (see learner-credentials).
    if (status !== 'rejected') await keepClaimCredential(tx, claim!, ctx.courseId, input.credential, now);
    if (status === 'approved') await payFromReservation(deps, tx, enrolment.id, moduleOrdinal, input.amount);
    if (status !== 'rejected') await moveEnrolmentOn(deps, tx, claim!, course.modules.length, acting);
    await recordAudit(tx, {
      ...acting, action: `claim.${status}`, entityType: 'claim', entityId: id, at: now,
      details: { enrolmentId: enrolment.id, ...(module ? { module: moduleOrdinal } : {}), amount: input.amount.toString(), failures, review },
    });
    await recordClaimEvent(tx, claimEventTypeOf(status), claim!, now, { decidedBy: 'automatic_checks' });
    return claim!;
  });
}

export const REVIEW_DECISION = 'claim.review_decision';

export interface ClaimDecision {
  decision: 'approve' | 'reject';
  reason: string;
}

/**
 * The system itself sent the claim to review or held it (a suspicious
 * pattern, a revoked credential): no officer has looked at it yet, so a
 * decision takes two. A claim an officer flagged already has two people:
 * the flagger and the one who decides.
 */
export function decisionNeedsSecondOfficer(claim: ClaimRow): boolean {
  const systemReasons = (claim.reviewReasons as string[]).filter((r) => r !== 'flagged_by_officer');
  if (claim.status === 'in_review') return systemReasons.length > 0;
  return claim.onHold && (claim.flaggedBy ?? '').startsWith('system:');
}

/** Why this person cannot make this decision on this claim now, if they cannot. Checked on proposal and again on approval. */
async function refuseUndecidable(tx: Tx, claim: ClaimRow, decision: ClaimDecision, acting: Acting): Promise<void> {
  if (samePerson(claim.flaggedBy, acting.actor.subject)) {
    throw new AppError('four_eyes_required', 'the officer who flagged this claim cannot also decide it');
  }
  await refuseEscalatedHandler(tx, claim, acting);
  const held = claim.status === 'approved' && claim.onHold;
  if (claim.status !== 'in_review' && !held) {
    throw new AppError('invalid_state', `a ${claim.status} claim${claim.onHold ? '' : ' that is not on hold'} cannot be decided`);
  }
  if (held && decision.decision === 'reject') {
    throw new AppError('invalid_state', 'an approved claim has already been posted to the provider; reversing it is a clawback, not a rejection');
  }
  // The provider may have revoked the credential while the claim waited for review.
  if (claim.status === 'in_review' && decision.decision === 'approve' && claim.credentialId && (await isRevoked(tx, claim.providerId, claim.credentialId))) {
    throw new AppError('invalid_state', 'the provider revoked this credential while the claim was in review: it can only be rejected', {
      reasons: ['credential_revoked'],
    });
  }
}

/**
 * Finance decides a claim in review, or releases one held. When the system
 * sent it there, the officer's decision is a proposal that a second officer
 * approves; otherwise it is carried out at once.
 */
export async function decideClaim(
  deps: ServiceDeps, db: Db | Tx, claimId: string, decision: ClaimDecision, acting: Acting,
): Promise<{ claim: ClaimRow; approval?: ApprovalRow }> {
  return inTransaction(db, async (tx) => {
    const claim = await findClaim(tx, claimId, { forUpdate: true });
    if (!claim) throw notFound('claim');
    await refuseUndecidable(tx, claim, decision, acting);
    if (decisionNeedsSecondOfficer(claim)) {
      const approval = await propose(deps, tx, {
        kind: REVIEW_DECISION, subjectType: 'claim', subjectId: claim.id, payload: { ...decision },
        summary: `${decision.decision} claim ${claim.id} of ${claim.amountClaimed} ${claim.currency} minor units (${(claim.reviewReasons as string[]).join(', ') || 'held'}): ${decision.reason}`,
      }, acting);
      return { claim, approval };
    }
    return { claim: await applyDecision(deps, tx, claim, decision, acting) };
  });
}

/** Carries out a decision on a claim in review or on hold; refuseUndecidable has been asked first. */
async function applyDecision(deps: ServiceDeps, tx: Tx, claim: ClaimRow, decision: ClaimDecision, acting: Acting, proposedBy?: string): Promise<ClaimRow> {
  const now = deps.clock.now();
  const decided = { decidedBy: acting.actor.subject, decisionReason: decision.reason, decidedAt: now };
  let row: ClaimRow | undefined;
  if (claim.status === 'in_review') {
    const moduleCount = await moduleCountOf(tx, claim.enrolmentId);
    if (decision.decision === 'approve') {
      await payFromReservation(deps, tx, claim.enrolmentId, claim.moduleOrdinal, claim.amountClaimed);
      [row] = await tx.update(claims).set({ status: 'approved', onHold: false, ...decided }).where(eq(claims.id, claim.id)).returning();
    } else {
      // The reservation stays: the provider may correct and resubmit until the window closes.
      [row] = await tx.update(claims).set({ status: 'rejected', ...decided }).where(eq(claims.id, claim.id)).returning();
    }
    await moveEnrolmentOn(deps, tx, row!, moduleCount, acting);
  } else {
    [row] = await tx.update(claims).set({ onHold: false, ...decided }).where(eq(claims.id, claim.id)).returning();
  }
  // A held claim released is approved by the review that held it: the provider hears the review ended as it would for one sent to review.
  await recordClaimEvent(tx, decision.decision === 'approve' ? 'claim.approved' : 'claim.rejected', row!, now, {
    decidedBy: 'review', wasHeld: claim.status === 'approved', ...(proposedBy ? { fourEyes: true } : {}),
  });
  await recordAudit(tx, {
    ...acting, action: `claim.decision_${decision.decision}`, entityType: 'claim', entityId: claim.id, at: now,
    details: { reason: decision.reason, ...(proposedBy ? { proposedBy, approvedBy: acting.actor.subject } : {}) },
  });
  return row!;
}

/** A second officer approves a review decision the system's own checks called for. */
export const reviewDecision: ApprovalKind = {
  kind: REVIEW_DECISION,
  approverRoles: ['finance'],
  async execute(deps, tx, approval, acting) {
    const claim = await findClaim(tx, approval.subjectId, { forUpdate: true });
    if (!claim) throw notFound('claim');
    const decision = approval.payload as unknown as ClaimDecision;
    await refuseUndecidable(tx, claim, decision, acting);
    const row = await applyDecision(deps, tx, claim, decision, acting, approval.proposedBy);
    return { claimId: row.id, status: row.status, onHold: row.onHold };
  },
};

/** An officer flags a claim: an approved, unpaid one is held from disbursement until another officer decides. */
export async function flagClaim(deps: ServiceDeps, db: Db | Tx, claimId: string, reason: string, acting: Acting): Promise<ClaimRow> {
  return inTransaction(db, async (tx) => {
    const claim = await findClaim(tx, claimId, { forUpdate: true });
    if (!claim) throw notFound('claim');
    if (claim.status !== 'approved' && claim.status !== 'in_review') throw new AppError('invalid_state', `a ${claim.status} claim cannot be flagged`);
    const reasons = [...new Set([...(claim.reviewReasons as string[]), 'flagged_by_officer'])];
    const [row] = await tx
      .update(claims)
      // The first officer to flag stays on record: re-flagging must not let them decide it.
      .set({ onHold: claim.status === 'approved' ? true : claim.onHold, flaggedBy: claim.flaggedBy ?? acting.actor.subject, flagReason: reason, reviewReasons: reasons })
      .where(eq(claims.id, claim.id))
      .returning();
    const now = deps.clock.now();
    await recordAudit(tx, { ...acting, action: 'claim.flagged', entityType: 'claim', entityId: claim.id, at: now, details: { reason } });
    // Flagging again changes nothing a provider sees: no second event.
    if (row!.onHold !== claim.onHold || reasons.length !== (claim.reviewReasons as string[]).length) {
      await recordClaimEvent(tx, 'claim.review', row!, now, { reasonCode: 'flagged_by_officer' });
    }
    return row!;
  });
}

/** A provider revokes a credential it issued. A claim already approved or paid on it is flagged for finance. */
export async function revokeCredential(deps: ServiceDeps, db: Db | Tx, providerId: string, input: { credentialId: string; reason: string }, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    await lockCredential(tx, providerId, input.credentialId);
    await tx.insert(credentialRevocations).values({ providerId, credentialId: input.credentialId, reason: input.reason, revokedAt: now }).onConflictDoNothing();
    const heldBefore = new Map(
      (await tx.select({ id: claims.id, onHold: claims.onHold }).from(claims).where(sqlCredentialLive(providerId, input.credentialId)).for('update'))
        .map((c) => [c.id, c.onHold]),
    );
    const affected = await tx
      .update(claims)
      .set({ onHold: true, flaggedBy: 'system:revocation', flagReason: `credential revoked by the provider: ${input.reason}` })
      .where(sqlCredentialLive(providerId, input.credentialId))
      .returning();
    for (const c of affected) if (heldBefore.get(c.id) === false) await recordClaimEvent(tx, 'claim.review', c, now, { reasonCode: 'credential_revoked' });
    await recordAudit(tx, {
      ...acting, action: 'credential.revoked', entityType: 'provider', entityId: providerId, at: now,
      details: { credentialId: input.credentialId, reason: input.reason, claimsFlagged: affected.map((a) => a.id) },
    });
    return { credentialId: input.credentialId, revokedAt: now.toISOString(), claimsFlagged: affected.map((a) => a.id) };
  });
}

const sqlCredentialLive = (providerId: string, credentialId: string) =>
  and(eq(claims.providerId, providerId), eq(claims.credentialId, credentialId), inArray(claims.status, ['approved', 'paid', 'in_review']));

/** One claim; a provider sees only its own, and another provider's claim is a 404 like one that does not exist. */
export async function getClaim(db: Db | Tx, claimId: string, ownProviderId: string | undefined): Promise<ClaimRow> {
  const claim = await findClaim(db, claimId);
  if (!claim || (ownProviderId !== undefined && claim.providerId !== ownProviderId)) throw notFound('claim');
  return claim;
}

/** Claims by id, for a page that lists many (staff only: no provider scoping). */
export async function claimsById(db: Db | Tx, ids: string[]): Promise<Map<string, ClaimRow>> {
  return new Map((await findClaims(db, ids)).map((c) => [c.id, c]));
}

/** Claims newest first, matching the filter. */
export const searchClaims = (db: Db | Tx, filter: ClaimFilter) => listClaims(db, filter);

/** How many claims match, for a count on a page that links to the list. */
export const countMatchingClaims = (db: Db | Tx, filter: Parameters<typeof countClaims>[1]) => countClaims(db, filter);

/** One module of a modular enrolment: its live claim's status, if any, and the part of the reservation it still holds. */
export interface ModuleStanding extends CourseModule {
  ordinal: number;
  /** The status of its claim that is not rejected (the one that blocks another claim on the module); null while it may be claimed. */
  claimStatus: ClaimRow['status'] | null;
  held: bigint;
}

/**
 * Where each module of an enrolment stands, from the same live-claim rows
 * the claim service refuses a second claim by; empty on a course paid in one
 * claim.
 */
export async function moduleStandings(db: Db | Tx, enrolmentId: string, modules: readonly CourseModule[]): Promise<ModuleStanding[]> {
  if (modules.length === 0) return [];
  const live = await liveModuleClaims(db, enrolmentId);
  const legs = await reservationsHeldOf(db, [enrolmentId]);
  return modules.map((m, i) => ({
    ...m, ordinal: i + 1, claimStatus: (live.get(i + 1) as ClaimRow['status'] | undefined) ?? null, held: heldAmount(legs.filter((l) => l.moduleOrdinal === i + 1)),
  }));
}
