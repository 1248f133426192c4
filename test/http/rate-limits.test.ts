import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig, type TrustProxy } from '../../src/config.js';
import { openApiDocumentForRoutes } from '../../src/http/openapi-document.js';
import { defaultRateLimits, noRateLimits, rateLimitsFromConfig, type RateLimits } from '../../src/lib/rate-limit-policy.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { runMaintenance } from '../../src/maintenance.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { createSigningKey } from '../support/signing-key.js';
import { singaporeNric } from '../support/ids.js';
import { expectProblem } from './expect-problem.js';

/**
 * Issue 15, "Rate limits": eligibility probes and learner look-ups per
 * caller, failed authentications per client address, counted in PostgreSQL
 * so that replicas share them (the ILA lesson: trawling for accounts).
 * rate-limiter-flexible reads the process clock, not the injected one, so the
 * windows here are short (2 s) and the tests wait them out.
 */

const h = useHarness();
let world: Awaited<ReturnType<typeof catalogue>>;
let runId: string;
const NRIC = singaporeNric(424_242);
let lookedUpId: string;

beforeAll(async () => {
  // The harness's own app counts nothing: it builds the world.
  world = await catalogue(h);
  runId = await world.run('50000');
  lookedUpId = (await world.api.learner({ nationalId: NRIC })).id;
});

type Claims = { role: string; sub?: string; learner_id?: string; provider_id?: string };

/**
 * Replicas: `count` apps over the harness's one database, with these limits
 * (the rest unlimited) and one signing key between them, as one identity
 * provider would serve them all.
 */
async function replicas(limits: Partial<RateLimits>, count = 1, options: { trustProxy?: TrustProxy } = {}) {
  const key = await createSigningKey({ kid: 'limits' });
  const authenticator = key.authenticator();
  const apps: Express[] = Array.from({ length: count }, () =>
    createApp({
      ...h.deps, logger: createLogger('silent'), metrics: createMetrics(), authenticator, bodyLimit: '256kb',
      policy: { rateLimits: { ...noRateLimits, ...limits } }, ...options,
    }),
  );
  const token = (claims: Claims) => key.sign({ sub: `${claims.role}-${randomUUID()}`, ...claims });
  return { apps, app: apps[0]!, token };
}

