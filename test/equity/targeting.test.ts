import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { asCitizen } from '../support/catalogue.js';
import { perFile } from '../support/per-file.js';
import { useHarness } from '../support/harness.js';
import { equityWorld, SG_2024 } from './equity-world.js';

const h = useHarness({ poolSize: 10 });
const w = perFile(() => equityWorld(h), async () => {});

const b40 = { incomeGroup: { year: 2024, code: 'B40' }, region: 'SG-03', urbanRural: 'urban', gender: 'female', disability: true };
const m40 = { incomeGroup: { year: 2024, code: 'M40' } };

async function auditOf(learnerId: string) {
  const r = await h.database.pool.query(`select action, details from audit_events where entity_type = 'learner' and entity_id = $1 order by seq`, [learnerId]);
  return r.rows as { action: string; details: Record<string, unknown> }[];
}

describe('eligibility with equity targeting, through HTTP', () => {
  it('when a B40 learner asks, then the targeting rule funds the whole fee with no co-payment and the verdict names the rule', async () => {
    const learner = await w.learner(b40);
    const runId = await w.world.run('30000');
    const res = await asCitizen(h, learner.token).get(`/v1/me/eligibility?courseRunId=${runId}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.eligible).toBe(true);
    expect(res.body.plan).toMatchObject({ fee: '30000', funded: '30000', coPay: '0', coPayFloor: '0' });
    expect(res.body.appliedTargeting).toEqual([
      { schemeId: w.world.scheme.id, ruleId: 'b40-full', subsidyRateBps: 10_000, capPerCourse: null, noCoPayment: true },
    ]);
    const check = res.body.checks.find((c: { rule: string }) => c.rule === 'scheme.targeting');
    expect(check).toMatchObject({ passed: true, schemeId: w.world.scheme.id });
    expect(check.detail).toContain('b40-full');
  });

  it('when an M40 learner or one with no profile asks, then the scheme\'s own terms apply: 80% funded, 20% co-paid, no rule named', async () => {
    for (const profile of [m40, null]) {
      const learner = await w.learner(profile);
      const runId = await w.world.run('30000');
      const res = await asCitizen(h, learner.token).get(`/v1/me/eligibility?courseRunId=${runId}`);
      expect(res.body.plan).toMatchObject({ funded: '24000', coPay: '6000', coPayFloor: '3000' });
      expect(res.body.appliedTargeting).toEqual([]);
      expect(res.body.checks.some((c: { rule: string }) => c.rule === 'scheme.targeting')).toBe(false);
    }
  });

  it('when the B40 learner enrols, then the reservation charges exactly what the verdict funded and the enrolment records the co-payment', async () => {
    const learner = await w.learner(b40);
    const runId = await w.world.run('45000');
    const verdict = await asCitizen(h, learner.token).get(`/v1/me/eligibility?courseRunId=${runId}`);
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(res.status, res.text).toBe(201);
    expect(res.body.reserved).toBe(verdict.body.plan.funded);
    const row = await h.database.pool.query(`select funded::text, co_pay::text from enrolments where id = $1`, [res.body.id]);
    expect(row.rows[0]).toEqual({ funded: '45000', co_pay: '0' });
    const pending = await h.database.pool.query(`select coalesce(sum(amount), 0)::text s from ledger_transfers where reference_id = $1 and kind = 'pending'`, [res.body.id]);
    expect(pending.rows[0].s).toBe('45000');
  });

  it('when a provider checks a B40 learner, then it sees the amounts but not the rule (which would tell it the learner\'s group)', async () => {
    const learner = await w.learner(b40);
    const runId = await w.world.run('30000');
    const res = await request(h.app).get(`/v1/eligibility?learnerId=${learner.id}&courseRunId=${runId}`).set('authorization', `Bearer ${w.world.providerToken}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.plan).toMatchObject({ funded: '30000', coPay: '0' });
    expect(res.body.appliedTargeting).toEqual([]);
    expect(res.text).not.toContain('b40-full');
    expect(res.text).not.toContain('B40');
  });
});

