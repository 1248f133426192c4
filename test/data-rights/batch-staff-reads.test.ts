import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { incentiveWorld, SG_BANK } from '../incentives/incentive-world.js';
import { financeAs, proposedBatch, releaseBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { sessionFor } from '../web/web-support.js';

const h = useHarness({ poolSize: 20 });
const w = perFile(() => incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' }), async () => {});

interface Read { operation: string; purpose: string; readerSubject: string; readerRole: string; requestId: string | null }

/** The name the catalogue's learners are registered with: their payee account must be in it. */
const NAME = 'Tan Ah Kow';

/** A learner whose completion incentive is owed and payable to their own bank account: it goes in the next batch, in their name. */
async function learnerOwedIncentive() {
  const e = await w.completed();
  const payee = await e.me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: NAME, bank: SG_BANK });
  expect(payee.status, payee.text).toBe(200);
  expect((await e.me.post(`/v1/enrolments/${e.enrolmentId}/rating`, { stars: 5, comment: 'Clear.' })).status).toBe(201);
  return e;
}

/** What the learner sees in their data-access log. */
async function readsSeenBy(e: Awaited<ReturnType<typeof learnerOwedIncentive>>): Promise<Read[]> {
  const res = await e.me.get('/v1/learners/me/data-access-log?limit=100');
  expect(res.status, res.text).toBe(200);
  return res.body.items as Read[];
}

/** Every staff read recorded in one request, whoever it is of. */
async function readsInRequest(requestId: string) {
  const r = await h.database.pool.query(`select learner_id, operation from staff_data_reads where request_id = $1 order by learner_id`, [requestId]);
  return r.rows as { learner_id: string; operation: string }[];
}

const requestIdOf = (res: { headers: Record<string, string | undefined> }) => res.headers['x-request-id']!;
/** A second later, so reads list newest first in a known order. */
const later = () => h.clock.advance(1000);

describe('staff reads of the names a disbursement batch pays', () => {
  it('when a finance officer reads a batch with learner incentive lines, then each learner it pays sees one read per request, and the provider lines record none', async () => {
    const tan = await learnerOwedIncentive();
    const lim = await learnerOwedIncentive();
    const proposed = await proposedBatch(h, { currency: 'SGD' }, 'officer-proposes-reads');
    const lines = proposed.lines as unknown as { payeeKind: string; learnerId: string | null; creditorName: string }[];
    expect(lines.filter((l) => l.payeeKind === 'provider').length).toBeGreaterThan(0);
    const paid = lines.filter((l) => l.payeeKind === 'learner').map((l) => l.learnerId!).sort();
    expect(paid).toEqual(expect.arrayContaining([tan.learner.id, lim.learner.id]));
    expect(lines.find((l) => l.learnerId === tan.learner.id)!.creditorName).toBe(NAME);

    const reader = financeAs(h, 'officer-reads-batch');
    const first = await reader.get(`/v1/disbursement-batches/${proposed.id}`);
    later();
    const second = await reader.get(`/v1/disbursement-batches/${proposed.id}`);
    expect(first.status, first.text).toBe(200);
    // One read of each learner the batch pays, in each request; nothing for the providers' lines.
    for (const res of [first, second]) {
      expect(await readsInRequest(requestIdOf(res))).toEqual(paid.map((learner_id) => ({ learner_id, operation: 'getDisbursementBatch' })));
    }

    for (const e of [tan, lim]) {
      const reads = (await readsSeenBy(e)).filter((r) => r.readerSubject === 'officer-reads-batch');
      expect(reads).toEqual([second, first].map((res) => ({
        id: expect.any(String), at: expect.any(String), operation: 'getDisbursementBatch', readerSubject: 'officer-reads-batch', readerRole: 'finance',
        purpose: 'reviewing a disbursement batch that pays the learner an incentive', requestId: requestIdOf(res),
      })));
      // The officer who proposed it saw their names in the answer too.
      expect((await readsSeenBy(e)).filter((r) => r.readerSubject === 'officer-proposes-reads').map((r) => r.operation)).toEqual(['createDisbursementBatch']);
    }
  });

  it('when a finance officer downloads the payment file as pain.001 or CSV, then each learner it pays sees one read of it', async () => {
    const e = await learnerOwedIncentive();
    const batch = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
    const reader = financeAs(h, 'officer-downloads-file');
    const xml = await reader.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`);
    later();
    const csv = await reader.get(`/v1/disbursement-batches/${batch.id}/payment-file?format=csv`);
    expect(xml.status, xml.text).toBe(200);
    expect(csv.text).toContain(NAME);

    const learners = (batch.lines as unknown as { learnerId: string | null }[]).flatMap((l) => (l.learnerId ? [l.learnerId] : [])).sort();
    for (const res of [xml, csv]) {
      expect(await readsInRequest(requestIdOf(res))).toEqual(learners.map((learner_id) => ({ learner_id, operation: 'getPaymentFile' })));
    }
    const reads = (await readsSeenBy(e)).filter((r) => r.readerSubject === 'officer-downloads-file');
    expect(reads.map((r) => [r.operation, r.requestId])).toEqual([['getPaymentFile', requestIdOf(csv)], ['getPaymentFile', requestIdOf(xml)]]);
    expect(reads[0]!.purpose).toBe('sending the bank the payment file that pays the learner an incentive');
  });

  it('when a finance officer opens the batch page or downloads its files there, then the learner sees a read by that page', async () => {
    const e = await learnerOwedIncentive();
    const batch = await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
    const browser = await sessionFor(h, { role: 'finance', subject: 'oidc:officer-on-pages' });
    const page = await request(h.app).get(`/finance/batches/${batch.id}`).set('Cookie', browser.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain(NAME);
    later();
    const csv = await request(h.app).get(`/finance/batches/${batch.id}/payment.csv`).set('Cookie', browser.cookie);
    later();
    const xml = await request(h.app).get(`/finance/batches/${batch.id}/pain.001`).set('Cookie', browser.cookie);
    expect(csv.status).toBe(200);
    expect(xml.status).toBe(200);

    const reads = (await readsSeenBy(e)).filter((r) => r.readerSubject === 'oidc:officer-on-pages');
    expect(reads.map((r) => [r.operation, r.requestId])).toEqual([
      ['page:finance.batch.pain.001', requestIdOf(xml)], ['page:finance.batch.csv', requestIdOf(csv)], ['page:finance.batch', requestIdOf(page)],
    ]);
    expect(reads[2]).toMatchObject({ readerRole: 'finance', purpose: 'reviewing a disbursement batch that pays the learner an incentive' });
    // The batch pays this one learner besides its providers: one read, of them.
    expect(await readsInRequest(requestIdOf(page))).toEqual([{ learner_id: e.learner.id, operation: 'page:finance.batch' }]);
  });

  it('when a batch pays providers only, then reading it records no staff read', async () => {
    await w.completed();
    const batch = await proposedBatch(h, { currency: 'SGD' });
    expect((batch.lines as unknown as { payeeKind: string }[]).every((l) => l.payeeKind === 'provider')).toBe(true);
    const res = await financeAs(h, 'officer-reads-providers').get(`/v1/disbursement-batches/${batch.id}`);
    expect(res.status).toBe(200);
    expect(await readsInRequest(requestIdOf(res))).toEqual([]);
  });
});
