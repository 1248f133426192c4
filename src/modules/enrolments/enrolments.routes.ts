import { z } from 'zod';
import { actingOf } from '../acting.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../../http/route.js';
import { cursorInstant, decodeCursor, encodeCursor, pageSchema } from '../../lib/cursor.js';
import type { ServiceDeps } from '../deps.js';
import { checkEligibility } from '../eligibility/eligibility.service.js';
import {
  eligibilityQuery, eligibilityQueryForCitizen, eligibilitySchema, emptyBody, enrolmentIdParams, enrolmentSchema, listEnrolmentsQuery,
  myEnrolmentsQuery, requestEnrolmentBody, selfEnrolBody, withdrawBody,
} from './enrolments.schemas.js';
import {
  consentToEnrolment, credentialFactsOf, enrolmentLegs, getEnrolment, learnerEnds, providerWithdraws, requestEnrolment, searchEnrolments, selfEnrol,
  type EnrolmentFilter, type EnrolmentRow, type Reservation,
} from './enrolments.service.js';
import { heldAmount } from './held.js';

const cursorSchema = z.object({ at: cursorInstant, id: z.uuid() });

type Legs = (Awaited<ReturnType<typeof enrolmentLegs>> extends Map<string, infer L> ? L : never) | Reservation['legs'];

function viewOf(e: EnrolmentRow, mine: Legs, facts: { courseId: string; subjectId: string } | undefined) {
  return {
    id: e.id, learnerId: e.learnerId, courseRunId: e.courseRunId, providerId: e.providerId, status: e.status, origin: e.origin,
    courseId: facts?.courseId ?? null, learnerSubjectId: facts?.subjectId ?? null,
    fee: e.fee, funded: e.funded, coPay: e.coPay, currency: e.currency,
    reserved: e.status === 'reserved' ? heldAmount(mine) : 0n,
    legs: mine.map((l) => ({
      grantId: l.grantId, schemeId: l.schemeId, module: l.moduleOrdinal === 0 ? null : l.moduleOrdinal, amount: l.amount, holdUntil: l.holdUntil.toISOString(),
    })),
    requestedAt: e.requestedAt.toISOString(), consentDeadline: e.consentDeadline?.toISOString() ?? null,
    reservedAt: e.reservedAt?.toISOString() ?? null, reservationExpiresAt: e.reservationExpiresAt?.toISOString() ?? null,
    endedAt: e.endedAt?.toISOString() ?? null, endReason: e.endReason,
  };
}

async function views(db: RouteContext['db'], rows: EnrolmentRow[]) {
  const legs = await enrolmentLegs(db, rows.map((r) => r.id));
  const facts = await credentialFactsOf(db, rows);
  return rows.map((e) => viewOf(e, legs.get(e.id) ?? [], facts.get(e.id)));
}

/** A reservation just made already knows its legs and facts: no read back. */
const reserved = (r: Reservation, status: number) => ({
  status, body: viewOf(r.row, r.legs, { courseId: r.courseId, subjectId: r.learnerSubjectId }),
});

const one = async (db: RouteContext['db'], row: EnrolmentRow, status = 200) => ({ status, body: (await views(db, [row]))[0] });

const citizen = (ctx: RouteContext) => {
  if (ctx.principal.role !== 'citizen') throw new AppError('forbidden', 'only the learner may do this');
  return ctx.principal.learnerId;
};

