import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { BATCH_BUILDER, BATCH_RELEASER, financeAs, proposedBatch, releaseBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { tenantWithApprovedClaim, type Tenant } from '../robustness/world.js';

const h = useHarness({ poolSize: 20 });
let admin: string;

beforeAll(async () => {
  admin = await h.token('admin', { sub: 'admin-a' });
});

const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as T[];
const pendingDisbursements = async (batchId: string) =>
  (await q<{ n: string }>(`select count(*)::text n from ledger_transfers t join payment_lines l on l.transfer_id = t.id where l.batch_id = $1`, [batchId]))[0]!.n;
const auditOf = (entityId: string) => q<{ action: string; actor_id: string; details: Record<string, unknown> }>(
  `select action, actor_id, details from audit_events where entity_id = $1 order by occurred_at, seq`, [entityId]);

/** Leaves no approved, unpaid claim behind for the next test: the batch is proposed and released. */
async function drain() {
  const open = await q<{ n: string }>(`select count(*)::text n from claims c where c.status = 'approved' and not exists (select 1 from payment_line_claims p where p.claim_id = c.id and p.live = 1)`);
  if (open[0]!.n !== '0') await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
}

async function suspend(t: Tenant, status: 'suspended' | 'active') {
  const res = await request(h.app).patch(`/v1/providers/${t.world.providerId}`).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID())
    .send(status === 'suspended' ? { status, reason: 'investigation of claims' } : { status, reason: 'investigation closed' });
  expect(res.status, res.text).toBe(200);
}

