import i18next, { type i18n } from 'i18next';
import { currencies, isCurrency } from '../lib/money.js';
import type { MessageKey } from './messages/catalogue.js';
import en from './messages/en.js';
import id from './messages/id.js';
import ms from './messages/ms.js';
import ta from './messages/ta.js';
import zhHans from './messages/zh-Hans.js';
import counterEn from './messages/counter/en.js';
import counterId from './messages/counter/id.js';
import counterMs from './messages/counter/ms.js';
import counterTa from './messages/counter/ta.js';
import counterZhHans from './messages/counter/zh-Hans.js';
import financeEn from './messages/finance/en.js';
import financeId from './messages/finance/id.js';
import financeMs from './messages/finance/ms.js';
import financeTa from './messages/finance/ta.js';
import financeZhHans from './messages/finance/zh-Hans.js';
import providerEn from './messages/provider/en.js';
import providerId from './messages/provider/id.js';
import providerMs from './messages/provider/ms.js';
import providerTa from './messages/provider/ta.js';
import providerZhHans from './messages/provider/zh-Hans.js';
import noticesEn from './messages/notices/en.js';
import noticesId from './messages/notices/id.js';
import noticesMs from './messages/notices/ms.js';
import noticesTa from './messages/notices/ta.js';
import noticesZhHans from './messages/notices/zh-Hans.js';

/** The pages' languages, each with its own name (the switcher shows it so) and the locale Intl formats with. */
export const languages = {
  en: { name: 'English', locale: 'en-SG' },
  ms: { name: 'Bahasa Melayu', locale: 'ms-SG' },
  id: { name: 'Bahasa Indonesia', locale: 'id-ID' },
  'zh-Hans': { name: '简体中文', locale: 'zh-Hans-SG' },
  ta: { name: 'தமிழ்', locale: 'ta-SG' },
} as const;
export type Lang = keyof typeof languages;
export const isLang = (v: unknown): v is Lang => typeof v === 'string' && Object.hasOwn(languages, v);

/** Every catalogue, in the one place messages live. */
export const catalogues: Record<Lang, Record<MessageKey, string>> = {
  en: { ...en, ...providerEn, ...financeEn, ...counterEn, ...noticesEn },
  ms: { ...ms, ...providerMs, ...financeMs, ...counterMs, ...noticesMs },
  id: { ...id, ...providerId, ...financeId, ...counterId, ...noticesId },
  'zh-Hans': { ...zhHans, ...providerZhHans, ...financeZhHans, ...counterZhHans, ...noticesZhHans },
  ta: { ...ta, ...providerTa, ...financeTa, ...counterTa, ...noticesTa },
};

/** The language a request asks for: ?lang=, then the cookie the switcher set, then Accept-Language, then English. */
export function chooseLanguage(query: unknown, cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(query)) return query;
  if (isLang(cookie)) return cookie;
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find((v) => v !== undefined);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((w) => w.tag !== '' && w.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of wanted) {
    // Chinese: Simplified unless the tag says Traditional (which has no catalogue yet) or a region that writes it.
    if (tag === 'zh' || tag.startsWith('zh-hans') || tag === 'zh-sg' || tag === 'zh-cn' || tag === 'zh-my') return 'zh-Hans';
    const base = tag.split('-')[0];
    if (base === 'en' || base === 'ms' || base === 'id' || base === 'ta') return base;
    if (base === 'in') return 'id'; // the old ISO 639 code for Indonesian
  }
  return 'en';
}

let instance: Promise<i18n> | undefined;
/** One i18next instance for every request; translators are per language (getFixedT). */
function i18nInstance(): Promise<i18n> {
  instance ??= (async () => {
    const i = i18next.createInstance();
    await i.init({
      resources: Object.fromEntries(Object.entries(catalogues).map(([lang, messages]) => [lang, { translation: messages }])),
      lng: 'en',
      fallbackLng: false,
      supportedLngs: Object.keys(languages),
      load: 'currentOnly',
      keySeparator: false,
      nsSeparator: false,
      returnNull: false,
      // The html`` templates escape every value; i18next escaping too would show &amp; on screen.
      interpolation: { escapeValue: false },
      initAsync: false,
    });
    return i;
  })();
  return instance;
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** Formats money (integer minor units, a bigint) and dates for one language, with Intl. */
export interface Formatter {
  money(amount: bigint, currency: string): string;
  date(at: Date | string, timeZone?: string): string;
}

/** The currencies a person sees in whole units, because no coin smaller exists in use (IDR). */
const wholeOnScreen = new Set(['IDR']);

/** Where a currency's dates are read: a grant's expiry is a day in its scheme's country. */
export const timeZoneOfCurrency = (currency: string): string =>
  ({ SGD: 'Asia/Singapore', IDR: 'Asia/Jakarta', EUR: 'Europe/Paris', MYR: 'Asia/Kuala_Lumpur' })[currency] ?? 'Asia/Singapore';

export function formatterFor(lang: Lang): Formatter {
  const locale = languages[lang].locale;
  return {
    money(amount, currency) {
      const exponent = isCurrency(currency) ? currencies[currency] : 2;
      const digits = wholeOnScreen.has(currency) ? 0 : exponent;
      const negative = amount < 0n;
      const abs = negative ? -amount : amount;
      const scale = 10n ** BigInt(exponent);
      // A decimal string keeps every digit of a bigint; Intl rounds it only when the currency hides minor units.
      const decimal = `${negative ? '-' : ''}${abs / scale}.${(abs % scale).toString().padStart(exponent, '0')}`;
      return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits })
        .format(decimal as unknown as number);
    },
    date(at, timeZone = 'Asia/Singapore') {
      return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(typeof at === 'string' ? new Date(at) : at);
    },
  };
}

export async function translatorFor(lang: Lang): Promise<Translate> {
  const t = (await i18nInstance()).getFixedT(lang);
  return (key, values) => t(key, values ?? {}) as string;
}