const window2s = (points: number) => ({ points, windowSeconds: 2 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const get = (app: Express, path: string, token: string) => request(app).get(path).set('authorization', `Bearer ${token}`);
const post = (app: Express, path: string, token: string, body: object) => request(app).post(path).set('authorization', `Bearer ${token}`).send(body);
const pointsOf = async (key: string) =>
  (await h.database.pool.query<{ points: number }>(`select points from rate_limits where key = $1`, [key])).rows[0]?.points;

/** A 429 rate_limited problem with a Retry-After of whole seconds within the window. */
function expectLimited(res: Response, windowSeconds: number): number {
  expectProblem(res, 429, 'rate_limited');
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(windowSeconds);
  return seconds;
}

describe('GET /v1/eligibility (a provider probing learners)', () => {
  it('when a provider checks more often than its limit in a window, then it gets 429 with Retry-After, another caller does not, and after the window it is answered again', async () => {
    const { app, token } = await replicas({ eligibility: window2s(3) });
    const provider = await token({ role: 'provider', provider_id: world.providerId });
    const learner = (await world.api.learner()).id;
    const path = `/v1/eligibility?learnerId=${learner}&courseRunId=${runId}`;
    for (let i = 0; i < 3; i++) expect((await get(app, path, provider)).status).toBe(200);

    const refused = await get(app, path, provider);
    const retryAfter = expectLimited(refused, 2);
    expect(refused.body.detail).toMatch(/too many eligibility checks/);
    expect(await pointsOf(`eligibility:provider:${world.providerId}`)).toBe(4);
    // Counted per caller: an admin checking the same learner is not limited by the provider's calls.
    expect((await get(app, path, await token({ role: 'admin' }))).status).toBe(200);

    await sleep(retryAfter * 1000 + 100);
    const again = await get(app, path, provider);
    expect(again.status).toBe(200);
    expect(again.headers['retry-after']).toBeUndefined();
  });
});

describe('GET /v1/me/eligibility (a learner)', () => {
  it('when a learner checks more often than the limit, then 429 with Retry-After; another learner is not limited; after the window it works again', async () => {
    const { app, token } = await replicas({ eligibility: window2s(2) });
    const me = await token({ role: 'citizen', learner_id: (await world.api.learner()).id });
    const path = `/v1/me/eligibility?courseRunId=${runId}`;
    for (let i = 0; i < 2; i++) expect((await get(app, path, me)).status).toBe(200);

    const retryAfter = expectLimited(await get(app, path, me), 2);
    const other = await token({ role: 'citizen', learner_id: (await world.api.learner()).id });
    expect((await get(app, path, other)).status).toBe(200);

    await sleep(retryAfter * 1000 + 100);
    expect((await get(app, path, me)).status).toBe(200);
  });
});

describe('POST /v1/learners/lookup', () => {
  it('when an admin looks up more learners than the limit, then 429 with Retry-After before the body is read; after the window it works again', async () => {
    const { app, token } = await replicas({ learnerLookup: window2s(2) });
    const admin = await token({ role: 'admin' });
    const body = { country: 'SG', nationalId: NRIC };
    for (let i = 0; i < 2; i++) {
      const found = await post(app, '/v1/learners/lookup', admin, body);
      expect(found.status).toBe(200);
      expect(found.body.id).toBe(lookedUpId);
    }

    // Refused before the body is read: an invalid body is not answered 422.
    const refused = await post(app, '/v1/learners/lookup', admin, { nationalId: 42 });
    const retryAfter = expectLimited(refused, 2);
    expect(refused.body.detail).toMatch(/too many learner look-ups/);
    expect(refused.text).not.toContain(NRIC);

    await sleep(retryAfter * 1000 + 100);
    expect((await post(app, '/v1/learners/lookup', admin, body)).status).toBe(200);
  });
});

describe('two replicas on one database', () => {
  it('when one instance has taken calls, then the other counts them: the limit holds across both', async () => {
    const { apps: [a, b], token } = await replicas({ eligibility: { points: 3, windowSeconds: 60 } }, 2);
    const sub = `admin-${randomUUID()}`;
    const admin = await token({ role: 'admin', sub });
    const path = `/v1/eligibility?learnerId=${lookedUpId}&courseRunId=${runId}`;
    expect((await get(a!, path, admin)).status).toBe(200);
    expect((await get(a!, path, admin)).status).toBe(200);
    expect((await get(b!, path, admin)).status).toBe(200);

    // The second instance has seen one call of its own, and refuses the fourth.
    expectLimited(await get(b!, path, admin), 60);
    expect(await pointsOf(`eligibility:admin:${sub}`)).toBe(4);
    expectLimited(await get(a!, path, admin), 60);
  });
});

/** A GET from a given local address (127.0.0.x is all loopback), so that the client address differs. */
function getFrom(port: number, localAddress: string, path: string, token: string, headers: http.OutgoingHttpHeaders = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, localAddress, headers: { ...headers, authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text || '{}') as Record<string, unknown> }));
      })
      .on('error', reject);
  });
}

