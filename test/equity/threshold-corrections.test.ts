import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let admin: string;
beforeAll(async () => {
  admin = await h.token('admin');
});

const TABLE = {
  currency: 'MYR',
  groups: [{ code: 'B40', band: 'low', upperBound: '525000' }, { code: 'M40', band: 'middle', upperBound: '1182000' }, { code: 'T20', band: 'high' }],
};
const put = (path: string, body: unknown) => request(h.app).put(path).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(body as object);
const correct = (path: string, body: unknown, token = admin) =>
  request(h.app).post(`/v1/income-group-thresholds/${path}/corrections`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);
const table = async (year: number) =>
  (await request(h.app).get(`/v1/income-group-thresholds?country=MY&year=${year}`).set('authorization', `Bearer ${admin}`)).body.items[0];
const corrections = async (year: number) =>
  (await h.database.pool.query(`select code, upper_bound::text, superseded_upper_bound::text, reason, corrected_by from income_group_threshold_corrections where year = $1 order by corrected_at, id`, [year])).rows;

describe('POST /v1/income-group-thresholds/{country}/{year}/{code}/corrections', () => {
  it('when an admin corrects a bound twice, then each correction supersedes the one before, the published row stays, and each is audited with its reason', async () => {
    expect((await put('/v1/income-group-thresholds/MY/2031', TABLE)).status).toBe(201);
    const first = await correct('MY/2031/B40', { upperBound: '509000', reason: 'the survey was revised' });
    expect(first.status, first.text).toBe(201);
    expect(first.body.correction).toMatchObject({ code: 'B40', upperBound: '509000', supersededUpperBound: '525000', reason: 'the survey was revised' });
    expect(first.body.table.groups[0]).toEqual({ code: 'B40', band: 'low', upperBound: '509000' });
    h.clock.advance(1000);
    const second = await correct('MY/2031/B40', { upperBound: '512000', reason: 'a typo in the first correction' });
    expect(second.status, second.text).toBe(201);
    expect(second.body.correction.supersededUpperBound).toBe('509000');
    expect((await table(2031)).groups.map((g: { upperBound: string | null }) => g.upperBound)).toEqual(['512000', '1182000', null]);
    expect(await corrections(2031)).toEqual([
      { code: 'B40', upper_bound: '509000', superseded_upper_bound: '525000', reason: 'the survey was revised', corrected_by: expect.any(String) },
      { code: 'B40', upper_bound: '512000', superseded_upper_bound: '509000', reason: 'a typo in the first correction', corrected_by: expect.any(String) },
    ]);
    // The published row itself is never rewritten; publishing the same table again is still the no-op 200.
    expect((await h.database.pool.query(`select upper_bound::text from income_group_thresholds where year = 2031 and code = 'B40'`)).rows[0].upper_bound).toBe('525000');
    expect((await put('/v1/income-group-thresholds/MY/2031', TABLE)).status).toBe(200);
    const audit = await h.database.pool.query(`select details from audit_events where action = 'income_thresholds.corrected' and entity_id = 'MY:2031' order by seq`);
    expect(audit.rows.map((r) => r.details.reason)).toEqual(['the survey was revised', 'a typo in the first correction']);
  });

  it('when the input is bad, then 4xx naming the field and nothing is recorded', async () => {
    expect((await put('/v1/income-group-thresholds/MY/2032', TABLE)).status).toBe(201);
    const cases: [string, unknown, number, string | undefined][] = [
      ['MY/2032/B40', { upperBound: '1182000', reason: 'crosses M40' }, 422, 'body.upperBound'],
      ['MY/2032/M40', { upperBound: '500000', reason: 'under B40' }, 422, 'body.upperBound'],
      ['MY/2032/T20', { upperBound: '2000000', reason: 'the top group' }, 422, 'body.upperBound'],
      ['MY/2032/B40', { upperBound: '525000', reason: 'unchanged' }, 422, 'body.upperBound'],
      ['MY/2032/B40', { upperBound: '-5', reason: 'negative' }, 422, 'body.upperBound'],
      ['MY/2032/B40', { upperBound: '500000' }, 422, 'body.reason'],
      ['MY/2032/B40', { upperBound: '500000', reason: 'ok', extra: 1 }, 422, undefined],
      ['MY/2032/X99', { upperBound: '500000', reason: 'no such group' }, 404, undefined],
      ['MY/2099/B40', { upperBound: '500000', reason: 'no such table' }, 404, undefined],
    ];
    for (const [path, body, status, field] of cases) {
      const res = await correct(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}: ${res.text}`).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      if (field) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect(await corrections(2032)).toEqual([]);
    const finance = await h.token('finance');
    expect((await correct('MY/2032/B40', { upperBound: '500000', reason: 'not an admin' }, finance)).status).toBe(403);
    expect(await corrections(2032)).toEqual([]);
  });
});
