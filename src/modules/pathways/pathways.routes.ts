import { z } from 'zod';
import { notFound } from '../../lib/app-error.js';
import { definePublicRoute, defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import { actingOf } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import {
  completionIdParams, completionSchema, createPathwayBody, jwksSchema, pathwayIdParams, pathwaySchema, progressSchema, retirePathwayBody,
  revokePathwayCredentialBody, schemeIdParams,
} from './pathways.schemas.js';
import {
  completionView, createPathway, getPathway, learnerPathways, pathwayView, retirePathway, retryPathwayBonus, revokePathwayCredential, schemeJwks,
  searchPathways, statusListJwt,
} from './pathways.service.js';

const everyone = ['citizen', 'provider', 'finance', 'admin'] as const;

const citizenLearnerId = (ctx: RouteContext): string => {
  if (ctx.principal.role !== 'citizen') throw notFound('learner');
  return ctx.principal.learnerId;
};

const listQuery = z.strictObject({ schemeId: z.uuid().optional(), status: z.enum(['active', 'retired']).optional() });

const vcJwtExample =
  'eyJhbGciOiJFZERTQSIsImtpZCI6IlN1bUpfN2dQRTFVMFJtYl9Wd2lUQmtWbDFkZzN2a3h4YkR3QWhqY2pZdHMiLCJ0eXAiOiJ2Yytqd3QifQ.eyJ0eXBlIjpbIlZlcmlmaWFibGVDcmVkZW50aWFsIl19.c2lnbmF0dXJl';

export function pathwayRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/pathways', operationId: 'createPathway', summary: 'Define a stackable pathway over approved courses',
      description: 'Admins define a pathway under a scheme: 2 to 50 courses approved for that scheme, a rule (`all`, or `k_of_n` with k), an optional time limit `withinMonths` between the first counted completion and the completing one, and the award: the achievement the scheme\'s stacked credential names and, optionally, a bonus credit granted from the scheme\'s budget (minor units of the scheme\'s currency). A completion counts when the learner\'s claim for the course is approved. A course that is not approved for the scheme is a 422 naming it; a code already used in the scheme is 409 `conflict`.',
      tags: ['pathways'], roles: ['admin'], body: createPathwayBody, idempotent: true,
      responses: { 201: { description: 'Created', schema: pathwaySchema, headers: ['Location'] } },
      handler: async ({ body }, ctx) => {
        const row = await createPathway(deps, ctx.db, body, actingOf(ctx));
        return { status: 201, body: await pathwayView(ctx.db, row), headers: { Location: `/v1/pathways/${row.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/pathways', operationId: 'listPathways', summary: 'Pathways, optionally of one scheme or status',
      description: 'Every pathway (oldest first, at most 500), for any signed-in caller: what it stacks, its rule and its award.',
      tags: ['pathways'], roles: everyone, query: listQuery,
      responses: { 200: { description: 'Pathways', schema: z.object({ items: z.array(pathwaySchema) }) } },
      handler: async ({ query }, ctx) => {
        const rows = await searchPathways(ctx.db, query);
        return { status: 200, body: { items: await Promise.all(rows.map((r) => pathwayView(ctx.db, r))) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/pathways/{pathwayId}', operationId: 'getPathway', summary: 'One pathway',
      description: 'One pathway: its courses, rule, time limit, award and status.',
      tags: ['pathways'], roles: everyone, params: pathwayIdParams,
      responses: { 200: { description: 'The pathway', schema: pathwaySchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: await pathwayView(ctx.db, await getPathway(ctx.db, params.pathwayId)) }),
    }),
    defineRoute({
      method: 'post', path: '/v1/pathways/{pathwayId}/retirement', operationId: 'retirePathway', summary: 'Retire a pathway',
      description: 'Admins retire a pathway with a reason: completions approved from now on no longer count toward it. Completions already recorded and their credentials stay. Retiring it twice is 409 `invalid_state`.',
      tags: ['pathways'], roles: ['admin'], params: pathwayIdParams, body: retirePathwayBody, idempotent: true,
      responses: { 200: { description: 'The retired pathway', schema: pathwaySchema }, 409: { description: '`invalid_state`: the pathway is already retired' } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: await pathwayView(ctx.db, await retirePathway(deps, ctx.db, params.pathwayId, body.reason, actingOf(ctx))) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/me/pathways', operationId: 'listMyPathways', summary: 'My progress on every pathway I have started',
      description: 'For the signed-in citizen: every pathway with at least one of their counted completions (a claim approved), with the courses completed and when, how many more are needed, the deadline the time limit sets, and, once completed, the stacked credential (a VC-JWT signed by the scheme) and the bonus.',
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'Progress per pathway', schema: z.object({ items: z.array(progressSchema) }) } },
      handler: async (_input, ctx) => ({ status: 200, body: { items: await learnerPathways(deps, ctx.db, citizenLearnerId(ctx)) } }),
    }),
    defineRoute({
      method: 'post', path: '/v1/pathway-completions/{completionId}/revocation', operationId: 'revokePathwayCredential',
      summary: 'Revoke a stacked credential',
      description: 'Admins revoke the credential of a pathway completion with a reason: its bit in the scheme\'s Bitstring Status List is set, and verification answers `revoked`. Revoking twice is 409 `invalid_state`.',
      tags: ['pathways'], roles: ['admin'], params: completionIdParams, body: revokePathwayCredentialBody, idempotent: true,
      responses: { 200: { description: 'The completion, revoked', schema: completionSchema }, 409: { description: '`invalid_state`: already revoked' } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: completionView(await revokePathwayCredential(deps, ctx.db, params.completionId, body.reason, actingOf(ctx))) }),
    }),
    defineRoute({
      method: 'post', path: '/v1/pathway-completions/{completionId}/bonus', operationId: 'retryPathwayBonus',
      summary: 'Try a refused pathway bonus again',
      description: 'Admins try again a bonus that was refused (the scheme\'s budget was short when the pathway was completed). Granted, it is a grant from the scheme\'s budget; still short, it stays refused with `budget_insufficient` and nothing moves. A bonus already granted, or a pathway without one, is 409 `invalid_state`.',
      tags: ['pathways'], roles: ['admin'], params: completionIdParams, idempotent: true,
      responses: { 200: { description: 'The completion with the bonus\'s outcome', schema: completionSchema }, 409: { description: '`invalid_state`: no refused bonus to retry' } },
      handler: async ({ params }, ctx) => ({ status: 200, body: completionView(await retryPathwayBonus(deps, ctx.db, params.completionId, actingOf(ctx))) }),
    }),
    definePublicRoute({
      method: 'get', path: '/v1/public/schemes/{schemeId}/jwks', operationId: 'getSchemeJwks', summary: 'The scheme\'s public signing keys',
      description: 'The JWKS (RFC 7517) of the key the scheme signs its stacked pathway credentials and its status list with (EdDSA, Ed25519). Empty until the scheme has signed something.',
      tags: ['public', 'pathways'], roles: [], public: true, rateLimit: 'publicVerify', params: schemeIdParams,
      responses: { 200: { description: 'The key set', schema: jwksSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: await schemeJwks(ctx.db, params.schemeId) }),
    }),
    definePublicRoute({
      method: 'get', path: '/v1/public/schemes/{schemeId}/status-list', operationId: 'getSchemeStatusList',
      summary: 'The scheme\'s Bitstring Status List credential (revocation)',
      description: 'The W3C Bitstring Status List v1.0 credential of the scheme\'s stacked credentials, as a VC-JWT signed with the scheme\'s key: a `BitstringStatusListCredential` whose `credentialSubject.encodedList` is the GZIP-compressed bitstring of 131,072 bits, base64url with the multibase prefix `u`; bit `statusListIndex` set means revoked. A credential\'s `credentialStatus.statusListCredential` (`urn:learning-credits:scheme:{schemeId}:status-list:revocation`) names this list. 404 until the scheme has issued a pathway credential.',
      tags: ['public', 'pathways'], roles: [], public: true, rateLimit: 'publicVerify', params: schemeIdParams,
      responses: { 200: { description: 'The status list credential (VC-JWT)', schema: z.string(), contentType: 'application/vc+jwt', example: vcJwtExample } },
      handler: async ({ params }, ctx) => ({
        status: 200, body: await statusListJwt(deps, ctx.db, params.schemeId), headers: { 'content-type': 'application/vc+jwt' },
      }),
    }),
  ];
}
