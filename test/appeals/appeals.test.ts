import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { DAY_MS } from '../../src/lib/dates.js';
import { sweepGrants } from '../../src/modules/grants/grants.service.js';
import { adminApi } from '../support/fixtures.js';
import { financeAs } from '../support/finance.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof adminApi>>;

beforeAll(async () => {
  api = await adminApi(h);
});

const STATEMENT = 'I was in hospital for the whole first-use period and could not enrol in any course.';

const citizen = async (learnerId: string) => {
  const token = await h.token('citizen', { learnerId });
  return {
    appeal: (grantId: string, body: unknown = { statement: STATEMENT }) =>
      request(h.app).post(`/v1/learners/me/grants/${grantId}/appeals`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    appeals: async () => (await request(h.app).get('/v1/learners/me/appeals').set('authorization', `Bearer ${token}`)).body.items as Record<string, unknown>[],
    account: async () => (await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${token}`)).body,
    history: async () => (await request(h.app).get('/v1/me/transactions').set('authorization', `Bearer ${token}`)).body.items as Record<string, unknown>[],
  };
};

const budgetOf = async (schemeId: string) => (await request(h.app).get(`/v1/schemes/${schemeId}`).set('authorization', `Bearer ${api.admin}`)).body.budget;
const appealLearner = async (appealId: string) => (await h.database.pool.query(`select learner_id from grant_appeals where id = $1`, [appealId])).rows[0].learner_id as string;
const appealRows = async (grantId: string) => (await h.database.pool.query(`select status from grant_appeals where grant_id = $1`, [grantId])).rows;

/** A Prakerja-style grant (15 days to first use) that lapsed just now, back to its scheme's budget. */
async function lapsedGrant(options: { amount?: string; budget?: string; rules?: Record<string, unknown> } = {}) {
  const scheme = await api.scheme({}, { firstUseDeadlineDays: 15, appealWindowDays: 30, ...options.rules });
  await api.allocate(scheme.id, options.budget ?? '100000');
  const learner = await api.learner();
  const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: options.amount ?? '50000' })).body as { id: string };
  h.clock.advance(16 * DAY_MS);
  await sweepGrants(h.deps);
  return { scheme, learner, grant, me: await citizen(learner.id) };
}

const propose = (appealId: string, by = 'appeals-officer-1', body: Record<string, unknown> = {}) =>
  financeAs(h, by).post(`/v1/appeals/${appealId}/reinstatement`, { amount: '50000', reasonCode: 'hardship', note: 'Hospital letter seen.', ...body });

/** The appeal.decided events recorded for an appeal (the learner's notice of its outcome goes out from these). */
async function decidedEvents(appealId: string) {
  const r = await h.database.pool.query(`select learner_id, data from outbox_events where type = 'appeal.decided' and subject_id = $1`, [appealId]);
  return r.rows as { learner_id: string; data: Record<string, unknown> }[];
}

describe('POST /v1/learners/me/grants/{grantId}/appeals, then four eyes', () => {
  it('when a lapsed grant is appealed and two officers reinstate it, then a new grant comes from the budget and everything ties out', async () => {
    const { scheme, grant, me } = await lapsedGrant();
    expect((await budgetOf(scheme.id)).available).toBe('100000');

    const filed = await me.appeal(grant.id);
    expect(filed.status, filed.text).toBe(201);
    expect(filed.body).toMatchObject({ grantId: grant.id, closing: 'lapsed', lapsedAmount: '50000', status: 'open', statement: STATEMENT, outcome: null });

    const queue = await financeAs(h, 'appeals-officer-2').get('/v1/appeals?status=open');
    expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(filed.body.id);
    // Reading the statement is a staff read of the learner's personal data, listed for them.
    expect((await financeAs(h, 'appeals-officer-2').get(`/v1/appeals/${filed.body.id}`)).status).toBe(200);
    const reads = await h.database.pool.query(`select reader_subject, operation from staff_data_reads where learner_id = $1 order by at, operation`, [filed.body.learnerId ?? (await appealLearner(filed.body.id))]);
    expect(reads.rows).toEqual(expect.arrayContaining([
      { reader_subject: 'appeals-officer-2', operation: 'listAppeals' }, { reader_subject: 'appeals-officer-2', operation: 'getAppeal' },
    ]));

    const proposed = await propose(filed.body.id);
    expect(proposed.status, proposed.text).toBe(202);
    expect(proposed.body.appeal).toMatchObject({ status: 'proposed', proposedAmount: '50000', reasonCode: 'hardship' });
    expect((await budgetOf(scheme.id)).available).toBe('100000');

    // The proposer cannot approve, through the API or as the same person signed in through the pages.
    const own = await financeAs(h, 'appeals-officer-1').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('four_eyes_required');
    const ownViaPages = await financeAs(h, 'oidc:appeals-officer-1').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(ownViaPages.body.code).toBe('four_eyes_required');
    expect((await budgetOf(scheme.id)).available).toBe('100000');

    const approved = await financeAs(h, 'appeals-officer-2').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.result).toMatchObject({ status: 'reinstated' });

    const [mine] = await me.appeals();
    expect(mine).toMatchObject({ status: 'reinstated', outcome: { decision: 'reinstated', amount: '50000', reasonCode: 'hardship', reinstatedGrantId: approved.body.result.grantId } });
    const account = await me.account();
    const fresh = account.grants.find((g: { grantId: string }) => g.grantId === approved.body.result.grantId);
    expect(fresh).toMatchObject({ status: 'active', available: '50000' });
    // A new grant under the scheme's rules: its own first-use deadline, 15 days from now.
    expect(new Date(fresh.firstUseDeadline).getTime()).toBe(h.clock.now().getTime() + 15 * DAY_MS);
    expect(account.grants.find((g: { grantId: string }) => g.grantId === grant.id)).toMatchObject({ status: 'revoked', available: '0' });
    expect((await budgetOf(scheme.id)).available).toBe('50000');

    const decided = await decidedEvents(filed.body.id);
    expect(decided).toHaveLength(1);
    expect(decided[0]!.data).toMatchObject({ outcome: 'reinstated', amount: '50000', currency: 'SGD', reinstatedGrantId: approved.body.result.grantId });
    expect(JSON.stringify(decided[0]!.data)).not.toContain('hospital');

    const line = (await me.history()).find((m) => m.code === 'appeal_reinstatement');
    expect(line).toMatchObject({ sign: 'reinstated', amount: '50000', direction: 'credit' });
    expect(String(line!.description)).toMatch(/reinstated after appeal/);

    const trial = await request(h.app).get('/v1/reports/trial-balance').set('authorization', `Bearer ${await h.token('finance')}`);
    expect(trial.body.currencies.find((c: { currency: string }) => c.currency === 'SGD').balanced).toBe(true);
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    const audit = await h.database.pool.query(`select action, details::text from audit_events where entity_id = $1 order by occurred_at, seq`, [filed.body.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['appeal.filed', 'approval.proposed', 'appeal.reinstatement_proposed', 'appeal.reinstated', 'approval.approved']));
    // The statement and the officer's note are personal: nowhere in the hash-chained audit trail.
    const everything = await h.database.pool.query(`select count(*)::int n from audit_events where details::text like '%hospital%' or details::text like '%Hospital letter%'`);
    expect(everything.rows[0].n).toBe(0);

    // Re-appealing the same grant: nothing is left to reinstate.
    const again = await me.appeal(grant.id);
    expect(again.status).toBe(409);
    expect(again.body.reasons).toEqual(['nothing_to_reinstate']);
  });

  it('when three officers approve the same reinstatement at once, then it is reinstated once', async () => {
    const { scheme, grant, me } = await lapsedGrant();
    const filed = await me.appeal(grant.id);
    const proposed = await propose(filed.body.id, 'race-proposer');
    const results = await Promise.all(['race-a', 'race-b', 'race-c'].map((sub) => financeAs(h, sub).post(`/v1/approvals/${proposed.body.approval.id}/approve`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(await decidedEvents(filed.body.id)).toHaveLength(1);
    const granted = await h.database.pool.query(`select count(*)::int n from grants where learner_id = (select learner_id from grant_appeals where id = $1)`, [filed.body.id]);
    expect(granted.rows[0].n).toBe(2);
    expect((await budgetOf(scheme.id)).available).toBe('50000');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the learner appeals twice at once, then one appeal is filed and the other is refused with 409 conflict', async () => {
    const { grant, me } = await lapsedGrant();
    const results = await Promise.all([me.appeal(grant.id), me.appeal(grant.id), me.appeal(grant.id)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('conflict');
    expect(await appealRows(grant.id)).toHaveLength(1);
  });

  it('when the scheme budget cannot cover the reinstatement, then the approval is refused with 409 insufficient_budget and nothing changes', async () => {
    const { scheme, grant, me } = await lapsedGrant();
    const filed = await me.appeal(grant.id);
    const proposed = await propose(filed.body.id, 'budget-proposer');
    // Someone else is granted the budget first.
    const other = await api.learner();
    expect((await api.grant(other.id, { schemeId: scheme.id, amount: '80000' })).status).toBe(201);
    const approved = await financeAs(h, 'budget-approver').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status).toBe(409);
    expect(approved.body.code).toBe('insufficient_budget');
    expect((await budgetOf(scheme.id)).available).toBe('20000');
    const approval = await financeAs(h, 'budget-approver').get(`/v1/approvals/${proposed.body.approval.id}`);
    expect(approval.body.status).toBe('pending');
    expect(await appealRows(grant.id)).toEqual([{ status: 'proposed' }]);
    expect((await me.account()).grants).toHaveLength(1);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the appeal window has passed, then the appeal is refused with 422 appeal_window_closed and nothing is filed', async () => {
    const { grant, me } = await lapsedGrant({ rules: { appealWindowDays: 3 } });
    h.clock.advance(3 * DAY_MS); // 16 days after the grant: the deadline (day 15) plus 4 days
    const res = await me.appeal(grant.id);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'rule_violation', reasons: ['appeal_window_closed'] });
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'params.grantId' })]);
    expect(await appealRows(grant.id)).toEqual([]);
  });

  it('when the scheme takes no appeals, on a live grant, or on another learner\'s grant, then it is refused and nothing is filed', async () => {
    const none = await lapsedGrant({ rules: { appealWindowDays: 0 } });
    const refused = await none.me.appeal(none.grant.id);
    expect(refused.status).toBe(422);
    expect(refused.body.reasons).toEqual(['appeals_not_offered']);

    const scheme = await api.scheme();
    await api.allocate(scheme.id, '10000');
    const learner = await api.learner();
    const live = (await api.grant(learner.id, { schemeId: scheme.id, amount: '10000' })).body;
    const onLive = await (await citizen(learner.id)).appeal(live.id);
    expect(onLive.status).toBe(409);
    expect(onLive.body).toMatchObject({ code: 'invalid_state', reasons: ['grant_not_closed'] });

    const theirs = await lapsedGrant();
    const onTheirs = await (await citizen(learner.id)).appeal(theirs.grant.id);
    expect(onTheirs.status).toBe(404);
    for (const g of [none.grant.id, live.id, theirs.grant.id]) expect(await appealRows(g)).toEqual([]);
  });

  it('when the input is bad, then 4xx names the field and nothing changes', async () => {
    const { grant, me } = await lapsedGrant();
    for (const body of [{}, { statement: 'short' }, { statement: 'x'.repeat(2001) }, { statement: STATEMENT, extra: 1 }]) {
      const res = await me.appeal(grant.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
    const notUuid = await me.appeal('not-a-uuid');
    expect(notUuid.status).toBe(422);
    expect(await appealRows(grant.id)).toEqual([]);

    const filed = await me.appeal(grant.id);
    const tooMuch = await propose(filed.body.id, 'bad-input-officer', { amount: '50001' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors).toEqual([expect.objectContaining({ path: 'body.amount' })]);
    for (const body of [{ amount: '0' }, { amount: '1.5' }, { reasonCode: 'because' }, { note: '' }]) {
      const res = await propose(filed.body.id, 'bad-input-officer', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const badReject = await financeAs(h, 'bad-input-officer').post(`/v1/appeals/${filed.body.id}/rejection`, { reasonCode: 'nope', note: 'x' });
    expect(badReject.status).toBe(422);
    expect(await appealRows(grant.id)).toEqual([{ status: 'open' }]);
    const unknown = await propose(randomUUID(), 'bad-input-officer');
    expect(unknown.status).toBe(404);
  });

  it('when an officer rejects an appeal, then the learner sees the outcome; a refused proposal returns the appeal to the queue first', async () => {
    const { scheme, grant, me } = await lapsedGrant();
    const filed = await me.appeal(grant.id);
    const proposed = await propose(filed.body.id, 'reject-officer-1', { amount: '20000' });
    // While a reinstatement waits for approval, the appeal is decided through it.
    const early = await financeAs(h, 'reject-officer-2').post(`/v1/appeals/${filed.body.id}/rejection`, { reasonCode: 'no_grounds', note: 'No evidence.' });
    expect(early.status).toBe(409);
    const refused = await financeAs(h, 'reject-officer-2').post(`/v1/approvals/${proposed.body.approval.id}/reject`, { note: 'Amount not justified.' });
    expect(refused.status).toBe(200);
    expect(await appealRows(grant.id)).toEqual([{ status: 'open' }]);

    const rejected = await financeAs(h, 'reject-officer-2').post(`/v1/appeals/${filed.body.id}/rejection`, { reasonCode: 'notice_was_given', note: 'Two reminders were sent.' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reasonCode: 'notice_was_given', decidedBy: 'reject-officer-2' });
    const [mine] = await me.appeals();
    expect(mine).toMatchObject({ status: 'rejected', outcome: { decision: 'rejected', reasonCode: 'notice_was_given', amount: null } });
    expect(mine).not.toHaveProperty('decisionNote');
    const twice = await financeAs(h, 'reject-officer-2').post(`/v1/appeals/${filed.body.id}/rejection`, { reasonCode: 'no_grounds', note: 'Again.' });
    expect(twice.status).toBe(409);
    // Both answers showed the officer the learner's statement: a staff read each; the refused attempts showed nothing and recorded none.
    const decidingReads = await h.database.pool.query(
      `select reader_subject, operation from staff_data_reads where learner_id = $1 and operation in ('proposeAppealReinstatement', 'rejectAppeal') order by at, operation`,
      [await appealLearner(filed.body.id)]);
    expect(decidingReads.rows).toEqual([
      { reader_subject: 'reject-officer-1', operation: 'proposeAppealReinstatement' }, { reader_subject: 'reject-officer-2', operation: 'rejectAppeal' },
    ]);
    expect((await decidedEvents(filed.body.id)).map((e) => e.data)).toEqual([{ appealId: filed.body.id, grantId: grant.id, outcome: 'rejected', reasonCode: 'notice_was_given' }]);
    expect((await budgetOf(scheme.id)).available).toBe('100000');
    const audit = await h.database.pool.query(`select action from audit_events where entity_id = $1 order by occurred_at, seq`, [filed.body.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['appeal.filed', 'appeal.reinstatement_refused', 'appeal.rejected']));

    // Rejected, it may be appealed again within the window.
    expect((await me.appeal(grant.id)).status).toBe(201);
  });

  it('when a pathway bonus was taken back and its released reservation returned later, then it is not appealable as a lapse', async () => {
    const scheme = await api.scheme({}, { appealWindowDays: 30 });
    await api.allocate(scheme.id, '100000');
    const learner = await api.learner();
    const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: '50000' })).body as { id: string };
    const budget = (await h.database.pool.query(`select budget_account_id from schemes where id = $1`, [scheme.id])).rows[0].budget_account_id as string;
    // The take-back returns what was available; the part reserved then comes back later, as a revoked grant's return does.
    await h.ledger.commit(h.database.db, [
      { id: randomUUID(), kind: 'posted', debitAccountId: grant.id, creditAccountId: budget, amount: 30000n, code: 'pathway_bonus_revocation', referenceId: grant.id },
      { id: randomUUID(), kind: 'posted', debitAccountId: grant.id, creditAccountId: budget, amount: 20000n, code: 'grant_revocation', referenceId: grant.id },
    ]);
    await h.database.pool.query(`update grants set status = 'revoked', settled = true where id = $1`, [grant.id]);
    const me = await citizen(learner.id);
    const res = await me.appeal(grant.id);
    expect(res.status, res.text).toBe(409);
    expect(res.body.reasons).toEqual(['grant_not_closed']);
    expect(await appealRows(grant.id)).toEqual([]);
  });

  it('when a grant expires, then it can be appealed as expired, and citizens and providers cannot decide appeals', async () => {
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '10000');
    const learner = await api.learner();
    const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: '10000', expiresAt: new Date(h.clock.now().getTime() + DAY_MS).toISOString() })).body;
    h.clock.advance(2 * DAY_MS);
    await sweepGrants(h.deps);
    const me = await citizen(learner.id);
    const filed = await me.appeal(grant.id);
    expect(filed.status, filed.text).toBe(201);
    expect(filed.body).toMatchObject({ closing: 'expired', lapsedAmount: '10000' });
    const asCitizen = await request(h.app).post(`/v1/appeals/${filed.body.id}/reinstatement`).set('authorization', `Bearer ${await h.token('citizen', { learnerId: learner.id })}`)
      .set('idempotency-key', randomUUID()).send({ amount: '10000', reasonCode: 'hardship', note: 'Myself.' });
    expect(asCitizen.status).toBe(403);
    // An administrator may propose and a finance officer approve: two officer roles, two people.
    const byAdmin = await api.post(`/v1/appeals/${filed.body.id}/reinstatement`, { amount: '4000', reasonCode: 'service_fault', note: 'Expiry notice bounced.' });
    expect(byAdmin.status, byAdmin.text).toBe(202);
    const approved = await financeAs(h, 'expiry-approver').post(`/v1/approvals/${byAdmin.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((await budgetOf(scheme.id)).available).toBe('6000');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('GET /v1/appeals', () => {
  const readsInRequest = async (requestId: string) =>
    (await h.database.pool.query(`select learner_id, operation, purpose from staff_data_reads where request_id = $1 order by learner_id`, [requestId])).rows;

  it('when an officer pages through open appeals, then each learner whose statement is on a page gets one read for that request, and no one else', async () => {
    const older = await lapsedGrant();
    const newer = await lapsedGrant();
    expect((await older.me.appeal(older.grant.id)).status).toBe(201);
    h.clock.advance(1000);
    expect((await newer.me.appeal(newer.grant.id)).status).toBe(201);
    const officer = financeAs(h, 'appeals-pager');

    const first = await officer.get('/v1/appeals?status=open&limit=1');
    expect(first.status, first.text).toBe(200);
    expect(first.body.items.map((a: { learnerId: string }) => a.learnerId)).toEqual([newer.learner.id]);
    const purpose = 'deciding an appeal against expired or lapsed credit';
    expect(await readsInRequest(first.headers['x-request-id']!)).toEqual([{ learner_id: newer.learner.id, operation: 'listAppeals', purpose }]);

    const next = await officer.get(`/v1/appeals?status=open&limit=1&cursor=${first.body.nextCursor as string}`);
    expect(next.body.items.map((a: { learnerId: string }) => a.learnerId)).toEqual([older.learner.id]);
    expect(await readsInRequest(next.headers['x-request-id']!)).toEqual([{ learner_id: older.learner.id, operation: 'listAppeals', purpose }]);

    const all = await officer.get('/v1/appeals?limit=200');
    const shown = [...new Set(all.body.items.map((a: { learnerId: string }) => a.learnerId) as string[])].sort();
    expect(shown.length).toBeGreaterThan(2);
    expect((await readsInRequest(all.headers['x-request-id']!)).map((r: { learner_id: string }) => r.learner_id)).toEqual(shown);
  });
});
