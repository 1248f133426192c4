import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { z } from 'zod';
import type { Principal } from '../../lib/principal.js';

/**
 * The pages' session: an encrypted cookie (JWE, dir + A256GCM, via jose), not
 * a table. Why: it holds only the Principal, a CSRF token and an expiry, all
 * small; no replica needs to share a store and no request writes to the
 * database to be signed in. The price is that a session cannot be revoked
 * before it expires, so it lives 8 hours at most and signing out clears it.
 * HttpOnly, SameSite=Lax (the sign-in callback is a top-level GET from the
 * identity provider), Secure when the service is reached over https.
 */
export const SESSION_COOKIE = 'lc_session';
/** The sign-in in flight: state, nonce, PKCE verifier and where to go back to; 10 minutes. */
export const SIGN_IN_COOKIE = 'lc_signin';
export const SESSION_TTL_S = 8 * 60 * 60;
const SIGN_IN_TTL_S = 10 * 60;

const principalSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('citizen'), subject: z.string(), learnerId: z.string() }),
  z.object({ role: z.literal('provider'), subject: z.string(), providerId: z.string() }),
  z.object({ role: z.literal('finance'), subject: z.string() }),
  z.object({ role: z.literal('admin'), subject: z.string() }),
  z.object({ role: z.literal('analyst'), subject: z.string() }),
  z.object({ role: z.literal('counter'), subject: z.string() }),
]);

export interface Session {
  principal: Principal;
  /** Synchronizer token: every form carries it, every POST must return it. */
  csrf: string;
}

const sessionSchema = z.object({ principal: principalSchema, csrf: z.string().min(32) });
const signInSchema = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string() });
export type SignInState = z.infer<typeof signInSchema>;

export interface SessionCodec {
  read(req: Request): Promise<Session | undefined>;
  write(res: Response, session: Session): Promise<void>;
  clear(res: Response): void;
  readSignIn(req: Request): Promise<SignInState | undefined>;
  writeSignIn(res: Response, state: SignInState): Promise<void>;
  clearSignIn(res: Response): void;
  /** A session for a principal just signed in, with a fresh CSRF token. */
  start(principal: Principal): Session;
}

export const newCsrfToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison of the token a form sent with the session's. */
export function csrfMatches(session: Session | undefined, sent: unknown): boolean {
  if (!session || typeof sent !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie's value from the Cookie header (no cookie-parser: two cookies are all the pages read). */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function createSessionCodec(key: Uint8Array, options: { secure: boolean }): SessionCodec {
  if (key.length !== 32) throw new Error('the session key must be 32 bytes');
  const cookie = (maxAgeS: number) => ({ httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: '/', maxAge: maxAgeS * 1000 });
  const seal = (payload: Record<string, unknown>, ttl: number) =>
    new EncryptJWT(payload).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt().setExpirationTime(`${ttl}s`).encrypt(key);
  async function open<T>(req: Request, name: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const value = cookieValue(req, name);
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt(value, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      const parsed = schema.safeParse(payload);
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // expired, tampered with, or sealed under another key: not signed in
    }
  }
  return {
    read: (req) => open(req, SESSION_COOKIE, sessionSchema) as Promise<Session | undefined>,
    async write(res, session) {
      res.cookie(SESSION_COOKIE, await seal({ principal: session.principal, csrf: session.csrf }, SESSION_TTL_S), cookie(SESSION_TTL_S));
    },
    clear: (res) => res.clearCookie(SESSION_COOKIE, { ...cookie(0), maxAge: undefined }),
    readSignIn: (req) => open(req, SIGN_IN_COOKIE, signInSchema),
    async writeSignIn(res, state) {
      res.cookie(SIGN_IN_COOKIE, await seal(state, SIGN_IN_TTL_S), cookie(SIGN_IN_TTL_S));
    },
    clearSignIn: (res) => res.clearCookie(SIGN_IN_COOKIE, { ...cookie(0), maxAge: undefined }),
    start: (principal) => ({ principal, csrf: newCsrfToken() }),
  };
}
