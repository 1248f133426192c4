import { z } from 'zod';
import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { batchStatuses } from '../../db/schema/index.js';
import { currencySchema, minorUnitsSchema as money } from '../../lib/money.js';
import { approvalRef, approvalRefSchema } from '../approvals/approvals.schemas.js';
import type { ApprovalRow } from '../approvals/approvals.service.js';
import type { ServiceDeps } from '../deps.js';
import {
  batchLines, getBatch, proposeDisbursementBatch, recentBatches, releasedBatchFile, type BatchRow, type ExcludedLine, type PaymentLineRow,
} from './disbursements.service.js';
import { pain001, paymentFileCsv } from './payment-file.js';

const excludedSchema = z.object({
  providerId: z.uuid().optional().meta({ description: 'A provider line left out' }),
  learnerId: z.uuid().optional().meta({ description: 'A learner incentive line left out' }),
  claims: z.number().int(), incentives: z.number().int().optional(), amount: money, reason: z.enum(['payment_file_invalid']), problems: z.array(z.string()),
});

const batchSchema = z
  .object({
    id: z.uuid(), schemeId: z.uuid().nullable(), currency: z.string(), cutOff: z.string(), messageId: z.string(),
    status: z.enum(batchStatuses),
    lineCount: z.number().int(), controlSum: money, requestedExecutionDate: z.string(), createdAt: z.string(), createdBy: z.string(),
    releasedAt: z.string().nullable(), releasedBy: z.string().nullable(),
    excluded: z.array(excludedSchema).meta({ description: 'Providers left out of this batch and why; their claims stay payable' }),
    approval: approvalRefSchema.optional(),
    lines: z.array(z.object({
      id: z.uuid(),
      payeeKind: z.enum(['provider', 'learner']).meta({ description: 'provider: pays its claims (end-to-end id LC…); learner: pays their completion incentives (LI…)' }),
      providerId: z.uuid().nullable(), learnerId: z.uuid().nullable(), endToEndId: z.string(), amount: money, status: z.string(), creditorName: z.string(),
    })).optional(),
  })
  .meta({ id: 'DisbursementBatch' });

const view = (b: BatchRow, lines?: PaymentLineRow[], approval?: ApprovalRow) => ({
  id: b.id, schemeId: b.schemeId, currency: b.currency, cutOff: b.cutOff.toISOString(), messageId: b.messageId, status: b.status,
  lineCount: b.lineCount, controlSum: b.controlSum, requestedExecutionDate: b.requestedExecutionDate, createdAt: b.createdAt.toISOString(),
  createdBy: b.createdBy, releasedAt: b.releasedAt?.toISOString() ?? null, releasedBy: b.releasedBy, excluded: b.excluded as ExcludedLine[],
  ...(approval ? { approval: approvalRef(approval) } : {}),
  ...(lines ? { lines: lines.map((l) => ({ id: l.id, payeeKind: l.payeeKind, providerId: l.providerId, learnerId: l.learnerId, endToEndId: l.endToEndId, amount: l.amount, status: l.status, creditorName: l.creditorName })) } : {}),
});

const batchIdParams = z.strictObject({ batchId: z.uuid() });

