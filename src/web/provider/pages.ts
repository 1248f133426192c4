import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../lib/principal.js';
import { cursorInstant, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { isCurrency, parseDecimalAmount, toDecimalString } from '../../lib/money.js';
import { actingOf } from '../../modules/acting.js';
import { submitClaimBody } from '../../modules/claims/claims.schemas.js';
import { getClaim, moduleStandings, searchClaims, submitClaim, takesClaim, type ClaimRow, type ModuleStanding } from '../../modules/claims/claims.service.js';
import { holdOf, holdsOf, type ClaimHold } from '../../modules/claims/holds.js';
import { coursesService } from '../../modules/courses/courses.service.js';
import { paymentLinesById, paymentsOfClaims } from '../../modules/disbursements/disbursements.service.js';
import { heldAmount } from '../../modules/enrolments/held.js';
import { enrolmentLegs, getEnrolment, requestEnrolment, searchEnrolments, type EnrolmentRow } from '../../modules/enrolments/enrolments.service.js';
import { recoveryView } from '../../modules/recoveries/recoveries.schemas.js';
import { searchRecoveries, settlementsOfRecoveries } from '../../modules/recoveries/recoveries.service.js';
import { html, type Html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { uploadsOf } from '../multipart.js';
import { runOnce, type Outcome } from '../once.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { claimStatusWords, eligibilityWords, enrolmentStatusWords, failureWords, holdWords, reversalWords, settlementWords, wordsOf } from './words.js';

/** The largest credential a claim takes, as POST /v1/claims does; the form around it may add a little. */
export const CREDENTIAL_MAX_BYTES = 65_536;
const UPLOAD_MAX_BYTES = CREDENTIAL_MAX_BYTES + 8_192;

const providerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'provider') throw new Error('provider pages are declared for the provider role only');
  return p.providerId;
};

interface FieldProblem { field: string; message: string }

/** The GOV.UK error summary: each problem links to its field. */
const errorSummary = (ctx: PageContext, problems: FieldProblem[]): Html | string =>
  problems.length === 0 ? '' : html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">${ctx.t('provider.error.summary')}</h2>
<ul>${problems.map((p) => html`<li><a href="#${p.field}">${p.message}</a></li>`)}</ul>
</div>`;

const fieldError = (problems: FieldProblem[], field: string): Html | string => {
  const mine = problems.filter((p) => p.field === field);
  return mine.length === 0 ? '' : html`<p class="error-message" id="${field}-error">${mine.map((p) => html`<span>${p.message}</span> `)}</p>`;
};
const described = (problems: FieldProblem[], field: string, hint?: string): Html => {
  const ids = [hint, problems.some((p) => p.field === field) ? `${field}-error` : undefined].filter(Boolean).join(' ');
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${problems.some((p) => p.field === field) ? html` aria-invalid="true"` : ''}`;
};

const query = (ctx: PageContext, name: string): string | undefined => (typeof ctx.req.query[name] === 'string' ? (ctx.req.query[name] as string) : undefined);
const notFoundPage = (ctx: PageContext): PageReply => ({ status: 404, title: ctx.t('error.title'), body: html`<h1>${ctx.t('error.title')}</h1><p>${ctx.t('error.notFound')}</p>` });
const claimCursor = z.object({ at: cursorInstant, id: z.uuid() });

