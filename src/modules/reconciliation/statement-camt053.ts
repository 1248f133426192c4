/** Incoming bank statements as ISO 20022 camt.053.001.08. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isCalendarDate } from '../../lib/dates.js';
import { isCurrency } from '../../lib/money.js';
import {
  DIRECTIONS, entryStatusOf, ErrorList, parseAmount, StatementFormatError,
  type EntryStatus, type ParsedStatement, type StatementAccount, type StatementBalance, type StatementLine,
} from './statement-format.js';

/** The one camt.053 version this service reads. Any other namespace (camt.054, older versions, none) is refused. */
export const CAMT053_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

type Node = Record<string, unknown>;

const ARRAY_TAGS = new Set(['Stmt', 'Bal', 'Ntry', 'NtryDtls', 'TxDtls']);

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);
const prefixOf = (name: string): string => (name.includes(':') ? name.slice(0, name.indexOf(':')) : '');

const camtParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Prefixes are kept so each element's namespace can be resolved (inCamtNamespace); names are made local there.
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  // No entity expansion of any kind (XXE / billion laughs); predefined entities are decoded below.
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ARRAY_TAGS.has(localName(name)),
});

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined XML entities and character references. Nothing else. */
const isXmlChar = (c: number) =>
  c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      // XML 1.0 §4.1: a character reference must name a legal XML character (no NUL, no lone surrogate, no C0 control).
      if (!isXmlChar(code)) throw new StatementFormatError([{ path: 'document', message: `character reference ${whole} is not an XML character` }]);
      return String.fromCodePoint(code);
    }
    return PREDEFINED[ref] ?? whole;
  });
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function namespaceError(path: string, found: string | undefined): StatementFormatError {
  const what = found === undefined || found === '' ? 'has no namespace' : `is in namespace ${JSON.stringify(found.slice(0, 200))}`;
  return new StatementFormatError([
    { path, message: `${path === 'Document' ? 'the document' : 'the element'} ${what}; expected ${CAMT053_NAMESPACE} (camt.053.001.08 is the only statement version accepted)` },
  ]);
}

/**
 * Every element must be in the camt.053.001.08 namespace. Resolves each
 * element's prefix against the xmlns declarations in scope (a default
 * namespace and a prefixed one both work) and returns the element's value
 * with local names. The first element in another namespace, or in none,
 * refuses the whole document and names the expected namespace.
 */
function inCamtNamespace(name: string, value: unknown, outer: ReadonlyMap<string, string>, parentPath: string): unknown {
  let scope = outer;
  if (isNode(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') continue;
      if (k === '@_xmlns') scope = new Map(scope).set('', decodeXmlText(v));
      else if (k.startsWith('@_xmlns:')) scope = new Map(scope).set(k.slice(8), decodeXmlText(v));
    }
  }
  const local = localName(name);
  const path = parentPath === '' ? local : `${parentPath}/${local}`;
  const ns = scope.get(prefixOf(name));
  if (ns !== CAMT053_NAMESPACE) throw namespaceError(path, ns);
  if (!isNode(value)) return value;
  const out: Node = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('@_') || k === '#text') {
      out[k] = v;
      continue;
    }
    const key = localName(k);
    if (Object.hasOwn(out, key)) {
      throw new StatementFormatError([{ path: `${path}/${key}`, message: 'the element is written with two different prefixes; use one' }]);
    }
    out[key] = Array.isArray(v) ? v.map((item) => inCamtNamespace(k, item, scope, path)) : inCamtNamespace(k, v, scope, path);
  }
  return out;
}

/** Follows element names; undefined if any step is missing or not an element. */
function child(node: unknown, ...names: string[]): unknown {
  let cur: unknown = node;
  for (const name of names) {
    if (!isNode(cur)) return undefined;
    cur = cur[name];
  }
  return cur;
}

/** The text content of a leaf element (with or without attributes). */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return decodeXmlText(v);
  if (isNode(v) && typeof v['#text'] === 'string') return decodeXmlText(v['#text']);
  if (isNode(v) && Object.keys(v).every((k) => k.startsWith('@_'))) return ''; // empty element with attributes
  return undefined;
}

function list(v: unknown): Node[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter(isNode);
}

