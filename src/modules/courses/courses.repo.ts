import { and, asc, eq, exists, gt, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { courseApprovals, courseRuns, courses, schemes } from '../../db/schema/index.js';

export type CourseRow = typeof courses.$inferSelect & { approvedSchemeIds: string[] };
export type CourseRunRow = typeof courseRuns.$inferSelect;
export type CourseApprovalRow = typeof courseApprovals.$inferSelect;

/** Which courses a reader may see: every course, or the approved ones plus (for a provider) its own. */
export type CourseVisibility = { kind: 'all' } | { kind: 'approved'; alsoOwnedBy?: string };

const approvedSchemeIds = sql<string[]>`coalesce((select array_agg(${courseApprovals.schemeId}::text order by ${courseApprovals.schemeId})
  from ${courseApprovals} where ${courseApprovals.courseId} = ${courses.id}), '{}'::text[])`;

const courseColumns = {
  id: courses.id,
  providerId: courses.providerId,
  code: courses.code,
  title: courses.title,
  category: courses.category,
  skills: courses.skills,
  hours: courses.hours,
  description: courses.description,
  createdAt: courses.createdAt,
  creditValue: courses.creditValue,
  creditSystem: courses.creditSystem,
  levelFramework: courses.levelFramework,
  level: courses.level,
  skillAlignments: courses.skillAlignments,
  assessmentType: courses.assessmentType,
  participationForm: courses.participationForm,
  qualityAssurance: courses.qualityAssurance,
  learningOutcomes: courses.learningOutcomes,
  awardingCountry: courses.awardingCountry,
  modules: courses.modules,
  approvedSchemeIds,
};

function visibleTo(db: Db | Tx, visibility: CourseVisibility): SQL | undefined {
  if (visibility.kind === 'all') return undefined;
  const approved = exists(db.select({ one: sql`1` }).from(courseApprovals).where(eq(courseApprovals.courseId, courses.id)));
  return visibility.alsoOwnedBy ? or(eq(courses.providerId, visibility.alsoOwnedBy), approved) : approved;
}

/** Postgres LIKE treats % and _ as wildcards and backslash as the escape. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

export async function insertCourse(db: Db | Tx, row: typeof courses.$inferInsert): Promise<CourseRow> {
  const [created] = await db.insert(courses).values(row).returning();
  return { ...created!, approvedSchemeIds: [] };
}

export async function findCourse(db: Db | Tx, id: string, visibility: CourseVisibility = { kind: 'all' }): Promise<CourseRow | undefined> {
  const [row] = await db
    .select(courseColumns)
    .from(courses)
    .where(and(eq(courses.id, id), visibleTo(db, visibility)));
  return row;
}

/**
 * The provider's course that lists a module with this achievement id, and the module's ordinal (from 1); a course
 * approved under a scheme first, should two of the provider's courses list the same achievement.
 */
export async function findCourseOfModuleAchievement(
  db: Db | Tx, providerId: string, achievementId: string,
): Promise<{ course: CourseRow; ordinal: number } | undefined> {
  const rows = await db
    .select(courseColumns)
    .from(courses)
    .where(and(eq(courses.providerId, providerId), sql`${courses.modules} @> jsonb_build_array(jsonb_build_object('achievementId', ${achievementId}::text))`))
    .orderBy(sql`cardinality(${approvedSchemeIds}) = 0`, asc(courses.createdAt), asc(courses.id))
    .limit(1);
  const course = rows[0];
  if (!course) return undefined;
  return { course, ordinal: course.modules.findIndex((m) => m.achievementId === achievementId) + 1 };
}

export interface CourseFilter {
  providerId?: string | undefined;
  category?: string | undefined;
  schemeId?: string | undefined;
  q?: string | undefined;
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Keyset page in (created_at, id) order. */
export async function listCourses(db: Db | Tx, visibility: CourseVisibility, f: CourseFilter): Promise<CourseRow[]> {
  const conditions = [
    visibleTo(db, visibility),
    f.providerId ? eq(courses.providerId, f.providerId) : undefined,
    f.category ? eq(courses.category, f.category) : undefined,
    f.schemeId
      ? exists(
          db
            .select({ one: sql`1` })
            .from(courseApprovals)
            .where(and(eq(courseApprovals.courseId, courses.id), eq(courseApprovals.schemeId, f.schemeId))),
        )
      : undefined,
    f.q ? ilike(courses.title, likePattern(f.q)) : undefined,
    f.after ? or(gt(courses.createdAt, f.after.createdAt), and(eq(courses.createdAt, f.after.createdAt), gt(courses.id, f.after.id))) : undefined,
  ];
  return db
    .select(courseColumns)
    .from(courses)
    .where(and(...conditions))
    .orderBy(asc(courses.createdAt), asc(courses.id))
    .limit(f.limit);
}

export async function insertCourseRun(db: Db | Tx, row: typeof courseRuns.$inferInsert): Promise<CourseRunRow> {
  const [created] = await db.insert(courseRuns).values(row).returning();
  return created!;
}

export async function findCourseRun(db: Db | Tx, runId: string): Promise<CourseRunRow | undefined> {
  const [row] = await db.select().from(courseRuns).where(eq(courseRuns.id, runId));
  return row;
}

export async function lockCourseRun(db: Db | Tx, runId: string): Promise<CourseRunRow | undefined> {
  const [row] = await db.select().from(courseRuns).where(eq(courseRuns.id, runId)).for('update');
  return row;
}

export async function cancelCourseRun(db: Db | Tx, runId: string, reason: string): Promise<CourseRunRow> {
  const [row] = await db
    .update(courseRuns)
    .set({ status: 'cancelled', cancelledReason: reason })
    .where(eq(courseRuns.id, runId))
    .returning();
  return row!;
}

/** Keyset page of a course's runs in (starts_at, id) order. */
export async function listCourseRuns(
  db: Db | Tx,
  courseId: string,
  f: { status?: CourseRunRow['status'] | undefined; after?: { startsAt: Date; id: string } | undefined; limit: number },
): Promise<CourseRunRow[]> {
  return db
    .select()
    .from(courseRuns)
    .where(
      and(
        eq(courseRuns.courseId, courseId),
        f.status ? eq(courseRuns.status, f.status) : undefined,
        f.after
          ? or(gt(courseRuns.startsAt, f.after.startsAt), and(eq(courseRuns.startsAt, f.after.startsAt), gt(courseRuns.id, f.after.id)))
          : undefined,
      ),
    )
    .orderBy(asc(courseRuns.startsAt), asc(courseRuns.id))
    .limit(f.limit);
}

export async function findSchemeStatus(db: Db | Tx, schemeId: string): Promise<'active' | 'closed' | undefined> {
  const [row] = await db.select({ status: schemes.status }).from(schemes).where(eq(schemes.id, schemeId));
  return row?.status;
}

/** Inserts the approval unless it exists; returns it and whether this call created it. */
export async function insertCourseApprovalIfAbsent(db: Db | Tx, row: CourseApprovalRow): Promise<{ approval: CourseApprovalRow; created: boolean }> {
  const [inserted] = await db.insert(courseApprovals).values(row).onConflictDoNothing().returning();
  if (inserted) return { approval: inserted, created: true };
  const [existing] = await db
    .select()
    .from(courseApprovals)
    .where(and(eq(courseApprovals.courseId, row.courseId), eq(courseApprovals.schemeId, row.schemeId)));
  return { approval: existing!, created: false };
}

export async function deleteCourseApproval(db: Db | Tx, courseId: string, schemeId: string): Promise<CourseApprovalRow | undefined> {
  const [deleted] = await db
    .delete(courseApprovals)
    .where(and(eq(courseApprovals.courseId, courseId), eq(courseApprovals.schemeId, schemeId)))
    .returning();
  return deleted;
}
