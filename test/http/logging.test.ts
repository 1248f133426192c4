import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import type { AnyRoute } from '../../src/http/route.js';
import { DrizzleQueryError } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { createLogger, serializeError } from '../../src/lib/logger.js';
import { maskNationalIds, nationalIdProblem } from '../../src/lib/national-id.js';
import { allRoutes } from '../../src/modules/index.js';
import { useHarness } from '../support/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { createKeyedApp, type KeyedApp } from './keyed-app.js';
import { allowedRole, concretePath, describeRoute } from './routes.js';

const NRIC = 'S1234567D';
const NIK = '3171234567890123';

/** Every line the app logs, raw and parsed. */
const { sink, raw, lines, reset } = captureLogs();

const h = useHarness();
let keyed: KeyedApp;

beforeAll(async () => {
  keyed = await createKeyedApp(h, { logger: createLogger('trace', sink) });
});
beforeEach(reset);

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
    // The request is still identifiable: id, method and the path with the ids masked; no headers, no query string.
    const done = logged.find((l) => reqIdOf(l) === requestId && 'res' in l)!;
    expect(done.req).toEqual({
      id: requestId,
      method: 'POST',
      url: '/v1/learners/[national-id]/lookup',
    });
    expect(done.res).toEqual({ statusCode: 404 });
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
  it('when a URL carries a 12-digit MyKad number or a Corsican NIR (2A, 2B), then the log masks it', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    for (const id of ['880214105673', '880214-10-5673', '290032A00411839', '1 82 07 2B 033 045 63', '3171234567890123', 'G1234567X']) {
      lines.length = 0;
      raw.length = 0;
      const res = await request(keyed.app).get(`/v1/ledger/accounts/${encodeURIComponent(id)}`).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(422);
      const logged = await linesFor(res.headers['x-request-id'] as string);
      const text = raw.join('\n');
      expect(text, id).not.toContain(id);
      expect(text, id).not.toContain(encodeURIComponent(id));
      expect(text, id).not.toContain(id.replace(/[\s-]/g, ''));
      const done = logged.find((l) => 'res' in l)!;
      expect((done.req as { url: string }).url).toBe('/v1/ledger/accounts/[national-id]');
    }
  });

  it('when a URL has a query string, then no log line carries any of it', async () => {
    const token = await keyed.sign({ role: 'admin', sub: 'admin-1' });
    const res = await request(keyed.app)
      .get('/v1/courses?q=Tan%20Ah%20Kow&dateOfBirth=1990-01-01&ref=LC-PRIVATE-REF')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBeLessThan(500);
    const logged = await linesFor(res.headers['x-request-id'] as string);
    const text = raw.join('\n');
    for (const value of ['Tan', 'Kow', '1990-01-01', 'LC-PRIVATE-REF', 'dateOfBirth', '?']) expect(text, value).not.toContain(value);
    expect((logged.find((l) => 'res' in l)!.req as { url: string }).url).toBe('/v1/courses');
  });

  it('when the error behind a 500 is a failed query, then its parameters, detail and row values are not logged, its code, constraint and table are', () => {
    const log = createLogger('info', sink);
    const params = ['01a2-learner', 'MY', Buffer.from('hmac-of-the-national-id'), '********5673', 'Siti Aminah binti Yusof', '1988-02-14'];
    const dbError = Object.assign(new pg.DatabaseError('invalid input syntax for type date: "1988-02-31"', 100, 'error'), {
      code: '22008', severity: 'ERROR', constraint: 'learners_dob_check', table: 'learners', column: 'date_of_birth', routine: 'DateTimeParseError',
      detail: 'Failing row contains (01a2-learner, MY, Siti Aminah binti Yusof, 1988-02-14).', hint: 'Siti Aminah binti Yusof', where: 'row 880214-10-5673',
    });
    const err = new DrizzleQueryError(
      `insert into "learners" ("id", "full_name", "note") values ($1, $2, 'Siti Aminah binti Yusof')`,
      params,
      dbError,
    );
    expect(err.message).toContain('Siti Aminah binti Yusof'); // drizzle's own message lists the parameters
    // Every way an error reaches the log: under err, as the only argument, under another key, through a child
    // that asks for pino's standard error serializer (as pino-http's does), and as a message string.
    log.error({ err }, 'unhandled error');
    log.error(err);
    log.warn({ cause: err, task: 'sweep' }, 'periodic task failed');
    log.child({}, { serializers: { err: pino.stdSerializers.err } }).error({ err }, 'through a child');
    log.warn({ err: { message: err.message } }, 'only the message');
    log.info(`failed: ${err.message}`);
    const text = raw.join('\n');
    for (const value of ['Siti', 'Aminah', '1988-02-14', '1988-02-31', '5673', 'hmac-of-the-national-id', 'aG1hYy1vZi', '880214', 'Failing row']) {
      expect(text, value).not.toContain(value);
    }
    expect(raw).toHaveLength(6);
    expect(lines[0]!.err).toEqual({
      type: 'DrizzleQueryError',
      message: `Failed query: insert into "learners" ("id", "full_name", "note") values ($1, $2, '…')`,
      stack: expect.stringMatching(/^DrizzleQueryError: Failed query: insert into "learners".*\n\s+at /),
      cause: {
        type: 'DatabaseError',
        message: 'invalid input syntax for type date: "…"',
        code: '22008', severity: 'ERROR', constraint: 'learners_dob_check', table: 'learners', column: 'date_of_birth', routine: 'DateTimeParseError',
        stack: expect.stringMatching(/^DatabaseError: invalid input syntax for type date: "…"\n\s+at /),
      },
    });
    expect(lines[3]!.err).toEqual(lines[0]!.err);
    expect(lines[1]).toMatchObject({ msg: lines[0]!.err && (lines[0]!.err as { message: string }).message });
  });

  it('when PostgreSQL quotes identifiers in a message, then they are kept and quoted values are masked', () => {
    expect(serializeError(Object.assign(new Error('duplicate key value violates unique constraint "learners_national_id_uq"'), { code: '23505' }))).toMatchObject({
      message: 'duplicate key value violates unique constraint "learners_national_id_uq"', code: '23505',
    });
    expect(serializeError(new Error('null value in column "full_name" of relation "learners" violates not-null constraint'))).toMatchObject({
      message: 'null value in column "full_name" of relation "learners" violates not-null constraint',
    });
    expect(serializeError(new Error('value "99999999999" is out of range for type integer'))).toMatchObject({ message: 'value "…" is out of range for type integer' });
    expect(serializeError(new Error('invalid input value for enum employment_status: "Tan Ah Kow"'))).toMatchObject({
      message: 'invalid input value for enum employment_status: "…"',
    });
  });
});

