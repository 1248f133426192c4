import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { allRoutes } from '../../src/modules/index.js';
import { roles } from '../../src/lib/principal.js';
import { expectProblem } from '../http/expect-problem.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';
import { captureLogs } from '../support/log-capture.js';
import { createSigningKey } from '../support/signing-key.js';

const h = useHarness({ poolSize: 20 });
let world: Awaited<ReturnType<typeof catalogue>>;
beforeAll(async () => {
  world = await catalogue(h);
});

const attested = { learnerPresent: true, identityCheck: 'nric_card' } as const;
const officer = (sub = 'counter-officer-7') => h.token('counter', { sub });
const asOfficer = async (sub?: string) => {
  const token = await officer(sub);
  return {
    post: (path: string, body: unknown, key: string = randomUUID()) =>
      request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', key).send(body as object),
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
  };
};

/** A learner with credit and a provider's request waiting for their consent; the national id is on their card. */
async function learnerWaiting(fee = '20000') {
  const nationalId = nextNric();
  const learner = await world.learnerWithCredit('50000', { nationalId });
  const runId = await world.run(fee);
  const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(requested.status, requested.text).toBe(201);
  return { ...learner, nationalId, runId, enrolmentId: requested.body.id as string };
}

async function visitFor(nationalId: string, sub?: string) {
  const api = await asOfficer(sub);
  const res = await api.post('/v1/counter/visits', { country: 'SG', nationalId, reason: 'learner asked at the counter to answer a request', ...attested });
  expect(res.status, res.text).toBe(201);
  return { api, visitId: res.body.visitId as string, body: res.body };
}

describe('POST /v1/counter/visits (find the learner at the counter)', () => {
  it('when an officer looks a learner up with a reason and an attestation, then 201 with a masked id, and the look-up is recorded with the officer and the reason', async () => {
    const l = await learnerWaiting();
    const { visitId, body } = await visitFor(l.nationalId);
    expect(body.learner).toMatchObject({ id: l.id, country: 'SG' });
    expect(body.learner.nationalIdMasked).not.toBe(l.nationalId);
    expect(JSON.stringify(body)).not.toContain(l.nationalId);
    const acts = await h.database.pool.query('select officer_subject, action, reason, identity_check, learner_present from counter_acts where id = $1', [visitId]);
    expect(acts.rows).toEqual([{
      officer_subject: 'counter-officer-7', action: 'lookup', reason: 'learner asked at the counter to answer a request', identity_check: 'nric_card', learner_present: true,
    }]);
    const audit = await h.database.pool.query(`select actor_id, actor_role, details from audit_events where action = 'counter.lookup' and entity_id = $1`, [l.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ actor_id: 'counter-officer-7', actor_role: 'counter', details: { visitId, reason: expect.any(String), identityCheck: 'nric_card' } });
  });

  it.each([
    ['no reason', { reason: undefined }, 'body.reason'],
    ['a blank reason', { reason: '   ' }, 'body.reason'],
    ['no attestation that the learner is present', { learnerPresent: undefined }, 'body.learnerPresent'],
    ['learnerPresent false', { learnerPresent: false }, 'body.learnerPresent'],
    ['no identity check', { identityCheck: undefined }, 'body.identityCheck'],
    ['an unknown identity check', { identityCheck: 'looked_familiar' }, 'body.identityCheck'],
  ])('when the look-up has %s (%j), then 422 naming %s, and nothing is recorded', async (_name, change, field) => {
    const l = await learnerWaiting();
    const api = await asOfficer();
    const body = { country: 'SG', nationalId: l.nationalId, reason: 'learner asked at the counter', ...attested, ...change };
    const res = await api.post('/v1/counter/visits', body);
    const problem = expectProblem(res, 422, 'validation_failed');
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(field);
    expect(res.text).not.toContain(l.nationalId);
    expect((await h.database.pool.query('select 1 from counter_acts where learner_id = $1', [l.id])).rowCount).toBe(0);
  });

  it('when the national id is malformed or names nobody, then 422 naming body.nationalId or 404, never echoing it', async () => {
    const api = await asOfficer();
    const bad = await api.post('/v1/counter/visits', { country: 'SG', nationalId: 'S1234567X', reason: 'learner asked at the counter', ...attested });
    const problem = expectProblem(bad, 422, 'validation_failed');
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain('body.nationalId');
    expect(bad.text).not.toContain('S1234567X');
    const nobody = nextNric();
    const missing = await api.post('/v1/counter/visits', { country: 'SG', nationalId: nobody, reason: 'learner asked at the counter', ...attested });
    expectProblem(missing, 404, 'not_found');
    expect(missing.text).not.toContain(nobody);
  });

  it('when a look-up and a consent are served, then no log line holds the national id', async () => {
    const { sink, raw } = captureLogs();
    const key = await createSigningKey({ kid: 'counter-logged' });
    const app = createApp({ ...h.deps, logger: createLogger('info', sink), metrics: createMetrics(), authenticator: key.authenticator(), bodyLimit: '256kb' });
    const l = await learnerWaiting();
    const token = await key.token('counter', { sub: 'counter-logged' });
    const open = await request(app).post('/v1/counter/visits').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID())
      .send({ country: 'SG', nationalId: l.nationalId, reason: 'learner at the counter', ...attested });
    expect(open.status).toBe(201);
    const bad = await request(app).post('/v1/counter/visits').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID())
      .send({ country: 'SG', nationalId: `${l.nationalId}9`, reason: 'learner at the counter', ...attested });
    expect(bad.status).toBe(422);
    await new Promise((r) => setTimeout(r, 50));
    expect(raw.length).toBeGreaterThan(0);
    for (const line of raw) expect(line).not.toContain(l.nationalId.slice(1, 8));
  });
});

