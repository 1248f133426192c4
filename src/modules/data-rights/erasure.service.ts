import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import type { Acting } from '../acting.js';
import type { ApprovalRow } from '../approvals/approvals.repo.js';
import { propose, type ApprovalKind } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import { publishClosedEquityReports } from '../equity/published-equity-report.js';
import { erasePersonalData, learnersPastRetention, lockLearnerForErasure, openItemsOf } from './erasure.repo.js';

export const LEARNER_ERASURE = 'learner.erasure';
export type ErasureBasis = 'request' | 'retention';

const DAY_MS = 86_400_000;
const RETENTION_BATCH = 100;
const retention: Acting = { actor: { role: 'system', subject: 'system:retention' } };

/**
 * Erases one learner's personal data (erasure.repo.ts), in the caller's
 * transaction, and records it in the audit trail with no personal data: the
 * basis and the approval. Every closed period's equity report is published
 * first, with the learner still in it, so the erasure moves no period that
 * nobody had read yet. Refused while money of theirs is in flight: an
 * open enrolment, an unpaid claim, a payment or incentive not yet settled
 * needs the person it belongs to.
 */
async function eraseLearner(deps: ServiceDeps, tx: Tx, learnerId: string, basis: ErasureBasis, acting: Acting, approvalId?: string) {
  const learner = await lockLearnerForErasure(tx, learnerId);
  if (!learner) throw notFound('learner');
  if (learner.erasedAt) throw new AppError('invalid_state', 'the learner\'s personal data is already erased');
  await refuseWhileOpen(tx, learnerId);
  await publishClosedEquityReports(deps, tx);
  const at = deps.clock.now();
  await erasePersonalData(tx, learnerId, at);
  await recordAudit(tx, {
    ...acting, action: 'learner.erased', entityType: 'learner', entityId: learnerId, at, details: { basis, ...(approvalId ? { approvalId } : {}) },
  });
  return { learnerId, erasedAt: at.toISOString(), basis };
}

async function refuseWhileOpen(db: Db | Tx, learnerId: string) {
  const open = await openItemsOf(db, learnerId);
  if (Object.values(open).some((n) => n > 0)) {
    throw new AppError('invalid_state', 'the learner has money in flight (open enrolments, unpaid claims, pending payments or incentives, appeals being decided): settle or end them first', { open });
  }
}

/**
 * An officer asks for a learner's personal data to be erased on a lawful
 * request; a second officer approves it (POST /v1/approvals/{id}/approve),
 * which erases. Refused at once when the learner is unknown, already erased
 * or has money in flight, so the approver is not asked for what cannot be done.
 */
export async function proposeErasure(deps: ServiceDeps, db: Db | Tx, learnerId: string, input: { reason: string }, acting: Acting): Promise<ApprovalRow> {
  return inTransaction(db, async (tx) => {
    const learner = await lockLearnerForErasure(tx, learnerId);
    if (!learner) throw notFound('learner');
    if (learner.erasedAt) throw new AppError('invalid_state', 'the learner\'s personal data is already erased');
    await refuseWhileOpen(tx, learnerId);
    return propose(deps, tx, {
      kind: LEARNER_ERASURE, subjectType: 'learner', subjectId: learnerId, payload: { basis: 'request', reason: input.reason },
      summary: `erase learner ${learnerId}'s name, birth date, national id and contact details on a lawful request; the ledger and its history stay`,
    }, acting);
  });
}

export const learnerErasure: ApprovalKind = {
  kind: LEARNER_ERASURE,
  approverRoles: ['admin'],
  execute: (deps, tx, approval, acting) => eraseLearner(deps, tx, approval.subjectId, 'request', acting, approval.id),
};

/**
 * The retention task: erases every learner whose last activity is older than
 * the retention period and who has no active grant and nothing in flight,
 * in batches of one transaction each. Reports how many; names no one.
 */
export async function eraseLearnersPastRetention(deps: ServiceDeps): Promise<{ erased: number }> {
  const days = policyOf(deps).retentionDaysAfterLastActivity;
  if (days === 0) return { erased: 0 };
  const cutoff = new Date(deps.clock.now().getTime() - days * DAY_MS);
  let erased = 0;
  for (;;) {
    const done = await inTransaction(deps.database.db, async (tx) => {
      const ids = await learnersPastRetention(tx, cutoff, RETENTION_BATCH);
      for (const id of ids) await eraseLearner(deps, tx, id, 'retention', retention);
      return ids.length;
    });
    erased += done;
    if (done < RETENTION_BATCH) break;
  }
  if (erased > 0) deps.logger.info({ erased, retentionDays: days }, 'retention: personal data of learners past their retention period erased');
  return { erased };
}
