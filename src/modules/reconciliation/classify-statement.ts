import type { StatementLine } from './statement-parsers.js';

export interface KnownLine {
  id: string;
  amount: bigint;
  currency: string;
  status: 'pending' | 'settled' | 'returned';
  transfer_id: string;
  batch_id: string;
}

export type ExceptionKind = 'amount_differs' | 'unknown_reference' | 'duplicate' | 'returned_payment';

export interface Classification {
  perLine: { outcome: 'settled' | 'returned' | 'exception'; paymentLineId?: string }[];
  settle: { paymentLineId: string; transferId: string; batchId: string }[];
  returns: { paymentLineId: string; transferId: string; batchId: string; status: KnownLine['status'] }[];
  exceptions: { index: number; kind: ExceptionKind; paymentLineId?: string; detail: string; expected?: bigint; actual: bigint; currency: string }[];
}

/**
 * Decides each statement line, in order, without touching the database. A
 * payment line is settled at most once and returned at most once, however
 * many lines name it; every line that does not settle or return something
 * is an exception with a kind. Returns are also raised as exceptions so
 * finance sees them.
 */
export function classifyStatement(lines: StatementLine[], find: (ref: string) => KnownLine | undefined): Classification {
  const out: Classification = { perLine: [], settle: [], returns: [], exceptions: [] };
  const settledHere = new Set<string>();
  const returnedHere = new Set<string>();
  lines.forEach((line, index) => {
    const raise = (kind: ExceptionKind, detail: string, known?: KnownLine) => {
      out.perLine.push({ outcome: 'exception', ...(known ? { paymentLineId: known.id } : {}) });
      out.exceptions.push({ index, kind, detail, actual: line.amount, currency: line.currency, ...(known ? { paymentLineId: known.id, expected: known.amount } : {}) });
    };
    const known = line.endToEndId ? find(line.endToEndId) : undefined;
    if (!known) return raise('unknown_reference', line.endToEndId ? `no payment line has reference ${line.endToEndId}` : 'the line carries no end-to-end reference');
    if (line.direction === 'credit') {
      if (!line.isReturn) return raise('unknown_reference', 'a credit that is not a returned payment');
      if (known.status === 'returned' || returnedHere.has(known.id)) return raise('duplicate', 'this payment was already returned', known);
      if (line.amount !== known.amount || line.currency !== known.currency) return raise('amount_differs', 'the returned amount differs from the payment', known);
      returnedHere.add(known.id);
      out.returns.push({ paymentLineId: known.id, transferId: known.transfer_id, batchId: known.batch_id, status: settledHere.has(known.id) ? 'settled' : known.status });
      out.perLine.push({ outcome: 'returned', paymentLineId: known.id });
      out.exceptions.push({ index, kind: 'returned_payment', paymentLineId: known.id, detail: 'the bank returned this payment; its claims are payable again', expected: known.amount, actual: line.amount, currency: line.currency });
      // A returned line is an exception for finance to see, but its outcome is recorded as returned.
      out.perLine[out.perLine.length - 1] = { outcome: 'returned', paymentLineId: known.id };
      return;
    }
    if (known.status !== 'pending' || settledHere.has(known.id)) return raise('duplicate', 'this payment was already reported', known);
    if (line.amount !== known.amount || line.currency !== known.currency) {
      return raise('amount_differs', `the bank paid ${line.amount} ${line.currency}, the line is ${known.amount} ${known.currency}`, known);
    }
    settledHere.add(known.id);
    out.settle.push({ paymentLineId: known.id, transferId: known.transfer_id, batchId: known.batch_id });
    out.perLine.push({ outcome: 'settled', paymentLineId: known.id });
  });
  return out;
}
