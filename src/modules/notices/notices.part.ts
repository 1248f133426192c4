import type { JobQueue } from '../../jobs/job-queue.js';
import type { WorkerPart } from '../../jobs/worker-parts.js';
import type { ServiceDeps } from '../deps.js';
import type { NoticeChannels } from './notice-channel.js';
import { NOTICE_QUEUE, noticesConsumer } from './notices.consumer.js';
import { sendNotice, type NoticeRenderer } from './send-notice.js';
import { startPeriodic, type Periodic } from '../../lib/periodic.js';
import { resumeStaleNotices } from './resume-notices.js';

/** A few tries, a minute or so apart and growing, then the notice is failed: a notice days late is worse than none. */
export const NOTICE_RETRY_LIMIT = 3;

/** How often the worker looks for notices whose job was lost. */
const RESUME_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The learner notices of the worker: its consumer records a notice per
 * event and channel and enqueues it; its queue sends them. Channels come
 * from deps.noticeChannels (noticeChannelsFromConfig: in development without
 * SMTP, email is written to the log); without them no notice is recorded.
 * A periodic sweep gives a notice whose job was lost a new one.
 */
export function noticesPart(deps: ServiceDeps, jobs: JobQueue, render: NoticeRenderer, options: { retryDelaySeconds?: number; pollingIntervalSeconds?: number } = {}): WorkerPart {
  // No channels given, none used: the running service always passes the configured ones (src/server.ts).
  const channels: NoticeChannels = deps.noticeChannels ?? {};
  let resume: Periodic | undefined;
  return {
    name: 'notices',
    consumer: noticesConsumer(jobs, channels, () => deps.clock.now()),
    async stop() {
      await resume?.stop();
    },
    async start() {
      await jobs.define(NOTICE_QUEUE, { retryLimit: NOTICE_RETRY_LIMIT, retryDelaySeconds: options.retryDelaySeconds ?? 60, retryBackoff: true, expireInSeconds: 120 });
      await jobs.work<{ noticeId: string }>(NOTICE_QUEUE, async ({ noticeId }) => {
        const r = await sendNotice(deps, channels, render, noticeId, { maxAttempts: NOTICE_RETRY_LIMIT + 1 });
        if (r.outcome === 'failed') deps.logger.warn({ noticeId, error: r.error }, 'notice failed');
        // Thrown so that the queue retries it; the notice row has the attempt and its cleaned error.
        if (r.outcome === 'retry') throw new Error(`notice not sent yet: ${r.error}`);
      }, options.pollingIntervalSeconds !== undefined ? { pollingIntervalSeconds: options.pollingIntervalSeconds } : {});
      resume = startPeriodic('notice resume', RESUME_INTERVAL_MS, () => resumeStaleNotices(deps, jobs), deps.logger);
    },
  };
}
