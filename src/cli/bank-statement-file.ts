/**
 * The bank's side of a disbursement batch, for trying the service without a
 * bank: which entries a statement reports for the batch's payment lines, and
 * that statement as camt.053.001.08 (in the element order the XSD requires)
 * or as the service's statement CSV. Pure functions; the CLI
 * (bank-statement.ts) fetches the batch and prints the result.
 */
import { XMLParser } from 'fast-xml-parser';
import { isCurrency, toDecimalString, type Currency } from '../lib/money.js';
import { CAMT053_NAMESPACE } from '../modules/reconciliation/statement-camt053.js';
import { STATEMENT_CSV_COLUMNS } from '../modules/reconciliation/statement-csv.js';

/** A batch as GET /v1/disbursement-batches/{id} answers it (the fields used here). */
export interface BatchForBank {
  id: string;
  currency: string;
  status: string;
  messageId: string;
  approval?: { id: string; status: string };
  lines: { endToEndId: string; amount: string; status: string }[];
}

export type EntryStatus = 'BOOK' | 'PDNG';

export interface BankEntry {
  endToEndId: string;
  /** Minor units. */
  amount: bigint;
  /** DBIT: the payment left the treasury account; CRDT: it came back. */
  direction: 'DBIT' | 'CRDT';
  isReturn: boolean;
  status: EntryStatus;
  /** ISO 20022 ExternalReturnReason1Code of a return, e.g. AC04 (account closed). */
  returnReason?: string;
}

/** Stmt/Acct/Id: an IBAN or another identifier (a local account number). */
export type StatementAccount = { iban: string } | { other: string };

export interface BankStatement {
  id: string;
  createdAt: Date;
  currency: Currency;
  account: StatementAccount;
  /** Minor units, positive for a credit balance. */
  opening: bigint;
  entries: BankEntry[];
}

export class BankFileError extends Error {}

export interface EntryOptions {
  /** End-to-end ids of payments the creditor's bank sends back. */
  returns?: string[];
  /** Report every entry as PDNG (not booked yet): recorded by the service, moves nothing. */
  pending?: boolean;
  returnReason?: string;
}

/**
 * What the bank reports today for this batch. Each line still pending is paid
 * (a DBIT); a line named in `returns` is also sent back (a CRDT return after
 * its payment, or alone when an earlier statement already settled it). Lines
 * the bank reported before, and lines netted to nothing, are left out, as a
 * bank would: reporting them again would only make `duplicate` exceptions.
 */
export function entriesForBatch(batch: BatchForBank, options: EntryOptions = {}): { entries: BankEntry[]; left: string[] } {
  if (batch.status === 'proposed') {
    throw new BankFileError(
      `batch ${batch.id} is proposed, not released: nothing has gone to the bank yet. A second finance officer approves it first` +
        (batch.approval ? ` (POST /v1/approvals/${batch.approval.id}/approve)` : ''),
    );
  }
  if (batch.status === 'rejected') throw new BankFileError(`batch ${batch.id} was rejected: nothing went to the bank`);
  const returns = new Set(options.returns ?? []);
  const known = new Set(batch.lines.map((l) => l.endToEndId));
  for (const ref of returns) {
    if (!known.has(ref)) {
      throw new BankFileError(`--return ${ref}: batch ${batch.id} has no payment with that end-to-end id (it has ${[...known].join(', ') || 'none'})`);
    }
  }
  const status: EntryStatus = options.pending ? 'PDNG' : 'BOOK';
  const entries: BankEntry[] = [];
  const left: string[] = [];
  for (const line of batch.lines) {
    const amount = BigInt(line.amount);
    const paid: BankEntry = { endToEndId: line.endToEndId, amount, direction: 'DBIT', isReturn: false, status };
    const back: BankEntry = {
      endToEndId: line.endToEndId, amount, direction: 'CRDT', isReturn: true, status, returnReason: options.returnReason ?? 'AC04',
    };
    const returned = returns.has(line.endToEndId);
    switch (line.status) {
      case 'pending':
        entries.push(paid, ...(returned ? [back] : []));
        break;
      case 'settled':
        if (returned) entries.push(back);
        else left.push(`${line.endToEndId}: already settled`);
        break;
      case 'returned':
        if (returned) throw new BankFileError(`--return ${line.endToEndId}: that payment was already returned`);
        left.push(`${line.endToEndId}: already returned`);
        break;
      case 'netted':
        if (returned) throw new BankFileError(`--return ${line.endToEndId}: that line was netted against what its provider owed; nothing went to the bank`);
        left.push(`${line.endToEndId}: netted, nothing to pay`);
        break;
      default:
        if (returned) throw new BankFileError(`--return ${line.endToEndId}: that line is ${line.status}; nothing went to the bank`);
        left.push(`${line.endToEndId}: ${line.status}`);
    }
  }
  if (entries.length === 0) {
    throw new BankFileError(
      `nothing for the bank to report on batch ${batch.id} (${left.join('; ') || 'no lines'}). ` +
        'To send back a settled payment: --return <endToEndId>',
    );
  }
  return { entries, left };
}

