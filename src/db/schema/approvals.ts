import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';


const ts = (name: string) => timestamp(name, { withTimezone: true });

export const approvalStatuses = ['pending', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

/**
 * Four eyes: an action one person proposed that only a second person may
 * carry out. The proposal holds what will be done (`payload`); approving it
 * runs the action, rejecting it drops it. Both names stay on the record.
 */
export const approvals = pgTable(
  'approvals',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').notNull().default(sql`'{}'::jsonb`),
    summary: text('summary').notNull(),
    status: text('status', { enum: approvalStatuses }).notNull(),
    proposedBy: text('proposed_by').notNull(),
    proposedByRole: text('proposed_by_role').notNull(),
    proposedAt: ts('proposed_at').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    decisionNote: text('decision_note'),
  },
  (t) => [
    // One open proposal per action on a subject: a second one would race the first.
    uniqueIndex('approvals_one_pending_uq').on(t.kind, t.subjectId).where(sql`${t.status} = 'pending'`),
    index('approvals_status_idx').on(t.status, t.proposedAt),
  ],
);
