import { defineRoute, STREAMED, type AnyRoute } from '../../http/route.js';
import { notFound } from '../../lib/app-error.js';
import { actingOf } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import { streamCsv } from '../reports/csv.js';
import { asOfOf, once, stamp } from '../reports/reports.routes.js';
import { equityCsvColumns, equityCsvRows, MIN_CELL_LEARNERS } from './equity-report.js';
import {
  equityLearnerParams, equityProfileBody, equityProfileSchema, equityReportQuery, equityReportSchema, thresholdCorrectionBody, thresholdCorrectionParams,
  thresholdCorrectionSchema, thresholdListQuery, thresholdListSchema, thresholdTableBody, thresholdTableParams, thresholdTableSchema,
} from './equity.schemas.js';
import { correctThreshold, getEquityProfile, listThresholdTables, publishThresholdTable, setEquityProfile } from './equity.service.js';
import { publishedEquityReport } from './published-equity-report.js';

/**
 * Equity routes. Of all the service's routes, the analyst role may call only
 * the aggregate ones here (equityReport, listIncomeGroupThresholds); the
 * allow-list in test/reports/analyst-no-personal-data.test.ts holds them to it.
 */
export function equityRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'put', path: '/v1/income-group-thresholds/{country}/{year}', operationId: 'publishIncomeGroupThresholds',
      summary: 'Publish a country\'s household income groups for a year (B40/M40/T20 style)',
      description: 'Admins publish the income groups equity profiles are assessed against, lowest first, each with its eligibility band and the household monthly income (minor units) below which it applies. A published table is fixed: the same table again is a 200 that changes nothing, a different one a 409 `conflict`; a bound found wrong later is corrected with POST …/{code}/corrections.',
      tags: ['equity'], roles: ['admin'], params: thresholdTableParams, body: thresholdTableBody, idempotent: true,
      responses: {
        200: { description: 'Already published, identical', schema: thresholdTableSchema },
        201: { description: 'Published', schema: thresholdTableSchema },
      },
      handler: async ({ params, body }, ctx) => {
        const r = await publishThresholdTable(deps, ctx.db, params.country, params.year, body, actingOf(ctx));
        return { status: r.created ? 201 : 200, body: r.table };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/income-group-thresholds/{country}/{year}/{code}/corrections', operationId: 'correctIncomeGroupThreshold',
      summary: 'Correct a published income group\'s upper bound, with a reason',
      description: 'Admins correct a group\'s household monthly income bound after publication (a typo, a revised statistic). Append-only: the correction supersedes the bound in force, the published table and earlier corrections stay, and the audit trail names who, what and why. The bound must stay between the groups below and above; the top group has none. Profiles name their group, so none changes band.',
      tags: ['equity'], roles: ['admin'], params: thresholdCorrectionParams, body: thresholdCorrectionBody, idempotent: true,
      responses: {
        201: { description: 'Corrected: the correction and the table now in force', schema: thresholdCorrectionSchema },
        404: { description: '`not_found`: no such group in that table' },
      },
      handler: async ({ params, body }, ctx) => ({
        status: 201,
        body: await correctThreshold(deps, ctx.db, { country: params.country, year: params.year, code: params.code }, body, actingOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'get', path: '/v1/income-group-thresholds', operationId: 'listIncomeGroupThresholds',
      summary: 'Published household income group tables, by country and year',
      description: 'Configuration, not personal data: analysts read it to interpret the income groups of the equity report.',
      tags: ['equity'], roles: ['admin', 'finance', 'analyst'], query: thresholdListQuery,
      responses: { 200: { description: 'The tables, newest year first per country', schema: thresholdListSchema } },
      handler: async ({ query }, ctx) => ({ status: 200, body: { items: await listThresholdTables(ctx.db, query) } }),
    }),
    defineRoute({
      method: 'put', path: '/v1/learners/{learnerId}/equity-profile', operationId: 'setEquityProfile',
      summary: 'Record a learner\'s equity profile (income group, region, urban/rural, gender, disability)',
      description: 'Admins record what equity schemes target; every attribute is optional and the body replaces the whole profile. The income group must be one of the learner\'s country\'s published table for that year, and the learner\'s income band follows it. Personal data: never logged, and the audit trail records only that it changed.',
      tags: ['equity', 'learners'], roles: ['admin'], params: equityLearnerParams, body: equityProfileBody, idempotent: true,
      responses: { 200: { description: 'The profile now in force', schema: equityProfileSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: await setEquityProfile(deps, ctx.db, params.learnerId, body, actingOf(ctx)) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/{learnerId}/equity-profile', operationId: 'getEquityProfile',
      summary: 'A learner\'s equity profile', description: 'Admin only. All null when none was recorded.',
      tags: ['equity', 'learners'], roles: ['admin'], params: equityLearnerParams,
      responses: { 200: { description: 'The profile', schema: equityProfileSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: await getEquityProfile(ctx.db, params.learnerId) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/me/equity-profile', operationId: 'getMyEquityProfile',
      summary: 'My equity profile', description: 'The signed-in citizen\'s own equity profile, as admins recorded it. All null when none was.',
      tags: ['me', 'equity'], roles: ['citizen'],
      responses: { 200: { description: 'The profile', schema: equityProfileSchema } },
      handler: async (_input, ctx) => {
        if (ctx.principal.role !== 'citizen') throw notFound('learner');
        return { status: 200, body: await getEquityProfile(ctx.db, ctx.principal.learnerId) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reports/equity', operationId: 'equityReport',
      summary: 'Per scheme and group: learners granted, shares enrolled, completed and stacking a pathway, credit used, average co-payment',
      description: `For policy makers: aggregates only, never a person. Groups by income group, region, urban/rural, age band (on the asOf date), gender or disability, as things stood at the end of the last published period (calendar month by default, or quarter) closed by asOf: asOf is snapped down to it, and the answer names the period, so two requests inside one period are answered alike and cannot be differenced. Cells under ${MIN_CELL_LEARNERS} learners are withheld with the cells needed so that none can be worked out from the rest and the total. With format=csv the body is text/csv (one row per group, then a TOTAL row per scheme).`,
      tags: ['reports', 'equity'], roles: ['analyst', 'finance', 'admin'], query: equityReportQuery,
      responses: {
        200: {
          description: 'The report', schema: equityReportSchema, download: true,
          alternatives: { 'text/csv': { example: `${equityCsvColumns.join(',')}\r\n0193e2b1-5c0a-7d3e-8f41-2a6b9c0d1e2f,MY-UPSKILL,MYR,incomeGroup,B40,false,12,5000,2500,,300000,1000,2027-03-01T09:30:00.000Z\r\n` } },
        },
      },
      handler: async ({ query }, ctx) => {
        const report = await publishedEquityReport(deps, ctx.db, asOfOf(deps, query.asOf), query.groupBy, query.schemeId);
        if (query.format === 'csv') {
          await streamCsv(ctx.res, `equity-${query.groupBy}-${stamp(report.asOf)}.csv`, equityCsvColumns, once(equityCsvRows(report.schemes, query.groupBy, report.asOf)));
          return STREAMED;
        }
        return { status: 200, body: { ...report, groupBy: query.groupBy, minimumCellLearners: MIN_CELL_LEARNERS } };
      },
    }),
  ];
}
