import type { Db, Tx } from '../../db/client.js';
import type { CounterAction, IdentityCheck } from '../../db/schema/counter.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { accountView, learnerMovementsPage } from '../accounts/accounts.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { checkEligibility } from '../eligibility/eligibility.service.js';
import { consentToEnrolment, learnerEnds, learnerEnrolmentsOverview } from '../enrolments/enrolments.service.js';
import { learnerDataExport } from '../data-rights/data-export.service.js';
import { recordStaffRead } from '../data-rights/staff-reads.js';
import { lookupLearner } from '../learners/learners.service.js';
import { findVisit, insertCounterAct, type CounterActRow } from './counter.repo.js';

/**
 * Assisted digital: a service-counter officer acts for a learner who is at
 * the counter. A look-up by national id, with a reason, opens a visit of 30
 * minutes that only the officer who opened it can use. Reads within the
 * visit stand on the look-up's record and attestation; every consent or
 * decline carries its own. The look-up and every consent or decline are
 * recorded (counter_acts and the audit trail) naming the officer; consents and declines go through the enrolment service with
 * the officer as the actor, so no consent rule lives here.
 */
export const VISIT_MS = 30 * 60 * 1000;

/** The officer's word that the learner is at the counter, agrees, and how their identity was checked. */
export interface Attestation {
  learnerPresent: true;
  identityCheck: IdentityCheck;
}

export interface Visit {
  visitId: string;
  learnerId: string;
  officer: string;
  identityCheck: IdentityCheck;
  openedAt: Date;
  expiresAt: Date;
}

const visitOf = (row: CounterActRow): Visit => ({
  visitId: row.id, learnerId: row.learnerId, officer: row.officerSubject, identityCheck: row.identityCheck,
  openedAt: row.at, expiresAt: new Date(row.at.getTime() + VISIT_MS),
});

function officerOf(acting: Acting): string {
  if (acting.actor.role !== 'counter') throw new AppError('forbidden', 'only a service-counter officer acts at a counter');
  return acting.actor.subject;
}

async function record(
  deps: ServiceDeps, db: Db | Tx, acting: Acting, act: { visit: Pick<Visit, 'visitId' | 'learnerId'>; action: CounterAction; attestation: Attestation; enrolmentId?: string; reason?: string },
) {
  const at = deps.clock.now();
  const id = act.action === 'lookup' ? act.visit.visitId : newId();
  await insertCounterAct(db, {
    id, learnerId: act.visit.learnerId, visitId: act.visit.visitId, officerSubject: officerOf(acting), action: act.action,
    enrolmentId: act.enrolmentId ?? null, reason: act.reason ?? null, learnerPresent: act.attestation.learnerPresent,
    identityCheck: act.attestation.identityCheck, requestId: acting.requestId ?? null, at,
  });
  await recordAudit(db, {
    ...acting, action: `counter.${act.action}`, entityType: act.enrolmentId ? 'enrolment' : 'learner', entityId: act.enrolmentId ?? act.visit.learnerId, at,
    details: {
      visitId: act.visit.visitId, learnerId: act.visit.learnerId, learnerPresent: true, identityCheck: act.attestation.identityCheck,
      ...(act.reason ? { reason: act.reason } : {}),
    },
  });
}

/** Finds the learner at the counter by national id (matched through its keyed hash) and opens a visit; the look-up is recorded with its reason. */
export async function openVisit(
  deps: ServiceDeps, db: Db | Tx, input: Attestation & { country: string; nationalId: string; reason: string }, acting: Acting,
) {
  const officer = officerOf(acting);
  return inTransaction(db, async (tx) => {
    const learner = await lookupLearner(deps, tx, input.country, input.nationalId);
    const visitId = newId();
    await record(deps, tx, acting, { visit: { visitId, learnerId: learner.id }, action: 'lookup', attestation: input, reason: input.reason });
    await recordStaffRead(tx, acting, { learnerId: learner.id, operation: 'openCounterVisit', purpose: input.reason, at: deps.clock.now() });
    const openedAt = deps.clock.now();
    const visit: Visit = { visitId, learnerId: learner.id, officer, identityCheck: input.identityCheck, openedAt, expiresAt: new Date(openedAt.getTime() + VISIT_MS) };
    return { visit, learner };
  });
}

