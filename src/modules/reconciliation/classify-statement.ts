import type { StatementLine } from './statement-format.js';

export interface KnownLine {
  id: string;
  amount: bigint;
  currency: string;
  /** proposed and cancelled lines were never released to the bank; only pending ones can be paid. */
  status: 'proposed' | 'cancelled' | 'pending' | 'settled' | 'returned' | 'netted';
  transfer_id: string;
  batch_id: string;
}

export type ExceptionKind = 'amount_differs' | 'unknown_reference' | 'duplicate' | 'returned_payment' | 'unexpected_entry';

/**
 * What became of one statement line. `pending` and `info` lines (the bank has
 * not booked them: PDNG, INFO) are recorded and shown but decide nothing.
 */
export type LineOutcome = 'settled' | 'returned' | 'refunded' | 'exception' | 'pending' | 'info';

/** A recovery a provider may refund by quoting its reference. */
export interface KnownRecovery {
  id: string;
  currency: string;
  outstanding: bigint;
}

export interface Classification {
  perLine: { outcome: LineOutcome; paymentLineId?: string }[];
  settle: { paymentLineId: string; transferId: string; batchId: string }[];
  returns: { paymentLineId: string; transferId: string; batchId: string; status: KnownLine['status'] }[];
  /** Booked credits that refund a recovery, by its reference. */
  refunds: { index: number; recoveryId: string; amount: bigint; currency: string }[];
  exceptions: { index: number; kind: ExceptionKind; paymentLineId?: string; detail: string; expected?: bigint; actual: bigint; currency: string }[];
  /** Lines recorded but not booked. */
  pending: number;
  info: number;
}

/**
 * Decides each statement line, in order, without touching the database. Only
 * a booked (BOOK) line moves money: a PDNG or INFO line is recorded with its
 * payment line (when the reference is known) and does not count as reported,
 * so a later booked line for the same reference still settles. A payment line
 * is settled at most once and returned at most once, however many lines name
 * it; every booked line that does not settle or return something is an
 * exception with a kind. Returns are also raised as exceptions so finance
 * sees them.
 */
export function classifyStatement(
  lines: StatementLine[],
  find: (ref: string) => KnownLine | undefined,
  findRecovery: (ref: string) => KnownRecovery | undefined = () => undefined,
): Classification {
  const out: Classification = { perLine: [], settle: [], returns: [], refunds: [], exceptions: [], pending: 0, info: 0 };
  const refundedHere = new Map<string, bigint>();
  const settledHere = new Set<string>();
  const returnedHere = new Set<string>();
  lines.forEach((line, index) => {
    const raise = (kind: ExceptionKind, detail: string, known?: KnownLine) => {
      out.perLine.push({ outcome: 'exception', ...(known ? { paymentLineId: known.id } : {}) });
      out.exceptions.push({ index, kind, detail, actual: line.amount, currency: line.currency, ...(known ? { paymentLineId: known.id, expected: known.amount } : {}) });
    };
    const known = line.endToEndId ? find(line.endToEndId) : undefined;

    if (line.status !== 'BOOK') {
      const outcome = line.status === 'PDNG' ? 'pending' : 'info';
      out[outcome] += 1;
      out.perLine.push({ outcome, ...(known ? { paymentLineId: known.id } : {}) });
      return;
    }

    if (line.direction === 'credit') {
      if (!line.isReturn) {
        // A credit that returns no payment: a provider refunding what it owes, by its recovery's reference.
        const recovery = line.endToEndId ? findRecovery(line.endToEndId) : undefined;
        if (!recovery) return raise('unknown_reference', known ? 'a credit that is not a returned payment' : unknownReference(line));
        const owed = recovery.outstanding - (refundedHere.get(recovery.id) ?? 0n);
        if (line.currency !== recovery.currency || line.amount > owed) {
          out.perLine.push({ outcome: 'exception' });
          out.exceptions.push({
            index, kind: 'amount_differs', detail: `a refund of recovery ${line.endToEndId} for more than the ${owed} ${recovery.currency} still owed`,
            expected: owed, actual: line.amount, currency: line.currency,
          });
          return;
        }
        refundedHere.set(recovery.id, (refundedHere.get(recovery.id) ?? 0n) + line.amount);
        out.refunds.push({ index, recoveryId: recovery.id, amount: line.amount, currency: line.currency });
        out.perLine.push({ outcome: 'refunded' });
        return;
      }
      if (!known) return raise('unknown_reference', unknownReference(line));
      if (neverSent(known)) return raise('unknown_reference', notReleased(known), known);
      if (known.status === 'returned' || returnedHere.has(known.id)) return raise('duplicate', 'this payment was already returned', known);
      if (line.amount !== known.amount || line.currency !== known.currency) return raise('amount_differs', 'the returned amount differs from the payment', known);
      returnedHere.add(known.id);
      out.returns.push({ paymentLineId: known.id, transferId: known.transfer_id, batchId: known.batch_id, status: settledHere.has(known.id) ? 'settled' : known.status });
      // A returned line is an exception for finance to see, but its outcome is recorded as returned.
      out.perLine.push({ outcome: 'returned', paymentLineId: known.id });
      out.exceptions.push({ index, kind: 'returned_payment', paymentLineId: known.id, detail: 'the bank returned this payment; its claims are payable again', expected: known.amount, actual: line.amount, currency: line.currency });
      return;
    }

    if (line.isReturn) return raise('unexpected_entry', 'a debit marked as a return or reversal: no payment of this service is reversed by a debit', known);
    if (!known) return raise('unknown_reference', unknownReference(line));
    if (neverSent(known)) return raise('unknown_reference', notReleased(known), known);
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

const unknownReference = (line: StatementLine) =>
  line.endToEndId ? `no payment line has reference ${line.endToEndId}` : 'the line carries no end-to-end reference';

/** Lines the bank never saw: not yet released, rejected, or netted to nothing against what the provider owed. */
const neverSent = (known: KnownLine) => known.status === 'proposed' || known.status === 'cancelled' || known.status === 'netted';

const notReleased = (known: KnownLine) => `payment line ${known.id} was never released to the bank (it is ${known.status})`;