describe('masking national ids in text', () => {
  const validFr = (body: string) => Array.from({ length: 100 }, (_, k) => `${body}${String(k).padStart(2, '0')}`).find((id) => !nationalIdProblem('FR', id))!;
  const accepted: [string, string, string][] = [
    ['SG', 'NRIC', 'S1234567D'],
    ['SG', 'NRIC in lower case', 's1234567d'],
    ['SG', 'FIN (F)', 'F1234567N'],
    ['SG', 'FIN (G)', 'G1234567X'],
    ['SG', 'FIN (M)', 'M1234567K'],
    ['ID', 'NIK', '3171234567890123'],
    ['ID', 'NIK in groups', '3171 2345 6789 0123'],
    ['FR', 'NIR', validFr('1841276451089')],
    ['FR', 'NIR, Corsica 2A', validFr('290032A004118')],
    ['FR', 'NIR, Corsica 2b', validFr('182072b033045')],
    ['FR', 'NIR with spaces', `${validFr('2 95 03 2A 004 118 ')}`],
    ['MY', 'MyKad', '880214105673'],
    ['MY', 'MyKad with dashes', '880214-10-5673'],
  ];

  it.each(accepted)('when a %s %s appears in a log line, then it is masked', (country, _name, id) => {
    expect(nationalIdProblem(country, id), 'the service accepts this id').toBeUndefined();
    for (const text of [id, `/v1/x/${id}/y`, `?id=${id}&a=1`, `learner ${id}, again`, `line one\n${id}`, `"${id}"`]) {
      expect(maskNationalIds(text), text).not.toContain(id);
      expect(maskNationalIds(text), text).toContain('[national-id]');
    }
    const log = createLogger('info', sink);
    log.info({ note: `first line\n${id}\tend`, [id]: true }, `looked up ${id}`);
    const text = raw.join('\n');
    expect(text).not.toContain(id);
    expect(text).not.toContain(id.replace(/[\s-]/g, ''));
    expect(lines.at(-1)).toMatchObject({ msg: 'looked up [national-id]', note: 'first line\n[national-id]\tend', '[national-id]': true });
  });

  it('when a line holds request ids, timestamps, amounts and masked ids, then they are left as they are', () => {
    const id = randomUUID();
    for (const text of [id, `trace-${id}`, '2027-01-05T02:00:00.000Z', 'amount 350000 IDR', '*****567D', 'ref LC-2027-000123', 'hash 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b']) {
      expect(maskNationalIds(text)).toBe(text);
    }
  });
});
