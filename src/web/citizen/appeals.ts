import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { appealRejectReasonCodes, AppealStatus } from '../../db/schema/index.js';
import { actingOf } from '../../modules/acting.js';
import { accountView } from '../../modules/accounts/accounts.service.js';
import { fileAppealBody } from '../../modules/appeals/appeals.schemas.js';
import { appealableGrants, fileAppeal, myAppeals } from '../../modules/appeals/appeals.service.js';
import type { Principal } from '../../lib/principal.js';
import { html, type Html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { runOnce } from '../once.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';

const learnerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'citizen') throw new Error('appeal pages are declared for the citizen role only');
  return p.learnerId;
};

const statusKeys: Record<AppealStatus, MessageKey> = {
  open: 'appeal.status.open', proposed: 'appeal.status.proposed', reinstated: 'appeal.status.reinstated', rejected: 'appeal.status.rejected',
};
const rejectionKeys: Record<(typeof appealRejectReasonCodes)[number], MessageKey> = {
  no_grounds: 'appeal.reason.no_grounds', notice_was_given: 'appeal.reason.notice_was_given', other: 'appeal.reason.other',
};
const rejectionWords = (ctx: PageContext, code: string) => ctx.t(rejectionKeys[code as keyof typeof rejectionKeys] ?? 'appeal.reason.other');

type Appealable = Awaited<ReturnType<typeof appealableGrants>>;

/** On a closed grant's card: until when it can be appealed, and the link to the form. */
export function appealOffer(ctx: PageContext, grant: { grantId: string; schemeName: string; currency: string }, appealable: Appealable): Html | string {
  const offer = appealable.get(grant.grantId);
  if (!offer) return '';
  return html`<p>${ctx.t('appeal.canAppeal', { date: ctx.fmt.date(offer.closes, timeZoneOfCurrency(grant.currency)) })}</p>
<p><a class="button secondary" href="/grants/${grant.grantId}/appeal" aria-label="${ctx.t('appeal.cardLinkLabel', { scheme: grant.schemeName })}">${ctx.t('appeal.cardLink')}</a></p>`;
}

/** The credit page's section: each appeal with its state and, once decided, its outcome. */
export async function appealsSection(deps: WebDeps, ctx: PageContext, schemeNames: ReadonlyMap<string, string>): Promise<Html> {
  const { t, fmt, req } = ctx;
  const appeals = await myAppeals(deps.services.database.db, learnerOf(ctx.principal));
  const sent = req.query.appealed === '1' ? html`<div class="notice success" role="status"><p>${t('appeal.sent')}</p></div>` : '';
  const card = (a: (typeof appeals)[number]) => {
    const zone = timeZoneOfCurrency(a.currency);
    const outcome = a.status === 'reinstated' && a.decidedAt
      ? html`<p>${t('appeal.outcome.reinstated', { amount: fmt.money(a.proposedAmount ?? 0n, a.currency), date: fmt.date(a.decidedAt, zone) })}</p>`
      : a.status === 'rejected' && a.decidedAt
        ? html`<p>${t('appeal.outcome.rejected', { date: fmt.date(a.decidedAt, zone), why: rejectionWords(ctx, a.reasonCode ?? 'other') })}</p>`
        : '';
    return html`<li class="card">
<h3>${schemeNames.get(a.grantId) ?? t('appeal.aGrant')}</h3>
<p><span class="tag ${a.status === 'reinstated' ? 'plus' : a.status === 'rejected' ? 'minus' : ''}">${t(statusKeys[a.status])}</span></p>
<dl class="summary">
<dt>${t('appeal.filedOn')}</dt><dd>${fmt.date(a.filedAt, zone)}</dd>
<dt>${t(a.closing === 'lapsed' ? 'appeal.lapsedAmount' : 'appeal.expiredAmount')}</dt><dd>${fmt.money(a.lapsedAmount, a.currency)}</dd>
</dl>
${outcome}
</li>`;
  };
  return html`<h2 id="appeals">${t('appeal.title')}</h2>
${sent}
${appeals.length === 0 ? html`<p>${t('appeal.none')}</p>` : html`<ul class="cards">${appeals.map(card)}</ul>`}`;
}

