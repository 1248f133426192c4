import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { enrolments } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import type { TransferInput } from '../../ledger/types.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { recordAudit } from '../audit/audit.repo.js';
import { eventRecord, recordEvent, recordEvents } from '../events/outbox.js';
import type { ServiceDeps } from '../deps.js';
import type { EligibilityResult } from '../eligibility/eligibility.types.js';
import { evaluateEligibility } from '../eligibility/evaluate-eligibility.js';
import { loadDecisionContext, type DecisionContext } from '../eligibility/load-eligibility-input.js';
import { ensureProviderPayable } from '../providers/providers.service.js';
import { endReasonCode, enrolmentEvent } from './enrolment-events.js';
import { moduleParts } from './module-parts.js';
import {
  countEnrolments, credentialFacts, findEnrolment, learnerEnrolmentsDescribed, listEnrolments, liveEnrolmentsOfRun, lockLearner, releaseSeat, reservationsHeldOf, reservationsOf,
  type EnrolmentFilter, type EnrolmentRow, type ReservationRow,
} from './enrolments.repo.js';

export type { EnrolmentFilter, EnrolmentRow };
import type { Acting } from '../acting.js';
import { counterAnswersOf } from '../counter/counter.repo.js';
import { DAY_MS } from '../../lib/dates.js';
import { heldAmount } from './held.js';

/** A requested enrolment the learner has not answered lapses after this. */
export const CONSENT_WINDOW_MS = 14 * DAY_MS;
/**
 * The ledger hold outlives the claim window by this much, so a claim under
 * finance review keeps its money. An unclaimed hold is voided by the
 * enrolment sweep when the claim window closes; the ledger timeout is the
 * backstop if everything else failed.
 */
export const REVIEW_ALLOWANCE_MS = 30 * DAY_MS;

/** A refusal that names every failed check; insufficient credit alone is a 409. */
export function refusal(result: EligibilityResult): AppError {
  const onlyCredit = result.reasons.length > 0 && result.reasons.every((r) => r === 'insufficient_credit');
  const failed = result.checks.filter((c) => !c.passed);
  const detail = failed.map((c) => c.detail).join('; ') || 'not eligible';
  return new AppError(onlyCredit ? 'insufficient_credit' : 'not_eligible', detail, { reasons: result.reasons, checks: failed });
}

async function decide(deps: ServiceDeps, tx: Tx, learnerId: string, runId: string, options: { ignoreEnrolmentId?: string; lock?: boolean } = {}) {
  const context = await loadDecisionContext(tx, { learnerId, runId, at: deps.clock.now(), ...options });
  return { context, input: context.input, result: evaluateEligibility(context.input) };
}

/** A reserved enrolment with what its view needs, all known without reading it back. */
export interface Reservation {
  row: EnrolmentRow;
  legs: ReservationRow[];
  courseId: string;
  learnerSubjectId: string;
}

const enrolmentRecord = (e: EnrolmentRow) => ({
  id: e.id, learner_id: e.learnerId, course_run_id: e.courseRunId, provider_id: e.providerId, currency: e.currency,
  fee: e.fee.toString(), funded: e.funded.toString(), co_pay: e.coPay.toString(), status: e.status, origin: e.origin,
  rule_versions: e.ruleVersions, requested_at: e.requestedAt.toISOString(), consent_deadline: e.consentDeadline?.toISOString() ?? null,
  reserved_at: e.reservedAt?.toISOString() ?? null, reservation_expires_at: e.reservationExpiresAt?.toISOString() ?? null,
  ended_at: null, end_reason: null,
});

/** What enrolment_reserve is called with, each argument as its JSON text, beside what the caller learns without reading back. */
export interface ReservationPlan extends Reservation {
  transfers: TransferInput[];
  call: { mode: 'insert' | 'consent'; enrolment: string; legs: string; audit: string; event: string; now: string };
}

/**
 * The plan of a reservation, with no database: one pending transfer per
 * grant (per module and grant for a modular course) into the provider's
 * payable, linked so they commit together or not at all, each timing out at
 * the run's end plus its scheme's claim window; the enrolment and its legs;
 * the audit record; the event.
 */
