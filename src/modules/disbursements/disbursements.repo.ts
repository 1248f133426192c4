import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { disbursementBatches, paymentLineClaims, paymentLines } from '../../db/schema/index.js';

export type BatchRow = typeof disbursementBatches.$inferSelect;
export type PaymentLineRow = typeof paymentLines.$inferSelect;

/**
 * Approved, unpaid, unheld claims of active providers, decided by the cut-off
 * and in no live payment line; locked for this batch. A suspended provider's
 * claims wait, held, until it is reinstated.
 */
export async function payableClaims(tx: Tx, f: { currency: string; cutOff: Date; schemeId?: string | undefined }) {
  const scheme = f.schemeId
    ? sql`and exists (select 1 from enrolment_reservations er where er.enrolment_id = c.enrolment_id and er.module_ordinal = c.module_ordinal and er.scheme_id = ${f.schemeId})`
    : sql``;
  const r = await tx.execute<{ id: string; provider_id: string; amount: string }>(sql`
    select c.id, c.provider_id, c.amount_claimed::text as amount from claims c
      join providers p on p.id = c.provider_id and p.status = 'active'
     where c.status = 'approved' and not c.on_hold and c.currency = ${f.currency}
       and c.decided_at <= ${f.cutOff.toISOString()}::timestamptz
       and not exists (select 1 from payment_line_claims plc where plc.claim_id = c.id and plc.live = 1)
       ${scheme}
     order by c.provider_id, c.id
     for update of c`);
  return r.rows.map((x) => ({ id: x.id, providerId: x.provider_id, amount: BigInt(x.amount) }));
}

export async function findBatch(db: Db | Tx, id: string) {
  return (await db.select().from(disbursementBatches).where(eq(disbursementBatches.id, id)))[0];
}

export async function linesOf(db: Db | Tx, batchId: string) {
  return db.select().from(paymentLines).where(eq(paymentLines.batchId, batchId)).orderBy(paymentLines.endToEndId);
}

export async function listBatches(db: Db | Tx, limit: number) {
  return db.select().from(disbursementBatches).orderBy(desc(disbursementBatches.createdAt)).limit(limit);
}

/** The live payment line of each of these claims (the one that pays or paid it), with its bank reference. */
export async function liveLinesOfClaims(db: Db | Tx, claimIds: string[]) {
  if (claimIds.length === 0) return [];
  return db
    .select({ claimId: paymentLineClaims.claimId, lineId: paymentLines.id, batchId: paymentLines.batchId, endToEndId: paymentLines.endToEndId, status: paymentLines.status, settledAt: paymentLines.settledAt })
    .from(paymentLineClaims)
    .innerJoin(paymentLines, eq(paymentLines.id, paymentLineClaims.lineId))
    .where(and(inArray(paymentLineClaims.claimId, claimIds), eq(paymentLineClaims.live, 1)));
}

/** The payment lines with these ids (the lines a recovery was netted against), with their bank reference. */
export async function linesByIds(db: Db | Tx, lineIds: string[]) {
  if (lineIds.length === 0) return [];
  return db.select().from(paymentLines).where(inArray(paymentLines.id, lineIds));
}
