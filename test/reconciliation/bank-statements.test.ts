import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { CAMT053_NAMESPACE } from '../../src/modules/reconciliation/statement-camt053.js';
import { approvedClaimIn, HOUR, usePaymentWorld } from '../claims/credential-fixtures.js';
import { expectProblem } from '../http/expect-problem.js';
import { snapshotTables } from '../robustness/world.js';
import { releasedBatch, type ReleasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { schemaErrors, schemasAvailable, schemasMissingReason } from '../support/iso20022.js';
import { camt053, type CamtStatement } from './camt053-fixture.js';

/**
 * The bank's word is what counts: only a booked camt.053 entry (or CSV line)
 * moves money; the statement must be for the treasury's disbursement account
 * and its balances must add up. Every camt.053 sent here is first checked
 * against camt.053.001.08.xsd (where the schemas are present).
 */

const h = useHarness({ poolSize: 20 });
const pay = usePaymentWorld(h, { financeSub: 'officer-statements' });

if (!schemasAvailable) console.warn(`bank-statements.test.ts: ${schemasMissingReason}`);

/** Enrol, finish the run, claim with a valid credential: an approved claim of 300.00 SGD. */
const approvedClaim = async () => (await approvedClaimIn(h, pay.world, pay.signer)).claim;

/** One approved claim in a released batch: one payment line of 300.00 SGD, pending at the bank. */
async function pendingPayment(): Promise<{ claimId: string; batch: ReleasedBatch; ref: string }> {
  const claim = await approvedClaim();
  const batch = await releasedBatch(h, { currency: 'SGD' });
  expect(batch.lines).toHaveLength(1);
  expect(batch.lines[0]!.amount).toBe('30000');
  return { claimId: claim.id, batch, ref: batch.lines[0]!.endToEndId };
}

const post = (contentType: string, body: string) =>
  request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${pay.finance}`).set('idempotency-key', randomUUID()).type(contentType).send(body);

/** A schema-valid camt.053 (checked here), imported. */
async function importCamt(s: CamtStatement) {
  const xml = camt053(s);
  if (schemasAvailable) expect(await schemaErrors('camt053', xml)).toEqual([]);
  return post('application/xml', xml);
}

const get = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${pay.finance}`);
const claimStatus = async (id: string) => (await get(`/v1/claims/${id}`)).body.status as string;
const lineRow = async (ref: string) =>
  (await h.database.pool.query<{ status: string; transfer_state: string }>(
    `select l.status, t.state transfer_state from payment_lines l join ledger_transfers t on t.id = l.transfer_id where l.end_to_end_id = $1`, [ref])).rows[0]!;
const transferCount = async () => (await h.database.pool.query<{ n: number }>(`select count(*)::int n from ledger_transfers`)).rows[0]!.n;

async function expectLedgerSound() {
  await h.ledger.foldDeltas(h.database.db);
  expect(await ledgerViolations(h.database.db)).toEqual([]);
}

let statements = 0;
/** A statement id of its own (Max35Text). */
const sid = (label: string) => `${label}-${++statements}`;

const debit = (ref: string, over: Partial<CamtStatement['entries'][number]> = {}) => ({ amount: 30_000n, direction: 'DBIT' as const, endToEndId: ref, ...over });

