import type { Express } from 'express';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/http/auth.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import type { Harness } from '../support/harness.js';
import { AUDIENCE, ISSUER } from '../support/signing-key.js';

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
  sign(
    claims: Record<string, unknown>,
    options?: { issuer?: string | null; audience?: string | null; expiresAt?: number | null; alg?: string; key?: CryptoKey | Uint8Array },
  ): Promise<string>;
}

export async function createKeyedApp(h: Harness, options: { logger?: Logger } = {}): Promise<KeyedApp> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'keyed', alg: 'EdDSA' };
  const authenticator = createAuthenticator(createLocalJWKSet({ keys: [publicJwk] }), { issuer: ISSUER, audience: AUDIENCE });
  // The harness's service deps (database, ledger, clock, ...) with our own key, logger and metrics.
  const app = createApp({
    ...h.deps,
    logger: options.logger ?? createLogger('silent'),
    metrics: createMetrics(),
    authenticator,
    bodyLimit: '256kb',
  });
  const sign: KeyedApp['sign'] = async (claims, o = {}) => {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'EdDSA', kid: 'keyed' }).setIssuedAt();
    const issuer = o.issuer === undefined ? ISSUER : o.issuer;
    const audience = o.audience === undefined ? AUDIENCE : o.audience;
    const expiresAt = o.expiresAt === undefined ? Math.floor(Date.now() / 1000) + 3600 : o.expiresAt;
    if (issuer !== null) jwt = jwt.setIssuer(issuer);
    if (audience !== null) jwt = jwt.setAudience(audience);
    if (expiresAt !== null) jwt = jwt.setExpirationTime(expiresAt);
    return jwt.sign(o.key ?? privateKey);
  };
  return { app, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey), sign };
}
