import { randomUUID } from 'node:crypto';
import { enrolmentStatuses } from '../../db/schema/enrolments.js';
import { z } from 'zod';
import { actingOf } from '../../modules/acting.js';
import { accountView, learnerMovementsPage } from '../../modules/accounts/accounts.service.js';
import { signAddsCredit, movementSigns, type MovementSign } from '../../modules/accounts/describe-movement.js';
import { appealableGrants } from '../../modules/appeals/appeals.service.js';
import { coursesService } from '../../modules/courses/courses.service.js';
import { checkEligibility } from '../../modules/eligibility/eligibility.service.js';
import type { ReasonCode } from '../../modules/eligibility/eligibility.types.js';
import { consentToEnrolment, learnerEnds, learnerEnrolmentsOverview } from '../../modules/enrolments/enrolments.service.js';
import type { Principal } from '../../lib/principal.js';
import { html, type Html } from '../html.js';
import { staffHome } from '../home/staff-home.js';
import { appealOffer, appealsSection } from './appeals.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { runOnce } from '../once.js';
import { definePage, type PageContext, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';

export const learnerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'citizen') throw new Error('citizen pages are declared for the citizen role only');
  return p.learnerId;
};

/** The message of an eligibility reason code, in plain words; an unknown code is 'other'. */
export const reasonKey = (code: string): MessageKey => {
  const key = `reason.${code}`;
  return (key in reasonKeys ? key : 'reason.other') as MessageKey;
};
export const reasonKeys: Record<`reason.${ReasonCode}`, true> = {
  'reason.run_cancelled': true, 'reason.run_already_started': true, 'reason.run_full': true, 'reason.provider_suspended': true,
  'reason.already_enrolled': true, 'reason.no_grant_for_scheme': true, 'reason.scheme_closed': true, 'reason.currency_mismatch': true,
  'reason.citizenship_not_eligible': true, 'reason.age_out_of_band': true, 'reason.employment_status_not_eligible': true,
  'reason.income_group_not_eligible': true, 'reason.course_not_approved_for_scheme': true, 'reason.course_category_not_eligible': true,
  'reason.grant_expired': true, 'reason.first_use_deadline_passed': true, 'reason.insufficient_credit': true,
};

export { enrolmentStatuses };

/** The words of a history line: by its sign, except credit reinstated after an appeal, which says so. */
export const movementKey = (m: { code: string }, sign: MovementSign): MessageKey =>
  m.code === 'appeal_reinstatement' ? 'movement.appealReinstated' : (`movement.${sign}` as MessageKey);
const statusKey = (status: string): MessageKey =>
  ((enrolmentStatuses as readonly string[]).includes(status) ? `status.${status}` : 'reason.other') as MessageKey;

/** Why a consent or decline was refused, from `code:reason,reason` in the redirect: the eligibility reasons in words, when there are any. */
function refusalWords(ctx: PageContext, refused: string): string {
  const [code = '', list = ''] = refused.split(':');
  const reasons = list.split(',').filter((r) => `reason.${r}` in reasonKeys);
  if (reasons.length > 0) return reasons.map((r) => ctx.t(reasonKey(r))).join(' ');
  return ctx.t(code === 'insufficient_credit' ? 'reason.insufficient_credit' : 'reason.other');
}

/**
 * The notice an answer to an enrolment request redirects to
 * (`?done=approved&amount=&currency=`, `?done=declined`, `?refused=code:reasons`).
 * The citizen's own answer and the counter's answer for a learner tell it
 * the same way, each in its own voice (`words`).
 */
