/**
 * What both statement parsers (statement-csv.ts, statement-camt053.ts) produce
 * and share: the parsed statement, its lines and entry statuses, the format
 * error with its capped list of problems, and the decimal amount reader.
 *
 * Pure functions: they report what the bank's file says (account, balances,
 * each entry's status and lines) and refuse what is malformed; what the
 * service does with it is decided elsewhere (statement-checks.ts,
 * classify-statement.ts). Amounts become bigint minor units through
 * parseDecimalAmount only; nothing passes through a JS number.
 */
import { isCurrency, parseDecimalAmount } from '../../lib/money.js';

/**
 * The entry status (camt.053 Ntry/Sts/Cd, ExternalEntryStatus1Code; CSV column
 * `status`): only BOOK (booked) moves money; PDNG (pending) and INFO
 * (information only) are recorded and shown.
 */
export const ENTRY_STATUSES = ['BOOK', 'PDNG', 'INFO'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

export interface StatementLine {
  /** CSV: the physical line number the record starts on. camt.053: 1-based position of the transaction in the document. */
  lineNo: number;
  endToEndId: string | null;
  amount: bigint;
  currency: string;
  direction: 'debit' | 'credit';
  /** A return of an earlier payment: camt.053 RtrInf, a RRTN/RTRN sub-family or RvslInd=true; CSV type `return`. */
  isReturn: boolean;
  status: EntryStatus;
  /** YYYY-MM-DD; null only for an entry the bank has not booked (PDNG, INFO) and gave no booking date. */
  bookingDate: string | null;
}

/** The account the bank says the statement is for. */
export interface StatementAccount {
  /** As written in the file. */
  id: string;
  /** camt.053: Stmt/Acct/Id/IBAN or Stmt/Acct/Id/Othr/Id; CSV: the `# account:` line. */
  scheme: 'IBAN' | 'Othr' | 'csv';
  /** Where in the file it was read, for error messages. */
  path: string;
}

/** A balance as the bank states it: signed minor units, a credit balance positive. */
export interface StatementBalance {
  type: 'OPBD' | 'PRCD' | 'CLBD';
  amount: bigint;
  currency: string;
  date: string | null;
}

/** camt.053 only: the statement's one currency, its booked balances and the booked entries between them. */
export interface StatementBalances {
  currency: string;
  /** OPBD, or the previous closing balance PRCD when there is no OPBD. */
  opening: StatementBalance;
  closing: StatementBalance;
  /** Sums of the BOOK entries' own amounts (Ntry/Amt), by their CdtDbtInd. */
  bookedCredits: bigint;
  bookedDebits: bigint;
}

export interface ParsedStatement {
  statementRef: string | null;
  /** camt.053: always present. CSV: present only with a `# account:` line. */
  account: StatementAccount | null;
  /** camt.053: always present. CSV: null (a CSV carries no balances). */
  balances: StatementBalances | null;
  lines: StatementLine[];
}

export interface StatementFormatProblem {
  path: string;
  message: string;
}

export class StatementFormatError extends Error {
  constructor(readonly errors: StatementFormatProblem[]) {
    const head = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
    super(`invalid statement (${errors.length} error${errors.length === 1 ? '' : 's'}): ${head}${errors.length > 5 ? '; …' : ''}`);
    this.name = 'StatementFormatError';
  }
}

/** At most this many errors are reported; later ones are summarised in one extra entry. */
export const MAX_REPORTED_ERRORS = 100;

export class ErrorList {
  readonly items: StatementFormatProblem[] = [];
  private dropped = 0;
  add(path: string, message: string): void {
    if (this.items.length < MAX_REPORTED_ERRORS) this.items.push({ path, message });
    else this.dropped += 1;
  }
  get any(): boolean {
    return this.items.length > 0;
  }
  throwIfAny(): void {
    if (!this.any) return;
    const out = [...this.items];
    if (this.dropped > 0) out.push({ path: 'file', message: `${this.dropped} further error(s) not listed` });
    throw new StatementFormatError(out);
  }
}

const STATUS_OF: Record<string, EntryStatus> = { BOOK: 'BOOK', PDNG: 'PDNG', INFO: 'INFO' };
/** The status constant itself (not the file's copy of the text), so 100,000 lines share three strings. */
export const entryStatusOf = (s: string): EntryStatus | undefined => (Object.hasOwn(STATUS_OF, s) ? STATUS_OF[s] : undefined);

const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * The amount, or why `text` is not an acceptable amount. `null` when the text
 * is a well-formed decimal but the currency is unknown (reported separately).
 */
export function parseAmount(text: string, currency: string): bigint | string | null {
  const t = text.trim();
  if (t === '') return 'is empty';
  if (t.startsWith('-')) return 'must not be negative';
  if (isCurrency(currency)) {
    const v = parseDecimalAmount(t, currency);
    if (v !== undefined) return v;
  }
  if (!PLAIN_DECIMAL.test(t)) return `is not a decimal number: ${JSON.stringify(t.slice(0, 40))}`;
  const dot = t.indexOf('.');
  if (isCurrency(currency) && dot >= 0 && t.length - dot - 1 > 2) return 'has too many decimal places';
  if ((dot >= 0 ? dot : t.length) > 18) return 'is too large';
  return isCurrency(currency) ? 'is not a valid amount' : null;
}

/** The ISO 20022 credit/debit code (camt.053 CdtDbtInd; CSV column `direction`). */
export const DIRECTIONS: Record<string, 'debit' | 'credit'> = { DBIT: 'debit', CRDT: 'credit' };
