import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { proposedBatch, releaseBatch, releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { booked, csv, recoveryWorld } from './recovery-world.js';

const h = useHarness({ poolSize: 20 });
let w: Awaited<ReturnType<typeof recoveryWorld>>;

beforeAll(async () => {
  w = await recoveryWorld(h);
});

const q = async <T = Record<string, string>>(text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as T[];
const available = async (token: string) => (await w.citizen(token).get('/v1/me/account')).body.totals[0];
const claimOf = async (id: string) => (await w.officer.get(`/v1/claims/${id}`)).body;
const decimal = (minor: string) => (Number(minor) / 100).toFixed(2);

async function expectBooksBalance() {
  expect(await ledgerViolations(h.database.db)).toEqual([]);
  const tb = (await w.officer.get('/v1/reports/trial-balance')).body;
  expect(tb.currencies.every((c: { balanced: boolean }) => c.balanced)).toBe(true);
  const schemes = (await w.officer.get('/v1/reports/schemes')).body;
  expect(schemes.schemes.filter((s: { tiesOut: boolean }) => !s.tiesOut)).toEqual([]);
}

/** Releases a batch of whatever is payable and settles every line the bank is paying. */
async function payEverything() {
  const open = await q(`select 1 from claims c where c.status = 'approved' and not c.on_hold and not exists (select 1 from payment_line_claims p where p.claim_id = c.id and p.live = 1)`);
  if (open.length === 0) return;
  const batch = await releasedBatch(h, { currency: 'SGD' });
  const lines = batch.lines.filter((l) => l.status === 'pending');
  if (lines.length > 0) {
    const res = await w.statement(csv(...lines.map((l) => booked(l.endToEndId, decimal(l.amount), 'DBIT'))));
    expect(res.status, res.text).toBe(201);
  }
}

describe('POST /v1/claims/{claimId}/reversal on an approved, unpaid claim (clawback)', () => {
  it('when finance reverses it with a reason code, then the money goes back to the learner, who sees why in plain words', async () => {
    const c = await w.approvedClaim('30000');
    const before = await available(c.learner.token);
    const res = await w.reverse(c.claimId, 'fraud', 'the provider invented the attendance sheet');
    expect(res.status, res.text).toBe(200);
    expect(res.body.claim).toMatchObject({ status: 'reversed', reversalReasonCode: 'fraud', reversalReason: 'the provider invented the attendance sheet' });
    expect(res.body.recovery).toBeUndefined();
    const after = await available(c.learner.token);
    expect(BigInt(after.available) - BigInt(before.available)).toBe(30_000n);
    const tx = (await w.citizen(c.learner.token).get('/v1/me/transactions')).body.items;
    expect(tx[0]).toMatchObject({ code: 'claim_reversal', direction: 'credit', amount: '30000' });
    expect(tx[0].description).toMatch(/returned to your credit/);
    expect(tx[0].description).toMatch(/Data Analytics Fundamentals/);
    // It is never paid now.
    const next = await w.officer.post('/v1/disbursement-batches', { currency: 'SGD', cutOff: h.clock.now().toISOString() });
    if (next.status === 201) expect(next.body.lines.flatMap((l: { providerId: string }) => l.providerId)).not.toContain(w.world.providerId);
    if (next.status === 201) await w.second.post(`/v1/approvals/${next.body.approval.id}/reject`, { note: 'only a probe' });
    await expectBooksBalance();
  });

  it('when the grant has closed since, then the money goes back to the scheme instead', async () => {
    const c = await w.approvedClaim('20000');
    await q(`update grants set expires_at = $2 where learner_id = $1`, [c.learner.id, new Date(h.clock.now().getTime() - 1000).toISOString()]);
    const budgetBefore = (await q(`select s.budget_account_id id from schemes s where s.id = $1`, [w.world.scheme.id]))[0]!.id;
    const creditsBefore = (await q(`select credits_posted::text c from ledger_accounts where id = $1`, [budgetBefore]))[0]!.c;
    const res = await w.reverse(c.claimId);
    expect(res.status, res.text).toBe(200);
    const creditsAfter = (await q(`select credits_posted::text c from ledger_accounts where id = $1`, [budgetBefore]))[0]!.c;
    expect(BigInt(creditsAfter!) - BigInt(creditsBefore!)).toBe(20_000n);
    await expectBooksBalance();
  });

  it('when the claim is in a proposed or released batch, then 409 says what to do and nothing moves', async () => {
    const c = await w.approvedClaim('10000');
    const proposed = await proposedBatch(h, { currency: 'SGD' });
    const inProposal = await w.reverse(c.claimId);
    expect(inProposal.status).toBe(409);
    expect(inProposal.body.detail).toMatch(/reject that batch first/);
    const released = await releaseBatch(h, proposed);
    const inFlight = await w.reverse(c.claimId);
    expect(inFlight.status).toBe(409);
    expect(inFlight.body.detail).toMatch(/on its way to the bank/);
    expect((await claimOf(c.claimId)).status).toBe('approved');
    const line = released.lines.find((l) => l.providerId === w.world.providerId)!;
    expect((await w.statement(csv(booked(line.endToEndId, decimal(line.amount), 'DBIT')))).status).toBe(201);
  });

  it('when a clawback is above the four-eyes amount, then it is proposed and only a second officer carries it out', async () => {
    const c = await w.approvedClaim('150000');
    const proposed = await w.reverse(c.claimId);
    expect(proposed.status, proposed.text).toBe(202);
    const self = await w.officer.post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('four_eyes_required');
    expect((await claimOf(c.claimId)).status).toBe('approved');
    const done = await w.second.post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(done.status, done.text).toBe(200);
    expect((await claimOf(c.claimId)).status).toBe('reversed');
    const [event] = await q<{ details: Record<string, string> }>(`select details from audit_events where entity_id = $1 and action = 'claim.clawed_back'`, [c.claimId]);
    expect(event!.details).toMatchObject({ proposedBy: 'officer-recovers', approvedBy: 'officer-second', reasonCode: 'no_completion' });
    await expectBooksBalance();
  });
});

describe('a paid claim found wrong becomes a recovery, netted against the next payment', () => {
  it('when a paid claim of 30000 is recovered and the next batch has 50000 of claims, then the line pays 20000 and both files show the deduction', async () => {
    await payEverything();
    const paid = await w.approvedClaim('30000');
    await payEverything();
    expect((await claimOf(paid.claimId)).status).toBe('paid');
    const creditBefore = BigInt((await available(paid.learner.token)).available);

    const res = await w.reverse(paid.claimId, 'credential_revoked', 'the exam result was annulled');
    expect(res.status, res.text).toBe(200);
    expect(res.body.recovery).toMatchObject({ amount: '30000', outstanding: '30000', status: 'open', reasonCode: 'credential_revoked' });
    expect(res.body.recovery.reference).toMatch(/^LCR[0-9a-f]{32}$/);
    expect(BigInt((await available(paid.learner.token)).available) - creditBefore).toBe(30_000n);

    await w.approvedClaim('30000');
    await w.approvedClaim('20000');
    const batch = await releasedBatch(h, { currency: 'SGD' });
    const line = batch.lines.find((l) => l.providerId === w.world.providerId)!;
    expect(line.amount).toBe('20000');
    const detail = (await q(`select claims_total::text, deducted::text from payment_lines where id = $1`, [line.id]))[0]!;
    expect(detail).toEqual({ claims_total: '50000', deducted: '30000' });
    const xml = (await w.officer.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`)).text;
    expect(xml).toContain('<InstdAmt Ccy="SGD">200.00</InstdAmt>');
    expect(xml).toMatch(/claims SGD 500\.00 less recovery SGD 300\.00/);
    const sheet = (await w.officer.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=csv`)).text;
    expect(sheet).toMatch(/claims SGD 500\.00 less recovery SGD 300\.00/);

    const settled = await w.statement(csv(booked(line.endToEndId, '200.00', 'DBIT')));
    expect(settled.body).toMatchObject({ settled: 1 });
    const recovery = (await w.officer.get(`/v1/recoveries/${res.body.recovery.id}`)).body;
    expect(recovery).toMatchObject({ status: 'recovered', outstanding: '0', netted: '30000', refunded: '0' });
    const payable = (await q(`select (a.credits_posted - a.debits_posted - a.debits_pending)::text owed from provider_payables p join ledger_accounts a on a.id = p.account_id where p.provider_id = $1`, [w.world.providerId]))[0]!;
    expect(payable.owed).toBe('0');
    await expectBooksBalance();
  });

  it('when a recovery is larger than the next batch, then the rest is carried forward and a refund on the statement settles it', async () => {
    await payEverything();
    const big = await w.approvedClaim('90000');
    await payEverything();
    const opened = (await w.reverse(big.claimId)).body.recovery;
    await w.approvedClaim('25000');
    const batch = await releasedBatch(h, { currency: 'SGD' });
    const line = batch.lines.find((l) => l.providerId === w.world.providerId)!;
    // Netted to nothing: no money goes to the bank, and the claims are paid by what the provider owed.
    expect(line).toMatchObject({ amount: '0', status: 'netted' });
    let recovery = (await w.officer.get(`/v1/recoveries/${opened.id}`)).body;
    expect(recovery).toMatchObject({ status: 'partially_recovered', netted: '25000', outstanding: '65000' });

    const refund = await w.statement(csv(booked(opened.reference, '650.00', 'CRDT')));
    expect(refund.status, refund.text).toBe(201);
    recovery = (await w.officer.get(`/v1/recoveries/${opened.id}`)).body;
    expect(recovery).toMatchObject({ status: 'recovered', outstanding: '0', refunded: '65000' });
    const receivable = (await q(`select (a.debits_posted - a.credits_posted)::text owed from provider_receivables r join ledger_accounts a on a.id = r.account_id where r.provider_id = $1`, [w.world.providerId]))[0]!;
    expect(receivable.owed).toBe('0');
    await expectBooksBalance();
  });

  it('when the bank returns a netted line, then the netting is undone and the recovery is outstanding again', async () => {
    await payEverything();
    const paid = await w.approvedClaim('30000');
    await payEverything();
    const opened = (await w.reverse(paid.claimId)).body.recovery;
    await w.approvedClaim('40000');
    const batch = await releasedBatch(h, { currency: 'SGD' });
    const line = batch.lines.find((l) => l.providerId === w.world.providerId)!;
    expect(line.amount).toBe('10000');
    const returned = await w.statement(csv(booked(line.endToEndId, '100.00', 'CRDT', 'return')));
    expect(returned.body).toMatchObject({ returned: 1 });
    expect((await w.officer.get(`/v1/recoveries/${opened.id}`)).body).toMatchObject({ outstanding: '30000', netted: '0', nettingInFlight: '0' });
    // The next batch nets it again.
    const again = await releasedBatch(h, { currency: 'SGD' });
    expect(again.lines.find((l) => l.providerId === w.world.providerId)!.amount).toBe('10000');
    await expectBooksBalance();
  });
});

describe('GET /v1/reports/recoveries', () => {
  it('when recoveries were netted and refunded, then the report agrees with every recovery, as JSON and CSV, and an earlier asOf shows only what existed then', async () => {
    const start = new Date(Date.UTC(2000, 0, 1)).toISOString();
    const report = (await w.officer.get('/v1/reports/recoveries')).body;
    const row = report.providers.find((p: { providerId: string }) => p.providerId === w.world.providerId);
    const recoveries = (await w.officer.get('/v1/recoveries?limit=200')).body.items.filter((r: { providerId: string }) => r.providerId === w.world.providerId);
    const sum = (k: string) => recoveries.reduce((t: bigint, r: Record<string, string>) => t + BigInt(r[k]!), 0n).toString();
    expect(row).toMatchObject({
      recoveries: recoveries.length, opened: sum('amount'), netted: sum('netted'), nettingInFlight: sum('nettingInFlight'), refunded: sum('refunded'), outstanding: sum('outstanding'),
    });
    expect(BigInt(row.refunded)).toBeGreaterThan(0n);
    expect(BigInt(row.netted)).toBeGreaterThan(0n);
    const csvText = (await w.officer.get(`/v1/reports/recoveries?format=csv&asOf=${encodeURIComponent(report.asOf)}`)).text;
    expect(csvText.split('\r\n')[0]).toBe('provider_id,legal_name,currency,recoveries,opened,netted,netting_in_flight,refunded,cancelled_by_return,repaid,outstanding,as_of');
    expect(csvText).toContain(`${w.world.providerId},`);
    expect((await w.officer.get(`/v1/reports/recoveries?asOf=${encodeURIComponent(start)}`)).body.providers).toEqual([]);
  });
});
