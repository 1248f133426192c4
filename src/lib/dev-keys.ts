import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/**
 * Development signing key for bearer tokens, generated on first start into
 * the data folder. Production verifies tokens against AUTH_JWKS instead.
 */
export function devKeyPaths(dataDir: string) {
  const dir = path.join(dataDir, 'auth');
  return { dir, privateKey: path.join(dir, 'signing-key.jwk.json'), jwks: path.join(dir, 'jwks.json') };
}

export async function ensureDevSigningKey(dataDir: string): Promise<string> {
  const paths = devKeyPaths(dataDir);
  if (existsSync(paths.jwks) && existsSync(paths.privateKey)) return paths.jwks;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const priv = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  await writeFile(paths.privateKey, JSON.stringify(priv), { mode: 0o600 });
  await writeFile(paths.jwks, JSON.stringify({ keys: [pub] }), { mode: 0o644 });
  return paths.jwks;
}

export interface TokenClaims {
  role: 'citizen' | 'provider' | 'finance' | 'admin' | 'analyst' | 'counter';
  sub: string;
  learner_id?: string;
  provider_id?: string;
}

export async function signToken(
  privateJwk: JWK,
  claims: TokenClaims,
  options: { issuer: string; audience: string; expiresIn?: string },
): Promise<string> {
  const key = await importJWK(privateJwk, 'EdDSA');
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(key);
}

export async function readDevPrivateKey(dataDir: string): Promise<JWK> {
  return JSON.parse(await readFile(devKeyPaths(dataDir).privateKey, 'utf8')) as JWK;
}

/** Development key for hashing national ids; production sets NATIONAL_ID_KEY. */
export async function ensureDevNationalIdKey(dataDir: string): Promise<string> {
  const file = path.join(devKeyPaths(dataDir).dir, 'national-id.key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { randomBytes } = await import('node:crypto');
  const key = randomBytes(32).toString('base64url');
  await writeFile(file, key, { mode: 0o600 });
  return key;
}

/** Development secret that seals the schemes' signing keys; production sets SCHEME_KEY_SECRET. */
export async function ensureDevSchemeKeySecret(dataDir: string): Promise<string> {
  const file = path.join(devKeyPaths(dataDir).dir, 'scheme-key.secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { randomBytes } = await import('node:crypto');
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
