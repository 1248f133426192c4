import type { z } from 'zod';
import { defineRoute, type AnyRoute, type RouteContext, type RouteSpec } from '../../http/route.js';
import { actingOf } from '../acting.js';
import type { ServiceDeps } from '../deps.js';
import type { EventType } from '../events/event-types.js';
import { ownProviderId } from '../providers/providers.service.js';
import type { AttemptRow, DeliveryRow } from './deliveries.service.js';
import { deliveriesService } from './deliveries.service.js';
import { endpointsService, type EndpointRow } from './endpoints.service.js';
import {
  adminEndpointListQuery, createdEndpointSchema, deliveryDetailSchema, deliveryIdParams, deliveryListQuery, deliveryListSchema, endpointChangeSchema,
  endpointIdParams, endpointListQuery, endpointListSchema, endpointSchema, newEndpointSchema, replaySchema, rotatedSecretSchema,
} from './webhooks.schemas.js';

const toEndpoint = (e: EndpointRow) => ({
  id: e.id, providerId: e.providerId, url: e.url, eventTypes: e.eventTypes, description: e.description, enabled: e.enabled,
  createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString(),
});
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toDelivery = (d: DeliveryRow) => ({
  id: d.id, endpointId: d.endpointId, eventId: d.eventId, eventType: d.eventType, status: d.status, attempts: d.attempts,
  createdAt: d.createdAt.toISOString(), lastAttemptAt: iso(d.lastAttemptAt), nextAttemptAt: iso(d.nextAttemptAt), deliveredAt: iso(d.deliveredAt),
});
const toAttempt = (a: AttemptRow) => ({
  attempt: a.attempt, trigger: a.trigger, startedAt: a.startedAt.toISOString(), durationMs: a.durationMs, outcome: a.outcome,
  statusCode: a.statusCode, errorClass: a.errorClass, responseExcerpt: a.responseExcerpt,
});

const signing = 'Deliveries follow the Standard Webhooks specification: a JSON body {type, timestamp, data}, and the headers `webhook-id` (the delivery\'s id, the same on every attempt: deduplicate by it), `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 with the endpoint\'s secret).';
const ssrf = 'The URL must be https://, carry no user name or password, and its host must not be or resolve to a private, loopback, link-local, unique-local, shared (CGNAT), multicast, reserved or metadata address; it is resolved again at each delivery. Refused: 422 naming `body.url`, with the reason (`https_required`, `credentials_in_url`, `forbidden_address`, `unresolvable_host`, `not_a_url`).';

const tags = ['webhooks'];

/**
 * A page of webhook endpoints, oldest first: the provider's own list and the
 * administrators' differ only in path, caller, query and whose endpoints
 * they list (providerOf: one provider's, or undefined for every provider's).
 */
function endpointListRoute<Q extends typeof endpointListQuery | typeof adminEndpointListQuery>(
  endpoints: ReturnType<typeof endpointsService>,
  spec: Pick<RouteSpec<undefined, Q, undefined>, 'path' | 'operationId' | 'summary' | 'description' | 'roles'> & {
    query: Q; providerOf: (query: z.output<Q>, ctx: RouteContext) => string | undefined;
  },
): AnyRoute {
  const { providerOf, ...route } = spec;
  return defineRoute<undefined, Q, undefined>({
    ...route, method: 'get', tags,
    responses: { 200: { description: 'Endpoints', schema: endpointListSchema } },
    // The query is Q's output (defineRoute's Infer<Q>), which TypeScript does not resolve for a generic Q.
    handler: async ({ query }, ctx) => {
      const page = await endpoints.list(ctx.db, { providerId: providerOf(query as z.output<Q>, ctx), cursor: query.cursor, limit: query.limit });
      return { status: 200, body: { items: page.items.map(toEndpoint), nextCursor: page.nextCursor } };
    },
  });
}

