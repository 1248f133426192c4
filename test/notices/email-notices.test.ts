import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import { noticesConsumer } from '../../src/modules/notices/notices.consumer.js';
import { eventOf } from '../../src/modules/notices/notices.repo.js';
import { sendNotice } from '../../src/modules/notices/send-notice.js';
import { noticeText } from '../../src/web/notices/notice-text.js';
import { useHarness } from '../support/harness.js';
import { ensureEvent, noticesOf, setContact, until, useNoticeWorker } from './support.js';

const h = useHarness();
const w = useNoticeWorker(h, { schema: 'pgboss_notices_email', channels: ['email'] });

const mailTo = (address: string) => w.smtp.received.filter((m) => m.to.includes(address));

/** A learner with credit and these contact details, and a provider's request to enrol them on a run of SGD 300.00 (the fee is SGD 300.00, all funded). */
async function requestedFor(contact: Record<string, unknown>) {
  const learner = await w.world.learnerWithCredit('50000');
  await setContact(h, learner.token, contact);
  const runId = await w.world.run('30000');
  const requested = await w.world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(requested.status).toBe(201);
  await ensureEvent(h, { type: 'enrolment.requested', subject: { type: 'enrolment', id: requested.body.id }, learnerId: learner.id, providerId: w.world.providerId });
  return { learner, enrolmentId: requested.body.id as string };
}

