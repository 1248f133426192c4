import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { courseRuns, courses, enrolmentReservations, enrolments, liveStatuses, providers, type EnrolmentStatus } from '../../db/schema/index.js';

export type EnrolmentRow = typeof enrolments.$inferSelect;
export type ReservationRow = typeof enrolmentReservations.$inferSelect;

export async function findEnrolment(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}) {
  const q = db.select().from(enrolments).where(eq(enrolments.id, id));
  return (await (options.forUpdate ? q.for('update') : q))[0];
}

export async function reservationsOf(db: Db | Tx, enrolmentIds: string[]): Promise<ReservationRow[]> {
  if (enrolmentIds.length === 0) return [];
  return db.select().from(enrolmentReservations).where(inArray(enrolmentReservations.enrolmentId, enrolmentIds));
}

/** The legs with whether each is still held: a modular enrolment's paid modules are not (README "Milestone claims"). */
export async function reservationsHeldOf(db: Db | Tx, enrolmentIds: string[]): Promise<(ReservationRow & { held: boolean })[]> {
  if (enrolmentIds.length === 0) return [];
  const held = await db.execute<{ transfer_id: string }>(sql`
    select er.transfer_id from enrolment_reservations er cross join lateral ledger_transfer(er.transfer_id) t
     where er.enrolment_id = any(${`{${enrolmentIds.join(',')}}`}::uuid[]) and t.state = 'pending'`);
  const pending = new Set(held.rows.map((r) => r.transfer_id));
  return (await reservationsOf(db, enrolmentIds)).map((l) => ({ ...l, held: pending.has(l.transferId) }));
}

/** Serialises decisions about one learner's credit; never a lock shared across learners. */
export async function lockLearner(db: Db | Tx, learnerId: string): Promise<boolean> {
  const r = await db.execute(sql`select 1 from learners where id = ${learnerId} for no key update`);
  return r.rows.length > 0;
}

export async function releaseSeat(db: Db | Tx, runId: string): Promise<void> {
  await db.execute(sql`update course_runs set seats_taken = seats_taken - 1 where id = ${runId} and seats_taken > 0`);
}

export async function liveEnrolmentsOfRun(db: Db | Tx, runId: string): Promise<EnrolmentRow[]> {
  return db
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.courseRunId, runId), inArray(enrolments.status, [...liveStatuses])))
    .for('update');
}

export interface EnrolmentFilter {
  learnerId?: string | undefined;
  providerId?: string | undefined;
  courseRunId?: string | undefined;
  status?: EnrolmentStatus | undefined;
  before?: { at: string; id: string } | undefined;
  limit: number;
}

function enrolmentConditions(f: Omit<EnrolmentFilter, 'limit'>): SQL[] {
  const conditions: (SQL | undefined)[] = [
    f.learnerId ? eq(enrolments.learnerId, f.learnerId) : undefined,
    f.providerId ? eq(enrolments.providerId, f.providerId) : undefined,
    f.courseRunId ? eq(enrolments.courseRunId, f.courseRunId) : undefined,
    f.status ? eq(enrolments.status, f.status) : undefined,
    f.before
      ? or(
          lt(enrolments.requestedAt, new Date(f.before.at)),
          and(eq(enrolments.requestedAt, new Date(f.before.at)), lt(enrolments.id, f.before.id)),
        )
      : undefined,
  ];
  return conditions.filter((c): c is SQL => c !== undefined);
}

export async function listEnrolments(db: Db | Tx, f: EnrolmentFilter): Promise<EnrolmentRow[]> {
  const where = enrolmentConditions(f);
  return db
    .select()
    .from(enrolments)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(enrolments.requestedAt), desc(enrolments.id))
    .limit(f.limit);
}

/** How many enrolments match the filter (no cursor, no limit). */
export async function countEnrolments(db: Db | Tx, f: Omit<EnrolmentFilter, 'limit' | 'before'>): Promise<number> {
  const where = enrolmentConditions(f);
  return db.$count(enrolments, where.length ? and(...where) : undefined);
}

/**
 * What a provider needs to issue the completion credential: the course and
 * the learner's pseudonymous subject id (never the national id).
 */
export async function credentialFacts(db: Db | Tx, rows: EnrolmentRow[]) {
  if (rows.length === 0) return new Map<string, { courseId: string; subjectId: string }>();
  const r = await db.execute<{ id: string; course_id: string; subject_id: string }>(sql`
    select e.id, r.course_id, l.subject_id from enrolments e
      join course_runs r on r.id = e.course_run_id join learners l on l.id = e.learner_id
     where e.id = any(${`{${rows.map((x) => x.id).join(',')}}`}::uuid[])`);
  return new Map(r.rows.map((x) => [x.id, { courseId: x.course_id, subjectId: x.subject_id }]));
}

/** A learner's enrolments with what a person recognises them by: the course (and its modules), the run's dates and the provider's name. Newest first. */
export async function learnerEnrolmentsDescribed(db: Db | Tx, learnerId: string, limit: number) {
  return db
    .select({
      enrolment: enrolments, courseTitle: courses.title, courseModules: courses.modules, runStartsAt: courseRuns.startsAt, runEndsAt: courseRuns.endsAt, providerName: providers.legalName,
    })
    .from(enrolments)
    .innerJoin(courseRuns, eq(courseRuns.id, enrolments.courseRunId))
    .innerJoin(courses, eq(courses.id, courseRuns.courseId))
    .innerJoin(providers, eq(providers.id, enrolments.providerId))
    .where(eq(enrolments.learnerId, learnerId))
    .orderBy(desc(enrolments.requestedAt), desc(enrolments.id))
    .limit(limit);
}
