/**
 * Outgoing bank payment files for a disbursement batch: a CSV for banks that
 * take spreadsheets and ISO 20022 pain.001.001.09 for those that take XML.
 *
 * The debtor is the treasury's configured account for the batch currency.
 * Each currency has a profile (payee-text.ts owns the text rules of both):
 * EUR follows the EPC SEPA Credit Transfer customer-to-PSP rules, every other
 * currency the general ISO 20022 message. A batch that cannot be written under
 * its profile is a PaymentFileError naming each line and field; batchProblems
 * finds the same problems without writing anything.
 *
 * Pure functions: no I/O, no clock. Amounts are bigint minor units from start
 * to finish; the only conversion is toDecimalString at print time, so the
 * control sums are exact.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { csvField as csvCell } from '../../lib/csv.js';
import { isCalendarDate } from '../../lib/dates.js';
import { MAX_AMOUNT, isCurrency, toDecimalString, type Currency } from '../../lib/money.js';
import type { TreasuryAccount } from '../deps.js';
import { BIC_PATTERN, IBAN_PATTERN, ibanChecksumValid } from '../providers/bank-account.js';
import { debtorAccountProblem, isSepaIban, paymentTextProblem, profileOf, type PaymentProfile, type TextKind } from './payee-text.js';

/** Text columns of a bank file: even a number-looking value is text here. */
const csvField = (value: string) => csvCell(value, { textOnly: true });

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
  /** The treasury's configured account for this currency (Policy.treasuryAccounts). */
  debtor: TreasuryAccount;
  lines: PaymentFileLine[];
}

/** A batch that cannot be written to a bank file; lists every problem found, each as "field: why". */
export class PaymentFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid payment batch: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (+${problems.length - 10} more)` : ''}`);
    this.name = 'PaymentFileError';
  }
}

export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';

const END_TO_END_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,34}$/;
/** The pain.001 IBAN2007Identifier shape; mod-97 is checked too. */
const isIban = (iban: unknown): iban is string => typeof iban === 'string' && IBAN_PATTERN.test(iban) && ibanChecksumValid(iban);
const isBic = (bic: unknown): bic is string => typeof bic === 'string' && BIC_PATTERN.test(bic);
/** A SEPA credit transfer carries at most 999,999,999.99 EUR (EPC: InstdAmt maxInclusive). */
const SEPA_MAX_AMOUNT = 99_999_999_999n;

function checkText(problems: string[], where: string, value: unknown, kind: TextKind, profile: PaymentProfile): void {
  const problem = paymentTextProblem(value, kind, profile);
  if (problem) problems.push(`${where}: ${problem}`);
}

function isIbanAccount(a: CreditorAccount): a is Extract<CreditorAccount, { iban: string }> {
  return 'iban' in a;
}

/**
 * Every reason one line cannot be written under the batch currency's
 * profile, each as "lines[i].field: why". Does not look at other lines
 * (duplicates are a batch problem).
 */
export function lineProblems(line: PaymentFileLine, currency: Currency, index = 0): string[] {
  const profile = profileOf(currency);
  const sepa = profile === 'sepa';
  const problems: string[] = [];
  const at = `lines[${index}]`;
  if (typeof line.endToEndId !== 'string' || !END_TO_END_ID.test(line.endToEndId)) {
    problems.push(`${at}.endToEndId: must be 1-35 chars of [A-Za-z0-9-] starting with a letter or digit`);
  }
  if (typeof line.amount !== 'bigint') problems.push(`${at}.amount: must be a bigint of minor units`);
  else if (line.amount <= 0n) problems.push(`${at}.amount: must be greater than zero`);
  else if (line.amount > MAX_AMOUNT) problems.push(`${at}.amount: exceeds ${MAX_AMOUNT}`);
  else if (sepa && line.amount > SEPA_MAX_AMOUNT) problems.push(`${at}.amount: a SEPA credit transfer is at most 999999999.99 EUR`);
  checkText(problems, `${at}.creditorName`, line.creditorName, 'partyName', profile);
  checkText(problems, `${at}.remittance`, line.remittance, 'remittance', profile);
  const acct = line.creditorAccount;
  if (typeof acct !== 'object' || acct === null) {
    problems.push(`${at}.creditorAccount: missing`);
    return problems;
  }
  checkText(problems, `${at}.creditorAccount.accountName`, acct.accountName, 'accountName', profile);
  if (isIbanAccount(acct)) {
    if (!isIban(acct.iban)) problems.push(`${at}.creditorAccount.iban: not a valid IBAN`);
    else if (sepa && !isSepaIban(acct.iban)) problems.push(`${at}.creditorAccount.iban: a SEPA credit transfer pays only IBANs of SEPA countries, not ${acct.iban.slice(0, 2)}`);
    if (!isBic(acct.bic)) problems.push(`${at}.creditorAccount.bic: not a BIC`);
  } else if (sepa) {
    problems.push(`${at}.creditorAccount.iban: a SEPA credit transfer needs the creditor's IBAN; this payee has a domestic account`);
  } else {
    checkText(problems, `${at}.creditorAccount.bankCode`, acct.bankCode, 'reference', profile);
    checkText(problems, `${at}.creditorAccount.accountNumber`, acct.accountNumber, 'reference', profile);
  }
  return problems;
}

