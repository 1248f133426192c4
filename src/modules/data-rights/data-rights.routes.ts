import { z } from 'zod';
import type { Db, Tx } from '../../db/client.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import { notFound } from '../../lib/app-error.js';
import { decodeCursor, encodeCursor, pageSchema } from '../../lib/cursor.js';
import { actingOf } from '../acting.js';
import { approvalSchema, approvalView } from '../approvals/approvals.schemas.js';
import type { ServiceDeps } from '../deps.js';
import { getLearner } from '../learners/learners.service.js';
import { learnerIdParams } from '../learners/learners.schemas.js';
import { exportDisposition, learnerDataExport } from './data-export.service.js';
import { dataExportSchema, erasureBody, staffReadCursor, staffReadSchema, staffReadsQuery } from './data-rights.schemas.js';
import { proposeErasure } from './erasure.service.js';
import { staffReadsOf, staffReadView } from './staff-reads.js';

const tags = ['data-rights'];

const citizenOf = (ctx: RouteContext): string => {
  if (ctx.principal.role !== 'citizen') throw notFound('learner');
  return ctx.principal.learnerId;
};

async function readsPage(db: Db | Tx, learnerId: string, query: z.output<typeof staffReadsQuery>) {
  const rows = await staffReadsOf(db, learnerId, { before: decodeCursor(query.cursor, staffReadCursor), limit: query.limit + 1 });
  const items = rows.slice(0, query.limit);
  const last = rows.length > query.limit ? items.at(-1) : undefined;
  return { status: 200, body: { items: items.map(staffReadView), nextCursor: last ? encodeCursor({ at: last.at.toISOString(), id: last.id }) : null } };
}

export function dataRightsRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/learners/me/data-export', operationId: 'exportMyData',
      summary: 'Everything the service holds about me, as one JSON file',
      description: 'The signed-in learner\'s own data (PDPA access, GDPR access and portability): profile with the national id masked, contact details, grants, every credit movement, enrolments with their consent, reservations, claims, credentials and share links, pathway completions, incentives, ratings, payee accounts (masked), payments, equity profile, what service-counter officers did for them, and every read of their personal data by staff. Amounts are strings of minor units beside their currency. Sent as an attachment.',
      tags: ['me', ...tags], roles: ['citizen'],
      responses: { 200: { description: 'The export', schema: dataExportSchema, download: true } },
      handler: async (_input, ctx) => {
        const learnerId = citizenOf(ctx);
        const body = await learnerDataExport(deps, ctx.db, learnerId);
        return { status: 200, body, headers: { 'Content-Disposition': exportDisposition(body.exportedAt) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/me/data-access-log', operationId: 'listMyDataAccessLog',
      summary: 'Who among staff read my personal data, and why, newest first',
      description: 'Every read of the signed-in learner\'s personal data by staff (administrators, finance officers, service-counter officers): who, through which operation, why, when and in which request. Paged with `cursor` and `limit`.',
      tags: ['me', ...tags], roles: ['citizen'], query: staffReadsQuery,
      responses: { 200: { description: 'A page of reads', schema: pageSchema(staffReadSchema) } },
      handler: async ({ query }, ctx) => readsPage(ctx.db, citizenOf(ctx), query),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/data-access-log', operationId: 'listLearnerDataAccessLog',
      summary: 'Who among staff read a learner\'s personal data, and why, newest first',
      description: 'For an administrator auditing access: the same log the learner sees. Paged with `cursor` and `limit`.',
      tags, roles: ['admin'], params: learnerIdParams, query: staffReadsQuery,
      responses: { 200: { description: 'A page of reads', schema: pageSchema(staffReadSchema) } },
      handler: async ({ params, query }, ctx) => {
        await getLearner(ctx.db, params.learnerId);
        return readsPage(ctx.db, params.learnerId, query);
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/learners/{learnerId}/erasure', operationId: 'proposeLearnerErasure',
      summary: 'Propose erasing a learner\'s personal data on a lawful request; a second administrator approves it',
      description: 'Four eyes: this records the proposal; a second administrator approves it with POST /v1/approvals/{approvalId}/approve, which erases the learner\'s name, birth date, national id (keyed hash and masked form), contact details, payee account details and equity profile. The learner\'s row and id stay, so the ledger, the reports and the audit chain stay exact. Refused with 409 `invalid_state` while money of theirs is in flight or when already erased. The reason names the request (a reference), not the person.',
      tags, roles: ['admin'], params: learnerIdParams, body: erasureBody, idempotent: true,
      responses: {
        202: { description: 'Proposed: waiting for a second administrator', schema: approvalSchema },
        409: { description: '`invalid_state`: already erased, or money in flight (`open` counts it); `conflict`: an erasure of this learner is already waiting for approval; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
      },
      handler: async ({ params, body }, ctx) => ({ status: 202, body: approvalView(await proposeErasure(deps, ctx.db, params.learnerId, body, actingOf(ctx))) }),
    }),
  ];
}
