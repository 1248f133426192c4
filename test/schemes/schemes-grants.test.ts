import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof adminApi>>;

beforeAll(async () => {
  api = await adminApi(h);
});

const count = async (table: string) =>
  Number((await h.database.pool.query(`select count(*)::int n from ${table}`)).rows[0].n);

describe('POST /v1/schemes and allocations', () => {
  it('when an admin defines a scheme and allocates budget, then the budget shows it and the ledger balances', async () => {
    const scheme = await api.scheme();
    const allocation = await api.allocate(scheme.id, '1000000');
    expect(allocation).toMatchObject({ amount: '1000000', currency: 'SGD', budget: { allocated: '1000000', available: '1000000' } });
    const audit = await h.database.pool.query(`select action from audit_events where entity_id = $1 order by seq`, [scheme.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['scheme.created', 'scheme.budget_allocated']);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the rules are invalid, then 422 names the field and no scheme is created', async () => {
    const before = await count('schemes');
    const res = await api.post('/v1/schemes', {
      code: 'BAD-RULES', name: 'x', country: 'SG', currency: 'SGD', rules: { subsidyRateBps: 20_000 },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.rules.subsidyRateBps' })]));
    expect(await count('schemes')).toBe(before);
  });

  it('when rules change, then a new version is added and the old one is kept', async () => {
    const scheme = await api.scheme({}, { subsidyRateBps: 10_000 });
    const put = await request(h.app)
      .put(`/v1/schemes/${scheme.id}/rules`)
      .set('authorization', `Bearer ${api.admin}`)
      .set('idempotency-key', randomUUID())
      .send({ rules: { subsidyRateBps: 5_000 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ rulesVersion: 2, rules: { subsidyRateBps: 5_000 } });
    const versions = await request(h.app).get(`/v1/schemes/${scheme.id}/rules`).set('authorization', `Bearer ${api.admin}`);
    expect(versions.body.items.map((v: { rules: { subsidyRateBps: number } }) => v.rules.subsidyRateBps)).toEqual([10_000, 5_000]);
  });

  it('when an allocation is retried with the same Idempotency-Key, then the first response is returned byte for byte and money moves once', async () => {
    const scheme = await api.scheme();
    const key = randomUUID();
    const send = (amount: string) =>
      request(h.app).post(`/v1/schemes/${scheme.id}/allocations`).set('authorization', `Bearer ${api.admin}`).set('idempotency-key', key).send({ amount });
    const first = await send('5000');
    const again = await send('5000');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const different = await send('6000');
    expect(different.status).toBe(422);
    expect(different.body.code).toBe('idempotency_key_reused');
    const moved = await h.database.pool.query(`select count(*)::int n from ledger_transfers where reference_id = $1 and code = 'allocation'`, [scheme.id]);
    expect(moved.rows[0].n).toBe(1);
  });

  it('when the same allocation key is sent 20 times at once, then exactly one allocation happens', async () => {
    const scheme = await api.scheme();
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(h.app).post(`/v1/schemes/${scheme.id}/allocations`).set('authorization', `Bearer ${api.admin}`).set('idempotency-key', key).send({ amount: '700' }),
      ),
    );
    for (const r of responses) expect([201, 409]).toContain(r.status);
    expect(responses.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(1);
    const moved = await h.database.pool.query(`select coalesce(sum(amount), 0)::text s from ledger_transfers where reference_id = $1 and code = 'allocation'`, [scheme.id]);
    expect(moved.rows[0].s).toBe('700');
  });

  it('when an allocation has no Idempotency-Key, then 400 and nothing moves', async () => {
    const scheme = await api.scheme();
    const res = await api.post(`/v1/schemes/${scheme.id}/allocations`, { amount: '100' }, false);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
  });
});

describe('PUT /v1/schemes/{schemeId}/rules', () => {
  const putRules = (schemeId: string, body: Record<string, unknown>, key: string = randomUUID()) =>
    request(h.app).put(`/v1/schemes/${schemeId}/rules`).set('authorization', `Bearer ${api.admin}`).set('idempotency-key', key).send(body);
  const versionsOf = async (schemeId: string) =>
    (await h.database.pool.query(`select version, effective_from from scheme_rule_versions where scheme_id = $1 order by version`, [schemeId])).rows;
  const auditOf = async (schemeId: string) =>
    (await h.database.pool.query(`select action from audit_events where entity_id = $1 order by seq`, [schemeId])).rows.map((r) => r.action);
  const DAY = 86_400_000;
  const inDays = (n: number) => new Date(h.clock.now().getTime() + n * DAY).toISOString();

  it('when the same rules as the current version are sent under a new key, then the answer is the current version and nothing is written', async () => {
    const scheme = await api.scheme({}, { subsidyRateBps: 8_000 });
    const first = await putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 5_000 } });
    expect(first.status, first.text).toBe(200);
    expect(first.body.rulesVersion).toBe(2);
    const versions = await versionsOf(scheme.id);
    const audit = await auditOf(scheme.id);

    const same = await putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 5_000 } });
    expect(same.status, same.text).toBe(200);
    expect(same.headers['idempotent-replayed']).toBeUndefined();
    expect(same.body).toEqual(first.body);
    expect(await versionsOf(scheme.id)).toEqual(versions);
    expect(await auditOf(scheme.id)).toEqual(audit);
  });

  it('when the same rules are spelled differently (defaults written out, keys in another order), then they are still the same rules and no version is added', async () => {
    const scheme = await api.scheme({}, { subsidyRateBps: 8_000 });
    const spelledOut = {
      subsidyRateBps: 8_000, courseQualification: { kind: 'approved' }, minCoPayment: { kind: 'none' }, claimWindowDays: 60,
      capPerCourse: null, ageBand: {}, eligibleCitizenships: ['SG'], employmentStatuses: [], incomeGroups: [],
    };
    const res = await putRules(scheme.id, { rules: spelledOut });
    expect(res.status, res.text).toBe(200);
    expect(res.body.rulesVersion).toBe(1);
    expect(await versionsOf(scheme.id)).toHaveLength(1);
    expect(await auditOf(scheme.id)).toEqual(['scheme.created']);
  });

  it('when the same rules are sent effective later than they already are, then nothing is written; brought forward, they are a new version', async () => {
    const scheme = await api.scheme({}, { subsidyRateBps: 10_000 });
    const scheduled = await putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 5_000 }, effectiveFrom: inDays(10) });
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.body).toMatchObject({ rulesVersion: 1, rules: { subsidyRateBps: 10_000 } });
    expect(await versionsOf(scheme.id)).toHaveLength(2);

    const later = await putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 5_000 }, effectiveFrom: inDays(20) });
    expect(later.status).toBe(200);
    expect(await versionsOf(scheme.id)).toHaveLength(2);

    const now = await putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 5_000 } });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ rulesVersion: 3, rules: { subsidyRateBps: 5_000 } });
    expect(await auditOf(scheme.id)).toEqual(['scheme.created', 'scheme.rules_versioned', 'scheme.rules_versioned']);
  });

  it('when ten admins send the same new rules at once under different keys, then exactly one version is added', async () => {
    const scheme = await api.scheme({}, { subsidyRateBps: 10_000 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => putRules(scheme.id, { rules: { eligibleCitizenships: ['SG'], subsidyRateBps: 7_500 } })),
    );
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      expect(a.body).toMatchObject({ rulesVersion: 2, rules: { subsidyRateBps: 7_500 } });
    }
    expect(await versionsOf(scheme.id)).toHaveLength(2);
    expect((await auditOf(scheme.id)).filter((a) => a === 'scheme.rules_versioned')).toHaveLength(1);
  });
});

