import { z } from 'zod';
import { amountSchema } from '../../lib/money.js';
import { genders, urbanRural } from '../../db/schema/equity.js';

/**
 * Equity targeting in a scheme's rules: groups of learners (by the equity
 * profile's income group, region, urban/rural, gender, disability) who get a
 * higher subsidy rate, a higher cap, or no co-payment.
 *
 * A rule matches when every condition it names holds (within a condition's
 * list, any value); an attribute the learner has not stated matches nothing.
 * A rule only ever improves the scheme's own terms: its rate and cap are
 * used when they are higher, never lower, so a targeted learner never gets
 * less than the untargeted terms. When several rules match, the one that
 * funds the most of the fee wins (best for the learner); a tie goes to the
 * rule listed first. The decision lives in evaluateEligibility.
 */
const incomeGroupCode = z.string().regex(/^[A-Z][A-Z0-9]{0,7}$/, 'must be an income group code such as B40');
const regionCode = z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'must be an ISO 3166-2 subdivision code such as MY-10');

export const targetingConditionSchema = z
  .strictObject({
    incomeGroups: z.array(incomeGroupCode).min(1).max(20).optional(),
    regions: z.array(regionCode).min(1).max(100).optional(),
    urbanRural: z.array(z.enum(urbanRural)).min(1).optional(),
    genders: z.array(z.enum(genders)).min(1).optional(),
    disability: z.boolean().optional(),
  })
  .refine((w) => Object.values(w).some((v) => v !== undefined), 'name at least one condition');

export const targetingRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be a short lower-case identifier'),
    when: targetingConditionSchema,
    subsidyRateBps: z.number().int().min(0).max(10_000).optional().meta({ description: 'Used when higher than the scheme\'s own rate' }),
    capPerCourse: amountSchema.nullable().optional().meta({ description: 'Used when higher than the scheme\'s own cap; null lifts the cap' }),
    noCoPayment: z.literal(true).optional().meta({ description: 'The scheme\'s minimum co-payment does not apply' }),
  })
  .refine((r) => r.subsidyRateBps !== undefined || r.capPerCourse !== undefined || r.noCoPayment !== undefined, 'give at least one benefit: subsidyRateBps, capPerCourse or noCoPayment')
  .meta({ id: 'TargetingRule', example: { id: 'b40-full', when: { incomeGroups: ['B40'] }, subsidyRateBps: 10_000, noCoPayment: true } });

export const targetingRulesSchema = z
  .array(targetingRuleSchema)
  .max(20)
  .refine((rs) => new Set(rs.map((r) => r.id)).size === rs.length, 'rule ids must be unique')
  .default([])
  .meta({ description: 'Equity targeting: groups who get better terms. Best match for the learner wins; see README "Equity targeting"' });

export type TargetingRule = z.output<typeof targetingRuleSchema>;

/** The equity attributes a decision reads; null when not stated. */
export interface EquityFacts {
  incomeGroup: string | null;
  region: string | null;
  urbanRural: string | null;
  gender: string | null;
  disability: boolean | null;
}

export const noEquityFacts: EquityFacts = { incomeGroup: null, region: null, urbanRural: null, gender: null, disability: null };

export function targetingMatches(rule: TargetingRule, e: EquityFacts): boolean {
  const w = rule.when;
  const inList = (list: readonly string[] | undefined, v: string | null) => list === undefined || (v !== null && list.includes(v));
  return (
    inList(w.incomeGroups, e.incomeGroup) &&
    inList(w.regions, e.region) &&
    inList(w.urbanRural, e.urbanRural) &&
    inList(w.genders, e.gender) &&
    (w.disability === undefined || (e.disability !== null && e.disability === w.disability))
  );
}
