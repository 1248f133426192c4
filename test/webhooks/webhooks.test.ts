import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Express } from 'express';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { startJobQueue, type JobQueue } from '../../src/jobs/job-queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { createMetrics } from '../../src/lib/metrics.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import { resumeOverdueDeliveries, RESUME_GRACE_MS } from '../../src/modules/webhooks/resume-deliveries.js';
import { attemptDelivery, DELIVERY_QUEUE } from '../../src/modules/webhooks/attempt-delivery.js';
import { webhookFanOut } from '../../src/modules/webhooks/fan-out.js';
import { retrySchedule } from '../../src/modules/webhooks/retry-schedule.js';
import { webhooksPart } from '../../src/modules/webhooks/worker-part.js';
import { expectProblem } from '../http/expect-problem.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';
import { createSigningKey, type SigningKey } from '../support/signing-key.js';

const h = useHarness();

/** A receiver on 127.0.0.1 that answers with the statuses it is told, then 200, and keeps what it got. */
interface Received { headers: IncomingHttpHeaders; body: string }
let server: Server;
let receiverUrl: string;
let received: Received[] = [];
let answers: number[] = [];

let key: SigningKey;
/** The app with WEBHOOKS_ALLOW_LOCAL (development): endpoints on 127.0.0.1:<port> may be registered. */
let localApp: Express;
let localDeps: ServiceDeps;
let jobs: JobQueue;
let providerA: { id: string; token: string };
let providerB: { id: string; token: string };

