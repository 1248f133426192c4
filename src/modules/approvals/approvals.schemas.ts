import { z } from 'zod';
import { approvalStatuses } from '../../db/schema/index.js';
import type { ApprovalRow } from './approvals.repo.js';

/** An approval as the room it belongs to shows it beside its subject. */
export const approvalRefSchema = z
  .object({ id: z.uuid(), kind: z.string(), status: z.enum(approvalStatuses), proposedBy: z.string(), decidedBy: z.string().nullable() })
  .meta({ id: 'ApprovalRef', description: 'Four eyes: the proposal a second person must approve' });

export const approvalRef = (a: ApprovalRow) => ({ id: a.id, kind: a.kind, status: a.status, proposedBy: a.proposedBy, decidedBy: a.decidedBy });

export const approvalSchema = z
  .object({
    id: z.uuid(), kind: z.string(), subjectType: z.string(), subjectId: z.string(), summary: z.string(),
    payload: z.record(z.string(), z.unknown()), status: z.enum(approvalStatuses),
    proposedBy: z.string(), proposedByRole: z.string(), proposedAt: z.string(),
    decidedBy: z.string().nullable(), decidedAt: z.string().nullable(), decisionNote: z.string().nullable(),
  })
  .meta({ id: 'Approval' });

export const approvalView = (a: ApprovalRow) => ({
  id: a.id, kind: a.kind, subjectType: a.subjectType, subjectId: a.subjectId, summary: a.summary, payload: a.payload as Record<string, unknown>,
  status: a.status, proposedBy: a.proposedBy, proposedByRole: a.proposedByRole, proposedAt: a.proposedAt.toISOString(),
  decidedBy: a.decidedBy, decidedAt: a.decidedAt?.toISOString() ?? null, decisionNote: a.decisionNote,
});

const note = z.string().trim().min(3).max(1000);
export const approveBody = z.strictObject({ note: note.optional() }).meta({ id: 'ApproveProposal' });
export const rejectBody = z.strictObject({ note }).meta({ id: 'RejectProposal' });
