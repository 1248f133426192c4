import { endEnrolmentsOfCancelledRun } from '../enrolments/enrolments.service.js';
import { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { actorOf } from '../acting.js';
import type { Principal } from '../../lib/principal.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { cursorDate, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId } from '../../lib/ids.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { ownProviderId, requireActiveProvider, type Caller } from '../providers/providers.service.js';
import type { courseListQuerySchema, courseRunListQuerySchema, newCourseRunSchema, newCourseSchema } from './courses.schemas.js';
import { microCredentialColumns } from './micro-credential.js';
import {
  cancelCourseRun,
  deleteCourseApproval,
  findCourse,
  findCourseRun,
  findSchemeStatus,
  insertCourse,
  insertCourseApprovalIfAbsent,
  insertCourseRun,
  listCourseRuns,
  listCourses,
  lockCourseRun,
  type CourseVisibility,
} from './courses.repo.js';

export type { CourseApprovalRow, CourseRow, CourseRunRow } from './courses.repo.js';

const courseCursor = z.object({ createdAt: cursorDate, id: z.uuid() });
const runCursor = z.object({ startsAt: cursorDate, id: z.uuid() });

/**
 * Citizens see only courses some scheme funds; a provider sees those and
 * its own; staff see everything. What a reader may not see is a 404.
 */
function visibilityFor(principal: Principal): CourseVisibility {
  switch (principal.role) {
    case 'admin':
    case 'finance':
      return { kind: 'all' };
    case 'provider':
      return { kind: 'approved', alsoOwnedBy: principal.providerId };
    case 'citizen':
    case 'analyst':
    case 'counter':
      return { kind: 'approved' };
  }
}

function page<T>(rows: T[], limit: number, cursorOf: (last: T) => Record<string, string>) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

export function coursesService(deps: ServiceDeps) {
  const audit = (tx: Tx, caller: Caller, action: string, entityType: string, entityId: string, details: Record<string, unknown>) =>
    recordAudit(tx, { actor: actorOf(caller), action, entityType, entityId, requestId: caller.requestId, at: deps.clock.now(), details });

  async function getCourse(caller: Caller, courseId: string) {
    const course = await findCourse(caller.db, courseId, visibilityFor(caller.principal));
    if (!course) throw notFound('course');
    return course;
  }

  return {
    getCourse,

    async createCourse(caller: Caller, input: z.output<typeof newCourseSchema>) {
      const providerId = ownProviderId(caller);
      return inTransaction(caller.db, async (tx) => {
        await requireActiveProvider(tx, providerId);
        const { microCredential, modules = [], ...plain } = input;
        const course = await insertCourse(tx, {
          id: newId(), providerId, ...plain, ...microCredentialColumns(microCredential), modules, createdAt: deps.clock.now(),
        });
        await audit(tx, caller, 'course.created', 'course', course.id, { providerId, code: course.code, title: course.title });
        return course;
      });
    },

    async listCourses(caller: Caller, query: z.output<typeof courseListQuerySchema>) {
      const { cursor, limit, ...filter } = query;
      const rows = await listCourses(caller.db, visibilityFor(caller.principal), {
        ...filter,
        after: decodeCursor(cursor, courseCursor),
        limit: limit + 1,
      });
      return page(rows, limit, (c) => ({ createdAt: c.createdAt.toISOString(), id: c.id }));
    },

    /** Another provider's course is a 404, exactly as if it did not exist. */
    async addRun(caller: Caller, courseId: string, input: z.output<typeof newCourseRunSchema>) {
      const providerId = ownProviderId(caller);
      return inTransaction(caller.db, async (tx) => {
        await requireActiveProvider(tx, providerId);
        const course = await findCourse(tx, courseId);
        if (!course || course.providerId !== providerId) throw notFound('course');
        const run = await insertCourseRun(tx, {
          id: newId(),
          courseId,
          providerId,
          startsAt: new Date(input.startsAt),
          endsAt: new Date(input.endsAt),
          fee: input.fee,
          currency: input.currency,
          capacity: input.capacity,
          status: 'scheduled',
          createdAt: deps.clock.now(),
        });
        await audit(tx, caller, 'course_run.created', 'course_run', run.id, {
          courseId,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          fee: input.fee.toString(),
          currency: input.currency,
          capacity: input.capacity,
        });
        return run;
      });
    },

    async listRuns(caller: Caller, courseId: string, query: z.output<typeof courseRunListQuerySchema>) {
      await getCourse(caller, courseId);
      const rows = await listCourseRuns(caller.db, courseId, {
        status: query.status,
        after: decodeCursor(query.cursor, runCursor),
        limit: query.limit + 1,
      });
      return page(rows, query.limit, (r) => ({ startsAt: r.startsAt.toISOString(), id: r.id }));
    },

    /** One run of the calling provider's own courses; another provider's run is a 404, like one that does not exist. */
    async getOwnRun(caller: Caller, runId: string) {
      const run = await findCourseRun(caller.db, runId);
      if (!run || run.providerId !== ownProviderId(caller)) throw notFound('course run');
      return run;
    },

    /** Marks the run cancelled. A suspended provider may still cancel: that protects its learners. */
    async cancelRun(caller: Caller, runId: string, reason: string) {
      const providerId = ownProviderId(caller);
      return inTransaction(caller.db, async (tx) => {
        const run = await lockCourseRun(tx, runId);
        if (!run || run.providerId !== providerId) throw notFound('course run');
        if (run.status === 'cancelled') throw new AppError('invalid_state', 'the course run is already cancelled');
        const cancelled = await cancelCourseRun(tx, runId, reason);
        const enrolmentsEnded = await endEnrolmentsOfCancelledRun(deps, tx, runId, reason, { actor: actorOf(caller), requestId: caller.requestId });
        await audit(tx, caller, 'course_run.cancelled', 'course_run', runId, { courseId: run.courseId, reason, enrolmentsEnded });
        return cancelled;
      });
    },

    async approve(caller: Caller, courseId: string, schemeId: string) {
      return inTransaction(caller.db, async (tx) => {
        if (!(await findCourse(tx, courseId))) throw notFound('course');
        const schemeStatus = await findSchemeStatus(tx, schemeId);
        if (!schemeStatus) throw notFound('scheme');
        if (schemeStatus !== 'active') throw new AppError('invalid_state', 'the scheme is closed: courses can no longer be approved for it');
        const result = await insertCourseApprovalIfAbsent(tx, {
          courseId,
          schemeId,
          approvedAt: deps.clock.now(),
          approvedBy: caller.principal.subject,
        });
        if (result.created) await audit(tx, caller, 'course.approved', 'course', courseId, { schemeId });
        return result;
      });
    },

    async revokeApproval(caller: Caller, courseId: string, schemeId: string) {
      return inTransaction(caller.db, async (tx) => {
        const deleted = await deleteCourseApproval(tx, courseId, schemeId);
        if (!deleted) throw notFound('course approval');
        await audit(tx, caller, 'course.approval_revoked', 'course', courseId, { schemeId, approvedAt: deleted.approvedAt.toISOString() });
      });
    },
  };
}
