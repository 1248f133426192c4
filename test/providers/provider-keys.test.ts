import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { providerKeys } from '../../src/db/schema/index.js';
import { activeProviderKeys } from '../../src/modules/providers/providers.repo.js';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { useHarness } from '../support/harness.js';
import { auditFor, expectRefusedUnchanged, providerApi } from './provider-fixtures.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

async function keyPairJwks(alg: 'EdDSA' | 'ES256' | 'ES384' | 'RS256') {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { publicJwk: await exportJWK(pair.publicKey), privateJwk: await exportJWK(pair.privateKey) };
}

const register = (providerId: string, jwk: unknown) => api.as(api.admin).post(`/v1/providers/${providerId}/keys`, { jwk });


describe('POST /v1/providers/{providerId}/keys', () => {
  it('when an admin registers an Ed25519 public key without a kid, then the kid is its thumbprint and only public members are stored', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('EdDSA');
    const res = await register(p.id, { ...publicJwk, ext: true, x5u: 'https://example.com/not-kept' });

    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const expectedJwk = { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, kid, alg: 'EdDSA', use: 'sig' };
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ providerId: p.id, kid, alg: 'EdDSA', status: 'active', publicJwk: expectedJwk, deactivatedAt: null });
    const [row] = await h.database.db.select().from(providerKeys).where(eq(providerKeys.id, res.body.id));
    expect(row).toMatchObject({ providerId: p.id, kid, alg: 'EdDSA', status: 'active' });
    expect(row!.publicJwk).toEqual(expectedJwk);
    const [event] = await auditFor(h, p.id, 'provider_key.registered');
    expect(event?.details).toMatchObject({ keyId: res.body.id, kid, alg: 'EdDSA' });
  });

  it('when an admin registers a P-256 key with its own kid, then the kid is kept and alg is ES256', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('ES256');
    const res = await register(p.id, { ...publicJwk, kid: 'acme-2027-01', alg: 'ES256', use: 'sig' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kid: 'acme-2027-01', alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y } });
  });

  it('when the JWK carries the private part d, then 422 names jwk.d and nothing is stored', async () => {
    const p = await api.provider();
    const { privateJwk } = await keyPairJwks('EdDSA');
    const res = await expectRefusedUnchanged(h, () => register(p.id, privateJwk), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.jwk.d']);
    expect(res.body.errors[0].message).toMatch(/private key material/);
    // The refusal must not echo the secret back.
    expect(res.text).not.toContain(privateJwk.d);
  });

  it('when the JWK is a symmetric HMAC (oct) key, then 422 names jwk.kty and nothing is stored', async () => {
    const p = await api.provider();
    const secret = await exportJWK(await generateSecret('HS256', { extractable: true }));
    const res = await expectRefusedUnchanged(h, () => register(p.id, { ...secret, alg: 'HS256' }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.jwk.k', 'body.jwk.kty']);
    expect(res.body.errors.find((e: { path: string }) => e.path === 'body.jwk.kty').message).toMatch(/symmetric/);
  });

  it('when the JWK is an RSA public key, then 422 names jwk.kty and nothing is stored', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('RS256');
    const res = await expectRefusedUnchanged(h, () => register(p.id, publicJwk), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.jwk.kty']);
    expect(res.body.errors[0].message).toMatch(/RSA keys are not accepted/);
  });

  it('when the curve is P-384 or X25519, then 422 names jwk.crv', async () => {
    const p = await api.provider();
    const { publicJwk: p384 } = await keyPairJwks('ES384');
    const x25519 = await exportJWK((await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true })).publicKey);
    for (const jwk of [p384, x25519]) {
      const res = await expectRefusedUnchanged(h, () => register(p.id, jwk), 422, 'validation_failed');
      expect(errorPaths(res)).toContain('body.jwk.crv');
    }
  });

  it('when the alg does not match the key type, or use is not sig, then 422 names each member', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('EdDSA');
    const res = await expectRefusedUnchanged(h, () => register(p.id, { ...publicJwk, alg: 'ES256', use: 'enc' }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.jwk.alg', 'body.jwk.use']);
  });

  it('when the P-256 coordinates are not a point on the curve, then 422 names jwk', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('ES256');
    const res = await expectRefusedUnchanged(h, () => register(p.id, { ...publicJwk, y: publicJwk.x }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.jwk']);
  });

  it('when an extra field sits beside jwk, then 422 and nothing is stored', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('EdDSA');
    await expectRefusedUnchanged(h, () => api.as(api.admin).post(`/v1/providers/${p.id}/keys`, { jwk: publicJwk, trusted: true }), 422, 'validation_failed');
  });

  it('when the same kid is registered twice for a provider, then 409', async () => {
    const p = await api.provider();
    const { publicJwk } = await keyPairJwks('EdDSA');
    expect((await register(p.id, publicJwk)).status).toBe(201);
    await expectRefusedUnchanged(h, () => register(p.id, publicJwk), 409, 'conflict');
  });

  it('when the provider does not exist, then 404', async () => {
    const { publicJwk } = await keyPairJwks('EdDSA');
    await expectRefusedUnchanged(h, () => register(randomUUID(), publicJwk), 404, 'not_found');
  });
});

describe('keys of a provider', () => {
  it('when a provider lists its keys, then it sees its own and no other provider’s', async () => {
    const a = await api.provider();
    const b = await api.provider();
    const keyA = await register(a.id, (await keyPairJwks('EdDSA')).publicJwk);
    await register(b.id, (await keyPairJwks('EdDSA')).publicJwk);
    const res = await api.as(a.token).get('/v1/providers/me/keys');
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { id: string }) => k.id)).toEqual([keyA.body.id]);
    const adminView = await api.as(api.admin).get(`/v1/providers/${a.id}/keys`);
    expect(adminView.body.items).toEqual(res.body.items);
  });

  it('when an admin deactivates a key, then it is no longer among the active keys, and deactivating again is 409', async () => {
    const p = await api.provider();
    const kept = await register(p.id, (await keyPairJwks('ES256')).publicJwk);
    const retired = await register(p.id, (await keyPairJwks('EdDSA')).publicJwk);
    h.clock.advance(5_000);

    const res = await api.as(api.admin).post(`/v1/providers/${p.id}/keys/${retired.body.id}/deactivate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'deactivated', deactivatedAt: h.clock.now().toISOString() });
    const [row] = await h.database.db.select().from(providerKeys).where(eq(providerKeys.id, retired.body.id));
    expect(row).toMatchObject({ status: 'deactivated', deactivatedAt: h.clock.now() });
    const active = await activeProviderKeys(h.database.db, p.id);
    expect(active.map((k) => k.id)).toEqual([kept.body.id]);
    expect(active[0]!.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(await auditFor(h, p.id, 'provider_key.deactivated')).toHaveLength(1);

    expectProblem(await api.as(api.admin).post(`/v1/providers/${p.id}/keys/${retired.body.id}/deactivate`), 409, 'invalid_state');
  });

  it("when a key is deactivated under another provider's id, then 404 and the key stays active", async () => {
    const a = await api.provider();
    const b = await api.provider();
    const key = await register(a.id, (await keyPairJwks('EdDSA')).publicJwk);
    expectProblem(await api.as(api.admin).post(`/v1/providers/${b.id}/keys/${key.body.id}/deactivate`), 404, 'not_found');
    expect((await activeProviderKeys(h.database.db, a.id)).map((k) => k.id)).toEqual([key.body.id]);
  });
});