const RETURN_SUBFAMILIES = new Set(['RRTN', 'RTRN']);

function isReturnCode(bkTxCd: unknown): boolean {
  const sub = text(child(bkTxCd, 'Domn', 'Fmly', 'SubFmlyCd'));
  return sub !== undefined && RETURN_SUBFAMILIES.has(sub);
}

interface ParsedAmount {
  amount: bigint;
  currency: string;
}

function readAmount(amt: unknown, path: string, errors: ErrorList): ParsedAmount | undefined {
  const value = text(amt);
  const currency = isNode(amt) && typeof amt['@_Ccy'] === 'string' ? amt['@_Ccy'] : undefined;
  if (value === undefined) {
    errors.add(path, 'missing amount');
    return undefined;
  }
  if (currency === undefined || !isCurrency(currency)) {
    errors.add(path, `unknown currency ${JSON.stringify(currency ?? '')}`);
    return undefined;
  }
  const amount = parseAmount(value, currency);
  if (typeof amount !== 'bigint') {
    errors.add(path, `amount ${amount ?? 'is not valid'}`);
    return undefined;
  }
  return { amount, currency };
}

function readDirection(v: unknown, path: string, errors: ErrorList): 'debit' | 'credit' | undefined {
  const t = text(v);
  const d = t !== undefined && Object.hasOwn(DIRECTIONS, t) ? DIRECTIONS[t] : undefined;
  if (d === undefined) errors.add(path, `must be DBIT or CRDT, not ${JSON.stringify(t ?? '')}`);
  return d;
}

/** Ntry/Sts, an EntryStatus1Choice: Cd BOOK, PDNG or INFO. A proprietary status (Prtry) or any other code is refused. */
function readStatus(sts: unknown, at: string, errors: ErrorList): EntryStatus | undefined {
  const code = text(child(sts, 'Cd'));
  const status = code === undefined ? undefined : entryStatusOf(code);
  if (status !== undefined) return status;
  const proprietary = text(child(sts, 'Prtry'));
  const expected = 'expected <Sts><Cd>BOOK</Cd></Sts>, PDNG or INFO';
  errors.add(
    `${at}: Sts`,
    code !== undefined ? `unknown status code ${JSON.stringify(code.slice(0, 35))}; ${expected}`
      : proprietary !== undefined ? `a proprietary status (Prtry ${JSON.stringify(proprietary.slice(0, 35))}) is not accepted; ${expected}`
        : sts === undefined ? `missing; ${expected}` : `not an EntryStatus1Choice; ${expected}`,
  );
  return undefined;
}

/** Ntry/RvslInd: true means the entry reverses an earlier one (a returned payment, when it is a credit). */
function readReversal(v: unknown, at: string, errors: ErrorList): boolean {
  if (v === undefined) return false;
  const t = text(v);
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  errors.add(`${at}: RvslInd`, `must be true or false, not ${JSON.stringify((t ?? '').slice(0, 20))}`);
  return false;
}

function readDate(v: unknown): string | undefined {
  return text(child(v, 'Dt')) ?? text(child(v, 'DtTm'))?.slice(0, 10);
}

/** Stmt/Acct/Id: an IBAN or Othr/Id. */
function readAccount(acct: unknown, errors: ErrorList): StatementAccount | null {
  const iban = text(child(acct, 'Id', 'IBAN'));
  if (iban) return { id: iban, scheme: 'IBAN', path: 'Stmt/Acct/Id/IBAN' };
  const other = text(child(acct, 'Id', 'Othr', 'Id'));
  if (other) return { id: other, scheme: 'Othr', path: 'Stmt/Acct/Id/Othr/Id' };
  errors.add('Stmt/Acct/Id', 'missing: the statement must name its account (IBAN or Othr/Id)');
  return null;
}

const BALANCE_TYPES = new Set(['OPBD', 'PRCD', 'CLBD']);

