import { noticeLanguages } from '../../db/schema/events.js';
import { actingOf } from '../../modules/acting.js';
import { contactBody } from '../../modules/learners/contact/contact.schemas.js';
import { contactOf, setContact } from '../../modules/learners/contact/contact.service.js';
import type { Principal } from '../../lib/principal.js';
import { html, type Html } from '../html.js';
import { languages } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';

const learnerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'citizen') throw new Error('the contact page is declared for the citizen role only');
  return p.learnerId;
};

type Field = 'email' | 'phone' | 'language';
interface FieldError { field: Field; key: MessageKey }
interface Values { email: string; phone: string; language: string; emailNotices: boolean; smsNotices: boolean }

/** Each notice language by its own name, as the language switcher names them. */
const languageName = (l: (typeof noticeLanguages)[number]) => languages[l === 'zh' ? 'zh-Hans' : l].name;

/** A field's error in words: a malformed value, or a channel turned on without its address. */
const errorKeys: Record<Field, { invalid: MessageKey; needed?: MessageKey }> = {
  email: { invalid: 'contact.error.email', needed: 'contact.error.emailNeeded' },
  phone: { invalid: 'contact.error.phone', needed: 'contact.error.phoneNeeded' },
  language: { invalid: 'contact.error.language' },
};

/** The citizen's contact details and notice preferences: the same service and rules as PUT /v1/learners/me/contact. */
export function contactPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;

  function form(ctx: PageContext, values: Values, errors: FieldError[] = [], status = 200): PageReply {
    const { t, csrf } = ctx;
    const errorOf = (f: Field) => errors.find((e) => e.field === f);
    const input = (f: 'email' | 'phone', type: string, extra: Html) => {
      const e = errorOf(f);
      return html`<div class="field${e ? ' has-error' : ''}"><label for="${f}">${t(f === 'email' ? 'contact.email' : 'contact.phone')}</label>
<p class="hint" id="${f}-hint">${t(f === 'email' ? 'contact.emailHint' : 'contact.phoneHint')}</p>
${e ? html`<p class="field-error" id="${f}-error">${t(e.key)}</p>` : ''}
<input type="${type}" id="${f}" name="${f}" value="${values[f]}" ${extra} aria-describedby="${f}-hint${e ? ` ${f}-error` : ''}"${e ? html` aria-invalid="true"` : ''}></div>`;
    };
    const done = ctx.req.query.done === 'saved' && errors.length === 0 ? html`<div class="notice success" role="status"><p>${t('contact.saved')}</p></div>` : '';
    return {
      status,
      title: errors.length > 0 ? t('contact.errorTitle') : t('contact.title'),
      body: html`${errors.length > 0 ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>${t('form.problem')}</h2><ul>${errors.map((e) => html`<li><a href="#${e.field}">${t(e.key)}</a></li>`)}</ul></div>` : ''}
${done}
<h1>${t('contact.title')}</h1>
<p class="lead">${t('contact.lead')}</p>
<form method="post" action="/contact" novalidate>
<input type="hidden" name="csrf" value="${csrf}">
${input('email', 'email', html`autocomplete="email" maxlength="254" spellcheck="false"`)}
${input('phone', 'tel', html`autocomplete="tel" maxlength="24"`)}
<div class="field${errorOf('language') ? ' has-error' : ''}"><label for="language">${t('contact.language')}</label>
<select id="language" name="language">${noticeLanguages.map((l) => html`<option value="${l}"${values.language === l ? html` selected` : ''}>${languageName(l)}</option>`)}</select></div>
<fieldset class="field"><legend>${t('contact.channels')}</legend>
<div class="check"><input type="checkbox" id="emailNotices" name="emailNotices" value="on"${values.emailNotices ? html` checked` : ''}><label for="emailNotices">${t('contact.emailNotices')}</label></div>
<div class="check"><input type="checkbox" id="smsNotices" name="smsNotices" value="on"${values.smsNotices ? html` checked` : ''}><label for="smsNotices">${t('contact.smsNotices')}</label></div>
</fieldset>
<button type="submit">${t('contact.save')}</button>
</form>`,
    };
  }

  return [
    definePage({
      method: 'get', path: '/contact', roles: ['citizen'],
      async handler(ctx) {
        const c = await contactOf(db, learnerOf(ctx.principal));
        return form(ctx, { email: c.email ?? '', phone: c.phone ?? '', language: c.language, emailNotices: c.emailNotices, smsNotices: c.smsNotices });
      },
    }),
    definePage({
      method: 'post', path: '/contact', roles: ['citizen'],
      async handler(ctx) {
        const b = ctx.req.body as Record<string, unknown>;
        const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
        const values: Values = {
          email: text(b.email).slice(0, 254), phone: text(b.phone).slice(0, 24), language: text(b.language),
          emailNotices: b.emailNotices === 'on', smsNotices: b.smsNotices === 'on',
        };
        const parsed = contactBody.safeParse({
          email: values.email || null, phone: values.phone || null, language: values.language, emailNotices: values.emailNotices, smsNotices: values.smsNotices,
        });
        if (!parsed.success) {
          const errors: FieldError[] = [];
          for (const issue of parsed.error.issues) {
            const field = issue.path[0] as Field;
            if (!(field in errorKeys) || errors.some((e) => e.field === field)) continue;
            errors.push({ field, key: issue.code === 'custom' ? (errorKeys[field].needed ?? errorKeys[field].invalid) : errorKeys[field].invalid });
          }
          return form(ctx, values, errors, 400);
        }
        await setContact(services, db, learnerOf(ctx.principal), parsed.data, actingOf({ principal: ctx.principal!, requestId: ctx.requestId }));
        return { redirect: '/contact?done=saved', status: 303 };
      },
    }),
  ];
}
