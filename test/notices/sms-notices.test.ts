import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import { useHarness } from '../support/harness.js';
import { noticesOf, setContact, until, useNoticeWorker } from './support.js';

const h = useHarness();
const w = useNoticeWorker(h, { schema: 'pgboss_notices_sms', channels: ['sms'] });

const incentivePaid = (learnerId: string, amount: string, currency: string) =>
  recordEvent(h.database.db, { type: 'incentive.paid', at: h.clock.now(), subject: { type: 'incentive', id: randomUUID() }, learnerId, data: { amount, currency } });

describe('SMS notices through an HTTP gateway', () => {
  it('when a learner has SMS on, then the gateway gets {to, text} with its token, in the learner\'s language; IDR shows no minor digits', async () => {
    const learner = await w.world.learnerWithCredit('0');
    const phone = '+6281234567890';
    await setContact(h, learner.token, { phone: '+62 812-3456-7890', smsNotices: true, language: 'id' });
    await incentivePaid(learner.id, '15000000', 'IDR');
    await relayOutbox(w.deps, [w.part.consumer!]);
    await until('the SMS', () => w.gateway.received.some((m) => m.to === phone));
    const [sms] = w.gateway.received.filter((m) => m.to === phone);
    expect(sms!.authorization).toBe('Bearer gateway-token-for-tests');
    expect(sms!.text).toContain('Kami telah membayar Anda Rp\u00a0150.000\n');
    expect(sms!.text).not.toMatch(/150\.000,00/);
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    expect(await noticesOf(h, learner.id)).toMatchObject([{ channel: 'sms', status: 'sent', language: 'id' }]);
  });

  it('when the gateway answers 503, then the job queue retries and the second try is sent once', async () => {
    const learner = await w.world.learnerWithCredit('0');
    const phone = '+6591234567';
    await setContact(h, learner.token, { phone, smsNotices: true, language: 'ta' });
    w.gateway.answer.status = 503;
    await incentivePaid(learner.id, '2500', 'SGD');
    await relayOutbox(w.deps, [w.part.consumer!]);
    await until('a failed attempt', async () => (await noticesOf(h, learner.id))[0]?.attempts === 1);
    expect((await noticesOf(h, learner.id))[0]).toMatchObject({ status: 'queued', last_error: 'sms_gateway_503' });
    w.gateway.answer.status = 202;
    await until('the SMS', () => w.gateway.received.some((m) => m.to === phone), 30_000);
    await until('the notice marked sent', async () => (await noticesOf(h, learner.id))[0]?.status === 'sent');
    await new Promise((r) => setTimeout(r, 1500));
    const mine = w.gateway.received.filter((m) => m.to === phone);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.text).toContain('உங்களுக்கு $\u00a025.00 செலுத்தியுள்ளோம்');
    expect((await noticesOf(h, learner.id))[0]).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('when both channels are on but the deployment sends only SMS, then only an SMS notice is recorded', async () => {
    const learner = await w.world.learnerWithCredit('0');
    await setContact(h, learner.token, { phone: '+6598765432', email: `both-${randomUUID().slice(0, 8)}@example.test`, smsNotices: true, emailNotices: true, language: 'en' });
    await incentivePaid(learner.id, '100', 'SGD');
    await relayOutbox(w.deps, [w.part.consumer!]);
    expect((await noticesOf(h, learner.id)).map((n) => n.channel)).toEqual(['sms']);
  });
});
