import { AppError } from '../../lib/app-error.js';
import { defineRoute, STREAMED, type AnyRoute, type RouteContext } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { streamCsv } from './csv.js';
import {
  asOfFormatQuery, exceptionListSchema, exceptionsQuery, holdReportSchema, holdsQuery, providerStatementParams, providerStatementSchema, schemeReportSchema,
  trialBalanceSchema,
} from './reports.schemas.js';
import {
  collect, exceptionList, holdList, openHoldCounts, providerStatement, requireProvider, schemeColumns, schemeCsvRow, schemeReport, trialBalanceReport,
} from './reports.service.js';

const roles = ['finance', 'admin'] as const;
const tags = ['reports'];
const csvNote = ' With format=csv the body is text/csv (RFC 4180, header row, streamed) instead of JSON.';

/** The instant reported on, as an ISO string with milliseconds. Never in the future: those figures could still change. */
export function asOfOf(deps: ServiceDeps, asOf: string | undefined): string {
  const now = deps.clock.now();
  if (asOf === undefined) return now.toISOString();
  const at = new Date(asOf);
  if (at.getTime() > now.getTime()) {
    throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'query.asOf', message: 'must not be in the future' }] });
  }
  return at.toISOString();
}

export const stamp = (asOf: string) => asOf.replace(/[:.]/g, '-');

export async function* once<T>(rows: T[]): AsyncGenerator<T[]> {
  yield rows;
}
async function* mapBatches<T, U>(batches: AsyncIterable<T[]>, f: (t: T) => U): AsyncGenerator<U[]> {
  for await (const b of batches) yield b.map(f);
}