export function consentOutcomeNotice(ctx: PageContext, words: { approved: MessageKey; declined: MessageKey; refused: MessageKey }): Html | string {
  const { t, fmt, req } = ctx;
  const done = typeof req.query.done === 'string' ? req.query.done : undefined;
  const amount = typeof req.query.amount === 'string' && /^\d{1,18}$/.test(req.query.amount) ? BigInt(req.query.amount) : undefined;
  const currency = typeof req.query.currency === 'string' && /^[A-Z]{3}$/.test(req.query.currency) ? req.query.currency : undefined;
  const refused = typeof req.query.refused === 'string' ? req.query.refused.slice(0, 100) : undefined;
  if (done === 'approved' && amount !== undefined && currency) return html`<div class="notice success" role="status"><p>${t(words.approved, { amount: fmt.money(amount, currency) })}</p></div>`;
  if (done === 'declined') return html`<div class="notice success" role="status"><p>${t(words.declined)}</p></div>`;
  if (refused) return html`<div class="notice error" role="alert"><p>${t(words.refused, { why: refusalWords(ctx, refused) })}</p></div>`;
  return '';
}

/**
 * One eligibility decision in plain words: yes or no, the fee, what the
 * credit pays and the co-payment, and each reason it cannot. The citizen's
 * own check and the counter's check for a learner show it the same way,
 * each in its own voice (`words`).
 */
export function eligibilityDecision(
  ctx: PageContext, result: Awaited<ReturnType<typeof checkEligibility>>, words: { yes: MessageKey; no: MessageKey; funded: MessageKey; coPay: MessageKey },
): Html {
  const { t, fmt } = ctx;
  const c = result.plan.currency;
  const passed = result.checks.filter((x) => x.passed).length;
  return html`<div class="notice ${result.eligible ? 'success' : 'error'}"><p><strong>${t(result.eligible ? words.yes : words.no)}</strong></p></div>
<dl class="summary">
<dt>${t('elig.fee')}</dt><dd>${fmt.money(result.plan.fee, c)}</dd>
<dt>${t(words.funded)}</dt><dd>${fmt.money(result.plan.funded, c)}</dd>
<dt>${t(words.coPay)}</dt><dd>${fmt.money(result.plan.coPay, c)}</dd>
</dl>
${result.reasons.length > 0 ? html`<h2>${t('elig.why')}</h2><ul class="reasons">${[...new Set(result.reasons)].map((r) => html`<li>${t(reasonKey(r))}</li>`)}</ul>` : ''}
<p>${t('elig.passed', { count: passed })}</p>`;
}

/** Courses matching the words `q`, each with its next (up to three) scheduled runs that have not started: what a course search shows. */
export async function coursesWithUpcomingRuns(courses: ReturnType<typeof coursesService>, caller: Parameters<ReturnType<typeof coursesService>['listCourses']>[0], q: string | undefined, now: Date) {
  const found = await courses.listCourses(caller, { q, limit: 20 });
  return Promise.all(found.items.map(async (c) => ({
    course: c,
    runs: (await courses.listRuns(caller, c.id, { status: 'scheduled', limit: 5 })).items.filter((r) => r.startsAt > now).slice(0, 3),
  })));
}

