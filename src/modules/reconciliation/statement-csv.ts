/** Incoming bank statements as a simple CSV: one line per entry, optional comment lines before the header. */
import { isCalendarDate } from '../../lib/dates.js';
import { isCurrency } from '../../lib/money.js';
import {
  DIRECTIONS, entryStatusOf, ErrorList, parseAmount, type ParsedStatement, type StatementAccount, type StatementLine,
} from './statement-format.js';

export const STATEMENT_CSV_COLUMNS = ['booking_date', 'end_to_end_id', 'amount', 'currency', 'direction', 'type', 'status'] as const;
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


const TYPES: Record<string, boolean> = { payment: false, return: true };
const COMMENTS = { statement: 'statement', account: 'account' } as const;

/**
 * booking_date,end_to_end_id,amount,currency,direction,type,status — columns
 * found by header name (any order, extra columns ignored). `status` is BOOK,
 * PDNG or INFO; booking_date may be empty only on a PDNG or INFO line.
 * Optional comment lines before the header, each at most once:
 * `# statement: <ref>` and `# account: <the treasury account's IBAN or number>`.
 * Blank lines are skipped. Every bad line is reported (up to
 * MAX_REPORTED_ERRORS entries), each as `line N: <column>`.
 */
export function parseStatementCsv(text: string): ParsedStatement {
  const errors = new ErrorList();
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let statementRef: string | null = null;
  let account: StatementAccount | null = null;
  let firstLine = 1;
  const seen = new Set<string>();
  while (body.startsWith('#')) {
    const nl = body.indexOf('\n');
    const comment = (nl < 0 ? body : body.slice(0, nl)).replace(/\r$/, '');
    const m = /^#\s*(statement|account)\s*:(.*)$/i.exec(comment);
    const key = m ? COMMENTS[m[1]!.toLowerCase() as keyof typeof COMMENTS] : undefined;
    const value = m ? m[2]!.trim() : '';
    if (key === undefined) errors.add(`line ${firstLine}`, 'the only comments allowed are "# statement: <ref>" and "# account: <account>" before the header');
    else if (seen.has(key)) errors.add(`line ${firstLine}`, `"# ${key}:" is given more than once`);
    else if (key === 'statement') statementRef = value || null;
    else if (value === '') errors.add(`line ${firstLine}: account`, 'is empty');
    else account = { id: value, scheme: 'csv', path: `line ${firstLine}: account` };
    if (key) seen.add(key);
    body = nl < 0 ? '' : body.slice(nl + 1);
    firstLine += 1;
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

    const statusText = get('status');
    const status = entryStatusOf(statusText);
    if (status === undefined) bad('status', `must be BOOK, PDNG or INFO, not ${JSON.stringify(statusText.slice(0, 20))}`);
    const dateText = get('booking_date');
    const bookingDate = dateText === '' && status !== undefined && status !== 'BOOK' ? null : dateText;
    if (bookingDate !== null && !isCalendarDate(bookingDate)) bad('booking_date', `not a YYYY-MM-DD date: ${JSON.stringify(bookingDate.slice(0, 40))}`);
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

    if (ok && typeof amount === 'bigint' && direction !== undefined && isReturn !== undefined && status !== undefined) {
      lines.push({ lineNo, endToEndId: id === '' ? null : id, amount, currency, direction, isReturn, status, bookingDate });
    }
  }
  if (index === undefined) errors.add(`line ${firstLine}: header`, `missing header row ${STATEMENT_CSV_COLUMNS.join(',')}`);
  errors.throwIfAny();
  return { statementRef, account, balances: null, lines };
}
