import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/lib/app-error.js';
import { defaultSignInClaimNames, principalFromClaims } from '../../src/web/auth/claims.js';
import { safeReturnTo } from '../../src/web/auth/pages.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';

const h = useHarness();

describe('principalFromClaims (the sign-in\'s claim mapping)', () => {
  it('when a citizen signs in with a national id, then the principal is the learner it hashes to, as an API token would name it', async () => {
    const api = await adminApi(h);
    const nric = nextNric();
    const learner = await api.learner({ nationalId: nric, dateOfBirth: '1990-01-01' });
    const p = await principalFromClaims(h.deps, h.database.db, { sub: 'abc', role: 'citizen', national_id: nric.toLowerCase(), country: 'sg' }, defaultSignInClaimNames);
    expect(p).toEqual({ role: 'citizen', subject: 'oidc:abc', learnerId: learner.id });
  });

  it('when the claims are Keycloak-shaped (realm_access.roles) and configured so, then the role is read from there', async () => {
    const config = loadConfig({ OIDC_CLAIMS: '{"role":["realm_access","roles"],"nationalId":"nric"}' });
    const names = { ...defaultSignInClaimNames, ...config.OIDC_CLAIMS };
    const p = await principalFromClaims(h.deps, h.database.db, { sub: 'k', realm_access: { roles: ['offline_access', 'finance'] } }, names);
    expect(p).toEqual({ role: 'finance', subject: 'oidc:k' });
  });

  it.each([
    [{ sub: 'x' }, 'no role'],
    [{ sub: 'x', role: 'citizen', national_id: 'S0000001I', country: 'SG' }, 'a national id no learner holds'],
    [{ sub: 'x', role: 'citizen' }, 'no national id'],
    [{ sub: 'x', role: 'provider', provider_registration: 'NOPE', country: 'SG' }, 'a registration no provider holds'],
    [{ role: 'admin' }, 'no sub'],
  ] as [Record<string, unknown>, string][])('when the claims are %o (%s), then the sign-in is refused as unauthenticated', async (claims) => {
    await expect(principalFromClaims(h.deps, h.database.db, claims, defaultSignInClaimNames)).rejects.toBeInstanceOf(AppError);
  });

  it('when OIDC_CLAIMS is not JSON or names an unknown claim, then the configuration is refused', () => {
    expect(() => loadConfig({ OIDC_CLAIMS: 'role' })).toThrow(/OIDC_CLAIMS/);
    expect(() => loadConfig({ OIDC_CLAIMS: '{"learnerId":"x"}' })).toThrow(/OIDC_CLAIMS/);
    expect(() => loadConfig({ OIDC_ISSUER: 'ftp://idp' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadConfig({ OIDC_LOCAL_PORT: 'x' })).toThrow(/OIDC_LOCAL_PORT/);
  });

  it('when production names an http:// issuer, then the configuration is refused', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', OIDC_ISSUER: 'http://idp.example' })).toThrow(/OIDC_ISSUER: must be an https/);
  });

  it.each([
    ['/enrolments', '/enrolments'], ['/courses?q=a', '/courses?q=a'], ['//evil.example', '/'], ['https://evil.example', '/'], ['/\\evil', '/'], [undefined, '/'],
  ])('when the way back after sign-in is %s, then it is %s (never another origin)', (given, expected) => {
    expect(safeReturnTo(given)).toBe(expected);
  });
});
