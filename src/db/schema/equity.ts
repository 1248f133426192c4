import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, foreignKey, index, pgTable, primaryKey, smallint, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

export const incomeBands = ['low', 'middle', 'high'] as const;
export const urbanRural = ['urban', 'rural'] as const;
/** ISO/IEC 5218 in words: 2 female, 1 male, 9 not applicable, 0 not known (here: not stated). */
export const genders = ['female', 'male', 'not_applicable', 'not_stated'] as const;

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
