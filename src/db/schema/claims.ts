import { sql } from 'drizzle-orm';
import { bigint, boolean, char, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { enrolments } from './enrolments.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

export const claimStatuses = ['approved', 'rejected', 'in_review', 'paid', 'reversed'] as const;
export type ClaimStatus = (typeof claimStatuses)[number];

/**
 * A provider's request for payment for one enrolment, with the completion
 * credential it carried. A credential backs at most one claim that is not
 * rejected (the partial unique index), and rejected claims stay on record.
 */
export const claims = pgTable(
  'claims',
  {
    id: uuid('id').primaryKey(),
    enrolmentId: uuid('enrolment_id').notNull().references(() => enrolments.id),
    /** The module a milestone claim pays (1..n); 0 for a claim on a course paid in one claim. */
    moduleOrdinal: smallint('module_ordinal').notNull().default(0),
    learnerId: uuid('learner_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amountClaimed: bigint('amount_claimed', { mode: 'bigint' }).notNull(),
    attendanceBps: integer('attendance_bps'),
    status: text('status', { enum: claimStatuses }).notNull(),
    credentialId: text('credential_id'),
    credentialSha256: text('credential_sha256').notNull(),
    credentialIssuedAt: ts('credential_issued_at'),
    failedChecks: jsonb('failed_checks').notNull().default(sql`'[]'::jsonb`),
    reviewReasons: jsonb('review_reasons').notNull().default(sql`'[]'::jsonb`),
    onHold: boolean('on_hold').notNull().default(false),
    flaggedBy: text('flagged_by'),
    flagReason: text('flag_reason'),
    decidedBy: text('decided_by'),
    decisionReason: text('decision_reason'),
    submittedAt: ts('submitted_at').notNull(),
    decidedAt: ts('decided_at'),
    paidAt: ts('paid_at'),
    /** Reversed by finance after approval: the money went back to the learner (and, if it had been paid, a recovery was opened). */
    reversedAt: ts('reversed_at'),
    reversalReasonCode: text('reversal_reason_code'),
    reversalReason: text('reversal_reason'),
    reversedBy: text('reversed_by'),
  },
  (t) => [
    uniqueIndex('claims_credential_once_uq').on(t.providerId, t.credentialId).where(sql`${t.status} <> 'rejected'`),
    uniqueIndex('claims_one_live_per_module_uq').on(t.enrolmentId, t.moduleOrdinal).where(sql`${t.status} <> 'rejected'`),
    index('claims_provider_idx').on(t.providerId, t.submittedAt),
    index('claims_learner_idx').on(t.learnerId, t.submittedAt),
    index('claims_status_idx').on(t.status, t.submittedAt),
    index('claims_on_hold_idx').on(t.providerId).where(sql`${t.status} = 'approved' and ${t.onHold}`),
    index('claims_approved_provider_idx').on(t.providerId).where(sql`${t.status} = 'approved'`),
  ],
);

/**
 * A hold that passed its decision deadline, escalated once by the sweep. A
 * hold is one claim held from one instant: a later hold of the same claim is
 * a new one. handled_by are the people who placed or acted on the hold
 * before it escalated; none of them may decide it now.
 */
export const claimHoldEscalations = pgTable(
  'claim_hold_escalations',
  {
    claimId: uuid('claim_id').notNull(),
    heldSince: ts('held_since').notNull(),
    reasonCode: text('reason_code').notNull(),
    decideBy: ts('decide_by').notNull(),
    escalatedAt: ts('escalated_at').notNull(),
    handledBy: text('handled_by').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [primaryKey({ columns: [t.claimId, t.heldSince] })],
);

/** Credentials a provider has revoked. */
export const credentialRevocations = pgTable(
  'credential_revocations',
  {
    providerId: uuid('provider_id').notNull(),
    credentialId: text('credential_id').notNull(),
    reason: text('reason').notNull(),
    revokedAt: ts('revoked_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.credentialId] })],
);
