import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { loggedEmailChannel, smtpChannel } from './email-channel.js';
import type { NoticeChannels } from './notice-channel.js';
import { smsGatewayChannel } from './sms-channel.js';

/**
 * The channels the configuration allows: email through SMTP_URL (outside
 * production without it, to the log), SMS through SMS_GATEWAY_URL. In
 * production a channel not configured sends nothing, and no notice is recorded for it.
 */
export function noticeChannelsFromConfig(config: Pick<Config, 'NODE_ENV' | 'SMTP_URL' | 'NOTICE_FROM' | 'SMS_GATEWAY_URL' | 'SMS_GATEWAY_TOKEN'>, logger: Logger): NoticeChannels {
  const email = config.SMTP_URL ? smtpChannel(config.SMTP_URL, config.NOTICE_FROM) : config.NODE_ENV === 'production' ? undefined : loggedEmailChannel(logger);
  const sms = config.SMS_GATEWAY_URL ? smsGatewayChannel(config.SMS_GATEWAY_URL, config.SMS_GATEWAY_TOKEN) : undefined;
  if (!email) logger.warn('email notices are off: SMTP_URL is not set');
  return { ...(email ? { email } : {}), ...(sms ? { sms } : {}) };
}
