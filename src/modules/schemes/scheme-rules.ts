import { z } from 'zod';
import { amountSchema } from '../../lib/money.js';
import { incentiveTermsSchema } from '../incentives/incentive-terms.js';
import { targetingRulesSchema } from './targeting.js';

export const employmentStatuses = ['employed', 'self_employed', 'unemployed', 'student', 'retired'] as const;
export const incomeGroups = ['low', 'middle', 'high'] as const;
const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code');
const basisPoints = z.number().int().min(0).max(10_000);

/** Decision deadline of a hold when the rules version predates holdDecisionDays or leaves it out. */
export const HOLD_DECISION_DAYS_DEFAULT = 10;

/** Appeal window of a rules version that predates appealWindowDays or leaves it out. */
export const APPEAL_WINDOW_DAYS_DEFAULT = 30;

/**
 * A scheme's rules, kept as data. An empty list means "any". Rule changes are
 * new versions; an enrolment records the version it was judged by.
 */
export const schemeRulesSchema = z
  .strictObject({
    eligibleCitizenships: z.array(country).max(250).default([]),
    ageBand: z
      .strictObject({ min: z.number().int().min(0).max(130).optional(), max: z.number().int().min(0).max(130).optional() })
      .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, 'min must not exceed max')
      .default({}),
    employmentStatuses: z.array(z.enum(employmentStatuses)).default([]),
    incomeGroups: z.array(z.enum(incomeGroups)).default([]),
    subsidyRateBps: basisPoints.default(10_000).meta({ description: 'Share of the fee the scheme funds, in basis points' }),
    capPerCourse: amountSchema.nullable().default(null),
    minCoPayment: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('none') }),
        z.strictObject({ kind: z.literal('amount'), amount: amountSchema }),
        z.strictObject({ kind: z.literal('rate'), rateBps: basisPoints }),
      ])
      .default({ kind: 'none' }),
    grantValidityDays: z.number().int().min(1).max(36_500).nullable().default(null),
    firstUseDeadlineDays: z.number().int().min(1).max(3_650).nullable().default(null),
    claimWindowDays: z.number().int().min(1).max(3_650).default(60),
    minAttendanceBps: basisPoints.nullable().default(null),
    startGraceDays: z.number().int().min(0).max(365).default(0),
    holdDecisionDays: z
      .number().int().min(1).max(365).default(HOLD_DECISION_DAYS_DEFAULT)
      .meta({ description: 'Days within which a hold on a claim (review, flag, revocation, suspension) must be decided; past it the hold escalates to another officer' }),
    appealWindowDays: z
      .number().int().min(0).max(365).default(APPEAL_WINDOW_DAYS_DEFAULT)
      .meta({ description: 'Days after a grant expires or lapses within which the learner may appeal it; 0: this scheme takes no appeals' }),
    courseQualification: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('approved') }),
        z.strictObject({ kind: z.literal('category'), categories: z.array(z.string().min(1).max(64)).min(1) }),
      ])
      .default({ kind: 'approved' }),
    incentive: incentiveTermsSchema.optional(),
    // ---- Equity targeting (src/modules/schemes/targeting.ts).
    targeting: targetingRulesSchema,
  })
  .meta({ id: 'SchemeRules' });

export type SchemeRules = z.output<typeof schemeRulesSchema>;

/** Rules as stored in jsonb: amounts as strings. */
export const rulesToJson = (r: SchemeRules) => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
export const rulesFromJson = (json: unknown): SchemeRules => schemeRulesSchema.parse(json);
