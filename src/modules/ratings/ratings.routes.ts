import { defineRoute, type AnyRoute } from '../../http/route.js';
import { notFound } from '../../lib/app-error.js';
import { actingOf } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import { enrolmentIdParams } from '../enrolments/enrolments.schemas.js';
import { ownProviderId } from '../providers/providers.service.js';
import { courseRatingsReportSchema, providerRatingsSchema, ratingBody, ratingSchema } from './ratings.schemas.js';
import { courseRatingsReport, providerRatings, rateCourse } from './ratings.service.js';

export function ratingRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/enrolments/{enrolmentId}/rating', operationId: 'rateCourse',
      summary: 'Rate the course of my completed enrolment, once',
      description: 'A citizen rates the course of their own enrolment (1 to 5 stars, an optional comment of at most 1,000 characters) once its completion claim is approved. A rating is given once and not replaced: a second one is refused with 409 `conflict`. Before approval: 409 `invalid_state` (`completion_not_approved`). Where the scheme pays a completion incentive after the rating, the incentive is accrued with it (see listMyIncentives). The comment is shown to the provider without the learner\'s identity.',
      tags: ['me'], roles: ['citizen'], params: enrolmentIdParams, body: ratingBody, idempotent: true,
      responses: {
        201: { description: 'Rated', schema: ratingSchema },
        409: { description: '`conflict`: the enrolment is already rated; `invalid_state`: its claim is not approved yet' },
      },
      handler: async ({ params, body }, ctx) => {
        if (ctx.principal.role !== 'citizen') throw notFound('enrolment');
        const r = await rateCourse(deps, ctx.db, ctx.principal.learnerId, params.enrolmentId, body, actingOf(ctx));
        return { status: 201, body: { enrolmentId: r.enrolmentId, courseId: r.courseId, stars: r.stars, comment: r.comment, ratedAt: r.ratedAt.toISOString() } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/course-ratings', operationId: 'courseRatingsReport',
      summary: 'Course ratings per provider and per course: count, average, distribution',
      description: 'The quality signal behind provider recognition: for each provider and each of its rated courses, how many learners rated it, the average (to 2 decimals) and how many gave each number of stars. No learner identity and no comments.',
      tags: ['reports'], roles: ['finance', 'admin'],
      responses: { 200: { description: 'The report', schema: courseRatingsReportSchema } },
      handler: async (_input, ctx) => ({ status: 200, body: { providers: await courseRatingsReport(ctx.db) } }),
    }),
    defineRoute({
      method: 'get', path: '/v1/providers/me/course-ratings', operationId: 'ownCourseRatings',
      summary: 'How learners rated the calling provider\'s courses',
      description: 'The signed-in provider\'s ratings: figures for all its courses and per course, and the newest 100 comments, without who wrote them.',
      tags: ['providers'], roles: ['provider'],
      responses: { 200: { description: 'The ratings', schema: providerRatingsSchema } },
      handler: async (_input, ctx) => ({ status: 200, body: await providerRatings(ctx.db, ownProviderId(ctx)) }),
    }),
  ];
}

