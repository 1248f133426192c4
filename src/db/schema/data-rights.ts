import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * Every read of a learner's personal data by staff (drizzle/0032_data_rights.sql):
 * who read it, whose, through which operation, why, when and in which request.
 * Never the national id.
 */
export const staffDataReads = pgTable(
  'staff_data_reads',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    readerSubject: text('reader_subject').notNull(),
    readerRole: text('reader_role').notNull(),
    /** The operationId of the route (or page) that read it. */
    operation: text('operation').notNull(),
    /** The reader's stated reason where the route takes one, else the route's declared purpose. */
    purpose: text('purpose').notNull(),
    requestId: text('request_id'),
    at: ts('at').notNull(),
  },
  (t) => [index('staff_data_reads_learner_idx').on(t.learnerId, t.at.desc(), t.id.desc())],
);
