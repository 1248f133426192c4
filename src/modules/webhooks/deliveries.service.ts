import { and, asc, desc, eq, lt, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.js';
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type WebhookDeliveryStatus } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { cursorDate, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import { attemptDelivery, type DeliveryDeps } from './attempt-delivery.js';

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookDeliveryAttempts.$inferSelect;

/** The provider's delivery; another provider's is not found. */
async function ownDelivery(db: Db | Tx, providerId: string, deliveryId: string): Promise<DeliveryRow> {
  const [row] = await db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.providerId, providerId)));
  if (!row) throw notFound('webhook delivery');
  return row;
}

export const attemptsOf = (db: Db | Tx, deliveryId: string): Promise<AttemptRow[]> =>
  db.select().from(webhookDeliveryAttempts).where(eq(webhookDeliveryAttempts.deliveryId, deliveryId)).orderBy(asc(webhookDeliveryAttempts.attempt));

export function deliveriesService(deps: DeliveryDeps) {
  return {
    /** Newest first, filtered by status and endpoint. */
    async list(db: Db | Tx, providerId: string, filter: { status?: WebhookDeliveryStatus | undefined; endpointId?: string | undefined; cursor?: string | undefined; limit: number }) {
      const after = decodeCursor(filter.cursor, z.object({ createdAt: cursorDate, id: z.union([z.string().regex(/^msg_[0-9a-f]{32}$/), z.uuid()]) }));
      const rows = await db.select().from(webhookDeliveries).where(and(
        eq(webhookDeliveries.providerId, providerId),
        filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
        filter.endpointId ? eq(webhookDeliveries.endpointId, filter.endpointId) : undefined,
        after ? or(lt(webhookDeliveries.createdAt, after.createdAt), and(eq(webhookDeliveries.createdAt, after.createdAt), lt(webhookDeliveries.id, after.id))) : undefined,
      )).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(filter.limit + 1);
      const items = rows.slice(0, filter.limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null };
    },

    async get(db: Db | Tx, providerId: string, deliveryId: string) {
      const delivery = await ownDelivery(db, providerId, deliveryId);
      return { delivery, attempts: await attemptsOf(db, deliveryId) };
    },

    /**
     * One attempt now, with the same webhook-id, whatever the delivery's
     * status (a dead-lettered one too). It does not restart the retry
     * schedule: it delivers, or leaves the delivery as it was.
     */
    async replay(db: Db | Tx, providerId: string, deliveryId: string, acting: Acting) {
      const delivery = await ownDelivery(db, providerId, deliveryId);
      const [endpoint] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, delivery.endpointId));
      if (!endpoint || endpoint.deletedAt !== null || !endpoint.enabled) {
        throw new AppError('invalid_state', 'the delivery\'s endpoint is disabled or deleted: enable it to replay', { reasons: ['endpoint_disabled'] });
      }
      const result = await attemptDelivery(deps, deliveryId, { trigger: 'replay' });
      if (!result.made) throw notFound('webhook delivery');
      await inTransaction(db, (tx) => recordAudit(tx, {
        actor: acting.actor, action: 'webhook_delivery.replayed', entityType: 'webhook_endpoint', entityId: endpoint.id, requestId: acting.requestId,
        at: deps.clock.now(), details: { deliveryId, attempt: result.attempt, outcome: result.outcome.ok ? 'delivered' : 'failed' },
      }));
      const after = await ownDelivery(deps.database.db, providerId, deliveryId);
      const [attempt] = (await attemptsOf(deps.database.db, deliveryId)).filter((a) => a.attempt === result.attempt);
      return { delivery: after, attempt: attempt! };
    },
  };
}