describe('POST /v1/bank-statements (camt.053.001.08)', () => {
  it('when a BOOK entry pays the line, then it settles, the claim is paid and the statement shows the line settled', async () => {
    const p = await pendingPayment();
    const res = await importCamt({ id: sid('BOOK'), entries: [debit(p.ref)] });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ outcome: 'reconciled', lines: 1, settled: 1, returned: 0, pending: 0, info: 0, exceptions: 0 });
    expect(await claimStatus(p.claimId)).toBe('paid');
    expect(await lineRow(p.ref)).toEqual({ status: 'settled', transfer_state: 'posted' });
    expect((await get(`/v1/disbursement-batches/${p.batch.id}`)).body.status).toBe('settled');

    const shown = await get(`/v1/bank-statements/${res.body.statementId}`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.statement).toMatchObject({ format: 'camt.053', outcome: 'reconciled', account: '0720123456', currency: 'SGD', openingBalance: '100000000', closingBalance: '99970000', settled: 1 });
    expect(shown.body.items).toEqual([
      { lineNo: 1, endToEndId: p.ref, amount: '30000', currency: 'SGD', direction: 'debit', isReturn: false, entryStatus: 'BOOK', bookingDate: '2027-03-01', outcome: 'settled', paymentLineId: p.batch.lines[0]!.id },
    ]);
    await expectLedgerSound();
  });

  it('when the entry is PDNG, then it is recorded and shown as pending but moves no money and pays no claim', async () => {
    const p = await pendingPayment();
    const transfers = await transferCount();
    const res = await importCamt({ id: sid('PDNG'), entries: [debit(p.ref, { status: 'PDNG' })] });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ outcome: 'reconciled', lines: 1, settled: 0, pending: 1, info: 0, exceptions: 0 });
    expect(await claimStatus(p.claimId)).toBe('approved');
    expect(await lineRow(p.ref)).toEqual({ status: 'pending', transfer_state: 'pending' });
    expect(await transferCount()).toBe(transfers);
    const shown = await get(`/v1/bank-statements/${res.body.statementId}?outcome=pending`);
    expect(shown.body.items).toEqual([expect.objectContaining({ endToEndId: p.ref, entryStatus: 'PDNG', bookingDate: null, outcome: 'pending', paymentLineId: p.batch.lines[0]!.id })]);
    await expectLedgerSound();
  });

  it('when the entry is INFO, then it is recorded and shown as info but moves no money and pays no claim', async () => {
    const p = await pendingPayment();
    const transfers = await transferCount();
    const res = await importCamt({ id: sid('INFO'), entries: [debit(p.ref, { status: 'INFO', bookingDate: '2027-03-01' })] });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ settled: 0, pending: 0, info: 1, exceptions: 0 });
    expect(await claimStatus(p.claimId)).toBe('approved');
    expect(await lineRow(p.ref)).toEqual({ status: 'pending', transfer_state: 'pending' });
    expect(await transferCount()).toBe(transfers);
    expect((await get(`/v1/bank-statements/${res.body.statementId}`)).body.items[0]).toMatchObject({ entryStatus: 'INFO', outcome: 'info' });
    await expectLedgerSound();
  });

  it('when a PDNG entry is followed by a later statement with the BOOK entry, then the second one settles', async () => {
    const p = await pendingPayment();
    const first = await importCamt({ id: sid('DAY1'), entries: [debit(p.ref, { status: 'PDNG' })] });
    expect(first.body).toMatchObject({ settled: 0, pending: 1, exceptions: 0 });
    expect(await claimStatus(p.claimId)).toBe('approved');

    h.clock.advance(24 * HOUR);
    const second = await importCamt({ id: sid('DAY2'), date: '2027-03-02', entries: [debit(p.ref)] });
    expect(second.status, second.text).toBe(201);
    expect(second.body).toMatchObject({ settled: 1, pending: 0, exceptions: 0 });
    expect(await claimStatus(p.claimId)).toBe('paid');
    expect(await lineRow(p.ref)).toEqual({ status: 'settled', transfer_state: 'posted' });
    const open = (await get('/v1/reconciliation-exceptions?status=open')).body.items.filter((e: { paymentLineId: string | null }) => e.paymentLineId === p.batch.lines[0]!.id);
    expect(open).toEqual([]);
    await expectLedgerSound();
  });

  it('when a later entry has RvslInd=true, then it is a return: the payment is reversed and the claim is payable again', async () => {
    const p = await pendingPayment();
    expect((await importCamt({ id: sid('PAID'), entries: [debit(p.ref)] })).body).toMatchObject({ settled: 1 });
    expect(await claimStatus(p.claimId)).toBe('paid');

    const back = await importCamt({ id: sid('RVSL'), date: '2027-03-02', entries: [{ amount: 30_000n, direction: 'CRDT', reversal: true, endToEndId: p.ref }] });
    expect(back.status, back.text).toBe(201);
    expect(back.body).toMatchObject({ settled: 0, returned: 1 });
    expect(await claimStatus(p.claimId)).toBe('approved');
    expect((await lineRow(p.ref)).status).toBe('returned');
    const reversed = (await h.database.pool.query(`select count(*)::int n from ledger_transfers where code = 'disbursement_returned' and reference_id = $1`, [p.batch.lines[0]!.id])).rows[0].n;
    expect(reversed).toBe(1);
    const kinds = (await get('/v1/reconciliation-exceptions?kind=returned_payment')).body.items.map((e: { paymentLineId: string }) => e.paymentLineId);
    expect(kinds).toContain(p.batch.lines[0]!.id);
    await expectLedgerSound();

    // The next batch pays it again, under a new reference.
    const next = await releasedBatch(h, { currency: 'SGD' });
    expect(next.lines).toEqual([expect.objectContaining({ amount: '30000' })]);
    expect((await importCamt({ id: sid('REPAID'), date: '2027-03-03', entries: [debit(next.lines[0]!.endToEndId)] })).body).toMatchObject({ settled: 1 });
    expect(await claimStatus(p.claimId)).toBe('paid');
    await expectLedgerSound();
  });

  it('when the statement is for another account, then 422 names the account expected and the one found, and nothing is stored or moved', async () => {
    const p = await pendingPayment();
    const before = await snapshotTables(h);
    const xml = camt053({ id: sid('WRONG'), account: { other: '1111111111' }, entries: [debit(p.ref)] });
    if (schemasAvailable) expect(await schemaErrors('camt053', xml)).toEqual([]);
    const res = await post('application/xml', xml);
    const problem = expectProblem(res, 422, 'rule_violation');
    expect(problem.detail).toMatch(/expected account 0720123456 .* found 1111111111/);
    expect(problem.errors).toEqual([{ path: 'Stmt/Acct/Id/Othr/Id', message: 'expected account 0720123456 (Learning Credits Treasury SG, the SGD disbursement account), found 1111111111' }]);
    // An IBAN of another bank is refused the same way.
    const iban = await importCamt({ id: sid('WRONG-IBAN'), account: { iban: 'SG12LCFD00000000001234' }, entries: [debit(p.ref)] });
    expect(expectProblem(iban, 422, 'rule_violation').errors).toEqual([expect.objectContaining({ path: 'Stmt/Acct/Id/IBAN', message: expect.stringContaining('found SG12LCFD00000000001234') })]);
    expect(await snapshotTables(h)).toEqual(before);
    expect(await claimStatus(p.claimId)).toBe('approved');
    await expectLedgerSound();
  });

  it('when the opening balance plus the booked entries is not the closing balance, then the statement is a balance_mismatch exception and settles nothing', async () => {
    const p = await pendingPayment();
    const transfers = await transferCount();
    const s: CamtStatement = { id: sid('UNBALANCED'), opening: { amount: 100_000n }, closing: { amount: 80_000n }, entries: [debit(p.ref)] };
    const res = await importCamt(s);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ outcome: 'balance_mismatch', lines: 1, settled: 0, returned: 0, exceptions: 1 });
    expect(await claimStatus(p.claimId)).toBe('approved');
    expect(await lineRow(p.ref)).toEqual({ status: 'pending', transfer_state: 'pending' });
    expect(await transferCount()).toBe(transfers);

    const exceptions = (await get('/v1/reconciliation-exceptions?kind=balance_mismatch')).body.items.filter((e: { statementId: string }) => e.statementId === res.body.statementId);
    expect(exceptions).toEqual([expect.objectContaining({
      kind: 'balance_mismatch', status: 'open', statementLineId: null, paymentLineId: null, expected: '80000', actual: '70000', currency: 'SGD',
      detail: expect.stringContaining('closing balance CLBD is 800.00 CRDT SGD'),
    })]);
    const shown = await get(`/v1/bank-statements/${res.body.statementId}`);
    expect(shown.body.statement).toMatchObject({ outcome: 'balance_mismatch', openingBalance: '100000', closingBalance: '80000' });
    expect(shown.body.items).toEqual([expect.objectContaining({ endToEndId: p.ref, outcome: 'unbalanced', paymentLineId: null })]);

    // The same file again is a replay of the recorded statement, not a second exception.
    const again = await importCamt(s);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, statementId: res.body.statementId, outcome: 'balance_mismatch' });
    expect((await h.database.pool.query(`select count(*)::int n from reconciliation_exceptions where statement_id = $1`, [res.body.statementId])).rows[0].n).toBe(1);
    await expectLedgerSound();
  });

  it('when the opening or the closing booked balance is missing, then 422 says which and nothing is stored', async () => {
    const before = await snapshotTables(h);
    const noClose = await post('application/xml', camt053({ id: 'NO-CLBD', closing: null, entries: [] }));
    expect(expectProblem(noClose, 422, 'validation_failed').errors).toEqual([{ path: 'Stmt/Bal', message: 'missing the closing booked balance (Tp/CdOrPrtry/Cd CLBD)' }]);
    const noOpen = await post('application/xml', camt053({ id: 'NO-OPBD', opening: null, closing: { amount: 0n }, entries: [] }));
    expect(expectProblem(noOpen, 422, 'validation_failed').errors).toEqual([{ path: 'Stmt/Bal', message: 'missing the opening booked balance (Tp/CdOrPrtry/Cd OPBD, or PRCD)' }]);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it.each([
    ['a camt.054 notification namespace', 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08'],
    ['a made-up namespace', 'urn:example:totally-a-bank:statement'],
    ['no namespace', null],
    ['camt.053.001.02', 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'],
  ])('when the document is in %s, then 422 names the expected namespace and nothing settles', async (_label, namespace) => {
    const p = await pendingPayment();
    const valid: CamtStatement = { id: sid('NS'), entries: [debit(p.ref)] };
    // The same statement in the right namespace is schema-valid; only the namespace differs.
    if (schemasAvailable) expect(await schemaErrors('camt053', camt053(valid))).toEqual([]);
    const before = await snapshotTables(h);
    const res = await post('application/xml', camt053({ ...valid, namespace }));
    const problem = expectProblem(res, 422, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'Document', message: expect.stringContaining(`expected ${CAMT053_NAMESPACE}`) }]);
    expect(await snapshotTables(h)).toEqual(before);
    expect(await claimStatus(p.claimId)).toBe('approved');
    await expectLedgerSound();
  });

  it.skipIf(schemasAvailable)(`skips the XSD checks of the fixtures: ${schemasMissingReason}`, () => {});
});

