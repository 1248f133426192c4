import type { Express } from 'express';
import { exportSPKI, type CryptoKey, type JWK } from 'jose';
import { createApp } from '../../src/app.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import type { Harness } from '../support/harness.js';
import { createSigningKey, type SigningKey } from '../support/signing-key.js';

/**
 * The real app over a harness's database, but with a signing key this file
 * holds, so a test can forge what the harness cannot: another issuer or
 * audience, no exp, an HMAC "signed" with the public key. Optionally with a
 * logger the test reads.
 */
export interface KeyedApp {
  app: Express;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  /** The public key as PEM (SPKI): the bytes an algorithm-confusion attacker would use as an HMAC secret. */
  publicPem: string;
  sign: SigningKey['sign'];
}

export async function createKeyedApp(h: Harness, options: { logger?: Logger } = {}): Promise<KeyedApp> {
  const key = await createSigningKey({ kid: 'keyed' });
  // The harness's service deps (database, ledger, clock, ...) with our own key, logger and metrics.
  const app = createApp({
    ...h.deps,
    logger: options.logger ?? createLogger('silent'),
    metrics: createMetrics(),
    authenticator: key.authenticator(),
    bodyLimit: '256kb',
  });
  const { privateKey, publicKey, publicJwk, sign } = key;
  return { app, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey), sign };
}
