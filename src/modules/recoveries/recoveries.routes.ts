import { z } from 'zod';
import { actingOf } from '../acting.js';
import { defineRoute, STREAMED, type AnyRoute, type RouteContext } from '../../http/route.js';
import { cursorDate, decodeCursor, encodeCursor, pageQuery, pageSchema } from '../../lib/cursor.js';
import { approvalRef, approvalRefSchema } from '../approvals/approvals.schemas.js';
import { claimView } from '../claims/claims.routes.js';
import { claimIdParams, claimSchema } from '../claims/claims.schemas.js';
import { holdOf } from '../claims/holds.js';
import type { ServiceDeps } from '../deps.js';
import { streamCsv } from '../reports/csv.js';
import { asOfOf, once, stamp } from '../reports/reports.routes.js';
import { asOfFormatQuery } from '../reports/reports.schemas.js';
import { recoveryFigures, recoveryReportSchema } from './recovery-report.js';
import { recoverySchema, recoveryView, reversalBody } from './recoveries.schemas.js';
import { getRecovery, searchRecoveries, settlementsOfRecoveries } from './recoveries.service.js';
import { reverseClaim } from './reverse-claim.js';

const recoveryColumns = [
  'provider_id', 'legal_name', 'currency', 'recoveries', 'opened', 'netted', 'netting_in_flight', 'refunded', 'cancelled_by_return', 'repaid', 'outstanding', 'as_of',
] as const;
const cursorSchema = z.object({ at: cursorDate, id: z.uuid() });
const ownProvider = (ctx: RouteContext) => (ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined);

export function recoveryRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/reports/recoveries', operationId: 'recoveryReport',
      summary: 'Per provider and currency: recoveries opened, netted, netting in flight, refunded and outstanding',
      description: 'As of asOf. With format=csv the body is text/csv (RFC 4180, header row, streamed) instead of JSON.',
      tags: ['reports'], roles: ['finance', 'admin'], query: asOfFormatQuery,
      responses: {
        200: {
          description: 'The report', schema: recoveryReportSchema, download: true,
          alternatives: { 'text/csv': { example: 'provider_id,legal_name,currency,recoveries,opened,netted,netting_in_flight,refunded,cancelled_by_return,repaid,outstanding,as_of\r\n0193e2b1-ccff-7b06-8c7d-8e9fa0b1c2d3,Lion City Digital Academy Pte Ltd,SGD,1,30000,0,0,0,0,0,30000,2027-03-01T09:30:00.000Z\r\n' } },
        },
      },
      handler: async ({ query }, ctx) => {
        const asOf = asOfOf(deps, query.asOf);
        const rows = await recoveryFigures(ctx.db, asOf);
        if (query.format === 'csv') {
          await streamCsv(ctx.res, `recoveries-${stamp(asOf)}.csv`, recoveryColumns, once(rows.map((f) => [
            f.providerId, f.legalName, f.currency, f.recoveries, f.opened, f.netted, f.nettingInFlight, f.refunded, f.cancelledByReturn, f.repaid, f.outstanding, asOf,
          ])));
          return STREAMED;
        }
        return { status: 200, body: { asOf, providers: rows } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/claims/{claimId}/reversal', operationId: 'reverseClaim',
      summary: 'Reverse an approved or paid claim, with a reason code: the money goes back to the learner',
      description:
        "An approved, unpaid claim is clawed back from the provider's payable. A paid claim becomes a recovery: the provider owes it back, and it is netted against the provider's next payment lines or settled by a refund that quotes the recovery's reference. Either way each part goes back to the learner's grant, or to the scheme if that grant has closed since. Above the four-eyes amount for the currency, the reversal is proposed (202) for a second finance officer to approve.",
      tags: ['finance', 'claims'], roles: ['finance'], params: claimIdParams, body: reversalBody, idempotent: true,
      responses: {
        200: { description: 'Reversed', schema: z.object({ claim: claimSchema, recovery: recoverySchema.optional() }).meta({ id: 'ReversedClaim' }) },
        202: { description: 'Proposed: a second officer must approve it', schema: z.object({ claim: claimSchema, approval: approvalRefSchema }).meta({ id: 'ProposedReversal' }) },
      },
      handler: async ({ params, body }, ctx) => {
        const done = await reverseClaim(deps, ctx.db, params.claimId, body, actingOf(ctx));
        const claim = claimView(done.claim, await holdOf(ctx.db, done.claim.id, 'staff'));
        if (done.approval) return { status: 202, body: { claim, approval: approvalRef(done.approval) } };
        const recovery = done.recovery ? recoveryView(done.recovery, []) : undefined;
        return { status: 200, body: { claim, ...(recovery ? { recovery } : {}) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/recoveries', operationId: 'listRecoveries',
      summary: 'Recoveries: what providers owe back and how it was settled (a provider sees its own)',
      description: 'Money owed back by providers after a reversed claim, newest first: finance and admin see all, a provider its own. Paged with `cursor` and `limit`.',
      tags: ['finance'], roles: ['finance', 'admin', 'provider'], query: z.strictObject({ ...pageQuery }),
      responses: { 200: { description: 'A page', schema: pageSchema(recoverySchema) } },
      handler: async ({ query }, ctx) => {
        const rows = await searchRecoveries(ctx.db, { providerId: ownProvider(ctx), before: decodeCursor(query.cursor, cursorSchema), limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const settlements = await settlementsOfRecoveries(ctx.db, items.map((r) => r.id));
        const last = rows.length > query.limit ? items.at(-1) : undefined;
        return {
          status: 200,
          body: { items: items.map((r) => recoveryView(r, settlements)), nextCursor: last ? encodeCursor({ at: last.openedAt.toISOString(), id: last.id }) : null },
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/recoveries/{recoveryId}', operationId: 'getRecovery', summary: 'One recovery',
      description: 'One recovery with its settlements (netted against later payments, refunded, or cancelled by a returned payment). A provider sees only its own.',
      tags: ['finance'], roles: ['finance', 'admin', 'provider'], params: z.strictObject({ recoveryId: z.uuid() }),
      responses: { 200: { description: 'The recovery', schema: recoverySchema } },
      handler: async ({ params }, ctx) => {
        const { recovery, settlements } = await getRecovery(ctx.db, params.recoveryId, ownProvider(ctx));
        return { status: 200, body: recoveryView(recovery, settlements) };
      },
    }),
  ];
}
