import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import { toBigInt, type Currency } from '../../lib/money.js';
import type { Ledger } from '../../ledger/ledger.js';
import { ensureSystemAccount } from '../../ledger/system-accounts.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { Acting } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import { findScheme } from '../schemes/schemes.repo.js';
import {
  claimIncentiveSlot, completionApproved, findLearnerPayable, heldIncentivesOf, incentiveBudgetAccountOf, incentiveTermsOf, incentivesOfLearner,
  insertIncentiveBudget, insertLearnerPayable, isRated, lockIncentiveOfEnrolment, markIncentiveReversed, markIncentiveWrittenOff, setIncentiveOutcome, writeOffFigures, type IncentiveRow,
  type LearnerIncentiveRow,
} from './incentives.repo.js';

/** Why an incentive is held: the stable codes a learner and finance read. */
export const INCENTIVE_BUDGET_SHORT = 'incentive_budget_short';
export const NO_PAYEE_ACCOUNT = 'no_payee_account';

/** The learner's incentive payable in a currency, created on first use. */
export async function ensureLearnerPayable(db: Db | Tx, ledger: Ledger, learnerId: string, currency: Currency): Promise<string> {
  const existing = await findLearnerPayable(db, learnerId, currency);
  if (existing) return existing;
  return inTransaction(db, async (tx) => {
    const accountId = newId();
    if (await insertLearnerPayable(tx, learnerId, currency, accountId)) {
      await ledger.createAccounts(tx, [{ id: accountId, currency, kind: 'learner_payable', ownerId: learnerId, limit: 'none' }]);
      return accountId;
    }
    const winner = await findLearnerPayable(tx, learnerId, currency);
    if (!winner) throw new Error(`learner payable for ${learnerId}/${currency} vanished after a conflict`);
    return winner;
  });
}

/** The scheme's incentive budget account (limited: never overdrawn), created with its first allocation. */
async function ensureIncentiveBudget(tx: Tx, ledger: Ledger, scheme: { id: string; currency: string }, at: Date): Promise<string> {
  const existing = await incentiveBudgetAccountOf(tx, scheme.id);
  if (existing) return existing;
  const accountId = newId();
  if (await insertIncentiveBudget(tx, scheme.id, accountId, at)) {
    await ledger.createAccounts(tx, [{ id: accountId, currency: scheme.currency as Currency, kind: 'incentive_budget', ownerId: scheme.id, limit: 'debits_must_not_exceed_credits' }]);
    return accountId;
  }
  return (await incentiveBudgetAccountOf(tx, scheme.id))!;
}

/**
 * Posts an incentive from the scheme's incentive budget to the learner's
 * payable. The budget account refuses to be overdrawn, under any
 * concurrency: then the incentive is held and nothing moves.
 */
async function postIncentive(deps: ServiceDeps, tx: Tx, incentive: IncentiveRow): Promise<'accrued' | 'held'> {
  const budget = await incentiveBudgetAccountOf(tx, incentive.schemeId);
  const now = deps.clock.now();
  if (!budget) {
    await setIncentiveOutcome(tx, incentive.id, { status: 'held', holdReason: INCENTIVE_BUDGET_SHORT });
    return 'held';
  }
  const payable = await ensureLearnerPayable(tx, deps.ledger, incentive.learnerId, incentive.currency as Currency);
  const [result] = await deps.ledger.createTransfers(tx, [{
    id: incentive.transferId, kind: 'posted', debitAccountId: budget, creditAccountId: payable, amount: incentive.amount, code: 'incentive', referenceId: incentive.id,
  }]);
  if (result === 'ok' || result === 'exists') {
    await setIncentiveOutcome(tx, incentive.id, { status: 'accrued', accruedAt: now });
    return 'accrued';
  }
  if (result === 'exceeds_credits') {
    await setIncentiveOutcome(tx, incentive.id, { status: 'held', holdReason: INCENTIVE_BUDGET_SHORT });
    return 'held';
  }
  throw new Error(`the ledger refused incentive ${incentive.id}: ${result}`);
}

/**
 * The one place a learner's completion incentive comes into being. Called,
 * in the caller's transaction, whenever a claim is approved (at submission or
 * on a review decision) and when the learner rates the course: it creates the
 * incentive only when the enrolment's scheme offers one, the claim is
 * approved and, where the scheme asks, the course is rated. Exactly once per
 * (learner, enrolment): a unique index decides between concurrent callers.
 * A short incentive budget holds it, with its reason, instead of failing.
 */