describe('failed authentications (401), per client address', () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
  /** The app on a port of its own (IPv4 loopback), for requests from chosen addresses. */
  const serve = async (app: Express): Promise<number> => {
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return (server.address() as AddressInfo).port;
  };

  it('when one address keeps failing, then past the limit it gets 429 with Retry-After; valid tokens are not counted or refused; another address still gets 401; after the window, 401 again', async () => {
    const { app, token } = await replicas({ failedAuth: window2s(3) });
    const port = await serve(app);
    const valid = await token({ role: 'admin' });
    const forged = `${valid.slice(0, -4)}AAAA`;
    const path = '/v1/providers';

    // Successes count nothing.
    for (let i = 0; i < 5; i++) expect((await getFrom(port, '127.0.0.1', path, valid)).status).toBe(200);
    expect(await pointsOf('failedAuth:127.0.0.1')).toBeUndefined();

    expect((await getFrom(port, '127.0.0.1', path, forged)).status).toBe(401);
    expect((await getFrom(port, '127.0.0.1', path, 'not-a-jwt')).status).toBe(401);
    expect((await getFrom(port, '127.0.0.1', path, forged)).status).toBe(401);
    const limited = await getFrom(port, '127.0.0.1', path, forged);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(limited.body.detail).toMatch(/failed authentications from this address/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(await pointsOf('failedAuth:127.0.0.1')).toBe(4);

    // A valid token from the very same address (a proxy, a NAT) is not refused.
    expect((await getFrom(port, '127.0.0.1', path, valid)).status).toBe(200);
    // Another address has its own count.
    expect((await getFrom(port, '127.0.0.2', path, forged)).status).toBe(401);
    expect(await pointsOf('failedAuth:127.0.0.2')).toBe(1);

    await sleep(retryAfter * 1000 + 100);
    expect((await getFrom(port, '127.0.0.1', path, forged)).status).toBe(401);
  });

  it('when a valid token is refused 403 for its role, then that is not a failed authentication', async () => {
    const { app, token } = await replicas({ failedAuth: { points: 1, windowSeconds: 60 } });
    const port = await serve(app);
    const citizen = await token({ role: 'citizen', learner_id: lookedUpId });
    for (let i = 0; i < 3; i++) expect((await getFrom(port, '127.0.0.3', '/v1/providers', citizen)).status).toBe(403);
    expect(await pointsOf('failedAuth:127.0.0.3')).toBeUndefined();
    // The one failure the limit allows is still a 401; only the next is refused.
    expect((await getFrom(port, '127.0.0.3', '/v1/providers', 'not-a-jwt')).status).toBe(401);
    const refused = await getFrom(port, '127.0.0.3', '/v1/providers', 'not-a-jwt');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
  });

  describe('behind a proxy (TRUST_PROXY)', () => {
    it('when TRUST_PROXY is unset, then X-Forwarded-For is ignored: a client that changes it each time is still counted by its own address and limited', async () => {
      const { app } = await replicas({ failedAuth: { points: 2, windowSeconds: 60 } });
      const port = await serve(app);
      const spoofed = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
      expect((await getFrom(port, '127.0.0.4', '/v1/providers', 'not-a-jwt', spoofed(1))).status).toBe(401);
      expect((await getFrom(port, '127.0.0.4', '/v1/providers', 'not-a-jwt', spoofed(2))).status).toBe(401);
      expect((await getFrom(port, '127.0.0.4', '/v1/providers', 'not-a-jwt', spoofed(3))).status).toBe(429);
      expect(await pointsOf('failedAuth:127.0.0.4')).toBe(3);
      expect(await pointsOf('failedAuth:198.51.100.1')).toBeUndefined();
    });

    it('when TRUST_PROXY=1 (one load balancer), then two clients behind it, told apart by X-Forwarded-For, get limits of their own', async () => {
      const { app } = await replicas({ failedAuth: { points: 2, windowSeconds: 60 } }, 1, { trustProxy: loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY });
      const port = await serve(app);
      // The balancer appends the address it saw; only that last hop is trusted, whatever the client put before it.
      const alice = { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' };
      const bob = { 'x-forwarded-for': '203.0.113.8' };
      for (let i = 0; i < 2; i++) expect((await getFrom(port, '127.0.0.5', '/v1/providers', 'not-a-jwt', alice)).status).toBe(401);
      expect((await getFrom(port, '127.0.0.5', '/v1/providers', 'not-a-jwt', alice)).status).toBe(429);
      expect((await getFrom(port, '127.0.0.5', '/v1/providers', 'not-a-jwt', bob)).status).toBe(401);
      expect(await pointsOf('failedAuth:203.0.113.7')).toBe(3);
      expect(await pointsOf('failedAuth:203.0.113.8')).toBe(1);
      expect(await pointsOf('failedAuth:127.0.0.5')).toBeUndefined();
      expect(await pointsOf('failedAuth:10.9.9.9')).toBeUndefined();
    });
  });
});

describe('expired counters (the purge_rate_limits background task)', () => {
  it('when maintenance runs, then rows whose window has ended are deleted and current ones kept', async () => {
    const now = Date.now();
    const [gone, stays] = [`failedAuth:purge-${randomUUID()}`, `failedAuth:purge-${randomUUID()}`];
    await h.database.pool.query(`insert into rate_limits (key, points, expire) values ($1, 5, $2), ($3, 5, $4)`, [gone, now - 1000, stays, now + 60_000]);
    const result = await runMaintenance(h.deps);
    expect(result.failures).toEqual([]);
    expect(result.rateLimitsPurged).toBeGreaterThanOrEqual(1);
    expect(await pointsOf(gone)).toBeUndefined();
    expect(await pointsOf(stays)).toBe(5);
  });
});

describe('limits off', () => {
  it('when a limit is 0, then nothing is counted: no 429 and no rows', async () => {
    const { app, token } = await replicas({ eligibility: { points: 0, windowSeconds: 60 } });
    const sub = `admin-${randomUUID()}`;
    const admin = await token({ role: 'admin', sub });
    const path = `/v1/eligibility?learnerId=${lookedUpId}&courseRunId=${runId}`;
    for (let i = 0; i < 10; i++) expect((await get(app, path, admin)).status).toBe(200);
    expect(await pointsOf(`eligibility:admin:${sub}`)).toBeUndefined();
  });
});

describe('configuration', () => {
  it('when TRUST_PROXY is unset, then no proxy is trusted; it takes a hop count or a list of addresses and CIDRs, and refuses true and anything else', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would trust every hop/);
    for (const bad of ['10.0.0.0/33', 'proxy.example', '1.2.3.4/x', '-1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY: must be false, a hop count/);
    }
  });


  it('when RATE_LIMIT_* are unset, then the defaults apply per minute; when set, they are whole numbers, 0 for none', () => {
    expect(rateLimitsFromConfig(loadConfig({}))).toEqual(defaultRateLimits);
    expect(defaultRateLimits).toEqual({
      eligibility: { points: 60, windowSeconds: 60 }, learnerLookup: { points: 30, windowSeconds: 60 }, failedAuth: { points: 20, windowSeconds: 60 },
      publicVerify: { points: 30, windowSeconds: 60 },
    });
    const set = loadConfig({
      RATE_LIMIT_ELIGIBILITY_PER_MINUTE: '5', RATE_LIMIT_LEARNER_LOOKUP_PER_MINUTE: '0', RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '7', RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE: '3',
    });
    expect(rateLimitsFromConfig(set)).toEqual({
      eligibility: { points: 5, windowSeconds: 60 }, learnerLookup: { points: 0, windowSeconds: 60 }, failedAuth: { points: 7, windowSeconds: 60 },
      publicVerify: { points: 3, windowSeconds: 60 },
    });
    for (const bad of ['', 'ten', '-1', '1e3', '5.5']) {
      expect(() => loadConfig({ RATE_LIMIT_ELIGIBILITY_PER_MINUTE: bad }), bad).toThrow(/RATE_LIMIT_ELIGIBILITY_PER_MINUTE/);
    }
  });
});

