import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordEvent } from '../../src/modules/events/outbox.js';
import type { EventType } from '../../src/modules/events/event-types.js';
import type { Harness } from '../support/harness.js';
import request from 'supertest';
import { startJobQueue, type JobQueue } from '../../src/jobs/job-queue.js';
import type { WorkerPart } from '../../src/jobs/worker-parts.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { smtpChannel } from '../../src/modules/notices/email-channel.js';
import type { NoticeChannels } from '../../src/modules/notices/notice-channel.js';
import { noticesPart } from '../../src/modules/notices/notices.part.js';
import { smsGatewayChannel } from '../../src/modules/notices/sms-channel.js';
import { noticeText } from '../../src/web/notices/notice-text.js';
import { catalogue } from '../support/catalogue.js';
import { perFile } from '../support/per-file.js';
import { startSmsReceiver, startSmtpReceiver } from './receivers.js';

/**
 * The event a service writes with its change (branch events-emit writes
 * them from every service): recorded here only when the service did not,
 * so these tests hold before and after that lands.
 */
export async function ensureEvent(h: Harness, e: { type: EventType; subject: { type: string; id: string }; learnerId: string; providerId?: string; data?: Record<string, unknown> }) {
  const found = await h.database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where type = ${e.type} and subject_id = ${e.subject.id}::uuid`);
  if (found.rows[0]!.n === 0) await recordEvent(h.database.db, { ...e, at: h.clock.now() });
}

export const putContact = (h: Harness, token: string, body: unknown) =>
  request(h.app).put('/v1/learners/me/contact').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);

export async function setContact(h: Harness, token: string, body: Record<string, unknown>) {
  const res = await putContact(h, token, { phone: null, email: null, emailNotices: false, smsNotices: false, language: 'en', ...body });
  if (res.status !== 200) throw new Error(`contact: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function noticesOf(h: Harness, learnerId: string) {
  const r = await h.database.pool.query(
    `select n.event_type, n.channel, n.status, n.attempts, n.language, n.last_error, o.data from notices n join outbox_events o on o.id = n.event_id
      where n.learner_id = $1 order by n.created_at, n.event_type, n.channel`, [learnerId]);
  return r.rows as { event_type: string; channel: string; status: string; attempts: number; language: string | null; last_error: string | null; data: Record<string, unknown> }[];
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface NoticeWorker {
  /** The harness's deps with the channels turned on. */
  deps: ServiceDeps;
  jobs: JobQueue;
  /** The worker's notices part, started: its consumer for relayOutbox, its queue worked. */
  part: WorkerPart;
  smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  gateway: Awaited<ReturnType<typeof startSmsReceiver>>;
  world: Awaited<ReturnType<typeof catalogue>>;
}

/**
 * A test file's notices worker: a local SMTP server and SMS gateway, the
 * channels this deployment sends on pointed at them, a job queue in a pg-boss
 * schema of the file's own, the notices part started with quick retries, and
 * a catalogue to make learners in. Stopped after the file's tests.
 */
export function useNoticeWorker(h: Harness, options: { schema: string; channels: (keyof NoticeChannels)[] }): NoticeWorker {
  return perFile(async () => {
    const smtp = await startSmtpReceiver();
    const gateway = await startSmsReceiver();
    const noticeChannels: NoticeChannels = {
      ...(options.channels.includes('email') ? { email: smtpChannel(smtp.url, 'notices@learning-credits.test') } : {}),
      ...(options.channels.includes('sms') ? { sms: smsGatewayChannel(gateway.url, 'gateway-token-for-tests') } : {}),
    };
    const deps: ServiceDeps = { ...h.deps, noticeChannels };
    const jobs = await startJobQueue(h.database.pool, h.deps.logger, { schema: options.schema });
    const part = noticesPart(deps, jobs, noticeText, { retryDelaySeconds: 1, pollingIntervalSeconds: 0.5 });
    await part.start!();
    return { deps, jobs, part, smtp, gateway, world: await catalogue(h) };
  }, async (w) => {
    await w.part.stop?.();
    await w.jobs.stop();
    await w.smtp.close();
    await w.gateway.close();
  });
}
