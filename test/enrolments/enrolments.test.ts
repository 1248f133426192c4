import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { runMaintenance } from '../../src/maintenance.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { createHarness, useHarness } from '../support/harness.js';

const h = useHarness({ poolSize: 40 });
let world: Awaited<ReturnType<typeof catalogue>>;

beforeAll(async () => {
  world = await catalogue(h);
});

const DAY = 86_400_000;

/** What the citizen sees must be what the ledger says. */
async function expectAccountMatchesLedger(learnerId: string, token: string) {
  const account = (await asCitizen(h, token).get('/v1/me/account')).body;
  for (const g of account.grants) {
    const b = (await h.ledger.balance(h.database.db, g.grantId))!;
    expect(g.reserved).toBe(b.debitsPending.toString());
    if (g.status === 'active') expect(g.available).toBe((b.creditsPosted - b.debitsPosted - b.debitsPending).toString());
  }
  const pending = await h.database.pool.query(
    `select coalesce(sum(t.amount), 0)::text s from ledger_transfers t join enrolments e on e.id = t.reference_id
      where e.learner_id = $1 and t.state = 'pending' and e.status in ('reserved', 'claimed')`,
    [learnerId],
  );
  expect(account.totals[0]?.reserved ?? '0').toBe(pending.rows[0].s);
  expect(await ledgerViolations(h.database.db)).toEqual([]);
  return account;
}

describe('eligibility', () => {
  it('when a citizen asks about a run, then every rule is listed with the funding plan and co-pay', async () => {
    const runId = await world.run('30000');
    const learner = await world.learnerWithCredit('50000');
    const res = await asCitizen(h, learner.token).get(`/v1/me/eligibility?courseRunId=${runId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ eligible: true, reasons: [], plan: { fee: '30000', funded: '30000', coPay: '0' } });
    expect(res.body.plan.legs).toHaveLength(1);
    expect(res.body.checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
  });

  it('when a provider asks about another provider\'s run, then 404', async () => {
    const other = await catalogue(h);
    const runId = await other.run('1000');
    const learner = await world.learnerWithCredit('5000');
    const res = await request(h.app)
      .get(`/v1/eligibility?learnerId=${learner.id}&courseRunId=${runId}`)
      .set('authorization', `Bearer ${world.providerToken}`);
    expect(res.status).toBe(404);
  });
});

describe('provider request, learner consent', () => {
  it('when a provider requests and the learner consents, then the plan is reserved and the account shows it', async () => {
    const runId = await world.run('20000');
    const learner = await world.learnerWithCredit('50000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ status: 'requested', reserved: '0' });
    const before = await asCitizen(h, learner.token).get('/v1/me/account');
    expect(before.body.totals[0].reserved).toBe('0');
    // A citizen's credit is private and changes with every movement: never cached, no ETag.
    expect(before.headers['cache-control']).toBe('no-store');
    expect(before.headers.etag).toBeUndefined();

    const consent = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${requested.body.id}/consent`);
    expect(consent.status).toBe(200);
    expect(consent.body).toMatchObject({ status: 'reserved', funded: '20000', coPay: '0', reserved: '20000' });
    const account = await expectAccountMatchesLedger(learner.id, learner.token);
    expect(account.totals[0]).toMatchObject({ available: '30000', reserved: '20000' });
  });

  it('when the learner\'s credit was spent elsewhere before consent, then consent fails with insufficient_credit and reserves nothing', async () => {
    const runA = await world.run('40000');
    const runB = await world.run('40000');
    const learner = await world.learnerWithCredit('40000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runA });
    expect((await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runB })).status).toBe(201);
    const consent = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${requested.body.id}/consent`);
    expect(consent.status).toBe(409);
    expect(consent.body).toMatchObject({ code: 'insufficient_credit', reasons: ['insufficient_credit'] });
    const enrolment = await request(h.app).get(`/v1/enrolments/${requested.body.id}`).set('authorization', `Bearer ${world.providerToken}`);
    expect(enrolment.body).toMatchObject({ status: 'requested', reserved: '0' });
    await expectAccountMatchesLedger(learner.id, learner.token);
  });

  it('when a request is not answered in 14 days, then it lapses', async () => {
    const runId = await world.run('1000', { startsInDays: 60 });
    const learner = await world.learnerWithCredit('5000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
    h.clock.advance(15 * DAY);
    await runMaintenance(h.deps);
    const consent = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${requested.body.id}/consent`);
    expect(consent.status).toBe(409);
    const row = await h.database.pool.query(`select status, end_reason from enrolments where id = $1`, [requested.body.id]);
    expect(row.rows[0]).toEqual({ status: 'expired', end_reason: 'consent_lapsed' });
  });
});

