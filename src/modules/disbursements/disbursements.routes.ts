import { z } from 'zod';
import { actorOf } from '../../http/actor.js';
import { notFound } from '../../http/problem.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { currencySchema, type Currency } from '../../lib/money.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import { findBatch, linesOf, listBatches, type BatchRow, type PaymentLineRow } from './disbursements.repo.js';
import { createDisbursementBatch } from './disbursements.service.js';
import { pain001, paymentFileCsv } from './payment-file.js';

const money = z.string().meta({ description: 'minor units' });

const batchSchema = z
  .object({
    id: z.uuid(), schemeId: z.uuid().nullable(), currency: z.string(), cutOff: z.string(), messageId: z.string(), status: z.string(),
    lineCount: z.number().int(), controlSum: money, requestedExecutionDate: z.string(), createdAt: z.string(),
    lines: z.array(z.object({ id: z.uuid(), providerId: z.uuid(), endToEndId: z.string(), amount: money, status: z.string(), creditorName: z.string() })).optional(),
  })
  .meta({ id: 'DisbursementBatch' });

const view = (b: BatchRow, lines?: PaymentLineRow[]) => ({
  id: b.id, schemeId: b.schemeId, currency: b.currency, cutOff: b.cutOff.toISOString(), messageId: b.messageId, status: b.status,
  lineCount: b.lineCount, controlSum: b.controlSum, requestedExecutionDate: b.requestedExecutionDate, createdAt: b.createdAt.toISOString(),
  ...(lines ? { lines: lines.map((l) => ({ id: l.id, providerId: l.providerId, endToEndId: l.endToEndId, amount: l.amount, status: l.status, creditorName: l.creditorName })) } : {}),
});

const batchIdParams = z.strictObject({ batchId: z.uuid() });

export function disbursementRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/disbursement-batches', operationId: 'createDisbursementBatch',
      summary: 'Batch every approved, unpaid claim up to a cut-off into one payment line per provider',
      tags: ['finance'], roles: ['finance'], idempotent: true,
      body: z
        .strictObject({
          currency: currencySchema, cutOff: z.iso.datetime({ offset: true }), schemeId: z.uuid().optional(),
          requestedExecutionDate: z.iso.date().optional(),
        })
        .meta({ id: 'CreateDisbursementBatch' }),
      responses: { 201: { description: 'Submitted: each line is now a pending transfer to bank clearing', schema: batchSchema } },
      handler: async ({ body }, ctx) => {
        const batch = await createDisbursementBatch(deps, ctx.db, { ...body, cutOff: new Date(body.cutOff) }, { actor: actorOf(ctx), requestId: ctx.requestId });
        return { status: 201, body: view(batch, await linesOf(ctx.db, batch.id)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches', operationId: 'listDisbursementBatches', summary: 'Batches, newest first',
      tags: ['finance'], roles: ['finance', 'admin'], query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: { 200: { description: 'Batches', schema: z.object({ items: z.array(batchSchema) }) } },
      handler: async ({ query }, ctx) => ({ status: 200, body: { items: (await listBatches(ctx.db, query.limit)).map((b) => view(b)) } }),
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches/{batchId}', operationId: 'getDisbursementBatch', summary: 'One batch with its lines',
      tags: ['finance'], roles: ['finance', 'admin'], params: batchIdParams,
      responses: { 200: { description: 'The batch', schema: batchSchema } },
      handler: async ({ params }, ctx) => {
        const batch = await findBatch(ctx.db, params.batchId);
        if (!batch) throw notFound('disbursement batch');
        return { status: 200, body: view(batch, await linesOf(ctx.db, batch.id)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches/{batchId}/payment-file', operationId: 'getPaymentFile',
      summary: 'The batch as a payment file: CSV for people, ISO 20022 pain.001.001.09 for banks',
      tags: ['finance'], roles: ['finance'], params: batchIdParams,
      query: z.strictObject({ format: z.enum(['csv', 'pain.001']).default('pain.001') }),
      responses: {
        200: { description: 'The file', schema: z.string(), contentType: 'application/xml' },
      },
      handler: async ({ params, query }, ctx) => {
        const batch = await findBatch(ctx.db, params.batchId);
        if (!batch) throw notFound('disbursement batch');
        const lines = await linesOf(ctx.db, batch.id);
        const file = {
          messageId: batch.messageId, createdAt: batch.createdAt, requestedExecutionDate: batch.requestedExecutionDate,
          currency: batch.currency as Currency, debtor: policyOf(deps).treasuryAccounts[batch.currency]!,
          lines: lines.map((l) => ({
            endToEndId: l.endToEndId, amount: l.amount, creditorName: l.creditorName,
            creditorAccount: l.creditorAccount as Parameters<typeof pain001>[0]['lines'][number]['creditorAccount'],
            remittance: `Learning Credits claims, batch ${batch.messageId}`,
          })),
        };
        const csv = query.format === 'csv';
        return {
          status: 200,
          body: csv ? paymentFileCsv(file) : pain001(file),
          headers: {
            'Content-Type': csv ? 'text/csv; charset=utf-8' : 'application/xml; charset=utf-8',
            'Content-Disposition': `attachment; filename="${batch.messageId}.${csv ? 'csv' : 'xml'}"`,
          },
        };
      },
    }),
  ];
}