describe('PUT /v1/learners/{learnerId}/equity-profile', () => {
  it('when an admin records a profile, then it is returned, the citizen sees their own, the learner\'s income band follows, and the audit says only that it changed', async () => {
    const learner = await w.learner(null);
    const res = await w.admin.put(`/v1/learners/${learner.id}/equity-profile`, b40);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      learnerId: learner.id, incomeGroup: { country: 'SG', year: 2024, code: 'B40', band: 'low' }, region: 'SG-03', urbanRural: 'urban', gender: 'female', disability: true,
    });
    const mine = await asCitizen(h, learner.token).get('/v1/me/equity-profile');
    expect(mine.body).toEqual(res.body);
    expect((await w.admin.get(`/v1/learners/${learner.id}/equity-profile`)).body).toEqual(res.body);
    expect((await w.admin.get(`/v1/learners/${learner.id}`)).body.incomeGroup).toBe('low');
    const events = await auditOf(learner.id);
    const changed = events.filter((e) => e.action === 'learner.equity_profile_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.details).toEqual({});
    const trail = JSON.stringify(events);
    for (const v of ['B40', 'SG-03', 'female', 'urban']) expect(trail).not.toContain(v);
    // The learner's own registration view carries no equity attribute.
    expect(Object.keys((await w.admin.get(`/v1/learners/${learner.id}`)).body)).not.toContain('gender');
  });

  it('when the body is bad (unknown group or year, bad region, unknown field), then 422 naming the field and the profile and audit trail are unchanged', async () => {
    const learner = await w.learner(m40);
    const before = (await w.admin.get(`/v1/learners/${learner.id}/equity-profile`)).body;
    const auditBefore = await auditOf(learner.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ incomeGroup: { year: 2024, code: 'X99' } }, 'body.incomeGroup'],
      [{ incomeGroup: { year: 2019, code: 'B40' } }, 'body.incomeGroup'],
      [{ region: 'Selangor' }, 'body.region'],
      [{ gender: 'm' }, 'body.gender'],
      [{ income: 300000 }, 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await w.admin.put(`/v1/learners/${learner.id}/equity-profile`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(path);
    }
    expect((await w.admin.get(`/v1/learners/${learner.id}/equity-profile`)).body).toEqual(before);
    expect(await auditOf(learner.id)).toEqual(auditBefore);
  });

  it('when a citizen or the analyst tries to read or set someone\'s profile, then 403', async () => {
    const learner = await w.learner(b40);
    const other = await w.learner(null);
    const analyst = await h.token('analyst');
    for (const token of [other.token, analyst, w.world.providerToken]) {
      expect((await request(h.app).get(`/v1/learners/${learner.id}/equity-profile`).set('authorization', `Bearer ${token}`)).status).toBe(403);
    }
    const mine = await asCitizen(h, other.token).get('/v1/me/equity-profile');
    expect(mine.body).toMatchObject({ learnerId: other.id, incomeGroup: null, gender: null, recordedAt: null });
  });
});

describe('income group tables', () => {
  it('when the same table is published again, then 200 and nothing changes; a different one is 409; a malformed one 422', async () => {
    const again = await w.admin.put('/v1/income-group-thresholds/SG/2024', SG_2024);
    expect(again.status).toBe(200);
    const changed = await w.admin.put('/v1/income-group-thresholds/SG/2024', { ...SG_2024, groups: [SG_2024.groups[0], { code: 'T20', band: 'high' }] });
    expect(changed.status).toBe(409);
    const falling = await w.admin.put('/v1/income-group-thresholds/SG/2025', {
      currency: 'SGD', groups: [{ code: 'B40', band: 'low', upperBound: '600000' }, { code: 'M40', band: 'middle', upperBound: '500000' }, { code: 'T20', band: 'high' }],
    });
    expect(falling.status).toBe(422);
    expect(falling.body.errors.map((e: { path: string }) => e.path)).toContain('body.groups.1.upperBound');
    const list = await request(h.app).get('/v1/income-group-thresholds?country=SG').set('authorization', `Bearer ${await h.token('analyst')}`);
    expect(list.body.items).toEqual([{ country: 'SG', year: 2024, ...SG_2024, groups: SG_2024.groups.map((g) => ({ upperBound: null, ...g })) }]);
  });

  it('when a scheme\'s targeting rule is malformed (no benefit, no condition, duplicate ids), then creating the scheme is a 422', async () => {
    for (const targeting of [
      [{ id: 'x', when: { incomeGroups: ['B40'] } }],
      [{ id: 'x', when: {}, noCoPayment: true }],
      [{ id: 'x', when: { disability: true }, noCoPayment: true }, { id: 'x', when: { disability: false }, noCoPayment: true }],
    ]) {
      const res = await w.world.api.post('/v1/schemes', { code: `T-${Date.now()}`, name: 'Bad', country: 'SG', currency: 'SGD', rules: { targeting } });
      expect(res.status, JSON.stringify(targeting)).toBe(422);
      expect(JSON.stringify(res.body.errors)).toContain('body.rules.targeting');
    }
  });
});