describe('ending an enrolment puts back exactly what was reserved', () => {
  it('when the provider withdraws, then the reservation is voided at once', async () => {
    const runId = await world.run('12000');
    const learner = await world.learnerWithCredit('50000');
    const e = (await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId })).body;
    const res = await world.asProvider(`/v1/enrolments/${e.id}/withdraw`, { reason: 'trainer unavailable' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'withdrawn', reserved: '0' });
    expect((await expectAccountMatchesLedger(learner.id, learner.token)).totals[0]).toMatchObject({ available: '50000', reserved: '0' });
  });

  it('when the provider cancels the whole run, then every reservation on it is voided and learners see why', async () => {
    const runId = await world.run('8000');
    const learners = await Promise.all([world.learnerWithCredit('10000'), world.learnerWithCredit('10000'), world.learnerWithCredit('10000')]);
    const ids = [];
    for (const l of learners) ids.push((await asCitizen(h, l.token).post('/v1/me/enrolments', { courseRunId: runId })).body.id);
    const cancel = await world.asProvider(`/v1/course-runs/${runId}/cancel`, { reason: 'venue closed' });
    expect(cancel.status).toBe(200);
    for (const l of learners) {
      const mine = (await asCitizen(h, l.token).get('/v1/me/enrolments')).body.items[0];
      expect(mine).toMatchObject({ status: 'withdrawn', endReason: 'run_cancelled: venue closed', reserved: '0' });
      expect((await expectAccountMatchesLedger(l.id, l.token)).totals[0]).toMatchObject({ available: '10000', reserved: '0' });
    }
  });

  it('when the hold times out with no claim, then the sweeper expires it and the credit returns', async () => {
    const local = await createHarness();
    try {
      const w = await catalogue(local, { rules: { claimWindowDays: 10 } });
      const runId = await w.run('9000', { startsInDays: 5 });
      const learner = await w.learnerWithCredit('20000');
      const e = (await asCitizen(local, learner.token).post('/v1/me/enrolments', { courseRunId: runId })).body;
      expect(e.reservationExpiresAt).toBe(new Date(local.clock.now().getTime() + (5 + 2 + 10) * DAY).toISOString());
      local.clock.advance(18 * DAY);
      const m = await runMaintenance(local.deps);
      expect(m).toMatchObject({ enrolmentsExpired: 1 });
      const legs = await local.database.pool.query(`select t.state from ledger_transfers t where t.reference_id = $1 and t.kind = 'pending'`, [e.id]);
      expect(legs.rows).toEqual([{ state: 'voided' }]);
      const mine = (await asCitizen(local, learner.token).get('/v1/me/enrolments')).body.items[0];
      expect(mine).toMatchObject({ status: 'expired', endReason: 'reservation_timed_out', reserved: '0' });
      const account = (await asCitizen(local, learner.token).get('/v1/me/account')).body;
      expect(account.totals[0]).toMatchObject({ available: '20000', reserved: '0' });
      expect(await ledgerViolations(local.database.db)).toEqual([]);
    } finally {
      await local.close();
    }
  });
});