describe('POST /v1/learners', () => {
  it('when a learner is registered, then the response shows the national id masked and never whole', async () => {
    const res = await api.post('/v1/learners', {
      country: 'SG', nationalId: 'S1234567D', fullName: 'Lim Mei Ling', dateOfBirth: '1985-06-01', citizenship: 'SG',
      employmentStatus: 'employed', incomeGroup: 'middle',
    });
    expect(res.status).toBe(201);
    expect(res.body.nationalIdMasked).toBe('*****567D');
    expect(res.text).not.toContain('S1234567D');
    const stored = await h.database.pool.query(`select * from learners where id = $1`, [res.body.id]);
    expect(JSON.stringify(stored.rows[0])).not.toContain('1234567');
    const lookup = await api.post('/v1/learners/lookup', { country: 'SG', nationalId: 's1234567d' });
    expect(lookup.status).toBe(200);
    expect(lookup.body.id).toBe(res.body.id);
    const duplicate = await api.post('/v1/learners', {
      country: 'SG', nationalId: 'S1234567D', fullName: 'Someone Else', dateOfBirth: '1985-06-01', citizenship: 'SG',
      employmentStatus: 'employed', incomeGroup: 'middle',
    });
    expect(duplicate.status).toBe(409);
  });

  it('when the NRIC check letter is wrong, then 422 names body.nationalId and nothing is stored', async () => {
    const before = await count('learners');
    const res = await api.post('/v1/learners', {
      country: 'SG', nationalId: 'S1234567A', fullName: 'X', dateOfBirth: '1985-06-01', citizenship: 'SG',
      employmentStatus: 'employed', incomeGroup: 'middle',
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ path: 'body.nationalId' });
    expect(await count('learners')).toBe(before);
  });
});

