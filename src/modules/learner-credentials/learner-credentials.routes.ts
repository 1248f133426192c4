import { z } from 'zod';
import { actingOf } from '../acting.js';
import { notFound } from '../../lib/app-error.js';
import { cursorInstant, decodeCursor, encodeCursor, pageSchema } from '../../lib/cursor.js';
import { definePublicRoute, defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import { verificationAnswerSchema } from '../credentials/verification-answer.js';
import type { ServiceDeps } from '../deps.js';
import {
  createdShareSchema, createShareBody, credentialIdParams, learnerCredentialSchema, learnerCredentialView, listCredentialsQuery, shareIdParams, shareSchema,
  sharedCredentialSchema, sharedCredentialView, shareTokenParams, shareUseSchema, shareUseView, shareView, verifyCredentialBody,
} from './learner-credentials.schemas.js';
import { verifyAnyCredential } from './verify-any-credential.js';
import { createShare, getMyCredential, shareUrlOf, listMyCredentials, openShare, revokeShare, sharesOf, usesOf } from './learner-credentials.service.js';

/** The media type of a VC secured as a JWT (W3C VC-JOSE-COSE, section 3.1.1; its JOSE header `typ` is vc+jwt). */
export const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';

const cursorSchema = z.object({ at: cursorInstant, id: z.uuid() });

/** The signed-in citizen's learner: every operation here is about their own record only. */
const learnerOf = (ctx: RouteContext) => {
  if (ctx.principal.role !== 'citizen') throw notFound('credential');
  return ctx.principal.learnerId;
};

const statusWords =
  'Each answer lists five checks, passed or not, and a failed one names its reason: `signature` (signing_key_unknown, signature_invalid, algorithm_not_allowed, credential_malformed), `issuer` (issuer_unknown, provider_suspended), `achievement` (course_unknown, course_of_another_provider, course_not_approved, result_failed, result_missing, achievement_level_mismatch, achievement_workload_mismatch), `revocation` (revoked), `expiry` (expired, not_yet_valid, issued_in_future). A check that could not be made because the signature did not verify says `not_checked`. `verified` is true only when all five passed.';

const answerExample = {
  verified: false,
  kind: 'completion_credential',
  checks: [
    { check: 'signature', passed: true },
    { check: 'issuer', passed: true },
    { check: 'achievement', passed: true },
    { check: 'revocation', passed: false, reason: 'revoked', detail: 'the provider revoked this credential' },
    { check: 'expiry', passed: true },
  ],
  credential: {
    id: 'urn:uuid:5d1f0c8e-3b7a-4e2f-9a61-0c2b8d4e6f10', issuer: 'urn:learning-credits:provider:0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    issuerName: 'Lion City Digital Academy Pte Ltd', achievementId: 'urn:learning-credits:course:0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c',
    achievementName: 'Data Analytics Fundamentals', validFrom: '2027-03-29T09:00:00.000Z', validUntil: '2028-03-29T09:00:00.000Z',
  },
};
const sharedExample = {
  verification: answerExample,
  credential: {
    vcId: answerExample.credential.id, issuer: answerExample.credential.issuer, issuerName: answerExample.credential.issuerName,
    achievementId: answerExample.credential.achievementId, achievementName: answerExample.credential.achievementName,
    validFrom: answerExample.credential.validFrom, validUntil: answerExample.credential.validUntil, result: { status: 'Completed', grade: 'A', attendanceBps: 9000 },
  },
  original: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImFjYWRlbXktMjAyNyIsInR5cCI6InZjK2p3dCJ9.eyJ0eXBlIjpbIlZlcmlmaWFibGVDcmVkZW50aWFsIl19.c2lnbmF0dXJl',
  shareExpiresAt: '2027-04-28T09:00:00.000Z',
};

export function learnerCredentialRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/me/credentials', operationId: 'listMyCredentials', summary: 'My verified credentials, newest first',
      description: 'Every credential that backed one of my claims once the claim is approved or paid, as the provider signed it, with its live status (valid, revoked by the provider, expired). A claim in review is not shown until it is approved; a rejected one never. Paged with `cursor` and `limit`.',
      tags: ['me', 'credentials'], roles: ['citizen'], query: listCredentialsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(learnerCredentialSchema) } },
      handler: async ({ query }, ctx) => {
        const cursor = decodeCursor(query.cursor, cursorSchema);
        const before = cursor && { at: new Date(cursor.at), id: cursor.id };
        const rows = await listMyCredentials(deps, ctx.db, learnerOf(ctx), { before, limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const last = rows.length > query.limit ? items[items.length - 1] : undefined;
        return { status: 200, body: { items: items.map(learnerCredentialView), nextCursor: last ? encodeCursor({ at: last.createdAt.toISOString(), id: last.id }) : null } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/me/credentials/{credentialId}', operationId: 'getMyCredential', summary: 'One of my credentials, with its live status',
      description: 'One kept credential. Another learner\'s is a 404, the same as one that does not exist.',
      tags: ['me', 'credentials'], roles: ['citizen'], params: credentialIdParams,
      responses: { 200: { description: 'The credential', schema: learnerCredentialSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: learnerCredentialView(await getMyCredential(deps, ctx.db, learnerOf(ctx), params.credentialId)) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/me/credentials/{credentialId}/original', operationId: 'downloadMyCredential', summary: 'Download the original VC-JWT',
      description: `The credential exactly as the provider signed it (a compact JWS), byte for byte, as \`${VC_JWT_MEDIA_TYPE}\` (W3C VC-JOSE-COSE): any verifier can check it against the provider's key.`,
      tags: ['me', 'credentials'], roles: ['citizen'], params: credentialIdParams,
      responses: {
        200: {
          description: 'The VC-JWT', schema: z.string(), contentType: VC_JWT_MEDIA_TYPE, download: true,
          example: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImFjYWRlbXktMjAyNyIsInR5cCI6InZjK2p3dCJ9.eyJ0eXBlIjpbIlZlcmlmaWFibGVDcmVkZW50aWFsIiwiT3BlbkJhZGdlQ3JlZGVudGlhbCJdfQ.c2lnbmF0dXJl',
        },
      },
      handler: async ({ params }, ctx) => {
        const c = await getMyCredential(deps, ctx.db, learnerOf(ctx), params.credentialId);
        return { status: 200, body: c.jws, headers: { 'Content-Type': VC_JWT_MEDIA_TYPE, 'Content-Disposition': `attachment; filename="credential-${c.id}.jwt"` } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/me/credentials/{credentialId}/shares', operationId: 'shareMyCredential', summary: 'Create a share link for an employer',
      description: `A link that lets whoever holds it verify this credential without signing in, for 1 to 90 days (30 unless said), until I revoke it. The token is shown once, in this answer (and to a retry under the same Idempotency-Key); the service keeps only its hash. Each use is logged: when, and whether it verified, never who. A revoked or expired credential can still be shared: the link then says so.`,
      tags: ['me', 'credentials'], roles: ['citizen'], params: credentialIdParams, body: createShareBody, idempotent: true,
      responses: { 201: { description: 'The link', schema: createdShareSchema } },
      handler: async ({ params, body }, ctx) => {
        const { share, token } = await createShare(deps, ctx.db, learnerOf(ctx), params.credentialId, body, actingOf(ctx));
        const url = shareUrlOf(deps, ctx.req, token);
        return { status: 201, body: { shareId: share.id, url, token, expiresAt: share.expiresAt.toISOString() } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/me/credentials/{credentialId}/shares', operationId: 'listMyCredentialShares', summary: 'My share links of a credential, with use counts',
      description: 'The share links of one credential, newest first (the latest 200), with their state and how many times each was opened. Tokens are never shown again.',
      tags: ['me', 'credentials'], roles: ['citizen'], params: credentialIdParams,
      responses: { 200: { description: 'The links', schema: z.object({ items: z.array(shareSchema) }) } },
      handler: async ({ params }, ctx) => {
        const rows = await sharesOf(deps, ctx.db, learnerOf(ctx), params.credentialId);
        const now = deps.clock.now();
        return { status: 200, body: { items: rows.map((r) => shareView(r.share, r.uses, now)) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/me/credential-shares/{shareId}/revocation', operationId: 'revokeMyCredentialShare', summary: 'Revoke a share link',
      description: 'The link stops working at once (410 `gone`, share_revoked, to whoever opens it). Revoking it again changes nothing.',
      tags: ['me', 'credentials'], roles: ['citizen'], params: shareIdParams, idempotent: true,
      responses: { 200: { description: 'The revoked link', schema: shareSchema } },
      handler: async ({ params }, ctx) => {
        const learnerId = learnerOf(ctx);
        const share = await revokeShare(deps, ctx.db, learnerId, params.shareId, actingOf(ctx));
        const { uses } = await usesOf(ctx.db, learnerId, share.id);
        return { status: 200, body: shareView(share, uses.length, deps.clock.now()) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/me/credential-shares/{shareId}/uses', operationId: 'listMyCredentialShareUses', summary: 'When a share link was used, and what it answered',
      description: 'Each opening of the link, newest first (the latest 200): when, whether the credential verified, and why not. Nothing about who opened it is kept.',
      tags: ['me', 'credentials'], roles: ['citizen'], params: shareIdParams,
      responses: { 200: { description: 'The uses', schema: z.object({ share: shareSchema, items: z.array(shareUseSchema) }) } },
      handler: async ({ params }, ctx) => {
        const { share, uses } = await usesOf(ctx.db, learnerOf(ctx), params.shareId);
        return { status: 200, body: { share: shareView(share, uses.length, deps.clock.now()), items: uses.map(shareUseView) } };
      },
    }),
    definePublicRoute({
      method: 'post', path: '/v1/public/credential-verifications', operationId: 'verifyCredential', summary: 'Verify any VC-JWT from a registered provider, or a stacked pathway credential the service issued (no sign-in)',
      description: `Anyone (an employer) may send a provider's completion credential, or a stacked pathway credential the service issued (signed with the scheme's key, checked against the scheme's Bitstring Status List), without a token; calls are counted per client address (429 past RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE). The answer says whether it verifies now. ${statusWords} Nothing is stored. A body that is not a compact JWS carrying a credential is a 422 naming \`body.credential\`; attendance or a result sent beside it is a 422 too: only what the provider signed counts.`,
      tags: ['public', 'credentials'], roles: [], public: true, rateLimit: 'publicVerify', body: verifyCredentialBody,
      responses: { 200: { description: 'The answer (200 whether or not it verified: read `verified` and `checks`)', schema: verificationAnswerSchema, example: answerExample } },
      handler: async ({ body }, ctx) => ({ status: 200, body: await verifyAnyCredential({ db: ctx.db, clock: deps.clock }, body.credential) }),
    }),
    definePublicRoute({
      method: 'get', path: '/v1/public/credential-shares/{token}', operationId: 'openCredentialShare', summary: 'Open a share link: the credential, verified now (no sign-in)',
      description: `What a learner's share link shows: the verification answer as of now, what the credential says, and the original VC-JWT to check independently. The use is logged for the learner (when, and the answer; nothing about who asked). ${statusWords} A credential the provider revoked after it was shared answers with \`revocation\` failed, reason \`revoked\`. Counted per client address like POST /v1/public/credential-verifications.`,
      tags: ['public', 'credentials'], roles: [], public: true, rateLimit: 'publicVerify', params: shareTokenParams,
      responses: {
        200: { description: 'The shared credential and its answer', schema: sharedCredentialSchema, example: sharedExample },
        404: { description: '`not_found`: no share link has this token' },
        410: { description: '`gone`: the link has expired (reasons: share_expired) or the learner revoked it (reasons: share_revoked)' },
      },
      handler: async ({ params }, ctx) => {
        const opened = await openShare(deps, ctx.db, params.token);
        return { status: 200, body: sharedCredentialView(opened.verification, opened.credential, opened.share.expiresAt) };
      },
    }),
  ];
}
