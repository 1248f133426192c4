import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/modules/deps.js';
import { classifyStatement, type KnownLine } from '../../src/modules/reconciliation/classify-statement.js';
import { accountProblems, balanceMismatch } from '../../src/modules/reconciliation/statement-checks.js';
import { parseCamt053 } from '../../src/modules/reconciliation/statement-camt053.js';
import { parseStatementCsv } from '../../src/modules/reconciliation/statement-csv.js';
import type { StatementLine } from '../../src/modules/reconciliation/statement-format.js';
import { camt053 } from './camt053-fixture.js';

const accounts = defaultPolicy.treasuryAccounts;
const HEADER = 'booking_date,end_to_end_id,amount,currency,direction,type,status';

describe('accountProblems: the statement must be for the disbursement account of its currency', () => {
  it('accepts the configured account, by IBAN or account number, ignoring spaces and case', () => {
    expect(accountProblems(parseCamt053(camt053({ entries: [] })), accounts)).toEqual([]);
    expect(accountProblems(parseCamt053(camt053({ currency: 'EUR', account: { iban: 'FR7630006000011234567890189' }, entries: [] })), accounts)).toEqual([]);
    expect(accountProblems(parseStatementCsv(`# account: fr76 3000 6000 0112 3456 7890 189\n${HEADER}\n2027-03-01,A,1.00,EUR,DBIT,payment,BOOK\n`), accounts)).toEqual([]);
  });

  it('names the expected and the found account when they differ', () => {
    const problems = accountProblems(parseCamt053(camt053({ account: { other: '9999999999' }, entries: [] })), accounts);
    expect(problems).toEqual([{ path: 'Stmt/Acct/Id/Othr/Id', message: 'expected account 0720123456 (Learning Credits Treasury SG, the SGD disbursement account), found 9999999999' }]);
    // The EUR account is not the SGD one.
    const crossed = accountProblems(parseCamt053(camt053({ account: { iban: 'FR7630006000011234567890189' }, entries: [] })), accounts);
    expect(crossed[0]!.message).toMatch(/expected account 0720123456 .*found FR7630006000011234567890189/);
  });

  it('refuses a currency with no configured account, and checks a CSV account against every currency it carries', () => {
    const myr = accountProblems(parseCamt053(camt053({ currency: 'MYR', entries: [] })), accounts);
    expect(myr[0]!.message).toBe('the statement is for account 0720123456 in MYR, and no MYR disbursement account is configured');
    const csv = parseStatementCsv(`# account: 0720123456\n${HEADER}\n2027-03-01,A,1.00,SGD,DBIT,payment,BOOK\n2027-03-01,B,1.00,EUR,DBIT,payment,BOOK\n`);
    expect(accountProblems(csv, accounts)).toEqual([{ path: 'line 1: account', message: expect.stringMatching(/^expected account FR7630006000011234567890189 .*EUR.*found 0720123456$/) }]);
    expect(accountProblems(parseStatementCsv(`# account: nobody\n${HEADER}\n`), accounts)[0]!.message).toMatch(/^expected one of the disbursement accounts/);
  });

  it('does not check a CSV that names no account', () => {
    expect(accountProblems(parseStatementCsv(`${HEADER}\n2027-03-01,A,1.00,SGD,DBIT,payment,BOOK\n`), accounts)).toEqual([]);
  });
});

