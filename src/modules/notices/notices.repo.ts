import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { outboxEvents } from '../../db/schema/events.js';
import { notices, type NoticeChannelName, type NoticeRow } from '../../db/schema/notices.js';
import { newId } from '../../lib/ids.js';
import type { EventType } from '../events/event-types.js';
import type { OutboxEvent } from '../events/outbox.js';

/** Records the notice of an event on a channel; undefined when it was recorded before (the unique (event, channel)). */
export async function insertNotice(tx: Tx, e: { eventId: string; eventType: string; learnerId: string; channel: NoticeChannelName; at: Date }): Promise<string | undefined> {
  const [row] = await tx
    .insert(notices)
    .values({ id: newId(), eventId: e.eventId, eventType: e.eventType, learnerId: e.learnerId, channel: e.channel, createdAt: e.at, waitingSince: e.at })
    .onConflictDoNothing({ target: [notices.eventId, notices.channel] })
    .returning({ id: notices.id });
  return row?.id;
}

/**
 * The notice to send, locked for the sending: undefined when it is sent or
 * failed already, or another worker is sending it (skip locked), so a job
 * run twice sends once.
 */
export async function lockQueuedNotice(tx: Tx, id: string): Promise<NoticeRow | undefined> {
  const [row] = await tx.select().from(notices).where(and(eq(notices.id, id), eq(notices.status, 'queued'))).for('update', { skipLocked: true });
  return row;
}

export async function eventOf(db: Db | Tx, id: string): Promise<OutboxEvent | undefined> {
  const [row] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, id));
  if (!row) return undefined;
  const { dedupeKey: _key, dispatchedAt: _at, ...event } = row;
  return { ...event, type: event.type as EventType };
}

export async function markNotice(tx: Tx, id: string, change: Partial<Pick<NoticeRow, 'status' | 'attempts' | 'language' | 'sentAt' | 'failedAt' | 'lastError' | 'waitingSince'>>) {
  await tx.update(notices).set(change).where(eq(notices.id, id));
}
