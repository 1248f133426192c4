import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Currency } from '../../src/lib/money.js';
import { CAMT053_NAMESPACE, parseCamt053 } from '../../src/modules/reconciliation/statement-camt053.js';
import { parseStatementCsv } from '../../src/modules/reconciliation/statement-csv.js';
import { StatementFormatError, type StatementLine } from '../../src/modules/reconciliation/statement-format.js';
import { schemaErrors, schemasAvailable, schemasMissingReason } from '../support/iso20022.js';
import { camt053, SGD_TREASURY, type CamtEntry } from './camt053-fixture.js';

function formatError(fn: () => unknown): StatementFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatementFormatError) return e;
    throw e;
  }
  throw new Error('expected a StatementFormatError');
}

const HEADER = 'booking_date,end_to_end_id,amount,currency,direction,type,status';
const line = (l: Omit<StatementLine, 'status' | 'bookingDate'> & Partial<Pick<StatementLine, 'status' | 'bookingDate'>>): StatementLine => ({ status: 'BOOK', bookingDate: '2027-03-01', ...l });

describe('statement CSV', () => {
  it('parses a valid file with a statement ref, quotes, CRLF and an empty id', () => {
    const text = [
      '# statement: STMT-2025-03-01',
      HEADER,
      '2025-03-01,LC-CLM-0001,300.00,SGD,DBIT,payment,BOOK',
      '2025-03-01,"LC-CLM-0002",123.4,SGD,DBIT,payment,BOOK',
      '2025-03-02,"LC,""odd""",5,EUR,CRDT,return,BOOK',
      '2025-03-02,,0.01,SGD,CRDT,payment,BOOK',
      '',
    ].join('\r\n');
    const parsed = parseStatementCsv(text);
    expect(parsed.statementRef).toBe('STMT-2025-03-01');
    expect(parsed.account).toBeNull();
    expect(parsed.balances).toBeNull();
    expect(parsed.lines).toEqual<StatementLine[]>([
      { lineNo: 3, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-01' },
      { lineNo: 4, endToEndId: 'LC-CLM-0002', amount: 12_340n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-01' },
      { lineNo: 5, endToEndId: 'LC,"odd"', amount: 500n, currency: 'EUR', direction: 'credit', isReturn: true, status: 'BOOK', bookingDate: '2025-03-02' },
      { lineNo: 6, endToEndId: null, amount: 1n, currency: 'SGD', direction: 'credit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-02' },
    ]);
  });

  it('has no statement ref without the comment line, and accepts reordered columns', () => {
    const parsed = parseStatementCsv('status,type,direction,currency,amount,end_to_end_id,booking_date\nBOOK,return,CRDT,SGD,10.00,X1,2024-02-29\n');
    expect(parsed.statementRef).toBeNull();
    expect(parsed.lines).toEqual([
      { lineNo: 2, endToEndId: 'X1', amount: 1000n, currency: 'SGD', direction: 'credit', isReturn: true, status: 'BOOK', bookingDate: '2024-02-29' },
    ]);
  });

  it('reads the status column: BOOK, PDNG and INFO, and a not-booked line may have no booking date', () => {
    const parsed = parseStatementCsv([HEADER, '2025-03-01,A,1.00,SGD,DBIT,payment,BOOK', ',B,2.00,SGD,DBIT,payment,PDNG', '2025-03-02,C,3.00,SGD,DBIT,payment,INFO'].join('\n'));
    expect(parsed.lines.map((l) => [l.endToEndId, l.status, l.bookingDate])).toEqual([['A', 'BOOK', '2025-03-01'], ['B', 'PDNG', null], ['C', 'INFO', '2025-03-02']]);
  });

  it('refuses a file without the status column, a status it does not know, and a booked line without a date', () => {
    const missing = formatError(() => parseStatementCsv('booking_date,end_to_end_id,amount,currency,direction,type\n2025-03-01,A,1.00,SGD,DBIT,payment\n'));
    expect(missing.errors).toEqual([{ path: 'line 1: header', message: `missing column(s) status; expected ${HEADER}` }]);
    const bad = formatError(() => parseStatementCsv([HEADER, '2025-03-01,A,1.00,SGD,DBIT,payment,BOOKED', '2025-03-01,B,1.00,SGD,DBIT,payment,', ',C,1.00,SGD,DBIT,payment,BOOK', '2025-03-01,D,1.00,SGD,DBIT,payment,book'].join('\n')));
    expect(bad.errors.map((e) => e.path)).toEqual(['line 2: status', 'line 3: status', 'line 4: booking_date', 'line 5: status']);
    expect(bad.errors[0]!.message).toBe('must be BOOK, PDNG or INFO, not "BOOKED"');
  });

  it('reads an optional "# account:" line, in either order with "# statement:", each at most once', () => {
    const parsed = parseStatementCsv(`# account: 0720123456\n# statement: S-9\n${HEADER}\n2025-03-01,A,1.00,SGD,DBIT,payment,BOOK\n`);
    expect(parsed.account).toEqual({ id: '0720123456', scheme: 'csv', path: 'line 1: account' });
    expect(parsed.statementRef).toBe('S-9');
    const twice = formatError(() => parseStatementCsv(`# account: A\n# account: B\n${HEADER}\n`));
    expect(twice.errors[0]).toEqual({ path: 'line 2', message: '"# account:" is given more than once' });
    expect(formatError(() => parseStatementCsv(`# account:\n${HEADER}\n`)).errors[0]!.path).toBe('line 1: account');
    expect(formatError(() => parseStatementCsv(`# note: hello\n${HEADER}\n`)).errors[0]!.message).toMatch(/only comments allowed/);
  });

  it('reports every bad line with its line number and field', () => {
    const text = [
      '# statement: S1',
      HEADER,
      '2025-03-01,OK-1,300.00,SGD,DBIT,payment,BOOK', // 3 ok
      '2025-02-30,E-1,1.00,SGD,DBIT,payment,BOOK', // 4 bad date
      '01/03/2025,E-2,1.00,SGD,DBIT,payment,BOOK', // 5 bad date
      '2025-03-01,E-3,-1.00,SGD,DBIT,payment,BOOK', // 6 negative
      '2025-03-01,E-4,1.001,SGD,DBIT,payment,BOOK', // 7 too many decimals
      '2025-03-01,E-5,abc,SGD,DBIT,payment,BOOK', // 8 not a number
      '2025-03-01,E-6,1e3,SGD,DBIT,payment,BOOK', // 9 not a number
      '2025-03-01,E-7,1.00,XYZ,DBIT,payment,BOOK', // 10 unknown currency
      '2025-03-01,E-8,1.00,SGD,DEBIT,payment,BOOK', // 11 unknown direction
      '2025-03-01,E-9,1.00,SGD,DBIT,refund,BOOK', // 12 unknown type
      '2025-03-01,E-10,1.00,SGD,DBIT,BOOK', // 13 wrong field count
      '2025-03-01,OK-2,1,SGD,CRDT,return,BOOK', // 14 ok
    ].join('\n');
    const err = formatError(() => parseStatementCsv(text));
    const paths = err.errors.map((e) => e.path);
    expect(paths).toEqual([
      'line 4: booking_date',
      'line 5: booking_date',
      'line 6: amount',
      'line 7: amount',
      'line 8: amount',
      'line 9: amount',
      'line 10: currency',
      'line 11: direction',
      'line 12: type',
      'line 13',
    ]);
    const msg = (p: string) => err.errors.find((e) => e.path === p)!.message;
    expect(msg('line 6: amount')).toMatch(/negative/);
    expect(msg('line 7: amount')).toMatch(/decimal places/);
    expect(msg('line 8: amount')).toMatch(/not a decimal number/);
    expect(err.message).toMatch(/10 errors/);
  });

  it('caps the error list at 100 entries plus a summary', () => {
    const rows = [HEADER, ...Array.from({ length: 250 }, (_, i) => `2025-03-01,E${i},x,SGD,DBIT,payment,BOOK`)];
    const err = formatError(() => parseStatementCsv(rows.join('\n')));
    expect(err.errors).toHaveLength(101);
    expect(err.errors[0]!.path).toBe('line 2: amount');
    expect(err.errors[99]!.path).toBe('line 101: amount');
    expect(err.errors[100]!.message).toMatch(/150 further/);
  });

  it('rejects a missing header and an unterminated quote', () => {
    expect(formatError(() => parseStatementCsv('2025-03-01,E,1,SGD,DBIT,payment,BOOK\n')).errors[0]!.path).toBe('line 1: header');
    expect(formatError(() => parseStatementCsv('')).errors[0]!.path).toBe('line 1: header');
    const e = formatError(() => parseStatementCsv(`${HEADER}\n2025-03-01,"E,1,SGD,DBIT,payment,BOOK\n`));
    expect(e.errors[0]!.message).toMatch(/unterminated/);
  });

  it('keeps line numbers right after a quoted field spanning lines', () => {
    const e = formatError(() => parseStatementCsv(`${HEADER}\n2025-03-01,"multi\nline",1,SGD,DBIT,payment,BOOK\n2025-03-01,X,bad,SGD,DBIT,payment,BOOK\n`));
    expect(e.errors.map((x) => x.path)).toEqual(['line 4: amount']);
  });

  it('parses 100,000 lines quickly', () => {
    const parts = ['# statement: BIG', HEADER];
    for (let i = 0; i < 100_000; i++) {
      parts.push(`2025-03-${String((i % 28) + 1).padStart(2, '0')},LC-CLM-${i},${i}.${String(i % 100).padStart(2, '0')},SGD,${i % 2 ? 'CRDT' : 'DBIT'},${i % 7 ? 'payment' : 'return'},${i % 11 ? 'BOOK' : 'PDNG'}`);
    }
    const text = parts.join('\n');
    const t0 = performance.now();
    const parsed = parseStatementCsv(text);
    const ms = performance.now() - t0;
    console.log(`parseStatementCsv: 100,000 lines (${(text.length / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms`);
    expect(parsed.lines).toHaveLength(100_000);
    expect(parsed.lines[99_999]!.amount).toBe(99_999n * 100n + 99n);
    expect(ms).toBeLessThan(3000);
  });

  it('is not slowed by pathological fields', () => {
    const evil = `${HEADER}\n${Array.from({ length: 2000 }, () => `2025-03-01,${'-'.repeat(5000)},${'1'.repeat(5000)}.,SGD,DBIT,payment,BOOK`).join('\n')}`;
    const t0 = performance.now();
    const e = formatError(() => parseStatementCsv(evil));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(e.errors[0]!.path).toBe('line 2: amount');
  });
});

// ---------------------------------------------------------------- camt.053

/** A hand-written statement: a booked debit, a batched booked entry, a booked returned credit, and a pending debit. */
const sample = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="${CAMT053_NAMESPACE}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2025-03-04T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2025-03-03 &amp; co</Id>
      <Acct><Id><IBAN>SG12LCFD00000000001234</IBAN></Id><Ccy>SGD</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="SGD">10000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLAV</Cd></CdOrPrtry></Tp><Amt Ccy="SGD">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-04</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="SGD">9849.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-04</Dt></Dt></Bal>
      <Ntry>
        <Amt Ccy="SGD">300.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-03-03</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls><Refs><EndToEndId>LC-CLM-0001</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="SGD">150.50</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-03-03</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><EndToEndId>LC-CLM-0002</EndToEndId></Refs>
            <Amt Ccy="SGD">100.00</Amt>
          </TxDtls>
          <TxDtls>
            <Refs><EndToEndId>LC-CLM-0003</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="SGD">50.5</Amt></TxAmt></AmtDtls>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="SGD">300.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-03-04</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>LC-CLM-0001</EndToEndId></Refs>
          <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="SGD">75.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>PDNG</Cd></Sts>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls><Refs><EndToEndId>LC-CLM-0004</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>`;

describe('camt.053', () => {
  it.skipIf(!schemasAvailable)('the hand-written sample and the fixture builder validate against camt.053.001.08.xsd', async () => {
    expect(await schemaErrors('camt053', sample)).toEqual([]);
    const built = camt053({
      prefix: 'c',
      entries: [
        { amount: 30_000n, direction: 'DBIT', endToEndId: 'LC&1' },
        { amount: 30_000n, direction: 'CRDT', reversal: true, endToEndId: 'LC&1' },
        { amount: 500n, direction: 'DBIT', status: 'PDNG', endToEndId: 'LC2' },
        { amount: 700n, direction: 'DBIT', status: 'INFO', bookingDate: '2027-03-01' },
        { amount: 300n, direction: 'DBIT', transactions: [{ endToEndId: 'A', amount: 100n }, { endToEndId: 'B', amount: 200n }] },
        { amount: 100n, direction: 'CRDT', subFamily: 'RRTN', returnReason: 'AC04', endToEndId: 'A' },
      ],
    });
    expect(await schemaErrors('camt053', built)).toEqual([]);
  });
  it.skipIf(schemasAvailable)(`skips the XSD check: ${schemasMissingReason}`, () => {});

  it('parses the sample: account, balances, a booked debit, a batched entry, a returned credit, a pending debit', () => {
    const parsed = parseCamt053(sample);
    expect(parsed.statementRef).toBe('STMT-2025-03-03 & co');
    expect(parsed.account).toEqual({ id: 'SG12LCFD00000000001234', scheme: 'IBAN', path: 'Stmt/Acct/Id/IBAN' });
    expect(parsed.balances).toEqual({
      currency: 'SGD',
      opening: { type: 'OPBD', amount: 1_000_000n, currency: 'SGD', date: '2025-03-03' },
      closing: { type: 'CLBD', amount: 984_950n, currency: 'SGD', date: '2025-03-04' },
      bookedCredits: 30_000n,
      bookedDebits: 45_050n,
    });
    expect(parsed.lines).toEqual<StatementLine[]>([
      { lineNo: 1, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-03' },
      { lineNo: 2, endToEndId: 'LC-CLM-0002', amount: 10_000n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-03' },
      { lineNo: 3, endToEndId: 'LC-CLM-0003', amount: 5_050n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'BOOK', bookingDate: '2025-03-03' },
      { lineNo: 4, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'credit', isReturn: true, status: 'BOOK', bookingDate: '2025-03-04' },
      { lineNo: 5, endToEndId: 'LC-CLM-0004', amount: 7_500n, currency: 'SGD', direction: 'debit', isReturn: false, status: 'PDNG', bookingDate: null },
    ]);
  });

  it.each(['&#0;', '&#x0;', '&#xD800;', '&#x1;'])('when a character reference %s names no XML character, then the document is refused, never stored', (ref) => {
    const xml = camt053({ entries: [{ amount: 100n, direction: 'DBIT', endToEndId: 'REFX' }] }).replace('>REFX<', `>REF${ref}X<`);
    expect(formatError(() => parseCamt053(xml)).errors[0]!.message).toMatch(/is not an XML character/);
  });

  it('reads Othr/Id accounts, PRCD when there is no OPBD, DBIT balances as negative, and a prefixed namespace', () => {
    const parsed = parseCamt053(camt053({ prefix: 'c', opening: { type: 'PRCD', amount: 500n, direction: 'DBIT' }, entries: [{ amount: 200n, direction: 'CRDT', endToEndId: 'X', status: 'INFO' }] }));
    expect(parsed.account).toEqual({ id: SGD_TREASURY.other, scheme: 'Othr', path: 'Stmt/Acct/Id/Othr/Id' });
    expect(parsed.balances).toMatchObject({ opening: { type: 'PRCD', amount: -500n }, closing: { type: 'CLBD', amount: -500n }, bookedCredits: 0n, bookedDebits: 0n });
  });

  it('reads each entry status, and RvslInd=true and a RRTN/RTRN sub-family as a return', () => {
    const entries: CamtEntry[] = [
      { amount: 100n, direction: 'DBIT', endToEndId: 'A' },
      { amount: 100n, direction: 'DBIT', endToEndId: 'B', status: 'PDNG' },
      { amount: 100n, direction: 'DBIT', endToEndId: 'C', status: 'INFO' },
      { amount: 100n, direction: 'CRDT', endToEndId: 'A', reversal: true },
      { amount: 100n, direction: 'CRDT', subFamily: 'RRTN' },
    ];
    const parsed = parseCamt053(camt053({ currency: 'EUR', account: { iban: 'FR7630006000011234567890189' }, entries }));
    expect(parsed.lines.map((l) => [l.endToEndId, l.status, l.direction, l.isReturn])).toEqual([
      ['A', 'BOOK', 'debit', false], ['B', 'PDNG', 'debit', false], ['C', 'INFO', 'debit', false], ['A', 'BOOK', 'credit', true], [null, 'BOOK', 'credit', true],
    ]);
    expect(parsed.balances).toMatchObject({ bookedCredits: 200n, bookedDebits: 100n });
  });

  it('refuses a proprietary status, an unknown code, a missing status, a bad RvslInd and a booked entry without a booking date', () => {
    const xml = camt053({
      entries: [
        { amount: 100n, direction: 'DBIT', status: { proprietary: 'BOOKED' } },
        { amount: 100n, direction: 'DBIT', status: 'FUTR' as 'BOOK' },
        { amount: 100n, direction: 'DBIT', bookingDate: null },
      ],
    }).replace('<Sts><Cd>BOOK</Cd></Sts><BkTxCd>', '<RvslInd>yes</RvslInd><BkTxCd>');
    const e = formatError(() => parseCamt053(xml));
    expect(e.errors).toEqual([
      { path: 'entry 1: Sts', message: 'a proprietary status (Prtry "BOOKED") is not accepted; expected <Sts><Cd>BOOK</Cd></Sts>, PDNG or INFO' },
      { path: 'entry 2: Sts', message: 'unknown status code "FUTR"; expected <Sts><Cd>BOOK</Cd></Sts>, PDNG or INFO' },
      { path: 'entry 3: RvslInd', message: 'must be true or false, not "yes"' },
      { path: 'entry 3: Sts', message: 'missing; expected <Sts><Cd>BOOK</Cd></Sts>, PDNG or INFO' },
    ]);
    const undated = formatError(() => parseCamt053(camt053({ entries: [{ amount: 100n, direction: 'DBIT', bookingDate: null }] })));
    expect(undated.errors).toEqual([{ path: 'entry 1: BookgDt', message: 'not a YYYY-MM-DD date: ""' }]);
  });

  it('refuses a statement without its account, its opening or its closing booked balance', () => {
    const e = formatError(() => parseCamt053(camt053({ account: null, opening: null, closing: null, entries: [] })));
    expect(e.errors).toEqual([
      { path: 'Stmt/Acct/Id', message: 'missing: the statement must name its account (IBAN or Othr/Id)' },
      { path: 'Stmt/Bal', message: 'missing the opening booked balance (Tp/CdOrPrtry/Cd OPBD, or PRCD)' },
      { path: 'Stmt/Bal', message: 'missing the closing booked balance (Tp/CdOrPrtry/Cd CLBD)' },
    ]);
    expect(formatError(() => parseCamt053(camt053({ closing: null, entries: [] }))).errors.map((x) => x.message)).toEqual(['missing the closing booked balance (Tp/CdOrPrtry/Cd CLBD)']);
  });

  it('refuses balances or entries in another currency than the account', () => {
    const xml = camt053({ entries: [{ amount: 100n, direction: 'DBIT' }] }).replace('<Amt Ccy="SGD">1.00</Amt>', '<Amt Ccy="EUR">1.00</Amt>');
    expect(formatError(() => parseCamt053(xml)).errors).toEqual([{ path: 'entry 1: Amt', message: "is in EUR; the statement's account is in SGD" }]);
  });

  describe('namespaces: only camt.053.001.08 is read', () => {
    const doc = (namespace: string | null) => camt053({ namespace, entries: [{ amount: 100n, direction: 'DBIT', endToEndId: 'A' }] });
    it.each([
      ['camt.054', 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08', 'is in namespace "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"'],
      ['a made-up namespace', 'urn:example:not-a-bank', 'is in namespace "urn:example:not-a-bank"'],
      ['an older version', 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.02', 'is in namespace "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"'],
      ['no namespace', null, 'has no namespace'],
    ])('refuses %s and names the expected namespace', (_label, namespace, found) => {
      expect(formatError(() => parseCamt053(doc(namespace))).errors).toEqual([
        { path: 'Document', message: `the document ${found}; expected ${CAMT053_NAMESPACE} (camt.053.001.08 is the only statement version accepted)` },
      ]);
    });

    it('refuses an element redeclared into another namespace inside a camt.053.001.08 document', () => {
      const xml = doc(CAMT053_NAMESPACE).replace('<Ntry>', '<Ntry xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">');
      expect(formatError(() => parseCamt053(xml)).errors[0]).toMatchObject({ path: 'Document/BkToCstmrStmt/Stmt/Ntry', message: expect.stringContaining(CAMT053_NAMESPACE) });
      const unbound = camt053({ prefix: 'c', entries: [] }).replace('<c:Stmt>', '<Stmt>').replace('</c:Stmt>', '</Stmt>');
      expect(formatError(() => parseCamt053(unbound)).errors[0]).toMatchObject({ path: 'Document/BkToCstmrStmt/Stmt', message: expect.stringMatching(/has no namespace/) });
    });

    it('accepts xsi declarations beside the camt namespace', () => {
      const xml = doc(CAMT053_NAMESPACE).replace('<Document ', '<Document xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="x y" ');
      expect(parseCamt053(xml).lines).toHaveLength(1);
    });
  });

  it('refuses DOCTYPE / entity declarations without expanding anything', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <Document xmlns="${CAMT053_NAMESPACE}"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>`;
    const e = formatError(() => parseCamt053(xxe));
    expect(e.errors[0]!.message).toMatch(/DOCTYPE/);
    const laughs = `<!doctype lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Document/>`;
    expect(() => parseCamt053(laughs)).toThrow(StatementFormatError);
  });

  it('rejects malformed and invalid documents with StatementFormatError', () => {
    expect(() => parseCamt053('<Document><BkToCstmrStmt></Document>')).toThrow(StatementFormatError);
    expect(() => parseCamt053('')).toThrow(StatementFormatError);
    expect(() => parseCamt053(`<Document xmlns="${CAMT053_NAMESPACE}"><BkToCstmrAcctRpt/></Document>`)).toThrow(/no Document\/BkToCstmrStmt\/Stmt/);
    const bad = sample
      .replace('<Amt Ccy="SGD">300.00</Amt>', '<Amt Ccy="XXX">300.00</Amt>')
      .replace('<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>', '<CdtDbtInd>CRED</CdtDbtInd>\n        <Sts>')
      .replace('>50.5<', '>50.555<')
      .replace('2025-03-04</Dt></BookgDt>', '2025-13-04</Dt></BookgDt>');
    const e = formatError(() => parseCamt053(bad));
    expect(e.errors.map((x) => x.path)).toEqual([
      'entry 1: Amt',
      'entry 2, transaction 2: Amt',
      'entry 3: CdtDbtInd',
      'entry 3: BookgDt',
    ]);
    // Batched TxDtls that do not add up to the entry amount.
    expect(formatError(() => parseCamt053(sample.replace('150.50', '150.51'))).errors[0]!.message).toMatch(/sum of its transactions/);
  });

  const currencies: Currency[] = ['SGD', 'IDR', 'EUR', 'MYR', 'USD'];
  const txArb = fc.record({
    endToEndId: fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,35}$/), { nil: null }),
    amount: fc.bigInt({ min: 1n, max: 10n ** 13n }),
    isReturn: fc.boolean(),
  });
  const entryArb = fc.record({
    direction: fc.constantFrom('DBIT' as const, 'CRDT' as const),
    status: fc.constantFrom('BOOK' as const, 'PDNG' as const, 'INFO' as const),
    reversal: fc.boolean(),
    bookingDate: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    returnByCode: fc.boolean(),
    txs: fc.array(txArb, { minLength: 1, maxLength: 4 }),
  });
  const statementArb = fc.record({
    currency: fc.constantFrom(...currencies),
    opening: fc.record({ amount: fc.bigInt({ min: 0n, max: 10n ** 15n }), direction: fc.constantFrom('DBIT' as const, 'CRDT' as const) }),
    entries: fc.array(entryArb, { minLength: 0, maxLength: 20 }),
    ref: fc.stringMatching(/^[A-Za-z0-9 &<>-]{1,35}$/).filter((s) => s.trim() === s),
  });
  type StatementCase = typeof statementArb extends fc.Arbitrary<infer T> ? T : never;
  const build = (s: StatementCase) => {
    const expected: StatementLine[] = [];
    let credits = 0n;
    let debits = 0n;
    const entries: CamtEntry[] = s.entries.map((e) => {
      const total = e.txs.reduce((a, t) => a + t.amount, 0n);
      if (e.status === 'BOOK') {
        if (e.direction === 'CRDT') credits += total;
        else debits += total;
      }
      for (const t of e.txs) {
        expected.push({
          lineNo: expected.length + 1, endToEndId: t.endToEndId, amount: t.amount, currency: s.currency, direction: e.direction === 'DBIT' ? 'debit' : 'credit',
          isReturn: e.reversal || e.returnByCode || t.isReturn, status: e.status, bookingDate: e.bookingDate,
        });
      }
      return {
        amount: total, direction: e.direction, status: e.status, reversal: e.reversal, bookingDate: e.bookingDate, subFamily: e.returnByCode ? 'RRTN' : 'ESCT',
        transactions: e.txs.map((t) => ({ endToEndId: t.endToEndId, ...(e.txs.length > 1 ? { amount: t.amount } : {}), ...(t.isReturn ? { returnReason: 'AC04' } : {}) })),
      };
    });
    const xml = camt053({ id: s.ref, currency: s.currency, opening: s.opening, entries });
    return { xml, expected, credits, debits };
  };

  it('property: camt.053 built from random entries parses back to the same lines and booked sums', () => {
    fc.assert(
      fc.property(statementArb, (s) => {
        const { xml, expected, credits, debits } = build(s);
        const parsed = parseCamt053(xml);
        expect(parsed.statementRef).toBe(s.ref);
        expect(parsed.lines).toEqual(expected);
        expect(parsed.balances).toMatchObject({ currency: s.currency, bookedCredits: credits, bookedDebits: debits });
        const opening = s.opening.direction === 'DBIT' ? -s.opening.amount : s.opening.amount;
        expect(parsed.balances!.closing.amount).toBe(opening + credits - debits);
      }),
      { numRuns: 200 },
    );
  });

  it.skipIf(!schemasAvailable)('the random statements of the property validate against camt.053.001.08.xsd', async () => {
    for (const s of fc.sample(statementArb, { numRuns: 25, seed: 11 })) {
      expect(await schemaErrors('camt053', build(s).xml)).toEqual([]);
    }
  });
});
