import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { findGrantRun } from '../../src/modules/grants/grants.repo.js';
import { createGrantRun, sweepGrants, workGrantRun, workPendingGrantRuns } from '../../src/modules/grants/grants.service.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof adminApi>>;

beforeAll(async () => {
  api = await adminApi(h);
});

const system = { actor: { role: 'system' as const, subject: 'test' } };
const grantsOfRun = async (runId: string) =>
  (await h.database.pool.query(`select learner_id, count(*)::int n from grants where grant_run_id = $1 group by learner_id`, [runId])).rows;

describe('grant runs', () => {
  it('when a run is worked, then exactly the matching learners are granted once, and working it again grants nothing new', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '1000000');
    // Income group 'low' + retired marks this test's learners apart from other tests'.
    const matching = await Promise.all(Array.from({ length: 5 }, () => api.learner({ employmentStatus: 'retired', incomeGroup: 'low', dateOfBirth: '1960-01-01' })));
    await api.learner({ employmentStatus: 'retired', incomeGroup: 'low', dateOfBirth: '2010-01-01' }); // too young
    await api.learner({ employmentStatus: 'retired', incomeGroup: 'low', citizenship: 'MY' }); // not a citizen

    const res = await request(h.app)
      .post(`/v1/schemes/${scheme.id}/grant-runs`)
      .set('authorization', `Bearer ${api.admin}`)
      .set('idempotency-key', randomUUID())
      .send({
        criteria: { citizenships: ['SG'], employmentStatuses: ['retired'], incomeGroups: ['low'], age: { on: '2027-01-01', min: 40 } },
        amount: '50000',
      });
    expect(res.status).toBe(202);
    // The route starts the run in the background once it has answered: poll as a client would.
    let status = await request(h.app).get(`/v1/grant-runs/${res.body.id}`).set('authorization', `Bearer ${api.admin}`);
    for (let i = 0; i < 100 && status.body.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await request(h.app).get(`/v1/grant-runs/${res.body.id}`).set('authorization', `Bearer ${api.admin}`);
    }
    expect(status.body).toMatchObject({ status: 'completed', granted: '5', grantedAmount: '250000' });
    const granted = await grantsOfRun(res.body.id);
    expect(granted.map((g) => g.learner_id).sort()).toEqual(matching.map((m) => m.id).sort());
    expect(granted.every((g) => g.n === 1)).toBe(true);

    const run = (await findGrantRun(h.database.db, res.body.id))!;
    await workGrantRun(h.deps, { ...run, cursor: null, status: 'running' }, { batchSize: 2 });
    expect(await grantsOfRun(res.body.id)).toHaveLength(5);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a run stops half-way and is picked up after its lease runs out, then it finishes with each learner granted once', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '1000000');
    const learners = await Promise.all(Array.from({ length: 7 }, () => api.learner({ employmentStatus: 'student', incomeGroup: 'high' })));
    const run = await createGrantRun(h.deps, h.database.db, scheme.id, {
      criteria: { citizenships: [], employmentStatuses: ['student'], incomeGroups: ['high'] }, amount: 1000n,
    }, system);
    const claimed = { ...run, status: 'running' as const };
    expect(await workGrantRun(h.deps, claimed, { batchSize: 3, maxBatches: 1 })).toBe('paused');
    expect(await grantsOfRun(run.id)).toHaveLength(3);
    // The crashed worker still holds the lease: nobody may take the run yet.
    await h.database.pool.query(`update grant_runs set status = 'running', lease_until = $2 where id = $1`, [run.id, new Date(h.clock.now().getTime() + 60_000)]);
    expect(await workPendingGrantRuns(h.deps, { batchSize: 3 })).toBe(0);
    h.clock.advance(61_000);
    expect(await workPendingGrantRuns(h.deps, { batchSize: 3 })).toBe(1);
    const granted = await grantsOfRun(run.id);
    expect(granted.map((g) => g.learner_id).sort()).toEqual(learners.map((l) => l.id).sort());
    expect(granted.every((g) => g.n === 1)).toBe(true);
    expect((await findGrantRun(h.database.db, run.id))?.status).toBe('completed');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the budget cannot cover the run, then it is refused before anything is granted', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '1000');
    await api.learner({ employmentStatus: 'unemployed', incomeGroup: 'high' });
    await api.learner({ employmentStatus: 'unemployed', incomeGroup: 'high' });
    const res = await request(h.app)
      .post(`/v1/schemes/${scheme.id}/grant-runs`)
      .set('authorization', `Bearer ${api.admin}`)
      .set('idempotency-key', randomUUID())
      .send({ criteria: { employmentStatuses: ['unemployed'], incomeGroups: ['high'] }, amount: '600' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('insufficient_budget');
    expect((await h.database.pool.query(`select count(*)::int n from grant_runs where scheme_id = $1`, [scheme.id])).rows[0].n).toBe(0);
  });
});

