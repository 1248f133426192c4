import { createHash } from 'node:crypto';
import { lt } from 'drizzle-orm';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/client.js';
import { rateLimits } from '../db/schema/index.js';
import type { Principal } from '../lib/principal.js';
import { AppError } from '../lib/app-error.js';
import { defaultRateLimits, type AddressRateLimit, type CallerRateLimit, type RateLimitName, type RateLimits } from '../lib/rate-limit-policy.js';

/**
 * Rate limits against trawling (the ILA lesson: providers harvested accounts
 * nobody was using). Counted in PostgreSQL (rate-limiter-flexible's
 * RateLimiterPostgres over the service's pool, table `rate_limits` of
 * migration 0019), so every replica on one database shares the counters.
 * Fixed windows: a window opens with the first counted request of a key and
 * lasts `windowSeconds`; the clock is the process's (the library reads
 * Date.now(), not the injected clock).
 */

const what: Record<RateLimitName, string> = {
  eligibility: 'eligibility checks',
  learnerLookup: 'learner look-ups',
  failedAuth: 'failed authentications from this address',
  publicVerify: 'credential verifications from this address',
};

/** Over a limit: 429 rate_limited; mountRoutes sends `retryAfterSeconds` as Retry-After. */
export class RateLimited extends AppError {
  constructor(
    readonly limit: RateLimitName,
    readonly retryAfterSeconds: number,
    windowSeconds: number,
  ) {
    super('rate_limited', `too many ${what[limit]} in ${windowSeconds} s: try again in ${retryAfterSeconds} s`);
  }
}

export interface RateLimiter {
  /** Counts one call by the caller against the route's limit; over it, throws RateLimited. */
  consume(limit: CallerRateLimit, principal: Principal): Promise<void>;
  /** Counts one failed authentication from the address; over the limit, throws RateLimited. */
  failedAuthentication(address: string): Promise<void>;
  /** Counts one call of a public route from the address (nobody signed in); over the limit, throws RateLimited. */
  consumeByAddress(limit: AddressRateLimit, address: string): Promise<void>;
}

/**
 * A key the `text` primary key indexes whatever the subject: a staff subject
 * is the token's `sub`, of any length.
 */
function bounded(key: string): string {
  return key.length <= 100 ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

/** The caller a limit counts: the provider or the learner (whichever of its tokens), else the staff subject. */
function callerKey(p: Principal): string {
  const owner = p.role === 'citizen' ? p.learnerId : p.role === 'provider' ? p.providerId : p.subject;
  return bounded(`${p.role}:${owner}`);
}

/**
 * The limiter of a pool and its limits (the defaults when none are given).
 * A limit of 0 points counts nothing and writes nothing.
 */
export function createRateLimiter(pool: pg.Pool, limits: RateLimits = defaultRateLimits): RateLimiter {
  const limiters = new Map<RateLimitName, RateLimiterPostgres>();
  for (const name of Object.keys(limits) as RateLimitName[]) {
    const { points, windowSeconds } = limits[name];
    if (points <= 0) continue;
    if (!Number.isInteger(points) || !Number.isInteger(windowSeconds) || windowSeconds < 1) {
      throw new Error(`rate limit ${name}: points and windowSeconds must be whole numbers, windowSeconds at least 1`);
    }
    limiters.set(
      name,
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        // Created by migration 0019, not by the library at start-up.
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: name,
        points,
        duration: windowSeconds,
        // A key over its limit is refused from memory until its window ends: a caller hammering
        // past the limit costs no further writes. Another replica learns it from the shared row.
        inMemoryBlockOnConsumed: points + 1,
        // Expired rows are deleted by the purge_rate_limits background task (purgeExpiredRateLimits), once
        // across the replicas, not by a timer of the library in every process.
        clearExpiredByTimeout: false,
      }),
    );
  }

  const count = async (name: RateLimitName, key: string) => {
    const limiter = limiters.get(name);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (err) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when the store failed.
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new RateLimited(name, Math.max(1, Math.ceil(err.msBeforeNext / 1000)), limits[name].windowSeconds);
    }
  };
  return {
    consume: (limit, principal) => count(limit, callerKey(principal)),
    failedAuthentication: (address) => count('failedAuth', bounded(address)),
    consumeByAddress: (limit, address) => count(limit, bounded(address)),
  };
}

/**
 * Deletes the counters whose window has ended: the next request of such a key
 * starts a new window, as if the row were not there. Expiry is in the
 * library's terms, milliseconds of the process clock (Date.now()), not the
 * injected clock. Returns how many rows went.
 */
export async function purgeExpiredRateLimits(db: Db): Promise<number> {
  const r = await db.delete(rateLimits).where(lt(rateLimits.expire, Date.now()));
  return r.rowCount ?? 0;
}
