import { z } from 'zod';
import { genders, incomeBands, urbanRural } from '../../db/schema/equity.js';
import { amountSchema, minorUnitsSchema } from '../../lib/money.js';
import { equityDimensions } from './equity-report.repo.js';

const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code');
const year = z.coerce.number().int().min(2000).max(2100);
const groupCode = z.string().regex(/^[A-Z][A-Z0-9]{0,7}$/, 'must be an income group code such as B40');

// ---- Income group thresholds (configuration, per country and year).

export const thresholdTableParams = z.strictObject({ country, year });

export const thresholdTableBody = z
  .strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    groups: z
      .array(z.strictObject({
        code: groupCode,
        band: z.enum(incomeBands).meta({ description: 'The eligibility band (a learner\'s incomeGroup, read by a scheme\'s incomeGroups rule) this group belongs to' }),
        upperBound: amountSchema.optional().meta({ description: 'Household monthly income in minor units below which the group applies; left out for the top group' }),
      }))
      .min(2).max(10)
      .superRefine((gs, ctx) => {
        if (new Set(gs.map((g) => g.code)).size !== gs.length) ctx.addIssue({ code: 'custom', message: 'group codes must be unique' });
        gs.forEach((g, i) => {
          const last = i === gs.length - 1;
          if (last !== (g.upperBound === undefined)) {
            ctx.addIssue({ code: 'custom', path: [i, 'upperBound'], message: last ? 'the top group has no upper bound' : 'every group but the top one needs an upper bound' });
          }
          const prev = i > 0 ? gs[i - 1]!.upperBound : undefined;
          if (g.upperBound !== undefined && prev !== undefined && g.upperBound <= prev) {
            ctx.addIssue({ code: 'custom', path: [i, 'upperBound'], message: 'upper bounds must rise from the lowest group to the highest' });
          }
        });
      })
      .meta({ description: 'Lowest income group first' }),
  })
  .meta({
    id: 'IncomeThresholdTableInput',
    example: { currency: 'MYR', groups: [{ code: 'B40', band: 'low', upperBound: '525000' }, { code: 'M40', band: 'middle', upperBound: '1182000' }, { code: 'T20', band: 'high' }] },
  });

export const thresholdTableSchema = z
  .object({
    country: z.string(),
    year: z.number().int(),
    currency: z.string(),
    groups: z.array(z.object({ code: z.string(), band: z.enum(incomeBands), upperBound: minorUnitsSchema.nullable() })),
  })
  .meta({ id: 'IncomeThresholdTable' });

export const thresholdCorrectionParams = z.strictObject({ country, year, code: groupCode });
export const thresholdCorrectionBody = z
  .strictObject({
    upperBound: amountSchema.meta({ description: 'The corrected household monthly income in minor units below which the group applies' }),
    reason: z.string().trim().min(3).max(1000).meta({ description: 'Why the published bound was wrong' }),
  })
  .meta({ id: 'IncomeThresholdCorrectionInput', example: { upperBound: '509000', reason: 'DOSM 2022 household income survey revised the B40 line' } });
export const thresholdCorrectionSchema = z
  .object({
    correction: z.object({
      id: z.uuid(), country: z.string(), year: z.number().int(), code: z.string(), upperBound: minorUnitsSchema, supersededUpperBound: minorUnitsSchema,
      reason: z.string(), correctedAt: z.string(),
    }),
    table: thresholdTableSchema,
  })
  .meta({ id: 'IncomeThresholdCorrection' });

export const thresholdListQuery = z.strictObject({ country: country.optional(), year: year.optional() });
export const thresholdListSchema = z.object({ items: z.array(thresholdTableSchema) }).meta({ id: 'IncomeThresholdTableList' });

// ---- A learner's equity profile.

export const equityLearnerParams = z.strictObject({ learnerId: z.uuid() });

