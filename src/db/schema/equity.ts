import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, foreignKey, index, jsonb, pgTable, primaryKey, smallint, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

export const incomeBands = ['low', 'middle', 'high'] as const;
export const urbanRural = ['urban', 'rural'] as const;
/** ISO/IEC 5218 in words: 2 female, 1 male, 9 not applicable, 0 not known (here: not stated). */
export const genders = ['female', 'male', 'not_applicable', 'not_stated'] as const;
/** What the equity report groups by (src/modules/equity/equity-report.repo.ts), and the periods it is published for. */
export const equityDimensions = ['incomeGroup', 'region', 'urbanRural', 'ageBand', 'gender', 'disability'] as const;
export const reportPeriods = ['month', 'quarter'] as const;
const listed = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** A country's household income groups for one year (B40/M40/T20 style), lowest first. Configuration, kept by admins. */
export const incomeGroupThresholds = pgTable(
  'income_group_thresholds',
  {
    country: char('country', { length: 2 }).notNull(),
    year: smallint('year').notNull(),
    code: text('code').notNull(),
    band: text('band', { enum: incomeBands }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** Household monthly income in minor units below which the group applies; null for the top group. */
    upperBound: bigint('upper_bound', { mode: 'bigint' }),
    position: smallint('position').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.country, t.year, t.code] }),
    unique().on(t.country, t.year, t.position),
    check('income_group_thresholds_year_check', sql`${t.year} BETWEEN 2000 AND 2100`),
  ],
);

/** A published group's upper bound corrected: append-only, the newest correction of a group is in force. */
export const incomeGroupThresholdCorrections = pgTable(
  'income_group_threshold_corrections',
  {
    id: uuid('id').primaryKey(),
    country: char('country', { length: 2 }).notNull(),
    year: smallint('year').notNull(),
    code: text('code').notNull(),
    upperBound: bigint('upper_bound', { mode: 'bigint' }).notNull(),
    /** The bound in force before this correction. */
    supersededUpperBound: bigint('superseded_upper_bound', { mode: 'bigint' }).notNull(),
    reason: text('reason').notNull(),
    correctedAt: ts('corrected_at').notNull(),
    correctedBy: text('corrected_by').notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.country, t.year, t.code], foreignColumns: [incomeGroupThresholds.country, incomeGroupThresholds.year, incomeGroupThresholds.code], name: 'income_group_threshold_corrections_group_fk' }),
    index('income_group_threshold_corrections_group_idx').on(t.country, t.year, t.code, t.correctedAt),
    check('income_group_threshold_corrections_upper_bound', sql`${t.upperBound} > 0`),
  ],
);

/** A learner's equity attributes, one row per change (the newest is current). Personal data: never logged or audited. */
export const learnerEquityProfiles = pgTable(
  'learner_equity_profiles',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    incomeCountry: char('income_country', { length: 2 }),
    incomeYear: smallint('income_year'),
    incomeGroup: text('income_group'),
    region: text('region'),
    urbanRural: text('urban_rural', { enum: urbanRural }),
    gender: text('gender', { enum: genders }),
    disability: boolean('disability'),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [
    index('learner_equity_profiles_learner_idx').on(t.learnerId, t.recordedAt.desc(), t.id.desc()),
    foreignKey({ columns: [t.incomeCountry, t.incomeYear, t.incomeGroup], foreignColumns: [incomeGroupThresholds.country, incomeGroupThresholds.year, incomeGroupThresholds.code] }),
  ],
);

/**
 * The equity report of one closed period and dimension as first published, for every scheme, small cells already
 * withheld: later reads answer from here, so an erasure or correction never moves a published statistic.
 */
export const equityReportSnapshots = pgTable(
  'equity_report_snapshots',
  {
    period: text('period', { enum: reportPeriods }).notNull(),
    periodEnd: ts('period_end').notNull(),
    dimension: text('dimension', { enum: equityDimensions }).notNull(),
    schemes: jsonb('schemes').$type<unknown[]>().notNull(),
    takenAt: ts('taken_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.period, t.periodEnd, t.dimension] }),
    check('equity_report_snapshots_period', sql`${t.period} in (${listed(reportPeriods)})`),
    check('equity_report_snapshots_dimension', sql`${t.dimension} in (${listed(equityDimensions)})`),
    check('equity_report_snapshots_taken_after_close', sql`${t.takenAt} >= ${t.periodEnd}`),
  ],
);
