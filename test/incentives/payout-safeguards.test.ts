import { describe, expect, it } from 'vitest';
import { proposedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { incentiveWorld, SG_BANK } from './incentive-world.js';

const h = useHarness({ poolSize: 20 });
const w = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' }), async () => {});

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
