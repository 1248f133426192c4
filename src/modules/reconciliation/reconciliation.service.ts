import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { reconciliationExceptions } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import { DAY_MS } from '../../lib/dates.js';
import { recordAudit } from '../audit/audit.repo.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import type { Acting } from '../acting.js';
import { recordPaymentReturned, recordPaymentsFinal } from '../disbursements/payment-events.js';
import { recordRefunds, recoveriesByReference, settleNettings, undoNettings } from '../recoveries/settle-recoveries.js';
import { classifyStatement, type KnownLine } from './classify-statement.js';
import {
  chunks, insertExceptions, insertLines, insertStatement, linesOf, listExceptions, markReturned, markSettled, paymentLinesByReference,
  refreshBatchStatuses, statementById, statementBySha, type RecordedOutcome, type StatementRow,
} from './reconciliation.repo.js';

export type { ExceptionRow, StatementLineRow, StatementRow } from './reconciliation.repo.js';
import { accountProblems, balanceMismatch, type BalanceMismatch } from './statement-checks.js';
import { parseCamt053 } from './statement-camt053.js';
import { parseStatementCsv } from './statement-csv.js';
import { StatementFormatError, type ParsedStatement } from './statement-format.js';

export interface ImportSummary {
  statementId: string;
  replayed: boolean;
  /** reconciled, or balance_mismatch: the balances did not add up and nothing was reconciled. */
  outcome: StatementRow['outcome'];
  lines: number;
  settled: number;
  returned: number;
  /** Refunds of recoveries: providers paying back what they owed. */
  refunded: number;
  /** Lines the bank has not booked (PDNG, INFO): recorded, they moved no money. */
  pending: number;
  info: number;
  exceptions: number;
}

function parse(format: 'csv' | 'camt.053', content: string): ParsedStatement {
  try {
    return format === 'csv' ? parseStatementCsv(content) : parseCamt053(content);
  } catch (err) {
    if (err instanceof StatementFormatError) throw new AppError('validation_failed', 'the statement is not valid', { errors: err.errors });
    throw err;
  }
}

const summaryOf = (s: StatementRow, replayed: boolean): ImportSummary => ({
  statementId: s.id, replayed, outcome: s.outcome, lines: s.lineCount, settled: s.matched, returned: s.returned, refunded: s.refunded, pending: s.pending, info: s.info, exceptions: s.exceptions,
});

/**
 * Imports a bank statement and reconciles it. The bank's word is what counts:
 *
 * - the statement must be for the treasury's disbursement account of its
 *   currency, else the file is refused (422) and nothing is stored;
 * - a camt.053's opening balance plus its booked entries must be its closing
 *   balance, else the statement is recorded as a balance_mismatch exception
 *   of its own and reconciles nothing;
 * - only a booked (BOOK) line settles or returns: a line matching a pending
 *   payment line by end-to-end reference and amount settles it (the pending
 *   transfer is posted, its claims become paid); a returned or reversed
 *   payment voids or reverses it and its claims go back to approved; PDNG
 *   and INFO lines are recorded and move nothing; everything else is an
 *   exception with a kind.
 *
 * The same file imported twice changes nothing.
 */
export async function importStatement(deps: ServiceDeps, db: Db | Tx, input: { format: 'csv' | 'camt.053'; content: string }, acting: Acting): Promise<ImportSummary> {
  const sha256 = createHash('sha256').update(input.content).digest('hex');
  const parsed = parse(input.format, input.content);
  const wrongAccount = accountProblems(parsed, policyOf(deps).treasuryAccounts);
  if (wrongAccount.length > 0) {
    throw new AppError('rule_violation', `the statement is not for the disbursement account: ${wrongAccount[0]!.message}`, { errors: wrongAccount });
  }
  const mismatch = balanceMismatch(parsed.balances);
  return inTransaction(db, async (tx) => {
    // Serialise imports: two statements must not settle the same line at once.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('reconciliation_import'))`);
    const previous = await statementBySha(tx, sha256);
    if (previous) return summaryOf(previous, true);
    const now = deps.clock.now();
    const statement = {
      id: newId(), format: input.format, sha256, statementRef: parsed.statementRef, lineCount: parsed.lines.length, importedAt: now, importedBy: acting.actor.subject,
      account: parsed.account?.id ?? null, currency: parsed.balances?.currency ?? null,
      openingBalance: parsed.balances?.opening.amount ?? null, closingBalance: parsed.balances?.closing.amount ?? null,
    };
    const summary = mismatch
      ? await recordUnbalanced(tx, statement, parsed, mismatch, now)
      : await reconcile(deps, tx, statement, parsed, now);
    await recordAudit(tx, {
      ...acting, action: 'bank_statement.imported', entityType: 'bank_statement', entityId: statement.id, at: now,
      details: {
        format: input.format, account: statement.account, outcome: summary.outcome, lines: summary.lines, settled: summary.settled, returned: summary.returned, refunded: summary.refunded,
        pending: summary.pending, info: summary.info, exceptions: summary.exceptions,
      },
    });
    return summary;
  });
}

