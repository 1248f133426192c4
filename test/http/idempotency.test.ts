import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../src/http/idempotency.js';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { snapshotTables } from '../robustness/world.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';
import { expectProblem } from './expect-problem.js';
import { describeRoute } from './routes.js';

/**
 * POSTs that change nothing and so take no Idempotency-Key, each with the
 * reason it is a POST at all. Every other POST, PUT, PATCH and DELETE must be
 * idempotent; a test below also proves that each of these writes nothing.
 */
const readOnlyPosts: Record<string, string> = {
  lookupLearner:
    'reads only. The national id travels in the body so that it stays out of URLs and access logs; ' +
    'a key would keep a fingerprint of that id (country + id alone, easy to confirm guesses against) for 48 hours.',
  verifyCredential:
    'reads only, and is public: nobody signs in, so there is no caller to scope a key to; the VC-JWT is too long for a URL.',
};

const writeMethods = new Set(['post', 'put', 'patch', 'delete']);

const h = useHarness();
let routes: AnyRoute[];
let world: Awaited<ReturnType<typeof catalogue>>;

beforeAll(async () => {
  routes = allRoutes(h.deps);
  world = await catalogue(h);
});

const admin = () => world.api.admin;
const keyRows = async (key: string) =>
  Number((await h.database.pool.query(`select count(*)::int n from idempotency_keys where key = $1`, [key])).rows[0].n);
const auditCount = async (entityId: string) =>
  Number((await h.database.pool.query(`select count(*)::int n from audit_events where entity_id = $1`, [entityId])).rows[0].n);

function learnerBody(overrides: Record<string, unknown> = {}) {
  return {
    country: 'SG', nationalId: nextNric(), fullName: 'Tan Ah Kow', dateOfBirth: '1990-03-14', citizenship: 'SG',
    employmentStatus: 'employed', incomeGroup: 'middle', ...overrides,
  };
}

const registerLearner = (body: unknown, key: string) =>
  request(h.app).post('/v1/learners').set('authorization', `Bearer ${admin()}`).set('idempotency-key', key).send(body as object);

describe('the route registry', () => {
  it('when routes are declared, then every POST, PUT, PATCH and DELETE takes an Idempotency-Key, save the named read-only POSTs', () => {
    const writes = routes.filter((r) => writeMethods.has(r.method));
    expect(writes.length).toBeGreaterThan(0);
    const notIdempotent = writes.filter((r) => !r.idempotent && !(r.operationId in readOnlyPosts)).map(describeRoute);
    expect(notIdempotent, 'state-changing routes without idempotent: true').toEqual([]);
  });

  it('when a route is on the read-only list, then it is a declared, non-idempotent POST (the list names nothing stale)', () => {
    for (const [operationId, why] of Object.entries(readOnlyPosts)) {
      const route = routes.find((r) => r.operationId === operationId);
      expect(route, `${operationId} is not a declared route`).toBeDefined();
      expect(route!.method, operationId).toBe('post');
      expect(route!.idempotent ?? false, operationId).toBe(false);
      expect(why.length).toBeGreaterThan(20);
    }
  });

  it('when POST /v1/learners/lookup is called, found or not, then no table changes but the staff-read log (it is read-only, so it takes no key)', async () => {
    const body = learnerBody();
    expect((await registerLearner(body, randomUUID())).status).toBe(201);
    const reads = async () => (await h.database.pool.query(`select count(*)::int n from staff_data_reads`)).rows[0].n as number;
    const readsBefore = await reads();
    const before = await snapshotTables(h, ['staff_data_reads']);
    const lookup = (nationalId: string) =>
      request(h.app).post('/v1/learners/lookup').set('authorization', `Bearer ${admin()}`).send({ country: 'SG', nationalId });
    expect((await lookup(body.nationalId)).status).toBe(200);
    expectProblem(await lookup(nextNric()), 404, 'not_found');
    expect(await snapshotTables(h, ['staff_data_reads'])).toEqual(before);
    // The found look-up is a staff read of personal data: logged once; the miss read nobody.
    expect(await reads()).toBe(readsBefore + 1);
  });
});

describe('a retry of a newly idempotent write', () => {
  it('when PATCH /v1/providers/{providerId} is retried with the same key, then the first answer is replayed and one audit event is written', async () => {
    const other = await catalogue(h);
    const key = randomUUID();
    const send = () =>
      request(h.app).patch(`/v1/providers/${other.providerId}`).set('authorization', `Bearer ${admin()}`).set('idempotency-key', key)
        .send({ contactEmail: 'accounts@academy.example' });
    const before = await auditCount(other.providerId);
    const first = await send();
    expect(first.status, first.text).toBe(200);
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await auditCount(other.providerId)).toBe(before + 1);
  });

  it('when DELETE of a course approval is retried with the same key, then it replays 204 instead of answering 404', async () => {
    const other = await catalogue(h);
    const key = randomUUID();
    const send = (k: string) =>
      request(h.app).delete(`/v1/courses/${other.courseId}/approvals/${other.scheme.id}`).set('authorization', `Bearer ${admin()}`).set('idempotency-key', k);
    expect((await send(key)).status).toBe(204);
    const again = await send(key);
    expect(again.status).toBe(204);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expectProblem(await send(randomUUID()), 404, 'not_found');
  });

  it('when POST /v1/learners has no Idempotency-Key, then 400 idempotency_key_required and no learner is registered', async () => {
    const before = await snapshotTables(h, []);
    const res = await request(h.app).post('/v1/learners').set('authorization', `Bearer ${admin()}`).send(learnerBody());
    expectProblem(res, 400, 'idempotency_key_required');
    expect(await snapshotTables(h, [])).toEqual(before);
  });
});

