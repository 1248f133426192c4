import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { auditEvents } from '../../db/schema/index.js';
import type { Principal } from '../../lib/principal.js';

export interface AuditEntry {
  actor: Pick<Principal, 'role' | 'subject'> | { role: 'system'; subject: string };
  action: string;
  entityType: string;
  entityId: string;
  requestId?: string | undefined;
  details?: Record<string, unknown>;
  at: Date;
}

/**
 * Appends an audit event to its hash chain. Call it with the same
 * transaction as the change it records, so neither exists without the other.
 */
export async function recordAudit(db: Db | Tx, e: AuditEntry): Promise<void> {
  await db.execute(sql`select audit_append(${e.entityId}, ${e.at.toISOString()}::timestamptz, ${e.actor.subject},
    ${e.actor.role}, ${e.action}, ${e.entityType}, ${e.entityId}, ${e.requestId ?? null}, ${JSON.stringify(e.details ?? {})}::jsonb)`);
}

export interface ChainBreak {
  chain: number;
  seq: bigint;
  problem: 'hash_mismatch' | 'sequence_gap' | 'head_mismatch';
}

/** Every break in every audit chain; empty when the trail is intact. */
export async function verifyAuditChain(db: Db | Tx): Promise<ChainBreak[]> {
  const r = await db.execute<{ chain: number; seq: string; problem: ChainBreak['problem'] }>(
    sql`select chain, seq::text, problem from audit_verify()`,
  );
  return r.rows.map((x) => ({ chain: x.chain, seq: BigInt(x.seq), problem: x.problem }));
}

export async function auditCount(db: Db | Tx): Promise<bigint> {
  const r = await db.execute<{ n: string }>(sql`select count(*)::text n from audit_events`);
  return BigInt(r.rows[0]?.n ?? '0');
}

export async function listAuditEvents(db: Db | Tx, filter: { entityType?: string | undefined; entityId?: string | undefined; limit: number }) {
  const conditions = [
    filter.entityType ? eq(auditEvents.entityType, filter.entityType) : undefined,
    filter.entityId ? eq(auditEvents.entityId, filter.entityId) : undefined,
  ].filter((c) => c !== undefined);
  return db
    .select()
    .from(auditEvents)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditEvents.occurredAt))
    .limit(filter.limit);
}
