import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { learners } from '../../db/schema/index.js';

export type LearnerRow = typeof learners.$inferSelect;

export async function findLearner(db: Db | Tx, id: string): Promise<LearnerRow | undefined> {
  return (await db.select().from(learners).where(eq(learners.id, id)))[0];
}

export async function findLearnerByNationalIdHash(db: Db | Tx, country: string, hash: Buffer): Promise<LearnerRow | undefined> {
  return (await db.select().from(learners).where(and(eq(learners.country, country), eq(learners.nationalIdHash, hash))))[0];
}
