import { and, arrayContains, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { newId } from '../../lib/ids.js';
import type { ServiceDeps } from '../deps.js';
import type { OutboxEvent } from '../events/outbox.js';
import type { EventConsumer } from '../events/relay.js';
import { DELIVERY_QUEUE, type DeliveryJob } from './attempt-delivery.js';

/** A delivery's id, which is the webhook-id of every attempt: msg_ and 32 hex digits. */
export const newDeliveryId = () => `msg_${newId().replace(/-/g, '')}`;

/** The body every attempt of a delivery sends (Standard Webhooks: type, timestamp, data). */
export const messageOf = (event: OutboxEvent) => ({
  type: event.type,
  timestamp: event.occurredAt.toISOString(),
  data: { ...event.data, eventId: event.id },
});

/**
 * The webhooks' share of each outbox event: for an event about a provider,
 * one delivery per enabled endpoint of that provider subscribed to its type,
 * and its first job, in the relay's transaction. The same event handed over
 * again (a relay retried after a failure) adds nothing.
 */
export function webhookFanOut(deps: ServiceDeps, jobs: JobQueue): EventConsumer {
  return {
    name: 'webhooks',
    async fanOut(tx: Tx, event: OutboxEvent) {
      if (!event.providerId) return;
      const endpoints = await tx.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(and(
        eq(webhookEndpoints.providerId, event.providerId), eq(webhookEndpoints.enabled, true), isNull(webhookEndpoints.deletedAt),
        arrayContains(webhookEndpoints.eventTypes, [event.type]),
      ));
      if (endpoints.length === 0) return;
      const now = deps.clock.now();
      const rows = await tx.insert(webhookDeliveries).values(endpoints.map((e) => ({
        id: newDeliveryId(), endpointId: e.id, providerId: event.providerId!, eventId: event.id, eventType: event.type,
        payload: messageOf(event), status: 'pending' as const, createdAt: now, nextAttemptAt: now,
      }))).onConflictDoNothing().returning({ id: webhookDeliveries.id });
      for (const r of rows) await jobs.enqueue(tx, DELIVERY_QUEUE, { deliveryId: r.id, due: now.toISOString() } satisfies DeliveryJob);
    },
  };
}