/** The treasury account a pain.001 payment file is paid from (PmtInf/DbtrAcct/Id): what the bank's statement is for. */
export function debtorAccountOf(pain001: string): StatementAccount {
  const doc = new XMLParser({ removeNSPrefix: true, parseTagValue: false }).parse(pain001) as Record<string, any>;
  const pmtInf = doc?.Document?.CstmrCdtTrfInitn?.PmtInf;
  const id = (Array.isArray(pmtInf) ? pmtInf[0] : pmtInf)?.DbtrAcct?.Id;
  if (typeof id?.IBAN === 'string') return { iban: id.IBAN };
  if (id?.Othr?.Id !== undefined) return { other: String(id.Othr.Id) };
  throw new BankFileError('the payment file names no debtor account (PmtInf/DbtrAcct/Id)');
}

/** Opening balance plus the booked entries, signed (negative: overdrawn). */
export function closingBalance(s: BankStatement): bigint {
  let v = s.opening;
  for (const e of s.entries) if (e.status === 'BOOK') v += e.direction === 'CRDT' ? e.amount : -e.amount;
  return v;
}

export const accountId = (a: StatementAccount) => ('iban' in a ? a.iban : a.other);

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const dateOf = (d: Date) => d.toISOString().slice(0, 10);
const dateTimeOf = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

/** camt.053.001.08 BankToCustomerStatement: one Stmt with OPBD, CLBD and the entries, each with one TxDtls. */
export function camt053(s: BankStatement): string {
  if (!isCurrency(s.currency)) throw new BankFileError(`unknown currency ${s.currency}`);
  const ccy = s.currency;
  const date = dateOf(s.createdAt);
  const el = (name: string, inner: string, attrs = '') => `<${name}${attrs}>${inner}</${name}>`;
  const amt = (v: bigint) => el('Amt', toDecimalString(v, ccy), ` Ccy="${ccy}"`);
  const balance = (type: 'OPBD' | 'CLBD', v: bigint) =>
    el('Bal', el('Tp', el('CdOrPrtry', el('Cd', type))) + amt(v < 0n ? -v : v) + el('CdtDbtInd', v < 0n ? 'DBIT' : 'CRDT') + el('Dt', el('Dt', date)));
  const entries = s.entries.map((e) =>
    el('Ntry',
      amt(e.amount)
      + el('CdtDbtInd', e.direction)
      + el('Sts', el('Cd', e.status))
      + (e.status === 'BOOK' ? el('BookgDt', el('Dt', date)) : '')
      + el('BkTxCd', el('Domn', el('Cd', 'PMNT') + el('Fmly', el('Cd', 'ICDT') + el('SubFmlyCd', e.isReturn ? 'RRTN' : 'ESCT'))))
      + el('NtryDtls', el('TxDtls',
        el('Refs', el('EndToEndId', escape(e.endToEndId)))
        + (e.isReturn ? el('RtrInf', el('Rsn', el('Cd', escape(e.returnReason ?? 'AC04')))) : '')))));
  const account = el('Acct', el('Id', 'iban' in s.account ? el('IBAN', escape(s.account.iban)) : el('Othr', el('Id', escape(s.account.other)))) + el('Ccy', ccy));
  const stmt = el('Stmt',
    el('Id', escape(s.id.slice(0, 35)))
    + el('CreDtTm', dateTimeOf(s.createdAt))
    + account
    + balance('OPBD', s.opening)
    + balance('CLBD', closingBalance(s))
    + entries.join(''));
  const header = el('GrpHdr', el('MsgId', escape(`MSG-${s.id}`.slice(0, 35))) + el('CreDtTm', dateTimeOf(s.createdAt)));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${CAMT053_NAMESPACE}">${el('BkToCstmrStmt', header + stmt)}</Document>\n`;
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The service's statement CSV, with `# statement:` and `# account:` lines before the header. A CSV carries no balances. */
export function statementCsv(s: BankStatement): string {
  if (!isCurrency(s.currency)) throw new BankFileError(`unknown currency ${s.currency}`);
  const ccy = s.currency;
  const date = dateOf(s.createdAt);
  const rows = s.entries.map((e) =>
    [e.status === 'BOOK' ? date : '', e.endToEndId, toDecimalString(e.amount, ccy), ccy, e.direction, e.isReturn ? 'return' : 'payment', e.status]
      .map(csvField)
      .join(','));
  return [`# statement: ${s.id}`, `# account: ${accountId(s.account)}`, STATEMENT_CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
