import { countProposals } from '../../modules/approvals/approvals.service.js';
import { countMatchingClaims } from '../../modules/claims/claims.service.js';
import { BATCH_RELEASE } from '../../modules/disbursements/disbursements.service.js';
import { countMatchingEnrolments } from '../../modules/enrolments/enrolments.service.js';
import { html, type Html } from '../html.js';
import { menuOf } from '../layout.js';
import type { MessageKey } from '../messages/catalogue.js';
import type { PageContext, PageReply } from '../page.js';
import type { WebDeps } from '../router.js';

interface Waiting { key: MessageKey; count: string; href: string }

/** What waits for a staff member today, from the same services as the queues it links to. */
async function waitingFor(deps: WebDeps, ctx: PageContext): Promise<Waiting[]> {
  const db = deps.services.database.db;
  const p = ctx.principal!;
  const counted = (n: number) => n.toLocaleString(ctx.lang);
  if (p.role === 'finance') {
    const [inReview, batches] = await Promise.all([
      countMatchingClaims(db, { status: 'in_review' }),
      countProposals(db, { status: 'pending', kind: BATCH_RELEASE }),
    ]);
    return [
      { key: 'home.finance.inReview', count: counted(inReview), href: '/finance/review' },
      { key: 'home.finance.batchesWaiting', count: counted(batches), href: '/finance/batches' },
    ];
  }
  if (p.role === 'provider') {
    const [inReview, requested] = await Promise.all([
      countMatchingClaims(db, { providerId: p.providerId, status: 'in_review' }),
      countMatchingEnrolments(db, { providerId: p.providerId, status: 'requested' }),
    ]);
    return [
      { key: 'home.provider.inReview', count: counted(inReview), href: '/provider/claims' },
      { key: 'home.provider.awaitingConsent', count: counted(requested), href: '/provider' },
    ];
  }
  return [];
}

const apiDocsKey: Partial<Record<string, MessageKey>> = { admin: 'home.apiDocs.admin', analyst: 'home.apiDocs.analyst' };

/** The signed-in home (`/`) of every role but the citizen's: what is waiting, then the role's menu, or the API docs that apply. */
export async function staffHome(deps: WebDeps, ctx: PageContext): Promise<PageReply> {
  const { t } = ctx;
  const role = ctx.principal!.role;
  const menu = menuOf(role);
  const title = t('role.title');
  if (menu.length === 0) {
    const docs = apiDocsKey[role];
    return { title, body: html`<h1>${title}</h1><p>${t(docs ?? 'role.noPages')}</p><p><a href="/docs">${t('footer.api')}</a></p>` };
  }
  const waiting = await waitingFor(deps, ctx);
  const counts: Html | string = waiting.length === 0 ? '' : html`<h2>${t('home.waiting')}</h2>
<ul class="cards">${waiting.map((w) => html`<li><a href="${w.href}">${t(w.key, { count: w.count })}</a></li>`)}</ul>`;
  const counter: Html | string = role === 'counter' ? html`<p><a class="button" href="/counter">${t('home.counter.find')}</a></p>` : '';
  return {
    title,
    body: html`<h1>${title}</h1>
${counts}${counter}
<h2>${t('home.menu')}</h2>
<ul>${menu.map((m) => html`<li><a href="${m.href}">${t(m.key)}</a></li>`)}</ul>`,
  };
}
