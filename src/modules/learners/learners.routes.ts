import { actingOf } from '../acting.js';
import { notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { recordStaffRead } from '../data-rights/staff-reads.js';
import type { RouteContext } from '../../http/route.js';
import { createLearnerBody, learnerIdParams, learnerSchema, learnerView, lookupLearnerBody, updateLearnerBody } from './learners.schemas.js';
import { getLearner, lookupLearner, registerLearner, updateLearner } from './learners.service.js';

/** An administrator's read of a learner's personal data, recorded with the operation's declared purpose. */
const staffRead = (deps: ServiceDeps, ctx: RouteContext, learnerId: string, operation: string, purpose: string) =>
  recordStaffRead(ctx.db, actingOf(ctx), { learnerId, operation, purpose, at: deps.clock.now() });

export function learnerRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/learners', operationId: 'registerLearner', summary: 'Register a learner',
      description: 'Admins register a learner with their national id, date of birth and the attributes the rules read (citizenship, employment, income group). The national id is stored keyed and masked, never in clear. A national id already registered is refused with 409 `conflict`: look the learner up instead.',
      tags: ['learners'], roles: ['admin'], body: createLearnerBody,
      idempotent: true,
      responses: { 201: { description: 'Registered', schema: learnerSchema, headers: ['Location'] } },
      handler: async ({ body }, ctx) => {
        const learner = await registerLearner(deps, ctx.db, body, actingOf(ctx));
        return { status: 201, body: learnerView(learner), headers: { Location: `/v1/learners/${learner.id}` } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/learners/lookup', operationId: 'lookupLearner', summary: 'Find a learner by national id',
      description: 'Admins find a learner by national id, sent in the body so it never appears in a URL or a log. Counted against the per-caller learner look-up limit (429 past it), to stop trawling for unused accounts.',
      tags: ['learners'], roles: ['admin'], body: lookupLearnerBody, rateLimit: 'learnerLookup',
      responses: { 200: { description: 'The learner', schema: learnerSchema } },
      handler: async ({ body }, ctx) => {
        const learner = await lookupLearner(deps, ctx.db, body.country, body.nationalId);
        await staffRead(deps, ctx, learner.id, 'lookupLearner', 'administrator found the learner by national id');
        return { status: 200, body: learnerView(learner) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}', operationId: 'getLearner', summary: 'One learner',
      description: 'One learner\'s registration, with the national id masked. Admin only.',
      tags: ['learners'], roles: ['admin'], params: learnerIdParams,
      responses: { 200: { description: 'The learner', schema: learnerSchema } },
      handler: async ({ params }, ctx) => {
        const learner = await getLearner(ctx.db, params.learnerId);
        await staffRead(deps, ctx, learner.id, 'getLearner', 'administrator read the learner\'s registration');
        return { status: 200, body: learnerView(learner) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/v1/learners/{learnerId}', operationId: 'updateLearner', summary: 'Change a learner\'s attributes',
      description: 'Admins correct a learner\'s attributes (name, employment status, income group). Changes apply to eligibility checks made after it; reservations already made stand.',
      tags: ['learners'], roles: ['admin'], params: learnerIdParams, body: updateLearnerBody,
      idempotent: true,
      responses: { 200: { description: 'The learner', schema: learnerSchema } },
      handler: async ({ params, body }, ctx) => {
        const learner = await updateLearner(deps, ctx.db, params.learnerId, body, actingOf(ctx));
        await staffRead(deps, ctx, learner.id, 'updateLearner', 'administrator corrected the learner\'s attributes');
        return { status: 200, body: learnerView(learner) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/me', operationId: 'getMyProfile', summary: 'The signed-in learner',
      description: 'The signed-in citizen\'s own registration, national id masked. The learner is the one named in the token.',
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'The learner', schema: learnerSchema } },
      handler: async (_input, ctx) => {
        if (ctx.principal.role !== 'citizen') throw notFound('learner');
        return { status: 200, body: learnerView(await getLearner(ctx.db, ctx.principal.learnerId)) };
      },
    }),
  ];
}
