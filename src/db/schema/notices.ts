import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { learners } from './entitlements.js';
import { outboxEvents } from './events.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

export const noticeChannels = ['email', 'sms'] as const;
export type NoticeChannelName = (typeof noticeChannels)[number];
export const noticeStatuses = ['queued', 'sent', 'failed'] as const;

/**
 * One learner notice: an event told on one channel (drizzle/0036_notices.sql).
 * Unique per (event, channel), so nobody is told twice. The destination is
 * read from learner_contacts when the notice is sent, never kept here.
 */
export const notices = pgTable(
  'notices',
  {
    id: uuid('id').primaryKey(),
    eventId: uuid('event_id').notNull().references(() => outboxEvents.id),
    eventType: text('event_type').notNull(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    channel: text('channel', { enum: noticeChannels }).notNull(),
    status: text('status', { enum: noticeStatuses }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    /** The language it was written in, once sent. */
    language: text('language'),
    createdAt: ts('created_at').notNull(),
    /** Its creation, last recorded attempt or last resume: a queued notice a grace past it has lost its job (drizzle/0039_notice_resume.sql). */
    waitingSince: ts('waiting_since').notNull(),
    sentAt: ts('sent_at'),
    failedAt: ts('failed_at'),
    /** A cleaned error code or message: never an address or phone number. */
    lastError: text('last_error'),
  },
  (t) => [
    uniqueIndex('notices_event_channel_uq').on(t.eventId, t.channel),
    index('notices_learner_idx').on(t.learnerId, t.createdAt),
    index('notices_waiting_idx').on(t.waitingSince).where(sql`${t.status} = 'queued'`),
    check('notices_channel', sql`${t.channel} in ('email', 'sms')`),
    check('notices_status', sql`${t.status} in ('queued', 'sent', 'failed')`),
  ],
);
export type NoticeRow = typeof notices.$inferSelect;