export async function accrueIncentive(deps: ServiceDeps, tx: Tx, enrolmentId: string, acting: Acting): Promise<IncentiveRow | undefined> {
  const terms = await incentiveTermsOf(tx, enrolmentId);
  if (!terms) return undefined;
  if (!(await completionApproved(tx, enrolmentId))) return undefined;
  if (terms.requiresRating && !(await isRated(tx, enrolmentId))) return undefined;
  const now = deps.clock.now();
  const slot = await claimIncentiveSlot(tx, {
    id: newId(), learnerId: terms.learnerId, enrolmentId, schemeId: terms.schemeId, currency: terms.currency, amount: terms.amount,
    status: 'held', holdReason: 'accruing', transferId: newId(), createdAt: now,
  });
  if (!slot) return undefined;
  const outcome = await postIncentive(deps, tx, slot);
  await recordAudit(tx, {
    ...acting, action: `incentive.${outcome}`, entityType: 'incentive', entityId: slot.id, at: now,
    details: { enrolmentId, schemeId: terms.schemeId, amount: terms.amount.toString(), currency: terms.currency, ...(outcome === 'held' ? { reason: INCENTIVE_BUDGET_SHORT } : {}) },
  });
  return slot;
}

/**
 * Why the enrolment's claim cannot be reversed now because of its incentive:
 * it is in a proposed batch, which would pay it, or on its way to the bank,
 * where it may yet come back (returned) and be owed again.
 */
export async function incentiveBlockingReversal(tx: Tx, enrolmentId: string): Promise<string | undefined> {
  const incentive = await lockIncentiveOfEnrolment(tx, enrolmentId);
  if (incentive?.line_status === 'proposed') {
    return `the learner's completion incentive is in proposed batch ${incentive.message_id}: reject that batch first, then reverse the claim`;
  }
  if (incentive?.line_status === 'pending') {
    return `the learner's completion incentive is on its way to the bank in batch ${incentive.message_id}: once the statement shows it paid or returned, reverse the claim`;
  }
  return undefined;
}

/** The named reason a paid incentive is written off when its claim is reversed. */
export const INCENTIVE_PAID_BEFORE_REVERSAL = 'incentive_paid_before_reversal';

/**
 * A reversed claim takes back its completion incentive, in the reversal's
 * transaction. One in no live payment line is cancelled (reversed) and, if
 * it had accrued, its money goes back from the learner's payable to the
 * scheme's incentive budget. One the bank has paid is written off: the
 * learner keeps it and the loss is recorded with its reason, for finance's
 * incentive write-off report. The learner is not asked to pay it back
 * (README, "Claim reversal knock-ons", says why); no money moves, so the
 * books stay as they were, and the write-off is what explains them.
 */
export async function reverseIncentiveOf(deps: ServiceDeps, tx: Tx, enrolmentId: string, acting: Acting): Promise<'none' | 'reversed' | 'written_off'> {
  const incentive = await lockIncentiveOfEnrolment(tx, enrolmentId);
  if (!incentive || incentive.status === 'reversed' || incentive.status === 'written_off') return 'none';
  const now = deps.clock.now();
  if (incentive.line_status === 'settled') {
    await markIncentiveWrittenOff(tx, incentive.id, now, INCENTIVE_PAID_BEFORE_REVERSAL);
    await recordAudit(tx, {
      ...acting, action: 'incentive.written_off', entityType: 'incentive', entityId: incentive.id, at: now,
      details: { enrolmentId, schemeId: incentive.scheme_id, amount: incentive.amount.toString(), currency: incentive.currency, reason: INCENTIVE_PAID_BEFORE_REVERSAL },
    });
    return 'written_off';
  }
  if (incentive.line_status !== null) throw new Error(`incentive ${incentive.id} is on a ${incentive.line_status} line: the reversal should have been refused`);
  const transferId = incentive.status === 'accrued' ? newId() : undefined;
  if (transferId) {
    const budget = await incentiveBudgetAccountOf(tx, incentive.scheme_id);
    const payable = await findLearnerPayable(tx, incentive.learner_id, incentive.currency as Currency);
    if (!budget || !payable) throw new Error(`accrued incentive ${incentive.id} has no incentive budget or learner payable`);
    await deps.ledger.commit(tx, [
      { id: transferId, kind: 'posted', debitAccountId: payable, creditAccountId: budget, amount: incentive.amount, code: 'incentive_reversal', referenceId: incentive.id },
    ]);
  }
  await markIncentiveReversed(tx, incentive.id);
  await recordAudit(tx, {
    ...acting, action: 'incentive.reversed', entityType: 'incentive', entityId: incentive.id, at: now,
    details: { enrolmentId, schemeId: incentive.scheme_id, amount: incentive.amount.toString(), currency: incentive.currency, was: incentive.status, ...(transferId ? { transferId } : {}) },
  });
  return 'reversed';
}

/** Incentives written off per scheme and currency, written off by asOf: what the books lost to reversals after payment. */
export async function incentiveWriteOffs(db: Db | Tx, asOf: Date) {
  const rows = await writeOffFigures(db, asOf);
  return rows.map((r) => ({ schemeId: r.scheme_id, schemeName: r.scheme_name, currency: r.currency, incentives: r.incentives, amount: r.amount, reason: r.reason }));
}

