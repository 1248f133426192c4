import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/maintenance.js';
import { equityReport } from '../../src/modules/equity/equity-report.js';
import { publishClosedEquityReports } from '../../src/modules/equity/published-equity-report.js';
import { equityDimensions } from '../../src/modules/equity/equity-report.repo.js';
import { useHarness } from '../support/harness.js';
import { equityWorld, toNextMonth, type SeededLearner } from './equity-world.js';

const h = useHarness({ poolSize: 10 });

const fullProfile = { incomeGroup: { year: 2024, code: 'B40' }, gender: 'female', region: 'SG-01', urbanRural: 'urban', disability: false };
let w: Awaited<ReturnType<typeof equityWorld>>;
let profiled: SeededLearner[];
let januaryEnd: string;

/** 12 learners with a full profile and 10 with none, all granted in January 2027; the clock then in February. */
beforeAll(async () => {
  w = await equityWorld(h);
  profiled = [];
  for (let i = 0; i < 12; i++) profiled.push(await w.learner(fullProfile));
  for (let i = 0; i < 10; i++) await w.learner(null);
  januaryEnd = new Date(Date.UTC(h.clock.now().getUTCFullYear(), h.clock.now().getUTCMonth() + 1, 1) - 1).toISOString();
  toNextMonth(h);
});

const report = async (query: string): Promise<request.Response> => {
  const res = await request(h.app).get(`/v1/reports/equity?schemeId=${w.world.scheme.id}&${query}`).set('authorization', `Bearer ${await h.token('analyst')}`);
  expect(res.status, res.text).toBe(200);
  return res;
};
const cells = (body: { schemes: { groups: { group: string; learnersGranted: number | null; suppressed: boolean }[]; total: { learnersGranted: number | null } }[] }) => ({
  groups: body.schemes[0]!.groups.map((g) => [g.group, g.learnersGranted, g.suppressed]),
  total: body.schemes[0]!.total.learnersGranted,
});
const snapshotRows = async (where = 'true', params: unknown[] = []) =>
  (await h.database.pool.query<{ period_end: Date; dimension: string; taken_at: Date }>(`select period_end, dimension, taken_at from equity_report_snapshots where ${where}`, params)).rows;

const waitingForLearners = `select count(*)::int n from pg_locks
  where database = (select oid from pg_database where datname = current_database()) and relation = 'learners'::regclass and not granted`;

async function until(condition: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await condition()).toBe(true);
}

async function erase(learnerId: string) {
  const admin = async (sub: string) => {
    const token = await h.token('admin', { sub });
    return (path: string, body: unknown) => request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);
  };
  const proposed = await (await admin('admin-dpo-1'))(`/v1/learners/${learnerId}/erasure`, { reason: 'DSR-2027-0107: erasure request, identity checked at the counter' });
  expect(proposed.status, proposed.text).toBe(202);
  const approved = await (await admin('admin-dpo-2'))(`/v1/approvals/${proposed.body.id}/approve`, {});
  expect(approved.status, approved.text).toBe(200);
}