export function disbursementRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/disbursement-batches', operationId: 'createDisbursementBatch',
      summary: 'Propose a batch of every approved, unpaid claim and accrued learner incentive up to a cut-off, one payment line per provider and per learner',
      description:
        'Four eyes: the batch is proposed, its claims set aside, and nothing is paid until a second finance officer approves the returned approval (POST /v1/approvals/{approvalId}/approve). Only then do the pending transfers and the payment file exist. Claims of suspended providers, incentives of learners with no payee account in force, and lines whose payment file could not be written (listed in excluded), stay out. Learner incentive lines (end-to-end id prefix LI) go in the same payment file as provider lines (LC).',
      tags: ['finance'], roles: ['finance'], idempotent: true,
      body: z
        .strictObject({
          currency: currencySchema, cutOff: z.iso.datetime({ offset: true }), schemeId: z.uuid().optional(),
          requestedExecutionDate: z.iso.date().optional(),
        })
        .meta({ id: 'CreateDisbursementBatch' }),
      responses: { 201: { description: 'Proposed: waiting for a second officer to release it', schema: batchSchema } },
      handler: async ({ body }, ctx) => {
        const { batch, approval } = await proposeDisbursementBatch(deps, ctx.db, { ...body, cutOff: new Date(body.cutOff) }, actingOf(ctx));
        return { status: 201, body: view(batch, await batchLines(deps, ctx.db, batch.id, { acting: actingOf(ctx), operation: 'createDisbursementBatch' }), approval) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches', operationId: 'listDisbursementBatches', summary: 'Batches, newest first',
      description: 'Disbursement batches, newest first, with status and totals, for finance and admin.',
      tags: ['finance'], roles: ['finance', 'admin'], query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: { 200: { description: 'Batches', schema: z.object({ items: z.array(batchSchema) }) } },
      handler: async ({ query }, ctx) => ({ status: 200, body: { items: (await recentBatches(ctx.db, query.limit)).map((b) => view(b)) } }),
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches/{batchId}', operationId: 'getDisbursementBatch', summary: 'One batch with its lines',
      description: 'One batch with its lines (payee, end-to-end id, amount, status) and its release approval. The name a learner incentive line pays is the learner\'s personal data: each learner on the batch gets one staff read in their data-access log per request.',
      tags: ['finance'], roles: ['finance', 'admin'], params: batchIdParams,
      responses: { 200: { description: 'The batch', schema: batchSchema } },
      handler: async ({ params }, ctx) => {
        const { batch, lines, approval } = await getBatch(deps, ctx.db, params.batchId, { acting: actingOf(ctx), operation: 'getDisbursementBatch' });
        return { status: 200, body: view(batch, lines, approval) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/disbursement-batches/{batchId}/payment-file', operationId: 'getPaymentFile',
      summary: 'The batch as a payment file: CSV for people, ISO 20022 pain.001.001.09 for banks',
      description: 'A finance officer downloads a released batch\'s payment file: ISO 20022 pain.001.001.09 XML for the bank (the default), or CSV for people with `format=csv`. Amounts in the file are decimals. Each learner the file pays gets one staff read in their data-access log. Refused with 409 `invalid_state` until a second officer has released the batch.',
      tags: ['finance'], roles: ['finance'], params: batchIdParams,
      query: z.strictObject({ format: z.enum(['csv', 'pain.001']).default('pain.001') }),
      responses: {
        200: {
          description: 'The file: pain.001.001.09 XML by default, CSV with format=csv (decimal amounts, a CONTROL row with the count and sum)',
          schema: z.string(), contentType: 'application/xml', download: true,
          example: '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn><GrpHdr><MsgId>LC-20270301-0001</MsgId><CreDtTm>2027-03-01T09:30:00Z</CreDtTm><NbOfTxs>1</NbOfTxs><CtrlSum>300.00</CtrlSum><InitgPty><Nm>Learning Credits Treasury</Nm></InitgPty></GrpHdr><PmtInf><PmtInfId>LC-20270301-0001</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>1</NbOfTxs><CtrlSum>300.00</CtrlSum><ReqdExctnDt><Dt>2027-03-02</Dt></ReqdExctnDt><Dbtr><Nm>Learning Credits Treasury</Nm></Dbtr><DbtrAcct><Id><Othr><Id>0720123456</Id></Othr></Id></DbtrAcct><DbtrAgt><FinInstnId><BICFI>DBSSSGSG</BICFI></FinInstnId></DbtrAgt><CdtTrfTxInf><PmtId><EndToEndId>LC-20270301-0001-001</EndToEndId></PmtId><Amt><InstdAmt Ccy="SGD">300.00</InstdAmt></Amt><CdtrAgt><FinInstnId><ClrSysMmbId><MmbId>7171</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt><Cdtr><Nm>Lion City Digital Academy Pte Ltd</Nm></Cdtr><CdtrAcct><Id><Othr><Id>0123456789</Id></Othr></Id><Nm>Lion City Digital Academy Pte Ltd</Nm></CdtrAcct><RmtInf><Ustrd>Learning credit claims, batch LC-20270301-0001</Ustrd></RmtInf></CdtTrfTxInf></PmtInf></CstmrCdtTrfInitn></Document>',
          alternatives: { 'text/csv': { example: 'end_to_end_id,creditor_name,account_name,iban,bic,bank_code,account_number,amount,currency,requested_execution_date,remittance\r\nLC-20270301-0001-001,Lion City Digital Academy Pte Ltd,Lion City Digital Academy Pte Ltd,,,7171,0123456789,300.00,SGD,2027-03-02,"Learning credit claims, batch LC-20270301-0001"\r\nCONTROL,1,300.00\r\n' } },
        },
        409: { description: '`invalid_state`: the batch has not been released by a second officer' },
      },
      handler: async ({ params, query }, ctx) => {
        const { batch, file } = await releasedBatchFile(deps, ctx.db, params.batchId, { acting: actingOf(ctx), operation: 'getPaymentFile' });
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
