import { eq } from 'drizzle-orm';
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { newId } from '../../lib/ids.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Metrics } from '../../lib/metrics.js';
import type { ServiceDeps } from '../deps.js';
import type { Resolver } from './endpoint-address.js';
import { addressPolicyOf, liveSecrets } from './endpoints.service.js';
import { postMessage, type PostOutcome } from './post-message.js';
import { nextAttemptAt } from './retry-schedule.js';
import { webhookHeaders } from './signing.js';

/** The queue of delivery attempts; a job is {deliveryId, due}. */
export const DELIVERY_QUEUE = 'webhooks.deliver';

export interface DeliveryJob {
  deliveryId: string;
  /** The next_attempt_at this job was scheduled for: a job whose instant has passed on (a duplicate, or one overtaken) does nothing. */
  due: string;
}

/** What attempts need beyond the service's dependencies: the queue for the next one, and knobs for tests. */
export interface DeliveryDeps extends ServiceDeps {
  /** Without it (a test driving the schedule by hand) the next attempt is recorded but not enqueued. */
  jobs?: JobQueue;
  resolve?: Resolver;
  timeoutMs?: number;
  random?: () => number;
  /** Counts each attempt by outcome (/metrics). */
  metrics?: Pick<Metrics, 'webhookAttempts'>;
}

export const DELIVERY_TIMEOUT_MS = 10_000;

export type AttemptResult =
  | { made: false; why: 'not_found' | 'finished' | 'not_due' }
  | { made: true; attempt: number; outcome: PostOutcome; status: 'delivered' | 'retrying' | 'dead_lettered'; nextAttemptAt: Date | null };

/**
 * One attempt at a delivery, now (deps.clock). A scheduled attempt (the
 * default) does nothing for a delivered or dead-lettered delivery, nor, when
 * `due` is given, once the delivery's next attempt is no longer that
 * instant. A failed scheduled attempt schedules the next one (retry-schedule.ts)
 * or dead-letters the delivery; a replay is one extra attempt that delivers
 * or leaves the delivery as it was. The attempt is recorded, and the next
 * job enqueued, in one transaction: a process killed before that commit
 * leaves the job to run again, and the receiver sees the same webhook-id twice.
 */
export async function attemptDelivery(
  deps: DeliveryDeps,
  deliveryId: string,
  options: { trigger?: 'schedule' | 'replay'; due?: Date } = {},
): Promise<AttemptResult> {
  const trigger = options.trigger ?? 'schedule';
  const db = deps.database.db;
  const [found] = await db.select({ delivery: webhookDeliveries, endpoint: webhookEndpoints }).from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId)).where(eq(webhookDeliveries.id, deliveryId));
  if (!found) return { made: false, why: 'not_found' };
  const { delivery, endpoint } = found;
  if (trigger === 'schedule') {
    if (delivery.status === 'delivered' || delivery.status === 'dead_lettered') return { made: false, why: 'finished' };
    if (options.due && delivery.nextAttemptAt?.getTime() !== options.due.getTime()) return { made: false, why: 'not_due' };
  }
  const startedAt = deps.clock.now();
  const body = JSON.stringify(delivery.payload);
  const outcome: PostOutcome = endpoint.enabled && endpoint.deletedAt === null
    ? await postMessage(endpoint.url, body, webhookHeaders(await liveSecrets(deps, db, endpoint.id, startedAt), delivery.id, startedAt, body), {
      policy: addressPolicyOf(deps), timeoutMs: deps.timeoutMs ?? DELIVERY_TIMEOUT_MS, ...(deps.resolve ? { resolve: deps.resolve } : {}),
    })
    : { ok: false, statusCode: null, errorClass: 'endpoint_disabled', excerpt: null, durationMs: 0 };
  deps.metrics?.webhookAttempts.inc({ outcome: outcome.ok ? 'delivered' : 'failed', error_class: outcome.errorClass ?? 'none' });

  return inTransaction(db, async (tx) => {
    const [current] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).for('update');
    const attempt = current!.attempts + 1;
    await tx.insert(webhookDeliveryAttempts).values({
      id: newId(), deliveryId, attempt, trigger, startedAt, durationMs: outcome.durationMs, outcome: outcome.ok ? 'delivered' : 'failed',
      statusCode: outcome.statusCode, errorClass: outcome.errorClass, responseExcerpt: outcome.excerpt,
    });
    const firstAttemptAt = current!.firstAttemptAt ?? startedAt;
    const base = { attempts: attempt, firstAttemptAt, lastAttemptAt: startedAt };
    // Still the attempt the schedule is waiting for? (Not when a concurrent run or a replay finished it meanwhile.)
    const onSchedule = trigger === 'schedule' && current!.status !== 'delivered' && current!.status !== 'dead_lettered'
      && (!options.due || current!.nextAttemptAt?.getTime() === options.due.getTime());
    if (outcome.ok) {
      await tx.update(webhookDeliveries).set({ ...base, status: 'delivered', deliveredAt: startedAt, nextAttemptAt: null }).where(eq(webhookDeliveries.id, deliveryId));
      return { made: true, attempt, outcome, status: 'delivered' as const, nextAttemptAt: null };
    }
    if (!onSchedule) {
      await tx.update(webhookDeliveries).set(base).where(eq(webhookDeliveries.id, deliveryId));
      const status = current!.status === 'pending' ? 'retrying' : current!.status;
      return { made: true, attempt, outcome, status: status as 'delivered' | 'retrying' | 'dead_lettered', nextAttemptAt: current!.nextAttemptAt };
    }
    const disabled = outcome.errorClass === 'endpoint_disabled';
    const next = disabled ? null : nextAttemptAt(firstAttemptAt, startedAt, attempt, (deps.random ?? Math.random)());
    await tx.update(webhookDeliveries).set({ ...base, status: next ? 'retrying' : 'dead_lettered', nextAttemptAt: next }).where(eq(webhookDeliveries.id, deliveryId));
    if (next && deps.jobs) await deps.jobs.enqueue(tx, DELIVERY_QUEUE, { deliveryId, due: next.toISOString() } satisfies DeliveryJob, { startAfter: next });
    return { made: true, attempt, outcome, status: next ? ('retrying' as const) : ('dead_lettered' as const), nextAttemptAt: next };
  });
}
