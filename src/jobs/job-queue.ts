import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Tx } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { safeErrorText } from '../lib/metrics.js';

/**
 * The service's job queue: pg-boss, on the service's own database and pool
 * (schema `pgboss`). A job enqueued with a transaction exists only if that
 * transaction commits, so work handed over with a state change (a webhook
 * delivery, a notice) is never lost or done for a change that rolled back.
 */
export interface JobQueue {
  /** Creates the queue if it does not exist, with its retry policy. */
  define(queue: string, policy?: QueuePolicy): Promise<void>;
  /** Enqueues a job in `tx`: it runs only once tx commits. */
  enqueue(tx: Tx, queue: string, data: object, options?: EnqueueOptions): Promise<void>;
  /** Runs `handler` for each job of `queue` in this process; a handler that throws fails the job, and pg-boss retries it per the queue's policy. */
  work<T extends object>(queue: string, handler: (data: T) => Promise<void>, options?: { pollingIntervalSeconds?: number }): Promise<void>;
  stop(): Promise<void>;
  /** pg-boss itself, for what this interface does not cover (tests read job states through it). */
  readonly boss: PgBoss;
}

export interface QueuePolicy {
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
  deadLetter?: string;
}

export interface EnqueueOptions {
  startAfter?: Date;
  /**
   * pg-boss's singletonKey. Every queue here is a standard queue, on which
   * the key does not stop a second job with it: each consumer makes a repeat
   * harmless itself (sendNotice and attemptDelivery lock their row and act
   * once), and the resume sweeps rely on that.
   */
  singletonKey?: string;
}

/** The advisory lock pg-boss starts under (namespace, key): "LCTB", "boss". */
const START_LOCK = [0x4c435442, 0x626f7373] as const;

/**
 * Runs pg-boss's start (which creates or migrates its schema), or a queue's
 * creation, while holding a session advisory lock on a connection of its
 * own: replicas starting at once would otherwise race on CREATE SCHEMA and
 * deadlock on a queue's partition. The start itself runs on other
 * pooled connections, so the pool needs two.
 */
async function underStartLock(pool: pg.Pool, start: () => Promise<unknown>): Promise<void> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1, $2)', [...START_LOCK]);
    try {
      await start();
    } finally {
      await client.query('select pg_advisory_unlock($1, $2)', [...START_LOCK]);
    }
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    // A connection whose unlock failed may still hold the lock: closed, not returned.
    client.release(failed);
  }
}

/** Runs a statement on the connection of a drizzle transaction, as pg-boss's `db` option expects. */
function executorOf(tx: Tx): PgBoss.Db {
  const client = (tx as unknown as { session: { client: pg.PoolClient } }).session.client;
  return { executeSql: async (text, values) => client.query(text, values) };
}

/**
 * maintenanceIntervalSeconds: how often pg-boss's supervisor expires jobs
 * whose worker died (their retry then runs); pg-boss's default is 120.
 */
export async function startJobQueue(pool: pg.Pool, logger: Logger, options: { schema?: string; maintenanceIntervalSeconds?: number } = {}): Promise<JobQueue> {
  const boss = new PgBoss({
    db: { executeSql: async (text, values) => pool.query(text, values) },
    schema: options.schema ?? 'pgboss',
    // The service's own maintenance owns its tables; pg-boss supervises only its own.
    supervise: true,
    schedule: false,
    ...(options.maintenanceIntervalSeconds !== undefined ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
  });
  boss.on('error', (err) => logger.error({ err: safeErrorText(err) }, 'job queue error'));
  await underStartLock(pool, () => boss.start());
  return {
    boss,
    async define(queue, policy = {}) {
      // Under the start lock too: replicas creating one queue at once deadlock on its partition's DDL.
      await underStartLock(pool, async () => {
        const existing = await boss.getQueue(queue);
        const settings: PgBoss.Queue = {
          name: queue,
          ...(policy.retryLimit !== undefined ? { retryLimit: policy.retryLimit } : {}),
          ...(policy.retryDelaySeconds !== undefined ? { retryDelay: policy.retryDelaySeconds } : {}),
          ...(policy.retryBackoff !== undefined ? { retryBackoff: policy.retryBackoff } : {}),
          ...(policy.expireInSeconds !== undefined ? { expireInSeconds: policy.expireInSeconds } : {}),
          ...(policy.deadLetter !== undefined ? { deadLetter: policy.deadLetter } : {}),
        };
        if (existing) await boss.updateQueue(queue, settings);
        else await boss.createQueue(queue, settings);
      });
    },
    async enqueue(tx, queue, data, enqueueOptions = {}) {
      const id = await boss.send(queue, data, {
        db: executorOf(tx),
        ...(enqueueOptions.startAfter ? { startAfter: enqueueOptions.startAfter } : {}),
        ...(enqueueOptions.singletonKey ? { singletonKey: enqueueOptions.singletonKey } : {}),
      });
      // pg-boss creates nothing for a queue that was never defined (on a standard queue nothing else answers null):
      // that would lose the work silently, so the caller's transaction fails instead.
      if (id === null) throw new Error(`job queue ${queue} is not defined: the job was not created`);
    },
    async work<T extends object>(queue: string, handler: (data: T) => Promise<void>, workOptions: { pollingIntervalSeconds?: number } = {}) {
      await boss.work<T>(queue, { pollingIntervalSeconds: workOptions.pollingIntervalSeconds ?? 2, batchSize: 1 }, async (jobs) => {
        for (const job of jobs) await handler(job.data);
      });
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
