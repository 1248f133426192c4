import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { proposedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { incentiveWorld, SG_BANK } from './incentive-world.js';

const h = useHarness({ poolSize: 20 });
const w = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' }), async () => {});

const balanceOf = async (accountId: string) => {
  await h.ledger.foldDeltas(h.database.db);
  const b = (await h.ledger.balance(h.database.db, accountId))!;
  return b.creditsPosted - b.debitsPosted - b.debitsPending;
};
const payableOf = async (learnerId: string) =>
  (await h.database.pool.query(`select account_id from learner_payables where learner_id = $1`, [learnerId])).rows[0].account_id as string;
const incentiveBudget = async () =>
  (await h.database.pool.query(`select account_id from scheme_incentive_budgets where scheme_id = $1`, [w.world.scheme.id])).rows[0].account_id as string;

/** Finance reverses the claim; above the four-eyes amount a second officer approves it. */
const reverse = async (claimId: string) => {
  const proposer = w.as(await h.token('finance', { sub: 'officer-reverses' }));
  const res = await proposer.post(`/v1/claims/${claimId}/reversal`, { reasonCode: 'no_completion', reason: 'the learner did not attend' });
  expect([200, 202], res.text).toContain(res.status);
  if (res.status === 202) {
    const approved = await w.as(await h.token('finance', { sub: 'officer-approves-reversal' })).post(`/v1/approvals/${res.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
  }
  return res;
};

type Line = { learnerId: string | null; amount: string };
const learnerLinesOf = (batch: { lines: unknown }, learnerId: string) => (batch.lines as Line[]).filter((l) => l.learnerId === learnerId);

/** Rejects a proposed batch, so the claims and incentives it set aside are free for the next test's batch. */
const rejectBatch = async (batch: { approval?: { id: string } }) => {
  const res = await w.as(await h.token('finance', { sub: 'officer-rejects' })).post(`/v1/approvals/${batch.approval!.id}/reject`, { note: 'test' });
  expect(res.status, res.text).toBe(200);
};

describe('an administrator registers a learner\'s first payee account', () => {
  it('when the learner has no account, then the admin\'s account is only proposed, the incentive stays held, the same admin cannot approve it, and another officer\'s approval puts it in force', async () => {
    const e = await w.completed();
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 4 })).status).toBe(201);
    const admin1 = w.as(await h.token('admin', { sub: 'admin-registers' }));
    const admin2 = w.as(await h.token('admin', { sub: 'admin-approves' }));

    const registered = await admin1.put(`/v1/learners/${e.learner.id}/payee-account`, { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK });
    expect(registered.status, registered.text).toBe(200);
    expect(registered.body).toMatchObject({ active: null, proposed: { status: 'proposed', masked: 'account ending 9012' }, approval: { status: 'pending' } });
    const rows = await h.database.pool.query(`select status from learner_payee_accounts where learner_id = $1`, [e.learner.id]);
    expect(rows.rows.map((r) => r.status)).toEqual(['proposed']);
    // A second registration while the first waits is a conflict, whoever asks.
    expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(409);

    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('held:no_payee_account');
    const held = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(held, e.learner.id)).toEqual([]);
    await rejectBatch(held);

    const self = await admin1.post(`/v1/approvals/${registered.body.approval.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('four_eyes_required');
    expect((await e.me.get('/v1/learners/me/payee-account')).body).toMatchObject({ active: null, proposed: { status: 'proposed' } });

    const approved = await admin2.post(`/v1/approvals/${registered.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((await e.me.get('/v1/learners/me/payee-account')).body).toMatchObject({ active: { status: 'active', masked: 'account ending 9012' }, proposed: null });
    const paid = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(paid, e.learner.id)).toMatchObject([{ amount: '5000' }]);
    await rejectBatch(paid);
  });
});

describe('a reversed claim\'s incentive', () => {
  it('when a claim whose incentive has accrued is reversed, then the incentive is reversed, its money is back in the incentive budget, and no batch pays it', async () => {
    const e = await w.completed();
    expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 2 })).status).toBe(201);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('accrued');
    const budget = await incentiveBudget();
    const before = await balanceOf(budget);
    expect(await balanceOf(await payableOf(e.learner.id))).toBe(5000n);

    await reverse(e.claim.id);
    expect((await w.fin.get(`/v1/claims/${e.claim.id}`)).body.status).toBe('reversed');
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('reversed');
    expect((await h.database.pool.query(`select status from incentives where enrolment_id = $1`, [e.enrolmentId])).rows).toEqual([{ status: 'reversed' }]);
    expect(await balanceOf(await payableOf(e.learner.id))).toBe(0n);
    expect(await balanceOf(budget)).toBe(before + 5000n);

    const next = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(next, e.learner.id)).toEqual([]);
    await rejectBatch(next);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    const sgd = (await w.fin.get('/v1/reports/trial-balance')).body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
    expect(sgd.balanced).toBe(true);
  });

  it('when the claim\'s incentive is in a proposed batch, then the reversal is refused until that batch is rejected, and nothing moves', async () => {
    const e = await w.completed();
    expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 5 })).status).toBe(201);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(batch, e.learner.id)).toHaveLength(1);
    const refused = await w.as(await h.token('finance', { sub: 'officer-reverses' })).post(`/v1/claims/${e.claim.id}/reversal`, { reasonCode: 'fraud', reason: 'the provider invented the attendance' });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('in_batch');
    expect(await balanceOf(await payableOf(e.learner.id))).toBe(5000n);
    await rejectBatch(batch);
  });
});

describe('releasing a batch with a learner line', () => {
  it('when the learner\'s payee account changed after the batch was proposed, then release is refused with payee_account_changed and nothing moves; the next batch pays the new account', async () => {
    const e = await w.completed();
    expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 4 })).status).toBe(201);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(batch, e.learner.id)).toHaveLength(1);

    const change = await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: { bankCode: '7339', accountNumber: '555566667777' } });
    expect(change.status, change.text).toBe(200);
    const changed = await w.as(await h.token('finance', { sub: 'officer-approves-payee' })).post(`/v1/approvals/${change.body.approval.id}/approve`, {});
    expect(changed.status, changed.text).toBe(200);

    const release = await w.as(await h.token('finance', { sub: 'officer-releases' })).post(`/v1/approvals/${batch.approval!.id}/approve`, {});
    expect(release.status, release.text).toBe(409);
    expect(release.body.reasons).toEqual(['payee_account_changed']);
    expect(release.text).not.toContain('555566667777');
    expect((await w.fin.get(`/v1/disbursement-batches/${batch.id}`)).body.status).toBe('proposed');
    expect((await w.fin.get(`/v1/approvals/${batch.approval!.id}`)).body.status).toBe('pending');
    expect((await h.database.pool.query(`select count(*)::int n from ledger_transfers where reference_id in (select id from payment_lines where batch_id = $1)`, [batch.id])).rows[0].n).toBe(0);
    expect(await balanceOf(await payableOf(e.learner.id))).toBe(5000n);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('in_batch');

    await rejectBatch(batch);
    const next = await proposedBatch(h, { currency: 'SGD' });
    expect(learnerLinesOf(next, e.learner.id)).toMatchObject([{ amount: '5000' }]);
    const account = await h.database.pool.query(`select creditor_account->>'accountNumber' n from payment_lines where batch_id = $1 and learner_id = $2`, [next.id, e.learner.id]);
    expect(account.rows).toEqual([{ n: '555566667777' }]);
    await rejectBatch(next);
  });
});
