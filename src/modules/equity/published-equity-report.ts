import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import { equityReport, type EquitySchemeReport, type PublishedFigures } from './equity-report.js';
import { equityDimensions, type EquityDimension } from './equity-report.repo.js';
import { findSnapshot, firstSchemeCreatedAt, insertSnapshot, snapshotKeyOf, snapshotKeysSince, type SnapshotKey } from './equity-snapshots.repo.js';
import { closedPeriodsSince, publishedPeriodOf } from './report-period.js';

type Executor = Db | Tx;

export interface PublishedEquityReport {
  /** The end of the published period the report answers for. */
  asOf: string;
  asOfRequested: string;
  period: { start: string; end: string };
  schemes: EquitySchemeReport[];
}

/**
 * The equity report as it is published: for the last closed period at or
 * before the asOf asked for, never for an arbitrary instant, and as it was
 * when the maintenance task published it once the period closed (an erasure
 * publishes first), so a later erasure or correction never moves it. Every
 * reader (the API, the finance console and its CSV) goes through here.
 */
export async function publishedEquityReport(
  deps: ServiceDeps, db: Executor, asOfRequested: string, dimension: EquityDimension, schemeId?: string,
): Promise<PublishedEquityReport> {
  const period = policyOf(deps).equityReportPeriod;
  const published = publishedPeriodOf(new Date(asOfRequested), period);
  const asOf = published.end.toISOString();
  const all = await reportOf(db, { period, periodEnd: published.end, dimension });
  const schemes = schemeId === undefined ? all : all.filter((s) => s.schemeId === schemeId);
  if (schemeId !== undefined && schemes.length === 0) throw notFound('scheme');
  return { asOf, asOfRequested, period: { start: published.start.toISOString(), end: asOf }, schemes };
}

/**
 * Publishes the equity report of every closed period, in every dimension,
 * that has not been published yet, from the period of the first scheme on.
 * The maintenance task runs it, and so does an erasure before it erases, so
 * no period is ever first computed without the person erased. Costs one
 * read of the stored keys when all are published.
 */
export async function publishClosedEquityReports(deps: ServiceDeps, db: Executor): Promise<{ published: number }> {
  const since = await firstSchemeCreatedAt(db);
  if (since === null) return { published: 0 };
  const period = policyOf(deps).equityReportPeriod;
  const now = deps.clock.now();
  const periods = closedPeriodsSince(since, now, period);
  if (periods.length === 0) return { published: 0 };
  const stored = await snapshotKeysSince(db, period, periods[0]!.end);
  let published = 0;
  for (const p of periods) {
    for (const dimension of equityDimensions) {
      if (stored.has(snapshotKeyOf(p.end, dimension))) continue;
      if (await insertSnapshot(db, { period, periodEnd: p.end, dimension }, await equityReport(db, p.end.toISOString(), dimension), now)) published += 1;
    }
  }
  return { published };
}

/**
 * The stored report of a closed period or, until the maintenance task (or an
 * erasure) publishes it, its figures as they stand: what publishing will
 * keep. A read writes nothing.
 */
async function reportOf(db: Executor, key: SnapshotKey): Promise<EquitySchemeReport[]> {
  const stored = await findSnapshot(db, key);
  return stored ? stored.map(schemeReportOf) : equityReport(db, key.periodEnd.toISOString(), key.dimension);
}

// jsonb keeps no key order: the stored report is laid out again as the report is, so every read answers the same bytes.
const figuresOf = (f: PublishedFigures): PublishedFigures => ({
  suppressed: f.suppressed, learnersGranted: f.learnersGranted, enrolledShareBps: f.enrolledShareBps, completedShareBps: f.completedShareBps,
  stackedPathwayShareBps: f.stackedPathwayShareBps, creditUsed: f.creditUsed, averageCoPayment: f.averageCoPayment,
});

function schemeReportOf(stored: unknown): EquitySchemeReport {
  const s = stored as EquitySchemeReport;
  return {
    schemeId: s.schemeId, code: s.code, name: s.name, currency: s.currency,
    groups: s.groups.map((g) => ({ group: g.group, ...figuresOf(g) })),
    total: figuresOf(s.total),
  };
}