/** A visit the calling officer opened and that is still open; another officer's, or none, is a 404. */
export async function openedVisit(deps: ServiceDeps, db: Db | Tx, visitId: string, acting: Acting): Promise<Visit> {
  const row = await findVisit(db, visitId, officerOf(acting));
  if (!row) throw notFound('visit');
  const visit = visitOf(row);
  if (visit.expiresAt <= deps.clock.now()) {
    throw new AppError('invalid_state', 'the visit ended 30 minutes after the look-up: look the learner up again with them at the counter');
  }
  return visit;
}

/** A read of the learner's data within a visit: the look-up that opened it is the record of the staff read. */
async function read<T>(deps: ServiceDeps, db: Db | Tx, visitId: string, acting: Acting, fn: (visit: Visit) => Promise<T>): Promise<{ visit: Visit; result: T }> {
  const visit = await openedVisit(deps, db, visitId, acting);
  return { visit, result: await fn(visit) };
}

export const counterAccount = (deps: ServiceDeps, db: Db | Tx, visitId: string, acting: Acting) =>
  read(deps, db, visitId, acting, async (v) => (await accountView(db, deps.clock, v.learnerId))!);

export const counterHistory = (deps: ServiceDeps, db: Db | Tx, visitId: string, page: { cursor?: string | undefined; limit: number }, acting: Acting) =>
  read(deps, db, visitId, acting, async (v) => (await learnerMovementsPage(db, v.learnerId, page))!);

export const counterEnrolments = (deps: ServiceDeps, db: Db | Tx, visitId: string, acting: Acting) =>
  read(deps, db, visitId, acting, (v) => learnerEnrolmentsOverview(db, v.learnerId, 50));

export const counterEligibility = (deps: ServiceDeps, db: Db | Tx, visitId: string, courseRunId: string, acting: Acting) =>
  read(deps, db, visitId, acting, (v) => checkEligibility(deps, db, v.learnerId, courseRunId));

/** The learner at the counter asks for everything held about them: the same export as their own, recorded as a staff read. */
export const counterDataExport = (deps: ServiceDeps, db: Db | Tx, visitId: string, acting: Acting) =>
  read(deps, db, visitId, acting, async (v) => {
    await recordStaffRead(db, acting, { learnerId: v.learnerId, operation: 'exportCounterLearnerData', purpose: 'the learner at the counter asked for a copy of their data', at: deps.clock.now() });
    return learnerDataExport(deps, db, v.learnerId);
  });

/** The learner, at the counter, approves a provider's request: the enrolment service's consent, with the officer as the actor. */
export async function consentAtCounter(deps: ServiceDeps, db: Db | Tx, visitId: string, enrolmentId: string, attestation: Attestation, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const visit = await openedVisit(deps, tx, visitId, acting);
    const reservation = await consentToEnrolment(deps, tx, visit.learnerId, enrolmentId, acting);
    await record(deps, tx, acting, { visit, action: 'consent', attestation, enrolmentId });
    return {
      enrolmentId, visitId, status: reservation.row.status, currency: reservation.row.currency,
      reserved: reservation.legs.reduce((s, l) => s + l.amount, 0n), officer: visit.officer,
    };
  });
}

/** The learner, at the counter, declines a provider's request: the enrolment service's decline, with the officer as the actor. */
export async function declineAtCounter(deps: ServiceDeps, db: Db | Tx, visitId: string, enrolmentId: string, attestation: Attestation, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const visit = await openedVisit(deps, tx, visitId, acting);
    const row = await learnerEnds(deps, tx, visit.learnerId, enrolmentId, 'decline', acting);
    await record(deps, tx, acting, { visit, action: 'decline', attestation, enrolmentId });
    return { enrolmentId, visitId, status: row.status, currency: row.currency, reserved: 0n, officer: visit.officer };
  });
}
