import { z } from 'zod';
import { currencySchema, minorUnitsSchema as money, positiveAmountSchema } from '../../lib/money.js';
import { schemeRulesSchema } from './scheme-rules.js';

export const schemeIdParams = z.strictObject({ schemeId: z.uuid() });

export const createSchemeBody = z
  .strictObject({
    code: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,39}$/, 'must be 2-40 upper-case letters, digits, - or _'),
    name: z.string().trim().min(1).max(200),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
    currency: currencySchema,
    rules: schemeRulesSchema,
  })
  .meta({ id: 'CreateScheme' });

export const replaceRulesBody = z
  .strictObject({ rules: schemeRulesSchema, effectiveFrom: z.iso.datetime({ offset: true }).optional() })
  .meta({ id: 'ReplaceSchemeRules' });

export const allocationBody = z
  .strictObject({ amount: positiveAmountSchema, note: z.string().max(500).optional() })
  .meta({ id: 'CreateAllocation' });

export const budgetSchema = z
  .object({ allocated: money, granted: money, returned: money, available: money })
  .meta({ id: 'SchemeBudget' });

export const schemeSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    country: z.string(),
    currency: z.string(),
    status: z.string(),
    rulesVersion: z.number().int(),
    rules: schemeRulesSchema,
    budget: budgetSchema.optional(),
    incentiveBudget: z
      .object({ allocated: money, accrued: money, available: money })
      .meta({ id: 'IncentiveBudget', description: 'The scheme\'s completion-incentive budget: allocated from the treasury, accrued to learners, available' })
      .optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'Scheme' });

export const ruleVersionSchema = z
  .object({ version: z.number().int(), rules: schemeRulesSchema, effectiveFrom: z.string(), createdBy: z.string() })
  .meta({ id: 'SchemeRuleVersion' });

export const allocationSchema = z
  .object({ transferId: z.uuid(), schemeId: z.uuid(), amount: money, currency: z.string(), budget: budgetSchema })
  .meta({ id: 'Allocation' });
