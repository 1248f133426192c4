import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { webhookDeliveryStatuses } from '../../db/schema/webhooks.js';
import { providerEventTypes } from '../events/event-types.js';

const eventTypeSchema = z.enum(providerEventTypes as [string, ...string[]]).meta({ description: 'An event type a provider may subscribe to' });
const eventTypes = z.array(eventTypeSchema).min(1, 'must name at least one event type').max(providerEventTypes.length * 2)
  .meta({ description: `The event types delivered to this endpoint: ${providerEventTypes.join(', ')}`, example: ['claim.approved', 'payment.settled'] });
const url = z.string().trim().min(1).max(2048, 'must be at most 2,048 characters')
  .meta({ description: 'Where deliveries are POSTed: an https:// URL whose host is and resolves to public addresses only', example: 'https://hooks.example.edu/learning-credits' });
const description = z.string().trim().max(200, 'must be at most 200 characters');

export const newEndpointSchema = z.strictObject({ url, eventTypes, description: description.optional() });
export const endpointChangeSchema = z.strictObject({
  url: url.optional(), eventTypes: eventTypes.optional(), description: description.nullable().optional(),
  enabled: z.boolean().optional().meta({ description: 'false: no new deliveries and no retries until enabled again' }),
}).refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'must change at least one of url, eventTypes, description, enabled' });

export const endpointIdParams = z.strictObject({ endpointId: z.uuid('must be a UUID') });
export const deliveryIdParams = z.strictObject({
  deliveryId: z.string().regex(/^msg_[0-9a-f]{32}$/, 'must be a delivery id (msg_ and 32 hex digits)').meta({ example: 'msg_0192f0c1a2b37c4d8e9f00112233aabb' }),
});

export const endpointSchema = z.object({
  id: z.uuid(),
  providerId: z.uuid(),
  url: z.string().meta({ example: 'https://hooks.example.edu/learning-credits' }),
  eventTypes: z.array(z.string()).meta({ example: ['claim.approved', 'payment.settled'] }),
  description: z.string().nullable().meta({ example: 'Finance system' }),
  enabled: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const createdEndpointSchema = endpointSchema.extend({
  secret: z.string().nullable().meta({ description: 'The signing secret (Standard Webhooks, whsec_…). Shown in this answer only: keep it. A retry with the same Idempotency-Key answers null here (the secret is not kept in clear for replays): rotate to get a new one.', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
});
export const rotatedSecretSchema = z.object({
  secret: z.string().nullable().meta({ description: 'The new signing secret, shown in this answer only; null on a retry with the same Idempotency-Key (rotate again to get another)', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
  previousSecretExpiresAt: z.iso.datetime().meta({ example: '2027-01-06T02:00:00.000Z', description: 'Until then each message carries a signature by the previous secret as well' }),
});
export const endpointListSchema = pageSchema(endpointSchema);
export const endpointListQuery = z.strictObject({ ...pageQuery });
export const adminEndpointListQuery = endpointListQuery.extend({ providerId: z.uuid('must be a UUID').optional() });

export const attemptSchema = z.object({
  attempt: z.number().int().meta({ example: 1 }),
  trigger: z.enum(['schedule', 'replay']),
  startedAt: z.iso.datetime(),
  durationMs: z.number().int().meta({ example: 84 }),
  outcome: z.enum(['delivered', 'failed']),
  statusCode: z.number().int().nullable().meta({ example: 200 }),
  errorClass: z.string().nullable().meta({ example: null, description: 'http_status, timeout, forbidden_address, connection, tls, invalid_url or endpoint_disabled' }),
  responseExcerpt: z.string().nullable().meta({ example: null, description: 'The first 256 characters of a failed answer' }),
});
export const deliverySchema = z.object({
  id: z.string().meta({ description: 'The webhook-id header of every attempt', example: 'msg_0192f0c1a2b37c4d8e9f00112233aabb' }),
  endpointId: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string().meta({ example: 'claim.approved' }),
  status: z.enum(webhookDeliveryStatuses),
  attempts: z.number().int().meta({ example: 1 }),
  createdAt: z.iso.datetime(),
  lastAttemptAt: z.iso.datetime().nullable(),
  nextAttemptAt: z.iso.datetime().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
});
export const deliveryDetailSchema = deliverySchema.extend({
  payload: z.record(z.string(), z.unknown()).meta({ example: { type: 'claim.approved', timestamp: '2027-01-05T02:00:00.000Z', data: { claimId: '0192f0c1-a2b3-7c4d-8e9f-00112233aabb', eventId: '0192f0c1-a2b3-7c4d-8e9f-00112233aabc' } } }), attemptLog: z.array(attemptSchema) });
export const deliveryListSchema = pageSchema(deliverySchema);
export const deliveryListQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(webhookDeliveryStatuses).optional(),
  endpointId: z.uuid('must be a UUID').optional(),
});
export const replaySchema = z.object({ delivery: deliverySchema, attempt: attemptSchema });
