import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { EventType } from './event-types.js';

export interface NewEvent {
  type: EventType;
  at: Date;
  /** The entity the event is about: an enrolment, a claim, a payment line, a recovery or a grant. */
  subject: { type: string; id: string };
  learnerId?: string | null;
  providerId?: string | null;
  schemeId?: string | null;
  /** Ids, amounts (minor units as strings), statuses and reason codes. Never personal data. */
  data?: Record<string, unknown>;
  /** For an event found by a scan: the same key is recorded once. */
  dedupeKey?: string;
}

/** A recorded event, as the relay hands it to consumers. */
export interface OutboxEvent {
  id: string;
  seq: bigint;
  type: EventType;
  occurredAt: Date;
  subjectType: string;
  subjectId: string;
  learnerId: string | null;
  providerId: string | null;
  schemeId: string | null;
  data: Record<string, unknown>;
}

/**
 * Records an event in the caller's transaction: call it with the same
 * transaction as the change it reports, so that neither exists without the
 * other. Returns false when its dedupe key was recorded before.
 */
export async function recordEvent(db: Db | Tx, e: NewEvent): Promise<boolean> {
  const r = await db.execute<{ recorded: boolean }>(sql`select outbox_append(${e.type}, ${e.at.toISOString()}::timestamptz,
    ${e.subject.type}, ${e.subject.id}::uuid, ${e.learnerId ?? null}::uuid, ${e.providerId ?? null}::uuid, ${e.schemeId ?? null}::uuid,
    ${JSON.stringify(e.data ?? {})}::jsonb, ${e.dedupeKey ?? null}) as recorded`);
  return r.rows[0]?.recorded === true;
}

/**
 * Records several events in the caller's transaction in one statement, in
 * the order given: for a sweep or a batch that changes many rows at once.
 */
export async function recordEvents(db: Db | Tx, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(eventRecord);
  await db.execute(sql`
    select outbox_append(e.type, e.at, e.subject_type, e.subject_id, e.learner_id, e.provider_id, e.scheme_id, e.data, e.dedupe_key)
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as e(type text, at timestamptz, subject_type text, subject_id uuid, learner_id uuid, provider_id uuid, scheme_id uuid, data jsonb, dedupe_key text)`);
}

/** An event as a JSON record with outbox_append's argument names: for SQL that records the event itself (enrolment_reserve). */
export const eventRecord = (e: NewEvent) => ({
  type: e.type, at: e.at.toISOString(), subject_type: e.subject.type, subject_id: e.subject.id, learner_id: e.learnerId ?? null,
  provider_id: e.providerId ?? null, scheme_id: e.schemeId ?? null, data: e.data ?? {}, dedupe_key: e.dedupeKey ?? null,
});
