import type { Tx } from '../../db/client.js';
import type { NoticeChannelName } from '../../db/schema/notices.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { EventConsumer } from '../events/relay.js';
import { findContact } from '../learners/contact/contact.repo.js';
import { warrantsNotice } from './notice-facts.js';
import type { NoticeChannels } from './notice-channel.js';
import { insertNotice } from './notices.repo.js';

export const NOTICE_QUEUE = 'notices.send';

/** The channels a learner's contact row turns on and gives an address for. */
function channelsOf(contact: Awaited<ReturnType<typeof findContact>>): NoticeChannelName[] {
  if (!contact) return [];
  return [...(contact.emailNotices && contact.email ? ['email' as const] : []), ...(contact.smsNotices && contact.phone ? ['sms' as const] : [])];
}

/**
 * The notices' share of each event, in the relay's transaction: a row per
 * channel the learner has on (and this deployment can send), and its job.
 * A learner without contact details, or with a channel off, gets no row
 * for it. The row is unique per (event, channel): a second hand-over of the
 * same event records nothing and enqueues nothing.
 */
export function noticesConsumer(jobs: Pick<JobQueue, 'enqueue'>, channels: NoticeChannels, at: () => Date): EventConsumer {
  return {
    name: 'notices',
    async fanOut(tx: Tx, event) {
      if (!warrantsNotice(event)) return;
      const contact = await findContact(tx, event.learnerId);
      for (const channel of channelsOf(contact).filter((c) => channels[c])) {
        const noticeId = await insertNotice(tx, { eventId: event.id, eventType: event.type, learnerId: event.learnerId, channel, at: at() });
        if (noticeId) await jobs.enqueue(tx, NOTICE_QUEUE, { noticeId }, { singletonKey: noticeId });
      }
    },
  };
}
