import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { equityDimensions } from '../../src/modules/equity/equity-report.repo.js';
import { useHarness } from '../support/harness.js';
import { useReportWorld } from '../equity/equity-world.js';

/**
 * The analyst sees aggregates only. The allow-list below is the whole of
 * what the role may call; every other route refuses it, whatever the ids,
 * and what the allowed ones answer (JSON and CSV) names no person.
 */
const AGGREGATE_ROUTES = ['equityReport', 'listIncomeGroupThresholds'];

const h = useHarness({ poolSize: 10 });
const seeded = useReportWorld(h);

/** The route's path with each id parameter set to a seeded record of its kind (a random one otherwise). */
function seededPath(route: AnyRoute): string {
  const learner = seeded.learners[0]!;
  return route.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    name === 'learnerId' ? learner.id
      : name === 'providerId' ? seeded.world.providerId
        : name === 'schemeId' ? seeded.world.scheme.id
          : name === 'courseId' ? seeded.world.courseId
            : name === 'enrolmentId' ? seeded.enrolments[0]!.enrolmentId
              : randomUUID());
}

async function personalValues(): Promise<string[]> {
  const values = seeded.learners.flatMap((l) => [l.id, l.nationalId, l.fullName, l.dateOfBirth]);
  const rows = await h.database.pool.query(`select national_id_masked, subject_id from learners where id = any($1::uuid[])`, [seeded.learners.map((l) => l.id)]);
  values.push(...rows.rows.flatMap((r: { national_id_masked: string; subject_id: string }) => [r.national_id_masked, r.subject_id]));
  values.push(...seeded.enrolments.map((e) => e.enrolmentId));
  // Provider-private: the bank account the catalogue registered, and the registration number.
  const provider = await h.database.pool.query(`select registration_number from providers where id = $1`, [seeded.world.providerId]);
  values.push('0123456789', provider.rows[0].registration_number as string);
  return values;
}

describe('the analyst role', () => {
  it('when routes are declared, then the analyst is allowed on exactly the aggregate allow-list', () => {
    const allowed = allRoutes(h.deps).filter((r) => r.roles.includes('analyst')).map((r) => r.operationId).sort();
    expect(allowed).toEqual([...AGGREGATE_ROUTES].sort());
  });

  it('when the analyst calls any other route, with seeded or random ids, then 403 forbidden and no body of data', async () => {
    const token = await h.token('analyst');
    // Public routes (no sign-in at all) are walked in the test below.
    const refused = allRoutes(h.deps).filter((r) => !r.public && !AGGREGATE_ROUTES.includes(r.operationId));
    expect(refused.length).toBeGreaterThan(50);
    const personal = await personalValues();
    for (const route of refused) {
      for (const path of [seededPath(route), route.path.replace(/\{(\w+)\}/g, () => randomUUID())]) {
        let req = request(h.app)[route.method](path).set('authorization', `Bearer ${token}`);
        if (route.idempotent) req = req.set('idempotency-key', randomUUID());
        const res = await (route.body ? req.send({}) : req);
        expect(res.status, `${route.method.toUpperCase()} ${path}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
        // The problem's `instance` echoes the path the caller sent; nothing else of a person may come back.
        for (const v of personal) if (!path.includes(v)) expect(res.text.includes(v), `${route.operationId} leaks ${v}`).toBe(false);
      }
    }
  });

  it('when the analyst calls a public route (no sign-in needed) with random ids, then nothing of a person comes back', async () => {
    const token = await h.token('analyst');
    const publicRoutes = allRoutes(h.deps).filter((r) => r.public);
    expect(publicRoutes.length).toBeGreaterThan(0);
    const personal = await personalValues();
    for (const route of publicRoutes) {
      const path = route.path.replace(/\{(\w+)\}/g, () => randomUUID());
      const req = request(h.app)[route.method](path).set('authorization', `Bearer ${token}`);
      const res = await (route.body ? req.send({}) : req);
      expect(res.status, `${route.method.toUpperCase()} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      for (const v of personal) expect(res.text.includes(v), `${route.operationId} leaks ${v}`).toBe(false);
    }
  });

  it('when the analyst reads every aggregate route, in JSON and CSV, by every dimension and as of T0, then no learner id, national id, name, birth date or provider-private field appears', async () => {
    const token = await h.token('analyst');
    const personal = await personalValues();
    expect(personal.length).toBeGreaterThan(100);
    const paths = [
      '/v1/income-group-thresholds',
      ...equityDimensions.flatMap((d) => ['json', 'csv'].flatMap((f) => [
        `/v1/reports/equity?groupBy=${d}&format=${f}`,
        `/v1/reports/equity?groupBy=${d}&format=${f}&schemeId=${seeded.world.scheme.id}&asOf=${encodeURIComponent(seeded.t0)}`,
      ])),
    ];
    for (const path of paths) {
      const res = await request(h.app).get(path).set('authorization', `Bearer ${token}`);
      expect(res.status, path).toBe(200);
      expect(res.text.length).toBeGreaterThan(50);
      for (const v of personal) expect(res.text.includes(v), `${path} leaks ${v}`).toBe(false);
    }
    // And the report is not empty: it does carry the seeded figures.
    const json = await request(h.app).get(`/v1/reports/equity?schemeId=${seeded.world.scheme.id}`).set('authorization', `Bearer ${token}`);
    expect(json.body.schemes[0].total.learnersGranted).toBe(26);
  });
});