describe('published equity reports are frozen', () => {
  it('when a learner counted in published cells is erased, then every dimension of the closed month answers byte for byte as before, though live figures have moved', async () => {
    const before = new Map<string, { json: string; csv: string; schemes: unknown }>();
    for (const d of equityDimensions) {
      const json = await report(`groupBy=${d}`);
      expect(json.body.asOf).toBe(januaryEnd);
      before.set(d, { json: json.text, csv: (await report(`groupBy=${d}&format=csv`)).text, schemes: json.body.schemes });
    }
    expect(cells(JSON.parse(before.get('incomeGroup')!.json))).toEqual({ groups: [['B40', 12, false], ['not_stated', 10, false]], total: 22 });
    expect(cells(JSON.parse(before.get('gender')!.json))).toEqual({ groups: [['female', 12, false], ['not_stated', 10, false]], total: 22 });
    expect(cells(JSON.parse(before.get('ageBand')!.json))).toEqual({ groups: [['35-44', 22, false]], total: 22 });

    await erase(profiled[0]!.id);

    for (const d of equityDimensions) {
      expect((await report(`groupBy=${d}`)).text, d).toBe(before.get(d)!.json);
      expect((await report(`groupBy=${d}&format=csv`)).text, d).toBe(before.get(d)!.csv);
      const live = await equityReport(h.database.db, januaryEnd, d, w.world.scheme.id);
      expect(JSON.parse(JSON.stringify(live)), d).not.toEqual(before.get(d)!.schemes);
    }
  });

  it('when the month after the erasure closes, then its report counts the erased learner as not stated', async () => {
    toNextMonth(h);
    expect(cells((await report('groupBy=incomeGroup')).body)).toEqual({ groups: [['B40', 11, false], ['not_stated', 11, false]], total: 22 });
    expect(cells((await report('groupBy=disability')).body)).toEqual({ groups: [['no', 11, false], ['not_stated', 11, false]], total: 22 });
    expect(cells((await report('groupBy=ageBand')).body)).toEqual({ groups: [['35-44', null, true], ['not_stated', null, true]], total: 22 });
    expect(cells((await report(`groupBy=incomeGroup&asOf=${encodeURIComponent(januaryEnd)}`)).body).groups).toEqual([['B40', 12, false], ['not_stated', 10, false]]);
  });

  it('when a closed period is read before it is published, then nothing is stored; when three replicas publish it at once, then one snapshot is stored and reads answer as before', async () => {
    toNextMonth(h);
    const unpublished = await report('groupBy=region');
    expect(await snapshotRows(`period = 'month' and period_end = $1`, [unpublished.body.asOf])).toEqual([]);
    const storedBefore = (await snapshotRows()).length;
    const blocker = await h.database.pool.connect();
    let runs: Promise<{ published: number }[]>;
    try {
      await blocker.query('begin');
      await blocker.query('lock table learners in access exclusive mode');
      runs = Promise.all([1, 2, 3].map(() => publishClosedEquityReports(h.deps, h.database.db)));
      await until(async () => (await blocker.query(waitingForLearners)).rows[0].n === 3);
    } finally {
      await blocker.query('commit');
      blocker.release();
    }
    const published = (await runs).map((r) => r.published);
    expect(await snapshotRows(`period = 'month' and period_end = $1 and dimension = 'region'`, [unpublished.body.asOf])).toHaveLength(1);
    // Between them the three stored each missing period and dimension once, and each counted only what it stored.
    expect(published.reduce((a, b) => a + b, 0)).toBe((await snapshotRows()).length - storedBefore);
    expect((await snapshotRows()).length).toBeGreaterThan(storedBefore);
    expect((await report('groupBy=region')).text).toBe(unpublished.text);
  });

  it('when asOf is in the future, then 422 and no period that has not closed is ever stored', async () => {
    const future = new Date(h.clock.now().getTime() + 3_600_000).toISOString();
    const res = await request(h.app).get(`/v1/reports/equity?groupBy=urbanRural&asOf=${encodeURIComponent(future)}`).set('authorization', `Bearer ${await h.token('analyst')}`);
    expect(res.status).toBe(422);
    const now = await report(`groupBy=urbanRural&asOf=${encodeURIComponent(h.clock.now().toISOString())}`);
    expect(new Date(now.body.period.end).getTime()).toBeLessThan(h.clock.now().getTime());
    const rows = await snapshotRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.period_end.getTime() > r.taken_at.getTime() || r.period_end.getTime() >= h.clock.now().getTime())).toEqual([]);
  });

  it('when the maintenance task runs, then it publishes every closed month and dimension not yet stored and says how many; a second run publishes none', async () => {
    toNextMonth(h);
    const closedMonths = 4;
    const stored = (await snapshotRows()).length;
    expect(stored).toBeLessThan(closedMonths * equityDimensions.length);
    const first = await runMaintenance(h.deps);
    expect(first.failures).toEqual([]);
    expect(first.equityReportsPublished).toBe(closedMonths * equityDimensions.length - stored);
    expect(await snapshotRows()).toHaveLength(closedMonths * equityDimensions.length);
    expect((await runMaintenance(h.deps)).equityReportsPublished).toBe(0);

    toNextMonth(h);
    expect((await runMaintenance(h.deps)).equityReportsPublished).toBe(equityDimensions.length);
  });
});
