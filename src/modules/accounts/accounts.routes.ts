import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { learnerIdParams } from '../learners/learners.schemas.js';
import { accountSchema, movementSchema } from './accounts.schemas.js';
import { accountView, learnerMovementsPage } from './accounts.service.js';

/** The signed-in citizen's learner id; any other caller has no learner here. */
export const citizenLearnerId = (ctx: RouteContext): string => {
  if (ctx.principal.role !== 'citizen') throw notFound('learner');
  return ctx.principal.learnerId;
};

export function accountRoutes(deps: ServiceDeps): AnyRoute[] {
  const page = z.strictObject(pageQuery);
  const account = async (db: RouteContext['db'], learnerId: string) => {
    const view = await accountView(db, deps.clock, learnerId);
    if (!view) throw notFound('learner');
    return { status: 200, body: view };
  };
  const movements = async (db: RouteContext['db'], learnerId: string, q: z.output<typeof page>) => {
    const found = await learnerMovementsPage(db, learnerId, q);
    if (!found) throw notFound('learner');
    return { status: 200, body: found };
  };
  return [
    defineRoute({
      method: 'get', path: '/v1/me/account', operationId: 'getMyAccount',
      summary: 'My credit: each grant with available, reserved, spent and expired, totals per currency, and what expires soon',
      description: 'The signed-in citizen\'s credit: each grant with its balance, what is reserved for enrolments, and what expires in the next 90 days. Amounts are minor-unit strings.',
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'The account', schema: accountSchema } },
      handler: async (_i, ctx) => account(ctx.db, citizenLearnerId(ctx)),
    }),
    defineRoute({
      method: 'get', path: '/v1/me/transactions', operationId: 'listMyTransactions',
      summary: 'Every movement of my credit, newest first', tags: ['me'], roles: ['citizen'], query: page,
      description: 'Movements on the signed-in citizen\'s credit, newest first: grants, reservations, claim payments, releases, expiries. Paged with `cursor` and `limit`.',
      responses: { 200: { description: 'A page of movements', schema: pageSchema(movementSchema) } },
      handler: async ({ query }, ctx) => movements(ctx.db, citizenLearnerId(ctx), query),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/account', operationId: 'getLearnerAccount',
      summary: 'A learner\'s credit, as the learner sees it', tags: ['learners'], roles: ['admin'], params: learnerIdParams,
      description: 'One learner\'s credit account as the learner sees it, for an admin handling a query.',
      responses: { 200: { description: 'The account', schema: accountSchema } },
      handler: async ({ params }, ctx) => account(ctx.db, params.learnerId),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/transactions', operationId: 'listLearnerTransactions',
      summary: 'Every movement of a learner\'s credit', tags: ['learners'], roles: ['admin'], params: learnerIdParams, query: page,
      description: 'One learner\'s credit movements, newest first, for an admin handling a query. Paged with `cursor` and `limit`.',
      responses: { 200: { description: 'A page of movements', schema: pageSchema(movementSchema) } },
      handler: async ({ params, query }, ctx) => movements(ctx.db, params.learnerId, query),
    }),
  ];
}
