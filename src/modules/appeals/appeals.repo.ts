import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { grantAppeals, type AppealClosing, type AppealStatus } from '../../db/schema/index.js';
import { toBigInt } from '../../lib/money.js';

export type AppealRow = typeof grantAppeals.$inferSelect;

/** Undefined when the grant already has an open appeal (grant_appeals_one_open_uq). */
export async function insertAppeal(tx: Tx, row: typeof grantAppeals.$inferInsert): Promise<AppealRow | undefined> {
  const [inserted] = await tx.insert(grantAppeals).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function findAppeal(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}) {
  const q = db.select().from(grantAppeals).where(eq(grantAppeals.id, id));
  return (options.forUpdate ? await q.for('update') : await q)[0];
}

export async function updateAppeal(tx: Tx, id: string, set: Partial<typeof grantAppeals.$inferInsert>): Promise<AppealRow> {
  const [row] = await tx.update(grantAppeals).set(set).where(eq(grantAppeals.id, id)).returning();
  return row!;
}

/** A learner's appeals, newest first. */
export async function appealsOfLearner(db: Db | Tx, learnerId: string, limit: number) {
  return db.select().from(grantAppeals).where(eq(grantAppeals.learnerId, learnerId)).orderBy(desc(grantAppeals.filedAt), desc(grantAppeals.id)).limit(limit);
}

export async function listAppeals(
  db: Db | Tx, f: { statuses?: readonly AppealStatus[] | undefined; before?: { at: Date; id: string } | undefined; limit: number },
) {
  const where = [
    f.statuses?.length ? inArray(grantAppeals.status, [...f.statuses]) : undefined,
    f.before ? or(lt(grantAppeals.filedAt, f.before.at), and(eq(grantAppeals.filedAt, f.before.at), lt(grantAppeals.id, f.before.id))) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return db.select().from(grantAppeals).where(where.length ? and(...where) : undefined).orderBy(desc(grantAppeals.filedAt), desc(grantAppeals.id)).limit(f.limit);
}

/**
 * How a grant closed, from its own ledger: what its expiry (grant_expiry) or
 * lapse (grant_revocation) returned to the scheme, less what appeals have
 * reinstated of it since. A grant closed any other way (a pathway bonus
 * taken back, even if its released reservations return later under
 * grant_revocation) returns nothing here and cannot be appealed.
 */
export async function closingOfGrant(db: Db | Tx, grantId: string): Promise<{ closing: AppealClosing; returned: bigint; reinstated: bigint } | undefined> {
  const r = await db.execute<{ expired: string; lapsed: string; bonus_taken_back: boolean | null; reinstated: string }>(sql`
    select coalesce(sum(t.amount) filter (where t.code = 'grant_expiry'), 0)::text as expired,
           coalesce(sum(t.amount) filter (where t.code = 'grant_revocation'), 0)::text as lapsed,
           bool_or(t.code = 'pathway_bonus_revocation') as bonus_taken_back,
           (select coalesce(sum(a.proposed_amount), 0) from grant_appeals a where a.grant_id = ${grantId} and a.status = 'reinstated')::text as reinstated
      from ledger_debits_of(${grantId}) t
     where t.kind = 'posted' and t.code in ('grant_expiry', 'grant_revocation', 'pathway_bonus_revocation')`);
  const row = r.rows[0];
  // A bonus taken back after a reversal was closed on purpose: what its released reservations return later is not a lapse.
  if (row?.bonus_taken_back) return undefined;
  const expired = toBigInt(row?.expired), lapsed = toBigInt(row?.lapsed);
  if (expired === 0n && lapsed === 0n) return undefined;
  return { closing: lapsed > 0n ? 'lapsed' : 'expired', returned: expired + lapsed, reinstated: toBigInt(row?.reinstated) };
}
