import { toDecimalString, type Currency } from '../../src/lib/money.js';
import { CAMT053_NAMESPACE } from '../../src/modules/reconciliation/statement-camt053.js';

/**
 * camt.053.001.08 bank statements for tests, written in the element order
 * the XSD requires (GrpHdr; Stmt: Id, CreDtTm, Acct, Bal+, Ntry*; Ntry: Amt,
 * CdtDbtInd, RvslInd?, Sts, BookgDt?, BkTxCd, NtryDtls), so every document
 * this builds validates against camt.053.001.08.xsd. Amounts are minor units.
 */

export type EntryStatusCode = 'BOOK' | 'PDNG' | 'INFO';

export interface CamtTransaction {
  endToEndId?: string | null;
  /** Minor units; omitted on a single transaction, it is the entry's. */
  amount?: bigint;
  /** RtrInf/Rsn/Cd: the transaction is a returned payment. */
  returnReason?: string;
}

export interface CamtEntry {
  amount: bigint;
  direction: 'DBIT' | 'CRDT';
  /** Sts/Cd, or a proprietary status; BOOK by default. */
  status?: EntryStatusCode | { proprietary: string };
  /** RvslInd=true. */
  reversal?: boolean;
  /** BookgDt/Dt; by default the statement date on a BOOK entry and none on others. */
  bookingDate?: string | null;
  /** BkTxCd/Domn/Fmly/SubFmlyCd: ESCT (a credit transfer) by default; RRTN marks a return. */
  subFamily?: string;
  /** One TxDtls each; by default one with `endToEndId`. */
  transactions?: CamtTransaction[];
  endToEndId?: string | null;
  returnReason?: string;
}

export interface CamtBalance {
  amount: bigint;
  /** CRDT by default; DBIT is an overdrawn account. */
  direction?: 'DBIT' | 'CRDT';
}

export interface CamtStatement {
  /** The document's namespace; null writes none. camt.053.001.08 by default. */
  namespace?: string | null;
  /** Write every element with this namespace prefix instead of a default namespace. */
  prefix?: string;
  id?: string;
  currency?: Currency;
  /** Stmt/Acct/Id: an IBAN or an Othr/Id. The demo SGD treasury account by default. */
  account?: { iban: string } | { other: string } | null;
  /** Write Acct/Ccy (true by default). */
  accountCurrency?: boolean;
  date?: string;
  /** OPBD by default; PRCD writes the previous closing balance instead; null writes none. */
  opening?: (CamtBalance & { type?: 'OPBD' | 'PRCD' }) | null;
  /** CLBD; by default opening plus the BOOK entries, so the statement adds up. null writes none. */
  closing?: CamtBalance | null;
  entries: CamtEntry[];
}

/** The demo SGD treasury account (src/modules/deps.ts defaultPolicy). */
export const SGD_TREASURY = { other: '0720123456' } as const;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const signed = (b: CamtBalance) => (b.direction === 'DBIT' ? -b.amount : b.amount);

/** The closing balance a statement's own entries give: opening plus booked credits minus booked debits. */
export function closingOf(s: CamtStatement): CamtBalance {
  const opening = s.opening === undefined ? DEFAULT_OPENING : s.opening;
  let v = opening ? signed(opening) : 0n;
  for (const e of s.entries) {
    if ((e.status ?? 'BOOK') !== 'BOOK') continue;
    v += e.direction === 'CRDT' ? e.amount : -e.amount;
  }
  return v < 0n ? { amount: -v, direction: 'DBIT' } : { amount: v, direction: 'CRDT' };
}

const DEFAULT_OPENING: CamtBalance & { type?: 'OPBD' | 'PRCD' } = { amount: 100_000_000n, direction: 'CRDT' };

export function camt053(s: CamtStatement): string {
  const ccy = s.currency ?? 'SGD';
  const date = s.date ?? '2027-03-01';
  const p = s.prefix ? `${s.prefix}:` : '';
  const el = (name: string, inner: string, attrs = '') => `<${p}${name}${attrs}>${inner}</${p}${name}>`;
  const amt = (v: bigint) => el('Amt', toDecimalString(v, ccy), ` Ccy="${ccy}"`);
  const namespace = s.namespace === undefined ? CAMT053_NAMESPACE : s.namespace;
  const xmlns = namespace === null ? '' : ` xmlns${s.prefix ? `:${s.prefix}` : ''}="${escape(namespace)}"`;

  const balance = (type: string, b: CamtBalance) =>
    el('Bal', el('Tp', el('CdOrPrtry', el('Cd', type))) + amt(b.amount) + el('CdtDbtInd', b.direction ?? 'CRDT') + el('Dt', el('Dt', date)));
  const opening = s.opening === undefined ? DEFAULT_OPENING : s.opening;
  const closing = s.closing === undefined ? closingOf(s) : s.closing;
  const account = s.account === undefined ? SGD_TREASURY : s.account;

  const entries = s.entries.map((e) => {
    const status = e.status ?? 'BOOK';
    const sts = typeof status === 'string' ? el('Cd', status) : el('Prtry', escape(status.proprietary));
    const bookingDate = e.bookingDate === undefined ? (status === 'BOOK' ? date : null) : e.bookingDate;
    const txs = e.transactions ?? [{ endToEndId: e.endToEndId ?? null, ...(e.returnReason ? { returnReason: e.returnReason } : {}) }];
    const details = txs.map((t) =>
      el('TxDtls',
        (t.endToEndId ? el('Refs', el('EndToEndId', escape(t.endToEndId))) : '')
        + (t.amount !== undefined ? amt(t.amount) : '')
        + (t.returnReason ? el('RtrInf', el('Rsn', el('Cd', t.returnReason))) : '')));
    return el('Ntry',
      amt(e.amount)
      + el('CdtDbtInd', e.direction)
      + (e.reversal ? el('RvslInd', 'true') : '')
      + el('Sts', sts)
      + (bookingDate ? el('BookgDt', el('Dt', bookingDate)) : '')
      + el('BkTxCd', el('Domn', el('Cd', 'PMNT') + el('Fmly', el('Cd', 'ICDT') + el('SubFmlyCd', e.subFamily ?? 'ESCT'))))
      + el('NtryDtls', (txs.length > 1 ? el('Btch', el('NbOfTxs', String(txs.length))) : '') + details.join('')));
  });

  const stmt = el('Stmt',
    el('Id', escape(s.id ?? `STMT-${date}`))
    + el('CreDtTm', `${date}T18:00:00Z`)
    + (account === null ? '' : el('Acct', el('Id', 'iban' in account ? el('IBAN', account.iban) : el('Othr', el('Id', escape(account.other)))) + (s.accountCurrency === false ? '' : el('Ccy', ccy))))
    + (opening ? balance(opening.type ?? 'OPBD', opening) : '')
    + (closing ? balance('CLBD', closing) : '')
    + entries.join(''));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${p}Document${xmlns}>${el('BkToCstmrStmt', el('GrpHdr', el('MsgId', escape(`MSG-${s.id ?? date}`.slice(0, 35))) + el('CreDtTm', `${date}T18:00:00Z`)) + stmt)}</${p}Document>\n`;
}
