import { accountView } from '../../modules/accounts/accounts.service.js';
import { searchClaims, type ClaimRow } from '../../modules/claims/claims.service.js';
import { holdsOf } from '../../modules/claims/holds.js';
import { learnerEnrolmentsOverview } from '../../modules/enrolments/enrolments.service.js';
import type { Principal } from '../../lib/principal.js';
import { html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { moduleStateKeys, stepKeys, track, trackModular, type StepState } from './tracker.js';

const learnerOf = (p: Principal | undefined): string => {
  if (p?.role !== 'citizen') throw new Error('the tracker is declared for the citizen role only');
  return p.learnerId;
};

const stateKeys: Record<StepState, MessageKey> = {
  done: 'track.state.done', current: 'track.state.current', todo: 'track.state.todo', stopped: 'track.state.stopped',
};

/** The region the enhancement refreshes: it asks for this same page with ?fragment=tracker. */
export const TRACKER_FRAGMENT = '/tracker?fragment=tracker';

/** The live tracker: every enrolment of the learner and its latest claim (per module, on a modular course), step by step, with why and what comes next. */
export function trackerPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;

  async function region(ctx: PageContext) {
    const { t, fmt } = ctx;
    const learnerId = learnerOf(ctx.principal);
    const enrolments = await learnerEnrolmentsOverview(db, learnerId, 50);
    // Newest first: the first claim seen for an enrolment (for a modular course, for each of its modules) is its latest.
    const claims = await searchClaims(db, { learnerId, limit: 200 });
    const latest = new Map<string, Map<number, ClaimRow>>();
    for (const c of claims) {
      const mine = latest.get(c.enrolmentId) ?? new Map<number, ClaimRow>();
      if (!mine.has(c.moduleOrdinal)) mine.set(c.moduleOrdinal, c);
      latest.set(c.enrolmentId, mine);
    }
    const holds = await holdsOf(db, [...latest.values()].flatMap((m) => [...m.values()].map((c) => c.id)), 'citizen');
    const tracked = enrolments.map((e) => {
      const mine = latest.get(e.id) ?? new Map<number, ClaimRow>();
      if (e.courseModules.length > 0) return { e, claim: undefined, state: trackModular(e, e.courseModules, mine, holds) };
      const claim = mine.get(0);
      return { e, claim, state: { ...track(e, claim, (claim && holds.get(claim.id)) ?? null), modules: [] } };
    });
    const live = tracked.some((x) => !x.state.final);
    const body = tracked.map(({ e, claim, state }) => {
      const zone = timeZoneOfCurrency(e.currency);
      return html`<li class="card track" id="enrolment-${e.id}">
<h2>${e.courseTitle}</h2>
<p>${t('track.run', { provider: e.providerName, date: fmt.date(e.runStartsAt, zone) })}</p>
<ol class="stepper">${state.steps.map((s) => html`<li class="step ${s.state}"${s.state === 'current' ? html` aria-current="step"` : ''}><span class="visually-hidden">${t(stateKeys[s.state])}: </span>${t(s.state === 'stopped' ? (s.step === 'review' ? 'track.step.refused' : 'track.step.stopped') : stepKeys[s.step])}${s.at ? html` <span class="when">${fmt.date(s.at, zone)}</span>` : ''}</li>`)}</ol>
${claim ? html`<p>${t('track.claimed', { amount: fmt.money(claim.amountClaimed, claim.currency) })}</p>` : ''}
${state.modules.length > 0 ? html`<h3>${t('track.modules')}</h3>
<ul class="modules">${state.modules.map((m) => html`<li class="module ${m.state}"><strong>${t('track.module.line', { ordinal: m.ordinal, title: m.title })}</strong>: ${t(moduleStateKeys[m.state])}${m.claim && m.state !== 'refused' ? html` (${fmt.money(m.claim.amountClaimed, m.claim.currency)})` : ''}${m.why.length > 0 ? html`<ul class="reasons">${m.why.map((k) => html`<li>${t(k)}</li>`)}</ul>` : ''}</li>`)}</ul>` : ''}
${state.why.length > 0 ? html`<ul class="reasons">${state.why.map((k) => html`<li>${t(k)}</li>`)}</ul>` : ''}
${state.next ? html`<p class="deadline">${t(state.next.key, { date: fmt.date(state.next.at, zone) })}</p>` : ''}
</li>`;
    });
    return html`<div id="tracker" class="tracker"${live ? html` data-refresh="${TRACKER_FRAGMENT}"` : ''}>
${tracked.length === 0 ? html`<p>${t('track.none')}</p>` : html`<ul class="cards tracks">${body}</ul>`}
<p class="hint">${t(live ? 'track.live' : 'track.final', { time: new Intl.DateTimeFormat(ctx.lang, { timeStyle: 'short', timeZone: timeZoneOfCurrency(enrolments[0]?.currency ?? 'SGD') }).format(deps.clock.now()) })}</p>
</div>`;
  }

  return [
    definePage({
      method: 'get', path: '/tracker', roles: ['citizen'],
      async handler(ctx) {
        const { t, fmt } = ctx;
        if (ctx.req.query.fragment === 'tracker') return { raw: await region(ctx), type: 'html' };
        const account = await accountView(db, deps.clock, learnerOf(ctx.principal));
        const firstUse = (account?.grants ?? []).filter((g) => g.firstUseDeadline);
        return {
          title: t('track.title'),
          body: html`<h1>${t('track.title')}</h1>
<p class="lead">${t('track.lead')}</p>
${firstUse.map((g) => html`<p class="deadline">${t('track.next.firstUse', { scheme: g.schemeName, date: fmt.date(g.firstUseDeadline!, timeZoneOfCurrency(g.currency)) })}</p>`)}
<div aria-live="polite">${await region(ctx)}</div>`,
        };
      },
    }),
  ];
}