export function appealPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;

  const notFoundPage = (ctx: PageContext): PageReply => ({ status: 404, title: ctx.t('error.title'), body: html`<h1>${ctx.t('error.title')}</h1><p>${ctx.t('error.notFound')}</p>` });

  /** The appeal form of one grant the learner can appeal now; a grant they cannot is a 404. */
  async function form(ctx: PageContext, grantId: string, extra: { error?: MessageKey; statement?: string; status?: number } = {}): Promise<PageReply> {
    const { t, fmt, csrf } = ctx;
    const learnerId = learnerOf(ctx.principal);
    const offer = (await appealableGrants(db, learnerId, deps.clock.now())).get(grantId);
    const grant = (await accountView(db, deps.clock, learnerId))?.grants.find((g) => g.grantId === grantId);
    if (!offer || !grant) return notFoundPage(ctx);
    const zone = timeZoneOfCurrency(grant.currency);
    const title = t('appeal.formTitle', { scheme: grant.schemeName });
    const error = extra.error;
    return {
      status: extra.status ?? 200,
      title: error ? t('record.errorTitle', { page: title }) : title,
      body: html`${error ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>${t('form.problem')}</h2><ul><li><a href="#statement">${t(error)}</a></li></ul></div>` : ''}
<h1>${title}</h1>
<p class="lead">${t(offer.closing === 'lapsed' ? 'appeal.formLead.lapsed' : 'appeal.formLead.expired', { amount: fmt.money(offer.reinstatable, grant.currency), date: fmt.date(offer.closedAt, zone) })}</p>
<p>${t('appeal.canAppeal', { date: fmt.date(offer.closes, zone) })}</p>
<form method="post" action="/grants/${grantId}/appeal" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<div class="field${error ? ' has-error' : ''}"><label for="statement">${t('appeal.statement')}</label>
<p class="hint" id="statement-hint">${t('appeal.statementHint')}</p>
${error ? html`<p class="field-error" id="statement-error">${t(error)}</p>` : ''}
<textarea id="statement" name="statement" rows="6" maxlength="2000" aria-describedby="statement-hint${error ? ' statement-error' : ''}"${error ? html` aria-invalid="true"` : ''}>${extra.statement ?? ''}</textarea></div>
<button type="submit">${t('appeal.submit')}</button>
</form>
<p><a href="/">${t('appeal.back')}</a></p>`,
    };
  }

  const grantParam = (ctx: PageContext) => z.uuid().safeParse(ctx.req.params.grantId);

  return [
    definePage({
      method: 'get', path: '/grants/:grantId/appeal', roles: ['citizen'],
      async handler(ctx) {
        const id = grantParam(ctx);
        return id.success ? form(ctx, id.data) : notFoundPage(ctx);
      },
    }),
    definePage({
      method: 'post', path: '/grants/:grantId/appeal', roles: ['citizen'],
      async handler(ctx) {
        const id = grantParam(ctx);
        if (!id.success) return notFoundPage(ctx);
        const body = ctx.req.body as Record<string, unknown>;
        const statement = typeof body.statement === 'string' ? body.statement : '';
        // The API's own rule for a statement (fileAppealBody).
        const parsed = fileAppealBody.safeParse({ statement });
        if (!parsed.success) return form(ctx, id.data, { error: 'appeal.statementError', statement, status: 400 });
        const learnerId = learnerOf(ctx.principal);
        const acting = actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
        // The same service call and key table as POST /v1/learners/me/grants/{grantId}/appeals.
        const outcome = await runOnce(
          { db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
          { principal: ctx.principal!, key: body.idempotencyKey, method: 'POST', apiPath: `/v1/learners/me/grants/${id.data}/appeals` },
          async (tx) => ({ appealId: (await fileAppeal(services, tx, learnerId, id.data, parsed.data.statement, acting)).id }),
        );
        if (!outcome.ok) {
          if (outcome.problem.status === 404) return notFoundPage(ctx);
          // Refused on its merits: the form again while the grant can still be appealed, else why not.
          if ((await appealableGrants(db, learnerId, deps.clock.now())).has(id.data)) return form(ctx, id.data, { error: 'appeal.failed', statement, status: 409 });
          return { status: 409, title: ctx.t('appeal.failedTitle'), body: html`<h1>${ctx.t('appeal.failedTitle')}</h1><p>${ctx.t('appeal.failed')}</p><p><a href="/">${ctx.t('appeal.back')}</a></p>` };
        }
        return { redirect: '/?appealed=1#appeals', status: 303 };
      },
    }),
  ];
}
