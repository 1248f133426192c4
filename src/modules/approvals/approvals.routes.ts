import { z } from 'zod';
import { approvalStatuses } from '../../db/schema/index.js';
import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { cursorDate, decodeCursor, encodeCursor, pageQuery, pageSchema } from '../../lib/cursor.js';
import type { ServiceDeps } from '../deps.js';
import { approvalKinds } from './approval-kinds.js';
import { approvalSchema, approvalView, approveBody, rejectBody } from './approvals.schemas.js';
import { decideApproval, getApproval, searchApprovals } from './approvals.service.js';

const params = z.strictObject({ approvalId: z.uuid() });
const cursorSchema = z.object({ at: cursorDate, id: z.uuid() });
const decided = z.object({ approval: approvalSchema, result: z.unknown().optional() }).meta({ id: 'ApprovalDecision' });

export function approvalRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/approvals', operationId: 'listApprovals',
      summary: 'Proposals waiting for (or decided by) a second person, newest first',
      description: 'Four-eyes proposals, newest first, by status or kind, for finance and admin: what is waiting for a second officer. Paged with `cursor` and `limit`.',
      tags: ['approvals'], roles: ['finance', 'admin'],
      query: z.strictObject({ status: z.enum(approvalStatuses).optional(), kind: z.string().max(100).optional(), ...pageQuery }),
      responses: { 200: { description: 'A page', schema: pageSchema(approvalSchema) } },
      handler: async ({ query }, ctx) => {
        const rows = await searchApprovals(ctx.db, { status: query.status, kind: query.kind, before: decodeCursor(query.cursor, cursorSchema), limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const last = rows.length > query.limit ? items.at(-1) : undefined;
        return { status: 200, body: { items: items.map(approvalView), nextCursor: last ? encodeCursor({ at: last.proposedAt.toISOString(), id: last.id }) : null } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/approvals/{approvalId}', operationId: 'getApproval', summary: 'One proposal',
      description: 'One proposal: what it would do (kind, subject, payload), who proposed it, and its decision.',
      tags: ['approvals'], roles: ['finance', 'admin'], params,
      responses: { 200: { description: 'The proposal', schema: approvalSchema } },
      handler: async ({ params: p }, ctx) => {
        return { status: 200, body: approvalView(await getApproval(ctx.db, p.approvalId)) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/approvals/{approvalId}/approve', operationId: 'approveProposal',
      summary: 'Approve a proposal: the action is carried out now',
      description: 'The person who proposed the action cannot approve it (403 four_eyes_required). The audit trail names both.',
      tags: ['approvals'], roles: ['finance', 'admin'], params, body: approveBody, idempotent: true,
      responses: {
        200: { description: 'Approved and carried out', schema: decided },
        403: { description: '`four_eyes_required`: you proposed this action, and a second person must approve it; `forbidden`: your role may not decide this kind of proposal' },
        409: { description: '`invalid_state`: the proposal is already approved or rejected; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
      },
      handler: async ({ params: p, body }, ctx) => {
        const { approval, result } = await decideApproval(deps, ctx.db, approvalKinds, p.approvalId, { decision: 'approve', note: body.note }, actingOf(ctx));
        return { status: 200, body: { approval: approvalView(approval), ...(result !== undefined ? { result } : {}) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/approvals/{approvalId}/reject', operationId: 'rejectProposal',
      summary: 'Reject a proposal, with a reason: nothing is carried out',
      description: 'The proposer may withdraw their own proposal this way.',
      tags: ['approvals'], roles: ['finance', 'admin'], params, body: rejectBody, idempotent: true,
      responses: { 200: { description: 'Rejected', schema: decided } },
      handler: async ({ params: p, body }, ctx) => {
        const { approval } = await decideApproval(deps, ctx.db, approvalKinds, p.approvalId, { decision: 'reject', note: body.note }, actingOf(ctx));
        return { status: 200, body: { approval: approvalView(approval) } };
      },
    }),
  ];
}
