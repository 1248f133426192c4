import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { Role } from '../../lib/principal.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { samePerson, type Acting } from '../acting.js';
import { closeApproval, countApprovals, findApproval, insertApproval, latestApprovalOf, latestApprovalsOf, listApprovals, pendingApprovalOf, type ApprovalRow } from './approvals.repo.js';

export type { ApprovalRow };

/**
 * One kind of action that takes two people. The room that owns the action
 * defines it: who may approve, what approving does, and what rejecting undoes.
 */
export interface ApprovalKind {
  kind: string;
  /** Roles that may approve or reject. The proposer's own role is checked by the route that proposes. */
  approverRoles: readonly Role[];
  /** Carries out the proposed action, in the approval's transaction. Returns what the approve route answers beside the approval. */
  execute(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting): Promise<unknown>;
  /** Undoes what the proposal set aside (claims kept out of other batches, for example). */
  reject?(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting): Promise<void>;
}

export interface Proposal {
  kind: string;
  subjectType: string;
  subjectId: string;
  /** What will be done, in full: the approver approves exactly this. */
  payload: Record<string, unknown>;
  /** One line for the approver's list. */
  summary: string;
}

/**
 * Records a proposed action for a second person to approve, in the caller's
 * transaction. A second open proposal of the same kind on the same subject
 * is refused: it would race the first.
 */
export async function propose(deps: ServiceDeps, tx: Tx, proposal: Proposal, acting: Acting): Promise<ApprovalRow> {
  const now = deps.clock.now();
  const row = await insertApproval(tx, {
    id: newId(), ...proposal, status: 'pending', proposedBy: acting.actor.subject, proposedByRole: acting.actor.role, proposedAt: now,
  });
  if (!row) {
    const open = await pendingApprovalOf(tx, proposal.kind, proposal.subjectId);
    throw new AppError('conflict', `a ${proposal.kind} proposal for this ${proposal.subjectType} is already waiting for approval`, {
      ...(open ? { approvalId: open.id } : {}),
    });
  }
  await recordAudit(tx, {
    ...acting, action: 'approval.proposed', entityType: proposal.subjectType, entityId: proposal.subjectId, at: now,
    details: { approvalId: row.id, kind: proposal.kind, summary: proposal.summary },
  });
  return row;
}

export interface Decision {
  decision: 'approve' | 'reject';
  note?: string | undefined;
}

/**
 * A second person approves or rejects a proposal. Approving runs the action;
 * the person who proposed it can never approve it (403 four_eyes_required),
 * though they may withdraw it by rejecting it.
 */
export async function decideApproval(
  deps: ServiceDeps, db: Db | Tx, kinds: ReadonlyMap<string, ApprovalKind>, approvalId: string, decision: Decision, acting: Acting,
): Promise<{ approval: ApprovalRow; result?: unknown }> {
  return inTransaction(db, async (tx) => {
    const approval = await findApproval(tx, approvalId, { forUpdate: true });
    if (!approval) throw notFound('approval');
    const kind = kinds.get(approval.kind);
    if (!kind) throw new Error(`no approval kind ${approval.kind} is registered`);
    if (acting.actor.role === 'system' || !kind.approverRoles.includes(acting.actor.role)) {
      throw new AppError('forbidden', `the ${acting.actor.role} role may not decide a ${approval.kind} proposal`);
    }
    if (approval.status !== 'pending') throw new AppError('invalid_state', `the proposal is already ${approval.status}`);
    if (decision.decision === 'approve' && samePerson(approval.proposedBy, acting.actor.subject)) {
      throw new AppError('four_eyes_required', 'you proposed this action: a second person must approve it', { approvalId: approval.id });
    }
    const now = deps.clock.now();
    const closed = await closeApproval(tx, approval.id, {
      status: decision.decision === 'approve' ? 'approved' : 'rejected', decidedBy: acting.actor.subject, decidedAt: now, decisionNote: decision.note ?? null,
    });
    const result = decision.decision === 'approve' ? await kind.execute(deps, tx, closed, acting) : await kind.reject?.(deps, tx, closed, acting);
    await recordAudit(tx, {
      ...acting, action: `approval.${closed.status}`, entityType: approval.subjectType, entityId: approval.subjectId, at: now,
      details: { approvalId: approval.id, kind: approval.kind, proposedBy: approval.proposedBy, decidedBy: acting.actor.subject, note: decision.note ?? null },
    });
    return { approval: closed, ...(result !== undefined ? { result } : {}) };
  });
}

export async function getApproval(db: Db | Tx, approvalId: string): Promise<ApprovalRow> {
  const approval = await findApproval(db, approvalId);
  if (!approval) throw notFound('approval');
  return approval;
}

/** Proposals newest first, matching the filter. */
export const searchApprovals = (db: Db | Tx, filter: Parameters<typeof listApprovals>[1]) => listApprovals(db, filter);

/** How many proposals match, for a count on a page that links to the list. */
export const countProposals = (db: Db | Tx, filter: Parameters<typeof countApprovals>[1]) => countApprovals(db, filter);

/** The latest proposal of this kind about the subject, decided or not. */
export const latestProposalOf = (db: Db | Tx, kind: string, subjectId: string) => latestApprovalOf(db, kind, subjectId);

/** The latest proposal of this kind about each of the subjects, by subject id. */
export const latestProposalsOf = (db: Db | Tx, kind: string, subjectIds: string[]) => latestApprovalsOf(db, kind, subjectIds);
