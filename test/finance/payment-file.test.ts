import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseDecimalAmount } from '../../src/lib/money.js';
import {
  PAIN001_NAMESPACE, PaymentFileError, pain001, paymentFileCsv, type PaymentFileBatch, type PaymentFileLine,
} from '../../src/modules/disbursements/payment-file.js';

/** Parses with entities decoded (this is our own trusted output) and every text as a string. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  isArray: (name) => name === 'CdtTrfTxInf',
});

function batchOf(lines: PaymentFileLine[], over: Partial<PaymentFileBatch> = {}): PaymentFileBatch {
  return {
    messageId: 'LC-20250301-0001',
    createdAt: new Date('2025-03-01T08:30:15.123Z'),
    requestedExecutionDate: '2025-03-03',
    currency: 'SGD',
    debtor: { name: 'Learning Credits Fund', iban: 'SG12LCFD00000000001234', bic: 'LCFDSGSGXXX' },
    lines,
    ...over,
  };
}

const threeLines: PaymentFileLine[] = [
  {
    endToEndId: 'LC-CLM-0001',
    amount: 30_000n,
    creditorName: 'Northwind Academy',
    creditorAccount: { accountName: 'Northwind Academy Pte Ltd', bic: 'DBSSSGSGXXX', iban: 'SG44DBSS00001234567890' },
    remittance: 'Learning Credits claims 3 (batch LC-20250301-0001)',
  },
  {
    endToEndId: 'LC-CLM-0002',
    amount: 12_345n,
    creditorName: 'Tampines Skills Centre',
    creditorAccount: { accountName: 'Tampines Skills Centre', bankCode: '7171', accountNumber: '0123456789' },
    remittance: 'Learning Credits claims 1 (batch LC-20250301-0001)',
  },
  {
    endToEndId: 'LC-CLM-0003',
    amount: 1n,
    creditorName: `Smith & Sons <Training> "Best" it's`,
    creditorAccount: { accountName: 'S&S <T>', bankCode: '7339', accountNumber: '555-000-111' },
    remittance: 'Learning Credits claims 2 (batch LC-20250301-0001) & more',
  },
];

describe('pain.001.001.09', () => {
  it('round-trips three lines: counts, control sums, ids, amounts, escaping', () => {
    const xml = pain001(batchOf(threeLines));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(XMLValidator.validate(xml)).toBe(true);
    // Raw text must be escaped, never carry a bare < from data.
    expect(xml).toContain('Smith &amp; Sons &lt;Training&gt;');
    expect(xml).not.toContain('<Training>');

    const doc = parser.parse(xml);
    expect(doc.Document['@_xmlns']).toBe(PAIN001_NAMESPACE);
    const init = doc.Document.CstmrCdtTrfInitn;
    expect(init.GrpHdr.MsgId).toBe('LC-20250301-0001');
    expect(init.GrpHdr.CreDtTm).toBe('2025-03-01T08:30:15Z');
    expect(init.GrpHdr.NbOfTxs).toBe('3');
    expect(init.GrpHdr.CtrlSum).toBe('423.46');
    expect(init.GrpHdr.InitgPty.Nm).toBe('Learning Credits Fund');
    const pmt = init.PmtInf;
    expect(pmt.PmtMtd).toBe('TRF');
    expect(pmt.NbOfTxs).toBe('3');
    expect(pmt.CtrlSum).toBe('423.46');
    expect(pmt.ReqdExctnDt.Dt).toBe('2025-03-03');
    expect(pmt.DbtrAcct.Id.IBAN).toBe('SG12LCFD00000000001234');
    expect(pmt.DbtrAgt.FinInstnId.BICFI).toBe('LCFDSGSGXXX');

    const txs = pmt.CdtTrfTxInf;
    expect(txs).toHaveLength(3);
    expect(txs.map((t: any) => t.PmtId.EndToEndId)).toEqual(['LC-CLM-0001', 'LC-CLM-0002', 'LC-CLM-0003']);
    expect(txs.map((t: any) => t.Amt.InstdAmt['#text'])).toEqual(['300.00', '123.45', '0.01']);
    expect(txs.every((t: any) => t.Amt.InstdAmt['@_Ccy'] === 'SGD')).toBe(true);
    // IBAN creditor
    expect(txs[0].CdtrAgt.FinInstnId.BICFI).toBe('DBSSSGSGXXX');
    expect(txs[0].CdtrAcct.Id.IBAN).toBe('SG44DBSS00001234567890');
    // Domestic SG account
    expect(txs[1].CdtrAgt.FinInstnId.ClrSysMmbId.MmbId).toBe('7171');
    expect(txs[1].CdtrAcct.Id.Othr.Id).toBe('0123456789');
    // Escaped name comes back intact
    expect(txs[2].Cdtr.Nm).toBe(`Smith & Sons <Training> "Best" it's`);
    expect(txs[2].RmtInf.Ustrd).toBe('Learning Credits claims 2 (batch LC-20250301-0001) & more');
  });

  it('uses Othr/Id for a debtor without IBAN or BIC', () => {
    const xml = pain001(batchOf(threeLines, { debtor: { name: 'Fund', accountNumber: '000111222' } }));
    const pmt = parser.parse(xml).Document.CstmrCdtTrfInitn.PmtInf;
    expect(pmt.DbtrAcct.Id.Othr.Id).toBe('000111222');
    expect(pmt.DbtrAgt.FinInstnId.Othr.Id).toBe('NOTPROVIDED');
  });

  it('refuses batches it cannot write faithfully', () => {
    const dup = [threeLines[0]!, { ...threeLines[1]!, endToEndId: 'LC-CLM-0001' }];
    expect(() => pain001(batchOf(dup))).toThrow(/duplicate/);
    expect(() => pain001(batchOf([{ ...threeLines[0]!, amount: 0n }]))).toThrow(PaymentFileError);
    expect(() => pain001(batchOf([{ ...threeLines[0]!, endToEndId: 'x'.repeat(36) }]))).toThrow(/endToEndId/);
    expect(() => pain001(batchOf([{ ...threeLines[0]!, remittance: 'r'.repeat(141) }]))).toThrow(/remittance/);
    expect(() => pain001(batchOf([]))).toThrow(/at least one line/);
    expect(() => pain001(batchOf(threeLines, { requestedExecutionDate: '2025-02-30' }))).toThrow(/requestedExecutionDate/);
  });

  it('property: CtrlSum and NbOfTxs equal the lines exactly at both levels', () => {
    const line = fc.record({
      amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      name: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f\ufffe\uffff]/.test(s)),
      iban: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 50 }), (specs) => {
        const lines: PaymentFileLine[] = specs.map((s, i) => ({
          endToEndId: `E2E-${i}`,
          amount: s.amount,
          creditorName: s.name,
          creditorAccount: s.iban
            ? { accountName: s.name, bic: 'DBSSSGSGXXX', iban: 'SG44DBSS00001234567890' }
            : { accountName: s.name, bankCode: '7171', accountNumber: '0123456789' },
          remittance: `Learning Credits claims ${i}`,
        }));
        const total = specs.reduce((a, s) => a + s.amount, 0n);
        const doc = parser.parse(pain001(batchOf(lines)));
        const init = doc.Document.CstmrCdtTrfInitn;
        for (const level of [init.GrpHdr, init.PmtInf]) {
          expect(parseDecimalAmount(level.CtrlSum, 'SGD')).toBe(total);
          expect(level.NbOfTxs).toBe(String(specs.length));
        }
        const txs = init.PmtInf.CdtTrfTxInf;
        expect(txs).toHaveLength(specs.length);
        txs.forEach((t: any, i: number) => {
          expect(t.PmtId.EndToEndId).toBe(`E2E-${i}`);
          expect(parseDecimalAmount(t.Amt.InstdAmt['#text'], 'SGD')).toBe(specs[i]!.amount);
          expect(t.Cdtr.Nm).toBe(specs[i]!.name.trim());
        });
      }),
      { numRuns: 200 },
    );
  });
});

/** Minimal RFC 4180 reader for checking our own output. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

describe('payment file CSV', () => {
  it('writes a header, one row per line and a correct control row', () => {
    const csv = paymentFileCsv(batchOf(threeLines));
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = readCsv(csv);
    expect(rows[0]).toEqual([
      'end_to_end_id', 'creditor_name', 'account_name', 'iban', 'bic', 'bank_code', 'account_number', 'amount', 'currency',
      'requested_execution_date', 'remittance',
    ]);
    expect(rows).toHaveLength(5);
    expect(rows.slice(1, 4).map((r) => r[7])).toEqual(['300.00', '123.45', '0.01']);
    expect(rows[1]![3]).toBe('SG44DBSS00001234567890');
    expect(rows[2]![5]).toBe('7171');
    expect(rows[2]![6]).toBe('0123456789');
    expect(rows[3]![1]).toBe(`Smith & Sons <Training> "Best" it's`);
    expect(csv.split('\r\n').at(-2)).toBe('CONTROL,3,423.46');
  });

  it('neutralises formula-looking fields and quotes commas, quotes and newlines', () => {
    const lines: PaymentFileLine[] = [
      { ...threeLines[0]!, endToEndId: 'A1', creditorName: '=HYPERLINK("http://evil","x")' },
      { ...threeLines[1]!, endToEndId: 'A2', creditorName: '+1+2' },
      { ...threeLines[1]!, endToEndId: 'A3', creditorName: '-2', remittance: '@SUM(A1:A2)' },
      { ...threeLines[1]!, endToEndId: 'A4', creditorName: 'Lee, Tan & Partners' },
    ];
    const csv = paymentFileCsv(batchOf(lines));
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csv).toContain(`,'+1+2,`);
    expect(csv).toContain(`,'-2,`);
    expect(csv).toContain(`,'@SUM(A1:A2)\r\n`);
    expect(csv).toContain(`,"Lee, Tan & Partners",`);
    const rows = readCsv(csv);
    expect(rows.slice(1, 5).every((r) => r.length === 11)).toBe(true);
    for (const r of rows.slice(1)) expect(r.every((f) => !/^[=+\-@]/.test(f))).toBe(true);
    expect(rows[1]![1]).toBe(`'=HYPERLINK("http://evil","x")`);
    expect(rows[4]![1]).toBe('Lee, Tan & Partners');
    expect(rows.at(-1)).toEqual(['CONTROL', '4', toDec(30_000n + 3n * 12_345n)]);
  });

  it('control row sum is exact for large amounts', () => {
    const big = 10n ** 17n - 1n;
    const lines = [0, 1, 2].map((i) => ({ ...threeLines[1]!, endToEndId: `B${i}`, amount: big }));
    const csv = paymentFileCsv(batchOf(lines));
    expect(csv.split('\r\n').at(-2)).toBe(`CONTROL,3,${toDec(3n * big)}`);
    expect(toDec(3n * big)).toBe('2999999999999999.97');
  });
});

function toDec(v: bigint): string {
  return `${v / 100n}.${(v % 100n).toString().padStart(2, '0')}`;
}
