import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { bankStatements, reconciliationExceptions, statementLines, type exceptionKinds } from '../../db/schema/index.js';
import { newId } from '../../lib/ids.js';
import { freeIncentivesOfLine } from '../incentives/incentive-lines.js';
import type { KnownLine, LineOutcome } from './classify-statement.js';
import type { StatementLine } from './statement-format.js';

/** Statements of 100,000 lines go to the database in slices, so no one query carries them all. */
const CHUNK = 3_500;
export const ranges = (n: number) => Array.from({ length: Math.ceil(n / CHUNK) }, (_, i) => [i * CHUNK, Math.min(n, (i + 1) * CHUNK)] as const);
export const chunks = <T>(items: T[]) => ranges(items.length).map(([a, b]) => items.slice(a, b));

/** One array parameter (pg sends it as an array literal), not a list of parameters. */
export const arr = (values: (string | number | null)[]) => sql.param(values);

export type StatementRow = typeof bankStatements.$inferSelect;
export type StatementLineRow = typeof statementLines.$inferSelect;
export type ExceptionRow = typeof reconciliationExceptions.$inferSelect;
export type RecordedOutcome = LineOutcome | 'unbalanced';

export async function statementBySha(tx: Tx, sha256: string): Promise<StatementRow | undefined> {
  return (await tx.select().from(bankStatements).where(eq(bankStatements.sha256, sha256)))[0];
}

/** The payment lines the statement's references name, by reference. */
export async function paymentLinesByReference(tx: Tx, refs: string[]): Promise<Map<string, KnownLine>> {
  const byRef = new Map<string, KnownLine>();
  for (const part of chunks(refs)) {
    const known = await tx.execute<{ id: string; end_to_end_id: string; amount: string; currency: string; status: KnownLine['status']; transfer_id: string; batch_id: string }>(sql`
      select id, end_to_end_id, amount::text, currency, status, transfer_id, batch_id from payment_lines
       where end_to_end_id = any(${arr(part)}::text[])`);
    for (const k of known.rows) {
      byRef.set(k.end_to_end_id, { id: k.id, amount: BigInt(k.amount), currency: k.currency, status: k.status, transfer_id: k.transfer_id, batch_id: k.batch_id });
    }
  }
  return byRef;
}

export async function insertStatement(tx: Tx, row: typeof bankStatements.$inferInsert): Promise<void> {
  await tx.insert(bankStatements).values(row);
}

/** Every line of the statement, with what became of it. Returns the new line ids, in order. */
export async function insertLines(tx: Tx, statementId: string, lines: StatementLine[], decided: { outcome: RecordedOutcome; paymentLineId?: string }[]): Promise<string[]> {
  const lineIds = lines.map(() => newId());
  for (const [start, end] of ranges(lines.length)) {
    const part = lines.slice(start, end);
    const outcomes = decided.slice(start, end);
    await tx.execute(sql`
      insert into statement_lines (id, statement_id, line_no, end_to_end_id, amount, currency, direction, is_return, entry_status, booking_date, outcome, payment_line_id)
      select x.id, ${statementId}, x.line_no, x.ref, x.amount, x.currency, x.direction, x.is_return, x.entry_status, x.booking_date, x.outcome, x.payment_line_id
        from unnest(${arr(lineIds.slice(start, end))}::uuid[], ${arr(part.map((l) => l.lineNo))}::int[], ${arr(part.map((l) => l.endToEndId))}::text[],
                    ${arr(part.map((l) => l.amount.toString()))}::bigint[], ${arr(part.map((l) => l.currency))}::text[],
                    ${arr(part.map((l) => l.direction))}::text[], ${arr(part.map((l) => (l.isReturn ? 1 : 0)))}::int[],
                    ${arr(part.map((l) => l.status))}::text[], ${arr(part.map((l) => l.bookingDate))}::date[], ${arr(outcomes.map((o) => o.outcome))}::text[],
                    ${arr(outcomes.map((o) => o.paymentLineId ?? null))}::uuid[])
          as x(id, line_no, ref, amount, currency, direction, is_return, entry_status, booking_date, outcome, payment_line_id)`);
  }
  return lineIds;
}

export interface NewException {
  kind: string;
  statementId: string;
  statementLineId: string | null;
  paymentLineId: string | null;
  detail: string;
  expected: bigint | null;
  actual: bigint | null;
  currency: string;
}

