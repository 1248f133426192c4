/**
 * Outgoing bank payment files for a disbursement batch: a CSV for banks that
 * take spreadsheets and ISO 20022 pain.001.001.09 for those that take XML.
 *
 * Pure functions: no I/O, no clock. Amounts are bigint minor units from start
 * to finish; the only conversion is toDecimalString at print time, so the
 * control sums are exact.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { csvField as csvCell } from '../../lib/csv.js';

/** Text columns of a bank file: even a number-looking value is text here. */
const csvField = (value: string) => csvCell(value, { textOnly: true });
import { isCalendarDate } from '../../lib/dates.js';
import { MAX_AMOUNT, isCurrency, toDecimalString, type Currency } from '../../lib/money.js';

export type CreditorAccount =
  | { accountName: string; bic: string; iban: string }
  | { accountName: string; bankCode: string; accountNumber: string };

export interface PaymentFileLine {
  /** Unique within the batch, 1–35 chars of [A-Za-z0-9-], starting with a letter or digit. */
  endToEndId: string;
  amount: bigint;
  creditorName: string;
  creditorAccount: CreditorAccount;
  /** Unstructured remittance text, at most 140 chars. */
  remittance: string;
}

export interface PaymentFileBatch {
  messageId: string;
  createdAt: Date;
  /** YYYY-MM-DD */
  requestedExecutionDate: string;
  currency: Currency;
  debtor: { name: string; iban?: string; bic?: string; accountNumber?: string; bankCode?: string };
  lines: PaymentFileLine[];
}

/** A batch that cannot be written to a bank file; lists every problem found. */
export class PaymentFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid payment batch: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (+${problems.length - 10} more)` : ''}`);
    this.name = 'PaymentFileError';
  }
}

export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';

const END_TO_END_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,34}$/;
const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/;
const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/;
// Characters XML 1.0 cannot carry at all, plus other C0 controls that have no place in a bank file.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f\ufffe\uffff]/;
const MAX_TEXT = 140;
const MAX_ID = 35;


function checkText(problems: string[], where: string, value: string, max: number): void {
  if (typeof value !== 'string' || value.trim() === '') problems.push(`${where}: must not be empty`);
  else if (value.length > max) problems.push(`${where}: longer than ${max} characters`);
  else if (CONTROL_CHARS.test(value)) problems.push(`${where}: contains control characters`);
}

function isIbanAccount(a: CreditorAccount): a is Extract<CreditorAccount, { iban: string }> {
  return 'iban' in a;
}

/** Checks everything both formats rely on; throws PaymentFileError listing every problem. Returns the exact total. */
function validateBatch(batch: PaymentFileBatch): bigint {
  const problems: string[] = [];
  if (!isCurrency(batch.currency)) problems.push(`currency: unknown currency ${String(batch.currency)}`);
  checkText(problems, 'messageId', batch.messageId, MAX_ID);
  if (!(batch.createdAt instanceof Date) || Number.isNaN(batch.createdAt.getTime())) problems.push('createdAt: not a valid date');
  if (!isCalendarDate(batch.requestedExecutionDate)) problems.push('requestedExecutionDate: must be a YYYY-MM-DD calendar date');
  checkText(problems, 'debtor.name', batch.debtor.name, MAX_TEXT);
  const { iban, bic, accountNumber } = batch.debtor;
  if (iban !== undefined && !IBAN.test(iban)) problems.push('debtor.iban: not an IBAN');
  if (bic !== undefined && !BIC.test(bic)) problems.push('debtor.bic: not a BIC');
  if (iban === undefined) {
    if (accountNumber === undefined) problems.push('debtor: needs an iban or an accountNumber');
    else checkText(problems, 'debtor.accountNumber', accountNumber, 34);
  }
  if (batch.lines.length === 0) problems.push('lines: a payment file needs at least one line');

  const seen = new Set<string>();
  let total = 0n;
  batch.lines.forEach((line, i) => {
    const at = `lines[${i}]`;
    if (!END_TO_END_ID.test(line.endToEndId)) problems.push(`${at}.endToEndId: must be 1-35 chars of [A-Za-z0-9-] starting with a letter or digit`);
    else if (seen.has(line.endToEndId)) problems.push(`${at}.endToEndId: duplicate ${line.endToEndId}`);
    seen.add(line.endToEndId);
    if (typeof line.amount !== 'bigint') problems.push(`${at}.amount: must be a bigint of minor units`);
    else if (line.amount <= 0n) problems.push(`${at}.amount: must be greater than zero`);
    else if (line.amount > MAX_AMOUNT) problems.push(`${at}.amount: exceeds ${MAX_AMOUNT}`);
    else total += line.amount;
    checkText(problems, `${at}.creditorName`, line.creditorName, MAX_TEXT);
    checkText(problems, `${at}.remittance`, line.remittance, MAX_TEXT);
    const acct = line.creditorAccount;
    checkText(problems, `${at}.creditorAccount.accountName`, acct.accountName, MAX_TEXT);
    if (isIbanAccount(acct)) {
      if (!IBAN.test(acct.iban)) problems.push(`${at}.creditorAccount.iban: not an IBAN`);
      if (!BIC.test(acct.bic)) problems.push(`${at}.creditorAccount.bic: not a BIC`);
    } else {
      checkText(problems, `${at}.creditorAccount.bankCode`, acct.bankCode, 35);
      checkText(problems, `${at}.creditorAccount.accountNumber`, acct.accountNumber, 34);
    }
  });
  if (problems.length > 0) throw new PaymentFileError(problems);
  return total;
}

