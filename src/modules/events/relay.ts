import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { ServiceDeps } from '../deps.js';
import type { EventType } from './event-types.js';
import type { OutboxEvent } from './outbox.js';

/**
 * Something that acts on events: webhook deliveries, learner notices. Its
 * fanOut runs in the relay's transaction and records (and enqueues) its own
 * work there, so an event is marked dispatched exactly when every consumer
 * has taken it.
 */
export interface EventConsumer {
  name: string;
  fanOut(tx: Tx, event: OutboxEvent): Promise<void>;
}

/**
 * Hands every undispatched event, oldest first, to the consumers and marks
 * it dispatched, a batch per transaction. Rows another relay is handling are
 * skipped (skip locked), so replicas never hand one event over twice. A
 * consumer that throws rolls its batch back: the batch is retried on the
 * next run.
 */
export async function relayOutbox(deps: ServiceDeps, consumers: readonly EventConsumer[], options: { batchSize?: number } = {}): Promise<{ dispatched: number }> {
  const batchSize = options.batchSize ?? 100;
  let dispatched = 0;
  for (;;) {
    const n = await inTransaction(deps.database.db, async (tx) => {
      const events = await claimBatch(tx, batchSize);
      for (const event of events) for (const consumer of consumers) await consumer.fanOut(tx, event);
      if (events.length > 0) {
        await tx.execute(sql`update outbox_events set dispatched_at = ${deps.clock.now().toISOString()}::timestamptz
          where id = any(${sql.param(events.map((e) => e.id))}::uuid[])`);
      }
      return events.length;
    });
    dispatched += n;
    if (n < batchSize) return { dispatched };
  }
}

async function claimBatch(tx: Tx, limit: number): Promise<OutboxEvent[]> {
  const r = await tx.execute<{
    id: string; seq: string; type: EventType; occurred_at: string; subject_type: string; subject_id: string;
    learner_id: string | null; provider_id: string | null; scheme_id: string | null; data: Record<string, unknown>;
  }>(sql`select id, seq::text, type, occurred_at::text, subject_type, subject_id, learner_id, provider_id, scheme_id, data
           from outbox_events where dispatched_at is null order by outbox_events.seq limit ${limit} for update skip locked`);
  return r.rows.map((x) => ({
    id: x.id, seq: BigInt(x.seq), type: x.type, occurredAt: new Date(x.occurred_at), subjectType: x.subject_type, subjectId: x.subject_id,
    learnerId: x.learner_id, providerId: x.provider_id, schemeId: x.scheme_id, data: x.data,
  }));
}
