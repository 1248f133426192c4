import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobQueue } from '../../src/jobs/job-queue.js';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import { NOTICE_QUEUE, noticesConsumer } from '../../src/modules/notices/notices.consumer.js';
import { NOTICE_GIVE_UP_MS, NOTICE_RESUME_GRACE_MS, resumeStaleNotices } from '../../src/modules/notices/resume-notices.js';
import { sendNotice } from '../../src/modules/notices/send-notice.js';
import { noticeText } from '../../src/web/notices/notice-text.js';
import { useHarness } from '../support/harness.js';
import { noticesOf, setContact, until, useNoticeWorker } from './support.js';

const h = useHarness();
const w = useNoticeWorker(h, { schema: 'pgboss_notices_resume', channels: ['email'] });

const mailTo = (address: string) => w.smtp.received.filter((m) => m.to.includes(address));

/** The notice jobs pg-boss holds for a notice, in any state. */
async function jobsOf(noticeId: string) {
  const r = await h.database.pool.query(`select id, state from pgboss_notices_resume.job where name = 'notices.send' and data->>'noticeId' = $1`, [noticeId]);
  return r.rows as { id: string; state: string }[];
}

const waitingSince = async (noticeId: string) =>
  ((await h.database.pool.query(`select waiting_since from notices where id = $1`, [noticeId])).rows[0]!.waiting_since as Date).getTime();

const sendByHand = (noticeId: string, maxAttempts = 4) => sendNotice(w.deps, w.deps.noticeChannels!, noticeText, noticeId, { maxAttempts });

/**
 * A learner with email notices on and an incentive paid to them, relayed so
 * that its notice is recorded; its job goes through `enqueue` (by default
 * none is made: the job was never enqueued).
 */
async function queuedNotice(enqueue: JobQueue['enqueue'] = async () => {}) {
  const email = `resume-${randomUUID().slice(0, 8)}@example.test`;
  const learner = await w.world.learnerWithCredit('0');
  await setContact(h, learner.token, { email, emailNotices: true, language: 'en' });
  await recordEvent(h.database.db, { type: 'incentive.paid', at: h.clock.now(), subject: { type: 'incentive', id: randomUUID() }, learnerId: learner.id, data: { amount: '2500', currency: 'SGD' } });
  await relayOutbox(w.deps, [noticesConsumer({ enqueue }, w.deps.noticeChannels!, () => h.clock.now())]);
  const [notice] = (await h.database.pool.query(`select id from notices where learner_id = $1`, [learner.id])).rows;
  return { learner, email, noticeId: notice.id as string };
}