type NewStatement = Omit<Parameters<typeof insertStatement>[1], 'matched' | 'exceptions'>;

/** Balances that do not add up: the statement and its lines are recorded (a replay is still a replay), one exception says why, nothing moves. */
async function recordUnbalanced(tx: Tx, statement: NewStatement, parsed: ParsedStatement, mismatch: BalanceMismatch, now: Date): Promise<ImportSummary> {
  await insertStatement(tx, { ...statement, outcome: 'balance_mismatch', matched: 0, exceptions: 1 });
  await insertLines(tx, statement.id, parsed.lines, parsed.lines.map(() => ({ outcome: 'unbalanced' as RecordedOutcome })));
  await insertExceptions(tx, [{
    kind: 'balance_mismatch', statementId: statement.id, statementLineId: null, paymentLineId: null, detail: mismatch.detail,
    expected: mismatch.expected, actual: mismatch.actual, currency: mismatch.currency,
  }], now);
  return { statementId: statement.id, replayed: false, outcome: 'balance_mismatch', lines: parsed.lines.length, settled: 0, returned: 0, refunded: 0, pending: 0, info: 0, exceptions: 1 };
}

/** Decides every line against the payment lines and recoveries it names. The look-ups go out of scope here, so a large file does not hold them while it is applied. */
async function classifyAgainstBooks(tx: Tx, parsed: ParsedStatement) {
  const refs = [...new Set(parsed.lines.map((l) => l.endToEndId).filter((r): r is string => r !== null))];
  const byRef = await paymentLinesByReference(tx, refs);
  const recoveries = await recoveriesByReference(tx, refs.filter((r) => !byRef.has(r)));
  return classifyStatement(parsed.lines, (ref) => byRef.get(ref), (ref) => recoveries.get(ref));
}

async function reconcile(deps: ServiceDeps, tx: Tx, statement: NewStatement, parsed: ParsedStatement, now: Date): Promise<ImportSummary> {
  const outcome = await classifyAgainstBooks(tx, parsed);
  const counts = { matched: outcome.settle.length, returned: outcome.returns.length, refunded: outcome.refunds.length, pending: outcome.pending, info: outcome.info, exceptions: outcome.exceptions.length };
  await insertStatement(tx, { ...statement, outcome: 'reconciled', ...counts });
  const lineIds = await insertLines(tx, statement.id, parsed.lines, outcome.perLine);

  for (const part of chunks(outcome.settle)) {
    await deps.ledger.postPendingInBulk(tx, { pendingIds: part.map((s) => s.transferId), code: 'disbursement_settled', at: now });
    const settled = await markSettled(tx, part.map((s) => s.paymentLineId), now);
    await settleNettings(deps, tx, part.map((s) => s.paymentLineId), now);
    await recordPaymentsFinal(tx, settled, now);
  }
  for (const r of outcome.returns) await returnPayment(deps, tx, r, now);
  await recordRefunds(deps, tx, outcome.refunds.map((r) => ({ ...r, statementLineId: lineIds[r.index]! })), now);
  await insertExceptions(tx, outcome.exceptions.map((e) => ({
    kind: e.kind, statementId: statement.id, statementLineId: lineIds[e.index]!, paymentLineId: e.paymentLineId ?? null, detail: e.detail,
    expected: e.expected ?? null, actual: e.actual, currency: e.currency,
  })), now);
  await refreshBatchStatuses(tx, [...new Set([...outcome.settle, ...outcome.returns].map((s) => s.batchId))]);
  return {
    statementId: statement.id, replayed: false, outcome: 'reconciled', lines: parsed.lines.length,
    settled: counts.matched, returned: counts.returned, refunded: counts.refunded, pending: counts.pending, info: counts.info, exceptions: counts.exceptions,
  };
}

