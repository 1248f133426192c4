import { sql } from 'drizzle-orm';
import { inTransaction } from '../../db/transaction.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { ServiceDeps } from '../deps.js';
import { DELIVERY_QUEUE, type DeliveryJob } from './attempt-delivery.js';

/** How long past its due time a waiting delivery counts as having lost its job (pg-boss retries a dead worker's job well within this). */
export const RESUME_GRACE_MS = 15 * 60 * 1000;

/**
 * Gives a new job to each delivery whose attempt is overdue by more than the
 * grace: its job failed for good (pg-boss's retries spent on a database
 * error) or was lost. The job carries the same due instant, so if the old
 * job turns up after all, one of the two finds the delivery moved on and
 * does nothing (attemptDelivery), and the schedule's dead-letter still ends
 * it after three days.
 */
export async function resumeOverdueDeliveries(deps: ServiceDeps, jobs: JobQueue, options: { limit?: number } = {}): Promise<{ resumed: number }> {
  const before = new Date(deps.clock.now().getTime() - RESUME_GRACE_MS);
  return inTransaction(deps.database.db, async (tx) => {
    const overdue = await tx.execute<{ id: string; due: string }>(sql`
      select id, to_char(next_attempt_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as due from webhook_deliveries
       where status in ('pending', 'retrying') and next_attempt_at < ${before.toISOString()}::timestamptz
       order by next_attempt_at limit ${options.limit ?? 500}
       for update skip locked`);
    for (const d of overdue.rows) await jobs.enqueue(tx, DELIVERY_QUEUE, { deliveryId: d.id, due: d.due } satisfies DeliveryJob);
    return { resumed: overdue.rows.length };
  });
}