describe('POST /v1/learners/{learnerId}/grants', () => {
  it('when a grant would overdraw the scheme budget, then 409 insufficient_budget and nothing changes', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '50000');
    const learner = await api.learner();
    const ok = await api.grant(learner.id, { schemeId: scheme.id, amount: '40000' });
    expect(ok.status).toBe(201);
    const grantsBefore = await count('grants');
    const refused = await api.grant(learner.id, { schemeId: scheme.id, amount: '10001' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('insufficient_budget');
    expect(await count('grants')).toBe(grantsBefore);
    const budget = await request(h.app).get(`/v1/schemes/${scheme.id}`).set('authorization', `Bearer ${api.admin}`);
    expect(budget.body.budget).toMatchObject({ allocated: '50000', granted: '40000', available: '10000' });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a negative, fractional or float amount is sent, then 422 and no grant', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '50000');
    const learner = await api.learner();
    for (const amount of ['-5', '1.5', 1.5, '0', 'abc', '99999999999999999999']) {
      const res = await api.grant(learner.id, { schemeId: scheme.id, amount });
      expect(res.status, `amount ${amount}`).toBe(422);
      expect(res.body.errors[0].path).toBe('body.amount');
    }
    const grants = await h.database.pool.query(`select count(*)::int n from grants where learner_id = $1`, [learner.id]);
    expect(grants.rows[0].n).toBe(0);
  });
});

describe('GET /v1/me/account', () => {
  it('when a citizen reads their account, then each grant shows its figures and totals match the ledger', async () => {
    const scheme = await api.scheme({ name: 'SkillsFuture Test' });
    await api.allocate(scheme.id, '100000');
    const learner = await api.learner();
    const expiresAt = new Date(h.clock.now().getTime() + 30 * 86_400_000).toISOString();
    await api.grant(learner.id, { schemeId: scheme.id, amount: '50000', expiresAt });
    await api.grant(learner.id, { schemeId: scheme.id, amount: '20000', expiresAt: null });
    const token = await h.token('citizen', { learnerId: learner.id });
    const res = await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.grants).toHaveLength(2);
    expect(res.body.grants[0]).toMatchObject({ amount: '50000', available: '50000', reserved: '0', spent: '0', expired: '0', schemeName: 'SkillsFuture Test' });
    expect(res.body.totals).toEqual([{ currency: 'SGD', available: '70000', reserved: '0', spent: '0', expired: '0' }]);
    expect(res.body.expiringSoon).toEqual([expect.objectContaining({ available: '50000', expiresAt })]);
    const history = await request(h.app).get('/v1/me/transactions?limit=1').set('authorization', `Bearer ${token}`);
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0].description).toMatch(/credit granted under SkillsFuture Test/);
    const next = await request(h.app).get(`/v1/me/transactions?limit=5&cursor=${history.body.nextCursor}`).set('authorization', `Bearer ${token}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(history.body.items[0].id);
    expect(next.body.nextCursor).toBeNull();
  });

  it('when a citizen asks for another learner\'s account, then they are refused and see no data', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '10000');
    const victim = await api.learner();
    await api.grant(victim.id, { schemeId: scheme.id, amount: '10000' });
    const other = await api.learner();
    const token = await h.token('citizen', { learnerId: other.id });
    const direct = await request(h.app).get(`/v1/learners/${victim.id}/account`).set('authorization', `Bearer ${token}`);
    expect(direct.status).toBe(403);
    expect(direct.text).not.toContain('10000');
    const own = await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${token}`);
    expect(own.body.grants).toEqual([]);
    const ghost = await h.token('citizen', { learnerId: randomUUID() });
    expect((await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${ghost}`)).status).toBe(404);
  });

  it('when a cursor is forged, then 422 names query.cursor', async () => {
    const learner = await api.learner();
    const token = await h.token('citizen', { learnerId: learner.id });
    const res = await request(h.app).get('/v1/me/transactions?cursor=not-a-cursor').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('query.cursor');
  });
});
