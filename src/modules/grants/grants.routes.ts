import { z } from 'zod';
import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { learnerIdParams } from '../learners/learners.schemas.js';
import { schemeIdParams } from '../schemes/schemes.schemas.js';
import { createGrantBody, createGrantRunBody, grantRunSchema, grantRunView, grantSchema, grantView } from './grants.schemas.js';
import { createGrantRun, getGrantRun, grantCredit, workPendingGrantRuns } from './grants.service.js';

export function grantRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/learners/{learnerId}/grants', operationId: 'grantCredit',
      summary: 'Grant one tranche of credit to a learner from a scheme budget',
      description: 'Admins grant one learner credit from a scheme\'s budget, expiring at `expiresAt` (or the scheme\'s default). Refused with 409 `insufficient_budget` when the budget cannot cover it, 409 `invalid_state` when the scheme is closed or has no rules in force.',
      tags: ['grants'], roles: ['admin'], params: learnerIdParams, body: createGrantBody, idempotent: true,
      responses: {
        201: { description: 'Granted', schema: grantSchema },
        409: { description: '`insufficient_budget`: the scheme budget cannot cover this grant; `invalid_state`: the scheme is closed or has no rules in force; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
      },
      handler: async ({ params, body }, ctx) => {
        const grant = await grantCredit(deps, ctx.db, { learnerId: params.learnerId, ...body }, actingOf(ctx));
        return { status: 201, body: grantView(grant) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/schemes/{schemeId}/grant-runs', operationId: 'startGrantRun',
      summary: 'Grant credit to every learner matching criteria, in the background',
      description: 'Set-based and resumable: a re-run or a crash half-way never grants a learner twice. Poll GET /v1/grant-runs/{runId} for progress.',
      tags: ['grants'], roles: ['admin'], params: schemeIdParams, body: createGrantRunBody, idempotent: true,
      responses: { 202: { description: 'Accepted; runs in the background', schema: grantRunSchema, headers: ['Location'] } },
      handler: async ({ params, body }, ctx) => {
        const run = await createGrantRun(deps, ctx.db, params.schemeId, body, actingOf(ctx));
        // Start once the response (and so the transaction) is done; the periodic worker is the fallback.
        ctx.res.on('finish', () => {
          workPendingGrantRuns(deps).catch((err: unknown) => ctx.log.warn({ err: { message: (err as Error).message } }, 'grant run worker failed'));
        });
        return { status: 202, body: grantRunView(run), headers: { Location: `/v1/grant-runs/${run.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/grant-runs/{runId}', operationId: 'getGrantRun', summary: 'Progress of a grant run',
      description: 'The progress of a grant run started by startGrantRun: queued, running, completed or failed, with how many learners were granted so far.',
      tags: ['grants'], roles: ['admin', 'finance'], params: z.strictObject({ runId: z.uuid() }),
      responses: { 200: { description: 'The run', schema: grantRunSchema } },
      handler: async ({ params }, ctx) => {
        return { status: 200, body: grantRunView(await getGrantRun(ctx.db, params.runId)) };
      },
    }),
  ];
}
