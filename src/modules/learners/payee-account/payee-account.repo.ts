import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/client.js';
import { learnerPayeeAccounts } from '../../../db/schema/index.js';

export type PayeeAccountRow = typeof learnerPayeeAccounts.$inferSelect;

export async function payeeAccountsOf(db: Db | Tx, learnerId: string): Promise<{ active: PayeeAccountRow | undefined; proposed: PayeeAccountRow | undefined }> {
  const rows = await db.select().from(learnerPayeeAccounts)
    .where(and(eq(learnerPayeeAccounts.learnerId, learnerId), sql`${learnerPayeeAccounts.status} in ('active', 'proposed')`));
  return { active: rows.find((r) => r.status === 'active'), proposed: rows.find((r) => r.status === 'proposed') };
}

export async function findPayeeAccount(db: Db | Tx, id: string): Promise<PayeeAccountRow | undefined> {
  return (await db.select().from(learnerPayeeAccounts).where(eq(learnerPayeeAccounts.id, id)).for('update'))[0];
}

export async function insertPayeeAccount(tx: Tx, row: typeof learnerPayeeAccounts.$inferInsert): Promise<PayeeAccountRow> {
  const [inserted] = await tx.insert(learnerPayeeAccounts).values(row).returning();
  return inserted!;
}

export async function setPayeeStatus(tx: Tx, id: string, set: Partial<Pick<PayeeAccountRow, 'status' | 'activatedAt' | 'activatedBy'>>): Promise<void> {
  await tx.update(learnerPayeeAccounts).set(set).where(eq(learnerPayeeAccounts.id, id));
}

/** The learner row, locked: payee registrations and changes of one learner queue behind each other. */
export async function lockLearnerRow(tx: Tx, learnerId: string): Promise<{ id: string; fullName: string; country: string } | undefined> {
  const r = await tx.execute<{ id: string; full_name: string; country: string }>(sql`select id, full_name, country from learners where id = ${learnerId} and erased_at is null for update`);
  const row = r.rows[0];
  return row ? { id: row.id, fullName: row.full_name, country: row.country } : undefined;
}

/** The active payee account of each learner that has one, as the payment file needs it. */
export async function activePayeesOf(db: Db | Tx, learnerIds: string[]): Promise<Map<string, PayeeAccountRow>> {
  if (learnerIds.length === 0) return new Map();
  const rows = await db.select().from(learnerPayeeAccounts)
    .where(and(sql`${learnerPayeeAccounts.learnerId} = any(${sql.param(learnerIds)}::uuid[])`, eq(learnerPayeeAccounts.status, 'active')));
  return new Map(rows.map((r) => [r.learnerId, r]));
}
