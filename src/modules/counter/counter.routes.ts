import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { actingOf } from '../acting.js';
import { accountSchema, movementSchema } from '../accounts/accounts.schemas.js';
import type { ServiceDeps } from '../deps.js';
import { exportDisposition } from '../data-rights/data-export.service.js';
import { dataExportSchema } from '../data-rights/data-rights.schemas.js';
import { eligibilitySchema } from '../enrolments/enrolments.schemas.js';
import {
  attestationBody, counterAnswerSchema, counterEligibilityQuery, counterEnrolmentSchema, counterLookupBody, visitEnrolmentParams, visitParams, visitSchema,
} from './counter.schemas.js';
import {
  consentAtCounter, counterAccount, counterDataExport, counterEligibility, counterEnrolments, counterHistory, declineAtCounter, openVisit,
} from './counter.service.js';

const tags = ['counter'];
const visitGone = { 409: { description: '`invalid_state`: the visit ended (30 minutes after the look-up); look the learner up again' } };

export function counterRoutes(deps: ServiceDeps): AnyRoute[] {
  const page = z.strictObject(pageQuery);
  return [
    defineRoute({
      method: 'post', path: '/v1/counter/visits', operationId: 'openCounterVisit',
      summary: 'Find the learner at the counter by national id and open a visit',
      description: 'A service-counter officer finds a learner who is present by the national id on their card (sent in the body, matched through its keyed hash, never echoed back or logged), says why, and attests that the learner is present and how their identity was checked. The look-up is recorded with the officer and the reason. The visit lasts 30 minutes and only its officer can use it; a retry with the same Idempotency-Key answers the same visit. Counted against the per-caller learner look-up limit (429 past it).',
      tags, roles: ['counter'], body: counterLookupBody, rateLimit: 'learnerLookup', idempotent: true,
      responses: { 201: { description: 'The visit is open', schema: visitSchema } },
      handler: async ({ body }, ctx) => {
        const { visit, learner } = await openVisit(deps, ctx.db, body, actingOf(ctx));
        return {
          status: 201,
          body: {
            visitId: visit.visitId, expiresAt: visit.expiresAt.toISOString(),
            learner: { id: learner.id, country: learner.country, nationalIdMasked: learner.nationalIdMasked, fullName: learner.fullName },
          },
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/counter/visits/{visitId}/account', operationId: 'getCounterLearnerAccount',
      summary: 'The credit of the learner at the counter, as they see it',
      description: 'The learner\'s credit as the citizen portal shows it, read within the visit the officer opened (the look-up is the record of the read).',
      tags, roles: ['counter'], params: visitParams, responses: { 200: { description: 'The account', schema: accountSchema }, ...visitGone },
      handler: async ({ params }, ctx) => ({ status: 200, body: (await counterAccount(deps, ctx.db, params.visitId, actingOf(ctx))).result }),
    }),
    defineRoute({
      method: 'get', path: '/v1/counter/visits/{visitId}/transactions', operationId: 'listCounterLearnerTransactions',
      summary: 'The history of the learner at the counter, newest first',
      description: 'The learner\'s credit movements, read within the visit the officer opened (the look-up is the record of the read). Paged with `cursor` and `limit`.',
      tags, roles: ['counter'], params: visitParams, query: page,
      responses: { 200: { description: 'A page of movements', schema: pageSchema(movementSchema) }, ...visitGone },
      handler: async ({ params, query }, ctx) => ({ status: 200, body: (await counterHistory(deps, ctx.db, params.visitId, query, actingOf(ctx))).result }),
    }),
    defineRoute({
      method: 'get', path: '/v1/counter/visits/{visitId}/enrolments', operationId: 'listCounterLearnerEnrolments',
      summary: 'The enrolments of the learner at the counter, with the requests waiting for their consent',
      description: 'The learner\'s enrolments, newest first; those with status `requested` and a `consentDeadline` wait for the learner\'s answer. Read within the visit the officer opened.',
      tags, roles: ['counter'], params: visitParams,
      responses: { 200: { description: 'The enrolments', schema: z.object({ items: z.array(counterEnrolmentSchema) }) }, ...visitGone },
      handler: async ({ params }, ctx) => {
        const { result } = await counterEnrolments(deps, ctx.db, params.visitId, actingOf(ctx));
        return {
          status: 200,
          body: {
            items: result.map((e) => ({
              id: e.id, status: e.status, courseTitle: e.courseTitle, providerName: e.providerName, runStartsAt: e.runStartsAt.toISOString(),
              fee: e.fee, funded: e.funded, coPay: e.coPay, reserved: e.reserved, currency: e.currency,
              consentDeadline: e.consentDeadline?.toISOString() ?? null, answeredAtCounterBy: e.answeredAtCounterBy,
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/counter/visits/{visitId}/eligibility', operationId: 'checkCounterLearnerEligibility',
      summary: 'Whether a course run is fundable for the learner at the counter, every rule checked',
      description: 'The same decision the citizen sees for themselves; nothing is reserved. Counted against the per-caller eligibility limit (429 past it).',
      tags, roles: ['counter'], params: visitParams, query: counterEligibilityQuery, rateLimit: 'eligibility',
      responses: { 200: { description: 'The decision', schema: eligibilitySchema }, ...visitGone },
      handler: async ({ params, query }, ctx) => ({
        status: 200, body: (await counterEligibility(deps, ctx.db, params.visitId, query.courseRunId, actingOf(ctx))).result,
      }),
    }),
    defineRoute({
      method: 'get', path: '/v1/counter/visits/{visitId}/data-export', operationId: 'exportCounterLearnerData',
      summary: 'Everything the service holds about the learner at the counter, for them to take away',
      description: 'The same export the learner downloads for themselves (exportMyData), read within the visit the officer opened, for a learner who cannot download it. Recorded in the learner\'s staff-read log. Sent as an attachment.',
      tags, roles: ['counter'], params: visitParams,
      responses: { 200: { description: 'The export', schema: dataExportSchema, download: true }, ...visitGone },
      handler: async ({ params }, ctx) => {
        const { result } = await counterDataExport(deps, ctx.db, params.visitId, actingOf(ctx));
        return { status: 200, body: result, headers: { 'Content-Disposition': exportDisposition(result.exportedAt) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/counter/visits/{visitId}/enrolments/{enrolmentId}/consent', operationId: 'consentAtCounter',
      summary: 'The learner at the counter approves a provider\'s request; credit is reserved',
      description: 'The officer records that the learner, present and with their identity checked, approves a provider\'s enrolment request. The same consent as the learner\'s own (eligibility checked again, credit reserved); the audit trail and the learner\'s history name the officer. Refused with 422 `validation_failed` naming `body.learnerPresent` or `body.identityCheck` without the attestation.',
      tags, roles: ['counter'], params: visitEnrolmentParams, body: attestationBody, idempotent: true,
      responses: {
        200: { description: 'Reserved', schema: counterAnswerSchema },
        409: { description: '`invalid_state`: the enrolment is no longer awaiting consent, the request lapsed or the visit ended; `insufficient_credit`: the credit changed while reserving; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
        422: { description: '`not_eligible`: the learner may no longer use credit for this run, and `reasons` says why; `validation_failed`: no attestation, and `errors` names the field' },
      },
      handler: async ({ params, body }, ctx) => ({
        status: 200, body: await consentAtCounter(deps, ctx.db, params.visitId, params.enrolmentId, body, actingOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'post', path: '/v1/counter/visits/{visitId}/enrolments/{enrolmentId}/decline', operationId: 'declineAtCounter',
      summary: 'The learner at the counter declines a provider\'s request',
      description: 'The officer records that the learner, present and with their identity checked, declines a provider\'s enrolment request; nothing moves. Refused with 422 `validation_failed` naming the field without the attestation, and 409 `invalid_state` unless the enrolment is `requested`.',
      tags, roles: ['counter'], params: visitEnrolmentParams, body: attestationBody, idempotent: true,
      responses: { 200: { description: 'Declined', schema: counterAnswerSchema }, ...visitGone },
      handler: async ({ params, body }, ctx) => ({
        status: 200, body: await declineAtCounter(deps, ctx.db, params.visitId, params.enrolmentId, body, actingOf(ctx)),
      }),
    }),
  ];
}
