import type { ServiceDeps } from '../modules/deps.js';
import type { EventConsumer } from '../modules/events/relay.js';
import { noticesPart } from '../modules/notices/notices.part.js';
import { noticeText } from '../web/notices/notice-text.js';
import type { Metrics } from '../lib/metrics.js';
import type { JobQueue } from './job-queue.js';
import { webhooksPart } from '../modules/webhooks/worker-part.js';

/**
 * One kind of work the background worker does: webhook deliveries, learner
 * notices. A part may take its share of each outbox event (its consumer,
 * run in the relay's transaction, enqueues its jobs there) and works its own
 * queues.
 */
export interface WorkerPart {
  name: string;
  consumer?: EventConsumer;
  /** Declares the part's queues (with their retry policies) and starts working them in this process. */
  start?(): Promise<void>;
  /** Stops what start began beyond the queues (a periodic sweep); before the queue stops. */
  stop?(): Promise<void>;
}

/** What a part gets: the service's dependencies, and the process's metrics when it has them. */
export type WorkerDeps = ServiceDeps & { metrics?: Metrics };

export type WorkerPartFactory = (deps: WorkerDeps, jobs: JobQueue) => WorkerPart;

/** Every part of the worker (src/jobs/worker.ts starts them). */
export const workerParts: WorkerPartFactory[] = [
  (deps, jobs) => noticesPart(deps, jobs, noticeText),
  webhooksPart,
];