/** The opening (OPBD, else PRCD) and closing (CLBD) booked balances; other balance types are not used. */
function readBalances(bals: Node[], errors: ErrorList): { opening: StatementBalance | undefined; closing: StatementBalance | undefined } {
  const found = new Map<string, StatementBalance>();
  const seen = new Set<string>();
  bals.forEach((bal, i) => {
    const type = text(child(bal, 'Tp', 'CdOrPrtry', 'Cd'));
    if (type === undefined || !BALANCE_TYPES.has(type)) return;
    const at = `Stmt/Bal ${i + 1} (${type})`;
    if (seen.has(type)) {
      errors.add(at, `more than one ${type} balance`);
      return;
    }
    seen.add(type);
    const amount = readAmount(bal['Amt'], `${at}: Amt`, errors);
    const direction = readDirection(bal['CdtDbtInd'], `${at}: CdtDbtInd`, errors);
    if (amount && direction) {
      found.set(type, { type: type as StatementBalance['type'], amount: direction === 'credit' ? amount.amount : -amount.amount, currency: amount.currency, date: readDate(bal['Dt']) ?? null });
    }
  });
  if (!seen.has('OPBD') && !seen.has('PRCD')) errors.add('Stmt/Bal', 'missing the opening booked balance (Tp/CdOrPrtry/Cd OPBD, or PRCD)');
  if (!seen.has('CLBD')) errors.add('Stmt/Bal', 'missing the closing booked balance (Tp/CdOrPrtry/Cd CLBD)');
  return { opening: found.get('OPBD') ?? (seen.has('OPBD') ? undefined : found.get('PRCD')), closing: found.get('CLBD') };
}

/**
 * ISO 20022 camt.053.001.08 (BkToCstmrStmt), and only that namespace. One
 * StatementLine per TxDtls; an entry without details gives one line from the
 * entry itself. Reads the account (Stmt/Acct/Id), the opening and closing
 * booked balances, each entry's status (Sts/Cd BOOK, PDNG, INFO) and
 * reversal flag (RvslInd). The statement has one currency: Acct/Ccy, else
 * its balances'; every balance and entry must be in it. Refuses DOCTYPE and
 * ENTITY declarations outright and never expands entities.
 */
