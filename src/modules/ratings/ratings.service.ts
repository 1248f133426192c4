import type { Db, Tx } from '../../db/client.js';
import { findEnrolment } from '../enrolments/enrolments.repo.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { Acting } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import { completionApproved } from '../incentives/incentives.repo.js';
import { accrueIncentive } from '../incentives/incentives.service.js';
import { commentsOfProvider, courseOfEnrolment, insertRating, ratingFiguresPerCourse, type CourseRatingFigures, type RatingRow } from './ratings.repo.js';

/**
 * A learner rates the course of their own enrolment, once, after its claim
 * was approved. The rating may be what their completion incentive waits
 * for, so it is given in the same transaction as the incentive it releases.
 */
export async function rateCourse(
  deps: ServiceDeps, db: Db | Tx, learnerId: string, enrolmentId: string, input: { stars: number; comment?: string | undefined }, acting: Acting,
): Promise<RatingRow> {
  return inTransaction(db, async (tx) => {
    // The enrolment row lock serialises ratings of one enrolment.
    const enrolment = await findEnrolment(tx, enrolmentId, { forUpdate: true });
    if (!enrolment || enrolment.learnerId !== learnerId) throw notFound('enrolment');
    if (!(await completionApproved(tx, enrolmentId))) {
      throw new AppError('invalid_state', 'a course can be rated once its completion claim is approved', { reasons: ['completion_not_approved'] });
    }
    const course = (await courseOfEnrolment(tx, enrolmentId))!;
    const now = deps.clock.now();
    const comment = input.comment === undefined || input.comment === '' ? null : input.comment;
    const rating = await insertRating(tx, { enrolmentId, learnerId, courseId: course.courseId, providerId: course.providerId, stars: input.stars, comment, ratedAt: now });
    if (!rating) throw new AppError('conflict', 'this enrolment is already rated: a rating is given once and not replaced');
    // The comment is the learner's own words: kept with the rating, not in the audit trail.
    await recordAudit(tx, {
      ...acting, action: 'course.rated', entityType: 'enrolment', entityId: enrolmentId, at: now,
      details: { courseId: course.courseId, stars: input.stars, withComment: comment !== null },
    });
    await accrueIncentive(deps, tx, enrolmentId, acting);
    return rating;
  });
}

const figures = (f: Pick<CourseRatingFigures, 'n' | 'stars_sum' | 's1' | 's2' | 's3' | 's4' | 's5'>) => ({
  count: f.n,
  average: f.n === 0 ? null : Math.round((f.stars_sum / f.n) * 100) / 100,
  distribution: { '1': f.s1, '2': f.s2, '3': f.s3, '4': f.s4, '5': f.s5 },
});

const sum = (rows: CourseRatingFigures[]) =>
  rows.reduce((a, r) => ({ n: a.n + r.n, stars_sum: a.stars_sum + r.stars_sum, s1: a.s1 + r.s1, s2: a.s2 + r.s2, s3: a.s3 + r.s3, s4: a.s4 + r.s4, s5: a.s5 + r.s5 }),
    { n: 0, stars_sum: 0, s1: 0, s2: 0, s3: 0, s4: 0, s5: 0 });

/** Ratings per provider and, within each, per course: count, average (2 decimals) and how many gave each number of stars. */
export async function courseRatingsReport(db: Db | Tx, providerId?: string) {
  const rows = await ratingFiguresPerCourse(db, providerId);
  const byProvider = new Map<string, CourseRatingFigures[]>();
  for (const r of rows) byProvider.set(r.provider_id, [...(byProvider.get(r.provider_id) ?? []), r]);
  return [...byProvider.values()].map((courses) => ({
    providerId: courses[0]!.provider_id,
    providerName: courses[0]!.provider_name,
    ...figures(sum(courses)),
    courses: courses.map((c) => ({ courseId: c.course_id, title: c.course_title, ...figures(c) })),
  }));
}

/** What a provider sees of its own ratings: the figures, and the newest comments without who wrote them. */
export async function providerRatings(db: Db | Tx, providerId: string) {
  const [report] = await courseRatingsReport(db, providerId);
  const comments = await commentsOfProvider(db, providerId, 100);
  return {
    providerId,
    count: report?.count ?? 0,
    average: report?.average ?? null,
    distribution: report?.distribution ?? { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
    courses: report?.courses ?? [],
    comments: comments.map((c) => ({ courseId: c.course_id, stars: c.stars, comment: c.comment, ratedAt: new Date(c.rated_at).toISOString() })),
  };
}
