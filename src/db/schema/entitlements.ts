import { sql } from 'drizzle-orm';
import {
  bigint, boolean, char, check, date, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { customType } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/** Ledger accounts the system itself owns: one treasury and one bank clearing per currency. */
export const systemAccounts = pgTable(
  'system_accounts',
  {
    purpose: text('purpose', { enum: ['treasury', 'bank_clearing'] }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    accountId: uuid('account_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.purpose, t.currency] })],
);

export const schemes = pgTable('schemes', {
  id: uuid('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  country: char('country', { length: 2 }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  status: text('status', { enum: ['active', 'closed'] }).notNull().default('active'),
  budgetAccountId: uuid('budget_account_id').notNull(),
  createdAt: ts('created_at').notNull(),
});

/** Rules are data and never rewritten: a change is a new version. */
export const schemeRuleVersions = pgTable(
  'scheme_rule_versions',
  {
    schemeId: uuid('scheme_id').notNull().references(() => schemes.id),
    version: integer('version').notNull(),
    rules: jsonb('rules').notNull(),
    effectiveFrom: ts('effective_from').notNull(),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.schemeId, t.version] })],
);

/**
 * National ids are never stored in clear: a keyed hash for look-up, a masked
 * form for display. Everything of one learner is keyed by learner_id.
 */
export const learners = pgTable(
  'learners',
  {
    id: uuid('id').primaryKey(),
    country: char('country', { length: 2 }).notNull(),
    /** Null once erased, with the name, birth date and masked id (migration 0032). */
    nationalIdHash: bytea('national_id_hash'),
    nationalIdMasked: text('national_id_masked'),
    subjectId: text('subject_id').notNull().unique(),
    fullName: text('full_name'),
    dateOfBirth: date('date_of_birth', { mode: 'string' }),
    citizenship: char('citizenship', { length: 2 }).notNull(),
    employmentStatus: text('employment_status').notNull(),
    incomeGroup: text('income_group').notNull(),
    createdAt: ts('created_at').notNull(),
    /** When the personal data was erased (src/modules/data-rights); the row and its id stay, so the ledger stays linked. */
    erasedAt: ts('erased_at'),
  },
  (t) => [
    uniqueIndex('learners_national_id_uq').on(t.country, t.nationalIdHash),
    index('learners_citizenship_dob_idx').on(t.citizenship, t.dateOfBirth),
    check('learners_personal_data_until_erased', sql`(${t.erasedAt} is null) = (${t.nationalIdHash} is not null AND ${t.nationalIdMasked} is not null AND ${t.fullName} is not null AND ${t.dateOfBirth} is not null)
      AND (${t.erasedAt} is null OR (${t.nationalIdHash} is null AND ${t.nationalIdMasked} is null AND ${t.fullName} is null AND ${t.dateOfBirth} is null))`),
  ],
);

/** One tranche of credit. Its id is also its ledger account id. */
export const grants = pgTable(
  'grants',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    // No foreign key to schemes: every grant's check would take a KEY SHARE
    // lock on its scheme's row, one hot row for millions of grants. Grants are
    // only written by the grants service, which reads the scheme first.
    schemeId: uuid('scheme_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amount: amount('amount').notNull(),
    grantedAt: ts('granted_at').notNull(),
    expiresAt: ts('expires_at'),
    firstUseDeadline: ts('first_use_deadline'),
    firstUsedAt: ts('first_used_at'),
    status: text('status', { enum: ['active', 'expired', 'revoked'] }).notNull().default('active'),
    /** Closed grants stay unsettled while reservations on them may still return credit. */
    settled: boolean('settled').notNull().default(false),
    grantRunId: uuid('grant_run_id'),
    reason: text('reason'),
  },
  (t) => [
    index('grants_learner_idx').on(t.learnerId),
    uniqueIndex('grants_run_learner_uq').on(t.grantRunId, t.learnerId),
    index('grants_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'active' and ${t.expiresAt} is not null`),
    index('grants_first_use_idx').on(t.firstUseDeadline).where(sql`${t.status} = 'active' and ${t.firstUsedAt} is null and ${t.firstUseDeadline} is not null`),
    index('grants_unsettled_idx').on(t.id).where(sql`${t.status} <> 'active' and not ${t.settled}`),
    check('grants_amount_positive', sql`${t.amount} > 0`),
  ],
);

export const grantRuns = pgTable('grant_runs', {
  id: uuid('id').primaryKey(),
  schemeId: uuid('scheme_id').notNull().references(() => schemes.id),
  criteria: jsonb('criteria').notNull(),
  amount: amount('amount').notNull(),
  expiresAt: ts('expires_at'),
  status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] }).notNull(),
  /** Learners are processed in id order; the cursor makes a restart resume, not repeat. */
  cursor: uuid('cursor'),
  granted: bigint('granted', { mode: 'bigint' }).notNull().default(sql`0`),
  grantedAmount: amount('granted_amount').notNull().default(sql`0`),
  leaseUntil: ts('lease_until'),
  error: text('error'),
  createdAt: ts('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  startedAt: ts('started_at'),
  finishedAt: ts('finished_at'),
});

export const providers = pgTable(
  'providers',
  {
    id: uuid('id').primaryKey(),
    legalName: text('legal_name').notNull(),
    registrationNumber: text('registration_number').notNull(),
    country: char('country', { length: 2 }).notNull(),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    contactEmail: text('contact_email'),
    bankAccount: jsonb('bank_account').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** The suspension in force (null while active): its claims show it as their hold. */
    suspendedAt: ts('suspended_at'),
    suspensionReason: text('suspension_reason'),
    suspendedBy: text('suspended_by'),
  },
  (t) => [uniqueIndex('providers_registration_uq').on(t.country, t.registrationNumber)],
);

/** A provider's payable account per currency, created when first needed. */
export const providerPayables = pgTable(
  'provider_payables',
  {
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    currency: char('currency', { length: 3 }).notNull(),
    accountId: uuid('account_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.currency] })],
);

export const providerKeys = pgTable(
  'provider_keys',
  {
    id: uuid('id').primaryKey(),
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    kid: text('kid').notNull(),
    alg: text('alg', { enum: ['EdDSA', 'ES256'] }).notNull(),
    publicJwk: jsonb('public_jwk').notNull(),
    status: text('status', { enum: ['active', 'deactivated'] }).notNull().default('active'),
    createdAt: ts('created_at').notNull(),
    deactivatedAt: ts('deactivated_at'),
  },
  (t) => [uniqueIndex('provider_keys_kid_uq').on(t.providerId, t.kid)],
);

/** One module of a modular course: what the provider signs for it and its share of the course price. */
export interface CourseModule {
  title: string;
  achievementId: string;
  shareBps: number;
}

export const courses = pgTable(
  'courses',
  {
    id: uuid('id').primaryKey(),
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    code: text('code').notNull(),
    title: text('title').notNull(),
    category: text('category').notNull(),
    skills: text('skills').array().notNull().default(sql`'{}'::text[]`),
    hours: integer('hours').notNull(),
    description: text('description'),
    createdAt: ts('created_at').notNull(),
    // The micro-credential elements (drizzle/0021_micro_credentials.sql); null or empty on plain training.
    creditValue: numeric('credit_value', { precision: 6, scale: 2, mode: 'number' }),
    creditSystem: text('credit_system'),
    levelFramework: text('level_framework', { enum: ['EQF', 'MQF'] }),
    level: integer('level'),
    skillAlignments: text('skill_alignments').array().notNull().default(sql`'{}'::text[]`),
    assessmentType: text('assessment_type'),
    participationForm: text('participation_form', { enum: ['online', 'onsite', 'blended'] }),
    qualityAssurance: text('quality_assurance'),
    learningOutcomes: text('learning_outcomes').array().notNull().default(sql`'{}'::text[]`),
    awardingCountry: text('awarding_country'),
    /** A modular course's modules in order (drizzle/0028); empty when the course is paid in one claim. */
    modules: jsonb('modules').$type<CourseModule[]>().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    uniqueIndex('courses_provider_code_uq').on(t.providerId, t.code),
    index('courses_category_idx').on(t.category),
    check('courses_credits_whole', sql`(${t.creditValue} is null) = (${t.creditSystem} is null) and (${t.creditValue} is null or ${t.creditValue} > 0)`),
    check('courses_level_in_framework', sql`(${t.level} is null) = (${t.levelFramework} is null) and (${t.level} is null or (${t.level} between 1 and 8 and ${t.levelFramework} in ('EQF', 'MQF')))`),
    check('courses_participation_form', sql`${t.participationForm} in ('online', 'onsite', 'blended')`),
  ],
);

export const courseApprovals = pgTable(
  'course_approvals',
  {
    courseId: uuid('course_id').notNull().references(() => courses.id),
    schemeId: uuid('scheme_id').notNull().references(() => schemes.id),
    approvedAt: ts('approved_at').notNull(),
    approvedBy: text('approved_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.courseId, t.schemeId] }), index('course_approvals_scheme_idx').on(t.schemeId)],
);

export const courseRuns = pgTable(
  'course_runs',
  {
    id: uuid('id').primaryKey(),
    courseId: uuid('course_id').notNull().references(() => courses.id),
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    fee: amount('fee').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    capacity: integer('capacity').notNull(),
    /** Seats held by reserved enrolments; a conditional UPDATE keeps it within capacity. */
    seatsTaken: integer('seats_taken').notNull().default(0),
    status: text('status', { enum: ['scheduled', 'cancelled'] }).notNull().default('scheduled'),
    cancelledReason: text('cancelled_reason'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('course_runs_course_idx').on(t.courseId, t.startsAt),
    index('course_runs_provider_idx').on(t.providerId),
    check('course_runs_dates', sql`${t.endsAt} > ${t.startsAt}`),
    check('course_runs_fee', sql`${t.fee} >= 0`),
    check('course_runs_capacity', sql`${t.capacity} > 0`),
    check('course_runs_seats', sql`${t.seatsTaken} >= 0 and ${t.seatsTaken} <= ${t.capacity}`),
  ],
);
