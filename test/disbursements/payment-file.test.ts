import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseDecimalAmount, type Currency } from '../../src/lib/money.js';
import { defaultPolicy, type TreasuryAccount } from '../../src/modules/deps.js';
import { paymentTextProblem } from '../../src/modules/disbursements/payee-text.js';
import {
  PAIN001_NAMESPACE, PaymentFileError, batchProblems, lineProblems, pain001, paymentFileCsv, validateBatch, type PaymentFileBatch, type PaymentFileLine,
} from '../../src/modules/disbursements/payment-file.js';
import { schemaErrors, schemasAvailable, schemasMissingReason } from '../support/iso20022.js';

/** Parses with entities decoded (this is our own trusted output) and every text as a string. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  isArray: (name) => name === 'CdtTrfTxInf',
});

const sgTreasury: TreasuryAccount = { name: 'Learning Credits Fund', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' };

function batchOf(lines: PaymentFileLine[], over: Partial<PaymentFileBatch> = {}): PaymentFileBatch {
  return {
    messageId: 'LC-20250301-0001',
    createdAt: new Date('2025-03-01T08:30:15.123Z'),
    requestedExecutionDate: '2025-03-03',
    currency: 'SGD',
    debtor: sgTreasury,
    lines,
    ...over,
  };
}

const threeLines: PaymentFileLine[] = [
  {
    endToEndId: 'LC-CLM-0001',
    amount: 30_000n,
    creditorName: 'Northwind Academy',
    creditorAccount: { accountName: 'Northwind Academy Pte Ltd', bic: 'WESTGB2LXXX', iban: 'GB82WEST12345698765432' },
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
    expect(pmt.Dbtr.Nm).toBe('Learning Credits Fund');
    expect(pmt.DbtrAcct.Id.Othr.Id).toBe('0720123456');
    expect(pmt.DbtrAgt.FinInstnId.BICFI).toBe('DBSSSGSGXXX');
    // The general ISO profile: no SEPA service level or charge bearer, and the account name is written.
    expect(pmt.PmtTpInf).toBeUndefined();
    expect(pmt.ChrgBr).toBeUndefined();

    const txs = pmt.CdtTrfTxInf;
    expect(txs).toHaveLength(3);
    expect(txs.map((t: any) => t.PmtId.EndToEndId)).toEqual(['LC-CLM-0001', 'LC-CLM-0002', 'LC-CLM-0003']);
    expect(txs.map((t: any) => t.Amt.InstdAmt['#text'])).toEqual(['300.00', '123.45', '0.01']);
    expect(txs.every((t: any) => t.Amt.InstdAmt['@_Ccy'] === 'SGD')).toBe(true);
    // IBAN creditor
    expect(txs[0].CdtrAgt.FinInstnId.BICFI).toBe('WESTGB2LXXX');
    expect(txs[0].CdtrAcct.Nm).toBe('Northwind Academy Pte Ltd');
    expect(txs[0].CdtrAcct.Id.IBAN).toBe('GB82WEST12345698765432');
    // Domestic SG account
    expect(txs[1].CdtrAgt.FinInstnId.ClrSysMmbId.MmbId).toBe('7171');
    expect(txs[1].CdtrAcct.Id.Othr.Id).toBe('0123456789');
    // Escaped name comes back intact
    expect(txs[2].Cdtr.Nm).toBe(`Smith & Sons <Training> "Best" it's`);
    expect(txs[2].RmtInf.Ustrd).toBe('Learning Credits claims 2 (batch LC-20250301-0001) & more');
  });

  it('writes a debtor with an IBAN as DbtrAcct/Id/IBAN, and DbtrAgt always carries the configured BIC (never NOTPROVIDED)', () => {
    const xml = pain001(batchOf(threeLines, { debtor: { name: 'Fund', iban: 'DE89370400440532013000', bic: 'DEUTDEFF' } }));
    const pmt = parser.parse(xml).Document.CstmrCdtTrfInitn.PmtInf;
    expect(pmt.DbtrAcct.Id.IBAN).toBe('DE89370400440532013000');
    expect(pmt.DbtrAgt.FinInstnId.BICFI).toBe('DEUTDEFF');
    expect(xml).not.toContain('NOTPROVIDED');
  });

  it('refuses a debtor without a BIC, with both or neither of iban and accountNumber, or with a wrong IBAN', () => {
    const debtors = [
      [{ name: 'Fund', accountNumber: '000111222' }, /debtor\.bic/],
      [{ name: 'Fund', accountNumber: '000111222', iban: 'DE89370400440532013000', bic: 'DEUTDEFF' }, /debtor: needs exactly one/],
      [{ name: 'Fund', bic: 'DEUTDEFF' }, /debtor: needs exactly one/],
      [{ name: 'Fund', iban: 'DE88370400440532013000', bic: 'DEUTDEFF' }, /debtor\.iban: not a valid IBAN/],
    ] as const;
    for (const [debtor, message] of debtors) expect(() => pain001(batchOf(threeLines, { debtor: debtor as TreasuryAccount }))).toThrow(message);
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
      name: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => paymentTextProblem(s, 'partyName', 'iso') === undefined),
      iban: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 50 }), (specs) => {
        const lines: PaymentFileLine[] = specs.map((s, i) => ({
          endToEndId: `E2E-${i}`,
          amount: s.amount,
          creditorName: s.name,
          creditorAccount: s.iban
            ? { accountName: s.name, bic: 'WESTGB2LXXX', iban: 'GB82WEST12345698765432' }
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

/**
 * A batch's file content as the batch service builds it: message and
 * end-to-end ids from line ids, the treasury's demo account for the currency
 * as debtor, creditors shaped like the seeded demo providers.
 */
