import { describe, expect, it } from 'vitest';
import { moduleAheadOfRun } from '../../src/modules/claims/claims.service.js';

const run = { runStartsAt: new Date('2027-01-01T00:00:00Z'), runEndsAt: new Date('2027-01-11T00:00:00Z') };
const at = (day: number) => new Date(run.runStartsAt.getTime() + day * 86_400_000);

describe('a module claimed ahead of its run', () => {
  it('when a 99.99% first module is claimed on the first day, then it is ahead of the run (held for review)', () => {
    expect(moduleAheadOfRun([{ shareBps: 9_999 }, { shareBps: 1 }], 1, at(0.5), run)).toBe(true);
  });
  it('when modules are claimed no faster than the run passes, then none is ahead', () => {
    const thirds = [{ shareBps: 3_333 }, { shareBps: 3_333 }, { shareBps: 3_334 }];
    expect(moduleAheadOfRun(thirds, 1, at(4), run)).toBe(false);
    expect(moduleAheadOfRun(thirds, 2, at(7), run)).toBe(false);
    expect(moduleAheadOfRun(thirds, 2, at(6), run)).toBe(true);
  });
  it('when a credential is dated before the run starts, then any share is ahead', () => {
    expect(moduleAheadOfRun([{ shareBps: 100 }, { shareBps: 9_900 }], 1, at(-1), run)).toBe(true);
  });
});
