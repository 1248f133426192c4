import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { courseRatings } from '../../db/schema/index.js';

export type RatingRow = typeof courseRatings.$inferSelect;

/** The rating, or undefined when the enrolment is already rated: a rating is given once. */
export async function insertRating(tx: Tx, row: typeof courseRatings.$inferInsert): Promise<RatingRow | undefined> {
  const [inserted] = await tx.insert(courseRatings).values(row).onConflictDoNothing().returning();
  return inserted;
}

/** The course and provider of an enrolment's run. */
export async function courseOfEnrolment(db: Db | Tx, enrolmentId: string): Promise<{ courseId: string; providerId: string } | undefined> {
  const r = await db.execute<{ course_id: string; provider_id: string }>(sql`
    select r.course_id, e.provider_id from enrolments e join course_runs r on r.id = e.course_run_id where e.id = ${enrolmentId}`);
  const row = r.rows[0];
  return row ? { courseId: row.course_id, providerId: row.provider_id } : undefined;
}

export type CourseRatingFigures = {
  provider_id: string;
  provider_name: string;
  course_id: string;
  course_title: string;
  n: number;
  stars_sum: number;
  s1: number;
  s2: number;
  s3: number;
  s4: number;
  s5: number;
};

/** Per course (of one provider, or all): how many ratings, their sum and how many gave each number of stars. */
export async function ratingFiguresPerCourse(db: Db | Tx, providerId?: string): Promise<CourseRatingFigures[]> {
  const r = await db.execute<CourseRatingFigures>(sql`
    select cr.provider_id, p.legal_name provider_name, cr.course_id, c.title course_title, count(*)::int n, sum(cr.stars)::int stars_sum,
           count(*) filter (where cr.stars = 1)::int s1, count(*) filter (where cr.stars = 2)::int s2, count(*) filter (where cr.stars = 3)::int s3,
           count(*) filter (where cr.stars = 4)::int s4, count(*) filter (where cr.stars = 5)::int s5
      from course_ratings cr join courses c on c.id = cr.course_id join providers p on p.id = cr.provider_id
     ${providerId ? sql`where cr.provider_id = ${providerId}` : sql``}
     group by cr.provider_id, p.legal_name, cr.course_id, c.title
     order by p.legal_name, cr.provider_id, c.title, cr.course_id`);
  return r.rows;
}

/** The newest comments on a provider's courses, without who wrote them. */
export async function commentsOfProvider(db: Db | Tx, providerId: string, limit: number) {
  const r = await db.execute<{ course_id: string; stars: number; comment: string; rated_at: string }>(sql`
    select course_id, stars, comment, rated_at::text from course_ratings
     where provider_id = ${providerId} and comment is not null
     order by rated_at desc limit ${limit}`);
  return r.rows;
}
