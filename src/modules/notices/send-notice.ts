import type { noticeLanguages } from '../../db/schema/events.js';
import { inTransaction } from '../../db/transaction.js';
import type { ServiceDeps } from '../deps.js';
import { findContact } from '../learners/contact/contact.repo.js';
import { noticeFacts, type NoticeFacts } from './notice-facts.js';
import { channelErrorCode, type NoticeChannels, type NoticeMessage } from './notice-channel.js';
import { eventOf, lockQueuedNotice, markNotice } from './notices.repo.js';

export type NoticeLanguage = (typeof noticeLanguages)[number];
/** Writes a notice's facts in a language (src/web/notices/notice-text.ts). */
export type NoticeRenderer = (facts: NoticeFacts, language: NoticeLanguage) => Promise<NoticeMessage>;

export type SendOutcome = 'sent' | 'retry' | 'failed' | 'skipped';

/**
 * Sends one notice: reads the learner's address and language now (so
 * erasure or a change of mind since the event is respected), writes it,
 * sends it on its channel and records the outcome, holding the notice's row
 * locked meanwhile so that a job run twice sends once. A failed send is
 * recorded and answered 'retry' (the job queue tries again) until the
 * attempts are spent, then the notice is failed.
 */
export async function sendNotice(
  deps: ServiceDeps, channels: NoticeChannels, render: NoticeRenderer, noticeId: string, options: { maxAttempts: number },
): Promise<{ outcome: SendOutcome; error?: string }> {
  return inTransaction(deps.database.db, async (tx) => {
    const notice = await lockQueuedNotice(tx, noticeId);
    if (!notice) return { outcome: 'skipped' as const };
    const fail = async (error: string) => {
      await markNotice(tx, notice.id, { status: 'failed', failedAt: deps.clock.now(), lastError: error });
      return { outcome: 'failed' as const, error };
    };
    const contact = await findContact(tx, notice.learnerId);
    const to = notice.channel === 'email' ? (contact?.emailNotices ? contact.email : null) : (contact?.smsNotices ? contact.phone : null);
    if (!contact || !to) return fail('no_destination');
    const channel = channels[notice.channel];
    if (!channel) return fail('channel_not_configured');
    const event = await eventOf(tx, notice.eventId);
    const facts = event && (await noticeFacts(tx, event));
    if (!facts) return fail('no_longer_applies');
    const message = await render(facts, contact.language);
    const attempts = notice.attempts + 1;
    try {
      await channel.send(to, message);
    } catch (err) {
      const error = channelErrorCode(err);
      if (attempts >= options.maxAttempts) {
        await markNotice(tx, notice.id, { attempts });
        return fail(error);
      }
      await markNotice(tx, notice.id, { attempts, lastError: error, waitingSince: deps.clock.now() });
      return { outcome: 'retry' as const, error };
    }
    await markNotice(tx, notice.id, { status: 'sent', attempts, language: contact.language, sentAt: deps.clock.now(), lastError: null });
    return { outcome: 'sent' as const };
  });
}
