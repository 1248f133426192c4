import type { Principal, Role } from '../lib/principal.js';
import { html, type Html } from './html.js';
import { languages, type Lang, type Translate } from './i18n.js';
import type { MessageKey } from './messages/catalogue.js';
import { financeMenu } from './finance/menu.js';

export interface LayoutInput {
  title: string;
  body: Html;
  lang: Lang;
  t: Translate;
  principal: Principal | undefined;
  csrf: string;
  /** The path of the page (for the menu's aria-current and the language switcher). */
  path: string;
  assets: { css: string; js: string };
}

export interface MenuItem { href: string; key: MessageKey }

const citizenMenu: MenuItem[] = [
  { href: '/', key: 'nav.credit' },
  { href: '/history', key: 'nav.history' },
  { href: '/enrolments', key: 'nav.enrolments' },
  { href: '/courses', key: 'nav.courses' },
  { href: '/tracker', key: 'nav.tracker' }, { href: '/credentials', key: 'nav.credentials' }, { href: '/pathways', key: 'nav.pathways' }, { href: '/contact', key: 'contact.nav' },
];

/** Each role's menu; a role without one sees no menu. */
const menus: Partial<Record<Role, MenuItem[]>> = {
  citizen: citizenMenu,
  finance: financeMenu,
  provider: [{ href: '/provider', key: 'provider.nav.runs' }, { href: '/provider/claims', key: 'provider.nav.claims' }, { href: '/provider/recoveries', key: 'provider.nav.recoveries' }],
  counter: [{ href: '/counter', key: 'counter.nav.find' }],
};

/** A role's menu (empty when it has none): the signed-in home page lists it. */
export const menuOf = (role: Role): MenuItem[] => menus[role] ?? [];

/** The page around every page: skip link, masthead, header with the language switcher and sign-out, menu, main, footer. */
export function layout(p: LayoutInput): Html {
  const { t } = p;
  const here = p.path === '' ? '/' : p.path;
  return html`<!doctype html>
<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t('page.title', { page: p.title })}</title>
<link rel="stylesheet" href="${p.assets.css}">
<script src="${p.assets.js}" defer></script>
</head>
<body>
<a class="skip" href="#main">${t('skip')}</a>
<div class="masthead"><div class="container">${t('footer.text')}</div></div>
<header class="header">
<div class="container header-row">
<a class="service" href="/">${t('service.name')}</a>
<form method="get" action="${here}">
<label for="lang">${t('lang.label')}</label>
<select id="lang" name="lang" data-autosubmit>
${Object.entries(languages).map(([code, l]) => html`<option value="${code}" lang="${code}"${code === p.lang ? html` selected` : ''}>${l.name}</option>`)}
</select>
<button type="submit">${t('lang.submit')}</button>
</form>
${p.principal ? html`<form method="post" action="/sign-out"><input type="hidden" name="csrf" value="${p.csrf}"><button type="submit">${t('signOut')}</button></form>` : ''}
</div>
</header>
${p.principal && menus[p.principal.role]
    ? html`<nav class="menu" aria-label="${t('nav.label')}"><div class="container"><ul>
${menus[p.principal.role]!.map((m) => html`<li><a href="${m.href}"${m.href === here ? html` aria-current="page"` : ''}>${t(m.key)}</a></li>`)}
</ul></div></nav>`
    : ''}
<main id="main" tabindex="-1"><div class="container">
${p.body}
</div></main>
<footer><div class="container"><a href="/docs">${t('footer.api')}</a></div></footer>
</body>
</html>`;
}
