import fc from 'fast-check';
import { XMLBuilder } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { toDecimalString, type Currency } from '../../src/lib/money.js';
import {
  StatementFormatError, parseCamt053, parseStatementCsv, type StatementLine,
} from '../../src/modules/reconciliation/statement-parsers.js';

function formatError(fn: () => unknown): StatementFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatementFormatError) return e;
    throw e;
  }
  throw new Error('expected a StatementFormatError');
}

const HEADER = 'booking_date,end_to_end_id,amount,currency,direction,type';

describe('statement CSV', () => {
  it('parses a valid file with a statement ref, quotes, CRLF and an empty id', () => {
    const text = [
      '# statement: STMT-2025-03-01',
      HEADER,
      '2025-03-01,LC-CLM-0001,300.00,SGD,DBIT,payment',
      '2025-03-01,"LC-CLM-0002",123.4,SGD,DBIT,payment',
      '2025-03-02,"LC,""odd""",5,EUR,CRDT,return',
      '2025-03-02,,0.01,SGD,CRDT,payment',
      '',
    ].join('\r\n');
    const parsed = parseStatementCsv(text);
    expect(parsed.statementRef).toBe('STMT-2025-03-01');
    expect(parsed.lines).toEqual<StatementLine[]>([
      { lineNo: 3, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'debit', isReturn: false, bookingDate: '2025-03-01' },
      { lineNo: 4, endToEndId: 'LC-CLM-0002', amount: 12_340n, currency: 'SGD', direction: 'debit', isReturn: false, bookingDate: '2025-03-01' },
      { lineNo: 5, endToEndId: 'LC,"odd"', amount: 500n, currency: 'EUR', direction: 'credit', isReturn: true, bookingDate: '2025-03-02' },
      { lineNo: 6, endToEndId: null, amount: 1n, currency: 'SGD', direction: 'credit', isReturn: false, bookingDate: '2025-03-02' },
    ]);
  });

  it('has no statement ref without the comment line, and accepts reordered columns', () => {
    const parsed = parseStatementCsv('type,direction,currency,amount,end_to_end_id,booking_date\nreturn,CRDT,SGD,10.00,X1,2024-02-29\n');
    expect(parsed.statementRef).toBeNull();
    expect(parsed.lines).toEqual([
      { lineNo: 2, endToEndId: 'X1', amount: 1000n, currency: 'SGD', direction: 'credit', isReturn: true, bookingDate: '2024-02-29' },
    ]);
  });

  it('reports every bad line with its line number and field', () => {
    const text = [
      '# statement: S1',
      HEADER,
      '2025-03-01,OK-1,300.00,SGD,DBIT,payment', // 3 ok
      '2025-02-30,E-1,1.00,SGD,DBIT,payment', // 4 bad date
      '01/03/2025,E-2,1.00,SGD,DBIT,payment', // 5 bad date
      '2025-03-01,E-3,-1.00,SGD,DBIT,payment', // 6 negative
      '2025-03-01,E-4,1.001,SGD,DBIT,payment', // 7 too many decimals
      '2025-03-01,E-5,abc,SGD,DBIT,payment', // 8 not a number
      '2025-03-01,E-6,1e3,SGD,DBIT,payment', // 9 not a number
      '2025-03-01,E-7,1.00,XYZ,DBIT,payment', // 10 unknown currency
      '2025-03-01,E-8,1.00,SGD,DEBIT,payment', // 11 unknown direction
      '2025-03-01,E-9,1.00,SGD,DBIT,refund', // 12 unknown type
      '2025-03-01,E-10,1.00,SGD,DBIT', // 13 wrong field count
      '2025-03-01,OK-2,1,SGD,CRDT,return', // 14 ok
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
    const rows = [HEADER, ...Array.from({ length: 250 }, (_, i) => `2025-03-01,E${i},x,SGD,DBIT,payment`)];
    const err = formatError(() => parseStatementCsv(rows.join('\n')));
    expect(err.errors).toHaveLength(101);
    expect(err.errors[0]!.path).toBe('line 2: amount');
    expect(err.errors[99]!.path).toBe('line 101: amount');
    expect(err.errors[100]!.message).toMatch(/150 further/);
  });

  it('rejects a missing header and an unterminated quote', () => {
    expect(formatError(() => parseStatementCsv('2025-03-01,E,1,SGD,DBIT,payment\n')).errors[0]!.path).toBe('line 1: header');
    expect(formatError(() => parseStatementCsv('')).errors[0]!.path).toBe('line 1: header');
    const e = formatError(() => parseStatementCsv(`${HEADER}\n2025-03-01,"E,1,SGD,DBIT,payment\n`));
    expect(e.errors[0]!.message).toMatch(/unterminated/);
  });

  it('keeps line numbers right after a quoted field spanning lines', () => {
    const e = formatError(() => parseStatementCsv(`${HEADER}\n2025-03-01,"multi\nline",1,SGD,DBIT,payment\n2025-03-01,X,bad,SGD,DBIT,payment\n`));
    expect(e.errors.map((x) => x.path)).toEqual(['line 4: amount']);
  });

  it('parses 100,000 lines quickly', () => {
    const parts = ['# statement: BIG', HEADER];
    for (let i = 0; i < 100_000; i++) {
      parts.push(`2025-03-${String((i % 28) + 1).padStart(2, '0')},LC-CLM-${i},${i}.${String(i % 100).padStart(2, '0')},SGD,${i % 2 ? 'CRDT' : 'DBIT'},${i % 7 ? 'payment' : 'return'}`);
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
    const evil = `${HEADER}\n${Array.from({ length: 2000 }, () => `2025-03-01,${'-'.repeat(5000)},${'1'.repeat(5000)}.,SGD,DBIT,payment`).join('\n')}`;
    const t0 = performance.now();
    const e = formatError(() => parseStatementCsv(evil));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(e.errors[0]!.path).toBe('line 2: amount');
  });
});

// ---------------------------------------------------------------- camt.053

const CAMT_NS = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

const sample = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="${CAMT_NS}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2025-03-04T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2025-03-03 &amp; co</Id>
      <Acct><Id><IBAN>SG12LCFD00000000001234</IBAN></Id></Acct>
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
        <BookgDt><Dt>2025-03-03</Dt></BookgDt>
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
        <BookgDt><Dt>2025-03-04</Dt></BookgDt>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>LC-CLM-0001</EndToEndId></Refs>
          <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>`;

describe('camt.053', () => {
  it('parses a hand-written statement: debit, batched entry, returned credit', () => {
    const parsed = parseCamt053(sample);
    expect(parsed.statementRef).toBe('STMT-2025-03-03 & co');
    expect(parsed.lines).toEqual<StatementLine[]>([
      { lineNo: 1, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'debit', isReturn: false, bookingDate: '2025-03-03' },
      { lineNo: 2, endToEndId: 'LC-CLM-0002', amount: 10_000n, currency: 'SGD', direction: 'debit', isReturn: false, bookingDate: '2025-03-03' },
      { lineNo: 3, endToEndId: 'LC-CLM-0003', amount: 5_050n, currency: 'SGD', direction: 'debit', isReturn: false, bookingDate: '2025-03-03' },
      { lineNo: 4, endToEndId: 'LC-CLM-0001', amount: 30_000n, currency: 'SGD', direction: 'credit', isReturn: true, bookingDate: '2025-03-04' },
    ]);
  });

  it('treats a RRTN/RTRN bank transaction sub-family as a return, and prefixed namespaces parse too', () => {
    const xml = `<c:Document xmlns:c="${CAMT_NS}"><c:BkToCstmrStmt><c:Stmt><c:Id>S</c:Id>
      <c:Ntry><c:Amt Ccy="EUR">1</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:BookgDt><c:Dt>2025-01-31</c:Dt></c:BookgDt>
      <c:BkTxCd><c:Domn><c:Cd>PMNT</c:Cd><c:Fmly><c:Cd>ICDT</c:Cd><c:SubFmlyCd>RRTN</c:SubFmlyCd></c:Fmly></c:Domn></c:BkTxCd></c:Ntry>
    </c:Stmt></c:BkToCstmrStmt></c:Document>`;
    expect(parseCamt053(xml)).toEqual({
      statementRef: 'S',
      lines: [{ lineNo: 1, endToEndId: null, amount: 100n, currency: 'EUR', direction: 'credit', isReturn: true, bookingDate: '2025-01-31' }],
    });
  });

  it('refuses DOCTYPE / entity declarations without expanding anything', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <Document xmlns="${CAMT_NS}"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>`;
    const e = formatError(() => parseCamt053(xxe));
    expect(e.errors[0]!.message).toMatch(/DOCTYPE/);
    const laughs = `<!doctype lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Document/>`;
    expect(() => parseCamt053(laughs)).toThrow(StatementFormatError);
  });

  it('rejects malformed and invalid documents with StatementFormatError', () => {
    expect(() => parseCamt053('<Document><BkToCstmrStmt></Document>')).toThrow(StatementFormatError);
    expect(() => parseCamt053('')).toThrow(StatementFormatError);
    expect(() => parseCamt053('<Document><BkToCstmrAcctRpt/></Document>')).toThrow(/no Document\/BkToCstmrStmt\/Stmt/);
    const bad = sample
      .replace('<Amt Ccy="SGD">300.00</Amt>', '<Amt Ccy="XXX">300.00</Amt>')
      .replace('<CdtDbtInd>CRDT</CdtDbtInd>', '<CdtDbtInd>CRED</CdtDbtInd>')
      .replace('>50.5<', '>50.555<')
      .replace('2025-03-04</Dt>', '2025-13-04</Dt>');
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

  it('property: camt.053 built from random lines parses back to the same lines', () => {
    const currencies: Currency[] = ['SGD', 'IDR', 'EUR', 'MYR', 'USD'];
    const txArb = fc.record({
      endToEndId: fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,35}$/), { nil: null }),
      amount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
      useTxAmtDtls: fc.boolean(),
      isReturn: fc.boolean(),
    });
    const entryArb = fc.record({
      currency: fc.constantFrom(...currencies),
      direction: fc.constantFrom('debit' as const, 'credit' as const),
      bookingDate: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      returnByCode: fc.boolean(),
      txs: fc.array(txArb, { minLength: 1, maxLength: 4 }),
    });
    const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 0, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 35 }).filter((s) => s.trim() === s && s !== '' && !/[\u0000-\u001f\ufffe\uffff]/.test(s)), (entries, ref) => {
        const expected: StatementLine[] = [];
        const ntrys = entries.map((e) => {
          const total = e.txs.reduce((a, t) => a + t.amount, 0n);
          const single = e.txs.length === 1;
          const amt = (v: bigint) => ({ '@_Ccy': e.currency, '#text': toDecimalString(v, e.currency) });
          return {
            Amt: amt(total),
            CdtDbtInd: e.direction === 'debit' ? 'DBIT' : 'CRDT',
            Sts: { Cd: 'BOOK' },
            BookgDt: { Dt: e.bookingDate },
            BkTxCd: { Domn: { Cd: 'PMNT', Fmly: { Cd: 'ICDT', SubFmlyCd: e.returnByCode ? 'RRTN' : 'ESCT' } } },
            NtryDtls: {
              TxDtls: e.txs.map((t) => {
                expected.push({
                  lineNo: expected.length + 1,
                  endToEndId: t.endToEndId,
                  amount: t.amount,
                  currency: e.currency,
                  direction: e.direction,
                  isReturn: e.returnByCode || t.isReturn,
                  bookingDate: e.bookingDate,
                });
                return {
                  Refs: { EndToEndId: t.endToEndId ?? 'NOTPROVIDED' },
                  // A single TxDtls may leave its amount to the entry.
                  ...(single && !t.useTxAmtDtls ? {} : t.useTxAmtDtls ? { AmtDtls: { TxAmt: { Amt: amt(t.amount) } } } : { Amt: amt(t.amount) }),
                  ...(t.isReturn ? { RtrInf: { Rsn: { Cd: 'AC04' } } } : {}),
                };
              }),
            },
          };
        });
        const xml = builder.build({
          '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
          Document: { '@_xmlns': CAMT_NS, BkToCstmrStmt: { GrpHdr: { MsgId: 'M' }, Stmt: { Id: ref, Ntry: ntrys } } },
        }) as string;
        const parsed = parseCamt053(xml);
        expect(parsed.statementRef).toBe(ref);
        expect(parsed.lines).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
