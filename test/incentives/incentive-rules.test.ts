import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { accrueIncentive } from '../../src/modules/incentives/incentives.service.js';
import { advanceTo, credentialPayload, DAY, enrolled, factsFor, HOUR, signCredential, submitClaim } from '../claims/credential-fixtures.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { incentiveWorld, SG_BANK } from './incentive-world.js';

const h = useHarness({ poolSize: 20 });
/** Paid at approval, no rating asked; the incentive budget covers exactly one incentive. */
const atApproval = perFile(() => incentiveWorld(h, { amount: '7000', requiresRating: false }, { incentiveBudget: '7000' }), async () => {});
/** Paid after the rating. */
const afterRating = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '1000000' }), async () => {});

const incentiveRows = async (enrolmentId: string) =>
  (await h.database.pool.query(`select id, status, hold_reason, transfer_id from incentives where enrolment_id = $1`, [enrolmentId])).rows as {
    id: string; status: string; hold_reason: string | null; transfer_id: string;
  }[];
const incentiveTransfers = async (incentiveId: string) =>
  (await h.database.pool.query(`select count(*)::int n from ledger_transfers where code = 'incentive' and reference_id = $1`, [incentiveId])).rows[0].n as number;

describe('incentive accrual', () => {
  it('when the incentive budget cannot cover it, then the incentive is held with its reason and nothing moves; a top-up pays it', async () => {
    const first = await atApproval.completed();
    // Accrued (the money is in the learner's payable), but not payable to them until they register an account.
    expect((await atApproval.incentivesOf(first.learner.token))[0]).toMatchObject({ status: 'held:no_payee_account', amount: '7000' });
    expect((await incentiveRows(first.enrolmentId))[0]!.status).toBe('accrued');
    expect((await first.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
    expect((await atApproval.incentivesOf(first.learner.token))[0]!.status).toBe('accrued');

    const second = await atApproval.completed();
    const [held] = await atApproval.incentivesOf(second.learner.token);
    expect(held).toMatchObject({ status: 'held:incentive_budget_short', amount: '7000' });
    const [row] = await incentiveRows(second.enrolmentId);
    expect(await incentiveTransfers(row!.id)).toBe(0);
    // The claim itself was approved and paid from the reservation all the same.
    expect((await atApproval.fin.get(`/v1/claims/${second.claim.id}`)).body.status).toBe('approved');
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    const topUp = await atApproval.fin.post(`/v1/schemes/${atApproval.world.scheme.id}/incentive-allocations`, { amount: '10000' });
    expect(topUp.status, topUp.text).toBe(201);
    expect(topUp.body).toMatchObject({ released: 1, budget: { allocated: '17000', accrued: '14000', available: '3000' } });
    expect((await atApproval.incentivesOf(second.learner.token))[0]!.status).toBe('held:no_payee_account');
    expect(await incentiveTransfers(row!.id)).toBe(1);
    const scheme = await atApproval.fin.get(`/v1/schemes/${atApproval.world.scheme.id}`);
    expect(scheme.body.incentiveBudget).toEqual({ allocated: '17000', accrued: '14000', available: '3000' });
    expect((await first.me.get(`/v1/schemes/${atApproval.world.scheme.id}`)).body.incentiveBudget).toBeUndefined();
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when two transactions accrue the same enrolment\'s incentive at once, then exactly one incentive and one transfer exist', async () => {
    const e = await afterRating.completed();
    // The rating is there, but nothing has accrued it yet: both racers see every condition met.
    await h.database.pool.query(
      `insert into course_ratings (enrolment_id, learner_id, course_id, provider_id, stars, rated_at) values ($1, $2, $3, $4, 4, now())`,
      [e.enrolmentId, e.learner.id, afterRating.world.courseId, afterRating.world.providerId],
    );
    const acting = { actor: { role: 'system' as const, subject: 'test:race' } };
    const results = await Promise.all([0, 1, 2].map(() => inTransaction(h.database.db, (tx) => accrueIncentive(h.deps, tx, e.enrolmentId, acting))));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const rows = await incentiveRows(e.enrolmentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('accrued');
    expect(await incentiveTransfers(rows[0]!.id)).toBe(1);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the learner rates the course twice at once, then one rating counts, the other is 409, and one incentive is accrued', async () => {
    const e = await afterRating.completed();
    const [a, b] = await Promise.all([
      e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 5 }),
      e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 1 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.code).toBe('conflict');
    const rows = await incentiveRows(e.enrolmentId);
    expect(rows).toHaveLength(1);
    expect(await incentiveTransfers(rows[0]!.id)).toBe(1);
  });
});

describe('incentive accrual on a review decision', () => {
  it('when a claim sent to review is approved by two officers, then the incentive accrues with the approval, not before', async () => {
    const w = await incentiveWorld(h, { amount: '2500', requiresRating: false }, { incentiveBudget: '2500' });
    const e = await enrolled(h, w.world);
    advanceTo(h, new Date(e.startsAt.getTime() + DAY)); // mid-run: completed before the run could end
    const credential = await signCredential(credentialPayload(factsFor(w.world, e, h, { validFrom: new Date(h.clock.now().getTime() - HOUR) })), w.signer);
    const res = await submitClaim(h, w.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential });
    expect(res.body.status).toBe('in_review');
    expect(await incentiveRows(e.enrolmentId)).toEqual([]);

    const proposed = await w.as(await h.token('finance', { sub: 'officer-a' })).post(`/v1/claims/${res.body.id}/decision`, { decision: 'approve', reason: 'attendance sheets checked' });
    expect(proposed.status, proposed.text).toBe(202);
    expect(await incentiveRows(e.enrolmentId)).toEqual([]);
    const approved = await w.as(await h.token('finance', { sub: 'officer-c' })).post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect(await incentiveRows(e.enrolmentId)).toMatchObject([{ status: 'accrued' }]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('POST /v1/enrolments/{enrolmentId}/rating', () => {
  it('when the claim is not approved yet, the enrolment is another learner\'s, or the input is bad, then it is refused and nothing is stored', async () => {
    const e = await afterRating.completed();
    const other = await afterRating.world.learnerWithCredit('50000');
    const runId = await afterRating.world.run('30000', { startsInDays: 2 });
    const enrolled = await afterRating.as(other.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(enrolled.status, enrolled.text).toBe(201);

    const early = await afterRating.as(other.token).post(`/v1/enrolments/${enrolled.body.id}/rating`, { stars: 4 });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'invalid_state', reasons: ['completion_not_approved'] });
    const notMine = await afterRating.as(other.token).post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 4 });
    expect(notMine.status).toBe(404);
    for (const body of [{ stars: 0 }, { stars: 6 }, { stars: 4.5 }, { stars: 4, comment: 'x'.repeat(1001) }, { stars: 4, comment: 'bad\u0007bell' }, {}]) {
      const res = await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const stored = await h.database.pool.query(`select count(*)::int n from course_ratings where enrolment_id = any($1::uuid[])`, [[e.enrolmentId, enrolled.body.id]]);
    expect(stored.rows[0].n).toBe(0);
    expect(await incentiveRows(e.enrolmentId)).toEqual([]);
  });

  it('when learners rate a course, then the report gives count, average and distribution per provider and course, and the provider sees comments without who wrote them', async () => {
    const w = await incentiveWorld(h, { amount: '100', requiresRating: true }, { incentiveBudget: '1000' });
    const learners = [];
    for (const [stars, comment] of [[5, 'Excellent labs'], [4, undefined], [2, 'Too fast']] as const) {
      const e = await w.completed();
      learners.push(e.learner.id);
      const res = await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars, ...(comment ? { comment } : {}) });
      expect(res.status, res.text).toBe(201);
    }
    const report = await w.fin.get('/v1/reports/course-ratings');
    expect(report.status).toBe(200);
    const mine = report.body.providers.find((p: { providerId: string }) => p.providerId === w.world.providerId);
    expect(mine).toMatchObject({ count: 3, average: 3.67, distribution: { '1': 0, '2': 1, '3': 0, '4': 1, '5': 1 } });
    expect(mine.courses).toMatchObject([{ courseId: w.world.courseId, count: 3, average: 3.67 }]);
    expect(JSON.stringify(report.body)).not.toContain('Too fast');

    const own = await w.as(w.world.providerToken).get('/v1/providers/me/course-ratings');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ count: 3, courses: [{ courseId: w.world.courseId }] });
    expect(own.body.comments.map((c: { comment: string }) => c.comment).sort()).toEqual(['Excellent labs', 'Too fast']);
    for (const id of learners) expect(own.text).not.toContain(id);
    const citizen = await w.as(await h.token('citizen', { learnerId: learners[0]! })).get('/v1/reports/course-ratings');
    expect(citizen.status).toBe(403);
  });
});

describe('PUT /v1/learners/me/payee-account', () => {
  it('when the name on the account is not the learner\'s, or the account does not fit their country, then it is refused with the field and nothing is stored', async () => {
    const learner = await afterRating.world.learnerWithCredit('0');
    const me = afterRating.as(learner.token);
    const wrongName = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Lim Mei Ling', bank: SG_BANK });
    expect(wrongName.status).toBe(422);
    expect(wrongName.body.errors).toEqual([expect.objectContaining({ path: 'body.accountName' })]);
    const iban = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: { iban: 'FR7630006000011234567890189', bic: 'AGRIFRPPXXX' } });
    expect(iban.status).toBe(422);
    expect(iban.body.errors[0].path).toBe('body.bank.iban');
    const wallet = await me.put('/v1/learners/me/payee-account', { kind: 'ewallet', accountName: 'Tan Ah Kow', ewallet: { provider: 'gopay', accountId: '081234567890' } });
    expect(wallet.status).toBe(422);
    expect(wallet.body.errors[0].path).toBe('body.ewallet.provider');
    const stored = await h.database.pool.query(`select count(*)::int n from learner_payee_accounts where learner_id = $1`, [learner.id]);
    expect(stored.rows[0].n).toBe(0);
    expect((await me.get('/v1/learners/me/payee-account')).body).toEqual({ active: null, proposed: null });
  });

  it('when a payee account is changed, then the old one stays in force until a second person approves, and the proposer cannot approve it', async () => {
    const learner = await afterRating.world.learnerWithCredit('0');
    const me = afterRating.as(learner.token);
    const first = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK });
    expect(first.body).toMatchObject({ active: { masked: 'account ending 9012' }, proposed: null });

    const admin1 = afterRating.as(await h.token('admin', { sub: 'admin-one' }));
    const admin2 = afterRating.as(await h.token('admin', { sub: 'admin-two' }));
    const change = await admin1.put(`/v1/learners/${learner.id}/payee-account`, { kind: 'bank', accountName: 'Tan Ah Kow', bank: { bankCode: '7339', accountNumber: '555566667777' } });
    expect(change.status, change.text).toBe(200);
    expect(change.body).toMatchObject({ active: { masked: 'account ending 9012' }, proposed: { status: 'proposed', masked: 'account ending 7777' }, approval: { status: 'pending' } });
    expect(change.text).not.toContain('555566667777');
    const again = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK });
    expect(again.status).toBe(409);

    const self = await admin1.post(`/v1/approvals/${change.body.approval.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('four_eyes_required');
    expect((await me.get('/v1/learners/me/payee-account')).body.active.masked).toBe('account ending 9012');
    const byCitizen = await me.post(`/v1/approvals/${change.body.approval.id}/approve`, {});
    expect(byCitizen.status).toBe(403);

    const approved = await admin2.post(`/v1/approvals/${change.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    const now = (await me.get('/v1/learners/me/payee-account')).body;
    expect(now).toMatchObject({ active: { masked: 'account ending 7777', status: 'active' }, proposed: null });
    const rows = await h.database.pool.query(`select status from learner_payee_accounts where learner_id = $1 order by created_at`, [learner.id]);
    expect(rows.rows.map((r) => r.status)).toEqual(['superseded', 'active']);
    // Neither the account number nor its last digits are in the audit trail.
    const audit = await h.database.pool.query(`select details::text d from audit_events where entity_id = $1`, [learner.id]);
    for (const r of audit.rows) expect(r.d).not.toMatch(/5555|7777|9012/);
  });

  it('when a citizen proposes a change, then a finance officer approves it, and a rejected change leaves the account as it was', async () => {
    const learner = await afterRating.world.learnerWithCredit('0');
    const me = afterRating.as(learner.token);
    await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK });
    const change = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'tan ah kow', bank: { bankCode: '7339', accountNumber: '555566667777' } });
    expect(change.body.approval.status).toBe('pending');
    const rejected = await afterRating.fin.post(`/v1/approvals/${change.body.approval.id}/reject`, { note: 'the bank says the account is not the learner\'s' });
    expect(rejected.status, rejected.text).toBe(200);
    expect((await me.get('/v1/learners/me/payee-account')).body).toMatchObject({ active: { masked: 'account ending 9012' }, proposed: null });

    const retry = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: { bankCode: '7339', accountNumber: '555566667777' } });
    const approved = await afterRating.fin.post(`/v1/approvals/${retry.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((await me.get('/v1/learners/me/payee-account')).body.active.masked).toBe('account ending 7777');
  });
});
