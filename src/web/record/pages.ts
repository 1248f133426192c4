import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { actingOf } from '../../modules/acting.js';
import { coursesService } from '../../modules/courses/courses.service.js';
import { createShareBody, shareView } from '../../modules/learner-credentials/learner-credentials.schemas.js';
import { VC_JWT_MEDIA_TYPE } from '../../modules/learner-credentials/learner-credentials.routes.js';
import {
  createShare, getMyCredential, listMyCredentials, revokeShare, sharesOf, shareUrlOf, type ShownCredential,
} from '../../modules/learner-credentials/learner-credentials.service.js';
import { learnerPathways } from '../../modules/pathways/pathways.service.js';
import type { Principal } from '../../lib/principal.js';
import { html, type Html } from '../html.js';
import type { MessageKey } from '../messages/catalogue.js';
import { runOnce } from '../once.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';

const learnerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'citizen') throw new Error('the learner record is declared for the citizen role only');
  return p.learnerId;
};

const credentialStatusKeys: Record<ShownCredential['status'], MessageKey> = {
  valid: 'record.status.valid', revoked: 'record.status.revoked', expired: 'record.status.expired',
};
const shareStateKeys: Record<'active' | 'revoked' | 'expired', MessageKey> = {
  active: 'record.share.active', revoked: 'record.share.revoked', expired: 'record.share.expired',
};
const bonusKeys: Record<'none' | 'granted' | 'refused', MessageKey> = {
  none: 'path.bonus.none', granted: 'path.bonus.granted', refused: 'path.bonus.refused',
};

const notFoundPage = (ctx: PageContext): PageReply => ({ status: 404, title: ctx.t('error.title'), body: html`<h1>${ctx.t('error.title')}</h1><p>${ctx.t('error.notFound')}</p>` });

/** A form field's error, as the GOV.UK error summary pattern shows it: in the summary, linked to the field, and at the field. */
interface FieldError { field: 'expiresInDays' | 'label'; key: MessageKey }