function serviceFile(currency: Currency, creditors: Pick<PaymentFileLine, 'creditorName' | 'creditorAccount' | 'amount'>[], debtor = defaultPolicy.treasuryAccounts[currency]!): PaymentFileBatch {
  const messageId = 'LCB3f2a9c1e7b4d4e0f9a1b2c3d4e5f6a7b';
  return {
    messageId, createdAt: new Date('2027-03-01T02:00:00.456Z'), requestedExecutionDate: '2027-03-02', currency, debtor,
    lines: creditors.map((c, i) => ({ ...c, endToEndId: `LC9d8e7f6a5b4c4d3e8f7a6b5c4d3e2f1${i}`, remittance: `Learning Credits claims, batch ${messageId}` })),
  };
}

const sgdFile = () =>
  serviceFile('SGD', [
    { creditorName: 'Lion City Digital Academy Pte Ltd', amount: 120_000n, creditorAccount: { accountName: 'Lion City Digital Academy Pte Ltd', bankCode: '7171', accountNumber: '0721234567' } },
    { creditorName: 'Smith & Sons <Training> "Best"', amount: 1n, creditorAccount: { accountName: 'S&S <T>', bankCode: '7339', accountNumber: '5550001111' } },
  ]);
const idrFile = () =>
  serviceFile('IDR', [{ creditorName: 'PT Belajar Nusantara', amount: 150_000_000n, creditorAccount: { accountName: 'PT Belajar Nusantara', bankCode: '014', accountNumber: '1234567890' } }]);
const formationAvenir: PaymentFileLine['creditorAccount'] = { accountName: 'Formation Avenir SAS', bic: 'AGRIFRPP', iban: 'FR7630006000011234567890189' };
const eurFile = () =>
  serviceFile('EUR', [
    { creditorName: 'Formation Avenir SAS', amount: 120_000n, creditorAccount: formationAvenir },
    { creditorName: "Lernwerk GmbH (Kurs 2/3) - Pruefung + Zertifikat, Mitte'Berlin?", amount: 99_999_999_999n, creditorAccount: { accountName: 'Lernwerk & Söhne GmbH', bic: 'DEUTDEFF', iban: 'DE89370400440532013000' } },
  ]);