describe('acting for the learner within a visit', () => {
  it('when the learner consents at the counter, then credit is reserved, the audit trail names the officer, and the learner\'s history and enrolments say it was done at a counter by that officer', async () => {
    const l = await learnerWaiting('20000');
    const { api, visitId } = await visitFor(l.nationalId, 'counter-officer-siti');
    const waiting = await api.get(`/v1/counter/visits/${visitId}/enrolments`);
    expect(waiting.status).toBe(200);
    expect(waiting.body.items).toEqual([expect.objectContaining({ id: l.enrolmentId, status: 'requested', funded: '20000', answeredAtCounterBy: null })]);

    const res = await api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/consent`, { learnerPresent: true, identityCheck: 'passport' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ enrolmentId: l.enrolmentId, status: 'reserved', reserved: '20000', currency: 'SGD', officer: 'counter-officer-siti' });

    const audit = await h.database.pool.query(
      `select actor_id, actor_role, action, details from audit_events where entity_id = $1 order by seq`, [l.enrolmentId]);
    expect(audit.rows.find((r) => r.action === 'enrolment.consented')).toMatchObject({ actor_id: 'counter-officer-siti', actor_role: 'counter' });
    expect(audit.rows.find((r) => r.action === 'counter.consent')).toMatchObject({
      actor_id: 'counter-officer-siti', actor_role: 'counter', details: { visitId, learnerPresent: true, identityCheck: 'passport' },
    });
    const act = await h.database.pool.query(`select identity_check, learner_present from counter_acts where enrolment_id = $1 and action = 'consent'`, [l.enrolmentId]);
    expect(act.rows).toEqual([{ identity_check: 'passport', learner_present: true }]);

    // The learner's own view names the counter and the officer.
    const me = asCitizen(h, l.token);
    const history = (await me.get('/v1/me/transactions')).body.items as { sign: string; description: string; counterOfficer: string | null }[];
    const reservation = history.find((m) => m.sign === 'reserved')!;
    expect(reservation.counterOfficer).toBe('counter-officer-siti');
    expect(reservation.description).toContain('at a service counter with officer counter-officer-siti');
    expect(history.find((m) => m.sign === 'granted')!.counterOfficer).toBeNull();
    const account = (await me.get('/v1/me/account')).body;
    expect(account.totals[0]).toMatchObject({ reserved: '20000', available: '30000' });
    // And the officer sees the same.
    const seen = await api.get(`/v1/counter/visits/${visitId}/transactions`);
    expect(seen.body.items.find((m: { sign: string }) => m.sign === 'reserved').counterOfficer).toBe('counter-officer-siti');
    const after = await api.get(`/v1/counter/visits/${visitId}/enrolments`);
    expect(after.body.items[0]).toMatchObject({ status: 'reserved', answeredAtCounterBy: 'counter-officer-siti' });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it.each([
    ['no attestation at all', {}, ['body.identityCheck', 'body.learnerPresent']],
    ['learnerPresent false', { learnerPresent: false, identityCheck: 'nric_card' }, ['body.learnerPresent']],
    ['no identity check', { learnerPresent: true }, ['body.identityCheck']],
  ])('when a consent or decline is sent with %s (%j), then 422 naming %j, and nothing is reserved', async (_name, body, fields) => {
    const l = await learnerWaiting();
    const { api, visitId } = await visitFor(l.nationalId);
    for (const action of ['consent', 'decline']) {
      const res = await api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/${action}`, body);
      const problem = expectProblem(res, 422, 'validation_failed');
      expect((problem.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(fields);
    }
    const e = await h.database.pool.query('select status from enrolments where id = $1', [l.enrolmentId]);
    expect(e.rows[0].status).toBe('requested');
    const account = (await asCitizen(h, l.token).get('/v1/me/account')).body;
    expect(account.totals[0].reserved).toBe('0');
    expect((await h.database.pool.query(`select 1 from counter_acts where learner_id = $1 and action <> 'lookup'`, [l.id])).rowCount).toBe(0);
  });

  it('when the learner declines at the counter, then the request is declined, nothing moves, and the decline names the officer', async () => {
    const l = await learnerWaiting();
    const { api, visitId } = await visitFor(l.nationalId, 'counter-officer-raj');
    const res = await api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/decline`, attested);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'declined', reserved: '0', officer: 'counter-officer-raj' });
    const audit = await h.database.pool.query(`select actor_id, actor_role from audit_events where entity_id = $1 and action = 'enrolment.declined'`, [l.enrolmentId]);
    expect(audit.rows).toEqual([{ actor_id: 'counter-officer-raj', actor_role: 'counter' }]);
    const account = (await asCitizen(h, l.token).get('/v1/me/account')).body;
    expect(account.totals[0]).toMatchObject({ reserved: '0', available: '50000' });
  });

  it('when the same consent is sent twice with one Idempotency-Key, then it is one reservation', async () => {
    const l = await learnerWaiting('15000');
    const { api, visitId } = await visitFor(l.nationalId);
    const key = randomUUID();
    const [a, b] = await Promise.all([0, 1].map(() => api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/consent`, attested, key)));
    const statuses = [a!.status, b!.status].sort();
    expect(statuses[0]).toBe(200);
    expect([200, 409]).toContain(statuses[1]);
    const account = (await asCitizen(h, l.token).get('/v1/me/account')).body;
    expect(account.totals[0].reserved).toBe('15000');
    expect((await h.database.pool.query(`select 1 from counter_acts where enrolment_id = $1`, [l.enrolmentId])).rowCount).toBe(1);
  });

  it('when the learner consents on their phone while the officer consents at the counter, racing on separate connections, then exactly one reservation is made', async () => {
    for (let round = 0; round < 5; round += 1) {
      const l = await learnerWaiting('30000');
      const { api, visitId } = await visitFor(l.nationalId);
      const results = await Promise.all([
        api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/consent`, attested),
        asCitizen(h, l.token).post(`/v1/me/enrolments/${l.enrolmentId}/consent`),
        api.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/decline`, attested),
      ]);
      const ok = results.filter((r) => r.status === 200);
      expect(ok, results.map((r) => `${r.status} ${r.body.code ?? ''}`).join(', ')).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 409, 'invalid_state');
      const pending = await h.database.pool.query(
        `select coalesce(sum(amount), 0)::text s, count(*)::int n from ledger_transfers where reference_id = $1 and kind = 'pending'`, [l.enrolmentId]);
      const final = (await h.database.pool.query('select status from enrolments where id = $1', [l.enrolmentId])).rows[0].status;
      expect(pending.rows[0]).toEqual(final === 'reserved' ? { s: '30000', n: 1 } : { s: '0', n: 0 });
      const acts = (await h.database.pool.query(`select action from counter_acts where enrolment_id = $1`, [l.enrolmentId])).rows.map((r) => r.action);
      // The counter's record exists exactly when the counter's answer is the one that stood.
      expect(acts).toEqual(final === 'declined' ? ['decline'] : ok[0]!.body.officer ? ['consent'] : []);
    }
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the officer checks a course run, then the decision is the one the learner would get, and reads record nothing beyond the look-up', async () => {
    const l = await learnerWaiting();
    const { api, visitId } = await visitFor(l.nationalId);
    const runId = await world.run('80000');
    const res = await api.get(`/v1/counter/visits/${visitId}/eligibility?courseRunId=${runId}`);
    expect(res.status).toBe(200);
    const own = await asCitizen(h, l.token).get(`/v1/me/eligibility?courseRunId=${runId}`);
    expect(res.body.eligible).toBe(own.body.eligible);
    expect(res.body.plan).toEqual(own.body.plan);
    const account = await api.get(`/v1/counter/visits/${visitId}/account`);
    expect(account.body.totals[0]).toMatchObject({ available: '50000' });
    const acts = await h.database.pool.query(`select action from counter_acts where visit_id = $1 order by at, action`, [visitId]);
    expect(acts.rows.map((r) => r.action)).toEqual(['lookup']);
  });

  it('when another officer uses the visit, or the visit has ended, then 404 and 409, and nothing happens', async () => {
    const l = await learnerWaiting();
    const { visitId } = await visitFor(l.nationalId, 'counter-officer-a');
    const other = await asOfficer('counter-officer-b');
    expectProblem(await other.get(`/v1/counter/visits/${visitId}/account`), 404, 'not_found');
    expectProblem(await other.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/consent`, attested), 404, 'not_found');
    const mine = await asOfficer('counter-officer-a');
    h.clock.advance(31 * 60 * 1000);
    try {
      expectProblem(await mine.post(`/v1/counter/visits/${visitId}/enrolments/${l.enrolmentId}/consent`, attested), 409, 'invalid_state');
    } finally {
      h.clock.advance(-31 * 60 * 1000);
    }
    expect((await h.database.pool.query('select status from enrolments where id = $1', [l.enrolmentId])).rows[0].status).toBe('requested');
  });

  it('when an enrolment of another learner is named in the visit, then 404 and it is untouched', async () => {
    const mine = await learnerWaiting();
    const theirs = await learnerWaiting();
    const { api, visitId } = await visitFor(mine.nationalId);
    expectProblem(await api.post(`/v1/counter/visits/${visitId}/enrolments/${theirs.enrolmentId}/consent`, attested), 404, 'not_found');
    expect((await h.database.pool.query('select status from enrolments where id = $1', [theirs.enrolmentId])).rows[0].status).toBe('requested');
  });
});

describe('who may use the counter', () => {
  const counterRoutes = () => allRoutes(h.deps).filter((r) => r.path.startsWith('/v1/counter/'));

  it('when routes are declared, then every /v1/counter route is for the counter role alone, and counter is allowed nowhere else', () => {
    expect(counterRoutes().length).toBe(8);
    for (const r of allRoutes(h.deps)) {
      if (r.path.startsWith('/v1/counter/')) expect(r.roles).toEqual(['counter']);
      else expect(r.roles, `${r.method} ${r.path}`).not.toContain('counter');
    }
  });

  it.each(roles.filter((r) => r !== 'counter'))('when a %s calls the counter look-up, then 403 and nothing is recorded', async (role) => {
    const l = await learnerWaiting();
    const token = role === 'citizen' ? l.token : role === 'provider' ? world.providerToken : await h.token(role);
    const res = await request(h.app).post('/v1/counter/visits').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID())
      .send({ country: 'SG', nationalId: l.nationalId, reason: 'not a counter', ...attested });
    expectProblem(res, 403, 'forbidden');
    expect((await h.database.pool.query('select 1 from counter_acts where learner_id = $1', [l.id])).rowCount).toBe(0);
  });

  it('when a counter officer calls finance, provider, admin or a citizen\'s own routes, then 403', async () => {
    const api = await asOfficer();
    const l = await learnerWaiting();
    expectProblem(await api.get('/v1/disbursement-batches'), 403, 'forbidden');
    expectProblem(await api.post('/v1/enrolments', { learnerId: l.id, courseRunId: l.runId }), 403, 'forbidden');
    expectProblem(await api.post('/v1/learners/lookup', { country: 'SG', nationalId: l.nationalId }), 403, 'forbidden');
    expectProblem(await api.get(`/v1/learners/${l.id}/account`), 403, 'forbidden');
    expectProblem(await api.post(`/v1/me/enrolments/${l.enrolmentId}/consent`, {}), 403, 'forbidden');
    expectProblem(await api.get('/v1/me/account'), 403, 'forbidden');
  });
});
