import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/lib/principal.js';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { asCitizen } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { describeRoute } from '../http/routes.js';
import { snapshotTables, tenantWithApprovedClaim, type Tenant } from './world.js';

/**
 * Cross-tenant access. test/http/access.test.ts walks route x role with
 * random ids; this walks route x tenant role with ANOTHER tenant's real ids:
 * provider A with provider B's enrolment, claim, course and run; citizen X
 * with citizen Y's enrolment. Refused as 403/404 without leaking B's/Y's
 * identifiers or amounts; as the owner, never 403/404.
 */

/** Path params that name something a tenant owns. */
const tenantParams = ['enrolmentId', 'claimId', 'courseId', 'runId', 'providerId', 'learnerId'];
/** Public catalogue reads: any role may read any provider's course and runs. */
const publicReads = new Set(['getCourse', 'listCourseRuns']);

const h = useHarness();
let a: Tenant;
let b: Tenant;
let routes: AnyRoute[];
let secretsOfB: string[];
let secretsOfY: string[];

beforeAll(async () => {
  // Distinct amounts per tenant, so an amount in a response can be attributed.
  a = await tenantWithApprovedClaim(h, { fee: '31111', credit: '52222' });
  b = await tenantWithApprovedClaim(h, { fee: '37913', credit: '61717' });
  routes = allRoutes(h.deps);
  const bCourse = await request(h.app).get(`/v1/courses/${b.world.courseId}`).set('authorization', `Bearer ${b.world.providerToken}`);
  const bProvider = await request(h.app).get(`/v1/providers/me`).set('authorization', `Bearer ${b.world.providerToken}`);
  const yAccount = await asCitizen(h, b.enrolment.learner.token).get('/v1/me/account');
  const yGrants = (yAccount.body.grants ?? []).map((g: { grantId: string }) => g.grantId);
  secretsOfY = [b.enrolment.learner.id, b.enrolment.enrolmentId, b.claimId, b.enrolment.subjectId, ...yGrants, '61717', '37913'];
  secretsOfB = [b.world.providerId, bProvider.body.legalName, bCourse.body.code, b.enrolment.enrolmentId, b.claimId, b.enrolment.learner.id, '37913', ...secretsOfY];
});

const idsOf = (t: Tenant): Record<string, string> => ({
  enrolmentId: t.enrolment.enrolmentId,
  claimId: t.claimId,
  courseId: t.world.courseId,
  runId: t.enrolment.runId,
  providerId: t.world.providerId,
  learnerId: t.enrolment.learner.id,
});

const validBodies: Record<string, () => unknown> = {
  withdrawEnrolment: () => ({ reason: 'tenancy test' }),
  rateCourse: () => ({ stars: 4 }),
  cancelCourseRun: () => ({ reason: 'tenancy test' }),
  createCourseRun: () => {
    const startsAt = new Date(h.clock.now().getTime() + 40 * 86_400_000);
    return { startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 86_400_000).toISOString(), fee: '1000', currency: 'SGD', capacity: 5 };
  },
};

function call(route: AnyRoute, token: string, ids: Record<string, string>) {
  const p = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? randomUUID());
  let req = request(h.app)[route.method](p).set('authorization', `Bearer ${token}`);
  if (route.idempotent) req = req.set('idempotency-key', randomUUID());
  if (route.body) return req.send((validBodies[route.operationId]?.() ?? {}) as object);
  return req;
}

/** The response text with `instance` (the caller's own URL echoed back) removed. */
function leakText(res: request.Response): string {
  if (res.body && typeof res.body === 'object' && !Array.isArray(res.body)) {
    const { instance: _echo, ...rest } = res.body as Record<string, unknown>;
    return JSON.stringify(rest);
  }
  return res.text ?? '';
}

const tenantRoutes = () =>
  routes.filter((r) => (r.path.match(/\{(\w+)\}/g) ?? []).some((p) => tenantParams.includes(p.slice(1, -1))) && !r.path.startsWith('/v1/grant-runs'));