/**
 * The bank sent a payment back: a pending line is voided, a settled one is
 * reversed by a posted transfer from clearing back to the payable. Either way
 * the money is owed to the provider again and its claims return to approved,
 * free for the next batch.
 */
async function returnPayment(deps: ServiceDeps, tx: Tx, r: { paymentLineId: string; transferId: string; status: KnownLine['status'] }, now: Date) {
  if (r.status === 'pending') {
    await deps.ledger.commit(tx, [{ id: newId(), kind: 'void_pending', pendingId: r.transferId, code: 'disbursement_returned', referenceId: r.paymentLineId }]);
  } else {
    const t = (await deps.ledger.transfers(tx, [r.transferId])).get(r.transferId)!;
    await deps.ledger.commit(tx, [
      { id: newId(), kind: 'posted', debitAccountId: t.creditAccountId, creditAccountId: t.debitAccountId, amount: t.amount, code: 'disbursement_returned', referenceId: r.paymentLineId },
    ]);
  }
  await recordPaymentReturned(tx, r.paymentLineId, r.status === 'pending' ? 'pending' : 'settled', now);
  await undoNettings(deps, tx, { id: r.paymentLineId }, now);
  await markReturned(tx, r.paymentLineId, now);
}

/** A statement as recorded, with a page of its lines in file order. */
export async function statementWithLines(db: Db | Tx, id: string, filter: { outcome?: RecordedOutcome | undefined; afterLineNo?: number | undefined; limit: number }) {
  const statement = await statementById(db, id);
  if (!statement) throw notFound('bank statement');
  const rows = await linesOf(db, id, { ...filter, limit: filter.limit + 1 });
  return { statement, lines: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}

/** Payment lines the bank has not reported N days after their batch become exceptions, once each. */
export async function flagUnseenPayments(deps: ServiceDeps): Promise<number> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - policyOf(deps).unseenPaymentDays * DAY_MS);
  const r = await deps.database.db.execute(sql`
    insert into reconciliation_exceptions (id, kind, payment_line_id, detail, expected, currency, status, raised_at)
    select gen_random_uuid(), 'not_seen', l.id, 'no bank statement line for this payment ' || ${policyOf(deps).unseenPaymentDays} || ' days after submission',
           l.amount, l.currency, 'open', ${now.toISOString()}::timestamptz
      from payment_lines l join disbursement_batches b on b.id = l.batch_id
     where l.status = 'pending' and b.released_at <= ${before.toISOString()}::timestamptz
    on conflict do nothing`);
  return r.rowCount ?? 0;
}

export async function resolveException(deps: ServiceDeps, db: Db | Tx, id: string, resolution: string, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const [row] = await tx.select().from(reconciliationExceptions).where(eq(reconciliationExceptions.id, id)).for('update');
    if (!row) throw notFound('reconciliation exception');
    if (row.status === 'resolved') throw new AppError('invalid_state', 'the exception is already resolved');
    const now = deps.clock.now();
    const [updated] = await tx
      .update(reconciliationExceptions)
      .set({ status: 'resolved', resolvedBy: acting.actor.subject, resolution, resolvedAt: now })
      .where(eq(reconciliationExceptions.id, id))
      .returning();
    await recordAudit(tx, { ...acting, action: 'reconciliation_exception.resolved', entityType: 'reconciliation_exception', entityId: id, at: now, details: { resolution } });
    return updated!;
  });
}

/** Exceptions newest first, optionally only open or resolved ones, or of one kind. */
export const listReconciliationExceptions = (db: Db | Tx, filter: Parameters<typeof listExceptions>[1]) => listExceptions(db, filter);