describe('the resume sweep of notices whose job was lost', () => {
  it('when a notice\'s job was deleted from the queue, then past the grace the sweep gives it a new one and it is sent once', async () => {
    // Its job is made in the worked queue but waits an hour, so the test can delete it before it runs.
    const later = new Date(Date.now() + 3_600_000);
    const { learner, email, noticeId } = await queuedNotice((tx, queue, data, options) => w.jobs.enqueue(tx, queue, data, { ...options, startAfter: later }));
    const [lost] = await jobsOf(noticeId);
    expect(lost).toBeDefined();
    await h.database.pool.query(`delete from pgboss_notices_resume.job where id = $1`, [lost!.id]);
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
    expect((await resumeStaleNotices(w.deps, w.jobs)).resumed).toBeGreaterThanOrEqual(1);
    expect(await jobsOf(noticeId)).toHaveLength(1);
    await until('the email', () => mailTo(email).length === 1);
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    // A sent notice is not resumed again, however long it has been.
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
    await resumeStaleNotices(w.deps, w.jobs);
    expect(await jobsOf(noticeId)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(mailTo(email)).toHaveLength(1);
    expect(await noticesOf(h, learner.id)).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it('when a notice is within the grace of its creation or of its last attempt, then the sweep leaves it alone until the grace has passed', async () => {
    const retried = await queuedNotice();
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
    w.smtp.refuse.recipients = true;
    try {
      expect((await sendByHand(retried.noticeId)).outcome).toBe('retry');
    } finally {
      w.smtp.refuse.recipients = false;
    }
    const fresh = await queuedNotice();
    h.clock.advance(NOTICE_RESUME_GRACE_MS - 60_000);
    const before = await waitingSince(fresh.noticeId);
    await resumeStaleNotices(w.deps, w.jobs);
    expect(await jobsOf(retried.noticeId)).toEqual([]);
    expect(await jobsOf(fresh.noticeId)).toEqual([]);
    expect(await waitingSince(fresh.noticeId)).toBe(before);
    h.clock.advance(2 * 60_000);
    await resumeStaleNotices(w.deps, w.jobs);
    expect(await jobsOf(retried.noticeId)).toHaveLength(1);
    expect(await jobsOf(fresh.noticeId)).toHaveLength(1);
    await until('both emails', () => mailTo(retried.email).length === 1 && mailTo(fresh.email).length === 1);
    await until('both notices marked sent', async () =>
      (await noticesOf(h, retried.learner.id))[0]?.status === 'sent' && (await noticesOf(h, fresh.learner.id))[0]?.status === 'sent');
    expect((await noticesOf(h, retried.learner.id))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('when a notice is sent or failed, then the sweep never resumes it', async () => {
    const sent = await queuedNotice();
    const failed = await queuedNotice();
    expect((await sendByHand(sent.noticeId)).outcome).toBe('sent');
    w.smtp.refuse.recipients = true;
    try {
      expect((await sendByHand(failed.noticeId, 1)).outcome).toBe('failed');
    } finally {
      w.smtp.refuse.recipients = false;
    }
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
    await resumeStaleNotices(w.deps, w.jobs);
    expect(await jobsOf(sent.noticeId)).toEqual([]);
    expect(await jobsOf(failed.noticeId)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(mailTo(sent.email)).toHaveLength(1);
    expect(mailTo(failed.email)).toEqual([]);
    expect((await noticesOf(h, failed.learner.id))[0]).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('when the lost job turns up while the resumed one is sending, then the notice is sent once and the sweep does not resume it meanwhile', async () => {
    const { learner, email, noticeId } = await queuedNotice();
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
    const release = w.smtp.hold();
    try {
      expect((await resumeStaleNotices(w.deps, w.jobs)).resumed).toBeGreaterThanOrEqual(1);
      // The resumed job is mid-send, holding the notice's row.
      await until('the resumed job sending', () => w.smtp.held() === 1);
      expect(await sendByHand(noticeId)).toEqual({ outcome: 'skipped' });
      await h.database.db.transaction((tx) => w.jobs.enqueue(tx, NOTICE_QUEUE, { noticeId }, { singletonKey: noticeId }));
      // Past the grace again while it sends: the locked row is skipped.
      h.clock.advance(NOTICE_RESUME_GRACE_MS + 60_000);
      await resumeStaleNotices(w.deps, w.jobs);
      expect(await jobsOf(noticeId)).toHaveLength(2);
    } finally {
      release();
    }
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    await until('both jobs done', async () => (await jobsOf(noticeId)).every((j) => j.state === 'completed'));
    expect(await sendByHand(noticeId)).toEqual({ outcome: 'skipped' });
    expect(mailTo(email)).toHaveLength(1);
    expect(await noticesOf(h, learner.id)).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it('when a notice is still unsent a day after its event, then the sweep fails it as too late instead of resuming it, and it is never sent', async () => {
    const late = await queuedNotice();
    h.clock.advance(NOTICE_GIVE_UP_MS - NOTICE_RESUME_GRACE_MS - 60_000);
    const recent = await queuedNotice();
    h.clock.advance(NOTICE_RESUME_GRACE_MS + 2 * 60_000);
    const swept = await resumeStaleNotices(w.deps, w.jobs);
    expect(swept.givenUp).toBeGreaterThanOrEqual(1);
    expect((await noticesOf(h, late.learner.id))[0]).toMatchObject({ status: 'failed', last_error: 'too_late' });
    expect(await jobsOf(late.noticeId)).toEqual([]);
    expect(await sendByHand(late.noticeId)).toEqual({ outcome: 'skipped' });
    // The other is younger than a day and past the grace: resumed, and sent.
    expect(await jobsOf(recent.noticeId)).toHaveLength(1);
    await until('the recent email', () => mailTo(recent.email).length === 1);
    expect(mailTo(late.email)).toEqual([]);
  });
});
