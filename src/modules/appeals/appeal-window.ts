import { DAY_MS } from '../../lib/dates.js';

/**
 * The appeal window of a grant that expired or lapsed at `closedAt`: open
 * from that moment for `windowDays` days, both ends included. A window of 0
 * days means the scheme takes no appeals. Null when there is no window.
 */
export function appealWindow(closedAt: Date, windowDays: number): { opens: Date; closes: Date } | null {
  if (!Number.isInteger(windowDays) || windowDays <= 0) return null;
  return { opens: closedAt, closes: new Date(closedAt.getTime() + windowDays * DAY_MS) };
}

/** Why an appeal cannot be filed at `now`, or null when it can. */
export function appealWindowRefusal(closedAt: Date, windowDays: number, now: Date): 'appeals_not_offered' | 'appeal_window_closed' | null {
  const window = appealWindow(closedAt, windowDays);
  if (!window) return 'appeals_not_offered';
  return now >= window.opens && now <= window.closes ? null : 'appeal_window_closed';
}