describe('guards', () => {
  it('when the learner is already enrolled on the run, then 422 already_enrolled', async () => {
    const runId = await world.run('1000');
    const learner = await world.learnerWithCredit('5000');
    expect((await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId })).status).toBe(201);
    const again = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(again.status).toBe(422);
    expect(again.body.reasons).toContain('already_enrolled');
  });

  it('when the run is full, then 422 run_full', async () => {
    const runId = await world.run('1000', { capacity: 1 });
    const a = await world.learnerWithCredit('5000');
    const b = await world.learnerWithCredit('5000');
    expect((await asCitizen(h, a.token).post('/v1/me/enrolments', { courseRunId: runId })).status).toBe(201);
    const full = await asCitizen(h, b.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(full.status).toBe(422);
    expect(full.body.reasons).toContain('run_full');
  });

  it('when the run has started, then 422 run_already_started and nothing is reserved', async () => {
    const runId = await world.run('1000', { startsInDays: 1 });
    const learner = await world.learnerWithCredit('5000');
    h.clock.advance(2 * DAY);
    try {
      const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
      expect(res.status).toBe(422);
      expect(res.body.reasons).toContain('run_already_started');
    } finally {
      h.clock.advance(-2 * DAY);
    }
    expect((await asCitizen(h, learner.token).get('/v1/me/account')).body.totals[0].reserved).toBe('0');
  });

  it('when the provider is suspended, then 422 provider_suspended', async () => {
    const other = await catalogue(h);
    const runId = await other.run('1000');
    const learner = await world.learnerWithCredit('5000');
    const g = await other.api.grant(learner.id, { schemeId: other.scheme.id, amount: '5000' });
    expect(g.status).toBe(201);
    const suspend = await request(h.app)
      .patch(`/v1/providers/${other.providerId}`)
      .set('authorization', `Bearer ${other.api.admin}`)
      .set('idempotency-key', randomUUID())
      .send({ status: 'suspended', reason: 'under investigation' });
    expect(suspend.status).toBe(200);
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(res.status).toBe(422);
    expect(res.body.reasons).toContain('provider_suspended');
  });

  it('when the scheme requires a co-payment, then the learner co-pays at least the floor even with credit to spare', async () => {
    const cpf = await catalogue(h, { rules: { minCoPayment: { kind: 'amount', amount: '10000' } } });
    const runId = await cpf.run('50000');
    const learner = await cpf.learnerWithCredit('100000');
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ fee: '50000', funded: '40000', coPay: '10000', reserved: '40000' });
  });
});

describe('concurrency and idempotency', () => {
  it('when 100 consents and self-enrolments race on one learner across different runs, then the sum reserved never exceeds the credit and every refusal is insufficient_credit', async () => {
    const learner = await world.learnerWithCredit('100000');
    const runs = await Promise.all(Array.from({ length: 100 }, () => world.run('10000')));
    const requested = [];
    for (const runId of runs.slice(0, 50)) {
      requested.push((await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId })).body.id);
    }
    const citizen = asCitizen(h, learner.token);
    const responses = await Promise.all([
      ...requested.map((id) => citizen.post(`/v1/me/enrolments/${id}/consent`)),
      ...runs.slice(50).map((runId) => citizen.post('/v1/me/enrolments', { courseRunId: runId })),
    ]);
    const ok = responses.filter((r) => r.status === 200 || r.status === 201);
    const refused = responses.filter((r) => r.status >= 400);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(90);
    for (const r of refused) expect(r.body.code).toBe('insufficient_credit');
    const account = await expectAccountMatchesLedger(learner.id, learner.token);
    expect(account.totals[0]).toMatchObject({ available: '0', reserved: '100000' });
  });

  it('when the same Idempotency-Key is sent 20 times at once, then one enrolment exists', async () => {
    const runId = await world.run('1000');
    const learner = await world.learnerWithCredit('5000');
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId }, key)),
    );
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of responses) expect([201, 409]).toContain(r.status);
    const rows = await h.database.pool.query(`select count(*)::int n from enrolments where learner_id = $1`, [learner.id]);
    expect(rows.rows[0].n).toBe(1);
    await expectAccountMatchesLedger(learner.id, learner.token);
  });
});

describe('GET /v1/me/transactions for enrolments', () => {
  it('when credit is reserved and released, then each movement names the course and the run date', async () => {
    const runId = await world.run('7000', { startsInDays: 30 });
    const learner = await world.learnerWithCredit('9000');
    const e = (await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId })).body;
    await asCitizen(h, learner.token).post(`/v1/me/enrolments/${e.id}/cancel`);
    const items = (await asCitizen(h, learner.token).get('/v1/me/transactions')).body.items;
    const starts = new Date(h.clock.now().getTime() + 30 * DAY);
    const date = `${starts.getUTCDate()} ${starts.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${starts.getUTCFullYear()}`;
    expect(items.map((i: { description: string }) => i.description)).toEqual([
      `Reservation of SGD 70.00 for Data Analytics Fundamentals, run starting ${date} released back to your credit`,
      `SGD 70.00 reserved for Data Analytics Fundamentals, run starting ${date}`,
      expect.stringMatching(/SGD 90.00 credit granted under/),
    ]);
  });
});
