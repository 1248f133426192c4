import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { identityChecks, type IdentityCheck } from '../../db/schema/counter.js';
import { AppError } from '../../lib/app-error.js';
import { actingOf } from '../../modules/acting.js';
import { movementSigns, signAddsCredit, type MovementSign } from '../../modules/accounts/describe-movement.js';
import { attestationBody, counterLookupBody } from '../../modules/counter/counter.schemas.js';
import {
  consentAtCounter, counterAccount, counterEligibility, counterEnrolments, counterHistory, declineAtCounter, openVisit, openedVisit, type Visit,
} from '../../modules/counter/counter.service.js';
import { getLearner } from '../../modules/learners/learners.service.js';
import { coursesService } from '../../modules/courses/courses.service.js';
import { consentOutcomeNotice, coursesWithUpcomingRuns, eligibilityDecision, movementKey } from '../citizen/pages.js';
import { html, type Html } from '../html.js';
import { languages, timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { runOnce } from '../once.js';
import { definePage, type PageContext, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';

/** The countries whose cards the counter reads (each with a national-id rule in src/lib/national-id.ts). */
const countries = ['SG', 'ID', 'FR'] as const;

const identityCheckKeys: Record<IdentityCheck, MessageKey> = {
  nric_card: 'counter.idCheck.nric_card', ktp_card: 'counter.idCheck.ktp_card', passport: 'counter.idCheck.passport',
  driving_licence: 'counter.idCheck.driving_licence', work_pass: 'counter.idCheck.work_pass',
};

type LookupField = 'country' | 'nationalId' | 'reason' | 'learnerPresent' | 'identityCheck';
const lookupFieldKeys: Record<LookupField, MessageKey> = {
  country: 'counter.error.country', nationalId: 'counter.error.nationalId', reason: 'counter.error.reason',
  learnerPresent: 'counter.error.learnerPresent', identityCheck: 'counter.error.identityCheck',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
/** A ticked box sends `yes`; an unticked one sends nothing, which the attestation schema refuses. */
const ticked = (v: unknown): true | undefined => (v === 'yes' ? true : undefined);

/** The GOV.UK error summary: a heading and one link per field, each to the field it names. */
const errorSummary = (ctx: PageContext, errors: { href: string; message: string }[]): Html | string =>
  errors.length === 0 ? '' : html`<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${ctx.t('counter.error.summary')}</h2>
<ul>${errors.map((e) => html`<li><a href="${e.href}">${e.message}</a></li>`)}</ul>
</div>`;

const fieldError = (ctx: PageContext, id: string, message: string | undefined): Html | string =>
  message ? html`<p class="field-error" id="${id}-error"><span class="visually-hidden">${ctx.t('counter.error.prefix')} </span>${message}</p>` : '';

const describedBy = (id: string, hint: boolean, error: string | undefined): Html =>
  html` aria-describedby="${[hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')}"${error ? html` aria-invalid="true"` : ''}`;

/** The attestation every act for a learner carries: the box that the learner is here and agrees, and how their identity was checked. */
function attestationFields(ctx: PageContext, prefix: string, values: { learnerPresent?: boolean | undefined; identityCheck?: string | undefined }, errors: Partial<Record<LookupField, string>>): Html {
  const { t } = ctx;
  return html`<div class="field${errors.learnerPresent ? ' has-error' : ''}">
${fieldError(ctx, `${prefix}present`, errors.learnerPresent)}
<div class="check"><input type="checkbox" id="${prefix}present" name="learnerPresent" value="yes"${values.learnerPresent ? html` checked` : ''}${errors.learnerPresent ? html` aria-describedby="${prefix}present-error" aria-invalid="true"` : ''}>
<label for="${prefix}present">${t('counter.attest.present')}</label></div>
</div>
<fieldset class="field${errors.identityCheck ? ' has-error' : ''}"${errors.identityCheck ? html` aria-describedby="${prefix}idcheck-error"` : ''}>
<legend>${t('counter.attest.identity')}</legend>
${fieldError(ctx, `${prefix}idcheck`, errors.identityCheck)}
${identityChecks.map((c, i) => html`<div class="check"><input type="radio" id="${prefix}idcheck${i === 0 ? '' : `-${c}`}" name="identityCheck" value="${c}"${values.identityCheck === c ? html` checked` : ''}>
<label for="${prefix}idcheck${i === 0 ? '' : `-${c}`}">${t(identityCheckKeys[c])}</label></div>`)}
</fieldset>`;
}

export function counterPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;
  const acting = (ctx: PageContext) => actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
  const once = (ctx: PageContext) => ({ db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log });
  const courses = coursesService(services);

  /** The search for a course run to check for the learner: a plain GET form, as the citizen's own course search. */
  const checkForm = (ctx: PageContext, visitId: string, q = '') => html`<form method="get" action="/counter/visits/${visitId}/courses" class="search" role="search" aria-label="${ctx.t('counter.check.title')}">
<div class="field"><label for="q">${ctx.t('counter.check.search')}</label><input type="search" id="q" name="q" value="${q}" maxlength="100"></div>
<div class="field"><button type="submit">${ctx.t('courses.submit')}</button></div>
</form>`;
  const notFoundPage = (ctx: PageContext) => ({ status: 404, title: ctx.t('error.title'), body: html`<h1>${ctx.t('error.title')}</h1><p>${ctx.t('error.notFound')}</p>` });

  function findForm(ctx: PageContext, values: { country?: string | undefined; reason?: string | undefined; learnerPresent?: boolean | undefined; identityCheck?: string | undefined }, errors: Partial<Record<LookupField, string>>, status = 200) {
    const { t, lang, csrf } = ctx;
    const regions = new Intl.DisplayNames([languages[lang].locale], { type: 'region' });
    const firstRadio = 'idcheck';
    const summary = (Object.keys(lookupFieldKeys) as LookupField[])
      .filter((f) => errors[f])
      .map((f) => ({ href: `#${f === 'learnerPresent' ? 'present' : f === 'identityCheck' ? firstRadio : f}`, message: errors[f]! }));
    return {
      status,
      title: summary.length > 0 ? t('counter.error.titled', { page: t('counter.find.title') }) : t('counter.find.title'),
      body: html`${errorSummary(ctx, summary)}
<h1>${t('counter.find.title')}</h1>
<p class="lead">${t('counter.find.lead')}</p>
<form method="post" action="/counter/visits" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<div class="field${errors.country ? ' has-error' : ''}">
<label for="country">${t('counter.find.country')}</label>
${fieldError(ctx, 'country', errors.country)}
<select id="country" name="country"${errors.country ? html` aria-describedby="country-error" aria-invalid="true"` : ''}>
${countries.map((c) => html`<option value="${c}"${(values.country ?? 'SG') === c ? html` selected` : ''}>${regions.of(c) ?? c}</option>`)}
</select>
</div>
<div class="field${errors.nationalId ? ' has-error' : ''}">
<label for="nationalId">${t('counter.find.nationalId')}</label>
<p class="hint" id="nationalId-hint">${t('counter.find.nationalIdHint')}</p>
${fieldError(ctx, 'nationalId', errors.nationalId)}
<input type="text" id="nationalId" name="nationalId" autocomplete="off" spellcheck="false" maxlength="32"${describedBy('nationalId', true, errors.nationalId)}>
</div>
<div class="field${errors.reason ? ' has-error' : ''}">
<label for="reason">${t('counter.find.reason')}</label>
<p class="hint" id="reason-hint">${t('counter.find.reasonHint')}</p>
${fieldError(ctx, 'reason', errors.reason)}
<input type="text" id="reason" name="reason" maxlength="300" value="${values.reason ?? ''}"${describedBy('reason', true, errors.reason)}>
</div>
${attestationFields(ctx, '', { learnerPresent: values.learnerPresent, identityCheck: values.identityCheck }, errors)}
<button type="submit">${t('counter.find.submit')}</button>
</form>`,
    };
  }

  /** The visit, or the page that says it ended or is not this officer's. */
  async function visitOr(ctx: PageContext): Promise<Visit | { status: number; title: string; body: Html }> {
    const { t } = ctx;
    const visitId = z.uuid().safeParse(ctx.req.params.visitId);
    try {
      if (!visitId.success) throw new AppError('not_found', 'visit not found');
      return await openedVisit(services, db, visitId.data, acting(ctx));
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'not_found' && err.code !== 'invalid_state')) throw err;
      const ended = err.code === 'invalid_state';
      return {
        status: ended ? 409 : 404, title: t(ended ? 'counter.visit.ended' : 'counter.visit.unknown'),
        body: html`<h1>${t(ended ? 'counter.visit.ended' : 'counter.visit.unknown')}</h1><p>${t('counter.visit.again')}</p><p><a class="button" href="/counter">${t('counter.find.title')}</a></p>`,
      };
    }
  }

  return [
    definePage({
      method: 'get', path: '/counter', roles: ['counter'],
      handler: async (ctx) => findForm(ctx, {}, {}),
    }),

    definePage({
      method: 'post', path: '/counter/visits', roles: ['counter'],
      async handler(ctx) {
        const { t } = ctx;
        const form = ctx.req.body as Record<string, unknown>;
        const values = {
          country: text(form.country), nationalId: text(form.nationalId)?.toUpperCase().replace(/[\s-]/g, ''), reason: text(form.reason),
          learnerPresent: ticked(form.learnerPresent), identityCheck: text(form.identityCheck),
        };
        // The national id is never put back into the page: the officer types it again from the card.
        const shown = { ...values, nationalId: undefined };
        const parsed = counterLookupBody.safeParse(values);
        if (!parsed.success) {
          const errors: Partial<Record<LookupField, string>> = {};
          for (const issue of parsed.error.issues) {
            const field = issue.path[0] as LookupField;
            if (field in lookupFieldKeys) errors[field] ??= t(lookupFieldKeys[field]);
          }
          return findForm(ctx, shown, errors, 422);
        }
        // The same per-caller limit as POST /v1/counter/visits.
        await deps.rateLimiter?.consume('learnerLookup', ctx.principal!);
        const outcome = await runOnce(once(ctx), { principal: ctx.principal!, key: form.idempotencyKey, method: 'POST', apiPath: '/v1/counter/visits' },
          async (tx) => ({ visitId: (await openVisit(services, tx, parsed.data, acting(ctx))).visit.visitId }));
        if (!outcome.ok) {
          const error = outcome.problem.code === 'not_found' ? t('counter.error.nationalIdUnknown')
            : outcome.problem.code === 'validation_failed' ? t('counter.error.nationalId') : t('reason.other');
          return findForm(ctx, shown, { nationalId: error }, outcome.problem.status);
        }
        return { redirect: `/counter/visits/${String(outcome.body.visitId)}`, status: 303 };
      },
    }),

    definePage({
      method: 'get', path: '/counter/visits/:visitId', roles: ['counter'],
      async handler(ctx) {
        const { t, fmt, req, csrf, lang } = ctx;
        const visit = await visitOr(ctx);
        if (!('visitId' in visit)) return visit;
        const learner = await getLearner(db, visit.learnerId);
        const [account, enrolments, history] = await Promise.all([
          counterAccount(services, db, visit.visitId, acting(ctx)), counterEnrolments(services, db, visit.visitId, acting(ctx)),
          counterHistory(services, db, visit.visitId, { limit: 10 }, acting(ctx)),
        ]);
        const now = deps.clock.now();
        const waiting = enrolments.result.filter((e) => e.status === 'requested' && e.consentDeadline && e.consentDeadline > now);
        const failed = typeof req.query.failed === 'string' ? req.query.failed : undefined;
        const missing = typeof req.query.missing === 'string' ? req.query.missing.split(',') : [];
        const notice = consentOutcomeNotice(ctx, { approved: 'counter.done.approved', declined: 'counter.done.declined', refused: 'counter.refused' });
        const errorsFor = (enrolmentId: string): Partial<Record<LookupField, string>> => failed !== enrolmentId ? {} : {
          ...(missing.includes('learnerPresent') ? { learnerPresent: t('counter.error.learnerPresent') } : {}),
          ...(missing.includes('identityCheck') ? { identityCheck: t('counter.error.identityCheck') } : {}),
        };
        const summaryErrors = failed
          ? Object.entries(errorsFor(failed)).map(([f, message]) => ({ href: `#e${failed}-${f === 'learnerPresent' ? 'present' : 'idcheck'}`, message }))
          : [];
        const zoneOfCountry: Record<string, string> = { SG: 'Asia/Singapore', ID: 'Asia/Jakarta', FR: 'Europe/Paris' };
        const time = new Intl.DateTimeFormat(languages[lang].locale, { timeStyle: 'short', timeZone: zoneOfCountry[learner.country] ?? 'Asia/Singapore' }).format(visit.expiresAt);
        const request = (e: (typeof waiting)[number]) => {
          const zone = timeZoneOfCurrency(e.currency);
          return html`<li class="card" id="e${e.id}">
<h3>${t('counter.request', { provider: e.providerName, course: e.courseTitle })}</h3>
<p>${t('courses.run', { date: fmt.date(e.runStartsAt, zone), amount: fmt.money(e.fee, e.currency) })}</p>
<dl class="summary">
<dt>${t('enrol.fee')}</dt><dd>${fmt.money(e.fee, e.currency)}</dd>
<dt>${t('counter.funded')}</dt><dd>${fmt.money(e.funded, e.currency)}</dd>
<dt>${t('counter.coPay')}</dt><dd>${fmt.money(e.coPay, e.currency)}</dd>
</dl>
${e.consentDeadline ? html`<p class="deadline">${t('enrol.answerBy', { date: fmt.date(e.consentDeadline, zone) })}</p>` : ''}
<form method="post" action="/counter/visits/${visit.visitId}/enrolments/${e.id}" novalidate>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
${attestationFields(ctx, `e${e.id}-`, {}, errorsFor(e.id))}
<div class="actions">
<button type="submit" name="answer" value="consent" aria-label="${`${t('counter.approve')}: ${e.courseTitle}`}">${t('counter.approve')}</button>
<button type="submit" name="answer" value="decline" class="secondary" aria-label="${`${t('counter.decline')}: ${e.courseTitle}`}">${t('counter.decline')}</button>
</div>
</form>
</li>`;
        };
        const line = (m: (typeof history.result.items)[number]) => {
          const sign = (movementSigns as readonly string[]).includes(m.sign) ? (m.sign as MovementSign) : 'other';
          const plus = signAddsCredit(sign);
          return html`<tr>
<td>${fmt.date(m.at, timeZoneOfCurrency(m.currency))}</td>
<td><span class="tag ${plus ? 'plus' : 'minus'}">${t(`sign.${sign}` as MessageKey)}</span> ${t(movementKey(m, sign), { course: m.courseTitle ?? t('movement.aCourse'), scheme: m.schemeName })}${m.counterOfficer ? html`<br>${t('counter.history.atCounter', { officer: m.counterOfficer })}` : ''}</td>
<td class="amount">${plus ? '+' : '−'}${fmt.money(m.amount, m.currency)}</td>
</tr>`;
        };
        const totals = account.result.totals;
        return {
          title: summaryErrors.length > 0 ? t('counter.error.titled', { page: t('counter.visit.title', { name: learner.fullName ?? '' }) }) : t('counter.visit.title', { name: learner.fullName ?? '' }),
          body: html`${errorSummary(ctx, summaryErrors)}
<h1>${t('counter.visit.title', { name: learner.fullName ?? '' })}</h1>
<dl class="summary">
<dt>${t('counter.visit.nationalId')}</dt><dd>${learner.nationalIdMasked ?? ''}</dd>
<dt>${t('counter.visit.until')}</dt><dd>${time}</dd>
</dl>
${notice}
<h2>${t('counter.credit')}</h2>
${totals.length === 0 ? html`<p>${t('counter.credit.none')}</p>` : totals.map((x) => html`<p class="lead"><strong>${t('counter.credit.total', { amount: fmt.money(x.available, x.currency) })}</strong></p>`)}
${account.result.grants.length > 0 ? html`<ul class="cards">${account.result.grants.map((g) => html`<li class="card">
<h3>${g.schemeName}</h3>
<p class="figure">${fmt.money(g.available, g.currency)}</p>
<p>${g.status !== 'active' ? t(g.status === 'revoked' ? 'credit.closed.revoked' : 'credit.closed.expired') : g.expiresAt ? t('credit.expires', { date: fmt.date(g.expiresAt, timeZoneOfCurrency(g.currency)) }) : t('credit.noExpiry')}</p>
${g.firstUseDeadline ? html`<p class="deadline">${t('credit.firstUse', { date: fmt.date(g.firstUseDeadline, timeZoneOfCurrency(g.currency)) })}</p>` : ''}
</li>`)}</ul>` : ''}
<h2>${t('counter.waiting')}</h2>
${waiting.length === 0 ? html`<p>${t('counter.noneWaiting')}</p>` : html`<p>${t('counter.waitingHint')}</p><ul class="cards">${waiting.map(request)}</ul>`}
<h2>${t('counter.check.title')}</h2>
<p>${t('counter.check.lead')}</p>
${checkForm(ctx, visit.visitId)}
<h2>${t('counter.history')}</h2>
${history.result.items.length === 0 ? html`<p>${t('history.empty')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="counter-history-caption"><table>
<caption id="counter-history-caption">${t('counter.history.caption')}</caption>
<thead><tr><th scope="col">${t('history.date')}</th><th scope="col">${t('history.what')}</th><th scope="col" class="amount">${t('history.amount')}</th></tr></thead>
<tbody>${history.result.items.map(line)}</tbody></table></div>`}
<p><a href="/counter">${t('counter.another')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/counter/visits/:visitId/courses', roles: ['counter'],
      async handler(ctx) {
        const { t, fmt, req } = ctx;
        const visit = await visitOr(ctx);
        if (!('visitId' in visit)) return visit;
        const learner = await getLearner(db, visit.learnerId);
        const q = z.string().trim().min(1).max(100).optional().safeParse(req.query.q || undefined);
        const caller = { db, principal: ctx.principal!, requestId: ctx.requestId };
        const withRuns = await coursesWithUpcomingRuns(courses, caller, q.success ? q.data : undefined, deps.clock.now());
        const back = `/counter/visits/${visit.visitId}`;
        return {
          title: t('counter.check.for', { name: learner.fullName ?? '' }),
          body: html`<h1>${t('counter.check.for', { name: learner.fullName ?? '' })}</h1>
${checkForm(ctx, visit.visitId, q.success ? (q.data ?? '') : '')}
<h2>${t('courses.results')}</h2>
${withRuns.length === 0 ? html`<p>${t('courses.none')}</p>` : html`<ul class="cards">${withRuns.map(({ course, runs }) => html`<li class="card">
<h3>${course.title}</h3>
${runs.length === 0 ? html`<p>${t('courses.noRuns')}</p>` : html`<ul>${runs.map((r) => {
            const date = fmt.date(r.startsAt, timeZoneOfCurrency(r.currency));
            return html`<li>${t('courses.run', { date, amount: fmt.money(r.fee, r.currency) })}<br>
<a href="${back}/runs/${r.id}">${t('counter.check.link')}<span class="visually-hidden"> – ${t('counter.check.linkFor', { course: course.title, date })}</span></a></li>`;
          })}</ul>`}
</li>`)}</ul>`}
<p><a href="${back}">${t('counter.check.back')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/counter/visits/:visitId/runs/:runId', roles: ['counter'],
      async handler(ctx) {
        const { t } = ctx;
        const runId = z.uuid().safeParse(ctx.req.params.runId);
        const visit = await visitOr(ctx);
        if (!('visitId' in visit)) return visit;
        if (!runId.success) return notFoundPage(ctx);
        // The same per-caller limit and the same service call as GET /v1/counter/visits/{visitId}/eligibility.
        await deps.rateLimiter?.consume('eligibility', ctx.principal!);
        const [learner, { result }] = await Promise.all([getLearner(db, visit.learnerId), counterEligibility(services, db, visit.visitId, runId.data, acting(ctx))]);
        const back = `/counter/visits/${visit.visitId}`;
        return {
          title: t('counter.elig.title', { name: learner.fullName ?? '' }),
          body: html`<h1>${t('counter.elig.title', { name: learner.fullName ?? '' })}</h1>
${eligibilityDecision(ctx, result, { yes: 'counter.elig.yes', no: 'counter.elig.no', funded: 'counter.elig.funded', coPay: 'counter.elig.coPay' })}
<p><a href="${back}/courses">${t('counter.check.another')}</a></p>
<p><a href="${back}">${t('counter.check.back')}</a></p>`,
        };
      },
    }),

    definePage({
      method: 'post', path: '/counter/visits/:visitId/enrolments/:enrolmentId', roles: ['counter'],
      async handler(ctx) {
        const form = ctx.req.body as Record<string, unknown>;
        const visitId = z.uuid().safeParse(ctx.req.params.visitId);
        const enrolmentId = z.uuid().safeParse(ctx.req.params.enrolmentId);
        if (!visitId.success) return { redirect: '/counter', status: 303 };
        const back = `/counter/visits/${visitId.data}`;
        const answer = form.answer === 'decline' ? 'decline' : form.answer === 'consent' ? 'consent' : undefined;
        if (!enrolmentId.success || !answer) return { redirect: `${back}?refused=not_found:`, status: 303 };
        const attestation = attestationBody.safeParse({ learnerPresent: ticked(form.learnerPresent), identityCheck: text(form.identityCheck) });
        if (!attestation.success) {
          const missing = [...new Set(attestation.error.issues.map((i) => String(i.path[0])))].join(',');
          return { redirect: `${back}?failed=${enrolmentId.data}&missing=${encodeURIComponent(missing)}#e${enrolmentId.data}`, status: 303 };
        }
        // The same service call, key table and semantics as POST /v1/counter/visits/{visitId}/enrolments/{enrolmentId}/consent (or /decline).
        const outcome = await runOnce(
          once(ctx),
          { principal: ctx.principal!, key: form.idempotencyKey, method: 'POST', apiPath: `/v1/counter/visits/${visitId.data}/enrolments/${enrolmentId.data}/${answer}` },
          async (tx) => {
            const act = answer === 'consent' ? consentAtCounter : declineAtCounter;
            const r = await act(services, tx, visitId.data, enrolmentId.data, attestation.data, acting(ctx));
            return { amount: r.reserved, currency: r.currency };
          },
        );
        if (!outcome.ok) {
          const reasons = (outcome.problem as { reasons?: unknown }).reasons;
          return { redirect: `${back}?refused=${encodeURIComponent(`${outcome.problem.code}:${Array.isArray(reasons) ? reasons.join(',') : ''}`)}`, status: 303 };
        }
        if (answer === 'decline') return { redirect: `${back}?done=declined`, status: 303 };
        return { redirect: `${back}?done=approved&amount=${String(outcome.body.amount)}&currency=${String(outcome.body.currency)}`, status: 303 };
      },
    }),
  ];
}
