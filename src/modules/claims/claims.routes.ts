import { z } from 'zod';
import { actingOf } from '../acting.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import { cursorInstant, decodeCursor, encodeCursor, pageSchema } from '../../lib/cursor.js';
import { approvalRef, approvalRefSchema } from '../approvals/approvals.schemas.js';
import type { ServiceDeps } from '../deps.js';
import { claimIdParams, claimSchema, decisionBody, flagBody, listClaimsQuery, revocationBody, revocationSchema, submitClaimBody } from './claims.schemas.js';
import { decideClaim, flagClaim, getClaim, revokeCredential, searchClaims, submitClaim, type ClaimFilter, type ClaimRow } from './claims.service.js';
import { claimCredentialDescription } from './claim-credential-doc.js';
import { holdOf, holdsOf, type ClaimHold, type HoldAudience } from './holds.js';

const cursorSchema = z.object({ at: cursorInstant, id: z.uuid() });

/** A claim as the API shows it. Pass its open hold (holdsOf / holdOf); without one the claim shows no hold. */
export const claimView = (c: ClaimRow, hold: ClaimHold | null = null) => ({
  id: c.id, enrolmentId: c.enrolmentId, module: c.moduleOrdinal === 0 ? null : c.moduleOrdinal, learnerId: c.learnerId, providerId: c.providerId,
  status: c.status, amountClaimed: c.amountClaimed,
  currency: c.currency, attendanceBps: c.attendanceBps, credentialId: c.credentialId, failedChecks: c.failedChecks as string[],
  reviewReasons: c.reviewReasons as string[], onHold: c.onHold, flagReason: c.flagReason, decidedBy: c.decidedBy,
  decisionReason: c.decisionReason, submittedAt: c.submittedAt.toISOString(), decidedAt: c.decidedAt?.toISOString() ?? null,
  paidAt: c.paidAt?.toISOString() ?? null, reversedAt: c.reversedAt?.toISOString() ?? null, reversalReasonCode: c.reversalReasonCode,
  reversalReason: c.reversalReason, hold,
});

const audienceOf = (ctx: RouteContext): HoldAudience => (ctx.principal.role === 'citizen' ? 'citizen' : ctx.principal.role === 'provider' ? 'provider' : 'staff');
/** The claim with its open hold, read after the change committed. */
const shown = async (ctx: RouteContext, c: ClaimRow) => claimView(c, await holdOf(ctx.db, c.id, audienceOf(ctx)));
const providerOf = (ctx: RouteContext) => {
  if (ctx.principal.role !== 'provider') throw new AppError('forbidden', 'only a provider may do this');
  return ctx.principal.providerId;
};

