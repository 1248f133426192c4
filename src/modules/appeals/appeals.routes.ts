import { z } from 'zod';
import { actingOf } from '../acting.js';
import { citizenLearnerId } from '../accounts/accounts.routes.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { cursorDate, decodeCursor, encodeCursor, pageQuery, pageSchema } from '../../lib/cursor.js';
import { approvalRef, approvalRefSchema } from '../approvals/approvals.schemas.js';
import type { ServiceDeps } from '../deps.js';
import {
  appealIdParams, appealRejectionBody, appealSchema, appealsQuery, appealView, fileAppealBody, grantIdParams, reinstatementBody, staffAppealSchema, staffAppealView,
} from './appeals.schemas.js';
import { fileAppeal, getAppeal, myAppeals, proposeReinstatement, rejectAppeal, searchAppeals } from './appeals.service.js';

/** Who decides appeals: a finance officer or an administrator, and a second one of either to approve a reinstatement. */
const officers = ['finance', 'admin'] as const;
const cursorSchema = z.object({ at: cursorDate, id: z.uuid() });

export function appealRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/learners/me/grants/{grantId}/appeals', operationId: 'fileMyAppeal',
      summary: 'Appeal a grant of mine that expired or lapsed',
      description: 'Within the scheme\'s `appealWindowDays` after the grant expired or lapsed (its expiry, or its first-use deadline), the learner asks for the credit back in their own words. One appeal per grant waits at a time (409 `conflict`). Refused with 422 `rule_violation` outside the window (`appeal_window_closed`) or when the scheme takes no appeals (`appeals_not_offered`); 409 `invalid_state` on a grant still active or closed another way (`grant_not_closed`), or with nothing left to reinstate (`nothing_to_reinstate`); 404 on a grant that is not the caller\'s.',
      tags: ['me', 'appeals'], roles: ['citizen'], params: grantIdParams, body: fileAppealBody, idempotent: true,
      responses: {
        201: { description: 'Filed: waiting for an officer', schema: appealSchema },
        409: { description: '`conflict`: an appeal of this grant is already waiting; `invalid_state`: the grant did not expire or lapse, or nothing is left to reinstate; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
        422: { description: '`rule_violation`: outside the appeal window, or the scheme takes no appeals; `validation_failed`: the statement is missing, too short or too long; `idempotency_key_reused`: this key came with another body' },
      },
      handler: async ({ params, body }, ctx) => {
        const appeal = await fileAppeal(deps, ctx.db, citizenLearnerId(ctx), params.grantId, body.statement, actingOf(ctx));
        return { status: 201, body: appealView(appeal) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/me/appeals', operationId: 'listMyAppeals', summary: 'My appeals and their outcomes, newest first',
      description: 'Every appeal the signed-in citizen filed (the last 100), with its state and, once decided, the outcome: reinstated (the amount and the new grant) or rejected, with the reason code.',
      tags: ['me', 'appeals'], roles: ['citizen'],
      responses: { 200: { description: 'My appeals', schema: z.object({ items: z.array(appealSchema) }) } },
      handler: async (_input, ctx) => ({ status: 200, body: { items: (await myAppeals(ctx.db, citizenLearnerId(ctx))).map(appealView) } }),
    }),
    defineRoute({
      method: 'get', path: '/v1/appeals', operationId: 'listAppeals', summary: 'Appeals to decide (or decided), newest first',
      description: 'Appeals of every learner, newest first, by state (`status=open` is the queue). Each carries the learner\'s statement: personal data, for the officers who decide. Paged with `cursor` and `limit`.',
      tags: ['appeals'], roles: officers, query: appealsQuery.extend(pageQuery),
      responses: { 200: { description: 'A page', schema: pageSchema(staffAppealSchema) } },
      handler: async ({ query }, ctx) => {
        const { items, more } = await searchAppeals(
          deps, ctx.db, { statuses: query.status ? [query.status] : undefined, before: decodeCursor(query.cursor, cursorSchema), limit: query.limit },
          { acting: actingOf(ctx), operation: 'listAppeals' },
        );
        const last = more ? items.at(-1) : undefined;
        return { status: 200, body: { items: items.map(staffAppealView), nextCursor: last ? encodeCursor({ at: last.filedAt.toISOString(), id: last.id }) : null } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/appeals/{appealId}', operationId: 'getAppeal', summary: 'One appeal',
      description: 'One appeal with the learner\'s statement, the proposal waiting for a second officer (if any) and the outcome.',
      tags: ['appeals'], roles: officers, params: appealIdParams,
      responses: { 200: { description: 'The appeal', schema: staffAppealSchema } },
      handler: async ({ params }, ctx) => {
        const appeal = await getAppeal(deps, ctx.db, params.appealId, { acting: actingOf(ctx), operation: 'getAppeal' });
        return { status: 200, body: staffAppealView(appeal) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/appeals/{appealId}/reinstatement', operationId: 'proposeAppealReinstatement',
      summary: 'Propose to reinstate an appealed grant: a second officer approves',
      description: 'Proposes a new grant of `amount` (at most what the expiry or lapse returned and no appeal has reinstated) from the scheme\'s budget, with a reason code. Nothing moves until a different officer approves it at POST /v1/approvals/{approvalId}/approve (the proposer answers 403 `four_eyes_required`); the budget is checked then, and 409 `insufficient_budget` leaves the proposal waiting. Rejecting the proposal returns the appeal to `open`.',
      tags: ['appeals', 'approvals'], roles: officers, params: appealIdParams, body: reinstatementBody, idempotent: true,
      responses: {
        202: { description: 'Proposed: waiting for a second officer', schema: z.object({ appeal: staffAppealSchema, approval: approvalRefSchema }).meta({ id: 'ProposedAppealReinstatement' }) },
        409: { description: '`invalid_state`: the appeal is not open (decided, or a proposal already waits); `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
      },
      handler: async ({ params, body }, ctx) => {
        const { appeal, approval } = await proposeReinstatement(deps, ctx.db, params.appealId, body, { acting: actingOf(ctx), operation: 'proposeAppealReinstatement' });
        return { status: 202, body: { appeal: staffAppealView(appeal), approval: approvalRef(approval) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/appeals/{appealId}/rejection', operationId: 'rejectAppeal',
      summary: 'Reject an appeal, with a reason',
      description: 'One officer may reject an open appeal: nothing moves and the grant stays as it closed. An appeal with a reinstatement waiting for approval is 409 `invalid_state`: reject that proposal instead.',
      tags: ['appeals'], roles: officers, params: appealIdParams, body: appealRejectionBody, idempotent: true,
      responses: {
        200: { description: 'Rejected', schema: staffAppealSchema },
        409: { description: '`invalid_state`: the appeal is already decided, or a reinstatement of it waits for approval; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
      },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: staffAppealView(await rejectAppeal(deps, ctx.db, params.appealId, body, { acting: actingOf(ctx), operation: 'rejectAppeal' })) }),
    }),
  ];
}