/** Incentives held for want of budget are retried, oldest first, until the budget runs short again. Returns how many were accrued. */
async function retryHeldIncentives(deps: ServiceDeps, tx: Tx, schemeId: string, acting: Acting): Promise<number> {
  let accrued = 0;
  for (const incentive of await heldIncentivesOf(tx, schemeId, 1000)) {
    if (incentive.holdReason !== INCENTIVE_BUDGET_SHORT) continue;
    if ((await postIncentive(deps, tx, incentive)) === 'held') break;
    accrued += 1;
    await recordAudit(tx, {
      ...acting, action: 'incentive.accrued', entityType: 'incentive', entityId: incentive.id, at: deps.clock.now(),
      details: { enrolmentId: incentive.enrolmentId, schemeId, amount: incentive.amount.toString(), currency: incentive.currency, afterHold: true },
    });
  }
  return accrued;
}

/** Figures of a scheme's incentive budget from the ledger: what came in, what went to learners, what is left. */
export async function incentiveBudgetFigures(db: Db | Tx, schemeId: string) {
  const accountId = await incentiveBudgetAccountOf(db, schemeId);
  if (!accountId) return { allocated: 0n, accrued: 0n, available: 0n };
  const r = await db.execute<{ allocated: string; accrued: string; available: string }>(sql`
    select coalesce((select sum(amount) from ledger_credits_of(${accountId}) where code = 'incentive_allocation'), 0)::text allocated,
           coalesce((select sum(amount) from ledger_debits_of(${accountId}) where code = 'incentive'), 0)::text accrued,
           (select ledger_available(credits_posted, debits_posted, debits_pending)::text from ledger_balance(${accountId})) available`);
  const row = r.rows[0]!;
  return { allocated: toBigInt(row.allocated), accrued: toBigInt(row.accrued), available: toBigInt(row.available) };
}

/** Treasury -> the scheme's incentive budget, one posted transfer, audited; incentives held for want of budget are then retried. */
export async function allocateIncentiveBudget(deps: ServiceDeps, db: Db | Tx, schemeId: string, amount: bigint, note: string | undefined, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const scheme = await findScheme(tx, schemeId);
    if (!scheme) throw notFound('scheme');
    if (scheme.status !== 'active') throw new AppError('invalid_state', 'the scheme is closed');
    const now = deps.clock.now();
    const treasury = await ensureSystemAccount(tx, deps.ledger, 'treasury', scheme.currency as Currency);
    const budget = await ensureIncentiveBudget(tx, deps.ledger, scheme, now);
    const transferId = newId();
    await deps.ledger.commit(tx, [
      { id: transferId, kind: 'posted', debitAccountId: treasury, creditAccountId: budget, amount, code: 'incentive_allocation', referenceId: schemeId },
    ]);
    await recordAudit(tx, {
      ...acting, action: 'scheme.incentive_budget_allocated', entityType: 'scheme', entityId: schemeId, at: now,
      details: { transferId, amount: amount.toString(), currency: scheme.currency, ...(note ? { note } : {}) },
    });
    const released = await retryHeldIncentives(deps, tx, schemeId, acting);
    return { transferId, scheme, released, budget: await incentiveBudgetFigures(tx, schemeId) };
  });
}

export type IncentiveStatus = 'accrued' | 'in_batch' | 'paid' | 'returned' | 'reversed' | `held:${string}`;

/**
 * What became of an incentive, from its row and the payment line carrying
 * it: held (with why), accrued (owed, waiting for a batch), in_batch, paid,
 * returned by the bank (owed again: it goes into the next batch), or reversed
 * with its claim before it was paid out.
 */
export function incentiveStatusOf(r: Pick<LearnerIncentiveRow, 'status' | 'hold_reason' | 'line_status' | 'returned' | 'has_payee'>): IncentiveStatus {
  if (r.status === 'reversed') return 'reversed';
  if (r.status === 'held') return `held:${r.hold_reason ?? INCENTIVE_BUDGET_SHORT}`;
  if (r.line_status === 'settled') return 'paid';
  if (r.line_status === 'proposed' || r.line_status === 'pending') return 'in_batch';
  if (r.returned) return 'returned';
  if (!r.has_payee) return `held:${NO_PAYEE_ACCOUNT}`;
  return 'accrued';
}

const iso = (s: string | null) => (s === null ? null : new Date(s).toISOString());

/** A learner's incentives, newest first, each with its status in words a learner reads. */
export async function learnerIncentives(db: Db | Tx, learnerId: string, limit: number) {
  const rows = await incentivesOfLearner(db, learnerId, limit);
  return rows.map((r) => ({
    id: r.id, enrolmentId: r.enrolment_id, schemeId: r.scheme_id, schemeName: r.scheme_name, course: r.course_title,
    amount: r.amount, currency: r.currency, status: incentiveStatusOf(r),
    accruedAt: iso(r.accrued_at), paidAt: r.line_status === 'settled' ? iso(r.paid_at) : null, createdAt: iso(r.created_at)!,
  }));
}