describe('OpenAPI', () => {
  it('when the document is built, then every operation declares 429 (failed authentications), and the limited ones, and only they, name their own limit', () => {
    const doc = openApiDocumentForRoutes() as unknown as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, { $ref?: string }> }>>;
      components: { responses: Record<string, { description: string; headers: Record<string, unknown>; content?: Record<string, unknown> }> };
    };
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    for (const op of ops) expect(op.responses['429'], op.operationId).toBeDefined();
    const limited = ops.filter((op) => op.responses['429']!.$ref !== '#/components/responses/RateLimited').map((op) => op.operationId).sort();
    expect(limited).toEqual(['checkCounterLearnerEligibility', 'checkEligibility', 'checkMyEligibility', 'getSchemeJwks', 'getSchemeStatusList', 'lookupLearner', 'openCounterVisit', 'openCredentialShare', 'verifyCredential']);
    const shared = (ref: string | undefined) => doc.components.responses[ref!.replace('#/components/responses/', '')]!;
    expect(shared(doc.paths['/v1/eligibility']!.get!.responses['429']!.$ref).description).toMatch(/eligibility checks by this caller/);
    expect(shared(doc.paths['/v1/learners/lookup']!.post!.responses['429']!.$ref).description).toMatch(/learner look-ups by this caller/);
    expect(shared(doc.paths['/v1/public/credential-verifications']!.post!.responses['429']!.$ref).description).toMatch(/credential verifications from this client address/);
    for (const p of ['/v1/eligibility', '/v1/me/eligibility', '/v1/schemes']) {
      const response = shared(doc.paths[p]!.get!.responses['429']!.$ref);
      expect(response.content).toHaveProperty(['application/problem+json']);
      expect(response.headers).toHaveProperty(['Retry-After']);
      expect(response.description).toMatch(/failed authentications from this address/);
    }
  });
});
