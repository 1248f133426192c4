import { sql } from 'drizzle-orm';
import { bigint, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * Audit events form hash chains: each event's hash covers the previous hash
 * of its chain and its own fields. Events spread over many chains (by entity)
 * so that unrelated writes do not queue on one chain head.
 */
export const auditChainHeads = pgTable('audit_chain_heads', {
  chain: integer('chain').primaryKey(),
  seq: bigint('seq', { mode: 'bigint' }).notNull().default(sql`0`),
  hash: bytea('hash').notNull(),
});

export const auditEvents = pgTable(
  'audit_events',
  {
    chain: integer('chain').notNull(),
    seq: bigint('seq', { mode: 'bigint' }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    requestId: text('request_id'),
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
    hash: bytea('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chain, t.seq] }),
    index('audit_events_entity_idx').on(t.entityType, t.entityId),
    index('audit_events_occurred_idx').on(t.occurredAt),
  ],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    body: text('body'),
    headers: jsonb('headers').notNull().default(sql`'{}'::jsonb`),
    resourceId: uuid('resource_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);
