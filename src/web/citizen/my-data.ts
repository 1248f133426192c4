import { exportDisposition, learnerDataExport } from '../../modules/data-rights/data-export.service.js';
import { staffReadsOf } from '../../modules/data-rights/staff-reads.js';
import { stringifyJson } from '../../http/json.js';
import { html } from '../html.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { learnerOf } from './pages.js';

const READS_SHOWN = 50;
const roleKeys: Partial<Record<string, MessageKey>> = { admin: 'myData.role.admin', counter: 'myData.role.counter' };
const roleKey = (role: string): MessageKey => roleKeys[role] ?? 'myData.role.other';

/**
 * The learner's personal data rights in the portal: download everything held
 * about them (the same export as GET /v1/learners/me/data-export) and see
 * which staff read their details and why (the staff-read log).
 */
export function myDataPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;
  return [
    definePage({
      method: 'get', path: '/my-data', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const reads = await staffReadsOf(db, learnerOf(ctx.principal), { limit: READS_SHOWN });
        return {
          title: t('myData.title'),
          body: html`<h1>${t('myData.title')}</h1>
<p class="lead">${t('myData.lead')}</p>
<p><a class="button" href="/my-data/export" download>${t('myData.download')}</a></p>
<p>${t('myData.downloadHint')}</p>
<h2>${t('myData.reads')}</h2>
${reads.length === 0 ? html`<p>${t('myData.readsEmpty')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="reads-caption"><table>
<caption id="reads-caption">${t('myData.readsCaption')}</caption>
<thead><tr><th scope="col">${t('myData.when')}</th><th scope="col">${t('myData.who')}</th><th scope="col">${t('myData.why')}</th></tr></thead>
<tbody>${reads.map((r) => html`<tr><td>${fmt.date(r.at)}</td><td>${t(roleKey(r.readerRole))} (${r.readerSubject})</td><td>${r.purpose}</td></tr>`)}</tbody>
</table></div>`}`,
        };
      },
    }),
    definePage({
      method: 'get', path: '/my-data/export', roles: ['citizen'],
      async handler(ctx) {
        const data = await learnerDataExport(services, db, learnerOf(ctx.principal));
        return {
          raw: stringifyJson(data), type: 'application/json; charset=utf-8',
          headers: { 'Content-Disposition': exportDisposition(data.exportedAt) },
        };
      },
    }),
  ];
}