export function providerPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;
  const courses = coursesService(services);
  const caller = (ctx: PageContext) => ({ db, principal: ctx.principal!, requestId: ctx.requestId });
  const once = (ctx: PageContext, apiPath: string, work: Parameters<typeof runOnce>[2]): Promise<Outcome> =>
    runOnce(
      { db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
      { principal: ctx.principal!, key: (ctx.req.body as Record<string, unknown>).idempotencyKey, method: 'POST', apiPath },
      work,
    );

  /** The deadline that comes next for an enrolment, in words: the learner's answer, or the close of the claim window. */
  const nextDeadline = (ctx: PageContext, e: EnrolmentRow): string => {
    const zone = timeZoneOfCurrency(e.currency);
    if (e.status === 'requested' && e.consentDeadline) return ctx.t('provider.deadline.consent', { date: ctx.fmt.date(e.consentDeadline, zone) });
    if (e.status === 'reserved' && e.reservationExpiresAt) return ctx.t('provider.deadline.claim', { date: ctx.fmt.date(e.reservationExpiresAt, zone) });
    return ctx.t('provider.deadline.none');
  };

  async function runPage(ctx: PageContext, runId: string, problems: FieldProblem[] = [], learnerId = ''): Promise<PageReply> {
    const { t, fmt, csrf } = ctx;
    const providerId = providerOf(ctx.principal);
    const run = await courses.getOwnRun(caller(ctx), runId);
    const course = await courses.getCourse(caller(ctx), run.courseId);
    const rows = await searchEnrolments(db, { providerId, courseRunId: run.id, limit: 100 });
    const zone = timeZoneOfCurrency(run.currency);
    const when = t('provider.run.dates', { start: fmt.date(run.startsAt, zone), end: fmt.date(run.endsAt, zone) });
    return {
      status: problems.length > 0 ? 400 : 200,
      title: problems.length > 0 ? t('provider.error.title', { page: course.title }) : course.title,
      body: html`${errorSummary(ctx, problems)}
<h1>${course.title}</h1>
<p class="lead">${when}</p>
<dl class="summary">
<dt>${t('provider.run.fee')}</dt><dd>${fmt.money(run.fee, run.currency)}</dd>
<dt>${t('provider.run.seats')}</dt><dd>${t('provider.run.seatsTaken', { taken: run.seatsTaken, capacity: run.capacity })}</dd>
</dl>
${run.status === 'cancelled' ? html`<div class="notice error"><p>${t('provider.run.cancelled')}</p></div>` : ''}
<h2>${t('provider.run.enrolments')}</h2>
${rows.length === 0 ? html`<p>${t('provider.run.noEnrolments')}</p>` : html`<ul class="cards">${rows.map((e) => html`<li class="card">
<h3><a href="/provider/enrolments/${e.id}">${t('provider.enrolment.learner', { learner: e.learnerId })}</a></h3>
<p><span class="tag">${t(wordsOf(enrolmentStatusWords, e.status, 'provider.unknown'))}</span></p>
<p>${nextDeadline(ctx, e)}</p>
<dl class="summary"><dt>${t('provider.enrolment.funded')}</dt><dd>${fmt.money(e.funded, e.currency)}</dd><dt>${t('provider.enrolment.coPay')}</dt><dd>${fmt.money(e.coPay, e.currency)}</dd></dl>
</li>`)}</ul>`}
${run.status === 'scheduled' ? html`<h2 id="request-heading">${t('provider.request.title')}</h2>
<form method="post" action="/provider/runs/${run.id}/enrolments" aria-labelledby="request-heading" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<div class="field${problems.some((p) => p.field === 'learnerId') ? ' has-error' : ''}">
<label for="learnerId">${t('provider.request.learnerId')}</label>
<p class="hint" id="learnerId-hint">${t('provider.request.learnerIdHint')}</p>
${fieldError(problems, 'learnerId')}
<input type="text" id="learnerId" name="learnerId" value="${learnerId}" maxlength="36" autocomplete="off" spellcheck="false"${described(problems, 'learnerId', 'learnerId-hint')}>
</div>
<button type="submit">${t('provider.request.submit')}</button>
</form>` : ''}
<p class="back"><a href="/provider">${t('provider.back.runs')}</a></p>`,
    };
  }

  async function enrolmentPage(ctx: PageContext, enrolmentId: string, problems: FieldProblem[] = [], entered: { amount?: string; credential?: string; module?: number } = {}): Promise<PageReply> {
    const { t, fmt, csrf } = ctx;
    const e = await getEnrolment(db, enrolmentId, providerOf(ctx.principal));
    const run = await courses.getOwnRun(caller(ctx), e.courseRunId);
    const course = await courses.getCourse(caller(ctx), run.courseId);
    const reserved = heldAmount((await enrolmentLegs(db, [e.id])).get(e.id) ?? []);
    const modules = await moduleStandings(db, e.id, course.modules);
    const open = modules.filter((m) => m.claimStatus === null);
    const chosen = open.find((m) => m.ordinal === entered.module) ?? open[0];
    const claimable = takesClaim(e.status, modules.length > 0) && (modules.length === 0 || open.length > 0);
    const zone = timeZoneOfCurrency(e.currency);
    const requested = query(ctx, 'done') === 'requested';
    // With several modules open a prefilled amount could be another module's, and a lower amount is a partial claim: the provider types it.
    const prefill = open.length > 1 ? '' : isCurrency(e.currency) ? toDecimalString(chosen?.held ?? reserved, e.currency) : '';
    const amount = entered.amount ?? prefill;
    const share = (m: ModuleStanding) => t('provider.claimPage.percent', { value: (m.shareBps / 100).toLocaleString(ctx.lang) });
    return {
      status: problems.length > 0 ? 400 : 200,
      title: problems.length > 0 ? t('provider.error.title', { page: t('provider.enrolment.title') }) : t('provider.enrolment.title'),
      body: html`${errorSummary(ctx, problems)}
${requested && e.status === 'requested' ? html`<div class="notice success" role="status"><p>${t('provider.request.done')}</p></div>` : ''}
<h1>${t('provider.enrolment.title')}</h1>
<p class="lead">${course.title}: ${t('provider.run.dates', { start: fmt.date(run.startsAt, zone), end: fmt.date(run.endsAt, zone) })}</p>
<dl class="summary">
<dt>${t('provider.enrolment.learnerId')}</dt><dd class="id">${e.learnerId}</dd>
<dt>${t('provider.enrolment.status')}</dt><dd>${t(wordsOf(enrolmentStatusWords, e.status, 'provider.unknown'))}</dd>
<dt>${t('provider.run.fee')}</dt><dd>${fmt.money(e.fee, e.currency)}</dd>
<dt>${t('provider.enrolment.funded')}</dt><dd>${fmt.money(e.funded, e.currency)}</dd>
<dt>${t('provider.enrolment.coPay')}</dt><dd>${fmt.money(e.coPay, e.currency)}</dd>
<dt>${t('provider.enrolment.reserved')}</dt><dd>${fmt.money(reserved, e.currency)}</dd>
</dl>
<p class="deadline">${nextDeadline(ctx, e)}</p>
${e.status === 'requested' ? html`<p>${t('provider.enrolment.consentPending')}</p>` : ''}
${modules.length > 0 ? html`<h2>${t('provider.modules.title')}</h2>
<ul class="modules">${modules.map((m) => html`<li>${t('provider.modules.line', { ordinal: m.ordinal, title: m.title, share: share(m) })}: <span class="tag">${m.claimStatus ? t(wordsOf(claimStatusWords, m.claimStatus, 'provider.unknown')) : t('provider.modules.unclaimed')}</span></li>`)}</ul>` : ''}
${e.status === 'claimed' || e.status === 'completed' || modules.some((m) => m.claimStatus) ? html`<p class="back"><a href="/provider/claims">${t('provider.enrolment.seeClaims')}</a></p>` : ''}
${claimable ? html`<h2 id="claim-heading">${t('provider.claim.title')}</h2>
<p>${t('provider.claim.lead')}</p>
<form method="post" action="/provider/enrolments/${e.id}/claim" enctype="multipart/form-data" aria-labelledby="claim-heading" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
${open.length > 0 ? html`<div class="field">
<label for="module">${t('provider.claim.module')}</label>
${fieldError(problems, 'module')}
<select id="module" name="module"${described(problems, 'module')}>${open.map((m) => html`<option value="${m.ordinal}"${m === chosen ? ' selected' : ''}>${t('provider.claim.moduleOption', { ordinal: m.ordinal, title: m.title, share: share(m), amount: fmt.money(m.held, e.currency) })}</option>`)}</select>
</div>` : ''}
<div class="field">
<label for="credentialFile">${t('provider.claim.file')}</label>
<p class="hint" id="credentialFile-hint">${t('provider.claim.fileHint')}</p>
${fieldError(problems, 'credentialFile')}
<input type="file" id="credentialFile" name="credentialFile" accept=".jwt,.txt,text/plain,application/vc+jwt"${described(problems, 'credentialFile', 'credentialFile-hint')}>
</div>
<div class="field">
<label for="credential">${t('provider.claim.paste')}</label>
${fieldError(problems, 'credential')}
<textarea id="credential" name="credential" rows="4" spellcheck="false" autocomplete="off"${described(problems, 'credential')}>${entered.credential ?? ''}</textarea>
</div>
<div class="field">
<label for="amount">${t('provider.claim.amount', { currency: e.currency })}</label>
<p class="hint" id="amount-hint">${open.length > 0 ? t('provider.claim.amountHintModule') : t('provider.claim.amountHint', { amount: fmt.money(reserved, e.currency) })}</p>
${fieldError(problems, 'amount')}
<input type="text" id="amount" name="amount" value="${amount}" inputmode="decimal" maxlength="22" autocomplete="off"${described(problems, 'amount', 'amount-hint')}>
</div>
<button type="submit">${t('provider.claim.submit')}</button>
</form>` : ''}
<p class="back"><a href="/provider/runs/${run.id}">${t('provider.back.run')}</a></p>`,
    };
  }

  const holdLine = (ctx: PageContext, hold: ClaimHold | null | undefined): Html | string =>
    hold ? html`<p class="deadline">${ctx.t(wordsOf(holdWords, hold.reasonCode, 'provider.hold.held_for_review'))} ${ctx.t('provider.hold.decideBy', { date: ctx.fmt.date(hold.decideBy) })}</p>` : '';

  const paymentLine = (ctx: PageContext, c: ClaimRow, payment: { batchId: string; endToEndId: string; status: string } | undefined): Html | string => {
    if (!payment) return '';
    if (c.status === 'paid') return html`<p>${ctx.t('provider.payment.paid', { reference: payment.endToEndId, batch: payment.batchId })}</p>`;
    return html`<p>${ctx.t('provider.payment.inBatch', { reference: payment.endToEndId, batch: payment.batchId })}</p>`;
  };

  return [
    definePage({
      method: 'get', path: '/provider', roles: ['provider'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const providerId = providerOf(ctx.principal);
        const own = await courses.listCourses(caller(ctx), { providerId, limit: 50 });
        const withRuns = await Promise.all(own.items.map(async (c) => ({ course: c, runs: (await courses.listRuns(caller(ctx), c.id, { limit: 50 })).items })));
        return {
          title: t('provider.runs.title'),
          body: html`<h1>${t('provider.runs.title')}</h1>
<p class="lead">${t('provider.runs.lead')}</p>
${withRuns.length === 0 ? html`<p>${t('provider.runs.none')}</p>` : withRuns.map(({ course, runs }) => html`<h2>${course.title}</h2>
${runs.length === 0 ? html`<p>${t('provider.runs.noRuns')}</p>` : html`<ul class="cards">${runs.map((r) => {
            const zone = timeZoneOfCurrency(r.currency);
            const dates = t('provider.run.dates', { start: fmt.date(r.startsAt, zone), end: fmt.date(r.endsAt, zone) });
            return html`<li class="card${r.status === 'cancelled' ? ' closed' : ''}">
<h3><a href="/provider/runs/${r.id}">${dates}<span class="visually-hidden"> – ${t('provider.runs.openLabel', { course: course.title })}</span></a></h3>
${r.status === 'cancelled' ? html`<p><span class="tag">${t('provider.run.cancelled')}</span></p>` : ''}
<dl class="summary"><dt>${t('provider.run.fee')}</dt><dd>${fmt.money(r.fee, r.currency)}</dd>
<dt>${t('provider.run.seats')}</dt><dd>${t('provider.run.seatsTaken', { taken: r.seatsTaken, capacity: r.capacity })}</dd></dl>
</li>`;
          })}</ul>`}`)}`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/provider/runs/:runId', roles: ['provider'],
      async handler(ctx) {
        const runId = z.uuid().safeParse(ctx.req.params.runId);
        return runId.success ? runPage(ctx, runId.data) : notFoundPage(ctx);
      },
    }),

    definePage({
      method: 'post', path: '/provider/runs/:runId/enrolments', roles: ['provider'],
      async handler(ctx) {
        const { t } = ctx;
        const providerId = providerOf(ctx.principal);
        const runId = z.uuid().safeParse(ctx.req.params.runId);
        if (!runId.success) return notFoundPage(ctx);
        const raw = (ctx.req.body as Record<string, unknown>).learnerId;
        const entered = typeof raw === 'string' ? raw.trim().slice(0, 36) : '';
        const learnerId = z.uuid().safeParse(entered);
        if (!learnerId.success) {
          return runPage(ctx, runId.data, [{ field: 'learnerId', message: t(entered === '' ? 'provider.request.learnerIdMissing' : 'provider.request.learnerIdInvalid') }], entered);
        }
        // The same service, key table and semantics as POST /v1/enrolments.
        const outcome = await once(ctx, '/v1/enrolments', async (tx) => {
          const row = await requestEnrolment(services, tx, providerId, { learnerId: learnerId.data, courseRunId: runId.data }, actingOf({ principal: ctx.principal!, requestId: ctx.requestId }));
          return { id: row.id };
        });
        if (outcome.ok) return { redirect: `/provider/enrolments/${String(outcome.body.id)}?done=requested`, status: 303 };
        const { code } = outcome.problem;
        const reasons = (outcome.problem as { reasons?: unknown }).reasons;
        const problems: FieldProblem[] = code === 'not_eligible' && Array.isArray(reasons) && reasons.length > 0
          ? [...new Set(reasons.map(String))].map((r) => ({ field: 'learnerId', message: t(wordsOf(eligibilityWords, r, 'provider.reason.other')) }))
          : code === 'not_found'
            ? [{ field: 'learnerId', message: t('provider.request.learnerNotFound') }]
            : [{ field: 'learnerId', message: t('provider.reason.other') }];
        return runPage(ctx, runId.data, problems, entered);
      },
    }),

    definePage({
      method: 'get', path: '/provider/enrolments/:enrolmentId', roles: ['provider'],
      async handler(ctx) {
        const id = z.uuid().safeParse(ctx.req.params.enrolmentId);
        return id.success ? enrolmentPage(ctx, id.data) : notFoundPage(ctx);
      },
    }),

    definePage({
      method: 'post', path: '/provider/enrolments/:enrolmentId/claim', roles: ['provider'], upload: { maxBytes: UPLOAD_MAX_BYTES, field: 'credentialFile' },
      async handler(ctx) {
        const { t } = ctx;
        const providerId = providerOf(ctx.principal);
        const id = z.uuid().safeParse(ctx.req.params.enrolmentId);
        if (!id.success) return notFoundPage(ctx);
        const body = ctx.req.body as Record<string, unknown>;
        const file = uploadsOf(ctx.req).credentialFile;
        const pasted = typeof body.credential === 'string' ? body.credential.trim() : '';
        const amountText = typeof body.amount === 'string' ? body.amount.trim().slice(0, 22) : '';
        const moduleText = typeof body.module === 'string' ? body.module.trim() : '';
        const module = /^[0-9]{1,2}$/.test(moduleText) ? Number(moduleText) : undefined;
        const problems: FieldProblem[] = [];
        const credentialField = file ? 'credentialFile' : 'credential';
        if (file && file.data.length > CREDENTIAL_MAX_BYTES) problems.push({ field: 'credentialFile', message: t('provider.claim.fileTooLarge') });
        const credential = file ? file.data.toString('utf8').trim() : pasted;
        if (!credential) problems.push({ field: 'credentialFile', message: t('provider.claim.credentialMissing') });
        const enrolment = await getEnrolment(db, id.data, providerId);
        const amount = isCurrency(enrolment.currency) ? parseDecimalAmount(amountText, enrolment.currency) : undefined;
        if (amount === undefined || amount <= 0n) problems.push({ field: 'amount', message: t('provider.claim.amountInvalid', { currency: enrolment.currency }) });
        // The API's own schema says what a claim body must be; its refusals are named on the form's fields.
        const parsed = submitClaimBody.safeParse({ enrolmentId: id.data, ...(moduleText ? { module: module ?? Number.NaN } : {}), amount: (amount ?? 0n).toString(), credential });
        if (!parsed.success && credential && !problems.some((p) => p.field === credentialField)) {
          if (parsed.error.issues.some((i) => i.path[0] === 'credential')) problems.push({ field: credentialField, message: t('provider.claim.credentialMalformed') });
        }
        if (!parsed.success && parsed.error.issues.some((i) => i.path[0] === 'module')) problems.push({ field: 'module', message: t('provider.claim.moduleInvalid') });
        const entered = { amount: amountText, credential: file ? '' : pasted.slice(0, CREDENTIAL_MAX_BYTES), ...(module ? { module } : {}) };
        if (problems.length > 0 || !parsed.success) return enrolmentPage(ctx, id.data, problems, entered);
        // The same service, key table and semantics as POST /v1/claims.
        const outcome = await once(ctx, '/v1/claims', async (tx) => {
          const claim = await submitClaim(services, tx, providerId, parsed.data, actingOf({ principal: ctx.principal!, requestId: ctx.requestId }));
          return { id: claim.id };
        });
        if (outcome.ok) return { redirect: `/provider/claims/${String(outcome.body.id)}?done=submitted`, status: 303 };
        const errors = (outcome.problem as { errors?: { path: string }[] }).errors ?? [];
        if (errors.some((e) => e.path === 'body.amount')) return enrolmentPage(ctx, id.data, [{ field: 'amount', message: t('provider.claim.amountAboveReserved') }], entered);
        // A module the course does not have, none on a modular course, or one already claimed (the service's 409).
        if (errors.some((e) => e.path === 'body.module') || (module && outcome.problem.code === 'invalid_state')) {
          return enrolmentPage(ctx, id.data, [{ field: 'module', message: t('provider.claim.moduleInvalid') }], entered);
        }
        return enrolmentPage(ctx, id.data, [{ field: credentialField, message: t('provider.claim.refused') }], entered);
      },
    }),

    definePage({
      method: 'get', path: '/provider/claims', roles: ['provider'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const providerId = providerOf(ctx.principal);
        const limit = 25;
        const rows = await searchClaims(db, { providerId, before: decodeCursor(query(ctx, 'cursor'), claimCursor), limit: limit + 1 });
        const items = rows.slice(0, limit);
        const last = rows.length > limit ? items.at(-1) : undefined;
        const holds = await holdsOf(db, items.map((c) => c.id), 'provider');
        const payments = await paymentsOfClaims(db, items.map((c) => c.id));
        return {
          title: t('provider.claims.title'),
          body: html`<h1>${t('provider.claims.title')}</h1>
${items.length === 0 ? html`<p>${t('provider.claims.none')}</p>` : html`<ul class="cards">${items.map((c) => html`<li class="card">
<h3><a href="/provider/claims/${c.id}">${fmt.money(c.amountClaimed, c.currency)}<span class="visually-hidden"> – ${t('provider.claims.openLabel', { date: fmt.date(c.submittedAt, timeZoneOfCurrency(c.currency)) })}</span></a></h3>
<p><span class="tag">${t(wordsOf(claimStatusWords, c.status, 'provider.unknown'))}</span></p>
<p class="id">${t('provider.enrolment.learner', { learner: c.learnerId })}</p>
<p>${t('provider.claim.submittedOn', { date: fmt.date(c.submittedAt, timeZoneOfCurrency(c.currency)) })}</p>
${holdLine(ctx, holds.get(c.id))}
${paymentLine(ctx, c, payments.get(c.id))}
</li>`)}</ul>`}
${last ? html`<p class="back"><a href="/provider/claims?cursor=${encodeURIComponent(encodeCursor({ at: last.submittedAt.toISOString(), id: last.id }))}">${t('provider.claims.older')}</a></p>` : ''}`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/provider/claims/:claimId', roles: ['provider'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const id = z.uuid().safeParse(ctx.req.params.claimId);
        if (!id.success) return notFoundPage(ctx);
        const c = await getClaim(db, id.data, providerOf(ctx.principal));
        const hold = await holdOf(db, c.id, 'provider');
        const payment = (await paymentsOfClaims(db, [c.id])).get(c.id);
        const zone = timeZoneOfCurrency(c.currency);
        const failed = (c.failedChecks as string[]) ?? [];
        return {
          title: t('provider.claimPage.title'),
          body: html`${query(ctx, 'done') === 'submitted' ? html`<div class="notice success" role="status"><p>${t('provider.claim.done')}</p></div>` : ''}
<h1>${t('provider.claimPage.title')}</h1>
<p class="lead"><strong>${t(wordsOf(claimStatusWords, c.status, 'provider.unknown'))}</strong></p>
<p>${t(wordsOf(claimExplanations, c.status, 'provider.unknown'))}</p>
<dl class="summary">
<dt>${t('provider.enrolment.learnerId')}</dt><dd class="id">${c.learnerId}</dd>
<dt>${t('provider.claimPage.amount')}</dt><dd>${fmt.money(c.amountClaimed, c.currency)}</dd>
<dt>${t('provider.claimPage.submitted')}</dt><dd>${fmt.date(c.submittedAt, zone)}</dd>
${c.decidedAt ? html`<dt>${t('provider.claimPage.decided')}</dt><dd>${fmt.date(c.decidedAt, zone)}</dd>` : ''}
${c.paidAt ? html`<dt>${t('provider.claimPage.paid')}</dt><dd>${fmt.date(c.paidAt, zone)}</dd>` : ''}
${c.attendanceBps !== null ? html`<dt>${t('provider.claimPage.attendance')}</dt><dd>${t('provider.claimPage.percent', { value: (c.attendanceBps / 100).toLocaleString(ctx.lang) })}</dd>` : ''}
</dl>
${holdLine(ctx, hold)}
${failed.length > 0 ? html`<h2>${t('provider.claimPage.failed')}</h2><ul class="reasons">${failed.map((f) => html`<li>${t(wordsOf(failureWords, f, 'provider.failure.other'))}</li>`)}</ul>` : ''}
${c.decisionReason ? html`<h2>${t('provider.claimPage.decisionReason')}</h2><p>${c.decisionReason}</p>` : ''}
${c.reversalReasonCode ? html`<h2>${t('provider.claimPage.reversed')}</h2><p>${t(wordsOf(reversalWords, c.reversalReasonCode, 'provider.reversal.other'))}</p>${c.reversalReason ? html`<p>${c.reversalReason}</p>` : ''}` : ''}
${paymentLine(ctx, c, payment)}
<p class="back"><a href="/provider/enrolments/${c.enrolmentId}">${t('provider.claimPage.enrolment')}</a></p>
<p class="back"><a href="/provider/claims">${t('provider.back.claims')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/provider/recoveries', roles: ['provider'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        const rows = await searchRecoveries(db, { providerId: providerOf(ctx.principal), limit: 50 });
        const settlements = await settlementsOfRecoveries(db, rows.map((r) => r.id));
        const lines = await paymentLinesById(db, settlements.flatMap((s) => (s.paymentLineId ? [s.paymentLineId] : [])));
        const views = rows.map((r) => recoveryView(r, settlements));
        return {
          title: t('provider.recoveries.title'),
          body: html`<h1>${t('provider.recoveries.title')}</h1>
<p class="lead">${t('provider.recoveries.lead')}</p>
${views.length === 0 ? html`<p>${t('provider.recoveries.none')}</p>` : html`<ul class="cards">${views.map((r) => html`<li class="card">
<h3>${t('provider.recoveries.owed', { amount: fmt.money(BigInt(r.amount), r.currency) })}</h3>
<p>${t(wordsOf(reversalWords, r.reasonCode, 'provider.reversal.other'))}</p>
<dl class="summary">
<dt>${t('provider.recoveries.reference')}</dt><dd class="id">${r.reference}</dd>
<dt>${t('provider.recoveries.outstanding')}</dt><dd>${fmt.money(BigInt(r.outstanding), r.currency)}</dd>
<dt>${t('provider.recoveries.netted')}</dt><dd>${fmt.money(BigInt(r.netted) + BigInt(r.nettingInFlight), r.currency)}</dd>
<dt>${t('provider.recoveries.refunded')}</dt><dd>${fmt.money(BigInt(r.refunded), r.currency)}</dd>
</dl>
${r.settlements.length > 0 ? html`<h4>${t('provider.recoveries.settlements')}</h4><ul>${r.settlements.map((s) => {
            const line = s.paymentLineId ? lines.get(s.paymentLineId) : undefined;
            return html`<li>${t(wordsOf(settlementWords, s.kind, 'provider.unknown'), { amount: fmt.money(BigInt(s.amount), r.currency), reference: line?.endToEndId ?? '' })} (${fmt.date(s.at, timeZoneOfCurrency(r.currency))})</li>`;
          })}</ul>` : ''}
<p>${t('provider.recoveries.refundHint', { reference: r.reference })}</p>
</li>`)}</ul>`}`,
        };
      },
    }),
  ];
}

const claimExplanations: Record<ClaimRow['status'], MessageKey> = {
  approved: 'provider.claimExplain.approved', rejected: 'provider.claimExplain.rejected', in_review: 'provider.claimExplain.in_review',
  paid: 'provider.claimExplain.paid', reversed: 'provider.claimExplain.reversed',
};