describe('payment file profiles', () => {
  it.runIf(!schemasAvailable)('says when the ISO 20022 schemas are absent and the XSD checks skip', () => {
    console.warn(schemasMissingReason);
  });

  it.skipIf(!schemasAvailable)('the SGD file validates against pain.001.001.09.xsd', async () => {
    expect(await schemaErrors('pain001', pain001(sgdFile()))).toEqual([]);
  });

  it.skipIf(!schemasAvailable)('the IDR file validates against pain.001.001.09.xsd', async () => {
    expect(await schemaErrors('pain001', pain001(idrFile()))).toEqual([]);
  });

  it.skipIf(!schemasAvailable)('the EUR file validates against pain.001.001.09.xsd and against the EPC SEPA credit-transfer schema', async () => {
    const xml = pain001(eurFile());
    expect(await schemaErrors('pain001', xml)).toEqual([]);
    expect(await schemaErrors('epcSctPain001', xml)).toEqual([]);
  });

  it.skipIf(!schemasAvailable)('the EPC check is live: a general-profile file (domestic accounts, account names) fails it', async () => {
    const errors = await schemaErrors('epcSctPain001', pain001(sgdFile()));
    expect(errors.join('\n')).toMatch(/Othr': This element is not expected/);
  });

  it.skipIf(!schemasAvailable)('property: any EUR batch the rules accept validates against the EPC schema', async () => {
    const epcChar = fc.constantFrom(...'ABCXYZabcxyz0189/-?:().,\'+ '.split(''));
    const spec = fc.record({
      name: fc.array(epcChar, { minLength: 1, maxLength: 70 }).map((cs) => cs.join('')),
      amount: fc.bigInt({ min: 1n, max: 99_999_999_999n }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 5 }), async (specs) => {
        const file = serviceFile('EUR', specs.map((x) => ({ creditorName: x.name, amount: x.amount, creditorAccount: formationAvenir })));
        fc.pre(batchProblems(file).length === 0);
        expect(await schemaErrors('epcSctPain001', pain001(file))).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  it('EUR follows the EPC rules: service level SEPA, charges SLEV, creditor by IBAN only, no account name, BIC of both agents', () => {
    const pmt = parser.parse(pain001(eurFile())).Document.CstmrCdtTrfInitn.PmtInf;
    expect(pmt.PmtTpInf.SvcLvl.Cd).toBe('SEPA');
    expect(pmt.ChrgBr).toBe('SLEV');
    expect(pmt.DbtrAcct.Id.IBAN).toBe(defaultPolicy.treasuryAccounts.EUR!.iban);
    expect(pmt.DbtrAgt.FinInstnId.BICFI).toBe(defaultPolicy.treasuryAccounts.EUR!.bic);
    const [tx] = pmt.CdtTrfTxInf;
    expect(tx.CdtrAcct).toEqual({ Id: { IBAN: 'FR7630006000011234567890189' } });
    expect(tx.CdtrAgt.FinInstnId.BICFI).toBe('AGRIFRPP');
    expect(pmt.CdtTrfTxInf[1].Amt.InstdAmt['#text']).toBe('999999999.99');
  });

  it('when a EUR line cannot be written under SEPA, then PaymentFileError names the line and the field', () => {
    const [good] = eurFile().lines;
    const cases: [Partial<PaymentFileLine>, RegExp][] = [
      [{ creditorName: 'N'.repeat(71) }, /lines\[1\]\.creditorName: must be at most 70 characters for a SEPA/],
      [{ creditorName: 'Formation & Avenir' }, /lines\[1\]\.creditorName: may use only the SEPA character set/],
      [{ creditorName: 'Société Générale Formation' }, /lines\[1\]\.creditorName: may use only the SEPA character set/],
      [{ creditorAccount: { accountName: 'PT Belajar Nusantara', bankCode: '014', accountNumber: '1234567890' } }, /lines\[1\]\.creditorAccount\.iban: a SEPA credit transfer needs the creditor's IBAN/],
      [{ creditorAccount: { accountName: 'Saudi Academy', bic: 'NCBKSAJE', iban: 'SA0380000000608010167519' } }, /lines\[1\]\.creditorAccount\.iban: .*SEPA countries, not SA/],
      [{ amount: 100_000_000_000n }, /lines\[1\]\.amount: a SEPA credit transfer is at most 999999999\.99/],
      [{ remittance: 'Claims #12' }, /lines\[1\]\.remittance: may use only the SEPA character set/],
    ];
    for (const [change, message] of cases) {
      const file = serviceFile('EUR', []);
      file.lines = [good!, { ...good!, endToEndId: 'LC-SECOND', ...change }];
      expect(() => pain001(file), message.source).toThrow(PaymentFileError);
      expect(() => pain001(file)).toThrow(message);
      expect(() => paymentFileCsv(file)).toThrow(message);
      // The same content under the general ISO profile (SGD) writes: the profile decides.
      if (!('creditorAccount' in change) && !('amount' in change)) {
        expect(batchProblems({ ...file, currency: 'SGD', debtor: defaultPolicy.treasuryAccounts.SGD! })).toEqual([]);
      }
    }
  });

  it('when the EUR debtor is not a SEPA IBAN, then the file is refused naming debtor.iban', () => {
    expect(() => pain001(serviceFile('EUR', eurFile().lines, { name: 'Treasury', accountNumber: '1234567890', bic: 'AGRIFRPP' }))).toThrow(/debtor\.iban: .*IBAN, not a local account number/);
    expect(() => pain001(serviceFile('EUR', eurFile().lines, { name: 'Treasury & Co', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' }))).toThrow(/debtor\.name: may use only the SEPA character set/);
  });

  it('a line of 141 characters or with a control character is a problem of that line under every profile', () => {
    for (const currency of ['SGD', 'IDR', 'EUR'] as const) {
      const line = { ...eurFile().lines[0]!, creditorName: 'N'.repeat(141) };
      expect(lineProblems(line, currency, 4)).toEqual([expect.stringMatching(/^lines\[4\]\.creditorName: must be at most (140|70) characters/)]);
      expect(lineProblems({ ...line, creditorName: 'Formation\u0000Avenir' }, currency, 0)).toEqual([expect.stringMatching(/^lines\[0\]\.creditorName: must not contain control characters/)]);
    }
  });

  it('batchProblems finds, without writing, exactly what validateBatch and both writers refuse', () => {
    for (const file of [sgdFile(), idrFile(), eurFile()]) {
      expect(batchProblems(file)).toEqual([]);
      expect(validateBatch(file)).toBe(file.lines.reduce((s, l) => s + l.amount, 0n));
    }
    const bad = eurFile();
    bad.lines[0] = { ...bad.lines[0]!, creditorName: 'A & B' };
    const problems = batchProblems(bad);
    expect(problems).toEqual([expect.stringMatching(/^lines\[0\]\.creditorName: /)]);
    let thrown: unknown;
    try {
      validateBatch(bad);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PaymentFileError);
    expect((thrown as PaymentFileError).problems).toEqual(problems);
  });

  it('the debtor is the treasury account configured in TREASURY_ACCOUNTS for the batch currency', async () => {
    const config = loadConfig({
      TREASURY_ACCOUNTS: JSON.stringify({
        EUR: { name: 'Caisse des Formations', iban: 'FR14 2004 1010 0505 0001 3M02 606', bic: 'psstfrppxxx' },
        SGD: { name: 'SkillsFuture Singapore Disbursements', accountNumber: '012-345678-9', bic: 'OCBCSGSG' },
      }),
    });
    const eur = config.TREASURY_ACCOUNTS!.EUR!;
    const eurDoc = parser.parse(pain001(serviceFile('EUR', eurFile().lines, eur))).Document.CstmrCdtTrfInitn;
    expect(eurDoc.GrpHdr.InitgPty.Nm).toBe('Caisse des Formations');
    expect(eurDoc.PmtInf.Dbtr.Nm).toBe('Caisse des Formations');
    expect(eurDoc.PmtInf.DbtrAcct.Id.IBAN).toBe('FR1420041010050500013M02606');
    expect(eurDoc.PmtInf.DbtrAgt.FinInstnId.BICFI).toBe('PSSTFRPPXXX');
    const sgdDoc = parser.parse(pain001(serviceFile('SGD', sgdFile().lines, config.TREASURY_ACCOUNTS!.SGD!))).Document.CstmrCdtTrfInitn;
    expect(sgdDoc.PmtInf.Dbtr.Nm).toBe('SkillsFuture Singapore Disbursements');
    expect(sgdDoc.PmtInf.DbtrAcct.Id.Othr.Id).toBe('0123456789');
    expect(sgdDoc.PmtInf.DbtrAgt.FinInstnId.BICFI).toBe('OCBCSGSG');
    if (schemasAvailable) expect(await schemaErrors('epcSctPain001', pain001(serviceFile('EUR', eurFile().lines, eur)))).toEqual([]);
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
    expect(rows[1]![3]).toBe('GB82WEST12345698765432');
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
