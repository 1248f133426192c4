import type { Metrics } from '../lib/metrics.js';
import { startPeriodic, type Periodic } from '../lib/periodic.js';
import type { ServiceDeps } from '../modules/deps.js';
import { relayOutbox } from '../modules/events/relay.js';
import { startJobQueue, type JobQueue } from './job-queue.js';
import { workerParts, type WorkerDeps, type WorkerPartFactory } from './worker-parts.js';

export interface WorkerOptions {
  /** How often undispatched outbox events are handed to the parts (WORKER_RELAY_INTERVAL_MS). */
  relayIntervalMs: number;
  /** pg-boss's schema; tests give each file its own. */
  schema?: string;
  /** The parts to run; every part of workerParts unless a test says otherwise. */
  parts?: readonly WorkerPartFactory[];
  /** The process's metrics, which the parts count into (webhook attempts by outcome). */
  metrics?: Metrics;
}

export interface Worker {
  jobs: JobQueue;
  /** Relays once now (tests; the loop does it on its own). */
  relayNow(): Promise<{ dispatched: number }>;
  /** Stops the relay loop, then the queue, waiting for the jobs running. Before the pool closes. */
  stop(): Promise<void>;
}

/**
 * The background worker: the job queue, every worker part (its queues and
 * its consumer of outbox events), and the relay that hands each committed
 * event to every consumer. Replicas may all run it: the relay skips rows
 * another holds and pg-boss hands each job to one worker.
 */
export async function startWorker(serviceDeps: ServiceDeps, options: WorkerOptions): Promise<Worker> {
  const deps: WorkerDeps = { ...serviceDeps, ...(options.metrics ? { metrics: options.metrics } : {}) };
  const jobs = await startJobQueue(deps.database.pool, deps.logger, { schema: options.schema ?? 'pgboss', maintenanceIntervalSeconds: 30 });
  let relay: Periodic | undefined;
  try {
    const parts = (options.parts ?? workerParts).map((factory) => factory(deps, jobs));
    for (const part of parts) await part.start?.();
    const consumers = parts.flatMap((p) => (p.consumer ? [p.consumer] : []));
    const relayNow = () => relayOutbox(deps, consumers);
    relay = startPeriodic('outbox relay', options.relayIntervalMs, relayNow, deps.logger);
    return {
      jobs,
      relayNow,
      async stop() {
        await relay?.stop();
        for (const part of parts) await part.stop?.();
        await jobs.stop();
      },
    };
  } catch (err) {
    await relay?.stop();
    await jobs.stop();
    throw err;
  }
}
