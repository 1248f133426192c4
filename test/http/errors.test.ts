import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { toProblem } from '../../src/http/error-handler.js';
import type { AnyRoute } from '../../src/http/route.js';
import { createLogger } from '../../src/lib/logger.js';
import { allRoutes } from '../../src/modules/index.js';
import { createHarness, useHarness } from '../support/harness.js';
import { errorPaths, expectProblem } from './expect-problem.js';
import { allowedRole, concretePath, describeRoute, jsonBodyRoutes, tokenFor } from './routes.js';

const h = useHarness();
let routes: AnyRoute[];
let bodyRoute: AnyRoute | undefined;

beforeAll(async () => {
  routes = allRoutes(h.deps);
  bodyRoute = jsonBodyRoutes(routes)[0];
});

/** The JSON-body route under test; fails loudly (not skips) when the service has none. */
function theBodyRoute(): AnyRoute {
  expect(bodyRoute, 'allRoutes() has no route with a JSON body whose {} is invalid (expected at least POST /v1/schemes)').toBeDefined();
  return bodyRoute!;
}

describe('unknown routes', () => {
  it('when the path matches no route, then 404 not_found problem naming the method and path', async () => {
    const res = await request(h.app).get('/v1/no-such-thing/42');
    const body = expectProblem(res, 404, 'not_found');
    expect(body.detail).toBe('no route for GET /v1/no-such-thing/42');
    expect(body.instance).toBe('/v1/no-such-thing/42');
  });

  it('when the method does not exist on a known path, then 404 not_found, not the handler of another method', async () => {
    const res = await request(h.app)
      .delete('/v1/audit/verification')
      .set('Authorization', `Bearer ${await h.token('admin')}`);
    expectProblem(res, 404, 'not_found');
  });
});

describe('request bodies', () => {
  it('when the JSON is malformed, then 400 malformed_json', async () => {
    const res = await request(h.app)
      .post(bodyRoute ? concretePath(bodyRoute) : '/v1/schemes')
      .set('Authorization', `Bearer ${await h.token('admin')}`)
      .set('Content-Type', 'application/json')
      .send('{"code": "X1", "name": ');
    expectProblem(res, 400, 'malformed_json');
  });

  it('when the JSON top level is not an object or array (strict mode), then 400 malformed_json', async () => {
    const res = await request(h.app).post('/v1/schemes').set('Authorization', `Bearer ${await h.token('admin')}`).set('Content-Type', 'application/json').send('"just a string"');
    expectProblem(res, 400, 'malformed_json');
  });

  it('when the body is over the 256kb limit, then 413 payload_too_large', async () => {
    const res = await request(h.app)
      .post(bodyRoute ? concretePath(bodyRoute) : '/v1/schemes')
      .set('Authorization', `Bearer ${await h.token('admin')}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(300 * 1024) }));
    expectProblem(res, 413, 'payload_too_large');
  });

  it('when the JSON is declared in a charset other than UTF-8, then 415 unsupported_media_type', async () => {
    const res = await request(h.app)
      .post('/v1/schemes')
      .set('Authorization', `Bearer ${await h.token('admin')}`)
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{}');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('when a route with a JSON body receives text/plain, then 415 unsupported_media_type', async () => {
    const route = theBodyRoute();
    const res = await request(h.app)
      .post(concretePath(route))
      .set('Authorization', `Bearer ${await tokenFor(h, allowedRole(route))}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'text/plain')
      .send('{}');
    const body = expectProblem(res, 415, 'unsupported_media_type');
    expect(body.detail, describeRoute(route)).toMatch(/application\/json/);
  });

  it('when a route with a JSON body receives no body at all, then 415 unsupported_media_type', async () => {
    const route = theBodyRoute();
    const res = await request(h.app)
      .post(concretePath(route))
      .set('Authorization', `Bearer ${await tokenFor(h, allowedRole(route))}`)
      .set('Idempotency-Key', randomUUID());
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('when the JSON body misses required fields, then 422 validation_failed naming each field under body.', async () => {
    const route = theBodyRoute();
    const res = await request(h.app)
      .post(concretePath(route))
      .set('Authorization', `Bearer ${await tokenFor(h, allowedRole(route))}`)
      .set('Idempotency-Key', randomUUID())
      .send({});
    const body = expectProblem(res, 422, 'validation_failed');
    const parsed = route.body!.safeParse({});
    const expected = [...new Set(parsed.error!.issues.map((i) => ['body', ...i.path.map(String)].join('.')))].sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(errorPaths(res), describeRoute(route)).toEqual(expected);
    for (const e of body.errors as { path: string; message: string }[]) {
      expect(e.path).toMatch(/^body\.\w+/);
      expect(e.message.length).toBeGreaterThan(0);
    }
  });

  it('when the JSON body has an unknown field, then 422 validation_failed mentioning it', async () => {
    const route = theBodyRoute();
    const res = await request(h.app)
      .post(concretePath(route))
      .set('Authorization', `Bearer ${await tokenFor(h, allowedRole(route))}`)
      .set('Idempotency-Key', randomUUID())
      .send({ surpriseField: 1 });
    expectProblem(res, 422, 'validation_failed');
    expect(res.text).toContain('surpriseField');
  });

  it('when several checks fail at once, then they are reported in order: 401, then 403, then 415, then 422', async () => {
    const route = theBodyRoute();
    const forbiddenRole = (['citizen', 'provider', 'finance', 'admin'] as const).find((r) => !route.roles.includes(r));
    const send = (token?: string, type = 'text/plain') => {
      let r = request(h.app).post(concretePath(route)).set('Content-Type', type).set('Idempotency-Key', randomUUID());
      if (token) r = r.set('Authorization', `Bearer ${token}`);
      return r.send(type === 'text/plain' ? 'nonsense' : '{}');
    };
    expectProblem(await send(), 401, 'unauthenticated');
    if (forbiddenRole) expectProblem(await send(await tokenFor(h, forbiddenRole)), 403, 'forbidden');
    const allowed = await tokenFor(h, allowedRole(route));
    expectProblem(await send(allowed), 415, 'unsupported_media_type');
    expectProblem(await send(allowed, 'application/json'), 422, 'validation_failed');
  });
});

describe('GET /v1/ledger/accounts/{accountId}', () => {
  it('when the path id is not a uuid, then 422 validation_failed with path.accountId', async () => {
    const res = await request(h.app)
      .get('/v1/ledger/accounts/not-a-uuid')
      .set('Authorization', `Bearer ${await h.token('finance')}`);
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['path.accountId']);
  });

  it('when the path is not valid percent-encoding, then 400 bad_request', async () => {
    const res = await request(h.app)
      .get('/v1/ledger/accounts/%E0%A4%A')
      .set('Authorization', `Bearer ${await h.token('finance')}`);
    expectProblem(res, 400, 'bad_request');
  });

  it('when the account does not exist, then 404 not_found', async () => {
    const res = await request(h.app)
      .get(`/v1/ledger/accounts/${randomUUID()}`)
      .set('Authorization', `Bearer ${await h.token('finance')}`);
    expectProblem(res, 404, 'not_found');
  });
});

describe('GET /v1/audit-events', () => {
  it('when limit is out of range, then 422 validation_failed with query.limit', async () => {
    const res = await request(h.app)
      .get('/v1/audit-events?limit=0')
      .set('Authorization', `Bearer ${await h.token('admin')}`);
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['query.limit']);
  });

  it('when an unknown query parameter is sent, then 422 validation_failed', async () => {
    const res = await request(h.app)
      .get('/v1/audit-events?colour=blue')
      .set('Authorization', `Bearer ${await h.token('admin')}`);
    expectProblem(res, 422, 'validation_failed');
    expect(res.text).toContain('colour');
  });
});