async function newProvider(api: Awaited<ReturnType<typeof adminApi>>) {
  const res = await api.post('/v1/providers', {
    legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
    contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
  });
  if (res.status !== 201) throw new Error(`provider: ${res.status} ${res.text}`);
  return { id: res.body.id as string, token: await key.token('provider', { providerId: res.body.id }) };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `failure\u0007 ${'x'.repeat(1000)}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  key = await createSigningKey({ kid: 'webhooks' });
  localDeps = { ...h.deps, policy: { ...h.deps.policy, webhooksAllowLocal: true } };
  localApp = createApp({ ...localDeps, metrics: createMetrics(), authenticator: key.authenticator(), bodyLimit: '256kb' });
  jobs = await startJobQueue(h.deps.database.pool, h.deps.logger, { schema: 'pgboss_webhooks' });
  // Defined, never worked here: the tests drive attempts by hand (the worker test has its own schema).
  await jobs.define(DELIVERY_QUEUE, { retryLimit: 0 });
  const api = await adminApi(h);
  providerA = await newProvider(api);
  providerB = await newProvider(api);
});
afterAll(async () => {
  await jobs?.stop();
  await new Promise((r) => server?.close(r));
});

const as = (p: { token: string }, app: Express = localApp) => ({
  post: (path: string, body?: object) => request(app).post(path).set('authorization', `Bearer ${p.token}`).set('idempotency-key', randomUUID()).send(body),
  patch: (path: string, body: object) => request(app).patch(path).set('authorization', `Bearer ${p.token}`).set('idempotency-key', randomUUID()).send(body),
  delete: (path: string) => request(app).delete(path).set('authorization', `Bearer ${p.token}`).set('idempotency-key', randomUUID()),
  get: (path: string) => request(app).get(path).set('authorization', `Bearer ${p.token}`),
});

async function register(p: { token: string }, eventTypes = ['claim.approved', 'payment.settled']) {
  const res = await as(p).post('/v1/providers/me/webhook-endpoints', { url: receiverUrl, eventTypes, description: 'Finance system' });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; secret: string };
}

/** An event about the provider, relayed: its deliveries exist afterwards. */
async function event(providerId: string, type: 'claim.approved' | 'payment.settled' | 'enrolment.requested' = 'claim.approved') {
  const subject = { type: 'claim', id: randomUUID() };
  await recordEvent(h.deps.database.db, { type, at: h.clock.now(), subject, providerId, data: { claimId: subject.id, amount: '45000', currency: 'SGD' } });
  await relayOutbox(localDeps, [webhookFanOut(localDeps, jobs)]);
  const r = await h.deps.database.db.execute<{ id: string; endpoint_id: string }>(sql`select d.id, d.endpoint_id from webhook_deliveries d
    join outbox_events e on e.id = d.event_id where e.subject_id = ${subject.id}::uuid`);
  return r.rows;
}

const count = async (table: string, where = sql`true`) =>
  (await h.deps.database.db.execute<{ n: number }>(sql`select count(*)::int n from ${sql.identifier(table)} where ${where}`)).rows[0]!.n;

/** Whether the message carries a valid signature by `secret` (the package's own signing, compared as the spec says). */
function signedBy(secret: string, m: Received): boolean {
  const at = new Date(Number(m.headers['webhook-timestamp']) * 1000);
  const expected = new Webhook(secret).sign(String(m.headers['webhook-id']), at, m.body);
  return String(m.headers['webhook-signature']).split(' ').includes(expected);
}

describe('POST /v1/providers/me/webhook-endpoints', () => {
  it('when a provider registers an endpoint, then the answer holds a whsec_ secret shown once, stored sealed, and kept out of the audit trail', async () => {
    const created = await register(providerA);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const stored = await h.deps.database.db.execute<{ sealed_secret: string }>(sql`select sealed_secret from webhook_endpoint_secrets where endpoint_id = ${created.id}::uuid`);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.sealed_secret).not.toContain(created.secret.slice(6, 20));
    const got = await as(providerA).get(`/v1/providers/me/webhook-endpoints/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: created.id, url: receiverUrl, eventTypes: ['claim.approved', 'payment.settled'], enabled: true });
    expect(JSON.stringify(got.body)).not.toContain('whsec_');
    const list = await as(providerA).get('/v1/providers/me/webhook-endpoints');
    expect(list.body.items.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const audit = await h.deps.database.db.execute<{ details: string }>(sql`select details::text from audit_events where entity_id = ${created.id}`);
    expect(audit.rows.length).toBeGreaterThan(0);
    for (const a of audit.rows) {
      expect(a.details).not.toContain('whsec_');
      expect(a.details).not.toContain('/hooks');
    }
  });

  it('when the registration or a rotation is retried with the same Idempotency-Key, then the replay answers the same endpoint with secret null, and no secret is kept in clear', async () => {
    const key = randomUUID();
    const send = () => request(localApp).post('/v1/providers/me/webhook-endpoints').set('authorization', `Bearer ${providerA.token}`)
      .set('idempotency-key', key).send({ url: receiverUrl, eventTypes: ['claim.approved'] });
    const first = await send();
    expect(first.status, first.text).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ ...first.body, secret: null });
    const rotateKey = randomUUID();
    const rotate = () => request(localApp).post(`/v1/providers/me/webhook-endpoints/${first.body.id}/secret-rotations`)
      .set('authorization', `Bearer ${providerA.token}`).set('idempotency-key', rotateKey).send();
    const rotated = await rotate();
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect((await rotate()).body).toEqual({ ...rotated.body, secret: null });
    const stored = await count('idempotency_keys', sql`body like '%whsec_%'`);
    expect(stored).toBe(0);
  });

  it.each([
    [{ url: 'http://hooks.example.com/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://10.0.0.1/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://169.254.169.254/latest', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://[::1]/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://[fd00::1]/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://[::ffff:127.0.0.1]/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://[::ffff:0:a9fe:a9fe]/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://localhost/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://user:pass@93.184.215.14/x', eventTypes: ['claim.approved'] }, 'body.url'],
    [{ url: 'https://93.184.215.14/x', eventTypes: [] }, 'body.eventTypes'],
    [{ url: 'https://93.184.215.14/x', eventTypes: ['grant.expiring'] }, 'body.eventTypes.0'],
    [{ url: 'https://93.184.215.14/x', eventTypes: ['enrolment.consent_due'] }, 'body.eventTypes.0'],
    [{ url: 'https://93.184.215.14/x' }, 'body.eventTypes'],
    [{ url: 'https://93.184.215.14/x', eventTypes: ['claim.approved'], secret: 'mine' }, 'body'],
  ])('when the body is %j (production rules), then 422 names %s and nothing is registered', async (body, path) => {
    const before = await count('webhook_endpoints');
    const res = await as({ token: await h.token('provider', { providerId: providerA.id }) }, h.app).post('/v1/providers/me/webhook-endpoints', body);
    const problem = expectProblem(res, 422, 'validation_failed');
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(await count('webhook_endpoints')).toBe(before);
  });

  it('when a URL is refused, then the problem says why', async () => {
    const res = await as({ token: await h.token('provider', { providerId: providerA.id }) }, h.app)
      .post('/v1/providers/me/webhook-endpoints', { url: 'https://localhost/x', eventTypes: ['claim.approved'] });
    expect(res.body.reasons).toEqual(['forbidden_address']);
    expect(res.body.errors[0].message).toMatch(/resolves to a private, loopback/);
  });
});

