import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import request, { type Response } from 'supertest';
import { expect } from 'vitest';
import type { ErrorCode } from '../../src/lib/app-error.js';
import { expectProblem } from '../http/expect-problem.js';
import { auditEvents, schemes } from '../../src/db/schema/index.js';
import type { Harness } from '../support/harness.js';

export const sgBankAccount = { accountName: 'Acme Training Pte Ltd', bankCode: '7171', accountNumber: '0123456789' };
/** The IBAN of the ISO 13616 examples, as a person would type it. */
export const deBankAccount = { accountName: 'Lernwerk GmbH', bic: 'deutdeff', iban: 'de89 3704 0044 0532 0130 00' };

export function newProviderBody(overrides: Record<string, unknown> = {}) {
  return {
    legalName: 'Acme Training Pte Ltd',
    registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`,
    country: 'SG',
    contactEmail: 'finance@acme.example',
    bankAccount: sgBankAccount,
    ...overrides,
  };
}

export interface ProviderBody {
  id: string;
  status: string;
  contactEmail: string;
  bankAccount: Record<string, string>;
  [k: string]: unknown;
}

/** Callers as the API sees them: an admin, and helpers that act as a given token. */
export async function providerApi(h: Harness) {
  const admin = await h.token('admin');
  const as = (token: string) => ({
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
    post: (path: string, body: unknown = {}) =>
      request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    patch: (path: string, body: unknown) =>
      request(h.app).patch(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    delete: (path: string) => request(h.app).delete(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()),
  });

  async function provider(overrides: Record<string, unknown> = {}) {
    const res = await as(admin).post('/v1/providers', newProviderBody(overrides));
    if (res.status !== 201) throw new Error(`provider: ${res.status} ${res.text}`);
    const body = res.body as ProviderBody;
    return { ...body, token: await h.token('provider', { providerId: body.id }) };
  }

  async function course(providerToken: string, overrides: Record<string, unknown> = {}) {
    const res = await as(providerToken).post('/v1/courses', {
      code: `C-${randomUUID().slice(0, 8)}`,
      title: 'Data Analytics with Python',
      category: 'data-analytics',
      skills: ['python', 'pandas'],
      hours: 24,
      description: 'Three days of hands-on analysis.',
      ...overrides,
    });
    if (res.status !== 201) throw new Error(`course: ${res.status} ${res.text}`);
    return res.body as { id: string; providerId: string; approvedSchemeIds: string[]; [k: string]: unknown };
  }

  async function run(providerToken: string, courseId: string, overrides: Record<string, unknown> = {}) {
    const res = await as(providerToken).post(`/v1/courses/${courseId}/runs`, {
      startsAt: '2027-03-01T09:00:00+08:00',
      endsAt: '2027-03-03T18:00:00+08:00',
      fee: '120000',
      currency: 'SGD',
      capacity: 20,
      ...overrides,
    });
    if (res.status !== 201) throw new Error(`run: ${res.status} ${res.text}`);
    return res.body as { id: string; status: string; [k: string]: unknown };
  }

  async function approve(courseId: string, schemeId: string) {
    const res = await as(admin).post(`/v1/courses/${courseId}/approvals`, { schemeId });
    if (res.status !== 201) throw new Error(`approve: ${res.status} ${res.text}`);
  }

  return { admin, as, provider, course, run, approve };
}

/** A scheme row written straight to the table: the schemes module is not what these tests are about. */
export async function insertScheme(h: Harness, overrides: Partial<typeof schemes.$inferInsert> = {}) {
  const budgetAccountId = randomUUID();
  await h.ledger.createAccounts(h.database.db, [
    { id: budgetAccountId, currency: 'SGD', kind: 'scheme_budget', limit: 'debits_must_not_exceed_credits' },
  ]);
  const [scheme] = await h.database.db
    .insert(schemes)
    .values({
      id: randomUUID(),
      code: `TEST-${randomUUID().slice(0, 8)}`,
      name: 'Test Credit',
      country: 'SG',
      currency: 'SGD',
      status: 'active',
      budgetAccountId,
      createdAt: h.clock.now(),
      ...overrides,
    })
    .returning();
  return scheme!;
}

export async function countRows(h: Harness, table: string): Promise<number> {
  const r = await h.database.pool.query<{ n: number }>(`select count(*)::int n from ${table}`);
  return r.rows[0]!.n;
}

/** Rows of the tables a refused request must leave alone, to compare before and after. */
export async function snapshotCounts(h: Harness) {
  const tables = ['providers', 'provider_keys', 'courses', 'course_runs', 'course_approvals', 'audit_events'];
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await countRows(h, t)] as const)));
}

export async function auditFor(h: Harness, entityId: string, action?: string) {
  return h.database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.entityId, entityId), action ? eq(auditEvents.action, action) : sql`true`));
}

/** Sends a request that must be refused, and proves it changed nothing. */
export async function expectRefusedUnchanged(h: Harness, send: () => Promise<Response>, status: number, code: ErrorCode) {
  const before = await snapshotCounts(h);
  const res = await send();
  expectProblem(res, status, code);
  expect(await snapshotCounts(h)).toEqual(before);
  return res;
}
