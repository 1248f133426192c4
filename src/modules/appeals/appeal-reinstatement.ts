import type { ApprovalKind } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { recordEvent } from '../events/outbox.js';
import { grantCredit } from '../grants/grants.service.js';
import { updateAppeal } from './appeals.repo.js';
import { APPEAL_REINSTATEMENT, lockOpenAppeal, reinstatableOf, type ReinstatementPayload } from './appeals.service.js';

/**
 * Four eyes on a reinstatement: the second officer's approval makes a new
 * grant of the proposed amount from the scheme's budget (transfer code
 * `appeal_reinstatement`, through the same grantCredit as any grant: its
 * expiry and first-use deadline from the scheme's rules now, unless the
 * proposal named an expiry). A new grant rather than the old one reopened:
 * the closed grant's history stays as it happened, the sweep never sees a
 * closed grant come back to life, and the new one gets its own dates. The
 * budget's own limit refuses an overspend (409 insufficient_budget), and the
 * whole approval rolls back with it.
 */
export const appealReinstatement: ApprovalKind = {
  kind: APPEAL_REINSTATEMENT,
  approverRoles: ['finance', 'admin'],
  async execute(deps, tx, approval, acting) {
    const payload = approval.payload as unknown as ReinstatementPayload;
    const appeal = await lockOpenAppeal(tx, payload.appealId, 'proposed');
    if (appeal.approvalId !== approval.id) throw new Error(`appeal ${appeal.id} is proposed under approval ${appeal.approvalId}, not ${approval.id}`);
    const amount = BigInt(payload.amount);
    await reinstatableOf(tx, appeal, amount);
    const grant = await grantCredit(deps, tx, {
      learnerId: appeal.learnerId, schemeId: appeal.schemeId, amount, expiresAt: payload.expiresAt, reason: `reinstated after appeal ${appeal.id}`,
      code: 'appeal_reinstatement',
    }, acting);
    const now = deps.clock.now();
    await updateAppeal(tx, appeal.id, { status: 'reinstated', reinstatedGrantId: grant.id, decidedAt: now, decidedBy: acting.actor.subject });
    await recordAudit(tx, {
      ...acting, action: 'appeal.reinstated', entityType: 'grant_appeal', entityId: appeal.id, at: now,
      details: {
        approvalId: approval.id, grantId: appeal.grantId, reinstatedGrantId: grant.id, amount: payload.amount, currency: appeal.currency,
        reasonCode: payload.reasonCode, proposedBy: approval.proposedBy, approvedBy: acting.actor.subject,
      },
    });
    await recordEvent(tx, {
      type: 'appeal.decided', at: now, subject: { type: 'grant_appeal', id: appeal.id }, learnerId: appeal.learnerId, schemeId: appeal.schemeId,
      data: { appealId: appeal.id, grantId: appeal.grantId, outcome: 'reinstated', reinstatedGrantId: grant.id, amount: payload.amount, currency: appeal.currency, reasonCode: payload.reasonCode },
    });
    return { appealId: appeal.id, status: 'reinstated', grantId: grant.id };
  },
  async reject(deps, tx, approval, acting) {
    const payload = approval.payload as unknown as ReinstatementPayload;
    const appeal = await lockOpenAppeal(tx, payload.appealId, 'proposed');
    // The appeal goes back to the queue, to be proposed again or rejected.
    await updateAppeal(tx, appeal.id, { status: 'open', approvalId: null, proposedAmount: null, reasonCode: null, decisionNote: null });
    await recordAudit(tx, {
      ...acting, action: 'appeal.reinstatement_refused', entityType: 'grant_appeal', entityId: appeal.id, at: deps.clock.now(),
      details: { approvalId: approval.id, grantId: appeal.grantId },
    });
  },
};