export function reservationPlan(
  mode: 'insert' | 'consent', enrolment: EnrolmentRow, decided: { context: DecisionContext; result: EligibilityResult },
  audit: Acting & { action: string; details: Record<string, unknown> }, now: Date, payable: string,
): ReservationPlan {
  const { context, result } = decided;
  const legs = result.plan.legs;
  // A modular course reserves one pending transfer per module and grant, so each milestone claim posts its own.
  const parts = context.moduleSharesBps.length === 0
    ? legs.map((leg) => ({ moduleOrdinal: 0, leg, amount: leg.amount }))
    : moduleParts(legs, context.moduleSharesBps);
  const transfers: TransferInput[] = parts.map((part, i) => ({
    id: newId(),
    kind: 'pending' as const,
    debitAccountId: part.leg.grantId,
    creditAccountId: payable,
    amount: part.amount,
    timeoutSeconds: Math.max(1, Math.ceil((part.leg.holdUntil.getTime() + REVIEW_ALLOWANCE_MS - now.getTime()) / 1000)),
    code: 'reservation',
    referenceId: enrolment.id,
    linked: i < parts.length - 1,
  }));
  const reservations: ReservationRow[] = parts.map((part, i) => ({
    enrolmentId: enrolment.id, learnerId: enrolment.learnerId, grantId: part.leg.grantId, moduleOrdinal: part.moduleOrdinal, schemeId: part.leg.schemeId,
    transferId: transfers[i]!.id, amount: part.amount, holdUntil: part.leg.holdUntil,
  }));
  const row: EnrolmentRow = {
    ...enrolment, ...planFields(result), status: 'reserved', reservedAt: now,
    reservationExpiresAt: legs.length === 0 ? now : new Date(Math.max(...legs.map((l) => l.holdUntil.getTime()))),
  };
  const legRecords = reservations.map((l) => ({
    learner_id: l.learnerId, grant_id: l.grantId, module_ordinal: l.moduleOrdinal, scheme_id: l.schemeId, transfer_id: l.transferId, amount: l.amount.toString(),
    hold_until: l.holdUntil.toISOString(),
  }));
  const auditRecord = {
    actor_id: audit.actor.subject, actor_role: audit.actor.role, action: audit.action, request_id: audit.requestId ?? null, details: audit.details,
  };
  // A self-enrolment is consented by the act of enrolling: it has no request before it, so it is enrolment.consented at once.
  const event = enrolmentEvent('enrolment.consented', row, now, {
    schemeIds: reservations.map((l) => l.schemeId),
    data: { reserved: reservations.reduce((s, l) => s + l.amount, 0n).toString(), reservationExpiresAt: row.reservationExpiresAt?.toISOString() ?? null },
  });
  return {
    row, legs: reservations, transfers, courseId: context.input.run.courseId, learnerSubjectId: context.learnerSubjectId,
    call: {
      mode, enrolment: JSON.stringify(enrolmentRecord(row)), legs: JSON.stringify(legRecords), audit: JSON.stringify(auditRecord),
      event: JSON.stringify(eventRecord(event)), now: now.toISOString(),
    },
  };
}

/**
 * Reserves the plan (reservationPlan) in one call to enrolment_reserve,
 * which writes the enrolment, its legs, the grants' first use, a seat, the
 * audit event and the outbox event beside the ledger's transfers. The
 * caller holds the learner's lock and rolls everything back on a refusal.
 */
async function reserve(
  deps: ServiceDeps, tx: Tx, mode: 'insert' | 'consent', enrolment: EnrolmentRow, decided: { context: DecisionContext; result: EligibilityResult },
  audit: Acting & { action: string; details: Record<string, unknown> },
): Promise<Reservation> {
  const { context, result } = decided;
  const payable = result.plan.legs.length === 0
    ? ''
    : context.payableAccountId ?? (await ensureProviderPayable(tx, deps.ledger, enrolment.providerId, result.plan.currency as Currency));
  const { transfers, call, ...reservation } = reservationPlan(mode, enrolment, decided, audit, deps.clock.now(), payable);
  const outcome = await deps.ledger.reserve(tx, transfers, (batch) => sql`
    select enrolment_reserve(${call.mode}, ${call.enrolment}::jsonb, ${call.legs}::jsonb, ${batch}, ${call.audit}::jsonb, ${call.event}::jsonb,
                             ${call.now}::timestamptz) as outcome`, { done: 'reserved', own: ['run_full', 'not_requested'] });
  if (outcome === 'run_full') {
    throw new AppError('not_eligible', 'the course run is full or was cancelled', { reasons: ['run_full'] });
  }
  if (outcome === 'not_requested') throw new AppError('invalid_state', 'the enrolment is no longer awaiting consent');
  if (outcome !== 'reserved') {
    // The learner row is locked, so only a sweep can have moved this credit meanwhile.
    throw new AppError('insufficient_credit', 'the credit changed while reserving; check eligibility again', { reasons: ['insufficient_credit'] });
  }
  return reservation;
}

