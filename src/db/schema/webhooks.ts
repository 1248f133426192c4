import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { providers } from './entitlements.js';
import { outboxEvents } from './events.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** A provider's webhook endpoint (drizzle/0035_webhooks.sql): where its events go, and which. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    url: text('url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Deleted endpoints stay, so that their deliveries can still be listed. */
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    index('webhook_endpoints_provider_idx').on(t.providerId, t.createdAt, t.id).where(sql`${t.deletedAt} is null`),
    check('webhook_endpoints_event_types', sql`cardinality(${t.eventTypes}) > 0`),
  ],
);

/** An endpoint's signing secrets, sealed: the current one has no expiry; a rotated one signs alongside until expires_at. */
export const webhookEndpointSecrets = pgTable(
  'webhook_endpoint_secrets',
  {
    id: uuid('id').primaryKey(),
    endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
    sealedSecret: text('sealed_secret').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at'),
  },
  (t) => [index('webhook_endpoint_secrets_endpoint_idx').on(t.endpointId, t.createdAt)],
);

export const webhookDeliveryStatuses = ['pending', 'retrying', 'delivered', 'dead_lettered'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** One event for one endpoint; its id is the webhook-id of every attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
    providerId: uuid('provider_id').notNull().references(() => providers.id),
    eventId: uuid('event_id').notNull().references(() => outboxEvents.id),
    eventType: text('event_type').notNull(),
    /** The body every attempt sends: {type, timestamp, data}. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    firstAttemptAt: ts('first_attempt_at'),
    lastAttemptAt: ts('last_attempt_at'),
    nextAttemptAt: ts('next_attempt_at'),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint_uq').on(t.eventId, t.endpointId),
    index('webhook_deliveries_provider_idx').on(t.providerId, t.createdAt, t.id),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt, t.id),
    index('webhook_deliveries_waiting_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'retrying')`),
    check('webhook_deliveries_id', sql`${t.id} ~ '^msg_[0-9a-f]{32}$'`),
    check('webhook_deliveries_status', sql`${t.status} in ('pending', 'retrying', 'delivered', 'dead_lettered')`),
  ],
);

/** Every attempt at a delivery: when, how long, the status code or the class of error, a short excerpt of the answer. */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: uuid('id').primaryKey(),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id),
    attempt: integer('attempt').notNull(),
    trigger: text('trigger', { enum: ['schedule', 'replay'] }).notNull(),
    startedAt: ts('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome', { enum: ['delivered', 'failed'] }).notNull(),
    statusCode: integer('status_code'),
    errorClass: text('error_class'),
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [
    uniqueIndex('webhook_delivery_attempts_delivery_uq').on(t.deliveryId, t.attempt),
    check('webhook_delivery_attempts_trigger', sql`${t.trigger} in ('schedule', 'replay')`),
    check('webhook_delivery_attempts_outcome', sql`${t.outcome} in ('delivered', 'failed')`),
    check('webhook_delivery_attempts_excerpt', sql`char_length(${t.responseExcerpt}) <= 256`),
  ],
);
