import { sql } from 'drizzle-orm';
import { bigint, char, index, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

export const enrolmentStatuses = ['requested', 'reserved', 'claimed', 'completed', 'declined', 'withdrawn', 'expired'] as const;
export type EnrolmentStatus = (typeof enrolmentStatuses)[number];
/** An enrolment that holds its learner's place on the run. SQL: enrolment_is_live (enrolments.sql). */
export const liveStatuses = ['requested', 'reserved', 'claimed'] as const;

/**
 * A learner on a course run. Keyed by learner for later distribution. No
 * foreign key to the run or provider: a popular run would otherwise take a
 * KEY SHARE lock per enrolment on one row.
 */
export const enrolments = pgTable(
  'enrolments',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    courseRunId: uuid('course_run_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    fee: amount('fee').notNull(),
    funded: amount('funded').notNull().default(sql`0`),
    coPay: amount('co_pay').notNull().default(sql`0`),
    status: text('status', { enum: enrolmentStatuses }).notNull(),
    origin: text('origin', { enum: ['provider_request', 'self'] }).notNull(),
    ruleVersions: jsonb('rule_versions').notNull().default(sql`'{}'::jsonb`),
    requestedAt: ts('requested_at').notNull(),
    consentDeadline: ts('consent_deadline'),
    reservedAt: ts('reserved_at'),
    reservationExpiresAt: ts('reservation_expires_at'),
    endedAt: ts('ended_at'),
    endReason: text('end_reason'),
  },
  (t) => [
    uniqueIndex('enrolments_one_live_per_run_uq')
      .on(t.learnerId, t.courseRunId)
      .where(sql`${t.status} in ('requested', 'reserved', 'claimed')`),
    index('enrolments_learner_idx').on(t.learnerId, t.requestedAt),
    index('enrolments_provider_idx').on(t.providerId, t.requestedAt),
    index('enrolments_run_live_idx').on(t.courseRunId).where(sql`${t.status} in ('requested', 'reserved', 'claimed')`),
    index('enrolments_consent_idx').on(t.consentDeadline).where(sql`${t.status} = 'requested'`),
    index('enrolments_hold_idx').on(t.reservationExpiresAt).where(sql`${t.status} = 'reserved'`),
  ],
);

/**
 * One leg of a reservation: the pending transfer drawn from one grant for one
 * module. module_ordinal is 0 for a course paid in one claim, 1..n for a
 * module of a modular course (README "Milestone claims").
 */
export const enrolmentReservations = pgTable(
  'enrolment_reservations',
  {
    enrolmentId: uuid('enrolment_id').notNull().references(() => enrolments.id),
    learnerId: uuid('learner_id').notNull(),
    grantId: uuid('grant_id').notNull(),
    moduleOrdinal: smallint('module_ordinal').notNull().default(0),
    schemeId: uuid('scheme_id').notNull(),
    transferId: uuid('transfer_id').notNull().unique(),
    amount: amount('amount').notNull(),
    holdUntil: ts('hold_until').notNull(),
  },
  (t) => [primaryKey({ columns: [t.enrolmentId, t.moduleOrdinal, t.grantId] })],
);
