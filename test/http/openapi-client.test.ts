import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { catalogue } from '../support/catalogue.js';
import { createHarness, type Harness } from '../support/harness.js';
import type { components, paths } from '../support/api-types.js';

/**
 * A client generated from openapi/openapi.json (openapi-typescript, committed
 * as test/support/api-types.ts so that `npm run typecheck` checks this file
 * against it) drives the citizen flow over a real server on 127.0.0.1.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const typesPath = path.join(root, 'test/support/api-types.ts');

let h: Harness;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  h = await createHarness();
  server = http.createServer(h.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await h?.close();
});

const client = (token: string) => createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

describe('test/support/api-types.ts', () => {
  it('when the types are generated again from openapi/openapi.json, then they are identical (else regenerate them)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'api-types-'));
    try {
      const fresh = path.join(dir, 'api-types.ts');
      await promisify(execFile)(path.join(root, 'node_modules/.bin/openapi-typescript'), ['openapi/openapi.json', '-o', fresh], { cwd: root });
      expect(
        await readFile(typesPath, 'utf8'),
        'test/support/api-types.ts is stale: run `npm run openapi` (it writes the document and these types)',
      ).toBe(await readFile(fresh, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the citizen flow through the generated client', () => {
  it('when a citizen reads their account, checks eligibility, sees a provider\'s request, consents and reads their transactions, then every answer has the documented shape', async () => {
    const world = await catalogue(h);
    const runId = await world.run('30000');
    const learner = await world.learnerWithCredit('50000');
    const citizen = client(learner.token);
    const provider = client(world.providerToken);

    const account = await citizen.GET('/v1/me/account');
    expect(account.response.status).toBe(200);
    expect(account.response.headers.get('x-request-id')).toBeTruthy();
    const grant: components['schemas']['GrantBalance'] = account.data!.grants[0]!;
    expect(grant).toMatchObject({ currency: 'SGD', amount: '50000', available: '50000' });
    expectTypeOf(grant.available).toEqualTypeOf<string>();

    const eligibility = await citizen.GET('/v1/me/eligibility', { params: { query: { courseRunId: runId } } });
    expect(eligibility.response.status).toBe(200);
    expect(eligibility.data!.eligible).toBe(true);
    expectTypeOf(eligibility.data!.eligible).toEqualTypeOf<boolean>();

    const requested = await provider.POST('/v1/enrolments', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { learnerId: learner.id, courseRunId: runId },
    });
    expect(requested.response.status, JSON.stringify(requested.error)).toBe(201);
    const enrolmentId = requested.data!.id;

    const mine = await citizen.GET('/v1/me/enrolments', { params: { query: { status: 'requested' } } });
    expect(mine.data!.items.map((e) => e.id)).toContain(enrolmentId);

    const key = randomUUID();
    const consent = () =>
      citizen.POST('/v1/me/enrolments/{enrolmentId}/consent', { params: { path: { enrolmentId }, header: { 'Idempotency-Key': key } }, body: {} });
    const consented = await consent();
    expect(consented.response.status, JSON.stringify(consented.error)).toBe(200);
    expect(consented.data).toMatchObject({ id: enrolmentId, status: 'reserved', reserved: '30000', currency: 'SGD' });
    const replayed = await consent();
    expect(replayed.response.headers.get('idempotent-replayed')).toBe('true');

    const transactions = await citizen.GET('/v1/me/transactions', { params: { query: { limit: 10 } } });
    expect(transactions.response.status).toBe(200);
    expect(transactions.data!.items.some((m) => m.referenceId === enrolmentId && m.direction === 'debit' && m.amount === '30000')).toBe(true);

    const refused = await citizen.POST('/v1/me/enrolments/{enrolmentId}/decline', {
      params: { path: { enrolmentId }, header: { 'Idempotency-Key': randomUUID() } }, body: {},
    });
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({ code: 'invalid_state', status: 409 });
  });
});
