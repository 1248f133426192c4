import { z } from 'zod';
import { minorUnitsSchema as money } from '../../lib/money.js';
import { enrolmentStatuses } from '../../db/schema/index.js';
import { pageQuery } from '../../lib/cursor.js';

export const enrolmentIdParams = z.strictObject({ enrolmentId: z.uuid() });

export const requestEnrolmentBody = z.strictObject({ learnerId: z.uuid(), courseRunId: z.uuid() }).meta({ id: 'RequestEnrolment' });
export const selfEnrolBody = z.strictObject({ courseRunId: z.uuid() }).meta({ id: 'SelfEnrol' });
export const withdrawBody = z.strictObject({ reason: z.string().trim().min(1).max(500) }).meta({ id: 'WithdrawEnrolment' });
export const emptyBody = z.strictObject({}).meta({ id: 'EmptyBody' });

export const listEnrolmentsQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(enrolmentStatuses).optional(),
  courseRunId: z.uuid().optional(),
  learnerId: z.uuid().optional(),
});
export const myEnrolmentsQuery = z.strictObject({ ...pageQuery, status: z.enum(enrolmentStatuses).optional() });

export const enrolmentSchema = z
  .object({
    id: z.uuid(),
    learnerId: z.uuid(),
    courseRunId: z.uuid(),
    providerId: z.uuid(),
    status: z.enum(enrolmentStatuses),
    origin: z.enum(['provider_request', 'self']),
    courseId: z.uuid().nullable(),
    learnerSubjectId: z.string().nullable().meta({ description: 'Subject id for the completion credential' }),
    fee: money,
    funded: money,
    coPay: money,
    currency: z.string(),
    reserved: money.meta({ description: 'Sum of reservation legs still held' }),
    legs: z.array(z.object({
      grantId: z.uuid(), schemeId: z.uuid(),
      module: z.number().int().nullable().meta({ description: 'The module of a modular course this leg reserves for (1 = first); null on a course paid in one claim' }),
      amount: money, holdUntil: z.string(),
    })),
    requestedAt: z.string(),
    consentDeadline: z.string().nullable(),
    reservedAt: z.string().nullable(),
    reservationExpiresAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    endReason: z.string().nullable(),
  })
  .meta({ id: 'Enrolment' });

export const eligibilityQueryForCitizen = z.strictObject({ courseRunId: z.uuid() });
export const eligibilityQuery = z.strictObject({ learnerId: z.uuid(), courseRunId: z.uuid() });

export const eligibilitySchema = z
  .object({
    eligible: z.boolean(),
    reasons: z.array(z.string()),
    checks: z.array(
      z.object({
        rule: z.string(), passed: z.boolean(), reason: z.string().optional(), schemeId: z.string().optional(), grantId: z.string().optional(), detail: z.string(),
      }),
    ),
    plan: z.object({
      fee: money, currency: z.string(), funded: money, coPay: money, fundable: money, coPayFloor: money, capApplied: z.boolean(),
      legs: z.array(z.object({ grantId: z.uuid(), schemeId: z.uuid(), amount: money, holdUntil: z.string() })),
    }),
    ruleVersions: z.record(z.string(), z.number().int()),
    appliedTargeting: z
      .array(z.object({ schemeId: z.uuid(), ruleId: z.string(), subsidyRateBps: z.number().int(), capPerCourse: money.nullable(), noCoPayment: z.boolean() }))
      .meta({ description: 'Per scheme, the equity targeting rule that gave the learner better terms (empty for a provider caller: it would reveal the learner\'s group)' }),
  })
  .meta({ id: 'Eligibility' });
