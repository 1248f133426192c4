import { describe, expect, it } from 'vitest';
import { noticeLanguages } from '../../src/db/schema/events.js';
import type { NoticeFacts } from '../../src/modules/notices/notice-facts.js';
import { warrantsNotice } from '../../src/modules/notices/notice-facts.js';
import { noticeText } from '../../src/web/notices/notice-text.js';

const facts: NoticeFacts[] = [
  { kind: 'consent_request', providerName: 'Academy', courseTitle: 'SQL', runStartsAt: new Date('2027-02-04T01:00:00Z'), fee: 350000000n, funded: 300000000n, coPay: 50000000n, currency: 'IDR', answerBy: new Date('2027-01-19T01:00:00Z') },
  { kind: 'consent_due', providerName: 'Academy', courseTitle: 'SQL', runStartsAt: new Date('2027-02-04T01:00:00Z'), fee: 30000n, funded: 30000n, coPay: 0n, currency: 'SGD', answerBy: new Date('2027-01-19T01:00:00Z') },
  { kind: 'grant_expiring', schemeName: 'Kartu Prakerja', expiresAt: new Date('2027-03-01T00:00:00Z'), days: 7, amount: 350000000n, currency: 'IDR' },
  { kind: 'first_use_due', schemeName: 'Kartu Prakerja', deadline: new Date('2027-03-01T00:00:00Z'), amount: 350000000n, currency: 'IDR' },
  { kind: 'incentive_paid', amount: 5000n, currency: 'EUR' },
  { kind: 'appeal_decided', outcome: 'reinstated', money: { amount: 50000n, currency: 'SGD' } },
  { kind: 'appeal_decided', outcome: 'rejected', money: null },
];

describe('notice texts', () => {
  it.each(noticeLanguages.map((l) => [l]))('when a notice of each kind is written in %s, then every value is filled in and the footer is there', async (language) => {
    const english = await Promise.all(facts.map((f) => noticeText(f, 'en')));
    for (const [i, f] of facts.entries()) {
      const m = await noticeText(f, language);
      expect(m.subject.length, `${f.kind} subject`).toBeGreaterThan(5);
      expect(`${m.subject} ${m.text}`, `${f.kind} in ${language}`).not.toMatch(/\{\{|\}\}|notice\./);
      if (language !== 'en') expect(m.text, `${f.kind} is translated into ${language}`).not.toBe(english[i]!.text);
    }
  });

  it('when the currency is IDR, then amounts carry no minor digits in any language; SGD and EUR keep theirs', async () => {
    expect((await noticeText(facts[2]!, 'id')).text).toContain('Anda Rp\u00a03.500.000. Saldo ini kedaluwarsa pada 1 Maret 2027');
    expect((await noticeText(facts[2]!, 'en')).text).toContain('IDR\u00a03,500,000 of Kartu Prakerja');
    expect((await noticeText(facts[0]!, 'id')).text).toContain('Biaya pelatihan: Rp\u00a03.500.000. Dibayar dari saldo Anda: Rp\u00a03.000.000. Anda bayar: Rp\u00a0500.000.');
    expect((await noticeText(facts[4]!, 'en')).subject).toBe('We have paid you €50.00');
    expect((await noticeText(facts[5]!, 'en')).text).toContain('Credit reinstated: $500.00.');
  });

  it('when a grant expiry event is not at 30 or 7 days, or names no learner, then it warrants no notice', () => {
    const base = { type: 'grant.expiring' as const, learnerId: 'l', data: { days: 30 } };
    expect(warrantsNotice(base)).toBe(true);
    expect(warrantsNotice({ ...base, data: { days: 7 } })).toBe(true);
    expect(warrantsNotice({ ...base, data: { days: 14 } })).toBe(false);
    expect(warrantsNotice({ ...base, learnerId: null })).toBe(false);
    expect(warrantsNotice({ type: 'claim.approved', learnerId: 'l', data: {} })).toBe(false);
  });
});