/**
 * Every reason the batch cannot be written to a payment file, in either
 * format, under its currency's profile (EUR: EPC SEPA credit transfer; any
 * other: general ISO 20022). Empty when both files can be written. Pure: the
 * batch service runs it on the content before any money moves.
 */
export function batchProblems(batch: PaymentFileBatch): string[] {
  const problems: string[] = [];
  if (!isCurrency(batch.currency)) return [`currency: unknown currency ${String(batch.currency)}`];
  const profile = profileOf(batch.currency);
  checkText(problems, 'messageId', batch.messageId, 'reference', profile);
  if (!(batch.createdAt instanceof Date) || Number.isNaN(batch.createdAt.getTime())) problems.push('createdAt: not a valid date');
  if (!isCalendarDate(batch.requestedExecutionDate)) problems.push('requestedExecutionDate: must be a YYYY-MM-DD calendar date');
  const debtor = batch.debtor as Partial<TreasuryAccount> | undefined;
  if (!debtor) {
    problems.push(`debtor: no treasury account for ${batch.currency}`);
  } else {
    checkText(problems, 'debtor.name', debtor.name, 'partyName', profile);
    const { iban, bic, accountNumber } = debtor;
    const accountProblem = debtorAccountProblem(debtor, profile);
    if ((iban === undefined) === (accountNumber === undefined)) problems.push('debtor: needs exactly one of iban and accountNumber');
    else if (iban !== undefined && !isIban(iban)) problems.push('debtor.iban: not a valid IBAN');
    else if (accountProblem) problems.push(`debtor.${accountProblem.field}: ${accountProblem.message}`);
    else if (accountNumber !== undefined) checkText(problems, 'debtor.accountNumber', accountNumber, 'reference', profile);
    if (!isBic(bic)) problems.push('debtor.bic: needs the BIC of the treasury\'s bank');
  }
  if (batch.lines.length === 0) problems.push('lines: a payment file needs at least one line');

  const seen = new Set<string>();
  batch.lines.forEach((line, i) => {
    problems.push(...lineProblems(line, batch.currency, i));
    if (seen.has(line.endToEndId)) problems.push(`lines[${i}].endToEndId: duplicate ${line.endToEndId}`);
    seen.add(line.endToEndId);
  });
  const total = batch.lines.reduce((sum, line) => sum + (typeof line.amount === 'bigint' && line.amount > 0n ? line.amount : 0n), 0n);
  if (total.toString().length > 18) problems.push('lines: the control sum is longer than the 18 digits a payment file carries; split the batch');
  return problems;
}

/** Checks everything both formats rely on; throws PaymentFileError listing every problem. Returns the exact total. */
export function validateBatch(batch: PaymentFileBatch): bigint {
  const problems = batchProblems(batch);
  if (problems.length > 0) throw new PaymentFileError(problems);
  return batch.lines.reduce((total, line) => total + line.amount, 0n);
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

/**
 * ISO 20022 pain.001.001.09 CustomerCreditTransferInitiation: one PmtInf, one
 * CdtTrfTxInf per line. EUR follows the EPC SEPA Credit Transfer
 * customer-to-PSP profile: service level SEPA, charges SLEV, creditor by IBAN,
 * no account name. Other currencies keep the general ISO profile.
 */
export function pain001(batch: PaymentFileBatch): string {
  const total = validateBatch(batch);
  const ccy = batch.currency;
  const sepa = profileOf(ccy) === 'sepa';
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
          ...(sepa ? { PmtTpInf: { SvcLvl: { Cd: 'SEPA' } } } : {}),
          ReqdExctnDt: { Dt: batch.requestedExecutionDate },
          Dbtr: { Nm: debtor.name },
          DbtrAcct: { Id: debtor.iban !== undefined ? { IBAN: debtor.iban } : { Othr: { Id: debtor.accountNumber } } },
          DbtrAgt: { FinInstnId: { BICFI: debtor.bic } },
          ...(sepa ? { ChrgBr: 'SLEV' } : {}),
          CdtTrfTxInf: batch.lines.map((line) => {
            const a = line.creditorAccount;
            const iban = isIbanAccount(a);
            return {
              PmtId: { EndToEndId: line.endToEndId },
              Amt: { InstdAmt: { '@_Ccy': ccy, '#text': toDecimalString(line.amount, ccy) } },
              CdtrAgt: { FinInstnId: iban ? { BICFI: a.bic } : { ClrSysMmbId: { MmbId: a.bankCode } } },
              Cdtr: { Nm: line.creditorName },
              // SEPA identifies the creditor's account by IBAN alone (EPC: CdtrAcct/Nm is not allowed).
              CdtrAcct: sepa ? { Id: { IBAN: (a as { iban: string }).iban } } : { Id: iban ? { IBAN: a.iban } : { Othr: { Id: a.accountNumber } }, Nm: a.accountName },
              RmtInf: { Ustrd: line.remittance },
            };
          }),
        },
      },
    },
  };
  return builder.build(document) as string;
}
