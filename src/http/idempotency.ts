import { createHash, createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { inTransaction } from '../db/transaction.js';
import type { Clock } from '../lib/clock.js';
import type { ProblemBody } from './problem.js';
import { AppError, type ErrorCode } from '../lib/app-error.js';

/** Keys are kept at least this long; a retry inside it gets the first answer. */
export const IDEMPOTENCY_TTL_MS = 48 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  replayed: boolean;
}

/**
 * What tells "the same request" from "another request under the same key".
 * Kept for the key's lifetime beside the key, so with a `secret` it is an
 * HMAC: a body that holds a national id (POST /v1/learners) must not leave a
 * plain hash that a reader of the table could confirm guesses against.
 */
export function requestFingerprint(method: string, path: string, body: unknown, secret?: string): string {
  const mac = secret ? createHmac('sha256', secret) : createHash('sha256');
  return mac.update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
}

/**
 * The body with its object keys sorted, without recursion: a body is parsed
 * at most MAX_JSON_DEPTH deep, but a fingerprint must never be where a deep
 * value overflows the stack. A number kept as written (JsonNumberText) is
 * the number it stands for, as JSON.stringify gives it.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work in reverse order: literal text to emit, or a value still to expand.
  const work: ({ text: string } | { value: unknown })[] = [{ value }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      work.push({ text: ']' });
      for (let i = v.length - 1; i >= 0; i -= 1) {
        work.push({ value: v[i] });
        if (i > 0) work.push({ text: ',' });
      }
      work.push({ text: '[' });
    } else if (v && typeof v === 'object' && !(v instanceof Number)) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
      work.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [k, child] = entries[i]!;
        work.push({ value: child }, { text: `${JSON.stringify(k)}:` });
        if (i > 0) work.push({ text: ',' });
      }
      work.push({ text: '{' });
    } else {
      out.push(JSON.stringify(v));
    }
  }
  return out.join('');
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
 * A response that issues a secret keeps `storedBody` (the secret taken out)
 * for its replays, so the secret is never at rest in clear here.
 */
export async function withIdempotency(
  db: Db,
  clock: Clock,
  id: { scope: string; key: string; fingerprint: string },
  execute: (tx: Tx) => Promise<{ status: number; body: string; headers?: Record<string, string>; storedBody?: string }>,
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
      update idempotency_keys set status = ${response.status}, body = ${response.storedBody ?? response.body},
             headers = ${JSON.stringify(response.headers ?? {})}::jsonb
       where scope = ${id.scope} and key = ${id.key}`);
    return { status: response.status, body: response.body, headers: response.headers ?? {}, replayed: false };
  });
}

/**
 * Refusals a key does not keep. They say what is wrong with the request
 * itself (its fields, its form), not what the world said to it: the work was
 * rolled back with them and the client is expected to correct the request and
 * send it again under the same key, which then runs (Stripe does the same).
 * `validation_failed` is here wherever it is raised: by the zod schemas
 * before the key is taken, or by a handler checking a value against the
 * clock or a stored figure (effectiveFrom in the past, an amount above what
 * was reserved). `rate_limited` is a "not now", and the two key codes are
 * about the key, not the request.
 */
export const unstoredRefusals: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'validation_failed', 'bad_request', 'malformed_json', 'unsupported_media_type', 'payload_too_large',
  'rate_limited', 'idempotency_key_in_use', 'idempotency_key_reused',
]);

/**
 * Whether a problem the work raised is kept under its key and replayed to a
 * retry. Every other 4xx is a refusal on the request's merits (409
 * insufficient_credit, invalid_state, conflict; 422 not_eligible,
 * rule_violation; 404, 403 four_eyes_required) and is kept, so a retry gets
 * the same answer even if the world has changed since. A 5xx is never kept:
 * the retry runs again.
 */
export const keepsRefusal = (problem: Pick<ProblemBody, 'status' | 'code'>): boolean =>
  problem.status >= 400 && problem.status < 500 && !unstoredRefusals.has(problem.code);

/**
 * A refused request (a 4xx the work itself raised, see keepsRefusal) is
 * remembered too, so a retry gets the same answer rather than a second attempt.
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

/** A JSON response body with its once-only secret field set to null: what a replay of it answers. */
export function withoutSecret(body: string, field: string): string {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  return field in parsed ? JSON.stringify({ ...parsed, [field]: null }) : body;
}