describe('balanceMismatch: opening plus booked entries must be the closing balance', () => {
  it('adds up booked entries only, honouring each balance\'s own CdtDbtInd', () => {
    const entries = [
      { amount: 30_000n, direction: 'DBIT' as const },
      { amount: 5_000n, direction: 'CRDT' as const },
      { amount: 99_999n, direction: 'DBIT' as const, status: 'PDNG' as const },
      { amount: 77_777n, direction: 'CRDT' as const, status: 'INFO' as const },
    ];
    expect(balanceMismatch(parseCamt053(camt053({ opening: { amount: 10_000n, direction: 'DBIT' }, entries })).balances)).toBeNull();
    // 100.00 overdrawn, -300 + 50 = 350.00 overdrawn.
    expect(balanceMismatch(parseCamt053(camt053({ opening: { amount: 10_000n, direction: 'DBIT' }, closing: { amount: 35_000n, direction: 'DBIT' }, entries })).balances)).toBeNull();
  });

  it('reports the stated closing balance and the computed one, signed', () => {
    const m = balanceMismatch(parseCamt053(camt053({ opening: { amount: 100_000n }, closing: { amount: 80_000n }, entries: [{ amount: 30_000n, direction: 'DBIT' }] })).balances);
    expect(m).toEqual({
      currency: 'SGD', expected: 80_000n, actual: 70_000n,
      detail: 'the balances do not add up: opening OPBD 1000.00 CRDT + booked credits 0.00 - booked debits 300.00 = 700.00 CRDT SGD, but the closing balance CLBD is 800.00 CRDT SGD; nothing in this statement was reconciled',
    });
    expect(balanceMismatch(parseStatementCsv(`${HEADER}\n`).balances)).toBeNull();
  });
});

describe('classifyStatement', () => {
  const known: KnownLine = { id: 'line-1', amount: 30_000n, currency: 'SGD', status: 'pending', transfer_id: 't-1', batch_id: 'b-1' };
  const find = (ref: string) => (ref === 'LC1' ? known : undefined);
  const l = (over: Partial<StatementLine>): StatementLine => ({
    lineNo: 1, endToEndId: 'LC1', amount: 30_000n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2027-03-01', ...over,
  });

  it('records PDNG and INFO lines with their payment line and decides nothing on them', () => {
    const out = classifyStatement([l({ status: 'PDNG' }), l({ status: 'INFO', amount: 1n }), l({ status: 'PDNG', endToEndId: 'nope' })], find);
    expect(out).toEqual({
      perLine: [{ outcome: 'pending', paymentLineId: 'line-1' }, { outcome: 'info', paymentLineId: 'line-1' }, { outcome: 'pending' }],
      settle: [], returns: [], refunds: [], exceptions: [], pending: 2, info: 1,
    });
  });

  it('a pending line does not count as reported: a booked line in the same file still settles, once', () => {
    const out = classifyStatement([l({ status: 'PDNG' }), l({}), l({})], find);
    expect(out.perLine.map((p) => p.outcome)).toEqual(['pending', 'settled', 'exception']);
    expect(out.settle).toEqual([{ paymentLineId: 'line-1', transferId: 't-1', batchId: 'b-1' }]);
    expect(out.exceptions.map((e) => e.kind)).toEqual(['duplicate']);
  });

  it('a booked reversal (credit, RvslInd) returns the payment; a debit marked as a reversal is an unexpected entry', () => {
    const back = classifyStatement([l({ direction: 'credit', isReturn: true })], find);
    expect(back.returns).toHaveLength(1);
    expect(back.exceptions.map((e) => e.kind)).toEqual(['returned_payment']);
    const odd = classifyStatement([l({ direction: 'debit', isReturn: true })], find);
    expect(odd.settle).toEqual([]);
    expect(odd.exceptions.map((e) => e.kind)).toEqual(['unexpected_entry']);
  });

  it('a credit that is not a return is an unknown_reference today (the seam for refunds of recoveries)', () => {
    const out = classifyStatement([l({ direction: 'credit', endToEndId: 'LCR0001' }), l({ direction: 'credit' })], find);
    expect(out.exceptions.map((e) => [e.kind, e.detail])).toEqual([
      ['unknown_reference', 'no payment line has reference LCR0001'],
      ['unknown_reference', 'a credit that is not a returned payment'],
    ]);
  });

  it('a line naming a payment line that was never released is not paid', () => {
    const out = classifyStatement([l({})], () => ({ ...known, status: 'proposed' }));
    expect(out.settle).toEqual([]);
    expect(out.exceptions[0]).toMatchObject({ kind: 'unknown_reference', detail: 'payment line line-1 was never released to the bank (it is proposed)' });
  });
});
