import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { staffDataReads } from '../../db/schema/index.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';

export type StaffReadRow = typeof staffDataReads.$inferSelect;

/** One read of a learner's personal data by staff: through which operation, and why. */
export interface StaffRead {
  learnerId: string;
  /** The operationId of the route (or the page) that read it. */
  operation: string;
  /** The reader's own reason where the operation asks for one, else the operation's declared purpose. */
  purpose: string;
  at: Date;
}

/** Who is reading, and through which operation: the route's operationId, or the page (`page:<audience>.<page>`). */
export interface StaffReader {
  acting: Acting;
  operation: string;
}

/**
 * The one record of staff reads of learners' personal data (name, birth
 * date, a national-id look-up, an appeal's statement, the name a payment
 * goes to): one insert however many. Every route, page or service that shows
 * staff a learner's personal data calls this before it answers, in the same
 * handle, so no read goes unrecorded. A learner reading their own data is not
 * a staff read and is not recorded. Never given the national id.
 */
export async function recordStaffReads(db: Db | Tx, acting: Acting, reads: readonly StaffRead[]): Promise<void> {
  if (acting.actor.role === 'citizen' || reads.length === 0) return;
  // One JSON parameter however many reads: a batch paying thousands of learners stays under PostgreSQL's parameter limit.
  const rows = reads.map((read) => ({ id: newId(), learner_id: read.learnerId, operation: read.operation, purpose: read.purpose, at: read.at.toISOString() }));
  await db.execute(sql`
    insert into staff_data_reads (id, learner_id, reader_subject, reader_role, operation, purpose, request_id, at)
    select r.id, r.learner_id, ${acting.actor.subject}, ${acting.actor.role}, r.operation, r.purpose, ${acting.requestId ?? null}, r.at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, learner_id uuid, operation text, purpose text, at timestamptz)`);
}

/** One staff read of one learner's personal data (recordStaffReads). */
export const recordStaffRead = (db: Db | Tx, acting: Acting, read: StaffRead): Promise<void> => recordStaffReads(db, acting, [read]);

/** One read per distinct learner shown together, all through one operation for one purpose. */
export function readsOfLearners(learnerIds: Iterable<string | null | undefined>, read: Omit<StaffRead, 'learnerId'>): StaffRead[] {
  const distinct = new Set<string>();
  for (const id of learnerIds) if (id) distinct.add(id);
  return [...distinct].map((learnerId) => ({ ...read, learnerId }));
}

/** A learner's staff reads, newest first, after the keyset `before`. */
export async function staffReadsOf(db: Db | Tx, learnerId: string, page: { before?: { at: Date; id: string } | undefined; limit: number }): Promise<StaffReadRow[]> {
  const t = staffDataReads;
  const after = page.before ? or(lt(t.at, page.before.at), and(eq(t.at, page.before.at), lt(t.id, page.before.id))) : undefined;
  return db.select().from(t).where(and(eq(t.learnerId, learnerId), after)).orderBy(desc(t.at), desc(t.id)).limit(page.limit);
}

export const staffReadView = (r: StaffReadRow) => ({
  id: r.id, readerSubject: r.readerSubject, readerRole: r.readerRole, operation: r.operation, purpose: r.purpose,
  requestId: r.requestId, at: r.at.toISOString(),
});
