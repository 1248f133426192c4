import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { claims, type ClaimStatus } from '../../db/schema/index.js';

export type ClaimRow = typeof claims.$inferSelect;

export async function findClaim(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}) {
  const q = db.select().from(claims).where(eq(claims.id, id));
  return (await (options.forUpdate ? q.for('update') : q))[0];
}

/** The claims of these ids that exist, in one query. */
export async function findClaims(db: Db | Tx, ids: string[]): Promise<ClaimRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(claims).where(inArray(claims.id, ids));
}

/** Facts a claim decision needs beyond the enrolment row; rules as they were when the enrolment was judged. */
export async function claimContext(db: Db | Tx, enrolmentId: string) {
  const r = await db.execute<{
    subject_id: string; course_id: string; starts_at: string; ends_at: string; provider_status: string; min_attendance: number | null;
  }>(sql`
    select l.subject_id, r.course_id, r.starts_at::text, r.ends_at::text, p.status as provider_status,
           (select max((sv.rules->>'minAttendanceBps')::int) from enrolment_reservations er
              join scheme_rule_versions sv
                on sv.scheme_id = er.scheme_id and sv.version = (e.rule_versions->>(er.scheme_id::text))::int
             where er.enrolment_id = e.id) as min_attendance
      from enrolments e join learners l on l.id = e.learner_id join course_runs r on r.id = e.course_run_id
      join providers p on p.id = e.provider_id
     where e.id = ${enrolmentId}`);
  const row = r.rows[0]!;
  return {
    learnerSubjectId: row.subject_id,
    courseId: row.course_id,
    runStartsAt: new Date(row.starts_at),
    runEndsAt: new Date(row.ends_at),
    providerStatus: row.provider_status,
    minAttendanceBps: row.min_attendance,
  };
}

/** One module's reservation legs (0: the whole course) in the order they were planned: first expiry first. */
export async function legsInPlanOrder(db: Db | Tx, enrolmentId: string, moduleOrdinal: number) {
  const r = await db.execute<{ grant_id: string; transfer_id: string; amount: string }>(sql`
    select er.grant_id, er.transfer_id, er.amount::text from enrolment_reservations er join grants g on g.id = er.grant_id
     where er.enrolment_id = ${enrolmentId} and er.module_ordinal = ${moduleOrdinal}
     order by grant_spending_order(g.expires_at, g.granted_at, g.id)`);
  return r.rows.map((x) => ({ grantId: x.grant_id, transferId: x.transfer_id, amount: BigInt(x.amount) }));
}

/** The status of each module's live (not rejected) claim on an enrolment, by module ordinal. */
export async function liveModuleClaims(db: Db | Tx, enrolmentId: string): Promise<Map<number, string>> {
  const r = await db.execute<{ module_ordinal: number; status: string }>(sql`
    select module_ordinal, status from claims where enrolment_id = ${enrolmentId} and status <> 'rejected'`);
  return new Map(r.rows.map((x) => [x.module_ordinal, x.status]));
}

/** How many modules the enrolment's course pays by; 0 for a course paid in one claim. */
export async function moduleCountOf(db: Db | Tx, enrolmentId: string): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`
    select jsonb_array_length(c.modules)::int n from enrolments e join course_runs r on r.id = e.course_run_id join courses c on c.id = r.course_id
     where e.id = ${enrolmentId}`);
  return r.rows[0]?.n ?? 0;
}

export async function credentialUse(db: Db | Tx, providerId: string, credentialId: string) {
  const r = await db.execute<{ enrolment_id: string; status: string }>(sql`
    select enrolment_id, status from claims where provider_id = ${providerId} and credential_id = ${credentialId}`);
  return r.rows;
}

/**
 * Serialises everything that reads or changes one credential's state (a
 * claim on it, its revocation) until the transaction ends, so a revocation
 * and a claim racing each other cannot both miss the other.
 */
export async function lockCredential(db: Db | Tx, providerId: string, credentialId: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`credential:${providerId}:${credentialId}`}, 0))`);
}

export async function isRevoked(db: Db | Tx, providerId: string, credentialId: string) {
  const r = await db.execute(sql`select 1 from credential_revocations where provider_id = ${providerId} and credential_id = ${credentialId}`);
  return r.rows.length > 0;
}

export async function claimsInLastHour(db: Db | Tx, providerId: string, now: Date): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`
    select count(*)::int n from claims where provider_id = ${providerId} and submitted_at > ${new Date(now.getTime() - 3_600_000).toISOString()}::timestamptz`);
  return r.rows[0]?.n ?? 0;
}

/** Another completion of this learner on the same day on a run overlapping this one. */
export async function overlappingCompletion(db: Db | Tx, learnerId: string, enrolmentId: string, issuedAt: Date, run: { startsAt: Date; endsAt: Date }) {
  const r = await db.execute(sql`
    select 1 from claims c join enrolments e on e.id = c.enrolment_id join course_runs r on r.id = e.course_run_id
     where c.learner_id = ${learnerId} and c.enrolment_id <> ${enrolmentId} and c.status <> 'rejected'
       and (c.credential_issued_at at time zone 'UTC')::date = (${issuedAt.toISOString()}::timestamptz at time zone 'UTC')::date
       and r.starts_at < ${run.endsAt.toISOString()}::timestamptz and r.ends_at > ${run.startsAt.toISOString()}::timestamptz
     limit 1`);
  return r.rows.length > 0;
}

export interface ClaimFilter {
  providerId?: string | undefined;
  learnerId?: string | undefined;
  status?: ClaimStatus | undefined;
  onHold?: boolean | undefined;
  before?: { at: string; id: string } | undefined;
  limit: number;
}

function claimConditions(f: Omit<ClaimFilter, 'limit'>): SQL[] {
  return [
    f.providerId ? eq(claims.providerId, f.providerId) : undefined,
    f.learnerId ? eq(claims.learnerId, f.learnerId) : undefined,
    f.status ? eq(claims.status, f.status) : undefined,
    f.onHold !== undefined ? eq(claims.onHold, f.onHold) : undefined,
    f.before
      ? or(lt(claims.submittedAt, new Date(f.before.at)), and(eq(claims.submittedAt, new Date(f.before.at)), lt(claims.id, f.before.id)))
      : undefined,
  ].filter((c): c is SQL => c !== undefined);
}

export async function listClaims(db: Db | Tx, f: ClaimFilter) {
  const conditions = claimConditions(f);
  return db
    .select()
    .from(claims)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(claims.submittedAt), desc(claims.id))
    .limit(f.limit);
}

/** How many claims match the filter (no cursor, no limit). */
export async function countClaims(db: Db | Tx, f: Omit<ClaimFilter, 'limit' | 'before'>): Promise<number> {
  const conditions = claimConditions(f);
  return db.$count(claims, conditions.length ? and(...conditions) : undefined);
}
