import type { WorkerPartFactory } from '../../jobs/worker-parts.js';
import { attemptDelivery, DELIVERY_QUEUE, type DeliveryJob } from './attempt-delivery.js';
import { webhookFanOut } from './fan-out.js';
import { startPeriodic, type Periodic } from '../../lib/periodic.js';
import { resumeOverdueDeliveries } from './resume-deliveries.js';

/**
 * The worker's webhooks: the consumer that turns outbox events into
 * deliveries, and the queue of attempts. The queue's own retries cover an
 * attempt whose process died or whose recording failed (the same webhook-id
 * is sent again); the retry schedule of failed attempts is the service's
 * (retry-schedule.ts), each as a new job with its start time.
 */
/** Delivery attempts one process makes at the same time. */
const DELIVERY_WORKERS = 4;

/** How often the worker looks for deliveries whose job was lost. */
const RESUME_INTERVAL_MS = 5 * 60 * 1000;

export const webhooksPart: WorkerPartFactory = (deps, jobs) => {
  let resume: Periodic | undefined;
  return {
    name: 'webhooks',
    consumer: webhookFanOut(deps, jobs),
    async stop() {
      await resume?.stop();
    },
    async start() {
      await jobs.define(DELIVERY_QUEUE, { retryLimit: 10, retryDelaySeconds: 30, retryBackoff: true, expireInSeconds: 60 });
      // Several at once, so that one slow endpoint (up to its 10 s timeout) does not hold up every other provider's deliveries.
      for (let i = 0; i < DELIVERY_WORKERS; i++) {
        await jobs.work<DeliveryJob>(DELIVERY_QUEUE, async (job) => {
          await attemptDelivery({ ...deps, jobs }, job.deliveryId, { due: new Date(job.due) });
        }, { pollingIntervalSeconds: 1 });
      }
      resume = startPeriodic('webhook delivery resume', RESUME_INTERVAL_MS, () => resumeOverdueDeliveries(deps, jobs), deps.logger);
    },
  };
};
