import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moduleAmounts, moduleParts } from '../../src/modules/enrolments/module-parts.js';

/** 2 to 8 module shares in basis points adding up to exactly 10000. */
const shares = fc
  .array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 7 })
  .map((cuts) => [...new Set(cuts.map((c) => Math.min(c, 9_999)))].sort((a, b) => a - b))
  .map((cuts) => [...cuts, 10_000].map((c, i, all) => c - (i === 0 ? 0 : all[i - 1]!)).filter((s) => s > 0))
  .filter((s) => s.length >= 2);

const legs = fc.array(fc.bigInt({ min: 0n, max: 10_000_000_000n }), { minLength: 1, maxLength: 4 }).map((amounts) => amounts.map((amount, i) => ({ grant: `g${i}`, amount })));

describe('module parts', () => {
  it('cut every grant leg and every module exactly: parts add up per grant, per module and in all, and no part is zero', () => {
    fc.assert(
      fc.property(legs, shares, (ls, bps) => {
        const funded = ls.reduce((s, l) => s + l.amount, 0n);
        const perModule = moduleAmounts(funded, bps);
        expect(perModule.reduce((s, a) => s + a, 0n)).toBe(funded);
        const parts = moduleParts(ls, bps);
        for (const p of parts) expect(p.amount > 0n).toBe(true);
        for (const l of ls) expect(parts.filter((p) => p.leg === l).reduce((s, p) => s + p.amount, 0n)).toBe(l.amount);
        perModule.forEach((a, i) => expect(parts.filter((p) => p.moduleOrdinal === i + 1).reduce((s, p) => s + p.amount, 0n)).toBe(a));
        // Modules draw the grants in spending order: a later module never takes from an earlier grant than an earlier module's last.
        const legIndex = parts.map((p) => ls.indexOf(p.leg));
        expect(legIndex).toEqual([...legIndex].sort((a, b) => a - b));
      }),
      { numRuns: 500 },
    );
  });

  it('conserve grant + reserved + spent under any claims, and never pay a module more than its share', () => {
    fc.assert(
      fc.property(legs, shares, fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { minLength: 8, maxLength: 8 }), (ls, bps, fractions) => {
        const granted = ls.reduce((s, l) => s + l.amount, 0n);
        const parts = moduleParts(ls, bps);
        let returned = 0n;
        let spent = 0n;
        moduleAmounts(granted, bps).forEach((share, i) => {
          const claimed = BigInt(Math.floor(Number(share) * fractions[i]!));
          // A claim above the module's share is refused (422) and pays nothing; the module is then voided whole.
          const paid = claimed <= share ? claimed : 0n;
          const own = parts.filter((p) => p.moduleOrdinal === i + 1).reduce((s, p) => s + p.amount, 0n);
          expect(own).toBe(share);
          expect(paid <= own).toBe(true);
          spent += paid;
          returned += own - paid;
        });
        expect(spent + returned).toBe(granted);
        expect(spent <= granted).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