describe('unexpected errors', () => {
  it('when an error is not one the service knows, then the problem is a bare 500 that leaks neither message nor stack', () => {
    const problem = toProblem(new Error('password=hunter2 at /srv/app/src/secret.ts:12'), createLogger('silent'));
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(problem)).not.toMatch(/hunter2|secret\.ts|stack/);
  });
});

describe('security headers', () => {
  it('when any response is sent, then helmet headers are present and x-powered-by is not', async () => {
    for (const res of [await request(h.app).get('/healthz'), await request(h.app).get('/v1/nowhere')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });
});

describe('GET /healthz', () => {
  it('when the process is up, then 200 ok without a token', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('when the database is reachable and migrations are current, then 200 ready', async () => {
    const res = await request(h.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', database: 'ok', migrations: 'current' });
  });

  it('when the latest migration is missing from the database, then 503 service_unavailable with Retry-After', async () => {
    const other = await createHarness();
    try {
      await other.database.db.execute(
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
      );
      const res = await request(other.app).get('/readyz');
      const body = expectProblem(res, 503, 'service_unavailable');
      expect(body.detail).toMatch(/migrations/);
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await other.close();
    }
  });
});

describe('GET /metrics', () => {
  it('when requests have been served, then it exposes request durations by route template and the ledger counter', async () => {
    const id = randomUUID();
    await request(h.app)
      .get(`/v1/ledger/accounts/${id}`)
      .set('Authorization', `Bearer ${await h.token('finance')}`)
      .expect(404);
    const res = await request(h.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE ledger_transfers_total counter');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/v1\/ledger\/accounts\/:accountId",status="404"\} [1-9]/);
    // Labels are route templates, never raw ids (unbounded cardinality).
    expect(res.text).not.toContain(id);
  });
});
