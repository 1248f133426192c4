import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { approvals, type ApprovalStatus } from '../../db/schema/index.js';

export type ApprovalRow = typeof approvals.$inferSelect;

/** Undefined when an open proposal of the same kind on the same subject exists. */
export async function insertApproval(tx: Tx, row: typeof approvals.$inferInsert): Promise<ApprovalRow | undefined> {
  const [inserted] = await tx.insert(approvals).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function findApproval(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}) {
  const q = db.select().from(approvals).where(eq(approvals.id, id));
  return (options.forUpdate ? await q.for('update') : await q)[0];
}

/** The open proposal of this kind on a subject, if any. */
export async function pendingApprovalOf(db: Db | Tx, kind: string, subjectId: string) {
  return (await db.select().from(approvals).where(and(eq(approvals.kind, kind), eq(approvals.subjectId, subjectId), eq(approvals.status, 'pending'))))[0];
}

export async function latestApprovalOf(db: Db | Tx, kind: string, subjectId: string) {
  return (await db.select().from(approvals).where(and(eq(approvals.kind, kind), eq(approvals.subjectId, subjectId))).orderBy(desc(approvals.proposedAt)).limit(1))[0];
}

/** The latest proposal of this kind about each subject that has one, in one query. */
export async function latestApprovalsOf(db: Db | Tx, kind: string, subjectIds: string[]): Promise<Map<string, ApprovalRow>> {
  if (subjectIds.length === 0) return new Map();
  const rows = await db.selectDistinctOn([approvals.subjectId]).from(approvals)
    .where(and(eq(approvals.kind, kind), inArray(approvals.subjectId, subjectIds))).orderBy(approvals.subjectId, desc(approvals.proposedAt));
  return new Map(rows.map((r) => [r.subjectId, r]));
}

export interface ApprovalFilter {
  status?: ApprovalStatus | undefined; kind?: string | undefined; subjectId?: string | undefined; before?: { at: Date; id: string } | undefined; limit: number;
}

const approvalConditions = (f: Omit<ApprovalFilter, 'limit'>): SQL[] => [
  f.status ? eq(approvals.status, f.status) : undefined,
  f.kind ? eq(approvals.kind, f.kind) : undefined,
  f.subjectId ? eq(approvals.subjectId, f.subjectId) : undefined,
  f.before ? or(lt(approvals.proposedAt, f.before.at), and(eq(approvals.proposedAt, f.before.at), lt(approvals.id, f.before.id))) : undefined,
].filter((c): c is SQL => c !== undefined);

/** How many proposals match the filter (no cursor, no limit). */
export async function countApprovals(db: Db | Tx, f: Omit<ApprovalFilter, 'limit' | 'before'>): Promise<number> {
  const where = approvalConditions(f);
  return db.$count(approvals, where.length ? and(...where) : undefined);
}

export async function listApprovals(db: Db | Tx, f: ApprovalFilter) {
  const where = approvalConditions(f);
  return db
    .select()
    .from(approvals)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(approvals.proposedAt), desc(approvals.id))
    .limit(f.limit);
}

export async function closeApproval(tx: Tx, id: string, set: { status: 'approved' | 'rejected'; decidedBy: string; decidedAt: Date; decisionNote: string | null }) {
  const [row] = await tx.update(approvals).set(set).where(eq(approvals.id, id)).returning();
  return row!;
}