export function enrolmentRoutes(deps: ServiceDeps): AnyRoute[] {
  const page = async (db: RouteContext['db'], filter: EnrolmentFilter) => {
    const rows = await searchEnrolments(db, { ...filter, limit: filter.limit + 1 });
    const items = await views(db, rows.slice(0, filter.limit));
    const last = rows.length > filter.limit ? rows[filter.limit - 1] : undefined;
    return { status: 200, body: { items, nextCursor: last ? encodeCursor({ at: last.requestedAt.toISOString(), id: last.id }) : null } };
  };
  const eligibility = async (ctx: RouteContext, learnerId: string, courseRunId: string, providerId?: string) => ({
    status: 200, body: await checkEligibility(deps, ctx.db, learnerId, courseRunId, providerId),
  });
  return [
    defineRoute({
      method: 'get', path: '/v1/me/eligibility', operationId: 'checkMyEligibility',
      summary: 'Whether a course run is fundable for me, every rule checked, and what I would co-pay',
      description: 'Whether the signed-in citizen may use credit for a course run, and how much: each rule checked with its outcome, the credit that would fund it and the co-payment. The same rules an enrolment applies; nothing is reserved. Counted against the per-caller eligibility limit (429 past it).',
      tags: ['me', 'eligibility'], roles: ['citizen'], query: eligibilityQueryForCitizen, rateLimit: 'eligibility',
      responses: { 200: { description: 'The decision', schema: eligibilitySchema } },
      handler: async ({ query }, ctx) => eligibility(ctx, citizen(ctx), query.courseRunId),
    }),
    defineRoute({
      method: 'get', path: '/v1/eligibility', operationId: 'checkEligibility',
      summary: 'Eligibility of a learner for a run (a provider only for its own runs)',
      description: 'Providers and admins check whether a learner may use credit for a course run before requesting an enrolment; nothing is reserved. Counted against the per-caller eligibility limit (429 past it) so that providers cannot trawl for learners with unused credit.',
      tags: ['eligibility'], roles: ['provider', 'admin'], query: eligibilityQuery, rateLimit: 'eligibility',
      responses: { 200: { description: 'The decision', schema: eligibilitySchema } },
      handler: async ({ query }, ctx) =>
        eligibility(ctx, query.learnerId, query.courseRunId, ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined),
    }),
    defineRoute({
      method: 'post', path: '/v1/enrolments', operationId: 'requestEnrolment',
      summary: 'A provider requests an enrolment for a learner; no money moves until the learner consents',
      description: 'A provider asks a learner to fund a place on one of its course runs. Nothing is reserved yet: the learner sees the request under /v1/me/enrolments and consents or declines within 14 days. Refused with 422 `not_eligible` (with `reasons`) when the learner may not use credit for the run.',
      tags: ['enrolments'], roles: ['provider'], body: requestEnrolmentBody, idempotent: true,
      responses: {
        201: { description: 'Requested', schema: enrolmentSchema },
        422: { description: '`not_eligible`: the learner may not use credit for this run, and `reasons` says why; `validation_failed`: invalid input, and `errors` names each field' },
      },
      handler: async ({ body }, ctx) => {
        if (ctx.principal.role !== 'provider') throw notFound('course run');
        return one(ctx.db, await requestEnrolment(deps, ctx.db, ctx.principal.providerId, body, actingOf(ctx)), 201);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/enrolments', operationId: 'listEnrolments', summary: 'Enrolments: a provider\'s own, or all for an admin',
      description: 'Enrolments, newest first, filtered by status, course run or learner: a provider sees its own, an admin all. Paged with `cursor` and `limit`.',
      tags: ['enrolments'], roles: ['provider', 'admin'], query: listEnrolmentsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(enrolmentSchema) } },
      handler: async ({ query }, ctx) =>
        page(ctx.db, {
          providerId: ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined,
          learnerId: query.learnerId, courseRunId: query.courseRunId, status: query.status,
          before: decodeCursor(query.cursor, cursorSchema), limit: query.limit,
        }),
    }),
    defineRoute({
      method: 'get', path: '/v1/enrolments/{enrolmentId}', operationId: 'getEnrolment', summary: 'One enrolment',
      description: 'One enrolment with its reservation legs. A provider sees only its own: another provider\'s answers 404, like one that does not exist.',
      tags: ['enrolments'], roles: ['provider', 'admin'], params: enrolmentIdParams,
      responses: { 200: { description: 'The enrolment', schema: enrolmentSchema } },
      handler: async ({ params }, ctx) => {
        return one(ctx.db, await getEnrolment(ctx.db, params.enrolmentId, ctx.principal.role === 'provider' ? ctx.principal.providerId : undefined));
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/enrolments/{enrolmentId}/withdraw', operationId: 'withdrawEnrolment',
      summary: 'A provider withdraws an enrolment before any claim; the reservation goes back to the learner',
      description: 'The provider withdraws a request or a reservation it made (the learner did not start, the run moved). Reserved credit is released to the learner. Refused with 409 `invalid_state` once the enrolment is claimed or ended.',
      tags: ['enrolments'], roles: ['provider'], params: enrolmentIdParams, body: withdrawBody, idempotent: true,
      responses: { 200: { description: 'Withdrawn', schema: enrolmentSchema } },
      handler: async ({ params, body }, ctx) => {
        if (ctx.principal.role !== 'provider') throw notFound('enrolment');
        return one(ctx.db, await providerWithdraws(deps, ctx.db, ctx.principal.providerId, params.enrolmentId, body.reason, actingOf(ctx)));
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/me/enrolments', operationId: 'selfEnrol', summary: 'Enrol myself on a run; credit is reserved at once',
      description: 'The signed-in citizen enrols themselves on a course run: eligibility is checked and the credit reserved in the same request. Refused with 422 `not_eligible` (with `reasons`) or 409 `insufficient_credit`.',
      tags: ['me', 'enrolments'], roles: ['citizen'], body: selfEnrolBody, idempotent: true,
      responses: {
        201: { description: 'Enrolled and reserved', schema: enrolmentSchema },
        409: { description: '`insufficient_credit`: the credit changed while reserving; check eligibility again; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
        422: { description: '`not_eligible`: you may not use credit for this run (or it is full or cancelled), and `reasons` says why; `validation_failed`: invalid input' },
      },
      handler: async ({ body }, ctx) => reserved(await selfEnrol(deps, ctx.db, citizen(ctx), body.courseRunId, actingOf(ctx)), 201),
    }),
    defineRoute({
      method: 'get', path: '/v1/me/enrolments', operationId: 'listMyEnrolments', summary: 'My enrolments, newest first',
      description: 'The signed-in citizen\'s enrolments, newest first, including provider requests awaiting their consent (status `requested`). Paged with `cursor` and `limit`.',
      tags: ['me', 'enrolments'], roles: ['citizen'], query: myEnrolmentsQuery,
      responses: { 200: { description: 'A page', schema: pageSchema(enrolmentSchema) } },
      handler: async ({ query }, ctx) =>
        page(ctx.db, { learnerId: citizen(ctx), status: query.status, before: decodeCursor(query.cursor, cursorSchema), limit: query.limit }),
    }),
    defineRoute({
      method: 'post', path: '/v1/me/enrolments/{enrolmentId}/consent', operationId: 'consentToEnrolment',
      summary: 'Approve a provider\'s request: eligibility is checked again and credit reserved',
      description: 'The signed-in citizen approves a provider\'s enrolment request: eligibility is checked again and the credit reserved. Refused with 409 `invalid_state` when the request is no longer awaiting consent or lapsed, 409 `insufficient_credit` when the credit changed, and 422 `not_eligible` when the learner no longer qualifies.',
      tags: ['me', 'enrolments'], roles: ['citizen'], params: enrolmentIdParams, body: emptyBody, idempotent: true,
      responses: {
        200: { description: 'Reserved', schema: enrolmentSchema },
        409: { description: '`invalid_state`: the enrolment is no longer awaiting consent, or the request lapsed; `insufficient_credit`: the credit changed while reserving; `idempotency_key_in_use`: a request with this Idempotency-Key is still running' },
        422: { description: '`not_eligible`: you may no longer use credit for this run (or it is full or cancelled), and `reasons` says why; `validation_failed`: invalid input' },
      },
      handler: async ({ params }, ctx) => reserved(await consentToEnrolment(deps, ctx.db, citizen(ctx), params.enrolmentId, actingOf(ctx)), 200),
    }),
    defineRoute({
      method: 'post', path: '/v1/me/enrolments/{enrolmentId}/decline', operationId: 'declineEnrolment', summary: 'Decline a provider\'s request',
      description: 'The signed-in citizen declines a provider\'s enrolment request; nothing was reserved, nothing moves. Refused with 409 `invalid_state` unless the enrolment is `requested`.',
      tags: ['me', 'enrolments'], roles: ['citizen'], params: enrolmentIdParams, body: emptyBody, idempotent: true,
      responses: { 200: { description: 'Declined', schema: enrolmentSchema } },
      handler: async ({ params }, ctx) => one(ctx.db, await learnerEnds(deps, ctx.db, citizen(ctx), params.enrolmentId, 'decline', actingOf(ctx))),
    }),
    defineRoute({
      method: 'post', path: '/v1/me/enrolments/{enrolmentId}/cancel', operationId: 'cancelMyEnrolment',
      summary: 'Cancel my enrolment before any claim; the credit comes back at once',
      description: 'The signed-in citizen cancels an enrolment before it is claimed; the reserved credit comes back to their grants. Refused with 409 `invalid_state` once claimed or ended.',
      tags: ['me', 'enrolments'], roles: ['citizen'], params: enrolmentIdParams, body: emptyBody, idempotent: true,
      responses: { 200: { description: 'Cancelled', schema: enrolmentSchema } },
      handler: async ({ params }, ctx) => one(ctx.db, await learnerEnds(deps, ctx.db, citizen(ctx), params.enrolmentId, 'cancel', actingOf(ctx))),
    }),
  ];
}
