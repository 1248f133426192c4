import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { amountSchema, currencySchema } from '../../lib/money.js';

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and hyphens, up to 64 characters, such as data-analytics');

export const newCourseSchema = z
  .strictObject({
    code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be the provider's course code: letters, digits, '.', '_' or '-', up to 64")
      .meta({ description: 'Unique among the provider’s courses', example: 'TGS-2027001234' }),
    title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    category: slug.meta({ example: 'data-analytics' }),
    skills: z
      .array(z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'))
      .max(50, 'must list at most 50 skills')
      .refine((skills) => new Set(skills).size === skills.length, 'must not repeat a skill')
      .default([]),
    hours: z.number().int('must be a whole number of hours').min(1, 'must be at least 1').max(10_000, 'must be at most 10000'),
    description: z.string().trim().max(5_000, 'must be at most 5000 characters').optional(),
  })
  .meta({ id: 'NewCourse' });

export const courseSchema = z
  .object({
    id: z.uuid(),
    providerId: z.uuid(),
    code: z.string(),
    title: z.string(),
    category: z.string(),
    skills: z.array(z.string()),
    hours: z.number().int(),
    description: z.string().nullable(),
    approvedSchemeIds: z.array(z.uuid()).meta({ description: 'Schemes that fund this course' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Course' });

export const coursePageSchema = pageSchema(courseSchema).meta({ id: 'CoursePage' });

export const courseListQuerySchema = z.strictObject({
  providerId: z.uuid().optional(),
  category: slug.optional(),
  schemeId: z.uuid().optional().meta({ description: 'Only courses approved for this scheme' }),
  q: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional().meta({
    description: 'Words in the title, case-insensitive',
  }),
  ...pageQuery,
});

export const courseIdParams = z.strictObject({ courseId: z.uuid() });
export const runIdParams = z.strictObject({ runId: z.uuid() });
export const approvalParams = z.strictObject({ courseId: z.uuid(), schemeId: z.uuid() });

const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, such as 2027-03-01T09:00:00+08:00' });

export const newCourseRunSchema = z
  .strictObject({
    startsAt: instant,
    endsAt: instant,
    fee: amountSchema.meta({ description: 'Course fee in minor units of currency; 0 for a free run' }),
    currency: currencySchema,
    capacity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000'),
  })
  // Written so that an unparsable date (NaN) passes here: its own field already reports it.
  .refine((r) => !(Date.parse(r.endsAt) <= Date.parse(r.startsAt)), { path: ['endsAt'], message: 'must be after startsAt' })
  .meta({ id: 'NewCourseRun' });

export const courseRunSchema = z
  .object({
    id: z.uuid(),
    courseId: z.uuid(),
    providerId: z.uuid(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    fee: z.string().meta({ description: 'Minor units' }),
    currency: z.string(),
    capacity: z.number().int(),
    status: z.enum(['scheduled', 'cancelled']),
    phase: z.enum(['upcoming', 'running', 'ended', 'cancelled']).meta({ description: 'Where the run stands now: before its start, between start and end, after its end, or cancelled' }),
    cancelledReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CourseRun' });

export const courseRunPageSchema = pageSchema(courseRunSchema).meta({ id: 'CourseRunPage' });

export const courseRunListQuerySchema = z.strictObject({ status: z.enum(['scheduled', 'cancelled']).optional(), ...pageQuery });

export const courseRunCancellationSchema = z
  .strictObject({ reason: z.string().trim().min(1, 'must not be empty').max(1_000, 'must be at most 1000 characters') })
  .meta({ id: 'CourseRunCancellation' });

export const newCourseApprovalSchema = z.strictObject({ schemeId: z.uuid() }).meta({ id: 'NewCourseApproval' });

export const courseApprovalSchema = z
  .object({ courseId: z.uuid(), schemeId: z.uuid(), approvedAt: z.iso.datetime(), approvedBy: z.string() })
  .meta({ id: 'CourseApproval' });
