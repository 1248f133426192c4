/**
 * Found by payout.property.test.ts: a paid claim becomes a recovery, and
 * then the bank returns the payment that paid it. Each test is the smallest
 * sequence that shows one way the books go wrong.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { booked, csv, recoveryWorld } from './recovery-world.js';

const h = useHarness({ poolSize: 10 });
/** Each test has a provider of its own, so what one leaves in the books does not hide or add to another's. */
let w: Awaited<ReturnType<typeof recoveryWorld>>;

beforeEach(async () => {
  w = await recoveryWorld(h);
});

const q = async <T = Record<string, string>>(text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as T[];
const decimal = (minor: string) => (Number(minor) / 100).toFixed(2);

/** The provider's receivable: what it owes back (debits posted less credits posted); below zero, what the service owes it back. */
const receivableOwed = async () =>
  BigInt((await q(`select (b.debits_posted - b.credits_posted)::text owed from provider_receivables r join ledger_balances b on b.id = r.account_id where r.provider_id = $1`, [w.world.providerId]))[0]?.owed ?? '0');
/** The provider's payable: what the service owes it (credits posted less debits posted and pending). */
const payableOwed = async () =>
  BigInt((await q(`select (b.credits_posted - b.debits_posted - b.debits_pending)::text owed from provider_payables p join ledger_balances b on b.id = p.account_id where p.provider_id = $1`, [w.world.providerId]))[0]?.owed ?? '0');
/** Approved claims of the provider not yet with the bank: what the payable should hold. */
const approvedUnsent = async () =>
  BigInt((await q<{ s: string }>(`select coalesce(sum(c.amount_claimed), 0)::text s from claims c where c.provider_id = $1 and c.status = 'approved'
     and not exists (select 1 from payment_line_claims plc join payment_lines l on l.id = plc.line_id where plc.claim_id = c.id and plc.live = 1 and l.status = 'pending')`, [w.world.providerId]))[0]!.s);

/** Pays every approved claim of the world's scheme: a batch by two officers, every line settled by the bank. Returns the provider's line. */
async function payAll() {
  const batch = await releasedBatch(h, { currency: 'SGD', schemeId: w.world.scheme.id });
  const lines = batch.lines.filter((l) => l.status === 'pending');
  if (lines.length > 0) expect((await w.statement(csv(...lines.map((l) => booked(l.endToEndId, decimal(l.amount), 'DBIT'))))).status).toBe(201);
  return batch.lines.find((l) => l.providerId === w.world.providerId)!;
}

/** A claim of `fee`, paid, then reversed into a recovery; with the line that paid it. */
async function recoveredClaim(fee: string) {
  const c = await w.approvedClaim(fee);
  const line = await payAll();
  expect(line.amount).toBe(fee);
  const res = await w.reverse(c.claimId);
  expect(res.status, res.text).toBe(200);
  return { claim: c, line, recovery: res.body.recovery as { id: string; reference: string } };
}

/** Releases a batch that repays what the service owes the provider, has the bank pay it, and returns the provider's line. */
async function repaid(expected: string) {
  const line = await payAll();
  expect(line.amount).toBe(expected);
  return line;
}

const recoveryOf = async (id: string) => (await w.officer.get(`/v1/recoveries/${id}`)).body;

describe('a paid line carrying a claim since recovered is returned by the bank', () => {
  it('when the return and a refund of that recovery are on one statement, then the recovery is cancelled by the return and the refund is repaid on the next line', async () => {
    const { line, recovery } = await recoveredClaim('30000');
    const res = await w.statement(csv(booked(line.endToEndId, '300.00', 'CRDT', 'return'), booked(recovery.reference, '300.00', 'CRDT')));
    expect(res.status, res.text).toBe(201);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    // The provider never had the 30000 (the bank took it back) and refunded 30000 anyway: the service owes it 30000.
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'over_recovered', outstanding: '-30000', cancelledByReturn: '30000', refunded: '30000' });
    expect(await receivableOwed()).toBe(-30_000n);
    expect(await payableOwed()).toBe(await approvedUnsent());
    // With no claim of its own, the provider still gets a line: the repayment.
    await repaid('30000');
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'recovered', outstanding: '0', repaid: '30000', repaymentInFlight: '0' });
    expect(await receivableOwed()).toBe(0n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the provider has already refunded the recovery, then the return leaves nothing stuck: the refund is repaid on the next line', async () => {
    const { line, recovery } = await recoveredClaim('20000');
    expect((await w.statement(csv(booked(recovery.reference, '200.00', 'CRDT')))).body).toMatchObject({ refunded: 1 });
    expect((await w.statement(csv(booked(line.endToEndId, '200.00', 'CRDT', 'return')))).body).toMatchObject({ returned: 1 });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    expect(await payableOwed()).toBe(await approvedUnsent());
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'over_recovered', outstanding: '-20000' });
    await w.approvedClaim('10000');
    const next = await repaid('30000');
    const remittance = (await w.officer.get(`/v1/disbursement-batches/${(await q<{ batch_id: string }>(`select batch_id from payment_lines where id = $1`, [next.id]))[0]!.batch_id}/payment-file?format=csv`)).text;
    expect(remittance).toMatch(/claims SGD 100\.00 plus repayment SGD 200\.00/);
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'recovered', outstanding: '0' });
    expect(await payableOwed()).toBe(await approvedUnsent());
  });

  it('when the recovery is being netted on a line still with the bank, then after the return the provider is paid in full for its claims', async () => {
    const { line, recovery } = await recoveredClaim('30000');
    await w.approvedClaim('50000');
    const next = await releasedBatch(h, { currency: 'SGD', schemeId: w.world.scheme.id });
    const nextLine = next.lines.find((l) => l.providerId === w.world.providerId)!;
    expect(nextLine.amount).toBe('20000');
    expect((await w.statement(csv(booked(line.endToEndId, '300.00', 'CRDT', 'return')))).body).toMatchObject({ returned: 1 });
    expect((await w.statement(csv(booked(nextLine.endToEndId, '200.00', 'DBIT')))).body).toMatchObject({ settled: 1 });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    expect(await payableOwed()).toBe(await approvedUnsent());
    // The 30000 netted from the 50000 claim was for a payment the provider never kept: it is owed back, and repaid.
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'over_recovered', outstanding: '-30000', netted: '30000', cancelledByReturn: '30000' });
    await repaid('30000');
    expect(await recoveryOf(recovery.id)).toMatchObject({ status: 'recovered', outstanding: '0' });
    expect(await receivableOwed()).toBe(0n);
  });

  it('when nothing else has settled the recovery, then the return settles it and the recovery says so', async () => {
    const { line, recovery } = await recoveredClaim('25000');
    expect((await w.statement(csv(booked(line.endToEndId, '250.00', 'CRDT', 'return')))).body).toMatchObject({ returned: 1 });
    expect(await receivableOwed()).toBe(0n);
    expect(await payableOwed()).toBe(await approvedUnsent());
    expect(await recoveryOf(recovery.id)).toMatchObject({ outstanding: '0', nettingInFlight: '0', cancelledByReturn: '25000', status: 'recovered' });
  });
});
