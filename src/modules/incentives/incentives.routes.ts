import { z } from 'zod';
import { defineRoute, STREAMED, type AnyRoute } from '../../http/route.js';
import { notFound } from '../../lib/app-error.js';
import { minorUnitsSchema as money } from '../../lib/money.js';
import { actingOf } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import { allocationBody, schemeIdParams, schemeSchema } from '../schemes/schemes.schemas.js';

const incentiveBudgetSchema = schemeSchema.shape.incentiveBudget.unwrap();
import { streamCsv } from '../reports/csv.js';
import { asOfOf, once, stamp } from '../reports/reports.routes.js';
import { asOfFormatQuery } from '../reports/reports.schemas.js';
import { allocateIncentiveBudget, incentiveWriteOffs, learnerIncentives } from './incentives.service.js';


const incentiveSchema = z
  .object({
    id: z.uuid(), enrolmentId: z.uuid(), schemeId: z.uuid(), schemeName: z.string(), course: z.string().nullable(), amount: money, currency: z.string(),
    status: z.string().meta({
      description: '`accrued` (owed, waiting for the next disbursement), `held:<reason>` (`held:incentive_budget_short`: the scheme\'s incentive budget is spent, it is paid once topped up; `held:no_payee_account`: register one at PUT /v1/learners/me/payee-account), `in_batch` (on its way), `paid`, `returned` (the bank sent it back: it goes into the next batch), or `reversed` (its claim was reversed before it was paid out: nothing is owed). An incentive paid before its claim was reversed stays `paid`: the learner keeps it (finance books it as a write-off)',
      example: 'paid',
    }),
    accruedAt: z.string().nullable(), paidAt: z.string().nullable(), createdAt: z.string(),
  })
  .meta({ id: 'LearnerIncentive' });

const writeOffReportSchema = z
  .object({
    asOf: z.string(),
    writeOffs: z.array(z.object({
      schemeId: z.uuid(), schemeName: z.string(), currency: z.string(), incentives: z.number().int(),
      amount: money.meta({ description: 'incentives paid to learners whose claims were reversed afterwards: kept by the learners, a loss to the incentive budget' }),
      reason: z.string().meta({ description: '`incentive_paid_before_reversal`', example: 'incentive_paid_before_reversal' }),
    })),
  })
  .meta({ id: 'IncentiveWriteOffReport' });
const writeOffColumns = ['scheme_id', 'scheme_name', 'currency', 'incentives', 'amount', 'reason', 'as_of'] as const;

export function incentiveRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/reports/incentive-write-offs', operationId: 'incentiveWriteOffReport',
      summary: 'Per scheme and currency: paid incentives written off because their claims were reversed',
      description: 'A learner\'s completion incentive already paid by the bank when its claim is reversed is not clawed back from the learner: it is written off with the reason `incentive_paid_before_reversal`. No money moves (it left the incentive budget when it was paid), so the incentive budget\'s figures stand; this report is what explains them. As of asOf; with format=csv the body is text/csv.',
      tags: ['reports'], roles: ['finance', 'admin'], query: asOfFormatQuery,
      responses: { 200: { description: 'The report', schema: writeOffReportSchema, download: true, alternatives: { 'text/csv': { example: 'scheme_id,scheme_name,currency,incentives,amount,reason,as_of\r\n' } } } },
      handler: async ({ query }, ctx) => {
        const asOf = asOfOf(deps, query.asOf);
        const rows = await incentiveWriteOffs(ctx.db, new Date(asOf));
        if (query.format === 'csv') {
          await streamCsv(ctx.res, `incentive-write-offs-${stamp(asOf)}.csv`, writeOffColumns, once(rows.map((r) => [r.schemeId, r.schemeName, r.currency, r.incentives, r.amount, r.reason, asOf])));
          return STREAMED;
        }
        return { status: 200, body: { asOf, writeOffs: rows } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/schemes/{schemeId}/incentive-allocations', operationId: 'allocateIncentiveBudget',
      summary: 'Move money from the treasury into the scheme\'s incentive budget',
      description: 'Finance or admin fund the completion incentives a scheme pays learners (its rules\' `incentive`), as one ledger transfer from the treasury into the scheme\'s own incentive budget, apart from its training budget. Incentives held because that budget ran short are then paid from it, oldest first, as far as it goes (`released`).',
      tags: ['schemes'], roles: ['finance', 'admin'], params: schemeIdParams, body: allocationBody, idempotent: true,
      responses: {
        201: {
          description: 'Allocated',
          schema: z.object({ transferId: z.uuid(), schemeId: z.uuid(), amount: money, currency: z.string(), released: z.number().int(), budget: incentiveBudgetSchema }).meta({ id: 'IncentiveAllocation' }),
        },
        409: { description: '`invalid_state`: the scheme is closed' },
      },
      handler: async ({ params, body }, ctx) => {
        const r = await allocateIncentiveBudget(deps, ctx.db, params.schemeId, body.amount, body.note, actingOf(ctx));
        return { status: 201, body: { transferId: r.transferId, schemeId: params.schemeId, amount: body.amount, currency: r.scheme.currency, released: r.released, budget: r.budget } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/me/incentives', operationId: 'listMyIncentives',
      summary: 'My completion incentives and whether they are paid',
      description: 'The signed-in citizen\'s completion incentives, newest first: the amount, the course it rewards and where it is (accrued, held and why, in a batch, paid, returned).',
      tags: ['me'], roles: ['citizen'], query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: { 200: { description: 'Incentives, newest first', schema: z.object({ items: z.array(incentiveSchema) }) } },
      handler: async ({ query }, ctx) => {
        if (ctx.principal.role !== 'citizen') throw notFound('learner');
        return { status: 200, body: { items: await learnerIncentives(ctx.db, ctx.principal.learnerId, query.limit) } };
      },
    }),
  ];
}