export function citizenPages(deps: WebDeps): PageSpec[] {
  const services = deps.services;
  const db = services.database.db;
  const courses = coursesService(services);

  const landing = (ctx: PageContext) => ({
    title: ctx.t('signIn.title'),
    body: html`<h1>${ctx.t('signIn.title')}</h1>
<p class="lead">${ctx.t('signIn.lead')}</p>
<p><a class="button" href="/sign-in">${ctx.t('signIn.button')}</a></p>
<p>${ctx.t('signIn.hint')}</p>`,
  });

  async function credit(ctx: PageContext) {
    const { t, fmt } = ctx;
    const learnerId = learnerOf(ctx.principal);
    const view = await accountView(db, deps.clock, learnerId);
    const waiting = (await learnerEnrolmentsOverview(db, learnerId, 50)).filter((e) => e.status === 'requested').length;
    const grants = view?.grants ?? [];
    const totals = view?.totals ?? [];
    const appealable = await appealableGrants(db, learnerId, deps.clock.now());
    const grantCard = (g: (typeof grants)[number]) => {
      const zone = timeZoneOfCurrency(g.currency);
      const closed = g.status !== 'active';
      return html`<li class="card${closed ? ' closed' : ''}">
<h3>${g.schemeName}</h3>
<p class="figure">${fmt.money(g.available, g.currency)}</p>
<p>${closed ? t(g.status === 'revoked' ? 'credit.closed.revoked' : 'credit.closed.expired') : g.expiresAt ? t('credit.expires', { date: fmt.date(g.expiresAt, zone) }) : t('credit.noExpiry')}</p>
${g.firstUseDeadline ? html`<p class="deadline">${t('credit.firstUse', { date: fmt.date(g.firstUseDeadline, zone) })}</p>` : ''}
<dl class="summary">
<dt>${t('credit.available')}</dt><dd>${fmt.money(g.available, g.currency)}</dd>
<dt>${t('credit.reserved')}</dt><dd>${fmt.money(g.reserved, g.currency)}</dd>
<dt>${t('credit.spent')}</dt><dd>${fmt.money(g.spent, g.currency)}</dd>
<dt>${t('credit.granted')}</dt><dd>${fmt.money(g.amount, g.currency)}</dd>
</dl>
${closed ? appealOffer(ctx, g, appealable) : ''}
</li>`;
    };
    return {
      title: t('credit.title'),
      body: html`<h1>${t('credit.title')}</h1>
${waiting > 0 ? html`<div class="notice"><p>${t('credit.waiting')} <a href="/enrolments">${t('credit.waitingLink')}</a></p></div>` : ''}
${totals.length === 0 ? html`<p>${t('credit.none')}</p>` : totals.map((x) => html`<p class="lead"><strong>${t('credit.total', { amount: fmt.money(x.available, x.currency) })}</strong></p>`)}
${grants.length > 0 ? html`<h2>${t('credit.grants')}</h2><ul class="cards">${grants.map(grantCard)}</ul>` : ''}
${await appealsSection(deps, ctx, new Map(grants.map((g) => [g.grantId, g.schemeName])))}
<p><a href="/my-data">${t('myData.link')}</a></p>`,
    };
  }

  return [
    definePage({
      method: 'get', path: '/', roles: 'public',
      async handler(ctx) {
        if (!ctx.principal) return landing(ctx);
        if (ctx.principal.role === 'citizen') return credit(ctx);
        return staffHome(deps, ctx);
      },
    }),

    definePage({
      method: 'get', path: '/history', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt, req } = ctx;
        const cursor = z.string().max(500).optional().safeParse(req.query.cursor);
        const page = await learnerMovementsPage(db, learnerOf(ctx.principal), { cursor: cursor.success ? cursor.data : undefined, limit: 25 });
        const items = page?.items ?? [];
        const line = (m: (typeof items)[number]) => {
          const sign = (movementSigns as readonly string[]).includes(m.sign) ? (m.sign as MovementSign) : 'other';
          const course = m.courseTitle ?? t('movement.aCourse');
          const plus = signAddsCredit(sign);
          const amount = `${plus ? '+' : '−'}${fmt.money(m.amount, m.currency)}`;
          return html`<tr>
<td>${fmt.date(m.at, timeZoneOfCurrency(m.currency))}</td>
<td><span class="tag ${plus ? 'plus' : 'minus'}">${t(`sign.${sign}` as MessageKey)}</span> ${t(movementKey(m, sign), { course, scheme: m.schemeName })}${m.counterOfficer ? html`<br>${t('counter.history.atCounter', { officer: m.counterOfficer })}` : ''}</td>
<td class="amount">${amount}</td>
</tr>`;
        };
        return {
          title: t('history.title'),
          body: html`<h1>${t('history.title')}</h1>
${items.length === 0 ? html`<p>${t('history.empty')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="history-caption"><table>
<caption id="history-caption">${t('history.caption')}</caption>
<thead><tr><th scope="col">${t('history.date')}</th><th scope="col">${t('history.what')}</th><th scope="col" class="amount">${t('history.amount')}</th></tr></thead>
<tbody>${items.map(line)}</tbody></table></div>`}
${page?.nextCursor ? html`<p><a href="/history?cursor=${encodeURIComponent(page.nextCursor)}">${t('history.older')}</a></p>` : ''}`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/enrolments', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt, req, csrf } = ctx;
        const all = await learnerEnrolmentsOverview(db, learnerOf(ctx.principal), 50);
        const waiting = all.filter((e) => e.status === 'requested' && e.consentDeadline && e.consentDeadline > deps.clock.now());
        const others = all.filter((e) => !waiting.includes(e));
        const notice = consentOutcomeNotice(ctx, { approved: 'enrol.done.approved', declined: 'enrol.done.declined', refused: 'enrol.refused' });
        const request = (e: (typeof all)[number]) => {
          const zone = timeZoneOfCurrency(e.currency);
          const key = randomUUID();
          return html`<li class="card">
<h3>${t('enrol.request', { provider: e.providerName, course: e.courseTitle })}</h3>
<p>${t('courses.run', { date: fmt.date(e.runStartsAt, zone), amount: fmt.money(e.fee, e.currency) })}</p>
<dl class="summary">
<dt>${t('enrol.fee')}</dt><dd>${fmt.money(e.fee, e.currency)}</dd>
<dt>${t('enrol.funded')}</dt><dd>${fmt.money(e.funded, e.currency)}</dd>
<dt>${t('enrol.coPay')}</dt><dd>${fmt.money(e.coPay, e.currency)}</dd>
</dl>
${e.consentDeadline ? html`<p class="deadline">${t('enrol.answerBy', { date: fmt.date(e.consentDeadline, zone) })}</p>` : ''}
<div class="actions">
<form method="post" action="/enrolments/${e.id}/consent"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${key}">
<button type="submit" aria-label="${t('enrol.approveLabel', { course: e.courseTitle })}">${t('enrol.approve')}</button></form>
<form method="post" action="/enrolments/${e.id}/decline"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<button type="submit" class="secondary" aria-label="${t('enrol.declineLabel', { course: e.courseTitle })}">${t('enrol.decline')}</button></form>
</div>
</li>`;
        };
        return {
          title: t('enrol.title'),
          body: html`<h1>${t('enrol.title')}</h1>
${notice}
<h2>${t('enrol.waiting')}</h2>
${waiting.length === 0 ? html`<p>${t('enrol.noneWaiting')}</p>` : html`<ul class="cards">${waiting.map(request)}</ul>`}
<h2>${t('enrol.mine')}</h2>
${others.length === 0 ? html`<p>${t('enrol.none')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="mine-caption"><table>
<caption id="mine-caption" class="visually-hidden">${t('enrol.mine')}</caption>
<thead><tr><th scope="col">${t('enrol.course')}</th><th scope="col">${t('enrol.status')}</th><th scope="col" class="amount">${t('enrol.funded')}</th></tr></thead>
<tbody>${others.map((e) => html`<tr><td>${e.courseTitle}<br>${fmt.date(e.runStartsAt, timeZoneOfCurrency(e.currency))}</td><td>${t(statusKey(e.status))}</td><td class="amount">${fmt.money(e.status === 'reserved' ? e.reserved : e.funded, e.currency)}</td></tr>`)}</tbody>
</table></div>`}`,
        };
      },
    }),

    ...(['consent', 'decline'] as const).map((action) =>
      definePage({
        method: 'post', path: `/enrolments/:enrolmentId/${action}`, roles: ['citizen'],
        async handler(ctx) {
          const learnerId = learnerOf(ctx.principal);
          const enrolmentId = z.uuid().safeParse(ctx.req.params.enrolmentId);
          if (!enrolmentId.success) return { redirect: '/enrolments?refused=not_found', status: 303 };
          const acting = actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
          // The same service call, key table and semantics as POST /v1/me/enrolments/{id}/consent (or /decline).
          const outcome = await runOnce(
            { db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
            { principal: ctx.principal!, key: (ctx.req.body as Record<string, unknown>).idempotencyKey, method: 'POST', apiPath: `/v1/me/enrolments/${enrolmentId.data}/${action}` },
            async (tx) => {
              if (action === 'decline') {
                await learnerEnds(services, tx, learnerId, enrolmentId.data, 'decline', acting);
                return {};
              }
              const r = await consentToEnrolment(services, tx, learnerId, enrolmentId.data, acting);
              return { amount: r.legs.reduce((s, l) => s + l.amount, 0n), currency: r.row.currency };
            },
          );
          if (!outcome.ok) {
            const reasons = (outcome.problem as { reasons?: unknown }).reasons;
            return { redirect: `/enrolments?refused=${encodeURIComponent(`${outcome.problem.code}:${Array.isArray(reasons) ? reasons.join(',') : ''}`)}`, status: 303 };
          }
          if (action === 'decline') return { redirect: '/enrolments?done=declined', status: 303 };
          return { redirect: `/enrolments?done=approved&amount=${String(outcome.body.amount)}&currency=${String(outcome.body.currency)}`, status: 303 };
        },
      }),
    ),

    definePage({
      method: 'get', path: '/courses', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt, req } = ctx;
        const q = z.string().trim().min(1).max(100).optional().safeParse(req.query.q || undefined);
        const caller = { db, principal: ctx.principal!, requestId: ctx.requestId };
        const withRuns = await coursesWithUpcomingRuns(courses, caller, q.success ? q.data : undefined, deps.clock.now());
        return {
          title: t('courses.title'),
          body: html`<h1>${t('courses.title')}</h1>
<form method="get" action="/courses" class="search" role="search">
<div class="field"><label for="q">${t('courses.search')}</label><input type="search" id="q" name="q" value="${q.success ? (q.data ?? '') : ''}" maxlength="100"></div>
<div class="field"><button type="submit">${t('courses.submit')}</button></div>
</form>
<h2>${t('courses.results')}</h2>
${withRuns.length === 0 ? html`<p>${t('courses.none')}</p>` : html`<ul class="cards">${withRuns.map(({ course, runs }) => html`<li class="card">
<h3>${course.title}</h3>
${runs.length === 0 ? html`<p>${t('courses.noRuns')}</p>` : html`<ul>${runs.map((r) => {
            const date = fmt.date(r.startsAt, timeZoneOfCurrency(r.currency));
            return html`<li>${t('courses.run', { date, amount: fmt.money(r.fee, r.currency) })}<br>
<a href="/courses/runs/${r.id}" aria-label="${t('courses.checkLabel', { course: course.title, date })}">${t('courses.check')}</a></li>`;
          })}</ul>`}
</li>`)}</ul>`}`,
        };
      },
    }),

    definePage({
      method: 'get', path: '/courses/runs/:runId', roles: ['citizen'],
      async handler(ctx) {
        const { t } = ctx;
        const runId = z.uuid().safeParse(ctx.req.params.runId);
        if (!runId.success) return { status: 404, title: t('error.title'), body: html`<h1>${t('error.title')}</h1><p>${t('error.notFound')}</p>` };
        // The same per-caller limit as GET /v1/me/eligibility.
        await deps.rateLimiter?.consume('eligibility', ctx.principal!);
        const result = await checkEligibility(services, db, learnerOf(ctx.principal), runId.data);
        return {
          title: t('elig.title'),
          body: html`<h1>${t('elig.title')}</h1>
${eligibilityDecision(ctx, result, { yes: 'elig.yes', no: 'elig.no', funded: 'elig.funded', coPay: 'elig.coPay' })}
<p><a href="/courses">${t('elig.back')}</a></p>`,
        };
      },
    }),
  ];
}