describe('another provider', () => {
  it('cannot see, change, rotate, delete or replay what is not its own, and changes nothing trying', async () => {
    const endpoint = await register(providerA);
    const [delivery] = await event(providerA.id);
    await attemptDelivery(localDeps, delivery!.id);
    const attemptsBefore = await count('webhook_delivery_attempts');
    const other = as(providerB);
    expectProblem(await other.get(`/v1/providers/me/webhook-endpoints/${endpoint.id}`), 404, 'not_found');
    expectProblem(await other.patch(`/v1/providers/me/webhook-endpoints/${endpoint.id}`, { enabled: false }), 404, 'not_found');
    expectProblem(await other.post(`/v1/providers/me/webhook-endpoints/${endpoint.id}/secret-rotations`), 404, 'not_found');
    expectProblem(await other.delete(`/v1/providers/me/webhook-endpoints/${endpoint.id}`), 404, 'not_found');
    expectProblem(await other.get(`/v1/providers/me/webhook-deliveries/${delivery!.id}`), 404, 'not_found');
    expectProblem(await other.post(`/v1/providers/me/webhook-deliveries/${delivery!.id}/replays`), 404, 'not_found');
    const list = await other.get('/v1/providers/me/webhook-deliveries');
    expect(list.body.items.map((d: { id: string }) => d.id)).not.toContain(delivery!.id);
    expect((await other.get('/v1/providers/me/webhook-endpoints')).body.items.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
    expect(await count('webhook_delivery_attempts')).toBe(attemptsBefore);
    expect(await count('webhook_endpoint_secrets', sql`endpoint_id = ${endpoint.id}::uuid`)).toBe(1);
    expect((await as(providerA).get(`/v1/providers/me/webhook-endpoints/${endpoint.id}`)).body.enabled).toBe(true);
  });

  it('sees every endpoint only as an admin, who may filter by provider', async () => {
    const endpoint = await register(providerA);
    const admin = { token: await key.token('admin') };
    const res = await as(admin).get(`/v1/webhook-endpoints?providerId=${providerA.id}&limit=200`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    expect(res.body.items.every((e: { providerId: string }) => e.providerId === providerA.id)).toBe(true);
    expectProblem(await as(providerA).get('/v1/webhook-endpoints'), 403, 'forbidden');
  });
});

describe('deliveries', () => {
  it('when an event about the provider commits, then its endpoint gets a Standard Webhooks message that verifies with the secret', async () => {
    h.clock.set(new Date());
    const endpoint = await register(providerA, ['payment.settled']);
    const rows = await event(providerA.id, 'payment.settled');
    const mine = rows.filter((r) => r.endpoint_id === endpoint.id);
    expect(mine).toHaveLength(1);
    received = [];
    const result = await attemptDelivery(localDeps, mine[0]!.id);
    expect(result).toMatchObject({ made: true, status: 'delivered' });
    expect(received).toHaveLength(1);
    const m = received[0]!;
    expect(m.headers['webhook-id']).toBe(mine[0]!.id);
    const payload = new Webhook(endpoint.secret).verify(m.body, m.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(payload.type).toBe('payment.settled');
    expect(payload.data).toMatchObject({ amount: '45000', currency: 'SGD', eventId: expect.any(String) });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(m.body, m.headers as Record<string, string>)).toThrow();
  });

  it('when an event is of a type the endpoint did not subscribe to, or the endpoint is disabled, then no delivery is made for it', async () => {
    const endpoint = await register(providerB, ['claim.approved']);
    expect((await event(providerB.id, 'enrolment.requested')).filter((r) => r.endpoint_id === endpoint.id)).toHaveLength(0);
    expect((await as(providerB).patch(`/v1/providers/me/webhook-endpoints/${endpoint.id}`, { enabled: false })).status).toBe(200);
    expect((await event(providerB.id, 'claim.approved')).filter((r) => r.endpoint_id === endpoint.id)).toHaveLength(0);
  });

  it('when the receiver answers 500 twice and then 200, then three attempts are made on the schedule, the same webhook-id each time, and one delivered', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    const [delivery] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    received = [];
    answers = [500, 500];
    const metrics = createMetrics();
    const counted = { ...localDeps, metrics };
    const first = await attemptDelivery(counted, delivery!.id);
    expect(first).toMatchObject({ made: true, status: 'retrying' });
    const next1 = (first as { nextAttemptAt: Date }).nextAttemptAt;
    expect(next1.getTime() - h.clock.now().getTime()).toBeGreaterThanOrEqual(retrySchedule.firstDelayMs * 0.9);
    expect(next1.getTime() - h.clock.now().getTime()).toBeLessThanOrEqual(retrySchedule.firstDelayMs * 1.1);
    // A job for an instant that has passed on does nothing.
    expect(await attemptDelivery(localDeps, delivery!.id, { due: new Date(next1.getTime() - 1) })).toEqual({ made: false, why: 'not_due' });
    h.clock.set(next1);
    const second = await attemptDelivery(counted, delivery!.id, { due: next1 });
    expect(second).toMatchObject({ made: true, status: 'retrying' });
    h.clock.set((second as { nextAttemptAt: Date }).nextAttemptAt);
    expect(await attemptDelivery(counted, delivery!.id)).toMatchObject({ made: true, status: 'delivered' });
    expect(received.map((m) => m.headers['webhook-id'])).toEqual([delivery!.id, delivery!.id, delivery!.id]);
    const counts = await metrics.registry.getSingleMetricAsString('webhook_delivery_attempts_total');
    expect(counts).toContain('webhook_delivery_attempts_total{outcome="failed",error_class="http_status"} 2');
    expect(counts).toContain('webhook_delivery_attempts_total{outcome="delivered",error_class="none"} 1');
    const detail = await as(providerA).get(`/v1/providers/me/webhook-deliveries/${delivery!.id}`);
    expect(detail.body).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(detail.body.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(detail.body.attemptLog[0].errorClass).toBe('http_status');
    expect(detail.body.attemptLog[0].responseExcerpt.length).toBeLessThanOrEqual(256);
    expect(detail.body.attemptLog[0].responseExcerpt).not.toMatch(/[\u0000-\u001f]/);
    expect(await attemptDelivery(localDeps, delivery!.id)).toEqual({ made: false, why: 'finished' });
  });

  it('when a waiting delivery has lost its job, then the resume sweep gives it a new one for the same instant, and it is delivered once', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    const [delivery] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    const jobsFor = async () => (await h.database.pool.query(
      `select data->>'due' as due from pgboss_webhooks.job where name = 'webhooks.deliver' and data->>'deliveryId' = $1`, [delivery!.id])).rows as { due: string }[];
    expect(await jobsFor()).toHaveLength(1);
    // Not overdue yet: its job may still come.
    await resumeOverdueDeliveries(localDeps, jobs);
    expect(await jobsFor()).toHaveLength(1);
    h.clock.advance(RESUME_GRACE_MS + 60_000);
    expect((await resumeOverdueDeliveries(localDeps, jobs)).resumed).toBeGreaterThanOrEqual(1);
    const [first, second] = await jobsFor();
    expect(second!.due).toBe(first!.due);
    received.length = 0;
    expect(await attemptDelivery(localDeps, delivery!.id, { due: new Date(second!.due) })).toMatchObject({ made: true, status: 'delivered' });
    // The old job turning up after all does nothing.
    expect(await attemptDelivery(localDeps, delivery!.id, { due: new Date(first!.due) })).toEqual({ made: false, why: 'finished' });
    expect(received.map((m) => m.headers['webhook-id'])).toEqual([delivery!.id]);
  });

  it('when every attempt fails for 3 days, then the delivery is dead-lettered, and a replay delivers it with the same webhook-id', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    const [delivery] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    const firstAt = h.clock.now();
    let result;
    let n = 0;
    for (;;) {
      answers = [503];
      result = await attemptDelivery(localDeps, delivery!.id);
      n += 1;
      if (!result.made || result.status !== 'retrying') break;
      h.clock.set(result.nextAttemptAt!);
    }
    expect(result).toMatchObject({ made: true, status: 'dead_lettered', nextAttemptAt: null });
    expect(h.clock.now().getTime() - firstAt.getTime()).toBeLessThanOrEqual(retrySchedule.windowMs);
    expect(h.clock.now().getTime() - firstAt.getTime()).toBeGreaterThan(retrySchedule.windowMs - retrySchedule.maxDelayMs * 1.1);
    expect(n).toBeGreaterThan(12);
    const dead = await as(providerA).get(`/v1/providers/me/webhook-deliveries?status=dead_lettered&endpointId=${endpoint.id}`);
    expect(dead.body.items.map((d: { id: string }) => d.id)).toEqual([delivery!.id]);
    expect(await attemptDelivery(localDeps, delivery!.id)).toEqual({ made: false, why: 'finished' });
    received = [];
    answers = [];
    const replay = await as(providerA).post(`/v1/providers/me/webhook-deliveries/${delivery!.id}/replays`);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toMatchObject({ delivery: { id: delivery!.id, status: 'delivered', attempts: n + 1 }, attempt: { trigger: 'replay', outcome: 'delivered', statusCode: 200 } });
    expect(received.map((m) => m.headers['webhook-id'])).toEqual([delivery!.id]);
    expect(signedBy(endpoint.secret, received[0]!)).toBe(true);
  });

  it('when an endpoint is disabled, then a replay is refused with 409 and nothing is sent', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    const [delivery] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    await as(providerA).patch(`/v1/providers/me/webhook-endpoints/${endpoint.id}`, { enabled: false });
    received = [];
    expectProblem(await as(providerA).post(`/v1/providers/me/webhook-deliveries/${delivery!.id}/replays`), 409, 'invalid_state');
    expect(received).toHaveLength(0);
    // Its scheduled attempt sends nothing and dead-letters it, to be replayed once enabled again.
    expect(await attemptDelivery(localDeps, delivery!.id)).toMatchObject({ made: true, status: 'dead_lettered', outcome: { errorClass: 'endpoint_disabled' } });
    expect(received).toHaveLength(0);
  });

  it('when the host of an endpoint resolves to a loopback address at delivery time (rebinding), then nothing is sent and the attempt fails as forbidden_address', async () => {
    const endpointId = randomUUID();
    const now = h.clock.now();
    await h.deps.database.db.execute(sql`insert into webhook_endpoints (id, provider_id, url, event_types, enabled, created_at, updated_at)
      values (${endpointId}::uuid, ${providerB.id}::uuid, ${`https://rebind.example:${new URL(receiverUrl).port}/hooks`}, array['claim.approved'], true, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`);
    const [delivery] = (await event(providerB.id)).filter((r) => r.endpoint_id === endpointId);
    received = [];
    const result = await attemptDelivery({ ...localDeps, resolve: async () => [{ address: '127.0.0.1', family: 4 }] }, delivery!.id);
    expect(result).toMatchObject({ made: true, status: 'retrying', outcome: { ok: false, errorClass: 'forbidden_address' } });
    expect(received).toHaveLength(0);
  });

  it('when the receiver does not answer in time, then the attempt fails as a timeout', async () => {
    const slow = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const port = (slow.address() as AddressInfo).port;
      const created = await as(providerB).post('/v1/providers/me/webhook-endpoints', { url: `http://127.0.0.1:${port}/x`, eventTypes: ['payment.settled'] });
      const [delivery] = (await event(providerB.id, 'payment.settled')).filter((r) => r.endpoint_id === created.body.id);
      const result = await attemptDelivery({ ...localDeps, timeoutMs: 300 }, delivery!.id);
      expect(result).toMatchObject({ made: true, outcome: { ok: false, errorClass: 'timeout', statusCode: null } });
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });
});

