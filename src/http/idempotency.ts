import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { inTransaction } from '../db/transaction.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from './problem.js';

/** Keys are kept at least this long; a retry inside it gets the first answer. */
export const IDEMPOTENCY_TTL_MS = 48 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  replayed: boolean;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const idempotencyKeySchemaMessage = 'must be 1 to 255 visible ASCII characters';
export const validIdempotencyKey = (key: string): boolean => /^[\x21-\x7e]{1,255}$/.test(key);

interface KeyRow {
  request_hash: string;
  status: number;
  body: string | null;
  headers: Record<string, string>;
  expires_at: string;
  [k: string]: unknown;
}

/**
 * Runs `execute` at most once per (scope, key). The key row is written first
 * inside the same transaction as the work, so a concurrent duplicate blocks
 * on it until the first commits and then replays its response; if the first
 * rolls back, the duplicate runs instead. Never two executions that commit.
 */
export async function withIdempotency(
  db: Db,
  clock: Clock,
  id: { scope: string; key: string; fingerprint: string },
  execute: (tx: Tx) => Promise<{ status: number; body: string; headers?: Record<string, string> }>,
): Promise<StoredResponse> {
  return inTransaction(db, async (tx) => {
    const now = clock.now();
    const expires = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
    const inserted = await tx.execute(sql`
      insert into idempotency_keys (scope, key, request_hash, status, created_at, expires_at)
      values (${id.scope}, ${id.key}, ${id.fingerprint}, 0, ${now.toISOString()}, ${expires.toISOString()})
      on conflict (scope, key) do nothing returning 1`);
    if (inserted.rows.length === 0) {
      const existing = await tx.execute<KeyRow>(sql`
        select request_hash, status, body, headers, expires_at::text from idempotency_keys
         where scope = ${id.scope} and key = ${id.key} for update`);
      const row = existing.rows[0];
      if (!row) throw new AppError('idempotency_key_in_use', 'the first request with this key is still being processed; retry shortly');
      if (row.request_hash !== id.fingerprint) {
        throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key');
      }
      if (row.status === 0 || row.body === null) {
        throw new AppError('idempotency_key_in_use', 'the first request with this key is still being processed; retry shortly');
      }
      return { status: row.status, body: row.body, headers: row.headers, replayed: true };
    }
    const response = await execute(tx);
    await tx.execute(sql`
      update idempotency_keys set status = ${response.status}, body = ${response.body},
             headers = ${JSON.stringify(response.headers ?? {})}::jsonb
       where scope = ${id.scope} and key = ${id.key}`);
    return { status: response.status, body: response.body, headers: response.headers ?? {}, replayed: false };
  });
}

/**
 * A refused request (a 4xx the work itself raised) is remembered too, so a
 * retry gets the same answer rather than a second attempt.
 */
export async function rememberRefusal(
  db: Db,
  clock: Clock,
  id: { scope: string; key: string; fingerprint: string },
  response: { status: number; body: string },
): Promise<void> {
  const now = clock.now();
  await db.execute(sql`
    insert into idempotency_keys (scope, key, request_hash, status, body, created_at, expires_at)
    values (${id.scope}, ${id.key}, ${id.fingerprint}, ${response.status}, ${response.body},
            ${now.toISOString()}, ${new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString()})
    on conflict (scope, key) do nothing`);
}

export async function purgeExpiredKeys(db: Db, clock: Clock): Promise<number> {
  const r = await db.execute(sql`delete from idempotency_keys where expires_at < ${clock.now().toISOString()}`);
  return r.rowCount ?? 0;
}
