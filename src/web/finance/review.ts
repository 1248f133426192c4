import { samePerson } from '../../modules/acting.js';
import { z } from 'zod';
import { latestProposalsOf } from '../../modules/approvals/approvals.service.js';
import { holdReasonCodes, type HoldReasonCode } from '../../modules/claims/hold-reasons.js';
import { claimsById, decideClaim, REVIEW_DECISION, type ClaimRow } from '../../modules/claims/claims.service.js';
import { collect, holdList, type HoldItem } from '../../modules/reports/reports.service.js';
import type { ApprovalRow } from '../../modules/approvals/approvals.repo.js';
import { html, type Html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { errorSummary, fieldError, formGuards, officerRuns, outcomeNotice, refusedRedirect, textField, type FieldError } from './forms.js';

export const holdKeys: Record<`fin.hold.${HoldReasonCode}`, true> = {
  'fin.hold.completed_before_run_end': true, 'fin.hold.provider_claim_burst': true, 'fin.hold.overlapping_completions': true,
  'fin.hold.held_for_review': true, 'fin.hold.flagged_by_officer': true, 'fin.hold.credential_revoked': true, 'fin.hold.provider_suspended': true,
};
const holdKey = (code: string): MessageKey =>
  ((holdReasonCodes as readonly string[]).includes(code) ? `fin.hold.${code}` : 'fin.hold.held_for_review') as MessageKey;

/** What this officer may do with a held claim: the four-eyes rule as the page shows it (the service checks it again). */
type Standing =
  | { can: 'decide'; approveOnly: boolean }
  | { can: 'second'; proposal: ApprovalRow }
  | { can: 'wait'; why: MessageKey; proposal?: ApprovalRow };

function standingOf(me: string, item: HoldItem, claim: ClaimRow, proposal: ApprovalRow | undefined): Standing {
  if (proposal?.status === 'pending') {
    if (samePerson(proposal.proposedBy, me)) return { can: 'wait', why: 'fin.review.youProposed', proposal };
    return { can: 'second', proposal };
  }
  if (samePerson(claim.flaggedBy, me)) return { can: 'wait', why: 'fin.review.youFlagged' };
  if (item.escalated && item.handledBy.some((h) => samePerson(h, me))) return { can: 'wait', why: 'fin.review.escalatedAway' };
  // A claim already approved and posted can only be released from its hold; reversing it is a clawback.
  return { can: 'decide', approveOnly: claim.status === 'approved' };
}

export function reviewPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;

  async function queue(ctx: PageContext, errors: FieldError[] = [], failed?: { claimId: string; reason: string }): Promise<PageReply> {
    const { t, fmt } = ctx;
    const me = ctx.principal!.subject;
    const items = await collect(holdList(db, deps.clock.now(), undefined));
    const shown = items.slice(0, 100);
    const ids = shown.map((i) => i.claimId);
    const [claims, proposals] = await Promise.all([claimsById(db, ids), latestProposalsOf(db, REVIEW_DECISION, ids)]);
    const rows = shown.flatMap((item) => {
      const claim = claims.get(item.claimId);
      return claim ? [{ item, claim, standing: standingOf(me, item, claim, proposals.get(item.claimId)) }] : [];
    });

    const decisionWords = (p: ApprovalRow) => {
      const payload = p.payload as { decision?: string; reason?: string };
      return t(payload.decision === 'reject' ? 'fin.review.proposedReject' : 'fin.review.proposedApprove', { who: p.proposedBy, reason: payload.reason ?? '' });
    };

    const actions = (r: (typeof rows)[number]): Html => {
      const id = r.item.claimId;
      const s = r.standing;
      if (s.can === 'wait') {
        return html`${s.proposal ? html`<p>${decisionWords(s.proposal)}</p>` : ''}<p class="deadline">${t(s.why)}</p>`;
      }
      if (s.can === 'second') {
        return html`<p>${decisionWords(s.proposal)}</p>
<div class="actions">
<form method="post" action="/finance/approvals/${s.proposal.id}/approve">${formGuards(ctx)}<button type="submit">${t('fin.review.second')}</button></form>
<form method="post" action="/finance/approvals/${s.proposal.id}/reject">${formGuards(ctx)}<input type="hidden" name="note" value="${t('fin.review.secondRefusedNote')}"><button type="submit" class="secondary">${t('fin.review.secondRefuse')}</button></form>
</div>`;
      }
      const mine = failed?.claimId === id;
      const reasonId = `reason-${id}`;
      const err = mine ? fieldError(ctx, errors, reasonId) : { message: '', attrs: '' };
      return html`<form method="post" action="/finance/claims/${id}/decision" class="decision">${formGuards(ctx)}
<fieldset><legend>${t('fin.review.decision')}</legend>
<div class="choice"><input type="radio" id="approve-${id}" name="decision" value="approve" checked><label for="approve-${id}">${t(s.approveOnly ? 'fin.review.release' : 'fin.review.approve')}</label></div>
${s.approveOnly ? '' : html`<div class="choice"><input type="radio" id="reject-${id}" name="decision" value="reject"><label for="reject-${id}">${t('fin.review.reject')}</label></div>`}
</fieldset>
<div class="field"><label for="${reasonId}">${t('fin.review.reason')}</label>${err.message}
<textarea id="${reasonId}" name="reason" rows="2" maxlength="1000"${err.attrs}>${mine ? failed.reason : ''}</textarea></div>
<button type="submit">${t('fin.review.submit')}</button>
</form>`;
    };

    return {
      status: errors.length > 0 ? 400 : 200,
      title: t('fin.review.title'),
      body: html`<h1>${t('fin.review.title')}</h1>
${errorSummary(ctx, errors)}
${outcomeNotice(ctx, { decided: 'fin.review.done.decided', proposed: 'fin.review.done.proposed', approved: 'fin.review.done.approved', rejected: 'fin.review.done.rejected' })}
<p class="lead">${t('fin.review.lead')}</p>
${rows.length === 0 ? html`<p>${t('fin.review.empty')}</p>` : html`<ul class="cards wide">${rows.map((r) => {
        const zone = timeZoneOfCurrency(r.item.currency);
        return html`<li class="card">
<h2 class="h3">${t('fin.review.claimOf', { provider: r.item.providerName, amount: fmt.money(BigInt(r.item.amount), r.item.currency) })}</h2>
<p><span class="tag">${t(r.item.claimStatus === 'approved' ? 'fin.review.statusHeld' : 'fin.review.statusInReview')}</span>${r.item.escalated ? html` <span class="tag">${t('fin.review.escalated')}</span>` : ''}</p>
<p>${t(holdKey(r.item.reasonCode))}</p>
${r.item.detail ? html`<p>${t('fin.review.detail', { detail: r.item.detail })}</p>` : ''}
<dl class="summary">
<dt>${t('fin.review.since')}</dt><dd>${fmt.date(r.item.since, zone)}</dd>
<dt>${t('fin.review.decideBy')}</dt><dd>${fmt.date(r.item.decideBy, zone)}${r.item.overdue ? html` <strong>${t('fin.review.overdue')}</strong>` : ''}</dd>
</dl>
${actions(r)}
</li>`;
      })}</ul>`}`,
    };
  }

  return [
    definePage({ method: 'get', path: '/finance/review', roles: ['finance'], handler: (ctx) => queue(ctx) }),

    definePage({
      method: 'post', path: '/finance/claims/:claimId/decision', roles: ['finance'],
      async handler(ctx) {
        const claimId = z.uuid().safeParse(ctx.req.params.claimId);
        if (!claimId.success) return { redirect: '/finance/review?refused=not_found', status: 303 };
        const decision = textField(ctx, 'decision') === 'reject' ? 'reject' : 'approve';
        const reason = textField(ctx, 'reason').trim();
        if (reason.length < 3 || reason.length > 1000) {
          return queue(ctx, [{ field: `reason-${claimId.data}`, key: 'fin.review.reasonMissing' }], { claimId: claimId.data, reason: textField(ctx, 'reason') });
        }
        // The same service call and key semantics as POST /v1/claims/{claimId}/decision.
        const outcome = await officerRuns(deps, ctx, `/v1/claims/${claimId.data}/decision`, async (tx, acting) => {
          const { approval } = await decideClaim(deps.services, tx, claimId.data, { decision, reason }, acting);
          return { proposed: approval !== undefined };
        });
        if (!outcome.ok) return refusedRedirect('/finance/review', outcome);
        return { redirect: `/finance/review?done=${outcome.body.proposed ? 'proposed' : 'decided'}`, status: 303 };
      },
    }),
  ];
}