const planFields = (result: EligibilityResult) => ({
  fee: result.plan.fee,
  funded: result.plan.funded,
  coPay: result.plan.coPay,
  currency: result.plan.currency,
  ruleVersions: result.ruleVersions,
});

/** A provider asks to enrol a learner: checked now, no money moves until the learner consents. */
export async function requestEnrolment(deps: ServiceDeps, db: Db | Tx, providerId: string, input: { learnerId: string; courseRunId: string }, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const { input: facts, result } = await decide(deps, tx, input.learnerId, input.courseRunId, { lock: true });
    if (facts.run.providerId !== providerId) throw notFound('course run');
    if (!result.eligible) throw refusal(result);
    const now = deps.clock.now();
    const id = newId();
    const [row] = await tx
      .insert(enrolments)
      .values({
        id, learnerId: input.learnerId, courseRunId: input.courseRunId, providerId, status: 'requested', origin: 'provider_request',
        requestedAt: now, consentDeadline: new Date(now.getTime() + CONSENT_WINDOW_MS), ...planFields(result),
      })
      .returning();
    await recordAudit(tx, { ...acting, action: 'enrolment.requested', entityType: 'enrolment', entityId: id, at: now, details: { learnerId: input.learnerId, courseRunId: input.courseRunId } });
    await recordEvent(tx, enrolmentEvent('enrolment.requested', row!, now, {
      schemeIds: result.plan.legs.map((l) => l.schemeId), data: { consentDeadline: row!.consentDeadline?.toISOString() ?? null },
    }));
    return row!;
  });
}

/** The learner consents: eligibility is checked again at this instant and the plan reserved atomically. */
export async function consentToEnrolment(deps: ServiceDeps, db: Db | Tx, learnerId: string, enrolmentId: string, acting: Acting): Promise<Reservation> {
  return inTransaction(db, async (tx) => {
    await lockLearner(tx, learnerId);
    const enrolment = await findEnrolment(tx, enrolmentId, { forUpdate: true });
    if (!enrolment || enrolment.learnerId !== learnerId) throw notFound('enrolment');
    if (enrolment.status !== 'requested') throw new AppError('invalid_state', `the enrolment is ${enrolment.status}, not awaiting consent`);
    const now = deps.clock.now();
    if (enrolment.consentDeadline && enrolment.consentDeadline <= now) throw new AppError('invalid_state', 'the request lapsed: it was not answered within 14 days');
    const decided = await decide(deps, tx, learnerId, enrolment.courseRunId, { ignoreEnrolmentId: enrolment.id });
    if (!decided.result.eligible) throw refusal(decided.result);
    return reserve(deps, tx, 'consent', enrolment, decided, {
      ...acting, action: 'enrolment.consented', details: { funded: decided.result.plan.funded.toString() },
    });
  });
}

/** The enrolment a learner's own enrolment creates, before its reservation. */
export const selfEnrolment = (learnerId: string, courseRunId: string, providerId: string, result: EligibilityResult, now: Date): EnrolmentRow => ({
  id: newId(), learnerId, courseRunId, providerId, status: 'reserved', origin: 'self', requestedAt: now,
  consentDeadline: null, reservedAt: now, reservationExpiresAt: null, endedAt: null, endReason: null, ...planFields(result),
});

/** A learner enrols themselves: reserved at once. */
export async function selfEnrol(deps: ServiceDeps, db: Db | Tx, learnerId: string, courseRunId: string, acting: Acting): Promise<Reservation> {
  return inTransaction(db, async (tx) => {
    const decided = await decide(deps, tx, learnerId, courseRunId, { lock: true });
    const { input, result } = decided;
    if (!result.eligible) throw refusal(result);
    const enrolment = selfEnrolment(learnerId, courseRunId, input.run.providerId, result, deps.clock.now());
    return reserve(deps, tx, 'insert', enrolment, decided, {
      ...acting, action: 'enrolment.self_enrolled', details: { courseRunId, funded: result.plan.funded.toString() },
    });
  });
}

/**
 * Voids every leg still pending; legs already expired or voided are already back with the learner, and paid modules stay paid.
 * Answers what went back and the schemes that had funded it.
 */