export async function insertExceptions(tx: Tx, ex: NewException[], now: Date): Promise<void> {
  for (const part of chunks(ex)) {
    await tx.execute(sql`
      insert into reconciliation_exceptions (id, kind, statement_id, statement_line_id, payment_line_id, detail, expected, actual, currency, status, raised_at)
      select x.id, x.kind, x.statement_id, x.statement_line_id, x.payment_line_id, x.detail, x.expected, x.actual, x.currency, 'open', ${now.toISOString()}::timestamptz
        from unnest(${arr(part.map(() => newId()))}::uuid[], ${arr(part.map((e) => e.kind))}::text[], ${arr(part.map((e) => e.statementId))}::uuid[],
                    ${arr(part.map((e) => e.statementLineId))}::uuid[], ${arr(part.map((e) => e.paymentLineId))}::uuid[], ${arr(part.map((e) => e.detail))}::text[],
                    ${arr(part.map((e) => e.expected?.toString() ?? null))}::bigint[], ${arr(part.map((e) => e.actual?.toString() ?? null))}::bigint[],
                    ${arr(part.map((e) => e.currency))}::text[])
          as x(id, kind, statement_id, statement_line_id, payment_line_id, detail, expected, actual, currency)`);
  }
}

/** Payment lines the bank booked: settled, and the claims they carry paid. Answers the lines this settled. */
export async function markSettled(tx: Tx, paymentLineIds: string[], now: Date): Promise<string[]> {
  const ids = arr(paymentLineIds);
  const settled = await tx.execute<{ id: string }>(sql`
    update payment_lines set status = 'settled', settled_at = ${now.toISOString()}::timestamptz where id = any(${ids}::uuid[]) and status = 'pending' returning id`);
  await tx.execute(sql`
    update claims c set status = 'paid', paid_at = ${now.toISOString()}::timestamptz
      from payment_line_claims plc where plc.claim_id = c.id and plc.live = 1 and plc.line_id = any(${ids}::uuid[]) and c.status = 'approved'`);
  return settled.rows.map((r) => r.id);
}

/** A returned payment line: its claims are approved again, and its incentives owed again, free for the next batch. */
export async function markReturned(tx: Tx, paymentLineId: string, now: Date): Promise<void> {
  await tx.execute(sql`update payment_lines set status = 'returned', returned_at = ${now.toISOString()}::timestamptz where id = ${paymentLineId}`);
  await tx.execute(sql`
    update claims c set status = 'approved', paid_at = null from payment_line_claims plc
     where plc.claim_id = c.id and plc.line_id = ${paymentLineId} and plc.live = 1 and c.status = 'paid'`);
  await tx.execute(sql`update payment_line_claims set live = 0 where line_id = ${paymentLineId}`);
  await freeIncentivesOfLine(tx, paymentLineId);
}

/**
 * A released batch's status from its lines: `settled` when every line is paid
 * (settled, or netted to nothing); `returned` when the bank sent every line
 * back; `partially_settled` when some are paid and the rest are returned or
 * still pending; `submitted` while nothing is paid (some may be returned).
 */
export async function refreshBatchStatuses(tx: Tx, batchIds: string[]): Promise<void> {
  if (batchIds.length === 0) return;
  await tx.execute(sql`
    update disbursement_batches b set status = case
        when not exists (select 1 from payment_lines l where l.batch_id = b.id and l.status not in ('settled', 'netted')) then 'settled'
        when not exists (select 1 from payment_lines l where l.batch_id = b.id and l.status <> 'returned') then 'returned'
        when exists (select 1 from payment_lines l where l.batch_id = b.id and l.status in ('settled', 'netted')) then 'partially_settled'
        else 'submitted' end
     where b.id = any(${arr(batchIds)}::uuid[])`);
}

export async function statementById(db: Db | Tx, id: string): Promise<StatementRow | undefined> {
  return (await db.select().from(bankStatements).where(eq(bankStatements.id, id)))[0];
}

/** A statement's lines in file order, after a line number, optionally of one outcome. */
export async function linesOf(
  db: Db | Tx, statementId: string, filter: { outcome?: RecordedOutcome | undefined; afterLineNo?: number | undefined; limit: number },
): Promise<StatementLineRow[]> {
  const where = [
    eq(statementLines.statementId, statementId),
    filter.outcome ? eq(statementLines.outcome, filter.outcome) : undefined,
    filter.afterLineNo !== undefined ? gt(statementLines.lineNo, filter.afterLineNo) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return db.select().from(statementLines).where(and(...where)).orderBy(asc(statementLines.lineNo)).limit(filter.limit);
}

export async function listExceptions(
  db: Db | Tx, f: { status?: 'open' | 'resolved' | undefined; kind?: (typeof exceptionKinds)[number] | undefined; limit: number },
): Promise<ExceptionRow[]> {
  const where = [
    f.status ? eq(reconciliationExceptions.status, f.status) : undefined,
    f.kind ? eq(reconciliationExceptions.kind, f.kind) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return db.select().from(reconciliationExceptions).where(where.length ? and(...where) : undefined)
    .orderBy(desc(reconciliationExceptions.raisedAt)).limit(f.limit);
}
