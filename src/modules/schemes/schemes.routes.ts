import { z } from 'zod';
import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { rulesFromJson } from './scheme-rules.js';
import {
  allocationBody, allocationSchema, createSchemeBody, replaceRulesBody, ruleVersionSchema, schemeIdParams, schemeSchema,
} from './schemes.schemas.js';
import { allocateBudget, allSchemes, createScheme, getScheme, replaceRules, ruleVersionsOf, schemeView } from './schemes.service.js';

const seesBudget = (role: string) => role === 'admin' || role === 'finance';

export function schemeRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/schemes', operationId: 'createScheme', summary: 'Define a funding scheme and its rules',
      description: 'Admins define a scheme: its code, country, currency and first version of the rules (who is eligible, caps, co-payment). It starts with an empty budget: fund it with allocateSchemeBudget. A code already in use is refused with 409 `conflict`.',
      tags: ['schemes'], roles: ['admin'], body: createSchemeBody,
      idempotent: true,
      responses: { 201: { description: 'Created', schema: schemeSchema, headers: ['Location'] } },
      handler: async ({ body }, ctx) => {
        const id = await createScheme(deps, ctx.db, body, actingOf(ctx));
        const scheme = await getScheme(ctx.db, id);
        return { status: 201, body: await schemeView(deps, ctx.db, scheme, true), headers: { Location: `/v1/schemes/${id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/schemes', operationId: 'listSchemes', summary: 'All schemes with the rules in force',
      description: 'Every scheme with the rules in force now, for any signed-in caller. Finance and admin also see each scheme\'s budget figures; citizens and providers do not.',
      tags: ['schemes'], roles: ['citizen', 'provider', 'finance', 'admin'],
      responses: { 200: { description: 'Schemes', schema: z.object({ items: z.array(schemeSchema) }) } },
      handler: async (_input, ctx) => {
        const rows = await allSchemes(ctx.db);
        const items = await Promise.all(rows.map((s) => schemeView(deps, ctx.db, s, seesBudget(ctx.principal.role))));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/schemes/{schemeId}', operationId: 'getScheme', summary: 'One scheme; budget figures for finance and admin',
      description: 'One scheme with the rules in force now. Budget figures (allocated, granted, returned, available) are shown to finance and admin only.',
      tags: ['schemes'], roles: ['citizen', 'provider', 'finance', 'admin'], params: schemeIdParams,
      responses: { 200: { description: 'The scheme', schema: schemeSchema } },
      handler: async ({ params }, ctx) => {
        const scheme = await getScheme(ctx.db, params.schemeId);
        return { status: 200, body: await schemeView(deps, ctx.db, scheme, seesBudget(ctx.principal.role)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/schemes/{schemeId}/rules', operationId: 'listSchemeRuleVersions', summary: 'Every version of the rules',
      description: 'Every version of a scheme\'s rules, oldest first, with when each took effect and who made it: the history an auditor needs to explain a past eligibility answer.',
      tags: ['schemes'], roles: ['finance', 'admin'], params: schemeIdParams,
      responses: { 200: { description: 'Versions, oldest first', schema: z.object({ items: z.array(ruleVersionSchema) }) } },
      handler: async ({ params }, ctx) => {
        const rows = await ruleVersionsOf(ctx.db, params.schemeId);
        return {
          status: 200,
          body: { items: rows.map((r) => ({ version: r.version, rules: rulesFromJson(r.rules), effectiveFrom: r.effectiveFrom.toISOString(), createdBy: r.createdBy })) },
        };
      },
    }),
    defineRoute({
      method: 'put', path: '/v1/schemes/{schemeId}/rules', operationId: 'replaceSchemeRules',
      summary: 'New version of the rules, effective now or later; earlier versions are kept',
      description: 'Admins publish a new version of the rules, effective now or from a later `effectiveFrom`; earlier versions are kept and still govern what they decided. Refused with 409 `invalid_state` when the scheme is closed, and 422 when `effectiveFrom` is in the past.',
      tags: ['schemes'], roles: ['admin'], params: schemeIdParams, body: replaceRulesBody,
      idempotent: true,
      responses: { 200: { description: 'The scheme with its rules', schema: schemeSchema } },
      handler: async ({ params, body }, ctx) => {
        await replaceRules(deps, ctx.db, params.schemeId, body.rules, body.effectiveFrom ? new Date(body.effectiveFrom) : undefined, actingOf(ctx));
        const scheme = await getScheme(ctx.db, params.schemeId);
        return { status: 200, body: await schemeView(deps, ctx.db, scheme, true) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/schemes/{schemeId}/allocations', operationId: 'allocateSchemeBudget',
      summary: 'Move money from the treasury into the scheme budget',
      description: 'Admins move money from the treasury into a scheme\'s budget, as one ledger transfer; grants then draw on it. The amount is in minor units of the scheme\'s currency.',
      tags: ['schemes'], roles: ['admin'], params: schemeIdParams, body: allocationBody, idempotent: true,
      responses: { 201: { description: 'Allocated', schema: allocationSchema } },
      handler: async ({ params, body }, ctx) => {
        const r = await allocateBudget(deps, ctx.db, params.schemeId, body.amount, body.note, actingOf(ctx));
        return {
          status: 201,
          body: { transferId: r.transferId, schemeId: params.schemeId, amount: body.amount, currency: r.scheme.currency, budget: r.budget },
        };
      },
    }),
  ];
}
