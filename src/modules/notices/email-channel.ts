import nodemailer from 'nodemailer';
import type { Logger } from '../../lib/logger.js';
import type { NoticeChannel } from './notice-channel.js';

/** Email through an SMTP relay (SMTP_URL), from NOTICE_FROM. */
export function smtpChannel(smtpUrl: string, from: string): NoticeChannel & { close(): void } {
  // Timeouts well under the notice job's expiry (120 s), so a hung relay fails the attempt and the queue retries it.
  const transport = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    async send(to, message) {
      await transport.sendMail({ from, to, subject: message.subject, text: message.text, headers: { 'Content-Language': message.lang } });
    },
    close: () => transport.close(),
  };
}

/**
 * Development without SMTP: the notice is written to the log, its words but
 * never its recipient, so `npm start` works without a mail server.
 */
export function loggedEmailChannel(logger: Logger): NoticeChannel {
  return {
    async send(_to, message) {
      logger.info({ channel: 'email', lang: message.lang, subject: message.subject, text: message.text }, 'email notice (not sent: no SMTP_URL)');
    },
  };
}
