import type { NoticeFacts } from '../../modules/notices/notice-facts.js';
import type { NoticeMessage } from '../../modules/notices/notice-channel.js';
import type { NoticeLanguage } from '../../modules/notices/send-notice.js';
import { formatterFor, timeZoneOfCurrency, translatorFor, type Lang } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';

/** A learner's notice language (learner_contacts.language) as the pages name it: Chinese is Simplified. */
const pageLanguage = (language: NoticeLanguage): Lang => (language === 'zh' ? 'zh-Hans' : language);

/**
 * Writes a notice in the learner's language, from the same catalogues and
 * the same money and date formatting as the pages (IDR without minor
 * digits; dates in the currency's country).
 */
export async function noticeText(facts: NoticeFacts, language: NoticeLanguage): Promise<NoticeMessage> {
  const lang = pageLanguage(language);
  const t = await translatorFor(lang);
  const fmt = formatterFor(lang);
  const write = (subject: MessageKey, body: MessageKey, values: Record<string, string | number>, extra = ''): NoticeMessage => ({
    lang,
    subject: t(subject, values),
    text: `${t(body, values)}${extra}\n\n${t('notice.footer')}`,
  });
  switch (facts.kind) {
    case 'consent_request':
    case 'consent_due': {
      const zone = timeZoneOfCurrency(facts.currency);
      const values = {
        provider: facts.providerName, course: facts.courseTitle, date: fmt.date(facts.runStartsAt, zone), answerBy: fmt.date(facts.answerBy, zone),
        fee: fmt.money(facts.fee, facts.currency), funded: fmt.money(facts.funded, facts.currency), coPay: fmt.money(facts.coPay, facts.currency),
      };
      return facts.kind === 'consent_request'
        ? write('notice.consentRequest.subject', 'notice.consentRequest.body', values)
        : write('notice.consentDue.subject', 'notice.consentDue.body', values);
    }
    case 'grant_expiring':
      return write('notice.grantExpiring.subject', 'notice.grantExpiring.body', {
        scheme: facts.schemeName, days: facts.days, amount: fmt.money(facts.amount, facts.currency), date: fmt.date(facts.expiresAt, timeZoneOfCurrency(facts.currency)),
      });
    case 'first_use_due':
      return write('notice.firstUseDue.subject', 'notice.firstUseDue.body', {
        scheme: facts.schemeName, amount: fmt.money(facts.amount, facts.currency), date: fmt.date(facts.deadline, timeZoneOfCurrency(facts.currency)),
      });
    case 'incentive_paid':
      return write('notice.incentivePaid.subject', 'notice.incentivePaid.body', { amount: fmt.money(facts.amount, facts.currency) });
    case 'appeal_decided':
      if (facts.outcome === 'rejected') return write('notice.appealRejected.subject', 'notice.appealRejected.body', {});
      return write('notice.appealReinstated.subject', 'notice.appealReinstated.body', {},
        facts.money ? ` ${t('notice.appealReinstated.amount', { amount: fmt.money(facts.money.amount, facts.money.currency) })}` : '');
  }
}
