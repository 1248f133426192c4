import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import type { AnyRoute } from '../../src/http/route.js';
import { createLogger } from '../../src/lib/logger.js';
import { allRoutes } from '../../src/modules/index.js';
import { createHarness, type Harness } from '../support/harness.js';
import { createKeyedApp, type KeyedApp } from './keyed-app.js';
import { allowedRole, concretePath, describeRoute } from './routes.js';

const NRIC = 'S1234567D';
const NIK = '3171234567890123';

/** Every line the app logs, parsed. */
const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});

let h: Harness;
let keyed: KeyedApp;

beforeAll(async () => {
  h = await createHarness();
  keyed = await createKeyedApp(h, { logger: createLogger('trace', sink) });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  lines.length = 0;
  raw.length = 0;
});

const reqIdOf = (line: Record<string, unknown>) => (line.req as { id?: unknown } | undefined)?.id;

/** Waits until the request-completed line for this request id has been written. */
async function linesFor(requestId: string) {
  await vi.waitFor(() => expect(lines.some((l) => reqIdOf(l) === requestId && 'res' in l)).toBe(true), { timeout: 2000 });
  return lines;
}

describe('request logging', () => {
  it('when a request carries a bearer token and national ids in the URL and body, then no log line contains either', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    const signature = token.split('.')[2]!;
    const res = await request(keyed.app)
      .post(`/v1/learners/${NRIC}/lookup?nric=${NRIC}&nik=${NIK}`)
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', `key-${NRIC}`)
      .send({ nationalId: NRIC, learner: { nationalId: NIK, note: `citizen ${NRIC}` } });
    expect(res.status).toBe(404);
    const requestId = res.headers['x-request-id'] as string;
    const logged = await linesFor(requestId);

    expect(logged.length).toBeGreaterThan(0);
    const text = raw.join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(signature);
    expect(text).not.toContain(NRIC);
    expect(text).not.toContain(NIK);
    // The request is still identifiable: id, method and the URL with the ids masked; no headers at all.
    const done = logged.find((l) => reqIdOf(l) === requestId && 'res' in l)!;
    expect(done.req).toEqual({
      id: requestId,
      method: 'POST',
      url: '/v1/learners/[national-id]/lookup?nric=[national-id]&nik=[national-id]',
    });
  });

  it('when the routes that take a nationalId in their body are called, then no log line contains the id or the token', async () => {
    const takesNationalId = (r: AnyRoute) => Boolean((r.body as z.ZodObject | undefined)?.shape?.nationalId);
    const routes = allRoutes(h.deps).filter(takesNationalId);
    expect(routes.map(describeRoute)).toContain('POST /v1/learners');
    for (const route of routes) {
      const role = allowedRole(route);
      const claims = role === 'citizen' ? { learner_id: randomUUID() } : role === 'provider' ? { provider_id: randomUUID() } : {};
      const token = await keyed.sign({ role, sub: `${role}-1`, ...claims });
      for (const body of [
        { country: 'SG', nationalId: NRIC, fullName: 'Tan Ah Kow', dateOfBirth: '1990-01-01', citizenship: 'SG' },
        { country: 'SG', nationalId: NRIC },
        { nationalId: NRIC, unexpected: `also ${NRIC}` },
      ]) {
        lines.length = 0;
        raw.length = 0;
        const res = await request(keyed.app)
          .post(concretePath(route))
          .set('Authorization', `Bearer ${token}`)
          .set('Idempotency-Key', randomUUID())
          .send(body);
        expect(res.status, `${describeRoute(route)}: ${res.text}`).toBeLessThan(500);
        await linesFor(res.headers['x-request-id'] as string);
        const text = raw.join('\n');
        expect(text, describeRoute(route)).not.toContain(NRIC);
        expect(text, describeRoute(route)).not.toContain(token);
      }
    }
  });

  it('when a token authorises a real route whose path holds a national id, then the log shows neither', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    const res = await request(keyed.app).get(`/v1/ledger/accounts/${NRIC}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(422);
    const requestId = res.headers['x-request-id'] as string;
    await linesFor(requestId);
    const text = raw.join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(NRIC);
  });

  it('when the app logs a request, then every line carries the request id that the X-Request-Id header returns', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    const res = await request(keyed.app).get('/v1/audit/verification').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const requestId = res.headers['x-request-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = await linesFor(requestId);
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(reqIdOf(line), JSON.stringify(line)).toBe(requestId);
  });

  it('when the client sends a well-formed X-Request-Id, then it is echoed and logged; a malformed one is replaced', async () => {
    const given = `trace-${randomUUID()}`;
    const res = await request(keyed.app).get('/v1/nowhere').set('X-Request-Id', given);
    expect(res.headers['x-request-id']).toBe(given);
    expect(res.body.requestId).toBe(given);
    await linesFor(given);

    const bad = await request(keyed.app).get('/v1/nowhere').set('X-Request-Id', 'has spaces and <script>');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.body.requestId).toBe(bad.headers['x-request-id']);
  });

  it('when the logger is handed national ids and secrets directly, then redaction and masking hide them', () => {
    const log = createLogger('info', sink);
    log.info({ nationalId: NRIC, body: { nationalId: NIK, token: 'secret-token' } }, `looked up ${NRIC}`);
    const text = raw.join('\n');
    expect(raw).toHaveLength(1);
    expect(text).not.toContain(NRIC);
    expect(text).not.toContain(NIK);
    expect(text).not.toContain('secret-token');
    expect(lines[0]).toMatchObject({ msg: 'looked up [national-id]', nationalId: '[redacted]', body: { nationalId: '[redacted]' } });
  });
});
