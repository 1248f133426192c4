import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { roles as knownRoles } from '../../src/lib/principal.js';
import type { Role } from '../../src/lib/principal.js';
import { expressPath, type AnyRoute } from '../../src/http/route.js';
import { publicPaths } from '../../src/http/system-routes.js';
import { allRoutes } from '../../src/modules/index.js';
import { pageSpecsOf } from '../web/web-support.js';
import { createHarness, type Harness } from '../support/harness.js';
import { expectProblem } from './expect-problem.js';
import { concretePath, describeRoute, mountedRoutes, tokenFor } from './routes.js';

/**
 * One harness for the whole file, created while the file is collected so that
 * every declared route gets its own named tests. The list comes from the same
 * allRoutes() and deps the app was built with.
 */
const h: Harness = await createHarness();
const declared: AnyRoute[] = allRoutes(h.deps);
/** Routes anyone may call without signing in (PublicRouteSpec); every other route authenticates and checks roles. */
const publicRoutes = declared.filter((r) => r.public);
const signedIn = declared.filter((r) => !r.public);
/** The pages (src/web/), each declaring its roles; test/web/pages-access.test.ts walks them with every role. */
const pages = pageSpecsOf(h);
afterAll(async () => {
  await h.close();
});

function call(route: AnyRoute, token?: string) {
  let req = request(h.app)[route.method](concretePath(route));
  if (token) req = req.set('Authorization', `Bearer ${token}`);
  if (route.idempotent) req = req.set('Idempotency-Key', randomUUID());
  if (route.body) {
    const type = route.bodyContentType ?? 'application/json';
    return req.set('Content-Type', type.split(',')[0]!).send(type === 'application/json' ? '{}' : '');
  }
  return req;
}

const roleCheckDetail = (role: Role, route: AnyRoute) => `the ${role} role may not call ${route.operationId}`;

