import { and, eq, gte, min } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { equityReportSnapshots, schemes } from '../../db/schema/index.js';
import type { EquityDimension } from './equity-report.repo.js';
import type { ReportPeriod } from './report-period.js';

type Executor = Db | Tx;

export interface SnapshotKey { period: ReportPeriod; periodEnd: Date; dimension: EquityDimension }

/** The stored schemes of one published period and dimension, or undefined when it was never published. */
export async function findSnapshot(db: Executor, key: SnapshotKey): Promise<unknown[] | undefined> {
  const rows = await db.select({ schemes: equityReportSnapshots.schemes }).from(equityReportSnapshots).where(and(
    eq(equityReportSnapshots.period, key.period), eq(equityReportSnapshots.periodEnd, key.periodEnd), eq(equityReportSnapshots.dimension, key.dimension),
  ));
  return rows[0]?.schemes;
}

/** Stores a period's report unless one is stored already (the first publication stands); true when this one was. */
export async function insertSnapshot(db: Executor, key: SnapshotKey, schemesReport: unknown[], takenAt: Date): Promise<boolean> {
  const inserted = await db.insert(equityReportSnapshots).values({ ...key, schemes: schemesReport, takenAt }).onConflictDoNothing()
    .returning({ period: equityReportSnapshots.period });
  return inserted.length > 0;
}

/** The keys, as `periodEnd ISO dimension`, of the snapshots of one kind of period ending at or after `since`. */
export async function snapshotKeysSince(db: Executor, period: ReportPeriod, since: Date): Promise<Set<string>> {
  const rows = await db.select({ periodEnd: equityReportSnapshots.periodEnd, dimension: equityReportSnapshots.dimension }).from(equityReportSnapshots)
    .where(and(eq(equityReportSnapshots.period, period), gte(equityReportSnapshots.periodEnd, since)));
  return new Set(rows.map((r) => snapshotKeyOf(r.periodEnd, r.dimension)));
}

export const snapshotKeyOf = (periodEnd: Date, dimension: EquityDimension) => `${periodEnd.toISOString()} ${dimension}`;

/** When the first scheme was created: the equity report has nothing to say of any period before it. */
export async function firstSchemeCreatedAt(db: Executor): Promise<Date | null> {
  const rows = await db.select({ at: min(schemes.createdAt) }).from(schemes);
  return rows[0]?.at ?? null;
}