describe('expiry and first-use revocation', () => {
  const accountOf = async (learnerId: string) =>
    (await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${await h.token('citizen', { learnerId })}`)).body;
  const budgetOf = async (schemeId: string) =>
    (await request(h.app).get(`/v1/schemes/${schemeId}`).set('authorization', `Bearer ${api.admin}`)).body.budget;

  it('when a grant expires with part of it reserved, then exactly the unused part returns now and the reserved part when released', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '100000');
    const learner = await api.learner();
    const expiresAt = new Date(h.clock.now().getTime() + 86_400_000).toISOString();
    const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: '30000', expiresAt })).body;
    const payable = randomUUID();
    await h.ledger.createAccounts(h.database.db, [{ id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' }]);
    const reservation = randomUUID();
    await h.ledger.commit(h.database.db, [
      { id: reservation, kind: 'pending', debitAccountId: grant.id, creditAccountId: payable, amount: 12000n, code: 'reservation' },
    ]);

    h.clock.advance(2 * 86_400_000);
    const first = await sweepGrants(h.deps);
    expect(first.returned).toBe(18000n);
    let account = await accountOf(learner.id);
    expect(account.grants[0]).toMatchObject({ status: 'expired', available: '0', reserved: '12000', expired: '18000', spent: '0' });
    expect((await budgetOf(scheme.id)).available).toBe(String(100000 - 30000 + 18000));

    await h.ledger.commit(h.database.db, [{ id: randomUUID(), kind: 'void_pending', pendingId: reservation, code: 'reservation_void' }]);
    const second = await sweepGrants(h.deps);
    expect(second.returned).toBe(12000n);
    account = await accountOf(learner.id);
    expect(account.grants[0]).toMatchObject({ available: '0', reserved: '0', expired: '30000' });
    expect((await budgetOf(scheme.id)).available).toBe('100000');
    const settled = await h.database.pool.query(`select settled from grants where id = $1`, [grant.id]);
    expect(settled.rows[0].settled).toBe(true);
    expect((await sweepGrants(h.deps)).returned).toBe(0n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a Prakerja-style grant is not used within its first-use deadline, then it is revoked and all of it returns', async () => {
    const scheme = await api.scheme({ country: 'ID', currency: 'IDR' }, { eligibleCitizenships: ['ID'], firstUseDeadlineDays: 15 });
    await api.allocate(scheme.id, '350000000');
    const learner = await api.learner();
    await api.grant(learner.id, { schemeId: scheme.id, amount: '350000000' });
    h.clock.advance(14 * 86_400_000);
    await sweepGrants(h.deps);
    expect((await accountOf(learner.id)).grants.find((g: { currency: string }) => g.currency === 'IDR')).toMatchObject({ status: 'active', available: '350000000' });
    h.clock.advance(2 * 86_400_000);
    const swept = await sweepGrants(h.deps);
    expect(swept.returned).toBeGreaterThanOrEqual(350000000n);
    const idr = (await accountOf(learner.id)).grants.find((g: { currency: string }) => g.currency === 'IDR');
    expect(idr).toMatchObject({ status: 'revoked', available: '0', expired: '350000000' });
    expect((await budgetOf(scheme.id)).available).toBe('350000000');
    const history = await request(h.app).get('/v1/me/transactions').set('authorization', `Bearer ${await h.token('citizen', { learnerId: learner.id })}`);
    expect(history.body.items[0].description).toMatch(/lapsed: it was not used by the first-use deadline/);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});
