import { bigint, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** The last run of each background task, across replicas (migration 0020, src/db/task-leases.ts). */
export const backgroundTaskRuns = pgTable('background_task_runs', {
  task: text('task').primaryKey(),
  startedAt: ts('started_at').notNull(),
  /** The process that started it: host and pid. */
  startedBy: text('started_by').notNull(),
  /** Null while it runs, or when its process died during the run. */
  finishedAt: ts('finished_at'),
  outcome: text('outcome').$type<'ok' | 'failed'>(),
  runs: bigint('runs', { mode: 'bigint' }).notNull().default(1n),
});

/** rate-limiter-flexible's counters (migration 0019, src/http/rate-limits.ts); `expire` is milliseconds since the epoch. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});