describe('cross-tenant access through path ids', () => {
  it('when provider A or citizen X uses B\'s / Y\'s ids, then every tenant route refuses with 403/404 and leaks nothing; nothing changes', async () => {
    const before = await snapshotTables(h);
    const tried: string[] = [];
    const problems: string[] = [];
    for (const route of tenantRoutes()) {
      for (const [role, token, foreign, secrets] of [
        ['provider', a.world.providerToken, idsOf(b), secretsOfB],
        ['citizen', a.enrolment.learner.token, idsOf(b), secretsOfY],
      ] as const) {
        if (!route.roles.includes(role as Role)) continue;
        if (publicReads.has(route.operationId)) continue;
        tried.push(`${role} ${describeRoute(route)}`);
        const res = await call(route, token, foreign);
        if (res.status !== 403 && res.status !== 404) problems.push(`${role} ${describeRoute(route)} with another tenant's ids -> ${res.status} ${res.text.slice(0, 200)}`);
        const text = leakText(res);
        const leaked = secrets.filter((s) => s && text.includes(s));
        if (leaked.length) problems.push(`${role} ${describeRoute(route)} leaks ${leaked.join(', ')}: ${text.slice(0, 200)}`);
      }
    }
    // Query-string ids: eligibility for B's run, lists filtered by B's/Y's ids.
    const asA = (p: string) => request(h.app).get(p).set('authorization', `Bearer ${a.world.providerToken}`);
    const elig = await asA(`/v1/eligibility?learnerId=${b.enrolment.learner.id}&courseRunId=${b.enrolment.runId}`);
    tried.push('provider GET /v1/eligibility with B\'s run');
    if (elig.status !== 403 && elig.status !== 404) problems.push(`provider A eligibility on B's run -> ${elig.status} ${elig.text.slice(0, 200)}`);
    for (const p of [`/v1/enrolments?learnerId=${b.enrolment.learner.id}`, `/v1/enrolments?courseRunId=${b.enrolment.runId}`]) {
      tried.push(`provider GET ${p}`);
      const res = await asA(p);
      const leaked = secretsOfB.filter((s) => leakText(res).includes(s) && s !== b.enrolment.learner.id && s !== b.enrolment.runId);
      if (res.status >= 500 || leaked.length) problems.push(`provider A GET ${p} -> ${res.status} leaks ${leaked.join(', ')}`);
    }
    console.log(`tenancy: ${tried.length} cross-tenant calls: ${tried.join('; ')}`);
    expect(tried.length).toBeGreaterThanOrEqual(9);
    expect(problems, problems.join('\n')).toEqual([]);
    const after = await snapshotTables(h);
    expect(after, 'a refused cross-tenant call changed data').toEqual(before);
  });

  it('when the owner calls the same routes with its own ids, then none is refused as 403/404', async () => {
    const problems: string[] = [];
    for (const route of tenantRoutes()) {
      for (const [role, token] of [['provider', a.world.providerToken], ['citizen', a.enrolment.learner.token]] as const) {
        if (!route.roles.includes(role as Role)) continue;
        const res = await call(route, token, idsOf(a));
        if (res.status === 403 || res.status === 404 || res.status >= 500) problems.push(`owner ${role} ${describeRoute(route)} -> ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

describe('lists never contain another tenant\'s items', () => {
  it('when provider A lists enrolments and claims, then only A\'s items come back and nothing of B', async () => {
    for (const p of ['/v1/enrolments?limit=100', '/v1/claims?limit=100', '/v1/providers/me', '/v1/providers/me/keys']) {
      const res = await request(h.app).get(p).set('authorization', `Bearer ${a.world.providerToken}`);
      expect(res.status, `${p}: ${res.text}`).toBe(200);
      for (const item of res.body.items ?? []) expect(item.providerId, p).toBe(a.world.providerId);
      const leaked = secretsOfB.filter((s) => res.text.includes(s));
      expect(leaked, `${p} leaks B's ${leaked.join(', ')}`).toEqual([]);
    }
    const own = await request(h.app).get('/v1/claims?limit=100').set('authorization', `Bearer ${a.world.providerToken}`);
    expect(own.body.items.map((c: { id: string }) => c.id)).toContain(a.claimId);
  });

  it('when citizen X reads /v1/me/*, then only X\'s data comes back and nothing of Y', async () => {
    const x = asCitizen(h, a.enrolment.learner.token);
    for (const p of ['/v1/me', '/v1/me/account', '/v1/me/transactions?limit=100', '/v1/me/enrolments?limit=100', '/v1/me/claims?limit=100', `/v1/me/eligibility?courseRunId=${b.enrolment.runId}`]) {
      const res = await x.get(p);
      expect(res.status, `${p}: ${res.text}`).toBe(200);
      for (const item of res.body.items ?? []) if (item.learnerId) expect(item.learnerId, p).toBe(a.enrolment.learner.id);
      const leaked = secretsOfY.filter((s) => res.text.includes(s) && !(p.includes('eligibility') && /^\d+$/.test(s)));
      expect(leaked, `${p} leaks Y's ${leaked.join(', ')}`).toEqual([]);
    }
    const mine = await x.get('/v1/me/enrolments?limit=100');
    expect(mine.body.items.map((e: { id: string }) => e.id)).toContain(a.enrolment.enrolmentId);
  });
});
