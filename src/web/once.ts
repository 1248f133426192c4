import type { Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Principal } from '../lib/principal.js';
import { toProblem } from '../http/error-handler.js';
import { keepsRefusal, rememberRefusal, requestFingerprint, validIdempotencyKey, withIdempotency } from '../http/idempotency.js';
import type { Db } from '../db/client.js';
import type { ProblemBody } from '../http/problem.js';

export type Outcome = { ok: true; body: Record<string, unknown>; replayed: boolean } | { ok: false; problem: Pick<ProblemBody, 'status' | 'code' | 'detail'> };

/**
 * A form that changes state runs at most once, exactly as its API route does
 * (src/http/mount.ts): the form carries an idempotency key made when it was
 * shown, kept in the same table and scope as the API's keys, under the API
 * operation's method and path. A second submit of the same form (a double
 * click, a reload, the back button) replays the first outcome; a refusal on
 * the request's merits is remembered and replayed too.
 */
export async function runOnce(
  deps: { db: Db; clock: Clock; fingerprintSecret: string; log: Logger },
  request: { principal: Principal; key: unknown; method: 'POST'; apiPath: string },
  work: (tx: Tx) => Promise<Record<string, unknown>>,
): Promise<Outcome> {
  const key = typeof request.key === 'string' && validIdempotencyKey(request.key) ? request.key : undefined;
  if (!key) return { ok: false, problem: { status: 400, code: 'validation_failed', detail: 'the form has no valid idempotency key' } };
  const p = request.principal;
  const owner = p.role === 'citizen' ? p.learnerId : p.role === 'provider' ? p.providerId : p.subject;
  const id = { scope: `${p.role}:${owner}`, key, fingerprint: requestFingerprint(request.method, request.apiPath, {}, deps.fingerprintSecret) };
  try {
    const stored = await withIdempotency(deps.db, deps.clock, id, async (tx) => ({ status: 200, body: JSON.stringify(await work(tx), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) }));
    if (stored.status >= 400) return { ok: false, problem: JSON.parse(stored.body) as ProblemBody };
    return { ok: true, body: JSON.parse(stored.body) as Record<string, unknown>, replayed: stored.replayed };
  } catch (err) {
    const problem = toProblem(err, deps.log);
    if (keepsRefusal(problem)) {
      await rememberRefusal(deps.db, deps.clock, id, { status: problem.status, body: JSON.stringify(problem) });
      return { ok: false, problem };
    }
    if (problem.status < 500) return { ok: false, problem };
    throw err;
  }
}
