import { z } from 'zod';
import { minorUnitsSchema as money, positiveAmountSchema } from '../../lib/money.js';

export const pathwayIdParams = z.strictObject({ pathwayId: z.uuid() });
export const completionIdParams = z.strictObject({ completionId: z.uuid() });
export const schemeIdParams = z.strictObject({ schemeId: z.uuid() });

const ruleSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('all') }),
    z.strictObject({ kind: z.literal('k_of_n'), k: z.number().int().min(1).max(50) }),
  ])
  .meta({ id: 'PathwayRule', description: '`all`: every course of the pathway; `k_of_n`: any k distinct courses of it.' });

export const createPathwayBody = z
  .strictObject({
    schemeId: z.uuid(),
    code: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,39}$/, 'must be 2-40 upper-case letters, digits, - or _'),
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().min(1).max(2000),
    courseIds: z
      .array(z.uuid())
      .min(2, 'a pathway stacks at least 2 courses')
      .max(50, 'a pathway stacks at most 50 courses')
      .refine((ids) => new Set(ids).size === ids.length, 'must not name a course twice')
      .meta({ example: ['0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d01', '0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d02', '0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d03'] }),
    rule: ruleSchema,
    withinMonths: z.number().int().min(1).max(120).optional()
      .meta({ description: 'Time limit in months between the first counted completion and the completing one; none when omitted' }),
    award: z.strictObject({
      bonusCredit: z
        .strictObject({ amount: positiveAmountSchema, expiresInDays: z.number().int().min(1).max(3650) })
        .optional()
        .meta({ description: 'A grant from the scheme\'s budget on completion, in minor units of the scheme\'s currency' }),
      achievement: z.strictObject({ name: z.string().trim().min(1).max(200), description: z.string().trim().min(1).max(2000) }),
    }),
  })
  .superRefine((b, ctx) => {
    if (b.rule.kind === 'k_of_n' && b.rule.k > b.courseIds.length) {
      ctx.addIssue({ code: 'custom', path: ['rule', 'k'], message: `must not exceed the ${b.courseIds.length} courses of the pathway` });
    }
  })
  .meta({ id: 'CreatePathway' });

export const retirePathwayBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) }).meta({ id: 'RetirePathway' });
export const revokePathwayCredentialBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) }).meta({ id: 'RevokePathwayCredential' });

export const pathwaySchema = z
  .object({
    id: z.uuid(),
    schemeId: z.uuid(),
    code: z.string(),
    name: z.string(),
    description: z.string(),
    courseIds: z.array(z.uuid()).meta({ example: ['0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d01', '0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d02', '0193e2b1-9f00-7c01-8d2e-3f4a5b6c7d03'] }),
    rule: ruleSchema,
    withinMonths: z.number().int().nullable(),
    award: z.object({
      bonusCredit: z.object({ amount: money, currency: z.string(), expiresInDays: z.number().int() }).nullable(),
      achievement: z.object({
        id: z.string().meta({ example: 'urn:learning-credits:pathway:0193e2b1-aa10-7c01-8d2e-3f4a5b6c7d8e' }), name: z.string(), description: z.string(),
      }),
    }),
    status: z.enum(['active', 'retired']),
    createdAt: z.string(),
    retiredAt: z.string().nullable(),
    retiredReason: z.string().nullable(),
  })
  .meta({ id: 'Pathway' });

export const bonusSchema = z
  .object({
    status: z.enum(['none', 'granted', 'refused']),
    grantId: z.uuid().nullable(),
    reason: z.string().nullable().meta({ description: 'Why the bonus was refused: `budget_insufficient`, `scheme_closed`' }),
  })
  .meta({ id: 'PathwayBonus' });

export const completionSchema = z
  .object({
    id: z.uuid(),
    pathwayId: z.uuid(),
    learnerId: z.uuid(),
    completedAt: z.string(),
    credentialId: z.string().meta({ example: 'urn:uuid:0193e2b1-bb20-7c01-8d2e-3f4a5b6c7d8e' }),
    revokedAt: z.string().nullable(),
    bonus: bonusSchema,
  })
  .meta({ id: 'PathwayCompletion' });

export const progressSchema = z
  .object({
    pathway: z.object({ id: z.uuid(), code: z.string(), name: z.string(), status: z.enum(['active', 'retired']) }),
    required: z.number().int(),
    completedCourses: z.array(z.object({ courseId: z.uuid(), completedAt: z.string() })),
    stillNeeded: z.number().int().meta({ description: 'Distinct courses still needed; 0 once completed' }),
    deadline: z.string().nullable().meta({ description: 'When the window that is furthest along closes; null without a time limit' }),
    completed: z.boolean(),
    completion: z
      .object({ id: z.uuid(), completedAt: z.string(), credentialId: z.string(), credential: z.string(), revoked: z.boolean(), bonus: bonusSchema })
      .nullable()
      .meta({ description: 'Once completed: the stacked credential (a VC-JWT signed by the scheme) and the bonus' }),
  })
  .meta({ id: 'PathwayProgress' });

export const jwksSchema = z
  .object({ keys: z.array(z.looseObject({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })) })
  .meta({
    id: 'SchemeJwks',
    example: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'ww4sll93YBoEZso1bYfuzGAJ4wF5Rjr2GxRBVZjjbLQ', kid: 'SumJ_7gPE1U0Rmb_VwiTBkVl1dg3vkxxbDwAhjcjYts', alg: 'EdDSA', use: 'sig' }] },
  });
