import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { withheldGroups } from '../../src/modules/equity/equity-report.js';
import { useHarness } from '../support/harness.js';
import { publishedPeriodOf } from '../../src/modules/equity/report-period.js';
import { toNextMonth, useReportWorld } from './equity-world.js';

const h = useHarness({ poolSize: 10 });
const seeded = useReportWorld(h);

const analyst = () => h.token('analyst');
const report = async (query: string, token?: string) =>
  request(h.app).get(`/v1/reports/equity?schemeId=${seeded.world.scheme.id}&${query}`).set('authorization', `Bearer ${token ?? (await analyst())}`);
const schemeOf = (body: { schemes: unknown[] }) => {
  expect(body.schemes).toHaveLength(1);
  return body.schemes[0] as { groups: ({ group: string } & Record<string, unknown>)[]; total: Record<string, unknown>; currency: string };
};
const withheld = { suppressed: true, learnersGranted: null, enrolledShareBps: null, completedShareBps: null, stackedPathwayShareBps: null, creditUsed: null, averageCoPayment: null };

describe('GET /v1/reports/equity', () => {
  it('when grouped by income group, then B40 shows its known figures, T20 (3 learners) is withheld and so is M40, the next smallest, and the total is exact', async () => {
    const res = await report('groupBy=incomeGroup');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ groupBy: 'incomeGroup', minimumCellLearners: 10 });
    const s = schemeOf(res.body);
    expect(s.currency).toBe('SGD');
    expect(s.groups).toEqual([
      { group: 'B40', suppressed: false, learnersGranted: 12, enrolledShareBps: 5000, completedShareBps: 2500, stackedPathwayShareBps: 0, creditUsed: '90000', averageCoPayment: '0' },
      { group: 'M40', ...withheld },
      { group: 'T20', ...withheld },
    ]);
    // 26 learners; 8 enrolled (3077 bps), 4 completed (1538 bps); 4 claims: 3 × 30000 + 24000; co-pays 6 × 0 and 2 × 6000 over 8 enrolments.
    expect(s.total).toEqual({
      suppressed: false, learnersGranted: 26, enrolledShareBps: 3077, completedShareBps: 1538, stackedPathwayShareBps: 0, creditUsed: '114000', averageCoPayment: '1500',
    });
  });

  it('when grouped by gender, age band or disability, then each dimension is suppressed on its own counts', async () => {
    const gender = schemeOf((await report('groupBy=gender')).body);
    expect(gender.groups.map((g) => [g.group, g.learnersGranted, g.suppressed])).toEqual([['female', 12, false], ['male', null, true], ['not_stated', null, true]]);
    const age = schemeOf((await report('groupBy=ageBand')).body);
    // Born 1986, the clock is in 2027: 40 or 41.
    expect(age.groups.map((g) => [g.group, g.learnersGranted])).toEqual([['35-44', 26]]);
    const disability = schemeOf((await report('groupBy=disability')).body);
    expect(disability.groups.map((g) => [g.group, g.learnersGranted, g.suppressed])).toEqual([['no', 11, false], ['not_stated', 15, false]]);
    const region = schemeOf((await report('groupBy=region')).body);
    expect(region.groups.map((g) => [g.group, g.learnersGranted])).toEqual([['SG-01', 12], ['not_stated', 14]]);
    const setting = schemeOf((await report('groupBy=urbanRural')).body);
    expect(setting.groups.map((g) => [g.group, g.learnersGranted, g.suppressed])).toEqual([['not_stated', null, true], ['rural', null, true], ['urban', 12, false]]);
  });

  it('when asked as of T0, before the later grants, then it counts 12 B40 and 8 M40, withholds both, and shows the total of 20', async () => {
    const res = await report(`groupBy=incomeGroup&asOf=${encodeURIComponent(seeded.t0)}`);
    expect(res.status).toBe(200);
    const s = schemeOf(res.body);
    expect(s.groups).toEqual([{ group: 'B40', ...withheld }, { group: 'M40', ...withheld }]);
    expect(s.total).toMatchObject({ suppressed: false, learnersGranted: 20, enrolledShareBps: 0, completedShareBps: 0, creditUsed: '0', averageCoPayment: null });
  });

  it('when three B40 learners completed a pathway of the scheme and one stacked credential was revoked, then the share counts the two, and as of before the completions it is 0', async () => {
    const db = h.database.pool;
    const before = h.clock.now().toISOString();
    h.clock.advance(60_000);
    const pathwayId = randomUUID();
    const now = h.clock.now().toISOString();
    await db.query(
      `insert into pathways (id, scheme_id, code, name, description, course_ids, rule_kind, required, achievement_name, achievement_description, created_at, created_by)
       values ($1, $2, 'EQ-STACK', 'Stack', 'A stack', array[$3::uuid, $4::uuid], 'all', 2, 'Stack', 'A stack', $5, 'test')`,
      [pathwayId, seeded.world.scheme.id, randomUUID(), randomUUID(), now],
    );
    const b40 = seeded.learners.slice(0, 3);
    for (const [i, l] of b40.entries()) {
      await db.query(
        `insert into pathway_completions (id, pathway_id, learner_id, scheme_id, completed_at, counted, credential_id, credential_jwt, status_index, revoked_at, bonus_status)
         values ($1, $2, $3, $4, $5, '[]', $6, 'x.y.z', $7, $8, 'none')`,
        [randomUUID(), pathwayId, l.id, seeded.world.scheme.id, now, `urn:uuid:${randomUUID()}`, 900_000 + i, i === 2 ? now : null],
      );
    }
    try {
      toNextMonth(h);
      const s = schemeOf((await report('groupBy=incomeGroup')).body);
      // 2 of the 12 B40 learners; the total: 2 of 26.
      expect(s.groups[0]).toMatchObject({ group: 'B40', stackedPathwayShareBps: 1667 });
      expect(s.total).toMatchObject({ stackedPathwayShareBps: 769 });
      const earlier = schemeOf((await report(`groupBy=incomeGroup&asOf=${encodeURIComponent(before)}`)).body);
      expect(earlier.groups[0]).toMatchObject({ group: 'B40', stackedPathwayShareBps: 0 });
    } finally {
      await db.query('delete from pathway_completions where pathway_id = $1', [pathwayId]);
      await db.query('delete from pathways where id = $1', [pathwayId]);
    }
  });

  it('when asked as CSV, then each group and a TOTAL row carry the same figures as the JSON', async () => {
    const asOf = (await report('groupBy=incomeGroup')).body.asOf as string;
    const json = schemeOf((await report(`groupBy=incomeGroup&asOf=${encodeURIComponent(asOf)}`)).body);
    const res = await report(`groupBy=incomeGroup&format=csv&asOf=${encodeURIComponent(asOf)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="equity-incomeGroup-.*\.csv"$/);
    const lines = res.text.split('\r\n').filter((l) => l !== '');
    const header = lines[0]!.split(',');
    expect(header).toEqual([
      'scheme_id', 'scheme_code', 'currency', 'group_by', 'group', 'suppressed', 'learners_granted', 'enrolled_share_bps', 'completed_share_bps',
      'stacked_pathway_share_bps', 'credit_used', 'average_co_payment', 'as_of',
    ]);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    const str = (v: unknown) => (v === null ? '' : String(v));
    expect(rows.map((r) => [r.group, r.suppressed, r.learners_granted, r.enrolled_share_bps, r.completed_share_bps, r.credit_used, r.average_co_payment])).toEqual(
      [...json.groups, { group: 'TOTAL', ...json.total }].map((g) => [
        g.group, str(g.suppressed), str(g.learnersGranted), str(g.enrolledShareBps), str(g.completedShareBps), str(g.creditUsed), str(g.averageCoPayment),
      ]),
    );
    expect(rows.every((r) => r.scheme_id === seeded.world.scheme.id && r.as_of === asOf && r.group_by === 'incomeGroup')).toBe(true);
  });

  it('when asked twice inside one period, a learner granted in between, then both answers are byte-identical but for asOfRequested, and a request for today answers the last closed month', async () => {
    const now = h.clock.now();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const first = await report(`groupBy=incomeGroup&asOf=${encodeURIComponent(new Date(monthStart.getTime() + 60_000).toISOString())}`);
    h.clock.advance(60_000);
    await seeded.learner({ incomeGroup: { year: 2024, code: 'T20' } });
    h.clock.advance(60_000);
    const today = await report('groupBy=incomeGroup');
    expect(first.status, first.text).toBe(200);
    expect(today.status, today.text).toBe(200);
    expect(today.body.asOfRequested).toBe(h.clock.now().toISOString());
    const lastMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    expect(today.body.period).toEqual({ start: lastMonthStart.toISOString(), end: new Date(monthStart.getTime() - 1).toISOString() });
    expect(today.body.asOf).toBe(today.body.period.end);
    const { asOfRequested: _a, ...a } = first.body;
    const { asOfRequested: _b, ...b } = today.body;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    // The CSV carries no requested instant at all: byte for byte the same.
    const csvA = await report(`groupBy=incomeGroup&format=csv&asOf=${encodeURIComponent(new Date(monthStart.getTime() + 60_000).toISOString())}`);
    const csvB = await report('groupBy=incomeGroup&format=csv');
    expect(csvB.text).toBe(csvA.text);
    expect(csvB.headers['content-disposition']).toBe(csvA.headers['content-disposition']);
    // The learner granted this month shows up only once this month has closed.
    const before = schemeOf(today.body).total.learnersGranted as number;
    toNextMonth(h);
    expect(schemeOf((await report('groupBy=incomeGroup')).body).total.learnersGranted).toBe(before + 1);
  });

  it('when the period is a quarter, then any instant snaps to the end of the last quarter closed by then, and a period\'s own end stays put', () => {
    const q = (at: string) => {
      const p = publishedPeriodOf(new Date(at), 'quarter');
      return [p.start.toISOString(), p.end.toISOString()];
    };
    expect(q('2027-05-17T08:00:00Z')).toEqual(['2027-01-01T00:00:00.000Z', '2027-03-31T23:59:59.999Z']);
    expect(q('2027-03-31T23:59:59.999Z')).toEqual(['2027-01-01T00:00:00.000Z', '2027-03-31T23:59:59.999Z']);
    expect(q('2027-01-01T00:00:00.000Z')).toEqual(['2026-10-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z']);
    const m = publishedPeriodOf(new Date('2028-03-01T00:00:00.000Z'), 'month');
    expect([m.start.toISOString(), m.end.toISOString()]).toEqual(['2028-02-01T00:00:00.000Z', '2028-02-29T23:59:59.999Z']);
  });

  it('when the input is bad, then 422 naming the field (or 404 for an unknown scheme)', async () => {
    const token = await analyst();
    const get = (q: string) => request(h.app).get(`/v1/reports/equity?${q}`).set('authorization', `Bearer ${token}`);
    const bad = await get('groupBy=postcode');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('query.groupBy');
    const future = new Date(h.clock.now().getTime() + 3_600_000).toISOString();
    expect((await get(`asOf=${encodeURIComponent(future)}`)).status).toBe(422);
    expect((await get('schemeId=not-a-uuid')).status).toBe(422);
    expect((await get('format=xlsx')).status).toBe(422);
    expect((await get(`schemeId=${randomUUID()}`)).status).toBe(404);
  });

  it('when a citizen or a provider asks, then 403; analyst, finance and admin may', async () => {
    expect((await report('', await h.token('citizen', { learnerId: seeded.learners[0]!.id }))).status).toBe(403);
    expect((await report('', seeded.world.providerToken)).status).toBe(403);
    for (const role of ['analyst', 'finance', 'admin'] as const) expect((await report('', await h.token(role))).status).toBe(200);
  });
});

describe('withheldGroups', () => {
  const cells = (...ns: number[]) => ns.map((learners, i) => ({ group: `g${i}`, learners }));
  it('when one cell is small, then the next smallest is withheld with it', () => {
    expect([...withheldGroups(cells(12, 11, 3))].sort()).toEqual(['g1', 'g2']);
  });
  it('when the small cells together hold fewer than 10, then more are withheld until they do', () => {
    expect([...withheldGroups(cells(50, 40, 2, 3, 30))].sort()).toEqual(['g2', 'g3', 'g4']);
    expect([...withheldGroups(cells(50, 4, 7))].sort()).toEqual(['g1', 'g2']);
  });
  it('when every cell has 10 or more, then nothing is withheld; when only one cell exists and it is small, it alone is', () => {
    expect(withheldGroups(cells(10, 10, 99)).size).toBe(0);
    expect([...withheldGroups(cells(4))]).toEqual(['g0']);
  });
});
