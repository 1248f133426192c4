import { reportPeriods } from '../../db/schema/equity.js';

/**
 * The equity report answers only for published periods: any asOf is snapped
 * down to the end of the last period (calendar month or quarter, UTC) that
 * had closed by then. Two requests a day apart inside one period get the same
 * answer, so nobody can difference them to isolate the learners who arrived
 * in between; a request for today answers the last closed period.
 */
export { reportPeriods };
export type ReportPeriod = (typeof reportPeriods)[number];

export interface PublishedPeriod {
  /** The first instant of the period. */
  start: Date;
  /** Its last instant (a millisecond before the next period starts): the report's asOf. */
  end: Date;
}

const monthsOf = (period: ReportPeriod) => (period === 'quarter' ? 3 : 1);

/** The start of the period that contains `at`. */
function periodStartOf(at: Date, period: ReportPeriod): Date {
  const months = monthsOf(period);
  const month = at.getUTCMonth() - (at.getUTCMonth() % months);
  return new Date(Date.UTC(at.getUTCFullYear(), month, 1));
}

/** The last period whose end is at or before `asOf`: snapping a period's own end gives that period back. */
export function publishedPeriodOf(asOf: Date, period: ReportPeriod): PublishedPeriod {
  const next = periodStartOf(new Date(asOf.getTime() + 1), period);
  const start = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() - monthsOf(period), 1));
  return { start, end: new Date(next.getTime() - 1) };
}

/** Every period closed by `now` that ends at or after `since`, oldest first. */
export function closedPeriodsSince(since: Date, now: Date, period: ReportPeriod): PublishedPeriod[] {
  const periods: PublishedPeriod[] = [];
  for (let p = publishedPeriodOf(now, period); p.end.getTime() >= since.getTime(); p = publishedPeriodOf(new Date(p.start.getTime() - 1), period)) periods.unshift(p);
  return periods;
}
