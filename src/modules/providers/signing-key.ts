import { calculateJwkThumbprint, importJWK } from 'jose';
import { z } from 'zod';

export type SigningAlg = 'EdDSA' | 'ES256';

/** Only the public members a verifier needs; nothing else a caller sent is kept. */
export interface PublicSigningJwk {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
  kid?: string;
  alg: SigningAlg;
  use: 'sig';
}

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in unpadded base64url (43 characters)');
const supported = 'register an Ed25519 (OKP, alg EdDSA) or P-256 (EC, alg ES256) public key';

/**
 * A public signing JWK as a provider would export it. Members beyond the
 * ones checked here are accepted and dropped, except private ones, which are
 * refused so that a leaked private key is noticed rather than silently cut.
 */
export const publicJwkSchema = z
  .looseObject({
    kty: z.string(),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    kid: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 visible ASCII characters')
      .optional()
      .meta({ description: 'Key id; the RFC 7638 SHA-256 thumbprint when omitted' }),
    alg: z.string().optional(),
    use: z.string().optional(),
    key_ops: z.array(z.string()).optional(),
  })
  .superRefine((jwk, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    for (const m of privateMembers) {
      if (m in jwk) issue(m, `private key material ("${m}") must never be sent: ${supported}, public members only`);
    }
    if (jwk.kty === 'oct') return issue('kty', `symmetric (oct) keys are refused: a shared secret could forge credentials; ${supported}`);
    if (jwk.kty === 'RSA') return issue('kty', `RSA keys are not accepted: ${supported}`);
    const expected = jwk.kty === 'OKP' ? { crv: 'Ed25519', alg: 'EdDSA' } : jwk.kty === 'EC' ? { crv: 'P-256', alg: 'ES256' } : undefined;
    if (!expected) return issue('kty', `must be OKP or EC: ${supported}`);
    if (jwk.crv !== expected.crv) issue('crv', `must be ${expected.crv} for kty ${jwk.kty}: ${supported}`);
    if (jwk.alg !== undefined && jwk.alg !== expected.alg) issue('alg', `must be ${expected.alg} for a ${expected.crv} key`);
    if (!coordinate.safeParse(jwk.x).success) issue('x', 'must be 32 bytes in unpadded base64url (43 characters)');
    if (jwk.kty === 'EC' && !coordinate.safeParse(jwk.y).success) issue('y', 'must be 32 bytes in unpadded base64url (43 characters)');
    if (jwk.kty === 'OKP' && jwk.y !== undefined) issue('y', 'an OKP key has no y coordinate');
    if (jwk.use !== undefined && jwk.use !== 'sig') issue('use', 'must be "sig": the key verifies credential signatures');
    if (jwk.key_ops !== undefined && jwk.key_ops.some((op) => op !== 'verify')) issue('key_ops', 'may only contain "verify"');
  })
  .transform((jwk): PublicSigningJwk => {
    const ec = jwk.kty === 'EC';
    return {
      kty: ec ? 'EC' : 'OKP',
      crv: ec ? 'P-256' : 'Ed25519',
      x: jwk.x as string,
      ...(ec ? { y: jwk.y as string } : {}),
      ...(jwk.kid !== undefined ? { kid: jwk.kid } : {}),
      alg: ec ? 'ES256' : 'EdDSA',
      use: 'sig',
    };
  })
  .meta({
    id: 'PublicJwk',
    description: 'A public JWK (RFC 7517): OKP/Ed25519 for EdDSA or EC/P-256 for ES256. Private members (d), symmetric (oct) and RSA keys are refused.',
  });

/** Whether the coordinates are a real point on the curve: jose refuses to import one that is not. */
export async function isUsablePublicKey(jwk: PublicSigningJwk): Promise<boolean> {
  try {
    await importJWK({ ...jwk }, jwk.alg);
    return true;
  } catch {
    return false;
  }
}

export const thumbprintOf = (jwk: PublicSigningJwk): Promise<string> => calculateJwkThumbprint({ ...jwk }, 'sha256');