describe('POST /v1/bank-statements (CSV with a status column)', () => {
  const HEADER = 'booking_date,end_to_end_id,amount,currency,direction,type,status';

  it('when a CSV has a BOOK line and a PDNG line, then only the BOOK line settles; the PDNG one is recorded and settles later', async () => {
    const a = await pendingPayment();
    const b = await pendingPayment();
    const res = await post('text/csv', `# account: 0720123456\n${HEADER}\n2027-03-01,${a.ref},300.00,SGD,DBIT,payment,BOOK\n,${b.ref},300.00,SGD,DBIT,payment,PDNG\n`);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ lines: 2, settled: 1, pending: 1, exceptions: 0 });
    expect(await claimStatus(a.claimId)).toBe('paid');
    expect(await claimStatus(b.claimId)).toBe('approved');
    expect((await get(`/v1/bank-statements/${res.body.statementId}`)).body.statement).toMatchObject({ format: 'csv', account: '0720123456', openingBalance: null });

    const later = await post('text/csv', `${HEADER}\n2027-03-02,${b.ref},300.00,SGD,DBIT,payment,BOOK\n`);
    expect(later.body).toMatchObject({ settled: 1, exceptions: 0 });
    expect(await claimStatus(b.claimId)).toBe('paid');
    await expectLedgerSound();
  });

  it('when a CSV has no status column or names another account, then 422 says so and nothing is stored', async () => {
    const p = await pendingPayment();
    const before = await snapshotTables(h);
    const old = await post('text/csv', `booking_date,end_to_end_id,amount,currency,direction,type\n2027-03-01,${p.ref},300.00,SGD,DBIT,payment\n`);
    expect(expectProblem(old, 422, 'validation_failed').errors).toEqual([{ path: 'line 1: header', message: `missing column(s) status; expected ${HEADER}` }]);
    const wrong = await post('text/csv', `# account: 1111111111\n${HEADER}\n2027-03-01,${p.ref},300.00,SGD,DBIT,payment,BOOK\n`);
    expect(expectProblem(wrong, 422, 'rule_violation').errors).toEqual([{ path: 'line 1: account', message: 'expected account 0720123456 (Learning Credits Treasury SG, the SGD disbursement account), found 1111111111' }]);
    expect(await snapshotTables(h)).toEqual(before);
    expect(await claimStatus(p.claimId)).toBe('approved');
    await expectLedgerSound();
  });
});

