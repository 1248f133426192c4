import { sql } from 'drizzle-orm';
import { bigint, char, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { enrolments } from './enrolments.js';
import { learners, schemes } from './entitlements.js';
import { paymentLines } from './finance.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/** A scheme's incentive budget: a limited ledger account of its own, funded from the treasury. */
export const schemeIncentiveBudgets = pgTable('scheme_incentive_budgets', {
  schemeId: uuid('scheme_id').primaryKey().references(() => schemes.id),
  accountId: uuid('account_id').notNull().unique(),
  createdAt: ts('created_at').notNull(),
});

/** What the service owes a learner in incentives, per currency. */
export const learnerPayables = pgTable(
  'learner_payables',
  {
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    currency: char('currency', { length: 3 }).notNull(),
    accountId: uuid('account_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.learnerId, t.currency] })],
);

/** One rating per completed enrolment, given by its learner once. */
export const courseRatings = pgTable(
  'course_ratings',
  {
    enrolmentId: uuid('enrolment_id').primaryKey().references(() => enrolments.id),
    learnerId: uuid('learner_id').notNull(),
    courseId: uuid('course_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    stars: integer('stars').notNull(),
    comment: text('comment'),
    ratedAt: ts('rated_at').notNull(),
  },
  (t) => [
    index('course_ratings_provider_course_idx').on(t.providerId, t.courseId),
    check('course_ratings_stars', sql`${t.stars} between 1 and 5`),
    check('course_ratings_comment_length', sql`${t.comment} is null or char_length(${t.comment}) <= 1000`),
  ],
);

export const incentiveStatuses = ['accrued', 'held', 'reversed', 'written_off'] as const;

/** A learner's completion incentive, at most one per (learner, enrolment). */
export const incentives = pgTable(
  'incentives',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull(),
    enrolmentId: uuid('enrolment_id').notNull(),
    schemeId: uuid('scheme_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amount: amount('amount').notNull(),
    /** accrued: posted from the incentive budget to the learner's payable; held: it could not be, nothing moved; reversed: its claim was reversed before it was paid out, and any money went back to the budget; written_off: its claim was reversed after it was paid out, and the learner keeps it (a loss, with its reason). */
    status: text('status', { enum: incentiveStatuses }).notNull(),
    holdReason: text('hold_reason'),
    transferId: uuid('transfer_id').notNull().unique(),
    createdAt: ts('created_at').notNull(),
    accruedAt: ts('accrued_at'),
    writtenOffAt: ts('written_off_at'),
    writeOffReason: text('write_off_reason'),
  },
  (t) => [
    uniqueIndex('incentives_learner_enrolment_uq').on(t.learnerId, t.enrolmentId),
    index('incentives_accrued_idx').on(t.currency, t.learnerId).where(sql`${t.status} = 'accrued'`),
    index('incentives_held_idx').on(t.schemeId, t.createdAt).where(sql`${t.status} = 'held'`),
    check('incentives_amount_positive', sql`${t.amount} > 0`),
    index('incentives_written_off_idx').on(t.schemeId, t.writtenOffAt).where(sql`${t.status} = 'written_off'`),
    check('incentives_status', sql`${t.status} in ('accrued', 'held', 'reversed', 'written_off')`),
    check('incentives_written_off_has_reason', sql`(${t.status} = 'written_off') = (${t.writtenOffAt} is not null and ${t.writeOffReason} is not null)`),
    check('incentives_held_has_reason', sql`(${t.status} = 'held') = (${t.holdReason} is not null)`),
  ],
);

export const payeeAccountStatuses = ['active', 'proposed', 'superseded', 'rejected'] as const;

/** Where a learner is paid: one active account; a change is proposed and waits for a second person. */
export const learnerPayeeAccounts = pgTable(
  'learner_payee_accounts',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    kind: text('kind', { enum: ['bank', 'ewallet'] }).notNull(),
    /** Personal data: never logged, never in audit details; responses show `masked`. */
    account: jsonb('account').notNull(),
    masked: text('masked').notNull(),
    status: text('status', { enum: payeeAccountStatuses }).notNull(),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    activatedAt: ts('activated_at'),
    activatedBy: text('activated_by'),
  },
  (t) => [
    uniqueIndex('learner_payee_accounts_active_uq').on(t.learnerId).where(sql`${t.status} = 'active'`),
    uniqueIndex('learner_payee_accounts_proposed_uq').on(t.learnerId).where(sql`${t.status} = 'proposed'`),
    check('learner_payee_accounts_kind', sql`${t.kind} in ('bank', 'ewallet')`),
    check('learner_payee_accounts_status', sql`${t.status} in ('active', 'proposed', 'superseded', 'rejected')`),
  ],
);

/** Which incentives a learner payment line pays. An incentive is in at most one live line. */
export const paymentLineIncentives = pgTable(
  'payment_line_incentives',
  {
    lineId: uuid('line_id').notNull().references(() => paymentLines.id),
    incentiveId: uuid('incentive_id').notNull(),
    amount: amount('amount').notNull(),
    live: integer('live').notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.incentiveId] }), uniqueIndex('payment_line_incentives_live_uq').on(t.incentiveId).where(sql`${t.live} = 1`)],
);