describe('the stored fingerprint of a request', () => {
  it('when a learner is registered under a key, then the fingerprint kept with the key is keyed: not the plain hash of a body that carries the national id', async () => {
    const key = randomUUID();
    const body = learnerBody();
    expect((await registerLearner(body, key)).status).toBe(201);
    const [row] = (await h.database.pool.query(`select request_hash from idempotency_keys where key = $1`, [key])).rows;
    expect(row.request_hash).toMatch(/^[0-9a-f]{64}$/);
    // The unkeyed form anyone could compute from a guessed id.
    expect(row.request_hash).not.toBe(requestFingerprint('POST', '/v1/learners', body));
    // And the retry still replays: the keyed fingerprint is stable.
    expect((await registerLearner(body, key)).headers['idempotent-replayed']).toBe('true');
  });
});

describe('refusals under a key', () => {
  it('when the body fails the schema (422 validation_failed), then nothing is kept under the key and the corrected retry with the same key goes through', async () => {
    const key = randomUUID();
    const body = learnerBody();
    const { fullName: _omitted, ...withoutName } = body;
    const refused = await registerLearner(withoutName, key);
    expectProblem(refused, 422, 'validation_failed');
    expect(await keyRows(key)).toBe(0);
    const corrected = await registerLearner(body, key);
    expect(corrected.status, corrected.text).toBe(201);
    const replay = await registerLearner(body, key);
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(corrected.text);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('when a handler refuses a value (422 validation_failed: the NRIC check letter), then nothing is kept and the corrected retry with the same key registers the learner', async () => {
    const key = randomUUID();
    const body = learnerBody();
    const wrongLetter = `${body.nationalId.slice(0, -1)}${body.nationalId.endsWith('A') ? 'B' : 'A'}`;
    const before = await snapshotTables(h, []);
    const refused = await registerLearner({ ...body, nationalId: wrongLetter }, key);
    const problem = expectProblem(refused, 422, 'validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'body.nationalId' })]);
    // Not even the key row: the refusal left every table as it was.
    expect(await snapshotTables(h, [])).toEqual(before);
    const corrected = await registerLearner(body, key);
    expect(corrected.status, corrected.text).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
  });

  it('when a handler refuses a date against the clock (rules effective in the past), then the corrected retry with the same key makes the new version', async () => {
    const scheme = await world.api.scheme({}, { subsidyRateBps: 10_000 });
    const key = randomUUID();
    const put = (body: unknown) =>
      request(h.app).put(`/v1/schemes/${scheme.id}/rules`).set('authorization', `Bearer ${admin()}`).set('idempotency-key', key).send(body as object);
    const past = new Date(h.clock.now().getTime() - 86_400_000).toISOString();
    const refused = await put({ rules: { subsidyRateBps: 5_000 }, effectiveFrom: past });
    expectProblem(refused, 422, 'validation_failed');
    expect(await keyRows(key)).toBe(0);
    const corrected = await put({ rules: { subsidyRateBps: 5_000 } });
    expect(corrected.status, corrected.text).toBe(200);
    expect(corrected.body).toMatchObject({ rulesVersion: 2, rules: { subsidyRateBps: 5_000 } });
  });

  it('when the world refuses the request (409 insufficient_credit), then the refusal is kept: the retry replays it even after credit arrives, and another body under the key is refused', async () => {
    const runA = await world.run('40000');
    const runB = await world.run('40000');
    const learner = await world.learnerWithCredit('40000');
    const citizen = asCitizen(h, learner.token);
    expect((await citizen.post('/v1/me/enrolments', { courseRunId: runA })).status).toBe(201);
    const key = randomUUID();
    const refused = await citizen.post('/v1/me/enrolments', { courseRunId: runB }, key);
    expectProblem(refused, 409, 'insufficient_credit');
    expect(await keyRows(key)).toBe(1);

    const topUp = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '40000' });
    expect(topUp.status, topUp.text).toBe(201);
    const retry = await citizen.post('/v1/me/enrolments', { courseRunId: runB }, key);
    expect(retry.status).toBe(409);
    expect(retry.text).toBe(refused.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const onB = await h.database.pool.query(`select count(*)::int n from enrolments where learner_id = $1 and course_run_id = $2`, [learner.id, runB]);
    expect(onB.rows[0].n).toBe(0);

    expectProblem(await citizen.post('/v1/me/enrolments', { courseRunId: runA }, key), 422, 'idempotency_key_reused');
    // A new key is a new attempt, judged on today's credit.
    expect((await citizen.post('/v1/me/enrolments', { courseRunId: runB })).status).toBe(201);
  });

  it('when a registration is refused as a duplicate (409 conflict), then the retry with the same key replays the refusal', async () => {
    const body = learnerBody();
    expect((await registerLearner(body, randomUUID())).status).toBe(201);
    const key = randomUUID();
    const refused = await registerLearner({ ...body, fullName: 'Someone Else' }, key);
    expectProblem(refused, 409, 'conflict');
    const retry = await registerLearner({ ...body, fullName: 'Someone Else' }, key);
    expect(retry.status).toBe(409);
    expect(retry.text).toBe(refused.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });
});