export function parseCamt053(xml: string): ParsedStatement {
  if (typeof xml !== 'string' || xml.trim() === '') throw new StatementFormatError([{ path: 'document', message: 'empty document' }]);
  // Case-insensitive scan for markup declarations; linear, no backtracking.
  if (/<!\s*(?:DOCTYPE|ENTITY)/i.test(xml)) {
    throw new StatementFormatError([{ path: 'document', message: 'DOCTYPE and ENTITY declarations are not allowed' }]);
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new StatementFormatError([{ path: `document (line ${valid.err.line}, col ${valid.err.col})`, message: valid.err.msg }]);
  }
  let parsedXml: unknown;
  try {
    parsedXml = camtParser.parse(xml);
  } catch (e) {
    throw new StatementFormatError([{ path: 'document', message: e instanceof Error ? e.message : String(e) }]);
  }
  const roots = isNode(parsedXml) ? Object.keys(parsedXml).filter((k) => !k.startsWith('@_') && k !== '#text') : [];
  if (roots.length !== 1) throw new StatementFormatError([{ path: 'document', message: 'expected one root element' }]);
  const rootName = roots[0]!;
  const doc: Node = { [localName(rootName)]: inCamtNamespace(rootName, (parsedXml as Node)[rootName], new Map(), '') };

  const errors = new ErrorList();
  const statements = list(child(doc, 'Document', 'BkToCstmrStmt', 'Stmt'));
  if (statements.length !== 1) {
    throw new StatementFormatError([
      {
        path: 'Document/BkToCstmrStmt/Stmt',
        message: statements.length === 0 ? 'not a camt.053 statement (no Document/BkToCstmrStmt/Stmt)' : `expected one Stmt, found ${statements.length}`,
      },
    ]);
  }
  const stmt = statements[0]!;
  const statementRef = text(stmt['Id']) || null;
  const account = readAccount(stmt['Acct'], errors);
  const { opening, closing } = readBalances(list(stmt['Bal']), errors);
  const accountCurrency = text(child(stmt, 'Acct', 'Ccy'));
  if (accountCurrency !== undefined && !isCurrency(accountCurrency)) errors.add('Stmt/Acct/Ccy', `unknown currency ${JSON.stringify(accountCurrency.slice(0, 10))}`);
  const currency = accountCurrency ?? opening?.currency ?? closing?.currency;
  for (const b of [opening, closing]) {
    if (b && currency !== undefined && b.currency !== currency) errors.add(`Stmt/Bal (${b.type}): Amt`, `is in ${b.currency}; the statement's account is in ${currency}`);
  }

  const lines: StatementLine[] = [];
  let bookedCredits = 0n;
  let bookedDebits = 0n;
  list(stmt['Ntry']).forEach((ntry, e) => {
    const at = `entry ${e + 1}`;
    const entryAmount = readAmount(ntry['Amt'], `${at}: Amt`, errors);
    if (entryAmount && currency !== undefined && entryAmount.currency !== currency) {
      errors.add(`${at}: Amt`, `is in ${entryAmount.currency}; the statement's account is in ${currency}`);
    }
    const entryDirection = readDirection(ntry['CdtDbtInd'], `${at}: CdtDbtInd`, errors);
    const reversal = readReversal(ntry['RvslInd'], at, errors);
    const status = readStatus(ntry['Sts'], at, errors);
    const dateText = ntry['BookgDt'] === undefined ? undefined : readDate(ntry['BookgDt']);
    // A booked entry has a booking date; a pending or information-only one may not.
    const dateOk = dateText === undefined ? status !== 'BOOK' : isCalendarDate(dateText);
    if (!dateOk) errors.add(`${at}: BookgDt`, `not a YYYY-MM-DD date: ${JSON.stringify(dateText ?? '')}`);
    const bookingDate = dateText ?? null;
    if (status === 'BOOK' && entryAmount && entryDirection) {
      if (entryDirection === 'credit') bookedCredits += entryAmount.amount;
      else bookedDebits += entryAmount.amount;
    }
    const entryReturn = reversal || isReturnCode(ntry['BkTxCd']);
    const txs = list(ntry['NtryDtls']).flatMap((d) => list(d['TxDtls']));
    const entryOk = entryAmount !== undefined && entryDirection !== undefined && status !== undefined && dateOk;

    if (txs.length === 0) {
      if (entryOk) lines.push({ lineNo: lines.length + 1, endToEndId: null, ...entryAmount, direction: entryDirection, isReturn: entryReturn, status, bookingDate });
      return;
    }

    let sum = 0n;
    let sumComparable = entryAmount !== undefined;
    const pending: StatementLine[] = [];
    let ok = entryOk;
    txs.forEach((tx, t) => {
      const tat = `${at}, transaction ${t + 1}`;
      const amtNode = tx['Amt'] ?? child(tx, 'AmtDtls', 'TxAmt', 'Amt');
      let amt: ParsedAmount | undefined;
      if (amtNode !== undefined) amt = readAmount(amtNode, `${tat}: Amt`, errors);
      else if (txs.length === 1) amt = entryAmount;
      else errors.add(`${tat}: Amt`, 'a batched entry needs an amount on every transaction');
      const direction = tx['CdtDbtInd'] !== undefined ? readDirection(tx['CdtDbtInd'], `${tat}: CdtDbtInd`, errors) : entryDirection;
      const e2e = text(child(tx, 'Refs', 'EndToEndId'));
      const isReturn = entryReturn || tx['RtrInf'] !== undefined || isReturnCode(tx['BkTxCd']);
      if (!amt || !direction) {
        ok = false;
        return;
      }
      if (entryAmount && amt.currency === entryAmount.currency && direction === entryDirection) sum += amt.amount;
      else sumComparable = false;
      pending.push({
        lineNo: 0,
        endToEndId: e2e === undefined || e2e === '' || e2e === 'NOTPROVIDED' ? null : e2e,
        ...amt,
        direction,
        isReturn,
        // Kept only when the entry itself is valid (ok), so its status is known.
        status: status as EntryStatus,
        bookingDate,
      });
    });
    if (ok && sumComparable && entryAmount && sum !== entryAmount.amount) {
      errors.add(`${at}: Amt`, 'entry amount does not equal the sum of its transactions');
      ok = false;
    }
    if (ok) for (const l of pending) lines.push({ ...l, lineNo: lines.length + 1 });
  });

  errors.throwIfAny();
  return {
    statementRef,
    account,
    balances: { currency: currency!, opening: opening!, closing: closing!, bookedCredits, bookedDebits },
    lines,
  };
}
