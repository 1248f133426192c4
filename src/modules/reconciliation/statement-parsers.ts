/**
 * Incoming bank statements: a simple CSV and ISO 20022 camt.053.001.08.
 *
 * Pure functions. Amounts become bigint minor units through
 * parseDecimalAmount only; nothing passes through a JS number.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isCalendarDate } from '../../lib/dates.js';
import { isCurrency, parseDecimalAmount } from '../../lib/money.js';

export interface StatementLine {
  /** CSV: the physical line number the record starts on. camt.053: 1-based position of the transaction in the document. */
  lineNo: number;
  endToEndId: string | null;
  amount: bigint;
  currency: string;
  direction: 'debit' | 'credit';
  isReturn: boolean;
  /** YYYY-MM-DD */
  bookingDate: string;
}

export interface ParsedStatement {
  statementRef: string | null;
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

class ErrorList {
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



const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * The amount, or why `text` is not an acceptable amount. `null` when the text
 * is a well-formed decimal but the currency is unknown (reported separately).
 */
function parseAmount(text: string, currency: string): bigint | string | null {
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

// ---------------------------------------------------------------- CSV

export const STATEMENT_CSV_COLUMNS = ['booking_date', 'end_to_end_id', 'amount', 'currency', 'direction', 'type'] as const;
type Column = (typeof STATEMENT_CSV_COLUMNS)[number];

interface CsvRecord {
  lineNo: number;
  fields: string[];
}

/**
 * RFC 4180 records, each with the physical line it starts on. A single linear
 * scan (indexOf jumps between special characters); no regular expressions.
 * Unterminated quotes are reported into `errors`.
 */
function* csvRecords(text: string, errors: ErrorList, firstLine: number): Generator<CsvRecord> {
  const n = text.length;
  let pos = 0;
  let line = firstLine;
  while (pos < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    // Parse one record.
    for (;;) {
      if (text.charCodeAt(pos) === 34 /* " */) {
        // Quoted field.
        pos += 1;
        let closed = false;
        while (pos < n) {
          const q = text.indexOf('"', pos);
          if (q < 0) break;
          const chunk = text.slice(pos, q);
          for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) line += 1;
          field += chunk;
          if (text.charCodeAt(q + 1) === 34) {
            field += '"';
            pos = q + 2;
          } else {
            pos = q + 1;
            closed = true;
            break;
          }
        }
        if (!closed) {
          errors.add(`line ${startLine}`, 'unterminated quoted field');
          return;
        }
        // After a closing quote only a separator or end of record may follow.
        const c = text.charCodeAt(pos);
        if (pos < n && c !== 44 && c !== 10 && c !== 13) {
          errors.add(`line ${startLine}`, 'unexpected character after a closing quote');
          const nl = text.indexOf('\n', pos);
          const rest = nl < 0 ? text.slice(pos) : text.slice(pos, nl);
          field += rest;
          pos = nl < 0 ? n : nl;
        }
      } else {
        // Unquoted field: up to the next comma or line end.
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === 44 || c === 10 || c === 13) break;
          end += 1;
        }
        field = text.slice(pos, end);
        pos = end;
      }
      fields.push(field);
      field = '';
      const c = text.charCodeAt(pos);
      if (c === 44) {
        pos += 1;
        continue;
      }
      // End of record: CRLF, LF, lone CR, or end of text.
      if (c === 13) pos += 1;
      if (text.charCodeAt(pos) === 10) pos += 1;
      line += 1;
      break;
    }
    yield { lineNo: startLine, fields };
  }
}

const DIRECTIONS: Record<string, 'debit' | 'credit'> = { DBIT: 'debit', CRDT: 'credit' };
const TYPES: Record<string, boolean> = { payment: false, return: true };

/**
 * booking_date,end_to_end_id,amount,currency,direction,type — columns found by
 * header name (any order, extra columns ignored). Optional first line
 * `# statement: <ref>`. Blank lines are skipped. Every bad line is reported
 * (up to MAX_REPORTED_ERRORS entries), each as `line N: <column>`.
 */
