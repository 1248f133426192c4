import { and, desc, eq, lt, or } from 'drizzle-orm';
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

/**
 * The one record of a staff read of a learner's personal data (name, birth
 * date, a national-id look-up). Every route or service that shows staff a
 * learner's personal data calls this before it answers, in the same handle,
 * so no read goes unrecorded. A learner reading their own data is not a
 * staff read and is not recorded. Never given the national id.
 */
export async function recordStaffRead(db: Db | Tx, acting: Acting, read: StaffRead): Promise<void> {
  if (acting.actor.role === 'citizen') return;
  await db.insert(staffDataReads).values({
    id: newId(), learnerId: read.learnerId, readerSubject: acting.actor.subject, readerRole: acting.actor.role,
    operation: read.operation, purpose: read.purpose, requestId: acting.requestId ?? null, at: read.at,
  });
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
