import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AnyRoute } from '../../src/http/route.js';
import { isCursorInstant } from '../../src/lib/cursor.js';
import { allRoutes } from '../../src/modules/index.js';
import { financeApi, statementCsv, tenantWithApprovedClaim, type Tenant } from '../robustness/world.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';
import { errorPaths, expectProblem } from './expect-problem.js';
import { describeRoute } from './routes.js';

/**
 * Issue 12, item 5: a cursor is opaque base64url JSON, so a caller can forge
 * one. A timestamp in it that is not a date, or one past what PostgreSQL
 * holds (year 275760), used to reach the database and give 500. Every
 * cursor-paginated list must refuse any forged cursor with 422 naming
 * query.cursor.
 */
const h = useHarness();
let a: Tenant;
let ids: Record<string, string>;
let tokens: Record<string, string>;
let lists: AnyRoute[];

const cursorOf = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A cursor with every timestamp key the lists use set to `at`; unknown keys are ignored by each list's schema. */
const stamped = (at: unknown) => cursorOf({ at, createdAt: at, startsAt: at, id: randomUUID() });

const forgedInstants: [string, unknown][] = [
  ['a non-date', 'not-a-date'],
  ['year 275760 without a sign', '275760-09-13T00:00:00.000Z'],
  ['year +275760 (the last JS date)', '+275760-09-13T00:00:00.000Z'],
  ['year -1', '-000001-01-01T00:00:00.000Z'],
  ['year 0', '0000-01-01T00:00:00.000Z'],
  ['the first instant of year 1 east of UTC (year 0 in UTC)', '0001-01-01T00:00:00+01:00'],
  ['30 February', '2027-02-30T00:00:00.000Z'],
  ['hour 24', '2027-01-01T24:00:00Z'],
  ['an offset of 99 hours', '2027-01-01T00:00:00+99:00'],
  ['no zone', '2027-01-01T00:00:00'],
  ['a date only', '2027-01-01'],
  ['an empty string', ''],
  ['a number', 1e20],
  ['null', null],
  ['an object', {}],
  ['an array', ['2027-01-01T00:00:00Z']],
];

const forgedCursors: [string, string][] = [
  ...forgedInstants.map(([label, at]): [string, string] => [`a timestamp that is ${label}`, stamped(at)]),
  ['not base64url JSON', 'bm9wZQ'],
  ['JSON that is not an object', cursorOf('"2027-01-01T00:00:00Z"')],
  ['JSON null', cursorOf('null')],
  ['a valid time with an id that is not a uuid', cursorOf({ at: '2027-01-01T00:00:00.000Z', createdAt: '2027-01-01T00:00:00.000Z', startsAt: '2027-01-01T00:00:00.000Z', id: "1' or '1'='1" })],
];

beforeAll(async () => {
  a = await tenantWithApprovedClaim(h);
  const finance = await h.token('finance', { sub: 'officer-cursors' });
  const st = await financeApi(h, finance).statement(statementCsv([['LCunknownreference000000000000000000', '10.00', 'SGD', 'DBIT', 'payment']]));
  expect(st.status, st.text).toBe(201);
  ids = {
    statementId: st.body.statementId,
    learnerId: a.enrolment.learner.id,
    providerId: a.world.providerId,
    courseId: a.world.courseId,
    schemeId: a.world.scheme.id,
  };
  // A visit of the counter officer whose token the counter's history list gets.
  const counter = await h.token('counter');
  const nationalId = nextNric();
  await a.world.api.learner({ nationalId });
  const visit = await request(h.app).post('/v1/counter/visits').set('authorization', `Bearer ${counter}`).set('idempotency-key', randomUUID())
    .send({ country: 'SG', nationalId, reason: 'the forged-cursor world', learnerPresent: true, identityCheck: 'nric_card' });
  expect(visit.status, visit.text).toBe(201);
  ids.visitId = visit.body.visitId;
  tokens = { citizen: a.enrolment.learner.token, provider: a.world.providerToken, finance, admin: a.world.api.admin, counter };
  lists = allRoutes(h.deps).filter((r) => r.method === 'get' && r.query !== undefined && 'cursor' in ((r.query as z.ZodObject).shape ?? {}));
});

function get(route: AnyRoute, cursor?: string) {
  const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const id = ids[name];
    if (!id) throw new Error(`${describeRoute(route)}: no id for {${name}} in this test's world`);
    return id;
  });
  const role = route.roles[0]!;
  return request(h.app).get(path).query(cursor === undefined ? {} : { cursor }).set('authorization', `Bearer ${tokens[role]}`);
}

describe('cursor-paginated lists', () => {
  it('when the lists are walked, then the claims, enrolments and transactions lists are among them, and each answers 200 with no cursor', async () => {
    const names = lists.map(describeRoute);
    expect(names).toEqual(expect.arrayContaining(['GET /v1/claims', 'GET /v1/me/claims', 'GET /v1/enrolments', 'GET /v1/me/enrolments', 'GET /v1/me/transactions', 'GET /v1/learners/{learnerId}/transactions']));
    expect(lists.length).toBeGreaterThanOrEqual(10);
    for (const route of lists) {
      const res = await get(route);
      expect(res.status, `${describeRoute(route)}: ${res.text}`).toBe(200);
    }
  });

  it('when a cursor is forged (a non-date, year 275760, year 0, 30 February, wrong JSON), then every list answers 422 naming query.cursor, never 500', async () => {
    const wrong: string[] = [];
    for (const route of lists) {
      for (const [label, cursor] of forgedCursors) {
        const res = await get(route, cursor);
        if (res.status !== 422 || errorPaths(res).join() !== 'query.cursor') {
          wrong.push(`${describeRoute(route)} [${label}]: ${res.status} ${res.text.slice(0, 200)}`);
          continue;
        }
        expectProblem(res, 422, 'validation_failed');
      }
    }
    expect(wrong).toEqual([]);
  });

  it('when a cursor carries the first or last instant of years 0001 to 9999, then the list pages from it (200)', async () => {
    for (const route of lists.filter((r) => !r.path.includes('bank-statements'))) {
      for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2027-01-05T10:00:00+08:00']) {
        const res = await get(route, stamped(at));
        expect(res.status, `${describeRoute(route)} at ${at}: ${res.text}`).toBe(200);
      }
    }
  });
});

describe('isCursorInstant', () => {
  it('when given what toISOString writes, then it accepts it; when given anything PostgreSQL or a JS Date cannot hold as that instant, then it refuses', () => {
    expect(isCursorInstant(new Date('2027-01-05T02:00:00Z').toISOString())).toBe(true);
    expect(isCursorInstant('2028-02-29T00:00:00.123456Z')).toBe(true);
    expect(isCursorInstant('2027-02-29T00:00:00Z')).toBe(false);
    expect(isCursorInstant('1900-02-29T00:00:00Z')).toBe(false);
    expect(isCursorInstant('2000-02-29T00:00:00Z')).toBe(true);
    expect(isCursorInstant('9999-12-31T23:59:59.999-01:00')).toBe(false);
    for (const [, at] of forgedInstants) if (typeof at === 'string') expect(isCursorInstant(at), at).toBe(false);
  });
});
