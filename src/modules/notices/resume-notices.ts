import { sql } from 'drizzle-orm';
import { inTransaction } from '../../db/transaction.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { ServiceDeps } from '../deps.js';
import { NOTICE_QUEUE } from './notices.consumer.js';

/**
 * How long a queued notice may wait past its creation or last attempt before
 * its job counts as lost: the queue's own retries (a minute, two, four, and
 * a dead worker's job expiring after two) all come well within it.
 */
export const NOTICE_RESUME_GRACE_MS = 15 * 60 * 1000;

/** A notice still unsent this long after it was recorded (the relay records it as its event comes) is failed as too late instead. */
export const NOTICE_GIVE_UP_MS = 24 * 60 * 60 * 1000;

/**
 * Gives a new job to each notice still queued a grace past its creation,
 * last attempt or last resume: its job failed for good (pg-boss's retries
 * spent on a database error) or was lost. Its waiting_since moves to now, so
 * the next sweep leaves it to the new job. If the old job turns up after
 * all, sendNotice's lock and its 'queued' check let only one of the two send.
 */
export async function resumeStaleNotices(deps: ServiceDeps, jobs: Pick<JobQueue, 'enqueue'>, options: { limit?: number } = {}): Promise<{ resumed: number; givenUp: number }> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - NOTICE_RESUME_GRACE_MS);
  return inTransaction(deps.database.db, async (tx) => {
    // A day late, a warning of a deadline days away is more likely to mislead than to help: failed, not resumed.
    const late = await tx.execute<{ id: string }>(sql`
      update notices set status = 'failed', failed_at = ${now.toISOString()}::timestamptz, last_error = 'too_late'
       where id in (select id from notices where status = 'queued' and created_at < ${new Date(now.getTime() - NOTICE_GIVE_UP_MS).toISOString()}::timestamptz
                     order by created_at limit ${options.limit ?? 500}
                     for update skip locked)
      returning id`);
    const stale = await tx.execute<{ id: string }>(sql`
      update notices set waiting_since = ${now.toISOString()}::timestamptz
       where id in (select id from notices where status = 'queued' and waiting_since < ${before.toISOString()}::timestamptz
                     order by waiting_since limit ${options.limit ?? 500}
                     for update skip locked)
      returning id`);
    for (const { id } of stale.rows) await jobs.enqueue(tx, NOTICE_QUEUE, { noticeId: id }, { singletonKey: id });
    return { resumed: stale.rows.length, givenUp: late.rows.length };
  });
}
