import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { AUDIENCE, ISSUER } from '../support/signing-key.js';
import { expectProblem } from './expect-problem.js';
import { createKeyedApp, type KeyedApp } from './keyed-app.js';

// A finance/admin route with no input: any 401 below comes from the token alone.
const PROTECTED = '/v1/audit/verification';

const h = useHarness();
let keyed: KeyedApp;

beforeAll(async () => {
  keyed = await createKeyedApp(h);
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

async function expectUnauthenticated(authorization: string | undefined, app = keyed.app) {
  const req = request(app).get(PROTECTED);
  const res = await (authorization === undefined ? req : req.set('Authorization', authorization));
  const body = expectProblem(res, 401, 'unauthenticated');
  expect(body.instance).toBe(PROTECTED);
  return body;
}

describe(`GET ${PROTECTED} (bearer authentication)`, () => {
  it('when the token is well formed and signed by the trusted key, then it is accepted (control for every 401 below)', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    const res = await request(keyed.app).get(PROTECTED).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ intact: true, breaks: [] });
  });

  it('when no Authorization header is sent, then 401 unauthenticated', async () => {
    const body = await expectUnauthenticated(undefined);
    expect(body.detail).toMatch(/Bearer/);
  });

  it.each([
    ['an empty header', ''],
    ['a bare word', 'Bearer'],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['the Basic scheme', `Basic ${Buffer.from('finance:secret').toString('base64')}`],
    ['two spaces', 'Bearer  a.b.c'],
    ['four segments', 'Bearer a.b.c.d'],
    ['garbage segments', 'Bearer aaaa.bbbb.cccc'],
  ])('when the header is malformed (%s), then 401 unauthenticated', async (_name, header) => {
    await expectUnauthenticated(header);
  });

  it('when the token is signed by another key, then 401 unauthenticated', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' }, { key: other.privateKey });
    const body = await expectUnauthenticated(`Bearer ${token}`);
    expect(body.detail).toBe('the token could not be verified');
  });

  it('when the harness token is signed by a key the harness app does not trust, then 401 unauthenticated', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const token = await h.sign({ role: 'admin', sub: 'admin-1' }, { key: other.privateKey });
    await expectUnauthenticated(`Bearer ${token}`, h.app);
  });

  it('when the token has expired, then 401 unauthenticated saying so', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const body = await expectUnauthenticated(`Bearer ${token}`);
    expect(body.detail).toBe('the token has expired');
  });

  it('when the token has no exp claim, then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'finance', sub: 'finance-1' }, { expiresAt: null })}`);
  });

  it('when the token has no sub claim, then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'finance' })}`);
  });

  it('when the token is from another issuer, then 401 unauthenticated naming the iss claim', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' }, { issuer: 'someone-else' });
    const body = await expectUnauthenticated(`Bearer ${token}`);
    expect(body.detail).toMatch(/\biss\b/);
  });

  it('when the token has no issuer, then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'finance', sub: 'finance-1' }, { issuer: null })}`);
  });

  it('when the token is for another audience, then 401 unauthenticated naming the aud claim', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' }, { audience: 'another-api' });
    const body = await expectUnauthenticated(`Bearer ${token}`);
    expect(body.detail).toMatch(/\baud\b/);
  });

  it('when the token has no audience, then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'finance', sub: 'finance-1' }, { audience: null })}`);
  });

  it('when the token says alg "none" with an empty signature, then 401 unauthenticated', async () => {
    const payload = { role: 'admin', sub: 'admin-1', iss: ISSUER, aud: AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: inAnHour() };
    for (const header of [{ alg: 'none' }, { alg: 'none', typ: 'JWT' }, { alg: 'None', kid: 'keyed' }, { alg: 'NONE' }]) {
      await expectUnauthenticated(`Bearer ${b64url(header)}.${b64url(payload)}.`);
    }
  });

  it('when the token is HS256 with the public key bytes as its secret (algorithm confusion), then 401 unauthenticated', async () => {
    const claims = { role: 'admin', sub: 'admin-1' };
    const secrets = [
      new TextEncoder().encode(keyed.publicPem),
      new TextEncoder().encode(JSON.stringify(keyed.publicJwk)),
      Buffer.from(keyed.publicJwk.x!, 'base64url'),
    ];
    for (const secret of secrets) {
      const token = await keyed.sign(claims, { alg: 'HS256', key: secret });
      const body = await expectUnauthenticated(`Bearer ${token}`);
      expect(body.detail).toBe('the token could not be verified');
    }
  });

  it('when the token carries an unknown role, then 401 unauthenticated', async () => {
    for (const role of ['superuser', 'Admin', '', undefined]) {
      const body = await expectUnauthenticated(`Bearer ${await keyed.sign({ role, sub: 'x-1' })}`);
      expect(body.detail).toBe('the token does not carry a valid role');
    }
  });

  it('when a citizen token has no learner_id (or not a uuid), then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'citizen', sub: 'learner-1' })}`);
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'citizen', sub: 'learner-1', learner_id: 'S1234567D' })}`);
  });

  it('when a provider token has no provider_id, then 401 unauthenticated', async () => {
    await expectUnauthenticated(`Bearer ${await keyed.sign({ role: 'provider', sub: 'provider-1' })}`);
  });

  it('when the token is signed by the trusted key but its payload was edited, then 401 unauthenticated', async () => {
    const token = await keyed.sign({ role: 'citizen', sub: 'learner-1', learner_id: randomUUID() });
    const [header, , signature] = token.split('.');
    const forged = b64url({ role: 'admin', sub: 'learner-1', iss: ISSUER, aud: AUDIENCE, exp: inAnHour() });
    await expectUnauthenticated(`Bearer ${header}.${forged}.${signature}`);
  });

  it('when the token uses an algorithm outside EdDSA/ES256/RS256 (ES384), then 401 unauthenticated', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const token = await h.sign({ role: 'admin', sub: 'admin-1' }, { alg: 'ES384', key: privateKey });
    await expectUnauthenticated(`Bearer ${token}`, h.app);
  });
});

describe(`GET ${PROTECTED} (roles)`, () => {
  it('when a finance token calls a finance/admin route, then 200', async () => {
    const res = await request(h.app)
      .get(PROTECTED)
      .set('Authorization', `Bearer ${await h.token('finance')}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ intact: true, breaks: [] });
  });

  it('when an admin token calls it, then 200', async () => {
    const res = await request(h.app)
      .get(PROTECTED)
      .set('Authorization', `Bearer ${await h.token('admin')}`);
    expect(res.status).toBe(200);
  });

  it('when a citizen token calls a finance route, then 403 forbidden naming the role and the operation', async () => {
    const res = await request(h.app)
      .get(PROTECTED)
      .set('Authorization', `Bearer ${await h.token('citizen', { learnerId: randomUUID() })}`);
    const body = expectProblem(res, 403, 'forbidden');
    expect(body.detail).toBe('the citizen role may not call verifyAuditTrail');
  });

  it('when a provider token calls a finance route, then 403 forbidden', async () => {
    const res = await request(h.app)
      .get(PROTECTED)
      .set('Authorization', `Bearer ${await h.token('provider', { providerId: randomUUID() })}`);
    expectProblem(res, 403, 'forbidden');
  });
});
