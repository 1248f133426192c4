import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { runMaintenance } from '../../src/maintenance.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { approvedClaimIn, HOUR, usePaymentWorld } from '../claims/credential-fixtures.js';

const h = useHarness({ poolSize: 20 });
const pay = usePaymentWorld(h, { financeSub: 'officer-f' });

/** Enrol, finish the run, claim with a valid credential: an approved claim. */
const approvedClaim = async (amount?: string) => (await approvedClaimIn(h, pay.world, pay.signer, amount ? { amount } : {})).claim;

const asFinance = () => ({
  post: (path: string, body: unknown) =>
    request(h.app).post(path).set('authorization', `Bearer ${pay.finance}`).set('idempotency-key', randomUUID()).send(body as object),
  statement: (csv: string) =>
    request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${pay.finance}`).set('idempotency-key', randomUUID()).type('text/csv').send(csv),
  get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${pay.finance}`),
});

/** A bank statement CSV; every line booked (status BOOK) unless it says otherwise. */
const statementCsv = (rows: [string, string, string, 'DBIT' | 'CRDT', 'payment' | 'return', ('BOOK' | 'PDNG' | 'INFO')?][]) =>
  ['booking_date,end_to_end_id,amount,currency,direction,type,status', ...rows.map(([ref, amount, ccy, dir, type, status]) => `2027-03-01,${ref},${amount},${ccy},${dir},${type},${status ?? 'BOOK'}`)].join('\n');

const newBatch = () => releasedBatch(h, { currency: 'SGD' });

