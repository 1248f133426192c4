import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import {
  approvalParams,
  courseApprovalSchema,
  courseIdParams,
  courseListQuerySchema,
  coursePageSchema,
  courseRunCancellationSchema,
  courseRunListQuerySchema,
  courseRunPageSchema,
  courseRunSchema,
  courseSchema,
  newCourseApprovalSchema,
  newCourseRunSchema,
  newCourseSchema,
  runIdParams,
} from './courses.schemas.js';
import { microCredentialOf } from './micro-credential.js';
import { coursesService, type CourseApprovalRow, type CourseRow, type CourseRunRow } from './courses.service.js';

const toCourse = (c: CourseRow) => ({
  id: c.id,
  providerId: c.providerId,
  code: c.code,
  title: c.title,
  category: c.category,
  skills: c.skills,
  hours: c.hours,
  description: c.description,
  microCredential: microCredentialOf(c),
  modules: c.modules.map((m, i) => ({ ordinal: i + 1, title: m.title, achievementId: m.achievementId, shareBps: m.shareBps })),
  approvedSchemeIds: c.approvedSchemeIds,
  createdAt: c.createdAt.toISOString(),
});

/** Where the run stands on the clock; `status` is only what was decided about it (scheduled or cancelled). */
const phaseOf = (r: CourseRunRow, now: Date) =>
  r.status === 'cancelled' ? 'cancelled' : now < r.startsAt ? 'upcoming' : now < r.endsAt ? 'running' : 'ended';

const toRun = (r: CourseRunRow, now: Date) => ({
  id: r.id,
  courseId: r.courseId,
  providerId: r.providerId,
  startsAt: r.startsAt.toISOString(),
  endsAt: r.endsAt.toISOString(),
  fee: r.fee,
  currency: r.currency,
  capacity: r.capacity,
  status: r.status,
  phase: phaseOf(r, now),
  cancelledReason: r.cancelledReason,
  createdAt: r.createdAt.toISOString(),
});

const toApproval = (a: CourseApprovalRow) => ({
  courseId: a.courseId,
  schemeId: a.schemeId,
  approvedAt: a.approvedAt.toISOString(),
  approvedBy: a.approvedBy,
});

const visibility =
  'Citizens see only courses approved for at least one scheme; a provider sees those and its own; admin and finance see all. Any other course is a 404.';

export function courseRoutes(deps: ServiceDeps): AnyRoute[] {
  const service = coursesService(deps);
  const tags = ['courses'];
  return [
    defineRoute({
      method: 'post',
      path: '/v1/courses',
      operationId: 'createCourse',
      summary: 'List a new course of the calling provider',
      description: 'The course is visible to citizens only once an administrator approves it for a scheme. A suspended provider may not add courses.',
      tags,
      roles: ['provider'],
      idempotent: true,
      body: newCourseSchema,
      responses: { 201: { description: 'The course', schema: courseSchema, headers: ['Location'] } },
      handler: async ({ body }, ctx) => {
        const course = await service.createCourse(ctx, body);
        return { status: 201, body: toCourse(course), headers: { Location: `/v1/courses/${course.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/courses',
      operationId: 'listCourses',
      summary: 'Courses, oldest first, filtered by provider, category, scheme or title',
      description: visibility,
      tags,
      roles: ['citizen', 'provider', 'finance', 'admin'],
      query: courseListQuerySchema,
      responses: { 200: { description: 'A page of courses', schema: coursePageSchema } },
      handler: async ({ query }, ctx) => {
        const page = await service.listCourses(ctx, query);
        return { status: 200, body: { items: page.items.map(toCourse), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/courses/{courseId}',
      operationId: 'getCourse',
      summary: 'One course',
      description: visibility,
      tags,
      roles: ['citizen', 'provider', 'finance', 'admin'],
      params: courseIdParams,
      responses: { 200: { description: 'The course', schema: courseSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: toCourse(await service.getCourse(ctx, params.courseId)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/courses/{courseId}/runs',
      operationId: 'createCourseRun',
      summary: 'Schedule a run of one of the calling provider’s courses',
      description: "Another provider's course is a 404.",
      tags,
      roles: ['provider'],
      idempotent: true,
      params: courseIdParams,
      body: newCourseRunSchema,
      responses: { 201: { description: 'The course run', schema: courseRunSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 201, body: toRun(await service.addRun(ctx, params.courseId, body), deps.clock.now()) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/courses/{courseId}/runs',
      operationId: 'listCourseRuns',
      summary: "A course's runs in start order",
      description: visibility,
      tags,
      roles: ['citizen', 'provider', 'finance', 'admin'],
      params: courseIdParams,
      query: courseRunListQuerySchema,
      responses: { 200: { description: 'A page of course runs', schema: courseRunPageSchema } },
      handler: async ({ params, query }, ctx) => {
        const page = await service.listRuns(ctx, params.courseId, query);
        return { status: 200, body: { items: page.items.map((r) => toRun(r, deps.clock.now())), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/course-runs/{runId}/cancel',
      operationId: 'cancelCourseRun',
      summary: 'Cancel a run of one of the calling provider’s courses',
      description: "Another provider's run is a 404. A cancelled run cannot be cancelled again (409 invalid_state).",
      tags,
      roles: ['provider'],
      idempotent: true,
      params: runIdParams,
      body: courseRunCancellationSchema,
      responses: { 200: { description: 'The cancelled run', schema: courseRunSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: toRun(await service.cancelRun(ctx, params.runId, body.reason), deps.clock.now()) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/courses/{courseId}/approvals',
      operationId: 'approveCourse',
      summary: 'Approve a course for a scheme',
      description: 'Approving again returns the existing approval with 200. A closed scheme refuses new approvals (409 invalid_state).',
      tags,
      roles: ['admin'],
      idempotent: true,
      params: courseIdParams,
      body: newCourseApprovalSchema,
      responses: {
        200: { description: 'The course was already approved for the scheme', schema: courseApprovalSchema },
        201: { description: 'The approval', schema: courseApprovalSchema },
      },
      handler: async ({ params, body }, ctx) => {
        const { approval, created } = await service.approve(ctx, params.courseId, body.schemeId);
        return { status: created ? 201 : 200, body: toApproval(approval) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/courses/{courseId}/approvals/{schemeId}',
      operationId: 'revokeCourseApproval',
      summary: 'Withdraw a course’s approval for a scheme',
      description: 'Admins withdraw a course\'s approval for a scheme: no new enrolment can be funded from that scheme for it. Enrolments already reserved stand.',
      tags,
      roles: ['admin'],
      idempotent: true,
      params: approvalParams,
      responses: { 204: { description: 'The approval was withdrawn' } },
      handler: async ({ params }, ctx) => {
        await service.revokeApproval(ctx, params.courseId, params.schemeId);
        return { status: 204 };
      },
    }),
  ];
}
