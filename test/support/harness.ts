import type { Express } from 'express';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/http/auth.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';
import { noRateLimits } from '../../src/http/rate-limits.js';
import type { Policy, ServiceDeps } from '../../src/modules/deps.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const ISSUER = 'learning-credits-test';
export const AUDIENCE = 'learning-credits-api';

export type TestRole = 'citizen' | 'provider' | 'finance' | 'admin';

export interface Harness {
  app: Express;
  database: TestDatabase;
  ledger: Ledger;
  clock: ManualClock;
  deps: ServiceDeps;
  token(role: TestRole, ids?: { learnerId?: string; providerId?: string; sub?: string }): Promise<string>;
  /** Signs arbitrary claims with the trusted key (for forged/expired token tests). */
  sign(claims: Record<string, unknown>, options?: { expiresAt?: number; key?: CryptoKey; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The app in-process over its own real database, with a test signing key and
 * a clock the test moves.
 */
export async function createHarness(options: { now?: Date; poolSize?: number } = {}): Promise<Harness> {
  const database = await createTestDatabase(options.poolSize ? { poolSize: options.poolSize } : {});
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'EdDSA' };
  const authenticator = createAuthenticator(createLocalJWKSet({ keys: [jwk] }), { issuer: ISSUER, audience: AUDIENCE });
  const clock = new ManualClock(options.now ?? new Date('2027-01-05T02:00:00Z'));
  const metrics = createMetrics();
  const ledger = new Ledger({ clock, metrics });
  const logger = createLogger('silent');
  const nationalIds = createNationalIdProtector('test-national-id-key-0123456789abcdef');
  // Nothing rate-limited (test/http/rate-limits.test.ts builds its own limited apps); apps built over h.deps inherit it.
  const policy: Partial<Policy> = { rateLimits: noRateLimits };
  const app = createApp({ database, ledger, clock, logger, metrics, authenticator, nationalIds, policy, bodyLimit: '256kb' });

  const sign: Harness['sign'] = async (claims, o = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'EdDSA', kid: 'test' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(o.expiresAt ?? Math.floor(Date.now() / 1000) + 3600)
      .sign(o.key ?? privateKey);

  return {
    app,
    database,
    ledger,
    clock,
    deps: { database, ledger, clock, logger, nationalIds, policy },
    token: (role, ids = {}) =>
      sign({
        role,
        sub: ids.sub ?? `${role}-${ids.learnerId ?? ids.providerId ?? 'test'}`,
        ...(ids.learnerId ? { learner_id: ids.learnerId } : {}),
        ...(ids.providerId ? { provider_id: ids.providerId } : {}),
      }),
    sign,
    close: () => database.drop(),
  };
}