describe('POST /v1/disbursement-batches, then POST /v1/approvals/{id}/approve', () => {
  it('when one officer proposes a batch, then nothing is paid and no payment file exists until a second officer approves it', async () => {
    const t = await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect(batch.approval).toMatchObject({ status: 'pending', proposedBy: BATCH_BUILDER });
    expect(batch.lines.find((l) => l.providerId === t.world.providerId)).toMatchObject({ amount: t.claimAmount, status: 'proposed' });
    expect(await pendingDisbursements(batch.id)).toBe('0');

    const file = await (await financeAs(h, BATCH_BUILDER)).get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`);
    expect(file.status).toBe(409);
    expect(file.body.code).toBe('invalid_state');

    const released = await releaseBatch(h, batch);
    expect(released).toMatchObject({ status: 'submitted', createdBy: BATCH_BUILDER, releasedBy: BATCH_RELEASER });
    expect(released.lines.every((l) => l.status === 'pending')).toBe(true);
    expect(await pendingDisbursements(batch.id)).toBe(String(released.lines.length));
    const xml = await (await financeAs(h, BATCH_BUILDER)).get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`);
    expect(xml.status).toBe(200);

    const trail = await auditOf(batch.id);
    expect(trail.map((e) => e.action)).toEqual(['disbursement_batch.proposed', 'approval.proposed', 'disbursement_batch.released', 'approval.approved']);
    expect(trail.find((e) => e.action === 'disbursement_batch.released')).toMatchObject({
      actor_id: BATCH_RELEASER, details: expect.objectContaining({ proposedBy: BATCH_BUILDER, releasedBy: BATCH_RELEASER }),
    });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the officer who proposed the batch approves it, then 403 four_eyes_required and nothing moves', async () => {
    await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    const self = await (await financeAs(h, BATCH_BUILDER)).post(`/v1/approvals/${batch.approval!.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(self.body.code).toBe('four_eyes_required');
    expect(await pendingDisbursements(batch.id)).toBe('0');
    expect((await (await financeAs(h, BATCH_BUILDER)).get(`/v1/disbursement-batches/${batch.id}`)).body.status).toBe('proposed');
    await releaseBatch(h, batch);
  });

  it('when the proposer comes back through the pages (subject oidc:<sub>) to approve, then it is still one person: 403 four_eyes_required', async () => {
    await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    const samePersonSignedIn = await (await financeAs(h, `oidc:${BATCH_BUILDER}`)).post(`/v1/approvals/${batch.approval!.id}/approve`, {});
    expect(samePersonSignedIn.status).toBe(403);
    expect(samePersonSignedIn.body.code).toBe('four_eyes_required');
    expect(await pendingDisbursements(batch.id)).toBe('0');
    await releaseBatch(h, batch);
  });

  it('when an administrator tries to release a batch, then 403: only finance decides a batch', async () => {
    await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    const res = await request(h.app).post(`/v1/approvals/${batch.approval!.id}/approve`).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send({});
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    await releaseBatch(h, batch);
  });

  it('when a claim is in a proposed batch, then a second proposal cannot take it; when the proposal is rejected, then the next batch pays it', async () => {
    const t = await tenantWithApprovedClaim(h);
    const first = await proposedBatch(h, { currency: 'SGD' });
    const second = await (await financeAs(h, 'officer-c')).post('/v1/disbursement-batches', { currency: 'SGD', cutOff: h.clock.now().toISOString() });
    expect(second.status).toBe(422);

    const reject = await (await financeAs(h, BATCH_RELEASER)).post(`/v1/approvals/${first.approval!.id}/reject`, { note: 'cut-off date was wrong' });
    expect(reject.status, reject.text).toBe(200);
    expect(reject.body.approval).toMatchObject({ status: 'rejected', decidedBy: BATCH_RELEASER, decisionNote: 'cut-off date was wrong' });
    const rejected = (await (await financeAs(h, BATCH_BUILDER)).get(`/v1/disbursement-batches/${first.id}`)).body;
    expect(rejected.status).toBe('rejected');
    expect(rejected.lines.every((l: { status: string }) => l.status === 'cancelled')).toBe(true);
    expect(await pendingDisbursements(first.id)).toBe('0');

    const again = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
    expect(again.lines.find((l) => l.providerId === t.world.providerId)?.amount).toBe(t.claimAmount);
    const decided = await (await financeAs(h, 'officer-c')).post(`/v1/approvals/${first.approval!.id}/approve`, {});
    expect(decided.status).toBe(409);
  });

  it('when two officers approve the same batch at once, then it is released once', async () => {
    await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    const results = await Promise.all(['officer-x', 'officer-y', 'officer-z'].map(async (sub) => (await financeAs(h, sub)).post(`/v1/approvals/${batch.approval!.id}/approve`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(await pendingDisbursements(batch.id)).toBe('1');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('suspension holds the money', () => {
  it('when a provider is suspended, then its approved claims stay out of new batches; when reinstated, then the next batch pays them', async () => {
    await drain();
    const held = await tenantWithApprovedClaim(h);
    const other = await tenantWithApprovedClaim(h);
    await suspend(held, 'suspended');
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect(batch.lines.map((l) => l.providerId)).toEqual([other.world.providerId]);
    await releaseBatch(h, batch);

    await suspend(held, 'active');
    const next = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
    expect(next.lines.map((l) => l.providerId)).toEqual([held.world.providerId]);
  });

  it('when a provider is suspended after its batch was proposed, then the release is refused and nothing moves', async () => {
    await drain();
    const t = await tenantWithApprovedClaim(h);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    await suspend(t, 'suspended');
    const res = await (await financeAs(h, BATCH_RELEASER)).post(`/v1/approvals/${batch.approval!.id}/approve`, {});
    expect(res.status).toBe(409);
    expect(res.body.reasons).toEqual(['provider_suspended']);
    expect(await pendingDisbursements(batch.id)).toBe('0');
    expect((await (await financeAs(h, BATCH_BUILDER)).get(`/v1/approvals/${batch.approval!.id}`)).body.status).toBe('pending');
    await (await financeAs(h, BATCH_RELEASER)).post(`/v1/approvals/${batch.approval!.id}/reject`, { note: 'provider suspended' });
    await suspend(t, 'active');
  });
});

describe('one unpayable line never blocks a batch', () => {
  it('when one provider\'s payee data cannot be written to a payment file, then its line is left out with the reason and the rest goes', async () => {
    await drain();
    const bad = await tenantWithApprovedClaim(h);
    const good = await tenantWithApprovedClaim(h);
    // Payee data from before registration checked it: longer than any bank file takes.
    await q(`update providers set legal_name = $2 where id = $1`, [bad.world.providerId, 'L'.repeat(180)]);
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect(batch.lines.map((l) => l.providerId)).toEqual([good.world.providerId]);
    expect(batch.excluded).toEqual([
      expect.objectContaining({ providerId: bad.world.providerId, claims: 1, amount: bad.claimAmount, reason: 'payment_file_invalid', problems: [expect.stringMatching(/creditorName/)] }),
    ]);
    const released = await releaseBatch(h, batch);
    const file = await (await financeAs(h, BATCH_BUILDER)).get(`/v1/disbursement-batches/${released.id}/payment-file?format=csv`);
    expect(file.status).toBe(200);
    expect(file.text).not.toContain('L'.repeat(141));
    const claim = await q<{ status: string }>(`select status from claims where id = $1`, [bad.claimId]);
    expect(claim[0]!.status).toBe('approved');
  });
});
