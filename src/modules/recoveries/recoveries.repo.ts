import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { paymentLines, providerReceivables, recoveries, recoverySettlements } from '../../db/schema/index.js';
import type { Ledger } from '../../ledger/ledger.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { inTransaction } from '../../db/transaction.js';

export type RecoveryRow = typeof recoveries.$inferSelect;
export type SettlementRow = typeof recoverySettlements.$inferSelect;

/**
 * What a provider owes back on one recovery: its amount less every live
 * netting, refund and return, plus any repayment. Below zero, the service owes
 * the provider: it paid back more than it owed.
 */
export interface Outstanding {
  recoveryId: string;
  reference: string;
  outstanding: bigint;
}

/**
 * The provider's receivable in a currency, created the first time a
 * recovery needs it. Only the transaction that wins the row creates the account.
 */
export async function ensureProviderReceivable(db: Db | Tx, ledger: Ledger, providerId: string, currency: Currency): Promise<string> {
  const find = async (d: Db | Tx) =>
    (await d.select({ accountId: providerReceivables.accountId }).from(providerReceivables)
      .where(and(eq(providerReceivables.providerId, providerId), eq(providerReceivables.currency, currency))))[0]?.accountId;
  const existing = await find(db);
  if (existing) return existing;
  return inTransaction(db, async (tx) => {
    const accountId = newId();
    const won = await tx.insert(providerReceivables).values({ providerId, currency, accountId }).onConflictDoNothing().returning();
    if (won.length === 0) return (await find(tx))!;
    await ledger.createAccounts(tx, [{ id: accountId, currency, kind: 'provider_receivable', ownerId: providerId, limit: 'none' }]);
    return accountId;
  });
}

/**
 * The provider's recoveries that still have something outstanding, oldest
 * first, locked: netting and refunds of one provider take turns.
 */
export async function outstandingRecoveries(tx: Tx, providerId: string, currency: string): Promise<Outstanding[]> {
  const r = await tx.execute<{ id: string; reference: string; outstanding: string }>(sql`
    with mine as (select id, reference, amount, opened_at from recoveries where provider_id = ${providerId} and currency = ${currency} for update)
    select m.id, m.reference, (m.amount - ${settledSql(sql`m.id`)})::text outstanding
      from mine m order by m.opened_at, m.id`);
  return r.rows.map((x) => ({ recoveryId: x.id, reference: x.reference, outstanding: BigInt(x.outstanding) })).filter((x) => x.outstanding !== 0n);
}

/** What the live settlements of a recovery took off it (a repayment adds back). The one SQL home of that sum. */
export const settledSql = (recoveryId: SQL) =>
  sql`coalesce((select sum(case when s.kind = 'repayment' then -s.amount else s.amount end) from recovery_settlements s where s.recovery_id = ${recoveryId} and s.live = 1), 0)`;

/**
 * Active providers the service owes a repayment in this currency: they get a
 * line even with no claims to pay. A batch of one scheme repays only what
 * was recovered on claims that drew on that scheme.
 */
export async function providersOwedRepayment(tx: Tx, currency: string, schemeId?: string): Promise<string[]> {
  const scheme = schemeId
    ? sql`and exists (select 1 from claims c join enrolment_reservations er on er.enrolment_id = c.enrolment_id and er.module_ordinal = c.module_ordinal where c.id = r.claim_id and er.scheme_id = ${schemeId})`
    : sql``;
  const r = await tx.execute<{ provider_id: string }>(sql`
    select distinct r.provider_id from recoveries r join providers p on p.id = r.provider_id and p.status = 'active'
     where r.currency = ${currency} and r.amount - ${settledSql(sql`r.id`)} < 0 ${scheme}`);
  return r.rows.map((x) => x.provider_id);
}

export async function findRecoveryByReference(tx: Tx, reference: string, options: { forUpdate?: boolean } = {}) {
  const q = tx.select().from(recoveries).where(eq(recoveries.reference, reference));
  return (options.forUpdate ? await q.for('update') : await q)[0];
}

export async function findRecovery(db: Db | Tx, id: string) {
  return (await db.select().from(recoveries).where(eq(recoveries.id, id)))[0];
}

/** Every settlement of these recoveries, with the status of the payment line a netting sits on. */
export async function settlementsOf(db: Db | Tx, recoveryIds: string[]): Promise<(SettlementRow & { lineStatus: string | null })[]> {
  if (recoveryIds.length === 0) return [];
  const rows = await db.select({ s: recoverySettlements, lineStatus: paymentLines.status }).from(recoverySettlements)
    .leftJoin(paymentLines, eq(paymentLines.id, recoverySettlements.paymentLineId))
    .where(sql`${recoverySettlements.recoveryId} = any(${sql.param(recoveryIds)}::uuid[])`).orderBy(recoverySettlements.createdAt);
  return rows.map((r) => ({ ...r.s, lineStatus: r.lineStatus }));
}

export async function nettingsOfLines(db: Db | Tx, lineIds: string[]): Promise<SettlementRow[]> {
  if (lineIds.length === 0) return [];
  return db.select().from(recoverySettlements)
    .where(and(sql`${recoverySettlements.paymentLineId} = any(${sql.param(lineIds)}::uuid[])`, eq(recoverySettlements.live, 1)));
}

export async function listRecoveries(
  db: Db | Tx, f: { providerId?: string | undefined; before?: { at: Date; id: string } | undefined; limit: number },
) {
  const where = [
    f.providerId ? eq(recoveries.providerId, f.providerId) : undefined,
    f.before ? or(lt(recoveries.openedAt, f.before.at), and(eq(recoveries.openedAt, f.before.at), lt(recoveries.id, f.before.id))) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  return db.select().from(recoveries).where(where.length ? and(...where) : undefined).orderBy(desc(recoveries.openedAt), desc(recoveries.id)).limit(f.limit);
}
