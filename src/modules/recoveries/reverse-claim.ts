import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { claims, recoveries, type ReversalReasonCode } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import type { ApprovalRow } from '../approvals/approvals.repo.js';
import { propose, type ApprovalKind } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { recordEvent } from '../events/outbox.js';
import { findClaim, type ClaimRow } from '../claims/claims.repo.js';
import { refuseEscalatedHandler } from '../claims/holds.js';
import { incentiveBlockingReversal, reverseIncentiveOf } from '../incentives/incentives.service.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import type { Acting } from '../acting.js';
import { lockLearner } from '../enrolments/enrolments.repo.js';
import { reconsiderPathwaysAfterReversal } from '../pathways/revoke-on-reversal.js';
import { ensureProviderPayable } from '../providers/providers.service.js';
import { ensureProviderReceivable, type RecoveryRow } from './recoveries.repo.js';

export const CLAIM_REVERSAL = 'claim.reversal';

export interface ReversalInput {
  reasonCode: ReversalReasonCode;
  reason: string;
}

/** The reference a provider quotes when it refunds a recovery: 35 characters, as bank references allow. */
export const recoveryReferenceOf = (recoveryId: string) => `LCR${recoveryId.replace(/-/g, '')}`;

/** Why this claim cannot be reversed now, by this person, if it cannot. */
async function refuseIrreversible(tx: Tx, claim: ClaimRow, acting: Acting): Promise<void> {
  // An escalated hold goes to a fresh officer: who handled it cannot end it by reversing the claim either.
  await refuseEscalatedHandler(tx, claim, acting);
  if (claim.status !== 'approved' && claim.status !== 'paid') {
    throw new AppError('invalid_state', `a ${claim.status} claim cannot be reversed: only approved or paid claims moved money`);
  }
  const incentiveInBatch = await incentiveBlockingReversal(tx, claim.enrolmentId);
  if (incentiveInBatch) throw new AppError('invalid_state', incentiveInBatch);
  if (claim.status === 'paid') return;
  const live = (await tx.execute<{ status: string; message_id: string }>(sql`
    select l.status, b.message_id from payment_line_claims plc join payment_lines l on l.id = plc.line_id join disbursement_batches b on b.id = l.batch_id
     where plc.claim_id = ${claim.id} and plc.live = 1`)).rows[0];
  if (live?.status === 'proposed') {
    throw new AppError('invalid_state', `the claim is in proposed batch ${live.message_id}: reject that batch first, then reverse the claim`);
  }
  if (live) {
    throw new AppError('invalid_state', `the claim's payment is on its way to the bank in batch ${live.message_id}: once the statement shows it paid, reverse it and it becomes a recovery`);
  }
}

interface PaidLeg {
  amount: bigint;
  grantId: string;
  grantOpen: boolean;
  budgetAccountId: string;
}

/** The legs the claim's approval posted (its module's alone, for a milestone claim), with where each may go back to. */
async function paidLegs(tx: Tx, claim: Pick<ClaimRow, 'enrolmentId' | 'moduleOrdinal'>, now: Date): Promise<PaidLeg[]> {
  const r = await tx.execute<{ amount: string; grant_id: string; open: boolean; budget_account_id: string }>(sql`
    select t.amount::text, er.grant_id, s.budget_account_id,
           (g.status = 'active' and not g.settled and (g.expires_at is null or g.expires_at > ${now.toISOString()}::timestamptz)) as open
      from enrolment_reservations er
      cross join lateral ledger_closings_of(er.transfer_id) t
      join grants g on g.id = er.grant_id
      join schemes s on s.id = er.scheme_id
     where er.enrolment_id = ${claim.enrolmentId} and er.module_ordinal = ${claim.moduleOrdinal} and t.kind = 'post_pending' and t.code = 'claim_payment'
     order by grant_spending_order(g.expires_at, g.granted_at, g.id)`);
  return r.rows.map((x) => ({ amount: BigInt(x.amount), grantId: x.grant_id, grantOpen: x.open, budgetAccountId: x.budget_account_id }));
}

/**
 * Puts a claim's money back where it came from: each leg returns to the
 * learner's grant, or to the scheme when that grant has closed since. An
 * unpaid claim is taken back from the provider's payable (a clawback); a
 * paid one from a receivable the provider now owes (a recovery). The
 * learner's completion incentive goes with it while it has not been paid
 * out, and is written off once it has. A pathway the claim's course
 * completed is judged again without it: revoked, with its unspent bonus back
 * to the scheme, when its rule is no longer met. All of it in the caller's
 * transaction, so all of it happens or none.
 */
