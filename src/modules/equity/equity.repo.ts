import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { incomeGroupThresholds, learnerEquityProfiles } from '../../db/schema/index.js';

type Executor = Db | Tx;
export type ThresholdRow = typeof incomeGroupThresholds.$inferSelect;
export type EquityProfileRow = typeof learnerEquityProfiles.$inferSelect;

export async function thresholdRows(db: Executor, filter: { country?: string | undefined; year?: number | undefined }): Promise<ThresholdRow[]> {
  const where = [];
  if (filter.country !== undefined) where.push(eq(incomeGroupThresholds.country, filter.country));
  if (filter.year !== undefined) where.push(eq(incomeGroupThresholds.year, filter.year));
  return db.select().from(incomeGroupThresholds).where(and(...where))
    .orderBy(asc(incomeGroupThresholds.country), desc(incomeGroupThresholds.year), asc(incomeGroupThresholds.position));
}

export async function insertThresholds(db: Executor, rows: ThresholdRow[]): Promise<void> {
  await db.insert(incomeGroupThresholds).values(rows);
}

export async function findThreshold(db: Executor, country: string, year: number, code: string): Promise<ThresholdRow | undefined> {
  return (await db.select().from(incomeGroupThresholds).where(and(
    eq(incomeGroupThresholds.country, country), eq(incomeGroupThresholds.year, year), eq(incomeGroupThresholds.code, code),
  )))[0];
}

/** The profile in force: the newest recorded. */
export async function currentProfile(db: Executor, learnerId: string): Promise<EquityProfileRow | undefined> {
  return (await db.select().from(learnerEquityProfiles).where(eq(learnerEquityProfiles.learnerId, learnerId))
    .orderBy(desc(learnerEquityProfiles.recordedAt), desc(learnerEquityProfiles.id)).limit(1))[0];
}

export async function insertProfile(db: Executor, row: EquityProfileRow): Promise<void> {
  await db.insert(learnerEquityProfiles).values(row);
}

/** Band of the income group a profile row names, for its view. */
export async function bandOf(db: Executor, row: EquityProfileRow): Promise<ThresholdRow['band'] | null> {
  if (row.incomeGroup === null || row.incomeCountry === null || row.incomeYear === null) return null;
  return (await findThreshold(db, row.incomeCountry, row.incomeYear, row.incomeGroup))?.band ?? null;
}

export const lockLearner = (db: Executor, learnerId: string) => db.execute(sql`select 1 from learners where id = ${learnerId} for no key update`);
