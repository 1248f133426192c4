import { Writable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, sessionKeyOf } from '../../src/app.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { defaultSignInClaimNames, principalFromClaims } from '../../src/web/auth/claims.js';
import { startLocalIdentityProvider, type LocalIdentityProvider } from '../../src/web/auth/local-idp.js';
import { createSignInClient, type SignInClient } from '../../src/web/auth/oidc-client.js';
import { createSessionCodec, type SignInState } from '../../src/web/auth/session.js';
import { classifySignInFailure } from '../../src/web/auth/sign-in-failure.js';
import en from '../../src/web/messages/en.js';
import ms from '../../src/web/messages/ms.js';
import zh from '../../src/web/messages/zh-Hans.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
const redirectUri = 'http://127.0.0.1:9/sign-in/callback';
const logLines: string[] = [];
let idp: LocalIdentityProvider;
afterAll(() => idp?.close());
beforeAll(async () => {
  idp = await startLocalIdentityProvider({ port: 0, redirectUri, users: [], logger: createLogger('silent') });
});

const appWith = (signIn: SignInClient): Express => {
  const logger = createLogger('warn', new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));
  return createApp({
    ...h.deps, logger, metrics: createMetrics(), authenticator: { authenticate: async () => { throw new Error('not used'); } },
    web: { signIn },
  });
};

/** The sealed sign-in cookie the browser carries back from the identity provider. */
async function signInCookie(state: SignInState): Promise<string> {
  let cookie = '';
  const res = { cookie: (name: string, value: string) => { cookie = `${name}=${encodeURIComponent(value)}`; } };
  await createSessionCodec(sessionKeyOf(h.deps.nationalIds), { secure: false }).writeSignIn(res as never, state);
  return cookie;
}

const started = async (client: SignInClient) => (await client.begin('/')).state;
const realClient = () => createSignInClient({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, redirectUri });

describe('a sign-in that does not complete, told in the person\'s language', () => {
  it('when the identity provider answers access_denied, then a Malay speaker reads why in Malay, never the library\'s text, and the log keeps the code only', async () => {
    const client = realClient();
    const state = await started(client);
    const res = await request(appWith(client))
      .get(`/sign-in/callback?error=access_denied&error_description=User+cancelled&state=${state.state}&iss=${encodeURIComponent(idp.issuer)}`)
      .set('Cookie', await signInCookie(state)).set('Accept-Language', 'ms');
    expect(res.status).toBe(400);
    expect(res.text).toContain(ms['signIn.why.denied']);
    expect(res.text).toContain(ms['signIn.failed']);
    expect(res.text).not.toMatch(/authorization response|User cancelled|access_denied/);
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.idpError === 'access_denied');
    expect(line).toMatchObject({ level: 'warn', reason: 'denied' });
    expect(JSON.stringify(line)).not.toContain(state.state);
  });

  it('when the callback\'s state is not the one this browser started with, then it reads as an expired sign-in, in Chinese', async () => {
    const client = realClient();
    const state = await started(client);
    const res = await request(appWith(client))
      .get(`/sign-in/callback?code=abc&state=not-${state.state}&iss=${encodeURIComponent(idp.issuer)}`)
      .set('Cookie', await signInCookie(state)).set('Accept-Language', 'zh-CN');
    expect(res.status).toBe(400);
    expect(res.text).toContain(zh['signIn.why.expired']);
    expect(res.text).not.toContain('unexpected');
  });

  it('when the sign-in cookie is gone (expired), then the page says so in English', async () => {
    const res = await request(appWith(realClient())).get('/sign-in/callback?code=abc&state=x').set('Accept-Language', 'en');
    expect(res.status).toBe(400);
    expect(res.text).toContain(en['signIn.why.expired']);
  });

  it('when the issuer cannot be reached, then the person is told to try again later, in Malay', async () => {
    const client = createSignInClient({ issuer: 'http://127.0.0.1:1', clientId: 'x', redirectUri });
    const state = { state: 's', nonce: 'n', verifier: 'v'.repeat(43), returnTo: '/' };
    const res = await request(appWith(client)).get('/sign-in/callback?code=abc&state=s').set('Cookie', await signInCookie(state)).set('Accept-Language', 'ms');
    expect(res.status).toBe(400);
    expect(res.text).toContain(ms['signIn.why.unreachable']);
    expect(res.text).not.toContain('fetch failed');
  });

  it.each([
    [{ sub: 'x' }, 'unknownRole'],
    [{ sub: 'x', role: 'citizen', national_id: 'S0000001I', country: 'SG' }, 'unknownPerson'],
    [{ sub: 'x', role: 'provider', provider_registration: 'NOPE', country: 'SG' }, 'unknownPerson'],
  ] as [Record<string, unknown>, string][])('when the claims are %o, then the refusal is classed %s', async (claims, reason) => {
    const err = await principalFromClaims(h.deps, h.database.db, claims, defaultSignInClaimNames).catch((e: unknown) => e);
    expect(classifySignInFailure(err).reason).toBe(reason);
  });

  it('when something unforeseen fails, then it is "other", never a leak of its message', () => {
    expect(classifySignInFailure(new Error('token eyJabc'))).toEqual({ reason: 'other', code: 'Error' });
  });
});