async function carryOutReversal(deps: ServiceDeps, tx: Tx, claim: ClaimRow, input: ReversalInput, acting: Acting, proposedBy?: string) {
  const now = deps.clock.now();
  const currency = claim.currency as Currency;
  // The learner's lock first, as reservations take it: the bonus taken back below is then not being spent meanwhile.
  await lockLearner(tx, claim.learnerId);
  const legs = await paidLegs(tx, claim, now);
  const total = legs.reduce((s, l) => s + l.amount, 0n);
  if (total !== claim.amountClaimed) throw new Error(`claim ${claim.id}: posted legs total ${total}, claimed ${claim.amountClaimed}`);
  const paid = claim.status === 'paid';
  const from = paid ? await ensureProviderReceivable(tx, deps.ledger, claim.providerId, currency) : await ensureProviderPayable(tx, deps.ledger, claim.providerId, currency);
  await deps.ledger.commit(
    tx,
    legs.map((leg, i) => ({
      id: newId(), kind: 'posted' as const, debitAccountId: from, creditAccountId: leg.grantOpen ? leg.grantId : leg.budgetAccountId, amount: leg.amount,
      code: leg.grantOpen ? 'claim_reversal' : 'claim_reversal_to_scheme', referenceId: claim.enrolmentId, linked: i < legs.length - 1,
    })),
  );
  let recovery: RecoveryRow | undefined;
  if (paid) {
    const id = newId();
    [recovery] = await tx.insert(recoveries).values({
      id, claimId: claim.id, providerId: claim.providerId, currency, amount: claim.amountClaimed, reference: recoveryReferenceOf(id),
      reasonCode: input.reasonCode, reason: input.reason, openedAt: now, openedBy: proposedBy ?? acting.actor.subject,
    }).returning();
    await recordEvent(tx, {
      type: 'recovery.opened', at: now, subject: { type: 'recovery', id }, learnerId: claim.learnerId, providerId: claim.providerId,
      data: {
        recoveryId: id, claimId: claim.id, enrolmentId: claim.enrolmentId, reference: recovery!.reference, status: 'open',
        amount: claim.amountClaimed.toString(), outstanding: claim.amountClaimed.toString(), currency, reasonCode: input.reasonCode,
      },
    });
  }
  const incentive = await reverseIncentiveOf(deps, tx, claim.enrolmentId, acting);
  const [row] = await tx.update(claims)
    .set({ status: 'reversed', reversedAt: now, reversalReasonCode: input.reasonCode, reversalReason: input.reason, reversedBy: acting.actor.subject })
    .where(eq(claims.id, claim.id)).returning();
  const pathways = await reconsiderPathwaysAfterReversal(deps, tx, { learnerId: claim.learnerId, claimId: claim.id, reasonCode: input.reasonCode }, acting);
  await recordAudit(tx, {
    ...acting, action: paid ? 'claim.recovery_opened' : 'claim.clawed_back', entityType: 'claim', entityId: claim.id, at: now,
    details: {
      amount: claim.amountClaimed.toString(), currency, reasonCode: input.reasonCode, reason: input.reason,
      toGrants: legs.filter((l) => l.grantOpen).reduce((s, l) => s + l.amount, 0n).toString(),
      toScheme: legs.filter((l) => !l.grantOpen).reduce((s, l) => s + l.amount, 0n).toString(),
      ...(recovery ? { recoveryId: recovery.id, reference: recovery.reference } : {}),
      incentive,
      pathways: pathways.map((p) => ({
        completionId: p.completionId, outcome: p.outcome,
        ...(p.bonus ? { bonusReturned: p.bonus.returned.toString(), bonusReserved: p.bonus.reserved.toString(), bonusSpentNotRecovered: p.bonus.spentNotRecovered.toString() } : {}),
      })),
      ...(proposedBy ? { proposedBy, approvedBy: acting.actor.subject } : {}),
    },
  });
  return { claim: row!, ...(recovery ? { recovery } : {}) };
}

/** Over the policy's amount for its currency (or with no amount set), a reversal takes a second officer. */
export const reversalNeedsSecondOfficer = (deps: ServiceDeps, claim: Pick<ClaimRow, 'amountClaimed' | 'currency'>): boolean => {
  const limit = policyOf(deps).fourEyesAbove[claim.currency];
  return limit === undefined || claim.amountClaimed > limit;
};

/**
 * Finance reverses an approved claim with a reason code: a clawback while
 * unpaid, a recovery once paid. Above the four-eyes amount it is proposed
 * for a second officer instead.
 */
export async function reverseClaim(
  deps: ServiceDeps, db: Db | Tx, claimId: string, input: ReversalInput, acting: Acting,
): Promise<{ claim: ClaimRow; recovery?: RecoveryRow; approval?: ApprovalRow }> {
  return inTransaction(db, async (tx) => {
    const claim = await findClaim(tx, claimId, { forUpdate: true });
    if (!claim) throw notFound('claim');
    await refuseIrreversible(tx, claim, acting);
    if (reversalNeedsSecondOfficer(deps, claim)) {
      const approval = await propose(deps, tx, {
        kind: CLAIM_REVERSAL, subjectType: 'claim', subjectId: claim.id, payload: { ...input },
        summary: `${claim.status === 'paid' ? 'recover' : 'claw back'} ${claim.amountClaimed} ${claim.currency} minor units of claim ${claim.id} (${input.reasonCode}): ${input.reason}`,
      }, acting);
      return { claim, approval };
    }
    return carryOutReversal(deps, tx, claim, input, acting);
  });
}

export const claimReversal: ApprovalKind = {
  kind: CLAIM_REVERSAL,
  approverRoles: ['finance'],
  async execute(deps, tx, approval, acting) {
    const claim = await findClaim(tx, approval.subjectId, { forUpdate: true });
    if (!claim) throw notFound('claim');
    await refuseIrreversible(tx, claim, acting);
    const done = await carryOutReversal(deps, tx, claim, approval.payload as unknown as ReversalInput, acting, approval.proposedBy);
    return { claimId: done.claim.id, status: done.claim.status, ...(done.recovery ? { recoveryId: done.recovery.id } : {}) };
  },
};
