import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { camt053 } from '../reconciliation/camt053-fixture.js';
import { proposedBatch, releaseBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { incentiveWorld, SG_BANK } from './incentive-world.js';

const h = useHarness({ poolSize: 20 });
const w = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: false }, { incentiveBudget: '100000' }), async () => {});

const balanceOf = async (accountId: string) => {
  await h.ledger.foldDeltas(h.database.db);
  const b = (await h.ledger.balance(h.database.db, accountId))!;
  return b.creditsPosted - b.debitsPosted - b.debitsPending;
};
const incentiveBudget = async () =>
  (await h.database.pool.query(`select account_id from scheme_incentive_budgets where scheme_id = $1`, [w.world.scheme.id])).rows[0].account_id as string;

/** Finance reverses the claim; above the four-eyes amount a second officer approves it. */
const reverse = async (claimId: string) => {
  const proposer = w.as(await h.token('finance', { sub: 'officer-reverses' }));
  const res = await proposer.post(`/v1/claims/${claimId}/reversal`, { reasonCode: 'no_completion', reason: 'the learner did not attend' });
  if (res.status !== 202) return res;
  return w.as(await h.token('finance', { sub: 'officer-approves-reversal' })).post(`/v1/approvals/${res.body.approval.id}/approve`, {});
};

/** A learner whose claim and completion incentive are both in a released batch. */
async function releasedWithIncentive() {
  const e = await w.completed();
  expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
  expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('accrued');
  const batch = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
  const lines = batch.lines as unknown as { endToEndId: string; amount: string; status: string }[];
  return { e, lines };
}

const writeOffs = async () => {
  const res = await w.fin.get('/v1/reports/incentive-write-offs');
  expect(res.status, res.text).toBe(200);
  return (res.body.writeOffs as { schemeId: string; amount: string; incentives: number; reason: string }[]).filter((r) => r.schemeId === w.world.scheme.id);
};

describe('POST /v1/claims/{claimId}/reversal when the learner incentive was already paid', () => {
  it('when the incentive is still on its way to the bank, then the reversal is refused with 409 and nothing moves', async () => {
    const { e, lines } = await releasedWithIncentive();
    const res = await reverse(e.claim.id);
    expect(res.status, res.text).toBe(409);
    expect(res.body.detail).toMatch(/on its way to the bank/);
    expect((await h.database.pool.query(`select status from incentives where enrolment_id = $1`, [e.enrolmentId])).rows).toEqual([{ status: 'accrued' }]);
    // Settle this batch, so the next test's batch holds only its own lines.
    const imported = await w.fin.statement(camt053({ entries: lines.map((l) => ({ amount: BigInt(l.amount), direction: 'DBIT' as const, endToEndId: l.endToEndId })) }));
    expect(imported.status, imported.text).toBe(201);
  });

  it('when the bank has paid it, then the provider owes a recovery, the learner keeps the incentive, finance sees it written off with its reason, and the books tie out', async () => {
    const before = (await writeOffs())[0];
    const { e, lines } = await releasedWithIncentive();
    const imported = await w.fin.statement(camt053({ entries: lines.map((l) => ({ amount: BigInt(l.amount), direction: 'DBIT' as const, endToEndId: l.endToEndId })) }));
    expect(imported.status, imported.text).toBe(201);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('paid');
    const budget = await incentiveBudget();
    const budgetBefore = await balanceOf(budget);

    const res = await reverse(e.claim.id);
    expect(res.status, res.text).toBe(200);
    expect((await w.fin.get(`/v1/claims/${e.claim.id}`)).body.status).toBe('reversed');
    expect((await h.database.pool.query(`select count(*)::int n from recoveries where claim_id = $1`, [e.claim.id])).rows[0].n).toBe(1);
    // The learner is not asked to pay it back: it stays paid to them.
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('paid');
    const row = (await h.database.pool.query(`select status, write_off_reason, written_off_at from incentives where enrolment_id = $1`, [e.enrolmentId])).rows[0];
    expect(row).toMatchObject({ status: 'written_off', write_off_reason: 'incentive_paid_before_reversal' });
    expect(row.written_off_at).not.toBeNull();
    // No money moves: it left the incentive budget when it was paid, and the write-off is what explains it.
    expect(await balanceOf(budget)).toBe(budgetBefore);
    const after = (await writeOffs())[0]!;
    expect(after).toMatchObject({ reason: 'incentive_paid_before_reversal' });
    expect(BigInt(after.amount) - BigInt(before?.amount ?? '0')).toBe(5000n);
    expect(after.incentives - (before?.incentives ?? 0)).toBe(1);
    const csv = await w.fin.get('/v1/reports/incentive-write-offs?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(`${w.world.scheme.id},`);
    const audit = await h.database.pool.query(`select action from audit_events where entity_type = 'incentive' and action = 'incentive.written_off' and details->>'enrolmentId' = $1`, [e.enrolmentId]);
    expect(audit.rows).toHaveLength(1);

    expect(await ledgerViolations(h.database.db)).toEqual([]);
    const sgd = (await w.fin.get('/v1/reports/trial-balance')).body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
    expect(sgd.balanced).toBe(true);
    const scheme = (await w.fin.get('/v1/reports/schemes')).body.schemes.find((s: { schemeId: string }) => s.schemeId === w.world.scheme.id);
    expect(scheme.tiesOut).toBe(true);
  });
});