describe('the disbursement cycle', () => {
  it('when claims are batched, paid by the bank and reconciled, then claims are paid, the payable is empty and the ledger balances', async () => {
    const a = await approvedClaim();
    const b = await approvedClaim('20000');
    const batch = await newBatch();
    expect(batch.lines).toHaveLength(1);
    expect(batch.lines[0]).toMatchObject({ providerId: pay.world.providerId, amount: '50000' });
    expect(batch.controlSum).toBe('50000');

    // A claim is in at most one live batch.
    const again = await asFinance().post('/v1/disbursement-batches', { currency: 'SGD', cutOff: h.clock.now().toISOString() });
    expect(again.status).toBe(422);

    const xml = await asFinance().get(`/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`);
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toMatch(/application\/xml/);
    const doc = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml.text);
    const init = doc.Document.CstmrCdtTrfInitn;
    expect(init.GrpHdr.NbOfTxs).toBe('1');
    expect(init.GrpHdr.CtrlSum).toBe('500.00');
    const tx = [init.PmtInf.CdtTrfTxInf].flat()[0];
    expect(tx.PmtId.EndToEndId).toBe(batch.lines[0]!.endToEndId);
    expect(tx.Amt.InstdAmt['#text']).toBe('500.00');
    const csv = await asFinance().get(`/v1/disbursement-batches/${batch.id}/payment-file?format=csv`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text).toContain(batch.lines[0]!.endToEndId);

    const imported = await asFinance().statement(statementCsv([[batch.lines[0]!.endToEndId, '500.00', 'SGD', 'DBIT', 'payment']]));
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ lines: 1, settled: 1, exceptions: 0 });
    for (const c of [a, b]) expect((await asFinance().get(`/v1/claims/${c.id}`)).body.status).toBe('paid');
    expect((await asFinance().get(`/v1/disbursement-batches/${batch.id}`)).body.status).toBe('settled');
    await h.ledger.foldDeltas(h.database.db);
    const payable = (await h.database.pool.query(`select account_id from provider_payables where provider_id = $1`, [pay.world.providerId])).rows[0].account_id;
    const balance = (await h.ledger.balance(h.database.db, payable))!;
    expect(balance.creditsPosted - balance.debitsPosted - balance.debitsPending).toBe(0n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    // The same statement again changes nothing.
    const replay = await asFinance().statement(statementCsv([[batch.lines[0]!.endToEndId, '500.00', 'SGD', 'DBIT', 'payment']]));
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, statementId: imported.body.statementId });
    expect((await h.database.pool.query(`select count(*)::int n from bank_statements`)).rows[0].n).toBe(1);
  });

  it('when a statement carries every kind of mismatch, then each is an exception of its kind and nothing else moves', async () => {
    await approvedClaim();
    const batch = await newBatch();
    const ref = batch.lines[0]!.endToEndId;
    const res = await asFinance().statement(statementCsv([
      [ref, '299.99', 'SGD', 'DBIT', 'payment'],
      ['LCunknownreference000000000000000000', '10.00', 'SGD', 'DBIT', 'payment'],
      [ref, '300.00', 'SGD', 'DBIT', 'payment'],
      [ref, '300.00', 'SGD', 'DBIT', 'payment'],
    ]));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ lines: 4, settled: 1, exceptions: 3 });
    const kinds = (await asFinance().get('/v1/reconciliation-exceptions?status=open')).body.items
      .filter((e: { statementLineId: string | null }) => e.statementLineId)
      .map((e: { kind: string }) => e.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['amount_differs', 'duplicate', 'unknown_reference']));
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    const open = (await asFinance().get('/v1/reconciliation-exceptions?status=open&kind=unknown_reference')).body.items[0];
    const resolved = await asFinance().post(`/v1/reconciliation-exceptions/${open.id}/resolve`, { resolution: 'bank fee line, booked separately' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedBy: 'officer-f' });
  });

  it('when the bank returns a payment, then the transfer is voided, the claims are payable again and the next batch pays them', async () => {
    const c = await approvedClaim();
    const batch = await newBatch();
    const ref = batch.lines[0]!.endToEndId;
    const res = await asFinance().statement(statementCsv([[ref, '300.00', 'SGD', 'CRDT', 'return']]));
    expect(res.body).toMatchObject({ returned: 1 });
    expect((await asFinance().get(`/v1/claims/${c.id}`)).body.status).toBe('approved');
    expect((await asFinance().get('/v1/reconciliation-exceptions?kind=returned_payment')).body.items.length).toBeGreaterThan(0);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    const next = await newBatch();
    expect(next.lines[0]).toMatchObject({ amount: '30000' });
    expect(next.lines[0]!.endToEndId).not.toBe(ref);
    await asFinance().statement(statementCsv([[next.lines[0]!.endToEndId, '300.00', 'SGD', 'DBIT', 'payment']]));
    expect((await asFinance().get(`/v1/claims/${c.id}`)).body.status).toBe('paid');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a settled payment is returned later, then it is reversed from clearing back to the payable', async () => {
    const c = await approvedClaim();
    const batch = await newBatch();
    const ref = batch.lines[0]!.endToEndId;
    await asFinance().statement(statementCsv([[ref, '300.00', 'SGD', 'DBIT', 'payment']]));
    expect((await asFinance().get(`/v1/claims/${c.id}`)).body.status).toBe('paid');
    const back = await asFinance().statement(statementCsv([[ref, '300.00', 'SGD', 'CRDT', 'return']]));
    expect(back.body).toMatchObject({ returned: 1 });
    expect((await asFinance().get(`/v1/claims/${c.id}`)).body.status).toBe('approved');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the bank does not report a line within the set days, then one not_seen exception is raised', async () => {
    await approvedClaim();
    const batch = await newBatch();
    h.clock.advance(6 * 24 * HOUR);
    await runMaintenance(h.deps);
    await runMaintenance(h.deps);
    const notSeen = (await asFinance().get('/v1/reconciliation-exceptions?kind=not_seen')).body.items
      .filter((e: { paymentLineId: string }) => batch.lines.some((l) => l.id === e.paymentLineId));
    expect(notSeen).toHaveLength(batch.lines.length);
    const ids = notSeen.map((e: { paymentLineId: string }) => e.paymentLineId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when a statement line is malformed, then 422 names the line and nothing is imported', async () => {
    const before = (await h.database.pool.query(`select count(*)::int n from bank_statements`)).rows[0].n;
    const res = await asFinance().statement('booking_date,end_to_end_id,amount,currency,direction,type,status\n2027-03-01,LCx,12.345,SGD,DBIT,payment,BOOK');
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.errors)).toMatch(/line 2/);
    expect((await h.database.pool.query(`select count(*)::int n from bank_statements`)).rows[0].n).toBe(before);
  });
});