// ---------------------------------------------------------------- CSV

export const PAYMENT_CSV_HEADER = [
  'end_to_end_id',
  'creditor_name',
  'account_name',
  'iban',
  'bic',
  'bank_code',
  'account_number',
  'amount',
  'currency',
  'requested_execution_date',
  'remittance',
] as const;

/** Header row, one row per line, then `CONTROL,<count>,<sum>`. CRLF line endings, trailing CRLF. */
export function paymentFileCsv(batch: PaymentFileBatch): string {
  const total = validateBatch(batch);
  const rows: string[] = [PAYMENT_CSV_HEADER.join(',')];
  for (const line of batch.lines) {
    const a = line.creditorAccount;
    const iban = isIbanAccount(a);
    rows.push(
      [
        csvField(line.endToEndId),
        csvField(line.creditorName),
        csvField(a.accountName),
        csvField(iban ? a.iban : ''),
        csvField(iban ? a.bic : ''),
        csvField(iban ? '' : a.bankCode),
        csvField(iban ? '' : a.accountNumber),
        // Validated positive, so never starts with '-': no neutralising needed (or wanted) here.
        toDecimalString(line.amount, batch.currency),
        batch.currency,
        batch.requestedExecutionDate,
        csvField(line.remittance),
      ].join(','),
    );
  }
  rows.push(`CONTROL,${batch.lines.length},${toDecimalString(total, batch.currency)}`);
  return `${rows.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------- pain.001

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  // Default true: escapes & < > " ' in text and attribute values.
  processEntities: true,
});

/** xs:dateTime without milliseconds, in UTC. */
function isoDateTime(d: Date): string {
  const s = d.toISOString();
  return `${s.slice(0, 19)}Z`;
}

/** ISO 20022 pain.001.001.09 CustomerCreditTransferInitiation: one PmtInf, one CdtTrfTxInf per line. */
export function pain001(batch: PaymentFileBatch): string {
  const total = validateBatch(batch);
  const ccy = batch.currency;
  const count = String(batch.lines.length);
  const ctrlSum = toDecimalString(total, ccy);
  const { debtor } = batch;

  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': PAIN001_NAMESPACE,
      CstmrCdtTrfInitn: {
        GrpHdr: {
          MsgId: batch.messageId,
          CreDtTm: isoDateTime(batch.createdAt),
          NbOfTxs: count,
          CtrlSum: ctrlSum,
          InitgPty: { Nm: debtor.name },
        },
        PmtInf: {
          PmtInfId: batch.messageId,
          PmtMtd: 'TRF',
          NbOfTxs: count,
          CtrlSum: ctrlSum,
          ReqdExctnDt: { Dt: batch.requestedExecutionDate },
          Dbtr: { Nm: debtor.name },
          DbtrAcct: {
            Id: debtor.iban !== undefined ? { IBAN: debtor.iban } : { Othr: { Id: debtor.accountNumber } },
          },
          DbtrAgt: {
            FinInstnId: debtor.bic !== undefined ? { BICFI: debtor.bic } : { Othr: { Id: 'NOTPROVIDED' } },
          },
          CdtTrfTxInf: batch.lines.map((line) => {
            const a = line.creditorAccount;
            const iban = isIbanAccount(a);
            return {
              PmtId: { EndToEndId: line.endToEndId },
              Amt: { InstdAmt: { '@_Ccy': ccy, '#text': toDecimalString(line.amount, ccy) } },
              CdtrAgt: { FinInstnId: iban ? { BICFI: a.bic } : { ClrSysMmbId: { MmbId: a.bankCode } } },
              Cdtr: { Nm: line.creditorName },
              CdtrAcct: {
                Id: iban ? { IBAN: a.iban } : { Othr: { Id: a.accountNumber } },
                Nm: a.accountName,
              },
              RmtInf: { Ustrd: line.remittance },
            };
          }),
        },
      },
    },
  };
  return builder.build(document) as string;
}