/** The learner record: their micro-credentials (download, share links) and their pathway progress with the stacked credential. */
export function recordPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;
  const courses = coursesService(services);

  const download = (jws: string, filename: string): PageReply => ({
    raw: jws, type: VC_JWT_MEDIA_TYPE, headers: { 'Content-Disposition': `attachment; filename="${filename}"` },
  });

  /** One credential with its share links, the form to make one, and (right after making one) the link, shown once. */
  async function credentialPage(ctx: PageContext, credentialId: string, extra: { created?: { url: string; expiresAt: Date }; errors?: FieldError[]; values?: { days: string; label: string }; status?: number } = {}): Promise<PageReply> {
    const { t, fmt, csrf, req } = ctx;
    const learnerId = learnerOf(ctx.principal);
    const c = await getMyCredential(services, db, learnerId, credentialId);
    const now = deps.clock.now();
    const shares = (await sharesOf(services, db, learnerId, credentialId)).map((r) => shareView(r.share, r.uses, now));
    const errors = extra.errors ?? [];
    const errorOf = (field: FieldError['field']) => errors.find((e) => e.field === field);
    const days = errorOf('expiresInDays');
    const label = errorOf('label');
    const done = req.query.done === 'revoked' ? html`<div class="notice success" role="status"><p>${t('record.share.revokedDone')}</p></div>` : '';
    const name = c.achievementName ?? t('record.aCredential');
    return {
      status: extra.status ?? 200,
      title: errors.length > 0 ? t('record.errorTitle', { page: name }) : name,
      body: html`${errors.length > 0 ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>${t('form.problem')}</h2><ul>${errors.map((e) => html`<li><a href="#${e.field}">${t(e.key)}</a></li>`)}</ul></div>` : ''}
${done}
<h1>${name}</h1>
${credentialFacts(ctx, c)}
<p><a href="/credentials/${c.id}/original" download>${t('record.download')}</a></p>
${extra.created ? html`<div class="notice success" role="status"><p><strong>${t('record.share.created', { date: fmt.date(extra.created.expiresAt) })}</strong></p>
<p class="link"><code>${extra.created.url}</code></p><p>${t('record.share.onlyOnce')}</p></div>` : ''}
<h2>${t('record.share.title')}</h2>
<p>${t('record.share.lead')}</p>
<form method="post" action="/credentials/${c.id}/shares" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<div class="field${days ? ' has-error' : ''}"><label for="expiresInDays">${t('record.share.days')}</label>
<p class="hint" id="expiresInDays-hint">${t('record.share.daysHint')}</p>
${days ? html`<p class="field-error" id="expiresInDays-error">${t(days.key)}</p>` : ''}
<input type="text" inputmode="numeric" id="expiresInDays" name="expiresInDays" value="${extra.values?.days ?? '30'}" size="4" maxlength="4" aria-describedby="expiresInDays-hint${days ? ' expiresInDays-error' : ''}"${days ? html` aria-invalid="true"` : ''}></div>
<div class="field${label ? ' has-error' : ''}"><label for="label">${t('record.share.label')}</label>
<p class="hint" id="label-hint">${t('record.share.labelHint')}</p>
${label ? html`<p class="field-error" id="label-error">${t(label.key)}</p>` : ''}
<input type="text" id="label" name="label" value="${extra.values?.label ?? ''}" maxlength="200" aria-describedby="label-hint${label ? ' label-error' : ''}"${label ? html` aria-invalid="true"` : ''}></div>
<button type="submit">${t('record.share.create')}</button>
</form>
<h2>${t('record.share.mine')}</h2>
${shares.length === 0 ? html`<p>${t('record.share.none')}</p>` : html`<ul class="cards">${shares.map((s) => html`<li class="card">
<h3>${s.label ?? t('record.share.unlabelled')}</h3>
<p><span class="tag">${t(shareStateKeys[s.state as keyof typeof shareStateKeys])}</span></p>
<dl class="summary">
<dt>${t('record.share.madeOn')}</dt><dd>${fmt.date(s.createdAt)}</dd>
<dt>${t('record.share.until')}</dt><dd>${fmt.date(s.expiresAt)}</dd>
<dt>${t('record.share.uses')}</dt><dd>${s.uses}</dd>
</dl>
${s.state === 'active' ? html`<div class="actions"><form method="post" action="/credentials/shares/${s.id}/revoke"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<button type="submit" class="secondary" aria-label="${t('record.share.revokeLabel', { label: s.label ?? t('record.share.unlabelled'), date: fmt.date(s.createdAt) })}">${t('record.share.revoke')}</button></form></div>` : ''}
</li>`)}</ul>`}
<p><a href="/credentials">${t('record.back')}</a></p>`,
    };
  }

  function credentialFacts(ctx: PageContext, c: ShownCredential): Html {
    const { t, fmt } = ctx;
    return html`<p><span class="tag ${c.status === 'valid' ? 'plus' : 'minus'}">${t(credentialStatusKeys[c.status])}</span></p>
<dl class="summary">
<dt>${t('record.issuer')}</dt><dd>${c.issuerName ?? t('record.aProvider')}</dd>
<dt>${t('record.issued')}</dt><dd>${fmt.date(c.validFrom)}</dd>
${c.validUntil ? html`<dt>${t('record.validUntil')}</dt><dd>${fmt.date(c.validUntil)}</dd>` : ''}
${c.grade ? html`<dt>${t('record.grade')}</dt><dd>${c.grade}</dd>` : ''}
${c.revokedAt ? html`<dt>${t('record.revokedOn')}</dt><dd>${fmt.date(c.revokedAt)}</dd>` : ''}
</dl>`;
  }

  const uuidParam = (ctx: PageContext, name: string) => z.uuid().safeParse(ctx.req.params[name]);

  return [
    definePage({
      method: 'get', path: '/credentials', roles: ['citizen'],
      async handler(ctx) {
        const { t } = ctx;
        const items = await listMyCredentials(services, db, learnerOf(ctx.principal), { limit: 100 });
        return {
          title: t('record.title'),
          body: html`<h1>${t('record.title')}</h1>
<p class="lead">${t('record.lead')}</p>
${items.length === 0 ? html`<p>${t('record.none')}</p>` : html`<ul class="cards">${items.map((c) => html`<li class="card">
<h2 class="card-title">${c.achievementName ?? t('record.aCredential')}</h2>
${credentialFacts(ctx, c)}
<div class="actions"><a href="/credentials/${c.id}" aria-label="${t('record.openLabel', { name: c.achievementName ?? t('record.aCredential') })}">${t('record.open')}</a>
<a href="/credentials/${c.id}/original" download aria-label="${t('record.downloadLabel', { name: c.achievementName ?? t('record.aCredential') })}">${t('record.download')}</a></div>
</li>`)}</ul>`}
<p><a href="/pathways">${t('record.toPathways')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/credentials/:credentialId', roles: ['citizen'],
      async handler(ctx) {
        const id = uuidParam(ctx, 'credentialId');
        return id.success ? credentialPage(ctx, id.data) : notFoundPage(ctx);
      },
    }),

    definePage({
      method: 'get', path: '/credentials/:credentialId/original', roles: ['citizen'],
      async handler(ctx) {
        const id = uuidParam(ctx, 'credentialId');
        if (!id.success) return notFoundPage(ctx);
        const c = await getMyCredential(services, db, learnerOf(ctx.principal), id.data);
        return download(c.jws, `credential-${c.id}.jwt`);
      },
    }),

    definePage({
      method: 'post', path: '/credentials/:credentialId/shares', roles: ['citizen'],
      async handler(ctx) {
        const id = uuidParam(ctx, 'credentialId');
        if (!id.success) return notFoundPage(ctx);
        const form = ctx.req.body as Record<string, unknown>;
        const days = typeof form.expiresInDays === 'string' ? form.expiresInDays.trim() : '';
        const label = typeof form.label === 'string' ? form.label : '';
        // The API's own rule for a share link (createShareBody): 1 to 90 days, a label of at most 100 characters.
        const parsed = createShareBody.safeParse({ expiresInDays: /^\d{1,4}$/.test(days) ? Number(days) : days === '' ? undefined : Number.NaN, label: label.trim() || undefined });
        if (!parsed.success) {
          const fields = new Set(parsed.error.issues.map((i) => String(i.path[0])));
          const errors: FieldError[] = [
            ...(fields.has('expiresInDays') ? [{ field: 'expiresInDays' as const, key: 'record.share.daysError' as const }] : []),
            ...(fields.has('label') ? [{ field: 'label' as const, key: 'record.share.labelError' as const }] : []),
          ];
          return credentialPage(ctx, id.data, { errors, values: { days, label }, status: 400 });
        }
        const learnerId = learnerOf(ctx.principal);
        const acting = actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
        // The same service call and key table as POST /v1/me/credentials/{id}/shares.
        const outcome = await runOnce(
          { db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
          { principal: ctx.principal!, key: form.idempotencyKey, method: 'POST', apiPath: `/v1/me/credentials/${id.data}/shares` },
          async (tx) => {
            const { share, token } = await createShare(services, tx, learnerId, id.data, parsed.data, acting);
            return { shareId: share.id, url: shareUrlOf(services, ctx.req, token), expiresAt: share.expiresAt.toISOString() };
          },
        );
        if (!outcome.ok) {
          if (outcome.problem.status === 404) return notFoundPage(ctx);
          return credentialPage(ctx, id.data, { errors: [{ field: 'expiresInDays', key: 'record.share.failed' }], values: { days, label }, status: 400 });
        }
        // Answered here, not redirected: the link's secret must not travel in a URL. A resend of this form replays this same answer.
        return credentialPage(ctx, id.data, { created: { url: String(outcome.body.url), expiresAt: new Date(String(outcome.body.expiresAt)) } });
      },
    }),

    definePage({
      method: 'post', path: '/credentials/shares/:shareId/revoke', roles: ['citizen'],
      async handler(ctx) {
        const id = uuidParam(ctx, 'shareId');
        if (!id.success) return notFoundPage(ctx);
        const learnerId = learnerOf(ctx.principal);
        const acting = actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
        const outcome = await runOnce(
          { db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
          { principal: ctx.principal!, key: (ctx.req.body as Record<string, unknown>).idempotencyKey, method: 'POST', apiPath: `/v1/me/credential-shares/${id.data}/revocation` },
          async (tx) => ({ credentialId: (await revokeShare(services, tx, learnerId, id.data, acting)).learnerCredentialId }),
        );
        if (!outcome.ok) return notFoundPage(ctx);
        return { redirect: `/credentials/${String(outcome.body.credentialId)}?done=revoked`, status: 303 };
      },
    }),

    definePage({
      method: 'get', path: '/pathways', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const items = await learnerPathways(services, db, learnerOf(ctx.principal));
        const caller = { db, principal: ctx.principal!, requestId: ctx.requestId };
        const ids = [...new Set(items.flatMap((p) => p.completedCourses.map((c) => c.courseId)))];
        const titles = new Map(await Promise.all(ids.map(async (id) => [id, (await courses.getCourse(caller, id).catch(() => undefined))?.title] as const)));
        return {
          title: t('path.title'),
          body: html`<h1>${t('path.title')}</h1>
<p class="lead">${t('path.lead')}</p>
${items.length === 0 ? html`<p>${t('path.none')}</p>` : html`<ul class="cards">${items.map((p) => {
            const done = p.completedCourses.length;
            const of = p.completed ? done : done + p.stillNeeded;
            return html`<li class="card">
<h2 class="card-title">${p.pathway.name}</h2>
<p><span class="tag ${p.completed ? 'plus' : 'minus'}">${t(p.completion?.revoked ? 'path.revoked' : p.completed ? 'path.completed' : 'path.inProgress')}</span></p>
<p><label for="progress-${p.pathway.id}">${t('path.progress', { done, of })}</label>
<progress id="progress-${p.pathway.id}" max="${of}" value="${done}">${done} / ${of}</progress></p>
<ul>${p.completedCourses.map((c) => html`<li>${titles.get(c.courseId) ?? t('path.aCourse')}: ${fmt.date(c.completedAt)}</li>`)}</ul>
${!p.completed && p.stillNeeded > 0 ? html`<p>${t('path.stillNeeded', { count: p.stillNeeded })}</p>` : ''}
${p.deadline ? html`<p class="deadline">${t('path.deadline', { date: fmt.date(p.deadline) })}</p>` : ''}
${p.completion && !p.completion.revoked ? html`<p>${t('path.completedOn', { date: fmt.date(p.completion.completedAt) })} ${t(bonusKeys[p.completion.bonus.status])}</p>
<p><a href="/pathways/${p.completion.id}/credential" download aria-label="${t('path.downloadLabel', { name: p.pathway.name })}">${t('path.download')}</a></p>` : ''}
</li>`;
          })}</ul>`}
<p><a href="/credentials">${t('path.toCredentials')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/pathways/:completionId/credential', roles: ['citizen'],
      async handler(ctx) {
        const id = uuidParam(ctx, 'completionId');
        if (!id.success) return notFoundPage(ctx);
        // Only the learner's own completions: learnerPathways reads theirs and no one else's.
        const mine = (await learnerPathways(services, db, learnerOf(ctx.principal))).find((p) => p.completion?.id === id.data);
        if (!mine?.completion) return notFoundPage(ctx);
        return download(mine.completion.credential, `pathway-${mine.completion.id}.jwt`);
      },
    }),
  ];
}
