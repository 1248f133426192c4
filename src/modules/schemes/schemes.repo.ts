import { and, asc, desc, eq, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { schemeRuleVersions, schemes } from '../../db/schema/index.js';
import { toBigInt } from '../../lib/money.js';
import { rulesFromJson, type SchemeRules } from './scheme-rules.js';
import { grantCodesSql, grantReturnCodesSql } from '../grants/grant-codes.js';

export type SchemeRow = typeof schemes.$inferSelect;

export async function findScheme(db: Db | Tx, id: string): Promise<SchemeRow | undefined> {
  return (await db.select().from(schemes).where(eq(schemes.id, id)))[0];
}

/** The scheme row, locked until the transaction ends: rule changes of one scheme queue behind each other. */
export async function lockScheme(tx: Tx, id: string): Promise<SchemeRow | undefined> {
  return (await tx.select().from(schemes).where(eq(schemes.id, id)).for('update'))[0];
}

export async function listSchemes(db: Db | Tx): Promise<SchemeRow[]> {
  return db.select().from(schemes).orderBy(asc(schemes.code));
}

/** The rules in force at `at`: the newest version already effective. */
export async function rulesAt(db: Db | Tx, schemeId: string, at: Date): Promise<{ version: number; rules: SchemeRules } | undefined> {
  const row = (
    await db
      .select()
      .from(schemeRuleVersions)
      .where(and(eq(schemeRuleVersions.schemeId, schemeId), lte(schemeRuleVersions.effectiveFrom, at)))
      .orderBy(desc(schemeRuleVersions.version))
      .limit(1)
  )[0];
  return row ? { version: row.version, rules: rulesFromJson(row.rules) } : undefined;
}

export async function ruleVersions(db: Db | Tx, schemeId: string) {
  return db.select().from(schemeRuleVersions).where(eq(schemeRuleVersions.schemeId, schemeId)).orderBy(asc(schemeRuleVersions.version));
}

/** The newest version, whether in force yet or scheduled: the one a new version would follow. */
export async function latestRuleVersion(db: Db | Tx, schemeId: string) {
  return (
    await db.select().from(schemeRuleVersions).where(eq(schemeRuleVersions.schemeId, schemeId)).orderBy(desc(schemeRuleVersions.version)).limit(1)
  )[0];
}

export async function nextRuleVersion(db: Db | Tx, schemeId: string): Promise<number> {
  const r = await db.execute<{ v: number }>(
    sql`select coalesce(max(version), 0) + 1 as v from scheme_rule_versions where scheme_id = ${schemeId}`,
  );
  return Number(r.rows[0]?.v ?? 1);
}

/** Budget figures from the ledger: what came from the treasury, went to grants, came back. */
export async function budgetFigures(db: Db | Tx, budgetAccountId: string) {
  const r = await db.execute<{ allocated: string; granted: string; returned: string; available: string }>(sql`
    select
      coalesce((select sum(amount) from ledger_credits_of(${budgetAccountId}) where code = 'allocation'), 0)::text as allocated,
      coalesce((select sum(amount) from ledger_debits_of(${budgetAccountId}) where code in (${grantCodesSql})), 0)::text as granted,
      coalesce((select sum(amount) from ledger_credits_of(${budgetAccountId}) where code in (${grantReturnCodesSql})), 0)::text as returned,
      (select ledger_available(credits_posted, debits_posted, debits_pending)::text from ledger_balance(${budgetAccountId})) as available`);
  const row = r.rows[0]!;
  return {
    allocated: toBigInt(row.allocated),
    granted: toBigInt(row.granted),
    returned: toBigInt(row.returned),
    available: toBigInt(row.available),
  };
}
