import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import { noticeChannelsFromConfig } from '../../src/modules/notices/channels-from-config.js';
import { noticesConsumer } from '../../src/modules/notices/notices.consumer.js';
import { sendNotice } from '../../src/modules/notices/send-notice.js';
import { noticeText } from '../../src/web/notices/notice-text.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { startSmsReceiver } from './receivers.js';
import { noticesOf, setContact } from './support.js';

const h = useHarness();

describe('notices and the logs', () => {
  it('when notices are written to the log (development without SMTP) or an SMS gateway refuses, then no address or phone number reaches the logs', async () => {
    const { sink, raw } = captureLogs();
    const logger = createLogger('trace', sink);
    const gateway = await startSmsReceiver();
    try {
      gateway.answer.status = 500;
      const channels = noticeChannelsFromConfig({ NODE_ENV: 'development', SMTP_URL: undefined, NOTICE_FROM: 'n@example.test', SMS_GATEWAY_URL: gateway.url, SMS_GATEWAY_TOKEN: 'secret-gateway-token' }, logger);
      const deps = { ...h.deps, logger, noticeChannels: channels };
      const world = await catalogue(h);
      const learner = await world.learnerWithCredit('0');
      const email = `private-${randomUUID().slice(0, 8)}@example.test`;
      await setContact(h, learner.token, { email, phone: '+6597654321', emailNotices: true, smsNotices: true, language: 'ta' });
      await recordEvent(h.database.db, { type: 'incentive.paid', at: h.clock.now(), subject: { type: 'incentive', id: randomUUID() }, learnerId: learner.id, data: { amount: '2500', currency: 'SGD' } });
      const queued: string[] = [];
      await relayOutbox(deps, [noticesConsumer({ enqueue: async (_tx, _q, d) => void queued.push((d as { noticeId: string }).noticeId) }, channels, () => h.clock.now())]);
      expect(queued).toHaveLength(2);
      const outcomes = [];
      for (const id of queued) outcomes.push((await sendNotice(deps, channels, noticeText, id, { maxAttempts: 1 })).outcome);
      expect(outcomes.sort()).toEqual(['failed', 'sent']);
      expect(raw.some((l) => l.includes('email notice (not sent: no SMTP_URL)') && l.includes('உங்களுக்கு'))).toBe(true);
      for (const secret of [email, '6597654321', 'secret-gateway-token']) expect(raw.filter((l) => l.includes(secret)), secret).toEqual([]);
      expect((await noticesOf(h, learner.id)).map((n) => [n.channel, n.status, n.last_error])).toEqual([['email', 'sent', null], ['sms', 'failed', 'sms_gateway_500']]);
    } finally {
      await gateway.close();
    }
  });

  it('when production has no SMTP_URL, then there is no email channel, so no email notice is recorded', () => {
    const { sink } = captureLogs();
    const channels = noticeChannelsFromConfig({ NODE_ENV: 'production', SMTP_URL: undefined, NOTICE_FROM: 'n@example.test', SMS_GATEWAY_URL: undefined, SMS_GATEWAY_TOKEN: undefined }, createLogger('info', sink));
    expect(channels).toEqual({});
  });
});
