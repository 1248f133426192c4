import { sql } from 'drizzle-orm';
import { bigint, char, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { grants, learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/** How the appealed grant closed: past its expiry, or not used by its first-use deadline (a lapse). */
export const appealClosings = ['expired', 'lapsed'] as const;
export type AppealClosing = (typeof appealClosings)[number];
export const appealStatuses = ['open', 'proposed', 'reinstated', 'rejected'] as const;
export type AppealStatus = (typeof appealStatuses)[number];
/** Why an officer reinstates credit. */
export const reinstateReasonCodes = ['notice_not_received', 'service_fault', 'hardship', 'other'] as const;
/** Why an officer rejects an appeal. */
export const appealRejectReasonCodes = ['no_grounds', 'notice_was_given', 'other'] as const;

/** A learner's appeal against a lapsed or expired grant (drizzle/0033_grant_appeals.sql). */
export const grantAppeals = pgTable(
  'grant_appeals',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    grantId: uuid('grant_id').notNull().references(() => grants.id),
    schemeId: uuid('scheme_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    closing: text('closing', { enum: appealClosings }).notNull(),
    /** When the grant expired or lapsed: the appeal window runs from here. */
    closedAt: ts('closed_at').notNull(),
    /** What the grant's expiry or lapse returned to the scheme, less what earlier appeals reinstated: the most this one can reinstate. */
    lapsedAmount: amount('lapsed_amount').notNull(),
    /** The learner's own words: personal data, never in logs or audit details. */
    statement: text('statement').notNull(),
    status: text('status', { enum: appealStatuses }).notNull(),
    filedAt: ts('filed_at').notNull(),
    filedBy: text('filed_by').notNull(),
    approvalId: uuid('approval_id'),
    proposedAmount: amount('proposed_amount'),
    reasonCode: text('reason_code'),
    decisionNote: text('decision_note'),
    decidedAt: ts('decided_at'),
    decidedBy: text('decided_by'),
    reinstatedGrantId: uuid('reinstated_grant_id'),
  },
  (t) => [
    uniqueIndex('grant_appeals_one_open_uq').on(t.grantId).where(sql`${t.status} in ('open', 'proposed')`),
    uniqueIndex('grant_appeals_reinstated_grant_uq').on(t.reinstatedGrantId).where(sql`${t.reinstatedGrantId} is not null`),
    index('grant_appeals_learner_idx').on(t.learnerId, t.filedAt),
    index('grant_appeals_status_idx').on(t.status, t.filedAt),
    check('grant_appeals_closing', sql`${t.closing} in ('expired', 'lapsed')`),
    check('grant_appeals_status', sql`${t.status} in ('open', 'proposed', 'reinstated', 'rejected')`),
    check('grant_appeals_statement_length', sql`char_length(${t.statement}) between 1 and 2000`),
    check('grant_appeals_lapsed_positive', sql`${t.lapsedAmount} > 0`),
    check('grant_appeals_proposed_amount', sql`${t.proposedAmount} is null or (${t.proposedAmount} > 0 and ${t.proposedAmount} <= ${t.lapsedAmount})`),
    check('grant_appeals_proposed', sql`(${t.status} = 'proposed') = (${t.approvalId} is not null and ${t.decidedAt} is null)`),
    check('grant_appeals_reinstated', sql`(${t.status} = 'reinstated') = (${t.reinstatedGrantId} is not null)`),
  ],
);
