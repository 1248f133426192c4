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
