import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, progress, satisfaction, type CourseCompletion, type PathwayRule } from '../../src/modules/pathways/pathway-rule.js';

const courses = ['c1', 'c2', 'c3', 'c4', 'c5'];
const base = Date.UTC(2027, 0, 1);
const DAY = 86_400_000;

const completionArb = fc.record({
  courseId: fc.constantFrom(...courses, 'other'),
  claimId: fc.uuid(),
  at: fc.integer({ min: 0, max: 900 }).map((d) => new Date(base + d * DAY)),
});

const ruleArb = fc
  .record({ n: fc.integer({ min: 2, max: 5 }), withinMonths: fc.option(fc.integer({ min: 1, max: 24 }), { nil: null }) })
  .chain(({ n, withinMonths }) => fc.integer({ min: 1, max: n }).map((k): PathwayRule => ({ courseIds: courses.slice(0, n), required: k, withinMonths })));

/** Every k-subset of the list. */
function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

/** The rule read literally: some k completions of k distinct courses of the set, the latest within the window of the earliest. */
function bruteForce(rule: PathwayRule, completions: CourseCompletion[]): boolean {
  const relevant = completions.filter((c) => rule.courseIds.includes(c.courseId));
  return subsets(relevant, rule.required).some((set) => {
    if (new Set(set.map((c) => c.courseId)).size !== set.length) return false;
    const first = Math.min(...set.map((c) => c.at.getTime()));
    const last = Math.max(...set.map((c) => c.at.getTime()));
    return rule.withinMonths === null || last <= addMonths(new Date(first), rule.withinMonths).getTime();
  });
}

describe('pathway rule', () => {
  it('when completions vary, then k of n within a window is satisfied iff some k distinct courses\' completions fit in the window', () => {
    fc.assert(
      fc.property(ruleArb, fc.array(completionArb, { maxLength: 9 }), (rule, completions) => {
        const s = satisfaction(rule, completions);
        expect(s !== null).toBe(bruteForce(rule, completions));
        if (s) {
          expect(s.counted).toHaveLength(rule.required);
          expect(new Set(s.counted.map((c) => c.courseId)).size).toBe(rule.required);
          expect(s.counted.every((c) => rule.courseIds.includes(c.courseId))).toBe(true);
          expect(s.completedAt.getTime()).toBe(Math.max(...s.counted.map((c) => c.at.getTime())));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('when the rule is not satisfied, then progress says how many more are needed, and never fewer than one', () => {
    fc.assert(
      fc.property(ruleArb, fc.array(completionArb, { maxLength: 9 }), (rule, completions) => {
        fc.pre(satisfaction(rule, completions) === null);
        const p = progress(rule, completions, new Date(base));
        expect(p.stillNeeded).toBeGreaterThanOrEqual(1);
        expect(p.stillNeeded).toBeLessThanOrEqual(rule.required);
      }),
    );
  });

  it('when 2 of 3 are needed within 12 months and the second comes 13 months after the first, then it is not satisfied', () => {
    const rule: PathwayRule = { courseIds: ['a', 'b', 'c'], required: 2, withinMonths: 12 };
    const at = (iso: string) => new Date(iso);
    expect(satisfaction(rule, [{ courseId: 'a', claimId: '1', at: at('2027-01-10T00:00:00Z') }, { courseId: 'b', claimId: '2', at: at('2028-02-10T00:00:00Z') }])).toBeNull();
    const done = satisfaction(rule, [
      { courseId: 'a', claimId: '1', at: at('2027-01-10T00:00:00Z') },
      { courseId: 'a', claimId: '3', at: at('2027-06-10T00:00:00Z') },
      { courseId: 'b', claimId: '2', at: at('2028-02-01T00:00:00Z') },
    ]);
    expect(done?.counted.map((c) => c.claimId)).toEqual(['3', '2']);
  });

  it('when a month is shorter, then the window ends on its last day', () => {
    expect(addMonths(new Date('2027-01-31T12:00:00Z'), 1).toISOString()).toBe('2027-02-28T12:00:00.000Z');
    expect(addMonths(new Date('2027-03-15T00:00:00Z'), 12).toISOString()).toBe('2028-03-15T00:00:00.000Z');
  });
});