describe('declared routes', () => {
  it('when the service is built, then it declares at least one API route', () => {
    expect(declared.length).toBeGreaterThan(0);
  });

  it('when routes are declared, then exactly these are public, each with no roles, a per-address rate limit, no Idempotency-Key, under /v1/public/', () => {
    expect(publicRoutes.map(describeRoute).sort()).toEqual([
      'GET /v1/public/credential-shares/{token}', 'GET /v1/public/schemes/{schemeId}/jwks', 'GET /v1/public/schemes/{schemeId}/status-list',
      'POST /v1/public/credential-verifications',
    ]);
    for (const route of publicRoutes) {
      expect(route.roles, describeRoute(route)).toEqual([]);
      expect(route.rateLimit, describeRoute(route)).toBe('publicVerify');
      expect(route.idempotent, describeRoute(route)).toBeFalsy();
      expect(route.path, describeRoute(route)).toMatch(/^\/v1\/public\//);
    }
    for (const route of signedIn) expect(route.path, `${describeRoute(route)} is under /v1/public/ but not public`).not.toMatch(/^\/v1\/public\//);
  });

  it('when routes are declared, then each route that is not public has a non-empty roles list of known roles', () => {
    for (const route of signedIn) {
      expect(Array.isArray(route.roles), describeRoute(route)).toBe(true);
      expect(route.roles.length, `${describeRoute(route)} declares no roles`).toBeGreaterThan(0);
      for (const role of route.roles) expect(knownRoles, `${describeRoute(route)} declares unknown role ${role}`).toContain(role);
      expect(new Set(route.roles).size, `${describeRoute(route)} repeats a role`).toBe(route.roles.length);
    }
  });

  it('when routes are declared, then each has an operationId unique across the service', () => {
    const seen = new Map<string, string>();
    for (const route of declared) {
      expect(route.operationId, describeRoute(route)).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(seen.get(route.operationId), `operationId ${route.operationId} is used twice`).toBeUndefined();
      seen.set(route.operationId, describeRoute(route));
    }
  });

  it('when routes are declared, then no two share a method and path', () => {
    const keys = declared.map((r) => `${r.method} ${expressPath(r.path)}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('when routes are declared, then they live under /v1 and never shadow a public path', () => {
    for (const route of declared) {
      expect(route.path, describeRoute(route)).toMatch(/^\/v1\//);
      expect(publicPaths as readonly string[]).not.toContain(route.path);
    }
  });
});

describe('routes mounted in Express', () => {
  it('when the app is built, then every mounted route is a declared route or a public path', () => {
    const { routes } = mountedRoutes((h.app as unknown as { router: { stack: unknown[] } }).router.stack);
    const declaredKeys = new Set([...declared.map((r) => `${r.method} ${expressPath(r.path)}`), ...pages.map((p) => `${p.method} ${p.path}`)]);
    const undeclared = routes.filter(
      (m) => !declaredKeys.has(`${m.method} ${m.path}`) && !(m.method === 'get' && (publicPaths as readonly string[]).includes(m.path))
        // The pages' stylesheet and script, public like any page's assets, under content-hashed names.
        && !(m.method === 'get' && /^\/assets\/[a-z]+\.[0-9a-f]{12}\.(css|js)$/.test(m.path)),
    );
    expect(undeclared, 'mounted without a declaration in allRoutes() or allPages() (and so without roles)').toEqual([]);
    // The walk itself must see the API: otherwise an empty result would pass.
    expect(routes.length).toBeGreaterThanOrEqual(declared.length);
  });

  it('when the app is built, then every declared route is actually mounted', () => {
    const { routes } = mountedRoutes((h.app as unknown as { router: { stack: unknown[] } }).router.stack);
    const mounted = new Set(routes.map((m) => `${m.method} ${m.path}`));
    const missing = declared.filter((r) => !mounted.has(`${r.method} ${expressPath(r.path)}`)).map(describeRoute);
    expect(missing).toEqual([]);
  });

  it('when middleware is mounted on a path, then that path is a public one (/docs)', () => {
    const { scoped } = mountedRoutes((h.app as unknown as { router: { stack: unknown[] } }).router.stack);
    for (const path of scoped) expect(publicPaths as readonly string[], `middleware mounted at ${path}`).toContain(path);
  });

  it.each(publicPaths.filter((p) => p !== '/docs' && p !== '/'))('when %s is requested without a token, then it answers 200', async (path) => {
    const res = await request(h.app).get(path);
    expect(res.status).toBe(200);
  });

  it('when / is requested without a token or session, then it answers 200 with the portal\'s sign-in page, and /docs still serves the API docs', async () => {
    const res = await request(h.app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('href="/sign-in"');
    const docs = await request(h.app).get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });

  it('when pages are declared, then each declares public or a non-empty list of known roles', () => {
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) {
      if (page.roles === 'public') continue;
      expect(page.roles.length, `${page.method} ${page.path}`).toBeGreaterThan(0);
      for (const role of page.roles) expect(knownRoles).toContain(role);
    }
  });
});

describe.each(publicRoutes.map((route) => [describeRoute(route), route] as const))('%s (public)', (_name, route) => {
  it('when no token is sent, then it answers, never 401 or 403, never 5xx', async () => {
    const res = await call(route);
    expect([401, 403], res.text).not.toContain(res.status);
    expect(res.status, res.text).toBeLessThan(500);
  });

  it.each([...knownRoles, 'forged'] as const)('when a %s token is sent, then it is not read: never 401 or 403, never 5xx', async (role) => {
    const res = await call(route, role === 'forged' ? 'not-a-token' : await tokenFor(h, role));
    expect([401, 403], res.text).not.toContain(res.status);
    expect(res.status, res.text).toBeLessThan(500);
  });
});

describe.each(signedIn.map((route) => [describeRoute(route), route] as const))('%s', (_name, route) => {
  it('when no token is sent, then 401 unauthenticated', async () => {
    expectProblem(await call(route), 401, 'unauthenticated');
  });

  it.each(knownRoles.map((role) => [role, route.roles.includes(role) ? 'allowed' : 'refused'] as const))(
    'when a %s token is sent (%s), then the role check agrees with route.roles',
    async (role, verdict) => {
      const res = await call(route, await tokenFor(h, role));
      if (verdict === 'refused') {
        const body = expectProblem(res, 403, 'forbidden');
        expect(body.detail).toBe(roleCheckDetail(role, route));
        return;
      }
      expect(res.status, `${role}: ${res.text}`).not.toBe(401);
      if (res.status === 403) expect(res.body.detail, 'refused by the role check').not.toBe(roleCheckDetail(role, route));
      // Random ids may be unknown (404) or the empty body invalid (422), but nothing may crash.
      expect(res.status, `${role}: ${res.text}`).toBeLessThan(500);
    },
  );
});
