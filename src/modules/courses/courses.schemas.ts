import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { amountSchema, currencySchema } from '../../lib/money.js';

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and hyphens, up to 64 characters, such as data-analytics');

const escoConcept = /^https?:\/\/data\.europa\.eu\/esco\/(skill|occupation)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const frameworkCode = /^[a-z][a-z0-9-]{1,31}:[A-Za-z0-9][A-Za-z0-9._\/-]{0,99}$/;
const isUrl = (s: string) => URL.canParse(s) && /^https?:\/\/[^\s]+$/.test(s);

/** An ESCO concept URI, another framework's skill URI, or a `framework:code` such as `sfw:DAT-ANA-3001-1.1`. */
const skillAlignment = z
  .string()
  .trim()
  .max(300, 'must be at most 300 characters')
  .refine(
    (s) => (/^https?:\/\/data\.europa\.eu\/esco\//.test(s) ? escoConcept.test(s) : isUrl(s) || frameworkCode.test(s)),
    'must be an ESCO URI such as http://data.europa.eu/esco/skill/<uuid>, another skill URI, or framework:code such as sfw:DAT-ANA-3001-1.1',
  );

/**
 * The elements of the EU Council Recommendation on micro-credentials (2022) a course holds; the provider is the
 * awarding body, the title and hours are the course's own. Everything EU-mandatory is required here; credits
 * ("in ECTS where possible") and skills are optional.
 */
export const microCredentialSchema = z
  .strictObject({
    credits: z
      .strictObject({
        // A decimal string: JSON bodies here take whole numbers only, and ECTS credits are often halves.
        value: z
          .string()
          .refine(
            (v) => /^\d{1,4}(\.\d{1,2})?$/.test(v) && Number(v) > 0 && Number(v) <= 1_000,
            'must be a decimal number of credits greater than 0 and at most 1000, with at most 2 decimals, such as "2.5"',
          )
          .transform((v) => String(Number(v))),
        system: z
          .string()
          .trim()
          .regex(/^(ECTS|MQF|[A-Za-z][A-Za-z0-9 ._-]{1,31})$/, 'must be ECTS, MQF or the name of another credit system, up to 32 characters'),
      })
      .optional()
      .meta({ description: 'Notional workload in credits, ECTS where possible', example: { value: '2.5', system: 'ECTS' } }),
    level: z
      .strictObject({
        framework: z.enum(['EQF', 'MQF']),
        value: z.number().int('must be a whole number').min(1, 'must be at least 1').max(8, 'must be at most 8'),
      })
      .meta({ description: 'Level in the European or Malaysian Qualifications Framework', example: { framework: 'EQF', value: 5 } }),
    skills: z
      .array(skillAlignment)
      .max(50, 'must list at most 50 skills')
      .refine((skills) => new Set(skills).size === skills.length, 'must not repeat a skill')
      .default([])
      .meta({
        description: 'ESCO URIs or skills-framework codes (framework:code); signed as the achievement’s alignment',
        example: ['http://data.europa.eu/esco/skill/0a0b1e0c-3c3b-4f7e-9e7a-3c5f6b2d1e4a', 'sfw:DAT-ANA-3001-1.1'],
      }),
    assessmentType: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').meta({ example: 'Proctored online exam' }),
    participationForm: z.enum(['online', 'onsite', 'blended']),
    qualityAssurance: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').meta({ example: 'MQA accredited programme' }),
    learningOutcomes: z
      .array(z.string().trim().min(1, 'must not be empty').max(1_000, 'must be at most 1000 characters'))
      .min(1, 'must list at least one learning outcome')
      .max(50, 'must list at most 50 learning outcomes')
      .meta({ example: ['Cleans and joins tabular data with SQL', 'Presents findings in a dashboard'] }),
    awardingCountry: z
      .string()
      .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be an ISO 3166-1 alpha-2 country code or an ISO 3166-2 region code, such as MY or MY-10')
      .meta({ description: 'Where the credential is awarded: ISO 3166-1 country or ISO 3166-2 region', example: 'MY' }),
  })
  .meta({ id: 'MicroCredential', description: 'What the course’s micro-credential is, as the provider signs it in the Open Badges 3.0 Achievement' });

/** Basis points of the whole: the module shares of a course add up to exactly this. */
export const WHOLE_BPS = 10_000;

export const courseModuleSchema = z
  .strictObject({
    title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    achievementId: z
      .string()
      .trim()
      .max(300, 'must be at most 300 characters')
      .refine((s) => /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(s) || isUrl(s), 'must be a URI (https://… or urn:…) naming the Open Badges achievement the provider signs for this module')
      .meta({ example: 'urn:academy:achievement:data-analytics-module-1' }),
    shareBps: z
      .number()
      .int('must be a whole number of basis points')
      .min(1, 'must be at least 1 basis point')
      .max(WHOLE_BPS, `must be at most ${WHOLE_BPS} basis points`)
      .meta({ description: 'This module’s share of the course price in basis points (2500 = 25%)', example: 2500 }),
  })
  .meta({ id: 'CourseModule' });

/** A modular course's modules, in order: 2 to 20, distinct achievements, shares adding up to exactly 10000 basis points. */
const courseModulesSchema = z
  .array(courseModuleSchema)
  .min(2, 'must list at least 2 modules (leave modules out for a course paid in one claim)')
  .max(20, 'must list at most 20 modules')
  .superRefine((modules, ctx) => {
    const total = modules.reduce((s, m) => s + (Number.isInteger(m.shareBps) ? m.shareBps : 0), 0);
    if (total !== WHOLE_BPS) ctx.addIssue({ code: 'custom', message: `shareBps must add up to exactly ${WHOLE_BPS} (the whole price); these add up to ${total}` });
    const seen = new Set<string>();
    modules.forEach((m, i) => {
      if (seen.has(m.achievementId)) ctx.addIssue({ code: 'custom', path: [i, 'achievementId'], message: 'must differ from every other module’s achievementId' });
      seen.add(m.achievementId);
    });
  })
  .meta({
    description: 'Omit for a course paid in one claim. A modular course pays per module: each module’s credential backs a milestone claim for its share; the last one completes the enrolment.',
    example: [
      { title: 'Module 1: Python basics', achievementId: 'urn:academy:achievement:data-analytics-module-1', shareBps: 4000 },
      { title: 'Module 2: Data analysis', achievementId: 'urn:academy:achievement:data-analytics-module-2', shareBps: 6000 },
    ],
  });

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
    microCredential: microCredentialSchema.optional().meta({
      description: 'Omit for plain training; give it to describe the micro-credential the course awards (all EU-mandatory elements at once)',
    }),
    modules: courseModulesSchema.optional(),
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
    hours: z.number().int().meta({ description: 'Learning hours (notional workload)' }),
    description: z.string().nullable(),
    microCredential: z.union([microCredentialSchema, z.null()]),
    modules: z
      .array(courseModuleSchema.extend({ ordinal: z.number().int().meta({ description: 'The module number a milestone claim names (1 = first)' }) }))
      .meta({ description: 'The modules of a modular course in order; empty when the course is paid in one claim' }),
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
