import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { counterActs } from '../../db/schema/index.js';

export type CounterActRow = typeof counterActs.$inferSelect;

export async function insertCounterAct(db: Db | Tx, row: CounterActRow): Promise<void> {
  await db.insert(counterActs).values(row);
}

/** The look-up that opened a visit, when it is this officer's. */
export async function findVisit(db: Db | Tx, visitId: string, officerSubject: string): Promise<CounterActRow | undefined> {
  const [row] = await db
    .select()
    .from(counterActs)
    .where(and(eq(counterActs.id, visitId), eq(counterActs.action, 'lookup'), eq(counterActs.officerSubject, officerSubject)));
  return row;
}

/** For each enrolment answered at a counter (consent or decline), the officer who answered it with the learner. */
export async function counterAnswersOf(db: Db | Tx, enrolmentIds: string[]): Promise<Map<string, string>> {
  if (enrolmentIds.length === 0) return new Map();
  const rows = await db
    .select({ enrolmentId: counterActs.enrolmentId, officer: counterActs.officerSubject })
    .from(counterActs)
    .where(and(inArray(counterActs.enrolmentId, enrolmentIds), sql`${counterActs.action} in ('consent', 'decline')`));
  return new Map(rows.map((r) => [r.enrolmentId!, r.officer]));
}
