/**
 * The pathway rule, pure: which course completions satisfy "k distinct
 * courses of the set, the first and the completing one within m months".
 * "All of n" is k = n. No time limit is an unbounded window.
 */

export interface CourseCompletion {
  courseId: string;
  claimId: string;
  at: Date;
}

export interface PathwayRule {
  courseIds: readonly string[];
  /** Distinct courses needed. */
  required: number;
  withinMonths: number | null;
}

/** The instant `months` calendar months after `from` (UTC), clamped to the month's last day: 31 Jan + 1 month = 28/29 Feb. */
export function addMonths(from: Date, months: number): Date {
  const d = new Date(from.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}

/** The end of the window that starts at `start`; null without a time limit. */
const windowEnd = (rule: PathwayRule, start: Date): Date | null => (rule.withinMonths === null ? null : addMonths(start, rule.withinMonths));

const byTime = (a: CourseCompletion, b: CourseCompletion) => a.at.getTime() - b.at.getTime() || a.courseId.localeCompare(b.courseId);

/** The first completion of each distinct course at or after `start` and not after `end`, in time order. */
function distinctFrom(sorted: CourseCompletion[], start: Date, end: Date | null): CourseCompletion[] {
  const seen = new Set<string>();
  const out: CourseCompletion[] = [];
  for (const c of sorted) {
    if (c.at < start || (end && c.at > end) || seen.has(c.courseId)) continue;
    seen.add(c.courseId);
    out.push(c);
  }
  return out;
}

export interface Satisfaction {
  /** The k completions that satisfy the rule, the earliest set to do so; the last one completed the pathway. */
  counted: CourseCompletion[];
  completedAt: Date;
}

/**
 * Whether some `required` distinct courses of the pathway have completions
 * that fit in one window; the set whose last completion is earliest.
 */
export function satisfaction(rule: PathwayRule, completions: readonly CourseCompletion[]): Satisfaction | null {
  const inSet = new Set(rule.courseIds);
  const sorted = completions.filter((c) => inSet.has(c.courseId)).sort(byTime);
  let best: Satisfaction | null = null;
  // Some satisfying set exists iff one starting at some completion does: its earliest member starts the window.
  for (const start of sorted) {
    const fit = distinctFrom(sorted, start.at, windowEnd(rule, start.at)).slice(0, rule.required);
    if (fit.length < rule.required) continue;
    const completedAt = fit[fit.length - 1]!.at;
    if (!best || completedAt < best.completedAt) best = { counted: fit, completedAt };
  }
  return best;
}

export interface Progress {
  /** The first completion of each course of the pathway the learner completed. */
  completed: CourseCompletion[];
  /** Distinct courses still needed in the window that is furthest along and still open. */
  stillNeeded: number;
  /** When that window closes; null without a time limit or when no window is open. */
  deadline: Date | null;
}

/** Where a learner stands on a pathway not yet completed, at `now`. */
export function progress(rule: PathwayRule, completions: readonly CourseCompletion[], now: Date): Progress {
  const inSet = new Set(rule.courseIds);
  const sorted = completions.filter((c) => inSet.has(c.courseId)).sort(byTime);
  const completed = distinctFrom(sorted, new Date(-8.64e15), null);
  if (rule.withinMonths === null) return { completed, stillNeeded: Math.max(0, rule.required - completed.length), deadline: null };
  let best: { count: number; deadline: Date } | null = null;
  for (const start of sorted) {
    const end = windowEnd(rule, start.at)!;
    if (end < now) continue;
    const count = distinctFrom(sorted, start.at, end).length;
    if (!best || count > best.count) best = { count, deadline: end };
  }
  return { completed, stillNeeded: rule.required - Math.min(rule.required, best?.count ?? 0), deadline: best?.deadline ?? null };
}
