import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError } from './problem.js';

export const roles = ['citizen', 'provider', 'finance', 'admin'] as const;
export type Role = (typeof roles)[number];

export type Principal =
  | { role: 'citizen'; subject: string; learnerId: string }
  | { role: 'provider'; subject: string; providerId: string }
  | { role: 'finance'; subject: string }
  | { role: 'admin'; subject: string };

const claimsSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('citizen'), sub: z.string().min(1), learner_id: z.uuid() }),
  z.object({ role: z.literal('provider'), sub: z.string().min(1), provider_id: z.uuid() }),
  z.object({ role: z.literal('finance'), sub: z.string().min(1) }),
  z.object({ role: z.literal('admin'), sub: z.string().min(1) }),
]);

/** Only asymmetric algorithms: `none` and HMAC are refused by construction. */
export const acceptedAlgorithms = ['EdDSA', 'ES256', 'RS256'];

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Principal>;
}

export async function loadJwks(source: string): Promise<JWTVerifyGetKey> {
  if (/^https?:\/\//.test(source)) return createRemoteJWKSet(new URL(source));
  return createLocalJWKSet(JSON.parse(await readFile(source, 'utf8')));
}

const JWT_SHAPE = 'a JWT is three base64url segments separated by dots (header.payload.signature)';

/** The token of an `Authorization: Bearer <JWT>` header, or an error that says what is wrong with the header. */
function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined) throw new AppError('unauthenticated', 'send an Authorization: Bearer <JWT> header');
  if (authorization.trim() === '') throw new AppError('unauthenticated', 'the Authorization header is empty: send Authorization: Bearer <JWT>');
  const [scheme = ''] = authorization.split(' ', 1);
  if (scheme !== 'Bearer') {
    const shown = /^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(scheme) ? `the ${scheme} scheme` : 'no scheme';
    throw new AppError('unauthenticated', `the Authorization header uses ${shown}: it must be Bearer <JWT>`);
  }
  const token = authorization.slice('Bearer '.length);
  if (token.trim() === '') throw new AppError('unauthenticated', 'the Authorization header has no token after Bearer');
  if (!/^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$/.test(token)) {
    throw new AppError('unauthenticated', `the bearer token is malformed: ${JWT_SHAPE}, after exactly one space`);
  }
  return token;
}

export function createAuthenticator(keys: JWTVerifyGetKey, options: { issuer: string; audience: string }): Authenticator {
  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: acceptedAlgorithms,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        const why =
          err instanceof joseErrors.JWTExpired
            ? 'the token has expired'
            : err instanceof joseErrors.JWTClaimValidationFailed
              ? `the token's ${err.claim} claim is not accepted`
              : err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid
                ? `the bearer token is malformed: its header and payload must be base64url-encoded JSON objects (${JWT_SHAPE})`
                : 'the token could not be verified';
        throw new AppError('unauthenticated', why);
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw new AppError('unauthenticated', 'the token does not carry a valid role');
      const c = claims.data;
      switch (c.role) {
        case 'citizen':
          return { role: 'citizen', subject: c.sub, learnerId: c.learner_id };
        case 'provider':
          return { role: 'provider', subject: c.sub, providerId: c.provider_id };
        default:
          return { role: c.role, subject: c.sub };
      }
    },
  };
}