export function reportRoutes(deps: ServiceDeps): AnyRoute[] {
  const db = (ctx: RouteContext) => ctx.db;
  return [
    defineRoute({
      method: 'get', path: '/v1/reports/schemes', operationId: 'schemeReport',
      summary: 'Per scheme: budget allocated, granted, returned, available, reserved, spent (disbursed or awaiting), credit with learners',
      description: `Figures as of asOf from the ledger's transfers alone, so a past date always gives the same answer.${csvNote}`,
      tags, roles, query: asOfFormatQuery,
      responses: {
        200: {
          description: 'The report', schema: schemeReportSchema, download: true,
          alternatives: { 'text/csv': { example: 'scheme_id,code,name,currency,allocated,granted,expired,revoked,reversed,returned,available,reserved,spent,spent_disbursed,spent_awaiting_disbursement,credit_with_learners,ties_out,as_of\r\n0193e2b1-5c0a-7d3e-8f41-2a6b9c0d1e2f,SKILLS-2027,SkillsFuture Credit 2027,SGD,5000000000,1200000000,0,0,0,0,3800000000,30000,90000,60000,30000,1109880000,true,2027-03-01T09:30:00.000Z\r\n' } },
        },
      },
      handler: async ({ query }, ctx) => {
        const asOf = asOfOf(deps, query.asOf);
        if (query.format === 'csv') {
          await streamCsv(ctx.res, `schemes-${stamp(asOf)}.csv`, schemeColumns, mapBatches(schemeReport(db(ctx), asOf), (f) => schemeCsvRow(f, asOf)));
          return STREAMED;
        }
        return { status: 200, body: { asOf, schemes: await collect(schemeReport(db(ctx), asOf)) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/providers/{providerId}/statement', operationId: 'providerStatement',
      summary: "A provider's payable: movements with running balance, and what was earned, disbursed, in flight and owed",
      description: `Balance is what is owed and not yet in flight: credits posted - debits posted - debits pending.${csvNote}`,
      tags, roles, params: providerStatementParams, query: asOfFormatQuery,
      responses: {
        200: {
          description: 'The statement', schema: providerStatementSchema, download: true,
          alternatives: { 'text/csv': { example: 'currency,at,transfer_id,kind,code,reference_id,movement,debit,credit,balance\r\nSGD,2027-03-01T09:30:00.000Z,0193e2b1-77aa-7c01-8d2e-3f4a5b6c7d8e,posted,claim_payment,0193e2b1-6a1b-7c2d-8e3f-4a5b6c7d8e9f,earned,0,30000,30000\r\n' } },
        },
      },
      handler: async ({ params, query }, ctx) => {
        const asOf = asOfOf(deps, query.asOf);
        await requireProvider(db(ctx), params.providerId);
        const sections = await providerStatement(db(ctx), params.providerId, asOf);
        if (query.format === 'csv') {
          async function* rows() {
            for (const s of sections) {
              for await (const batch of s.movements) {
                yield batch.map((m) => [s.currency, m.at, m.transferId, m.kind, m.code, m.referenceId, m.movement, m.debit, m.credit, m.balance]);
              }
            }
          }
          await streamCsv(
            ctx.res, `provider-${params.providerId}-statement-${stamp(asOf)}.csv`,
            ['currency', 'at', 'transfer_id', 'kind', 'code', 'reference_id', 'movement', 'debit', 'credit', 'balance'], rows(),
          );
          return STREAMED;
        }
        const currencies = [];
        for (const s of sections) {
          const movements = await collect(s.movements);
          currencies.push({ currency: s.currency, accountId: s.accountId, movements, closing: s.closing() });
        }
        return { status: 200, body: { providerId: params.providerId, asOf, currencies } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/trial-balance', operationId: 'trialBalance',
      summary: 'Per currency and account kind: debits and credits, posted and pending; balanced when debits equal credits',
      description: csvNote.trim(),
      tags, roles, query: asOfFormatQuery,
      responses: {
        200: {
          description: 'The trial balance', schema: trialBalanceSchema, download: true,
          alternatives: { 'text/csv': { example: 'currency,account_kind,accounts,debits_posted,credits_posted,debits_pending,credits_pending,balanced\r\nSGD,learner_grant,1200,90000,1200000000,30000,0,\r\nSGD,TOTAL,,6200000000,6200000000,30000,30000,true\r\n' } },
        },
      },
      handler: async ({ query }, ctx) => {
        const asOf = asOfOf(deps, query.asOf);
        const currencies = await trialBalanceReport(db(ctx), asOf);
        if (query.format === 'csv') {
          const rows = currencies.flatMap((c) => [
            ...c.accountKinds.map((k) => [c.currency, k.kind, k.accounts, k.debitsPosted, k.creditsPosted, k.debitsPending, k.creditsPending, '']),
            [c.currency, 'TOTAL', '', c.totals.debitsPosted, c.totals.creditsPosted, c.totals.debitsPending, c.totals.creditsPending, c.balanced],
          ]);
          await streamCsv(
            ctx.res, `trial-balance-${stamp(asOf)}.csv`,
            ['currency', 'account_kind', 'accounts', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending', 'balanced'], once(rows),
          );
          return STREAMED;
        }
        return { status: 200, body: { asOf, currencies } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/reconciliation-exceptions', operationId: 'reconciliationExceptionReport',
      summary: 'Reconciliation exceptions, oldest first, optionally only open or resolved ones',
      description: csvNote.trim(),
      tags, roles, query: exceptionsQuery,
      responses: {
        200: {
          description: 'The exceptions', schema: exceptionListSchema, download: true,
          alternatives: { 'text/csv': { example: 'id,kind,status,currency,expected,actual,detail,statement_line_id,payment_line_id,raised_at,resolved_by,resolution,resolved_at\r\n0193e2b1-88bb-7d02-8e3f-4a5b6c7d8e9f,amount_differs,open,SGD,30000,29000,the bank booked a different amount than the payment line,0193e2b1-99cc-7e03-8f4a-5b6c7d8e9fa0,0193e2b1-aadd-7f04-8a5b-6c7d8e9fa0b1,2027-03-02T01:00:00.000Z,,,\r\n' } },
        },
      },
      handler: async ({ query }, ctx) => {
        const batches = exceptionList(db(ctx), query.status);
        if (query.format === 'csv') {
          await streamCsv(
            ctx.res, `reconciliation-exceptions${query.status ? `-${query.status}` : ''}.csv`,
            ['id', 'kind', 'status', 'currency', 'expected', 'actual', 'detail', 'statement_line_id', 'payment_line_id', 'raised_at', 'resolved_by', 'resolution', 'resolved_at'],
            mapBatches(batches, (e) => [e.id, e.kind, e.status, e.currency, e.expected, e.actual, e.detail, e.statementLineId, e.paymentLineId, e.raisedAt, e.resolvedBy, e.resolution, e.resolvedAt]),
          );
          return STREAMED;
        }
        return { status: 200, body: { items: await collect(batches) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/holds', operationId: 'holdReport',
      summary: 'Open holds on claims, soonest decision deadline first: reason, since, deadline, overdue, escalated; with counts of open, overdue and escalated holds',
      description: `Holds as they stand now: claims in review, held by an officer's flag or a revoked credential, or approved and unpaid while their provider is suspended. A hold past its deadline is escalated by the maintenance sweep; handledBy lists who may no longer decide it.${csvNote}`,
      tags, roles, query: holdsQuery,
      responses: {
        200: {
          description: 'The report', schema: holdReportSchema, download: true,
          alternatives: { 'text/csv': { example: 'claim_id,provider_id,provider_name,claim_status,amount,currency,reason_code,reason,since,decide_by,overdue,escalated,escalated_at,handled_by\r\n0193e2b1-bbee-7a05-8b6c-7d8e9fa0b1c2,0193e2b1-ccff-7b06-8c7d-8e9fa0b1c2d3,Lion City Digital Academy Pte Ltd,in_review,30000,SGD,completed_before_run_end,completed before the run ended,2027-03-01T09:30:00.000Z,2027-03-08T09:30:00.000Z,false,false,,\r\n' } },
        },
      },
      handler: async ({ query }, ctx) => {
        const now = deps.clock.now();
        const escalated = query.escalated === undefined ? undefined : query.escalated === 'true';
        const batches = holdList(db(ctx), now, escalated);
        if (query.format === 'csv') {
          await streamCsv(
            ctx.res, `holds-${stamp(now.toISOString())}.csv`,
            ['claim_id', 'provider_id', 'provider_name', 'claim_status', 'amount', 'currency', 'reason_code', 'reason', 'since', 'decide_by', 'overdue', 'escalated', 'escalated_at', 'handled_by'],
            mapBatches(batches, (x) => [
              x.claimId, x.providerId, x.providerName, x.claimStatus, x.amount, x.currency, x.reasonCode, x.reason, x.since, x.decideBy, x.overdue, x.escalated,
              x.escalatedAt, x.handledBy.join(';'),
            ]),
          );
          return STREAMED;
        }
        const counts = await openHoldCounts(db(ctx), now);
        return { status: 200, body: { asOf: now.toISOString(), ...counts, items: await collect(batches) } };
      },
    }),
  ];
}