export const equityProfileBody = z
  .strictObject({
    incomeGroup: z
      .strictObject({ year: z.number().int().min(2000).max(2100), code: groupCode })
      .nullable().optional()
      .meta({ description: 'The household income group the learner declared, and the year of the learner\'s country\'s threshold table it was assessed against. Income itself is never sent or stored.' }),
    region: z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'must be an ISO 3166-2 subdivision code such as MY-10').nullable().optional(),
    urbanRural: z.enum(urbanRural).nullable().optional(),
    gender: z.enum(genders).nullable().optional().meta({ description: 'ISO/IEC 5218 in words (female 2, male 1, not_applicable 9, not_stated 0)' }),
    disability: z.boolean().nullable().optional(),
  })
  .meta({
    id: 'EquityProfileInput',
    description: 'Replaces the whole profile: a field left out or null is not stated',
    example: { incomeGroup: { year: 2024, code: 'B40' }, region: 'MY-12', urbanRural: 'rural', gender: 'female', disability: false },
  });

export const equityProfileSchema = z
  .object({
    learnerId: z.uuid(),
    incomeGroup: z.object({ country: z.string(), year: z.number().int(), code: z.string(), band: z.enum(incomeBands) }).nullable(),
    region: z.string().nullable(),
    urbanRural: z.enum(urbanRural).nullable(),
    gender: z.enum(genders).nullable(),
    disability: z.boolean().nullable(),
    recordedAt: z.string().nullable().meta({ description: 'When this profile was recorded; null when none ever was' }),
  })
  .meta({ id: 'EquityProfile' });

export type EquityProfileView = z.output<typeof equityProfileSchema>;

// ---- The equity report.

const publishedFigures = {
  suppressed: z.boolean().meta({ description: 'Withheld: fewer than 10 learners, or withheld with it so that it cannot be worked out (see README "Equity report")' }),
  learnersGranted: z.number().int().nullable(),
  enrolledShareBps: z.number().int().nullable().meta({ description: 'Of the learners granted, the share with an enrolment funded by the scheme, in basis points' }),
  completedShareBps: z.number().int().nullable().meta({ description: 'The share with an approved (not reversed) claim on such an enrolment, in basis points' }),
  stackedPathwayShareBps: z.number().int().nullable().meta({ description: 'The share who had completed a pathway of the scheme by asOf (its stacked credential not revoked by then), in basis points; null when suppressed' }),
  creditUsed: minorUnitsSchema.nullable().meta({ description: 'Credit spent on claims, less reversals, in minor units of the scheme\'s currency' }),
  averageCoPayment: minorUnitsSchema.nullable().meta({ description: 'Average co-payment per funded enrolment, minor units, rounded half up; null when none' }),
};

export const equityReportQuery = z.strictObject({
  schemeId: z.uuid().optional(),
  groupBy: z.enum(equityDimensions).default('incomeGroup'),
  asOf: z.iso.datetime({ offset: true }).optional().meta({ description: 'Report as things stood at this instant (default: now). Not in the future.' }),
  format: z.enum(['json', 'csv']).default('json').meta({ description: 'json (default) or csv (text/csv, with a header row)' }),
});

export const equityReportSchema = z
  .object({
    asOf: z.string().meta({ description: 'The instant the figures stand at: the end (last millisecond) of the published period answered for' }),
    asOfRequested: z.string().meta({ description: 'The asOf asked for (or now): snapped down to the end of the last period closed by then', example: '2027-03-17T09:30:00.000Z' }),
    period: z.object({
      start: z.string().meta({ example: '2027-02-01T00:00:00.000Z' }),
      end: z.string().meta({ example: '2027-02-28T23:59:59.999Z' }),
    }).meta({
      description: 'The published period (calendar month by default, or quarter: EQUITY_REPORT_PERIOD, UTC) answered for, first and last instant. Every asOf inside the next period gets this same answer, so two dates close together cannot be differenced to single out a learner.',
    }),
    groupBy: z.enum(equityDimensions),
    minimumCellLearners: z.number().int(),
    schemes: z.array(z.object({
      schemeId: z.uuid(), code: z.string(), name: z.string(), currency: z.string(),
      groups: z.array(z.object({ group: z.string().meta({ description: 'The group; not_stated when the learner did not say', example: 'B40' }), ...publishedFigures })),
      total: z.object(publishedFigures),
    })),
  })
  .meta({ id: 'EquityReport' });