export function parseStatementCsv(text: string): ParsedStatement {
  const errors = new ErrorList();
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let statementRef: string | null = null;
  let firstLine = 1;
  if (body.startsWith('#')) {
    const nl = body.indexOf('\n');
    const first = (nl < 0 ? body : body.slice(0, nl)).replace(/\r$/, '');
    const m = /^#\s*statement\s*:(.*)$/i.exec(first);
    if (m) statementRef = m[1]!.trim() || null;
    else errors.add('line 1', 'the only comment allowed is a first line "# statement: <ref>"');
    body = nl < 0 ? '' : body.slice(nl + 1);
    firstLine = 2;
  }

  const lines: StatementLine[] = [];
  let index: Record<Column, number> | undefined;
  let width = 0;
  for (const rec of csvRecords(body, errors, firstLine)) {
    const lineNo = rec.lineNo;
    const { fields } = rec;
    if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
    if (index === undefined) {
      const names = fields.map((f) => f.trim().toLowerCase());
      const found = {} as Record<Column, number>;
      const missing: string[] = [];
      for (const col of STATEMENT_CSV_COLUMNS) {
        const at = names.indexOf(col);
        if (at < 0) missing.push(col);
        else found[col] = at;
      }
      if (missing.length > 0) {
        errors.add(`line ${lineNo}: header`, `missing column(s) ${missing.join(', ')}; expected ${STATEMENT_CSV_COLUMNS.join(',')}`);
        errors.throwIfAny();
      }
      index = found;
      width = fields.length;
      continue;
    }
    if (fields.length !== width) {
      errors.add(`line ${lineNo}`, `expected ${width} fields, found ${fields.length}`);
      continue;
    }
    const get = (c: Column): string => fields[index![c]]!.trim();
    let ok = true;
    const bad = (c: Column, message: string): void => {
      ok = false;
      errors.add(`line ${lineNo}: ${c}`, message);
    };

    const bookingDate = get('booking_date');
    if (!isCalendarDate(bookingDate)) bad('booking_date', `not a YYYY-MM-DD date: ${JSON.stringify(bookingDate.slice(0, 40))}`);
    const currency = get('currency');
    if (!isCurrency(currency)) bad('currency', `unknown currency ${JSON.stringify(currency.slice(0, 10))}`);
    const amount = parseAmount(get('amount'), currency);
    if (typeof amount === 'string') bad('amount', amount);
    const dirText = get('direction');
    const direction = Object.hasOwn(DIRECTIONS, dirText) ? DIRECTIONS[dirText] : undefined;
    if (direction === undefined) bad('direction', `must be DBIT or CRDT, not ${JSON.stringify(dirText.slice(0, 20))}`);
    const typeText = get('type');
    const isReturn = Object.hasOwn(TYPES, typeText) ? TYPES[typeText] : undefined;
    if (isReturn === undefined) bad('type', `must be payment or return, not ${JSON.stringify(typeText.slice(0, 20))}`);
    const id = get('end_to_end_id');

    if (ok && typeof amount === 'bigint' && direction !== undefined && isReturn !== undefined) {
      lines.push({ lineNo, endToEndId: id === '' ? null : id, amount, currency, direction, isReturn, bookingDate });
    }
  }
  if (index === undefined) errors.add(`line ${firstLine}: header`, `missing header row ${STATEMENT_CSV_COLUMNS.join(',')}`);
  errors.throwIfAny();
  return { statementRef, lines };
}

// ---------------------------------------------------------------- camt.053

type Node = Record<string, unknown>;

const ARRAY_TAGS = new Set(['Stmt', 'Ntry', 'NtryDtls', 'TxDtls']);

const camtParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // No entity expansion of any kind (XXE / billion laughs); predefined entities are decoded below.
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ARRAY_TAGS.has(name),
});

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined XML entities and character references. Nothing else. */
function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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

/**
 * ISO 20022 camt.053.001.08 (BkToCstmrStmt). One StatementLine per TxDtls; an
 * entry without details gives one line from the entry itself. Refuses DOCTYPE
 * and ENTITY declarations outright and never expands entities.
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
  let doc: unknown;
  try {
    doc = camtParser.parse(xml);
  } catch (e) {
    throw new StatementFormatError([{ path: 'document', message: e instanceof Error ? e.message : String(e) }]);
  }

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
  const lines: StatementLine[] = [];

  list(stmt['Ntry']).forEach((ntry, e) => {
    const at = `entry ${e + 1}`;
    const entryAmount = readAmount(ntry['Amt'], `${at}: Amt`, errors);
    const entryDirection = readDirection(ntry['CdtDbtInd'], `${at}: CdtDbtInd`, errors);
    const bookingDate = text(child(ntry, 'BookgDt', 'Dt')) ?? text(child(ntry, 'BookgDt', 'DtTm'))?.slice(0, 10);
    if (bookingDate === undefined || !isCalendarDate(bookingDate)) errors.add(`${at}: BookgDt`, `not a YYYY-MM-DD date: ${JSON.stringify(bookingDate ?? '')}`);
    const entryReturn = isReturnCode(ntry['BkTxCd']);
    const txs = list(ntry['NtryDtls']).flatMap((d) => list(d['TxDtls']));

    if (txs.length === 0) {
      if (entryAmount && entryDirection && bookingDate !== undefined && isCalendarDate(bookingDate)) {
        lines.push({ lineNo: lines.length + 1, endToEndId: null, ...entryAmount, direction: entryDirection, isReturn: entryReturn, bookingDate });
      }
      return;
    }

    let sum = 0n;
    let sumComparable = entryAmount !== undefined;
    const pending: StatementLine[] = [];
    let ok = entryAmount !== undefined && entryDirection !== undefined && bookingDate !== undefined && isCalendarDate(bookingDate);
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
        bookingDate: bookingDate ?? '',
      });
    });
    if (ok && sumComparable && entryAmount && sum !== entryAmount.amount) {
      errors.add(`${at}: Amt`, 'entry amount does not equal the sum of its transactions');
      ok = false;
    }
    if (ok) for (const l of pending) lines.push({ ...l, lineNo: lines.length + 1 });
  });

  errors.throwIfAny();
  return { statementRef, lines };
}