describe('a consent request by email, through a real SMTP server', () => {
  it('when the learner reads English, then the email asks in English, with the course, the amounts and the answer-by date formatted for en-SG', async () => {
    const email = `en-${randomUUID().slice(0, 8)}@example.test`;
    const { learner } = await requestedFor({ email, emailNotices: true, language: 'en' });
    await relayOutbox(w.deps, [w.part.consumer!]);
    await until('the email', () => mailTo(email).length === 1);
    const [mail] = mailTo(email);
    expect(mail!.subject).toMatch(/^Academy \w+ asks to enrol you on Data Analytics Fundamentals$/);
    expect(mail!.text).toContain('Course fee: $300.00. Paid from your credit: $300.00. You pay: $0.00.');
    expect(mail!.text).toContain('Answer by 19 January 2027');
    expect(mail!.text).toContain('starting on 4 February 2027');
    expect(mail!.headers['content-language']).toBe('en');
    expect(mail!.headers.from).toBe('notices@learning-credits.test');
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    expect(await noticesOf(h, learner.id)).toMatchObject([{ event_type: 'enrolment.requested', channel: 'email', status: 'sent', attempts: 1, language: 'en' }]);
  });

  it('when the learner reads Simplified Chinese, then the same request comes in Chinese, with Chinese dates', async () => {
    const email = `zh-${randomUUID().slice(0, 8)}@example.test`;
    const { learner } = await requestedFor({ email, emailNotices: true, language: 'zh' });
    await relayOutbox(w.deps, [w.part.consumer!]);
    await until('the email', () => mailTo(email).length === 1);
    const [mail] = mailTo(email);
    expect(mail!.subject).toMatch(/^Academy \w+请求为您报名Data Analytics Fundamentals$/);
    expect(mail!.text).toContain('课程费用：$300.00。由您的额度支付：$300.00。您需支付：$0.00。');
    expect(mail!.text).toContain('请在2027年1月19日之前');
    expect(mail!.text).not.toContain('Course fee');
    expect(mail!.headers['content-language']).toBe('zh-Hans');
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    expect((await noticesOf(h, learner.id))[0]).toMatchObject({ status: 'sent', language: 'zh' });
  });

  it('when the learner has no contact details, or email notices off, then no notice is recorded and nothing is sent', async () => {
    const none = await w.world.learnerWithCredit('50000');
    const off = await w.world.learnerWithCredit('50000');
    const email = `off-${randomUUID().slice(0, 8)}@example.test`;
    await setContact(h, off.token, { email, emailNotices: false, language: 'en' });
    for (const learner of [none, off]) {
      await ensureEvent(h, { type: 'incentive.paid', subject: { type: 'incentive', id: randomUUID() }, learnerId: learner.id, data: { amount: '5000', currency: 'SGD' } });
    }
    await relayOutbox(w.deps, [w.part.consumer!]);
    expect(await noticesOf(h, none.id)).toEqual([]);
    expect(await noticesOf(h, off.id)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(mailTo(email)).toEqual([]);
  });
});

describe('nobody gets a notice twice for one event', () => {
  it('when the relay runs twice, the event is handed over again and the job is run again, then one email goes out', async () => {
    const email = `once-${randomUUID().slice(0, 8)}@example.test`;
    const learner = await w.world.learnerWithCredit('50000');
    await setContact(h, learner.token, { email, emailNotices: true, language: 'en' });
    await recordEvent(h.database.db, { type: 'incentive.paid', at: h.clock.now(), subject: { type: 'incentive', id: randomUUID() }, learnerId: learner.id, data: { amount: '2500', currency: 'SGD' } });
    await Promise.all([relayOutbox(w.deps, [w.part.consumer!]), relayOutbox(w.deps, [w.part.consumer!])]);
    await relayOutbox(w.deps, [w.part.consumer!]);
    await until('the email', () => mailTo(email).length === 1);
    // The same event handed over again (a relay whose mark was lost), and the job run again by hand.
    const event = (await h.database.pool.query(`select id from outbox_events where learner_id = $1`, [learner.id])).rows[0];
    await h.database.db.transaction(async (tx) => w.part.consumer!.fanOut(tx, (await eventOf(tx, event.id))!));
    const [notice] = (await h.database.pool.query(`select id from notices where learner_id = $1`, [learner.id])).rows;
    expect(await sendNotice(w.deps, w.deps.noticeChannels!, noticeText, notice.id, { maxAttempts: 4 })).toEqual({ outcome: 'skipped' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(mailTo(email)).toHaveLength(1);
    expect(mailTo(email)[0]!.subject).toBe('We have paid you $25.00');
    expect(await noticesOf(h, learner.id)).toHaveLength(1);
  });

  it('when the mail server refuses, then the attempt is recorded without the address, retried, and failed once the attempts are spent', async () => {
    const email = `refused-${randomUUID().slice(0, 8)}@example.test`;
    const learner = await w.world.learnerWithCredit('50000');
    await setContact(h, learner.token, { email, emailNotices: true, language: 'ms' });
    await recordEvent(h.database.db, { type: 'incentive.paid', at: h.clock.now(), subject: { type: 'incentive', id: randomUUID() }, learnerId: learner.id, data: { amount: '2500', currency: 'SGD' } });
    // This consumer enqueues nothing, so the test alone sends the notice.
    await relayOutbox(w.deps, [noticesConsumer({ enqueue: async () => {} }, w.deps.noticeChannels!, () => h.clock.now())]);
    const [notice] = (await h.database.pool.query(`select id from notices where learner_id = $1`, [learner.id])).rows;
    w.smtp.refuse.recipients = true;
    try {
      const first = await sendNotice(w.deps, w.deps.noticeChannels!, noticeText, notice.id, { maxAttempts: 2 });
      expect(first.outcome).toBe('retry');
      expect((await noticesOf(h, learner.id))[0]).toMatchObject({ status: 'queued', attempts: 1 });
      const second = await sendNotice(w.deps, w.deps.noticeChannels!, noticeText, notice.id, { maxAttempts: 2 });
      expect(second.outcome).toBe('failed');
    } finally {
      w.smtp.refuse.recipients = false;
    }
    const [row] = await noticesOf(h, learner.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(row!.last_error).toMatch(/^[A-Za-z0-9_]+$/);
    expect(row!.last_error).not.toContain('refused');
    expect(await sendNotice(w.deps, w.deps.noticeChannels!, noticeText, notice.id, { maxAttempts: 2 })).toEqual({ outcome: 'skipped' });
    expect(mailTo(email)).toEqual([]);
  });

  it('keeps no address or phone number in the notices table', async () => {
    const columns = (await h.database.pool.query(`select column_name from information_schema.columns where table_name = 'notices'`)).rows.map((r) => r.column_name);
    expect(columns).not.toContain('email');
    expect(columns).not.toContain('phone');
    const rows = (await h.database.pool.query(`select row_to_json(n)::text as j from notices n`)).rows.map((r) => r.j as string);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((j) => j.includes('@'))).toEqual([]);
  });
});
