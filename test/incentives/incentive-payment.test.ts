import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { camt053 } from '../reconciliation/camt053-fixture.js';
import { proposedBatch, releaseBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { schemaErrors, schemasAvailable } from '../support/iso20022.js';
import { perFile } from '../support/per-file.js';
import { incentiveWorld, SG_BANK } from './incentive-world.js';

const h = useHarness({ poolSize: 20 });
const w = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' }), async () => {});

const balanceOf = async (accountId: string) => {
  await h.ledger.foldDeltas(h.database.db);
  const b = (await h.ledger.balance(h.database.db, accountId))!;
  return b.creditsPosted - b.debitsPosted - b.debitsPending;
};

describe('a completion incentive, end to end', () => {
  it('when the claim is approved and the learner rates the course, then the incentive is paid in the same payment file as the provider, settled by camt.053, and the learner sees it paid', async () => {
    const e = await w.completed();
    // The scheme asks for a rating first: an approved claim alone earns nothing yet.
    expect(await w.incentivesOf(e.learner.token)).toEqual([]);

    const payee = await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'TAN Ah-Kow', bank: SG_BANK });
    expect(payee.status, payee.text).toBe(200);
    expect(payee.body.active).toMatchObject({ kind: 'bank', status: 'active', masked: 'account ending 9012' });
    expect(payee.text).not.toContain(SG_BANK.accountNumber);

    const rated = await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 5, comment: 'Practical and clear.' });
    expect(rated.status, rated.text).toBe(201);
    const [accrued] = await w.incentivesOf(e.learner.token);
    expect(accrued).toMatchObject({ enrolmentId: e.enrolmentId, amount: '5000', currency: 'SGD', status: 'accrued' });

    const proposed = await proposedBatch(h, { currency: 'SGD' });
    const lines = proposed.lines as unknown as { payeeKind: string; providerId: string | null; learnerId: string | null; endToEndId: string; amount: string }[];
    const learnerLine = lines.find((l) => l.learnerId === e.learner.id)!;
    const providerLine = lines.find((l) => l.providerId === w.world.providerId)!;
    expect(learnerLine).toMatchObject({ payeeKind: 'learner', providerId: null, amount: '5000' });
    expect(learnerLine.endToEndId).toMatch(/^LI[0-9a-f]{32}$/);
    expect(providerLine).toMatchObject({ payeeKind: 'provider', learnerId: null });
    expect(providerLine.endToEndId).toMatch(/^LC/);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('in_batch');
    const batch = await releaseBatch(h, proposed);

    const xml = await w.fin.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`);
    expect(xml.status).toBe(200);
    if (schemasAvailable) expect(await schemaErrors('pain001', xml.text)).toEqual([]);
    const doc = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml.text);
    const txs = [doc.Document.CstmrCdtTrfInitn.PmtInf.CdtTrfTxInf].flat() as { PmtId: { EndToEndId: string }; Amt: { InstdAmt: { '#text': string } }; Cdtr: { Nm: string }; RmtInf: { Ustrd: string } }[];
    expect(txs.map((t) => t.PmtId.EndToEndId).sort()).toEqual(lines.map((l) => l.endToEndId).sort());
    const learnerTx = txs.find((t) => t.PmtId.EndToEndId === learnerLine.endToEndId)!;
    expect(learnerTx).toMatchObject({ Amt: { InstdAmt: { '#text': '50.00' } }, Cdtr: { Nm: 'TAN Ah-Kow' } });
    expect(learnerTx.RmtInf.Ustrd).toContain('completion incentive');
    const csv = await w.fin.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=csv`);
    expect(csv.text).toContain(learnerLine.endToEndId);
    expect(csv.text).toContain(providerLine.endToEndId);

    const statement = camt053({ entries: lines.map((l) => ({ amount: BigInt(l.amount), direction: 'DBIT' as const, endToEndId: l.endToEndId })) });
    if (schemasAvailable) expect(await schemaErrors('camt053', statement)).toEqual([]);
    const imported = await w.fin.statement(statement);
    expect(imported.status, imported.text).toBe(201);
    expect(imported.body).toMatchObject({ settled: lines.length, exceptions: 0 });

    const [paid] = await w.incentivesOf(e.learner.token);
    expect(paid).toMatchObject({ status: 'paid' });
    expect(paid!.paidAt).not.toBeNull();
    expect((await w.fin.get(`/v1/claims/${e.claim.id}`)).body.status).toBe('paid');
    expect((await w.fin.get(`/v1/disbursement-batches/${batch.id}`)).body.status).toBe('settled');
    const payable = (await h.database.pool.query(`select account_id from learner_payables where learner_id = $1`, [e.learner.id])).rows[0].account_id;
    expect(await balanceOf(payable)).toBe(0n);
    const budget = (await h.database.pool.query(`select account_id from scheme_incentive_budgets where scheme_id = $1`, [w.world.scheme.id])).rows[0].account_id;
    expect(await balanceOf(budget)).toBe(95000n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    const trial = await w.fin.get('/v1/reports/trial-balance');
    expect(trial.status).toBe(200);
    const sgd = trial.body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
    expect(sgd.balanced).toBe(true);
    // The incentive's own accounts are in the trial balance beside the providers'.
    expect(sgd.accountKinds.map((k: { kind: string }) => k.kind)).toEqual(expect.arrayContaining(['incentive_budget', 'learner_payable', 'provider_payable']));
  });

  it('when the bank returns a learner line, then the money is owed to the learner again, they see it returned, and the next batch pays it', async () => {
    const e = await w.completed();
    expect((await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: 'Tan Ah Kow', bank: SG_BANK })).status).toBe(200);
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 3 })).status).toBe(201);
    const batch = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
    const line = (batch.lines as unknown as { learnerId: string | null; endToEndId: string; amount: string }[]).find((l) => l.learnerId === e.learner.id)!;
    const statement = camt053({
      id: 'STMT-RETURN',
      entries: [
        { amount: 5000n, direction: 'DBIT', endToEndId: line.endToEndId },
        { amount: 5000n, direction: 'CRDT', subFamily: 'RRTN', endToEndId: line.endToEndId, returnReason: 'AC04' },
      ],
    });
    const imported = await w.fin.statement(statement);
    expect(imported.status, imported.text).toBe(201);
    expect(imported.body).toMatchObject({ returned: 1 });
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('returned');
    const payable = (await h.database.pool.query(`select account_id from learner_payables where learner_id = $1`, [e.learner.id])).rows[0].account_id;
    expect(await balanceOf(payable)).toBe(5000n);

    const next = await proposedBatch(h, { currency: 'SGD' });
    expect((next.lines as unknown as { learnerId: string | null; amount: string }[]).filter((l) => l.learnerId === e.learner.id)).toMatchObject([{ amount: '5000' }]);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('in_batch');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a learner has no payee account, then their incentive stays out of the batch, held with its reason', async () => {
    const e = await w.completed();
    expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 4 })).status).toBe(201);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('held:no_payee_account');
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect((batch.lines as unknown as { learnerId: string | null }[]).some((l) => l.learnerId === e.learner.id)).toBe(false);
    expect((await w.incentivesOf(e.learner.token))[0]!.status).toBe('held:no_payee_account');
    // Reject it, so the claims it set aside are free for the other tests' batches.
    const officer2 = await h.token('finance', { sub: 'officer-2' });
    const rejected = await w.as(officer2).post(`/v1/approvals/${batch.approval!.id}/reject`, { note: 'test' });
    expect(rejected.status, rejected.text).toBe(200);
  });
});
