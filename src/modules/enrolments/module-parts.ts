/**
 * How a modular course's reservation is cut into one pending transfer per
 * module and grant (README "Milestone claims"). Pure, so the split is proven
 * by property tests: the parts add up to the plan exactly, per grant and per
 * module.
 */

/** The whole of a course price in basis points. */
const WHOLE_BPS = 10_000n;

/**
 * What each module funds out of `funded`: its share rounded down, the last
 * module taking what rounding left, so the amounts add up to `funded` exactly.
 */
export function moduleAmounts(funded: bigint, sharesBps: readonly number[]): bigint[] {
  const amounts = sharesBps.map((bps) => (funded * BigInt(bps)) / WHOLE_BPS);
  const rest = funded - amounts.reduce((s, a) => s + a, 0n);
  if (amounts.length > 0) amounts[amounts.length - 1]! += rest;
  return amounts;
}

export interface ModulePart<Leg> {
  /** 1 for the first module. */
  moduleOrdinal: number;
  leg: Leg;
  amount: bigint;
}

/**
 * Cuts the plan's grant legs (in spending order) into module parts: module 1
 * draws first from the first grant, and so on, so that every module's parts
 * add up to its amount and every grant's parts to its leg. A module or leg
 * of nothing has no part.
 */
export function moduleParts<Leg extends { amount: bigint }>(legs: readonly Leg[], sharesBps: readonly number[]): ModulePart<Leg>[] {
  const funded = legs.reduce((s, l) => s + l.amount, 0n);
  const perModule = moduleAmounts(funded, sharesBps);
  const parts: ModulePart<Leg>[] = [];
  let legIndex = 0;
  let legLeft = legs[0]?.amount ?? 0n;
  perModule.forEach((amount, i) => {
    let need = amount;
    while (need > 0n) {
      while (legLeft === 0n) legLeft = legs[++legIndex]!.amount;
      const take = need < legLeft ? need : legLeft;
      parts.push({ moduleOrdinal: i + 1, leg: legs[legIndex]!, amount: take });
      need -= take;
      legLeft -= take;
    }
  });
  return parts;
}