describe('secret rotation', () => {
  it('when a secret is rotated, then both sign during the 24-hour grace, and only the new one after', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    const rotated = await as(providerA).post(`/v1/providers/me/webhook-endpoints/${endpoint.id}/secret-rotations`);
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(new Date(rotated.body.previousSecretExpiresAt).getTime() - h.clock.now().getTime()).toBe(24 * 3_600_000);
    const [during] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    received = [];
    await attemptDelivery(localDeps, during!.id);
    expect(String(received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(signedBy(endpoint.secret, received[0]!)).toBe(true);
    expect(signedBy(rotated.body.secret, received[0]!)).toBe(true);
    h.clock.advance(24 * 3_600_000 + 1000);
    const [after] = (await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id);
    received = [];
    await attemptDelivery(localDeps, after!.id);
    expect(String(received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(signedBy(rotated.body.secret, received[0]!)).toBe(true);
    expect(signedBy(endpoint.secret, received[0]!)).toBe(false);
  });
});

describe('endpoint changes', () => {
  it('when a change is empty or its URL is refused, then 422 and nothing changes; a delete hides it and stops new deliveries', async () => {
    const endpoint = await register(providerA, ['claim.approved']);
    expectProblem(await as(providerA).patch(`/v1/providers/me/webhook-endpoints/${endpoint.id}`, {}), 422, 'validation_failed');
    const refused = await as(providerA).patch(`/v1/providers/me/webhook-endpoints/${endpoint.id}`, { url: 'https://10.0.0.1/x' });
    expect(expectProblem(refused, 422, 'validation_failed').errors).toEqual([{ path: 'body.url', message: expect.any(String) }]);
    expect((await as(providerA).get(`/v1/providers/me/webhook-endpoints/${endpoint.id}`)).body.url).toBe(receiverUrl);
    expectProblem(await as(providerA).get('/v1/providers/me/webhook-endpoints/not-a-uuid'), 422, 'validation_failed');
    expectProblem(await as(providerA).get('/v1/providers/me/webhook-deliveries/msg_nope'), 422, 'validation_failed');
    expectProblem(await as(providerA).get('/v1/providers/me/webhook-deliveries?status=lost'), 422, 'validation_failed');
    expect((await as(providerA).delete(`/v1/providers/me/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
    expectProblem(await as(providerA).get(`/v1/providers/me/webhook-endpoints/${endpoint.id}`), 404, 'not_found');
    expect((await event(providerA.id)).filter((r) => r.endpoint_id === endpoint.id)).toHaveLength(0);
  });
});

describe('the worker', () => {
  it('when the worker runs, then a committed event reaches the endpoint through the relay and the job queue', async () => {
    h.clock.set(new Date());
    await relayOutbox(localDeps, [webhookFanOut(localDeps, jobs)]);
    const endpoint = await register(providerB, ['claim.approved']);
    const worker = await startWorker(localDeps, { relayIntervalMs: 100, schema: 'pgboss_webhooks_worker', parts: [webhooksPart] });
    try {
      received = [];
      answers = [];
      const subject = { type: 'claim', id: randomUUID() };
      await recordEvent(h.deps.database.db, { type: 'claim.approved', at: h.clock.now(), subject, providerId: providerB.id, data: { claimId: subject.id } });
      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(1);
      expect(signedBy(endpoint.secret, received[0]!)).toBe(true);
      const row = await h.deps.database.db.execute<{ status: string }>(sql`select status from webhook_deliveries where id = ${String(received[0]!.headers['webhook-id'])}`);
      for (let i = 0; i < 50 && row.rows[0]?.status !== 'delivered'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        row.rows = (await h.deps.database.db.execute<{ status: string }>(sql`select status from webhook_deliveries where id = ${String(received[0]!.headers['webhook-id'])}`)).rows;
      }
      expect(row.rows[0]!.status).toBe('delivered');
    } finally {
      await worker.stop();
    }
  });
});
