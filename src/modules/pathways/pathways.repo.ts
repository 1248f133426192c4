import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { pathwayCompletions, pathways } from '../../db/schema/index.js';
import type { CourseCompletion } from './pathway-rule.js';

export type PathwayRow = typeof pathways.$inferSelect;
export type CompletionRow = typeof pathwayCompletions.$inferSelect;

export async function insertPathway(db: Db | Tx, row: typeof pathways.$inferInsert): Promise<PathwayRow> {
  const [r] = await db.insert(pathways).values(row).returning();
  return r!;
}

export async function findPathway(db: Db | Tx, id: string): Promise<PathwayRow | undefined> {
  return (await db.select().from(pathways).where(eq(pathways.id, id)))[0];
}

export async function listPathways(db: Db | Tx, filter: { schemeId?: string | undefined; status?: 'active' | 'retired' | undefined }) {
  const where = and(
    filter.schemeId ? eq(pathways.schemeId, filter.schemeId) : undefined,
    filter.status ? eq(pathways.status, filter.status) : undefined,
  );
  return db.select().from(pathways).where(where).orderBy(asc(pathways.createdAt), asc(pathways.id)).limit(500);
}

export async function retirePathwayRow(db: Db | Tx, id: string, at: Date, reason: string): Promise<PathwayRow | undefined> {
  const [r] = await db
    .update(pathways)
    .set({ status: 'retired', retiredAt: at, retiredReason: reason })
    .where(and(eq(pathways.id, id), eq(pathways.status, 'active')))
    .returning();
  return r;
}

/** The active pathways that stack this course. */
export async function activePathwaysWith(db: Db | Tx, courseId: string): Promise<PathwayRow[]> {
  return db
    .select()
    .from(pathways)
    .where(and(eq(pathways.status, 'active'), sql`${pathways.courseIds} @> array[${courseId}]::uuid[]`));
}

/** Pathways that stack any of these courses. */
export async function pathwaysWithAny(db: Db | Tx, courseIds: string[]): Promise<PathwayRow[]> {
  if (courseIds.length === 0) return [];
  return db
    .select()
    .from(pathways)
    .where(sql`${pathways.courseIds} && ${`{${courseIds.join(',')}}`}::uuid[]`)
    .orderBy(asc(pathways.createdAt), asc(pathways.id));
}

export interface CountedCompletion extends CourseCompletion {
  courseTitle: string;
  credentialId: string | null;
}

/**
 * A learner's course completions that count toward pathways: claims approved
 * (or since paid) that completed their enrolment, at the time the provider's
 * credential was issued. A milestone claim for a module that is not the last
 * leaves its enrolment open and does not count.
 */
export async function courseCompletionsOf(db: Db | Tx, learnerId: string): Promise<CountedCompletion[]> {
  const r = await db.execute<{ claim_id: string; course_id: string; at: string; credential_id: string | null; title: string }>(sql`
    select * from (
      -- One completion per enrolment: a modular course's is its last module's claim,
      -- and a course with any module claim reversed is no longer complete.
      select distinct on (c.enrolment_id)
             c.id as claim_id, r.course_id, coalesce(c.credential_issued_at, c.decided_at, c.submitted_at)::text as at, c.credential_id, co.title
        from claims c
        join enrolments e on e.id = c.enrolment_id
        join course_runs r on r.id = e.course_run_id
        join courses co on co.id = r.course_id
       where c.learner_id = ${learnerId} and c.status in ('approved', 'paid') and e.status = 'completed'
         and not exists (select 1 from claims rc where rc.enrolment_id = c.enrolment_id and rc.status = 'reversed')
       order by c.enrolment_id, coalesce(c.credential_issued_at, c.decided_at, c.submitted_at) desc, c.id desc) x
     order by at, claim_id`);
  return r.rows.map((x) => ({ claimId: x.claim_id, courseId: x.course_id, at: new Date(x.at), credentialId: x.credential_id, courseTitle: x.title }));
}

export async function completionsOf(db: Db | Tx, learnerId: string): Promise<CompletionRow[]> {
  return db.select().from(pathwayCompletions).where(eq(pathwayCompletions.learnerId, learnerId));
}

export async function findCompletion(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<CompletionRow | undefined> {
  const q = db.select().from(pathwayCompletions).where(eq(pathwayCompletions.id, id));
  return (await (options.forUpdate ? q.for('update') : q))[0];
}

export async function findCompletionByCredentialId(db: Db | Tx, credentialId: string): Promise<CompletionRow | undefined> {
  return (await db.select().from(pathwayCompletions).where(eq(pathwayCompletions.credentialId, credentialId)))[0];
}

/** Inserts the completion unless the learner has completed the pathway already; undefined then. */
export async function insertCompletionOnce(db: Db | Tx, row: typeof pathwayCompletions.$inferInsert): Promise<CompletionRow | undefined> {
  const [r] = await db.insert(pathwayCompletions).values(row).onConflictDoNothing({ target: [pathwayCompletions.learnerId, pathwayCompletions.pathwayId] }).returning();
  return r;
}

export async function setBonusOutcome(
  db: Db | Tx, id: string, outcome: { bonusStatus: 'granted' | 'refused'; bonusGrantId: string | null; bonusRefusalReason: string | null },
): Promise<CompletionRow> {
  const [r] = await db.update(pathwayCompletions).set(outcome).where(eq(pathwayCompletions.id, id)).returning();
  return r!;
}

export async function revokeCompletionCredential(db: Db | Tx, id: string, at: Date, reason: string): Promise<CompletionRow | undefined> {
  const [r] = await db
    .update(pathwayCompletions)
    .set({ revokedAt: at, revocationReason: reason })
    .where(and(eq(pathwayCompletions.id, id), sql`${pathwayCompletions.revokedAt} is null`))
    .returning();
  return r;
}