describe('GET /v1/bank-statements/{statementId}', () => {
  it('pages the lines in file order with a cursor, and refuses a forged cursor and an unknown statement', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `2027-03-01,LCunknown-page-${i},1.00,SGD,DBIT,payment,${i % 2 ? 'PDNG' : 'BOOK'}`);
    const res = await post('text/csv', `${'booking_date,end_to_end_id,amount,currency,direction,type,status'}\n${rows.join('\n')}\n`);
    expect(res.body).toMatchObject({ lines: 5, pending: 2, exceptions: 3 });
    const first = await get(`/v1/bank-statements/${res.body.statementId}?limit=2`);
    expect(first.body.items.map((l: { lineNo: number }) => l.lineNo)).toEqual([2, 3]);
    const second = await get(`/v1/bank-statements/${res.body.statementId}?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((l: { lineNo: number }) => l.lineNo)).toEqual([4, 5]);
    const third = await get(`/v1/bank-statements/${res.body.statementId}?limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body).toMatchObject({ items: [expect.objectContaining({ lineNo: 6 })], nextCursor: null });
    expect((await get(`/v1/bank-statements/${res.body.statementId}?outcome=pending`)).body.items.map((l: { lineNo: number }) => l.lineNo)).toEqual([3, 5]);
    expectProblem(await get(`/v1/bank-statements/${res.body.statementId}?cursor=${Buffer.from('{"lineNo":"1e9"}').toString('base64url')}`), 422, 'validation_failed');
    expectProblem(await get(`/v1/bank-statements/${randomUUID()}`), 404, 'not_found');
  });
});
