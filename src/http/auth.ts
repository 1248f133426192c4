import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError } from '../lib/app-error.js';
import { roles, type Principal, type Role } from '../lib/principal.js';

const claimsSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('citizen'), sub: z.string().min(1), learner_id: z.uuid() }),
  z.object({ role: z.literal('provider'), sub: z.string().min(1), provider_id: z.uuid() }),
  z.object({ role: z.literal('finance'), sub: z.string().min(1) }),
  z.object({ role: z.literal('admin'), sub: z.string().min(1) }),
  z.object({ role: z.literal('analyst'), sub: z.string().min(1) }),
  z.object({ role: z.literal('counter'), sub: z.string().min(1) }),
]);

/** Where a claim sits in a token: a top-level name (which may itself hold dots or be a URL), or a path into nested objects. */
export type ClaimPath = string | readonly string[];

/** The claims that carry the service's role and the learner or provider a token speaks for (`sub` is always `sub`). */
export interface ClaimNames {
  role: ClaimPath;
  learnerId: ClaimPath;
  providerId: ClaimPath;
}

export const defaultClaimNames: ClaimNames = { role: 'role', learnerId: 'learner_id', providerId: 'provider_id' };

export function claimAt(payload: Record<string, unknown>, path: ClaimPath): unknown {
  if (typeof path === 'string') return Object.hasOwn(payload, path) ? payload[path] : undefined;
  let value: unknown = payload;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The role a token's role claim names: the claim is one of the service's
 * roles, or a list (as identity providers put roles and groups) holding
 * exactly one of them beside roles of other applications. Anything else
 * (two of the service's roles, none) is no role.
 */
export function roleOf(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const ours = [...new Set(value.filter((v): v is Role => typeof v === 'string' && (roles as readonly string[]).includes(v)))];
  return ours.length === 1 ? ours[0] : undefined;
}

/** Only asymmetric algorithms: `none` and HMAC are refused by construction. */
export const acceptedAlgorithms = ['EdDSA', 'ES256', 'RS256'];

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Principal>;
}

export async function loadJwks(source: string): Promise<JWTVerifyGetKey> {
  if (/^https?:\/\//i.test(source)) return createRemoteJWKSet(new URL(source));
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

export function createAuthenticator(keys: JWTVerifyGetKey, options: { issuer: string; audience: string; claims?: Partial<ClaimNames> }): Authenticator {
  const names: ClaimNames = { ...defaultClaimNames, ...options.claims };
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
      const verified = payload as Record<string, unknown>;
      const claims = claimsSchema.safeParse({
        role: roleOf(claimAt(verified, names.role)),
        sub: verified.sub,
        learner_id: claimAt(verified, names.learnerId),
        provider_id: claimAt(verified, names.providerId),
      });
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
