import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** The transactional outbox (drizzle/0031_outbox.sql): one row per event, written with the change it reports. */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: uuid('id').primaryKey(),
    /** The order events were committed in: consumers see them in this order. */
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity().notNull(),
    type: text('type').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    learnerId: uuid('learner_id').references(() => learners.id),
    providerId: uuid('provider_id'),
    schemeId: uuid('scheme_id'),
    /** Ids, amounts, statuses and reason codes only: never personal data. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /** For events found by a scan (a deadline drawing near): the same key is recorded once. */
    dedupeKey: text('dedupe_key'),
    dispatchedAt: ts('dispatched_at'),
  },
  (t) => [
    uniqueIndex('outbox_events_seq_uq').on(t.seq),
    uniqueIndex('outbox_events_dedupe_uq').on(t.dedupeKey).where(sql`${t.dedupeKey} is not null`),
    index('outbox_events_undispatched_idx').on(t.seq).where(sql`${t.dispatchedAt} is null`),
    index('outbox_events_provider_idx').on(t.providerId, t.seq).where(sql`${t.providerId} is not null`),
    index('outbox_events_learner_idx').on(t.learnerId, t.seq).where(sql`${t.learnerId} is not null`),
    check('outbox_events_type', sql`${t.type} ~ '^[a-z_]+(\\.[a-z_]+)+$'`),
  ],
);

export const noticeLanguages = ['en', 'ms', 'id', 'zh', 'ta'] as const;

/** How a learner is reached and what they want to hear (personal data: erasure clears this row). */
export const learnerContacts = pgTable(
  'learner_contacts',
  {
    learnerId: uuid('learner_id').primaryKey().references(() => learners.id),
    email: text('email'),
    phone: text('phone'),
    language: text('language', { enum: noticeLanguages }).notNull().default('en'),
    emailNotices: boolean('email_notices').notNull().default(true),
    smsNotices: boolean('sms_notices').notNull().default(false),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [check('learner_contacts_language', sql`${t.language} in ('en', 'ms', 'id', 'zh', 'ta')`)],
);
