import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { bankStatements, reconciliationExceptions } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../http/problem.js';
import { postPendingInBulk } from '../../ledger/bulk.js';
import { newId } from '../../lib/ids.js';
import { recordAudit } from '../audit/audit.repo.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import type { Acting } from '../enrolments/enrolments.service.js';
import { classifyStatement, type KnownLine } from './classify-statement.js';
import { parseCamt053, parseStatementCsv, StatementFormatError, type ParsedStatement } from './statement-parsers.js';

/** Statements of 100,000 lines go to the database in slices, so no one query carries them all. */
const CHUNK = 5_000;
const ranges = (n: number) => Array.from({ length: Math.ceil(n / CHUNK) }, (_, i) => [i * CHUNK, Math.min(n, (i + 1) * CHUNK)] as const);
const chunks = <T>(items: T[]) => ranges(items.length).map(([a, b]) => items.slice(a, b));

/** One array parameter (pg sends it as an array literal), not a list of parameters. */
const arr = (values: (string | number | null)[]) => sql.param(values);

export interface ImportSummary {
  statementId: string;
  replayed: boolean;
  lines: number;
  settled: number;
  returned: number;
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

/**
 * Imports a bank statement and reconciles it: a line matching a pending
 * payment line by end-to-end reference and amount settles it (the pending
 * transfer is posted, its claims become paid); a returned payment voids or
 * reverses it and its claims go back to approved; everything else is an
 * exception with a kind. The same file imported twice changes nothing.
 */
export async function importStatement(deps: ServiceDeps, db: Db | Tx, input: { format: 'csv' | 'camt.053'; content: string }, acting: Acting): Promise<ImportSummary> {
  const sha256 = createHash('sha256').update(input.content).digest('hex');
  const parsed = parse(input.format, input.content);
  return inTransaction(db, async (tx) => {
    const previous = (await tx.select().from(bankStatements).where(eq(bankStatements.sha256, sha256)))[0];
    if (previous) {
      return { statementId: previous.id, replayed: true, lines: previous.lineCount, settled: previous.matched, returned: 0, exceptions: previous.exceptions };
    }
    // Serialise imports: two statements must not settle the same line at once.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('reconciliation_import'))`);
    const now = deps.clock.now();
    const refs = [...new Set(parsed.lines.map((l) => l.endToEndId).filter((r): r is string => r !== null))];
    const byRef = new Map<string, KnownLine>();
    for (const part of chunks(refs)) {
      const known = await tx.execute<{ id: string; end_to_end_id: string; amount: string; currency: string; status: KnownLine['status']; transfer_id: string; batch_id: string }>(sql`
        select id, end_to_end_id, amount::text, currency, status, transfer_id, batch_id from payment_lines
         where end_to_end_id = any(${arr(part)}::text[])`);
      for (const k of known.rows) {
        byRef.set(k.end_to_end_id, { id: k.id, amount: BigInt(k.amount), currency: k.currency, status: k.status, transfer_id: k.transfer_id, batch_id: k.batch_id });
      }
    }
    const outcome = classifyStatement(parsed.lines, (ref) => byRef.get(ref));

    const statementId = newId();
    await tx.insert(bankStatements).values({
      id: statementId, format: input.format, sha256, statementRef: parsed.statementRef, lineCount: parsed.lines.length,
      matched: outcome.settle.length, exceptions: outcome.exceptions.length, importedAt: now, importedBy: acting.actor.subject,
    });
    const lineIds = parsed.lines.map(() => newId());
    for (const [start, end] of ranges(parsed.lines.length)) {
      const lines = parsed.lines.slice(start, end);
      const decided = outcome.perLine.slice(start, end);
      await tx.execute(sql`
        insert into statement_lines (id, statement_id, line_no, end_to_end_id, amount, currency, direction, is_return, booking_date, outcome, payment_line_id)
        select x.id, ${statementId}, x.line_no, x.ref, x.amount, x.currency, x.direction, x.is_return, x.booking_date, x.outcome, x.payment_line_id
          from unnest(${arr(lineIds.slice(start, end))}::uuid[], ${arr(lines.map((l) => l.lineNo))}::int[], ${arr(lines.map((l) => l.endToEndId))}::text[],
                      ${arr(lines.map((l) => l.amount.toString()))}::bigint[], ${arr(lines.map((l) => l.currency))}::text[],
                      ${arr(lines.map((l) => l.direction))}::text[], ${arr(lines.map((l) => (l.isReturn ? 1 : 0)))}::int[],
                      ${arr(lines.map((l) => l.bookingDate))}::date[], ${arr(decided.map((o) => o.outcome))}::text[],
                      ${arr(decided.map((o) => o.paymentLineId ?? null))}::uuid[])
            as x(id, line_no, ref, amount, currency, direction, is_return, booking_date, outcome, payment_line_id)`);
    }

    for (const part of chunks(outcome.settle)) {
      await postPendingInBulk(tx, { pendingIds: part.map((s) => s.transferId), code: 'disbursement_settled', at: now });
      const ids = arr(part.map((s) => s.paymentLineId));
      await tx.execute(sql`update payment_lines set status = 'settled', settled_at = ${now.toISOString()}::timestamptz where id = any(${ids}::uuid[]) and status = 'pending'`);
      await tx.execute(sql`
        update claims c set status = 'paid', paid_at = ${now.toISOString()}::timestamptz
          from payment_line_claims plc where plc.claim_id = c.id and plc.live = 1 and plc.line_id = any(${ids}::uuid[]) and c.status = 'approved'`);
    }
    for (const r of outcome.returns) await returnPayment(deps, tx, r, now);
    if (outcome.exceptions.length > 0) {
      const ex = outcome.exceptions;
      await tx.execute(sql`
        insert into reconciliation_exceptions (id, kind, statement_line_id, payment_line_id, detail, expected, actual, currency, status, raised_at)
        select x.id, x.kind, x.statement_line_id, x.payment_line_id, x.detail, x.expected, x.actual, x.currency, 'open', ${now.toISOString()}::timestamptz
          from unnest(${arr(ex.map(() => newId()))}::uuid[], ${arr(ex.map((e) => e.kind))}::text[], ${arr(ex.map((e) => lineIds[e.index]!))}::uuid[],
                      ${arr(ex.map((e) => e.paymentLineId ?? null))}::uuid[], ${arr(ex.map((e) => e.detail))}::text[],
                      ${arr(ex.map((e) => e.expected?.toString() ?? null))}::bigint[], ${arr(ex.map((e) => e.actual.toString()))}::bigint[],
                      ${arr(ex.map((e) => e.currency))}::text[])
            as x(id, kind, statement_line_id, payment_line_id, detail, expected, actual, currency)`);
    }
    const batches = [...new Set([...outcome.settle, ...outcome.returns].map((s) => s.batchId))];
    if (batches.length > 0) {
      await tx.execute(sql`
        update disbursement_batches b set status = case
            when not exists (select 1 from payment_lines l where l.batch_id = b.id and l.status <> 'settled') then 'settled'
            else 'partially_settled' end
         where b.id = any(${arr(batches)}::uuid[])`);
    }
    await recordAudit(tx, {
      ...acting, action: 'bank_statement.imported', entityType: 'bank_statement', entityId: statementId, at: now,
      details: { format: input.format, lines: parsed.lines.length, settled: outcome.settle.length, returned: outcome.returns.length, exceptions: outcome.exceptions.length },
    });
    return { statementId, replayed: false, lines: parsed.lines.length, settled: outcome.settle.length, returned: outcome.returns.length, exceptions: outcome.exceptions.length };
  });
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
    const t = (await tx.execute<{ debit_account_id: string; credit_account_id: string; amount: string }>(sql`
      select debit_account_id, credit_account_id, amount::text from ledger_transfers where id = ${r.transferId}`)).rows[0]!;
    await deps.ledger.commit(tx, [
      { id: newId(), kind: 'posted', debitAccountId: t.credit_account_id, creditAccountId: t.debit_account_id, amount: BigInt(t.amount), code: 'disbursement_returned', referenceId: r.paymentLineId },
    ]);
  }
  await tx.execute(sql`update payment_lines set status = 'returned', returned_at = ${now.toISOString()}::timestamptz where id = ${r.paymentLineId}`);
  await tx.execute(sql`
    update claims c set status = 'approved', paid_at = null from payment_line_claims plc
     where plc.claim_id = c.id and plc.line_id = ${r.paymentLineId} and plc.live = 1`);
  await tx.execute(sql`update payment_line_claims set live = 0 where line_id = ${r.paymentLineId}`);
}

/** Payment lines the bank has not reported N days after their batch become exceptions, once each. */
export async function flagUnseenPayments(deps: ServiceDeps): Promise<number> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - policyOf(deps).unseenPaymentDays * 86_400_000);
  const r = await deps.database.db.execute(sql`
    insert into reconciliation_exceptions (id, kind, payment_line_id, detail, expected, currency, status, raised_at)
    select gen_random_uuid(), 'not_seen', l.id, 'no bank statement line for this payment ' || ${policyOf(deps).unseenPaymentDays} || ' days after submission',
           l.amount, l.currency, 'open', ${now.toISOString()}::timestamptz
      from payment_lines l join disbursement_batches b on b.id = l.batch_id
     where l.status = 'pending' and b.created_at <= ${before.toISOString()}::timestamptz
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