export function claimRoutes(deps: ServiceDeps): AnyRoute[] {
  const page = async (ctx: RouteContext, filter: ClaimFilter) => {
    const rows = await searchClaims(ctx.db, { ...filter, limit: filter.limit + 1 });
    const last = rows.length > filter.limit ? rows[filter.limit - 1] : undefined;
    const items = rows.slice(0, filter.limit);
    const holds = await holdsOf(ctx.db, items.map((c) => c.id), audienceOf(ctx));
    return {
      status: 200,
      body: { items: items.map((c) => claimView(c, holds.get(c.id) ?? null)), nextCursor: last ? encodeCursor({ at: last.submittedAt.toISOString(), id: last.id }) : null },
    };
  };
  return [
    defineRoute({
      method: 'post', path: '/v1/claims', operationId: 'submitClaim',
      summary: 'Claim payment for an enrolment with its completion credential',
      description:
        'Verified at once: approved (the reservation is posted for the amount and the rest returns to the learner), rejected (every failed check named; the reservation stays so a corrected claim can follow until the window closes), or in_review (valid but suspicious; finance decides). On a modular course a claim is a milestone claim: it names its `module`, its credential carries that module\'s achievement, and it posts only that module\'s part of the reservation; the enrolment completes when every module is approved. An enrolment of another provider answers 404 `enrolment not found`, the same as an id that does not exist: a provider cannot learn from this operation which enrolments other providers hold.' +
        claimCredentialDescription,
      tags: ['claims'], roles: ['provider'], body: submitClaimBody, idempotent: true,
      responses: { 201: { description: 'The claim and its outcome', schema: claimSchema } },
      handler: async ({ body }, ctx) => ({ status: 201, body: await shown(ctx, await submitClaim(deps, ctx.db, providerOf(ctx), body, actingOf(ctx))) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/claims', operationId: 'listClaims', summary: 'Claims: a provider\'s own, or all for finance and admin',
      description: 'Claims, newest first, optionally by status or only those on hold: a provider sees its own, finance and admin all. Paged with `cursor` and `limit`.',
      tags: ['claims'], roles: ['provider', 'finance', 'admin'], query: listClaimsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(claimSchema) } },
      handler: async ({ query }, ctx) =>
        page(ctx, {
          providerId: ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined, status: query.status,
          onHold: query.onHold === undefined ? undefined : query.onHold === 'true', before: decodeCursor(query.cursor, cursorSchema), limit: query.limit,
        }),
    }),
    defineRoute({
      method: 'get', path: '/v1/claims/{claimId}', operationId: 'getClaim', summary: 'One claim',
      description: 'One claim with its decision, hold and payment state. A provider sees only its own.',
      tags: ['claims'], roles: ['provider', 'finance', 'admin'], params: claimIdParams,
      responses: { 200: { description: 'The claim', schema: claimSchema } },
      handler: async ({ params }, ctx) => {
        const claim = await getClaim(ctx.db, params.claimId, ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined);
        return { status: 200, body: await shown(ctx, claim) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/me/claims', operationId: 'listMyClaims', summary: 'Claims providers made on my enrolments',
      description: 'Claims made against the signed-in citizen\'s enrolments, newest first, so they can see what was paid from their credit. Paged with `cursor` and `limit`.',
      tags: ['me', 'claims'], roles: ['citizen'], query: listClaimsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(claimSchema) } },
      handler: async ({ query }, ctx) => {
        if (ctx.principal.role !== 'citizen') throw notFound('claims');
        return page(ctx, { learnerId: ctx.principal.learnerId, status: query.status, before: decodeCursor(query.cursor, cursorSchema), limit: query.limit });
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/claims/{claimId}/decision', operationId: 'decideClaim',
      summary: 'Approve or reject a claim in review (or release one on hold); the flagging officer cannot decide',
      description:
        'A claim an officer flagged is decided at once by another officer (200). A claim the system itself sent to review or held (a suspicious pattern, a revoked credential) takes two: this decision becomes a proposal (202, with its approval) that a second finance officer approves at POST /v1/approvals/{approvalId}/approve.',
      tags: ['claims'], roles: ['finance'], params: claimIdParams, body: decisionBody, idempotent: true,
      responses: {
        200: { description: 'The decided claim', schema: claimSchema },
        202: { description: 'The decision is proposed; a second officer must approve it', schema: claimSchema.extend({ approval: approvalRefSchema }).meta({ id: 'ProposedClaimDecision' }) },
      },
      handler: async ({ params, body }, ctx) => {
        const { claim, approval } = await decideClaim(deps, ctx.db, params.claimId, body, actingOf(ctx));
        return approval ? { status: 202, body: { ...(await shown(ctx, claim)), approval: approvalRef(approval) } } : { status: 200, body: await shown(ctx, claim) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/claims/{claimId}/flag', operationId: 'flagClaim',
      summary: 'Flag a claim for review by another officer; an approved, unpaid claim is held from disbursement',
      description: 'A finance officer or admin puts a claim on hold for review with a reason; it is kept out of disbursement until another officer decides it. Refused with 409 `invalid_state` unless the claim is in review or approved.',
      tags: ['claims'], roles: ['finance', 'admin'], params: claimIdParams, body: flagBody,
      idempotent: true,
      responses: { 200: { description: 'The flagged claim', schema: claimSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: await shown(ctx, await flagClaim(deps, ctx.db, params.claimId, body.reason, actingOf(ctx))) }),
    }),
    defineRoute({
      method: 'post', path: '/v1/providers/me/revocations', operationId: 'revokeCredential',
      summary: 'Revoke a credential I issued; a claim already approved or paid on it is flagged for finance',
      description: 'A provider revokes a completion credential it issued (issued in error, or fraud). A claim in review on it can then only be rejected; a claim already approved or paid on it is flagged for finance to decide.',
      tags: ['providers', 'claims'], roles: ['provider'], body: revocationBody, idempotent: true,
      responses: { 201: { description: 'Revoked', schema: revocationSchema } },
      handler: async ({ body }, ctx) => ({ status: 201, body: await revokeCredential(deps, ctx.db, providerOf(ctx), body, actingOf(ctx)) }),
    }),
  ];
}
