import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { learnerIdParams } from '../learners/learners.schemas.js';
import { accountSchema, movementSchema } from './accounts.schemas.js';
import { accountView, learnerMovementsPage } from './accounts.service.js';

const citizenLearnerId = (ctx: RouteContext): string => {
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
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'The account', schema: accountSchema } },
      handler: async (_i, ctx) => account(ctx.db, citizenLearnerId(ctx)),
    }),
    defineRoute({
      method: 'get', path: '/v1/me/transactions', operationId: 'listMyTransactions',
      summary: 'Every movement of my credit, newest first', tags: ['me'], roles: ['citizen'], query: page,
      responses: { 200: { description: 'A page of movements', schema: pageSchema(movementSchema) } },
      handler: async ({ query }, ctx) => movements(ctx.db, citizenLearnerId(ctx), query),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/account', operationId: 'getLearnerAccount',
      summary: 'A learner\'s credit, as the learner sees it', tags: ['learners'], roles: ['admin'], params: learnerIdParams,
      responses: { 200: { description: 'The account', schema: accountSchema } },
      handler: async ({ params }, ctx) => account(ctx.db, params.learnerId),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/transactions', operationId: 'listLearnerTransactions',
      summary: 'Every movement of a learner\'s credit', tags: ['learners'], roles: ['admin'], params: learnerIdParams, query: page,
      responses: { 200: { description: 'A page of movements', schema: pageSchema(movementSchema) } },
      handler: async ({ params, query }, ctx) => movements(ctx.db, params.learnerId, query),
    }),
  ];
}