async function releaseReservation(deps: ServiceDeps, tx: Tx, enrolment: EnrolmentRow): Promise<{ released: bigint; schemeIds: string[] }> {
  const legs = await reservationsOf(tx, [enrolment.id]);
  const results = await deps.ledger.createTransfers(
    tx,
    legs.map((l) => ({ id: newId(), kind: 'void_pending' as const, pendingId: l.transferId, code: 'reservation_release', referenceId: enrolment.id })),
  );
  let released = 0n;
  results.forEach((r, i) => {
    if (r === 'ok') released += legs[i]!.amount;
    // A module a milestone claim has already paid stays paid; only what is still pending goes back.
    else if (r !== 'pending_transfer_already_voided' && r !== 'pending_transfer_expired' && !(r === 'pending_transfer_already_posted' && legs[i]!.moduleOrdinal > 0)) {
      throw new AppError('invalid_state', `the reservation cannot be released: ${r}`);
    }
  });
  if (enrolment.status === 'reserved') await releaseSeat(tx, enrolment.courseRunId);
  return { released, schemeIds: legs.map((l) => l.schemeId) };
}

async function end(
  deps: ServiceDeps, tx: Tx, enrolment: EnrolmentRow, status: 'declined' | 'withdrawn' | 'expired', reason: string, acting: Acting,
) {
  const { released, schemeIds } = enrolment.status === 'reserved' ? await releaseReservation(deps, tx, enrolment) : { released: 0n, schemeIds: [] };
  const now = deps.clock.now();
  const [row] = await tx.update(enrolments).set({ status, endedAt: now, endReason: reason }).where(eq(enrolments.id, enrolment.id)).returning();
  await recordAudit(tx, { ...acting, action: `enrolment.${status}`, entityType: 'enrolment', entityId: enrolment.id, at: now, details: { reason, released: released.toString() } });
  await recordEvent(tx, enrolmentEvent(`enrolment.${status}`, row!, now, { schemeIds, data: { released: released.toString(), was: enrolment.status } }));
  return row!;
}

/** The learner declines a request, or cancels an enrolment not yet claimed: credit back at once. */
export async function learnerEnds(deps: ServiceDeps, db: Db | Tx, learnerId: string, enrolmentId: string, action: 'decline' | 'cancel', acting: Acting) {
  return inTransaction(db, async (tx) => {
    await lockLearner(tx, learnerId);
    const enrolment = await findEnrolment(tx, enrolmentId, { forUpdate: true });
    if (!enrolment || enrolment.learnerId !== learnerId) throw notFound('enrolment');
    if (action === 'decline') {
      if (enrolment.status !== 'requested') throw new AppError('invalid_state', `only a requested enrolment can be declined; this one is ${enrolment.status}`);
      return end(deps, tx, enrolment, 'declined', 'declined_by_learner', acting);
    }
    if (enrolment.status !== 'requested' && enrolment.status !== 'reserved') {
      throw new AppError('invalid_state', `the enrolment is ${enrolment.status} and can no longer be cancelled`);
    }
    return end(deps, tx, enrolment, 'withdrawn', 'cancelled_by_learner', acting);
  });
}

export async function providerWithdraws(deps: ServiceDeps, db: Db | Tx, providerId: string, enrolmentId: string, reason: string, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const peek = await findEnrolment(tx, enrolmentId);
    if (!peek || peek.providerId !== providerId) throw notFound('enrolment');
    await lockLearner(tx, peek.learnerId);
    const enrolment = (await findEnrolment(tx, enrolmentId, { forUpdate: true }))!;
    if (enrolment.status !== 'requested' && enrolment.status !== 'reserved') {
      throw new AppError('invalid_state', `the enrolment is ${enrolment.status} and can no longer be withdrawn`);
    }
    return end(deps, tx, enrolment, 'withdrawn', `withdrawn_by_provider: ${reason}`, acting);
  });
}

/** A cancelled run ends every live enrolment on it; learners see why. Runs inside the run's cancellation. */
export async function endEnrolmentsOfCancelledRun(deps: ServiceDeps, tx: Tx, runId: string, reason: string, acting: Acting) {
  const live = await liveEnrolmentsOfRun(tx, runId);
  for (const e of live.sort((a, b) => (a.learnerId < b.learnerId ? -1 : 1))) {
    await lockLearner(tx, e.learnerId);
    await end(deps, tx, e, 'withdrawn', `run_cancelled: ${reason}`, acting);
  }
  return live.length;
}

/**
 * Lapses requests not answered in time and closes reservations whose hold
 * has timed out (the ledger sweep has already released their money).
 */
