import { createHash } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';

/**
 * Background tasks shared by the replicas on one database: each run of a task
 * happens in one process, never two at once, and at most once per interval.
 *
 * A run holds the task's session advisory lock on a pooled connection of its
 * own, so a process that dies mid-run (even kill -9) loses the lock with its
 * connection and the next interval's run goes ahead elsewhere. Under the lock,
 * the task's row in background_task_runs is claimed only when its last run
 * started an interval ago or more (database time, the one clock every replica
 * shares).
 */

export type SkipReason = 'running_elsewhere' | 'ran_recently';

export type LeaseOutcome<T> = { ran: true; result: T } | { ran: false; reason: SkipReason };

export interface TaskLeases {
  /** Runs `work` as `task` if this process gets the task's lock and the task is due; otherwise says why it did not. */
  run<T>(task: string, work: () => Promise<T>): Promise<LeaseOutcome<T>>;
}

/** The first key of every task lock: the service's own, apart from any other user of advisory locks on the database. */
const LOCK_NAMESPACE = 0x4c435442; // "LCTB"

/** A task's fixed lock key, the same in every process (two tasks whose keys collide never run at once, which is harmless). */
function taskLockKey(task: string): number {
  return createHash('sha256').update(task).digest().readInt32BE(0);
}

/** This process, as background_task_runs.started_by names it. */
const processName = (): string => `${os.hostname()}:${process.pid}`;

export function createTaskLeases(pool: pg.Pool, options: { intervalMs: number; owner?: string }): TaskLeases {
  const owner = options.owner ?? processName();
  return {
    async run<T>(task: string, work: () => Promise<T>): Promise<LeaseOutcome<T>> {
      const key = taskLockKey(task);
      const client = await pool.connect();
      let connectionFailed: Error | undefined;
      let workFailed: { error: unknown } | undefined;
      let result: T | undefined;
      try {
        const lock = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [LOCK_NAMESPACE, key]);
        if (!lock.rows[0]?.locked) return { ran: false, reason: 'running_elsewhere' };
        try {
          const claimed = await client.query(
            `insert into background_task_runs as r (task, started_at, started_by) values ($1, clock_timestamp(), $2)
             on conflict (task) do update
                set started_at = excluded.started_at, started_by = excluded.started_by, finished_at = null, outcome = null, runs = r.runs + 1
              where r.started_at <= clock_timestamp() - make_interval(secs => $3::float8 / 1000)`,
            [task, owner, options.intervalMs],
          );
          if (claimed.rowCount === 0) return { ran: false, reason: 'ran_recently' };
          try {
            result = await work();
          } catch (err) {
            workFailed = { error: err };
          }
          await client.query(`update background_task_runs set finished_at = clock_timestamp(), outcome = $3 where task = $1 and started_by = $2`, [
            task, owner, workFailed ? 'failed' : 'ok',
          ]);
        } finally {
          await client.query('select pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, key]);
        }
      } catch (err) {
        connectionFailed = err as Error;
        throw err;
      } finally {
        // A connection whose query failed may still hold the lock: it is closed, not returned to the pool.
        client.release(connectionFailed);
      }
      if (workFailed) throw workFailed.error;
      return { ran: true, result: result as T };
    },
  };
}
