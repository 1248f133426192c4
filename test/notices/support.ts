import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordEvent } from '../../src/modules/events/outbox.js';
import type { EventType } from '../../src/modules/events/event-types.js';
import type { Harness } from '../support/harness.js';
import request from 'supertest';

/**
 * The event a service writes with its change (branch events-emit writes
 * them from every service): recorded here only when the service did not,
 * so these tests hold before and after that lands.
 */
export async function ensureEvent(h: Harness, e: { type: EventType; subject: { type: string; id: string }; learnerId: string; providerId?: string; data?: Record<string, unknown> }) {
  const found = await h.database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where type = ${e.type} and subject_id = ${e.subject.id}::uuid`);
  if (found.rows[0]!.n === 0) await recordEvent(h.database.db, { ...e, at: h.clock.now() });
}

export const putContact = (h: Harness, token: string, body: unknown) =>
  request(h.app).put('/v1/learners/me/contact').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);

export async function setContact(h: Harness, token: string, body: Record<string, unknown>) {
  const res = await putContact(h, token, { phone: null, email: null, emailNotices: false, smsNotices: false, language: 'en', ...body });
  if (res.status !== 200) throw new Error(`contact: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function noticesOf(h: Harness, learnerId: string) {
  const r = await h.database.pool.query(
    `select n.event_type, n.channel, n.status, n.attempts, n.language, n.last_error, o.data from notices n join outbox_events o on o.id = n.event_id
      where n.learner_id = $1 order by n.created_at, n.event_type, n.channel`, [learnerId]);
  return r.rows as { event_type: string; channel: string; status: string; attempts: number; language: string | null; last_error: string | null; data: Record<string, unknown> }[];
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