export async function sweepEnrolments(deps: ServiceDeps): Promise<{ lapsed: number; expired: number }> {
  return inTransaction(deps.database.db, async (tx) => {
    const at = deps.clock.now();
    const now = at.toISOString();
    const lapsed = await tx
      .update(enrolments)
      .set({ status: 'expired', endedAt: at, endReason: 'consent_lapsed' })
      .where(sql`${enrolments.id} in (select id from enrolments where status = 'requested' and consent_deadline <= ${now}::timestamptz
                                        limit 1000 for update skip locked)`)
      .returning();
    const due = await tx
      .select()
      .from(enrolments)
      .where(sql`${enrolments.status} = 'reserved' and ${enrolments.reservationExpiresAt} <= ${now}::timestamptz`)
      .limit(500)
      .for('update', { skipLocked: true });
    const expired = [];
    const events = lapsed.map((e) => enrolmentEvent('enrolment.lapsed', e, at, { data: { released: '0', was: 'requested' } }));
    for (const e of due) {
      const { released, schemeIds } = await releaseReservation(deps, tx, e);
      const [row] = await tx.update(enrolments).set({ status: 'expired', endedAt: at, endReason: 'reservation_timed_out' }).where(eq(enrolments.id, e.id)).returning();
      expired.push(e);
      events.push(enrolmentEvent('enrolment.expired', row!, at, { schemeIds, data: { released: released.toString(), was: 'reserved' } }));
    }
    await recordEvents(tx, events);
    const ended = [
      ...lapsed.map((r) => ({ id: r.id, action: 'enrolment.consent_lapsed' })),
      ...expired.map((r) => ({ id: r.id, action: 'enrolment.reservation_expired' })),
    ];
    if (ended.length) {
      await tx.execute(sql`
        select audit_append(e.id, ${now}::timestamptz, 'enrolment-sweeper', 'system', e.action, 'enrolment', e.id, null, '{}'::jsonb)
          from jsonb_to_recordset(${JSON.stringify(ended)}::jsonb) as e(id text, action text)`);
    }
    return { lapsed: lapsed.length, expired: expired.length };
  });
}

export async function enrolmentLegs(db: Db | Tx, ids: string[]) {
  const legs = await reservationsHeldOf(db, ids);
  const byEnrolment = new Map<string, typeof legs>();
  for (const l of legs) byEnrolment.set(l.enrolmentId, [...(byEnrolment.get(l.enrolmentId) ?? []), l]);
  return byEnrolment;
}

/** One enrolment; a provider sees only its own, and another provider's enrolment is a 404 like one that does not exist. */
export async function getEnrolment(db: Db | Tx, enrolmentId: string, ownProviderId: string | undefined): Promise<EnrolmentRow> {
  const row = await findEnrolment(db, enrolmentId);
  if (!row || (ownProviderId !== undefined && row.providerId !== ownProviderId)) throw notFound('enrolment');
  return row;
}

/** Enrolments newest first, matching the filter. */
export const searchEnrolments = (db: Db | Tx, filter: EnrolmentFilter) => listEnrolments(db, filter);

/** How many enrolments match, for a count on a page that links to the list. */
export const countMatchingEnrolments = (db: Db | Tx, filter: Parameters<typeof countEnrolments>[1]) => countEnrolments(db, filter);

/** What a credential for each enrolment names: the course and the learner's subject id. */
export const credentialFactsOf = (db: Db | Tx, rows: EnrolmentRow[]) => credentialFacts(db, rows);

/**
 * A learner's enrolments as the learner recognises them (course title, run
 * dates, provider name), newest first, with what each would reserve or has
 * reserved; those awaiting their consent carry the deadline to answer by,
 * and those answered at a service counter name the officer.
 */
export async function learnerEnrolmentsOverview(db: Db | Tx, learnerId: string, limit = 50) {
  const rows = await learnerEnrolmentsDescribed(db, learnerId, limit);
  const legs = await enrolmentLegs(db, rows.map((r) => r.enrolment.id));
  const atCounter = await counterAnswersOf(db, rows.map((r) => r.enrolment.id));
  return rows.map(({ enrolment: e, ...about }) => ({
    ...about,
    id: e.id, status: e.status, fee: e.fee, funded: e.funded, coPay: e.coPay, currency: e.currency,
    reserved: e.status === 'reserved' ? heldAmount(legs.get(e.id) ?? []) : 0n,
    consentDeadline: e.status === 'requested' ? e.consentDeadline : null,
    origin: e.origin, requestedAt: e.requestedAt, reservedAt: e.reservedAt, endedAt: e.endedAt,
    /** When the claim window closes (a reserved enrolment's claim must come before it). */
    claimWindowEnds: e.status === 'reserved' ? e.reservationExpiresAt : null,
    /** Why it ended, as a stable code: the words a provider or officer wrote after the colon stay out. */
    endReasonCode: endReasonCode(e.endReason),
    /** The service-counter officer who answered the request with the learner, when it was answered at a counter. */
    answeredAtCounterBy: atCounter.get(e.id) ?? null,
  }));
}
