import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { incomeGroupThresholdCorrections, incomeGroupThresholds, learnerEquityProfiles } from '../../db/schema/index.js';

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

export type ThresholdCorrectionRow = typeof incomeGroupThresholdCorrections.$inferSelect;

/** The tables as in force: each group's upper bound as its newest correction left it. */
export async function effectiveThresholdRows(db: Executor, filter: { country?: string | undefined; year?: number | undefined }): Promise<ThresholdRow[]> {
  const rows = await thresholdRows(db, filter);
  if (rows.length === 0) return rows;
  const where = [];
  if (filter.country !== undefined) where.push(eq(incomeGroupThresholdCorrections.country, filter.country));
  if (filter.year !== undefined) where.push(eq(incomeGroupThresholdCorrections.year, filter.year));
  const corrections = await db.select().from(incomeGroupThresholdCorrections).where(and(...where))
    .orderBy(asc(incomeGroupThresholdCorrections.correctedAt), asc(incomeGroupThresholdCorrections.id));
  const latest = new Map(corrections.map((c) => [`${c.country}:${c.year}:${c.code}`, c.upperBound]));
  return rows.map((r) => ({ ...r, upperBound: latest.get(`${r.country}:${r.year}:${r.code}`) ?? r.upperBound }));
}

export async function insertThresholdCorrection(db: Executor, row: ThresholdCorrectionRow): Promise<void> {
  await db.insert(incomeGroupThresholdCorrections).values(row);
}

/** Serialises corrections of one country's table for a year. */
export const lockThresholdTable = (db: Executor, country: string, year: number) =>
  db.execute(sql`select 1 from income_group_thresholds where country = ${country} and year = ${year} for update`);

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
