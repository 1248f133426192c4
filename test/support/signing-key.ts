import { writeFile } from 'node:fs/promises';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createAuthenticator, type Authenticator } from '../../src/http/auth.js';

export const ISSUER = 'learning-credits-test';
export const AUDIENCE = 'learning-credits-api';

export type TestRole = 'citizen' | 'provider' | 'finance' | 'admin' | 'analyst' | 'counter';

/** The tenancy a token speaks for; `sub` defaults to `<role>-<learner or provider id, or "test">`. */
export interface TokenIds {
  learnerId?: string;
  providerId?: string;
  sub?: string;
}

export interface SignOptions {
  /** Another issuer, or null for none. */
  issuer?: string | null;
  /** Another audience, or null for none. */
  audience?: string | null;
  /** Seconds since the epoch, or null for no exp; by default the key's lifetime from now. */
  expiresAt?: number | null;
  /** The header's alg, for tokens signed with another kind of key. */
  alg?: string;
  /** Another key (or an HMAC secret) than the trusted one. */
  key?: CryptoKey | Uint8Array;
}

/**
 * A token signing key, as an identity provider holds it: every test token is
 * signed here, whether for an app in-process (through `authenticator()`) or
 * for a service process that reads the key from a JWKS file.
 */
export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key with its kid and alg. */
  publicJwk: JWK;
  /** Trusts this key alone, for the key's issuer and audience. */
  authenticator(): Authenticator;
  /** Writes the JWKS a service's AUTH_JWKS names. */
  writeJwks(file: string): Promise<void>;
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  token(role: TestRole, ids?: TokenIds): Promise<string>;
}

export async function createSigningKey(options: {
  kid: string;
  alg?: 'EdDSA' | 'ES256';
  issuer?: string;
  audience?: string;
  lifetimeSeconds?: number;
}): Promise<SigningKey> {
  const { kid, alg = 'EdDSA', issuer = ISSUER, audience = AUDIENCE, lifetimeSeconds = 3600 } = options;
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg };

  const sign: SigningKey['sign'] = (claims, o = {}) => {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? alg, kid }).setIssuedAt();
    const iss = o.issuer === undefined ? issuer : o.issuer;
    const aud = o.audience === undefined ? audience : o.audience;
    const exp = o.expiresAt === undefined ? Math.floor(Date.now() / 1000) + lifetimeSeconds : o.expiresAt;
    if (iss !== null) jwt = jwt.setIssuer(iss);
    if (aud !== null) jwt = jwt.setAudience(aud);
    if (exp !== null) jwt = jwt.setExpirationTime(exp);
    return jwt.sign(o.key ?? privateKey);
  };

  return {
    privateKey,
    publicKey,
    publicJwk,
    authenticator: () => createAuthenticator(createLocalJWKSet({ keys: [publicJwk] }), { issuer, audience }),
    writeJwks: (file) => writeFile(file, JSON.stringify({ keys: [{ ...publicJwk, use: 'sig' }] })),
    sign,
    token: (role, ids = {}) =>
      sign({
        role,
        sub: ids.sub ?? `${role}-${ids.learnerId ?? ids.providerId ?? 'test'}`,
        ...(ids.learnerId ? { learner_id: ids.learnerId } : {}),
        ...(ids.providerId ? { provider_id: ids.providerId } : {}),
      }),
  };
}