export function webhookRoutes(deps: ServiceDeps): AnyRoute[] {
  const endpoints = endpointsService(deps);
  const deliveries = deliveriesService(deps);
  return [
    defineRoute({
      method: 'post', path: '/v1/providers/me/webhook-endpoints', operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint for the calling provider',
      description: `Events about the provider's own enrolments, claims, payments and recoveries are POSTed to the endpoint, for the event types it names. ${signing} The signing secret is in this answer only: a retry with the same Idempotency-Key replays it with "secret": null, since the secret is never kept in clear. ${ssrf}`,
      tags, roles: ['provider'], body: newEndpointSchema, idempotent: true, issuesSecret: 'secret',
      responses: { 201: { description: 'Registered, with its signing secret', schema: createdEndpointSchema } },
      handler: async ({ body }, ctx) => {
        const r = await endpoints.create(ctx.db, ownProviderId(ctx), { ...body, eventTypes: body.eventTypes as EventType[] }, actingOf(ctx));
        return { status: 201, body: { ...toEndpoint(r.endpoint), secret: r.secret } };
      },
    }),
    endpointListRoute(endpoints, {
      path: '/v1/providers/me/webhook-endpoints', operationId: 'listOwnWebhookEndpoints',
      summary: "The calling provider's webhook endpoints", description: 'Oldest first; never the secrets.',
      roles: ['provider'], query: endpointListQuery, providerOf: (_query, ctx) => ownProviderId(ctx),
    }),
    endpointListRoute(endpoints, {
      path: '/v1/webhook-endpoints', operationId: 'listWebhookEndpoints',
      summary: 'Every provider\'s webhook endpoints, for administrators', description: 'Oldest first, optionally of one provider; never the secrets.',
      roles: ['admin'], query: adminEndpointListQuery, providerOf: (query) => query.providerId,
    }),
    defineRoute({
      method: 'get', path: '/v1/providers/me/webhook-endpoints/{endpointId}', operationId: 'getOwnWebhookEndpoint',
      summary: 'One of the calling provider\'s webhook endpoints', description: 'Another provider\'s endpoint is not found.',
      tags, roles: ['provider'], params: endpointIdParams,
      responses: { 200: { description: 'The endpoint', schema: endpointSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: toEndpoint(await endpoints.ownEndpoint(ctx.db, ownProviderId(ctx), params.endpointId)) }),
    }),
    defineRoute({
      method: 'patch', path: '/v1/providers/me/webhook-endpoints/{endpointId}', operationId: 'updateOwnWebhookEndpoint',
      summary: 'Change a webhook endpoint: its URL, event types, description, or enable or disable it',
      description: `A disabled endpoint gets no new deliveries, and its pending ones are not retried. ${ssrf}`,
      tags, roles: ['provider'], params: endpointIdParams, body: endpointChangeSchema, idempotent: true,
      responses: { 200: { description: 'The endpoint', schema: endpointSchema } },
      handler: async ({ params, body }, ctx) => ({
        status: 200,
        body: toEndpoint(await endpoints.update(ctx.db, ownProviderId(ctx), params.endpointId, { ...body, eventTypes: body.eventTypes as EventType[] | undefined }, actingOf(ctx))),
      }),
    }),
    defineRoute({
      method: 'delete', path: '/v1/providers/me/webhook-endpoints/{endpointId}', operationId: 'deleteOwnWebhookEndpoint',
      summary: 'Delete a webhook endpoint', description: 'No new deliveries and no retries; its deliveries stay listed.',
      tags, roles: ['provider'], params: endpointIdParams, idempotent: true,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params }, ctx) => {
        await endpoints.remove(ctx.db, ownProviderId(ctx), params.endpointId, actingOf(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/providers/me/webhook-endpoints/{endpointId}/secret-rotations', operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret for a webhook endpoint',
      description: 'The new secret is in this answer only. The secrets that signed until now keep signing for 24 hours beside it (`webhook-signature` carries one signature per secret, space-separated), so the receiver can switch without losing a message; then they expire.',
      tags, roles: ['provider'], params: endpointIdParams, idempotent: true, issuesSecret: 'secret',
      responses: { 201: { description: 'The new secret', schema: rotatedSecretSchema } },
      handler: async ({ params }, ctx) => {
        const r = await endpoints.rotateSecret(ctx.db, ownProviderId(ctx), params.endpointId, actingOf(ctx));
        return { status: 201, body: { secret: r.secret, previousSecretExpiresAt: r.previousExpiresAt.toISOString() } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/providers/me/webhook-deliveries', operationId: 'listOwnWebhookDeliveries',
      summary: "The calling provider's webhook deliveries",
      description: 'Newest first, optionally by status (`pending`, `retrying`, `delivered`, `dead_lettered`) and endpoint. A failed attempt is retried after 30 s, then at doubling intervals (at most 6 h apart, ±10 % jitter) for 3 days; then the delivery is dead-lettered.',
      tags, roles: ['provider'], query: deliveryListQuery,
      responses: { 200: { description: 'Deliveries', schema: deliveryListSchema } },
      handler: async ({ query }, ctx) => {
        const page = await deliveries.list(ctx.db, ownProviderId(ctx), query);
        return { status: 200, body: { items: page.items.map(toDelivery), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/providers/me/webhook-deliveries/{deliveryId}', operationId: 'getOwnWebhookDelivery',
      summary: 'One webhook delivery, with its body and every attempt', description: 'Another provider\'s delivery is not found.',
      tags, roles: ['provider'], params: deliveryIdParams,
      responses: { 200: { description: 'The delivery', schema: deliveryDetailSchema } },
      handler: async ({ params }, ctx) => {
        const r = await deliveries.get(ctx.db, ownProviderId(ctx), params.deliveryId);
        return { status: 200, body: { ...toDelivery(r.delivery), payload: r.delivery.payload, attemptLog: r.attempts.map(toAttempt) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/providers/me/webhook-deliveries/{deliveryId}/replays', operationId: 'replayWebhookDelivery',
      summary: 'Send a webhook delivery again, now',
      description: 'One attempt now with the same `webhook-id`, whatever the status (a dead-lettered delivery too); the answer says how it went. It does not restart the retry schedule. An endpoint that is disabled or deleted: 409 `invalid_state`.',
      tags, roles: ['provider'], params: deliveryIdParams, idempotent: true,
      responses: {
        201: { description: 'The attempt made, and the delivery after it', schema: replaySchema },
        409: { description: '`invalid_state` (`endpoint_disabled`): the endpoint is disabled or deleted' },
      },
      handler: async ({ params }, ctx) => {
        const r = await deliveries.replay(ctx.db, ownProviderId(ctx), params.deliveryId, actingOf(ctx));
        return { status: 201, body: { delivery: toDelivery(r.delivery), attempt: toAttempt(r.attempt) } };
      },
    }),
  ];
}
