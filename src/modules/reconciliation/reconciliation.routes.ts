import { and, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { reconciliationExceptions, exceptionKinds } from '../../db/schema/index.js';
import { actorOf } from '../../http/actor.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { importStatement, resolveException } from './reconciliation.service.js';

const exceptionSchema = z
  .object({
    id: z.uuid(), kind: z.enum(exceptionKinds), statementLineId: z.uuid().nullable(), paymentLineId: z.uuid().nullable(), detail: z.string(),
    expected: z.string().nullable(), actual: z.string().nullable(), currency: z.string(), status: z.enum(['open', 'resolved']),
    raisedAt: z.string(), resolvedBy: z.string().nullable(), resolution: z.string().nullable(), resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'ReconciliationException' });

type ExceptionRow = typeof reconciliationExceptions.$inferSelect;
const view = (e: ExceptionRow) => ({
  ...e, raisedAt: e.raisedAt.toISOString(), resolvedAt: e.resolvedAt?.toISOString() ?? null,
  expected: e.expected?.toString() ?? null, actual: e.actual?.toString() ?? null,
});

export function reconciliationRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/bank-statements', operationId: 'importBankStatement',
      summary: 'Import a bank statement (CSV or ISO 20022 camt.053.001.08) and reconcile it',
      description: 'CSV columns: booking_date,end_to_end_id,amount,currency,direction (DBIT|CRDT),type (payment|return). Importing the same file twice changes nothing.',
      tags: ['finance'], roles: ['finance'], bodyContentType: 'text/csv,application/xml', idempotent: true,
      body: z.string().min(1, 'the statement is empty'),
      responses: {
        201: {
          description: 'Imported and reconciled',
          schema: z.object({
            statementId: z.uuid(), replayed: z.boolean(), lines: z.number().int(), settled: z.number().int(), returned: z.number().int(), exceptions: z.number().int(),
          }).meta({ id: 'StatementImport' }),
        },
      },
      handler: async ({ body }, ctx) => {
        const format = ctx.req.is('application/xml') ? 'camt.053' : 'csv';
        const summary = await importStatement(deps, ctx.db, { format, content: body }, { actor: actorOf(ctx), requestId: ctx.requestId });
        return { status: summary.replayed ? 200 : 201, body: summary };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reconciliation-exceptions', operationId: 'listReconciliationExceptions', summary: 'Exceptions, newest first',
      tags: ['finance'], roles: ['finance', 'admin'],
      query: z.strictObject({ status: z.enum(['open', 'resolved']).optional(), kind: z.enum(exceptionKinds).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      responses: { 200: { description: 'Exceptions', schema: z.object({ items: z.array(exceptionSchema) }) } },
      handler: async ({ query }, ctx) => {
        const where = [
          query.status ? eq(reconciliationExceptions.status, query.status) : undefined,
          query.kind ? eq(reconciliationExceptions.kind, query.kind) : undefined,
        ].filter((c): c is SQL => c !== undefined);
        const rows = await ctx.db.select().from(reconciliationExceptions).where(where.length ? and(...where) : undefined)
          .orderBy(desc(reconciliationExceptions.raisedAt)).limit(query.limit);
        return { status: 200, body: { items: rows.map(view) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/reconciliation-exceptions/{exceptionId}/resolve', operationId: 'resolveReconciliationException',
      summary: 'Resolve an exception with a recorded reason', tags: ['finance'], roles: ['finance'],
      params: z.strictObject({ exceptionId: z.uuid() }), body: z.strictObject({ resolution: z.string().trim().min(3).max(1000) }).meta({ id: 'ResolveException' }),
      idempotent: true,
      responses: { 200: { description: 'Resolved', schema: exceptionSchema } },
      handler: async ({ params, body }, ctx) => ({
        status: 200, body: view(await resolveException(deps, ctx.db, params.exceptionId, body.resolution, { actor: actorOf(ctx), requestId: ctx.requestId })),
      }),
    }),
  ];
}
