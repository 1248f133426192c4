import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateEligibility } from '../../src/modules/eligibility/evaluate-eligibility.js';
import type { EligibilityInput, EligibilityResult } from '../../src/modules/eligibility/eligibility.types.js';
import { schemeRulesSchema, type SchemeRules } from '../../src/modules/schemes/scheme-rules.js';
import { DAY } from './eligibility-fixtures.js';

const NUM_RUNS = 1_000;
const START = Date.UTC(2026, 2, 15, 1, 0, 0);
const SCHEME_IDS = ['s0', 's1', 's2'];
const RUN_LEVEL = new Set(['run_cancelled', 'provider_suspended', 'already_enrolled', 'run_full', 'run_already_started']);

type Scheme = EligibilityInput['schemes'][number];
type Grant = EligibilityInput['grants'][number];

/** `usual` most of the time, a value of `odd` about one time in ten. */
const rarely = <T,>(odd: fc.Arbitrary<T>, usual: T): fc.Arbitrary<T> => fc.oneof({ arbitrary: fc.constant(usual), weight: 9 }, { arbitrary: odd, weight: 1 });
const dayOffset = (lo: number, hi: number) => fc.integer({ min: lo * DAY, max: hi * DAY }).map((ms) => new Date(START + ms));

const rulesArb: fc.Arbitrary<SchemeRules> = fc
  .record({
    // Mostly unrestricted, so that most generated schemes fund the run and plans have legs to check.
    eligibleCitizenships: rarely(fc.subarray(['SG', 'MY', 'ID']), []),
    ageMin: rarely(fc.integer({ min: 0, max: 60 }), undefined),
    ageSpan: rarely(fc.integer({ min: 0, max: 50 }), undefined),
    employmentStatuses: rarely(fc.subarray(['employed', 'unemployed', 'student'] as const), []),
    incomeGroups: rarely(fc.subarray(['low', 'middle', 'high'] as const), []),
    subsidyRateBps: fc.oneof(fc.constantFrom(0, 5_000, 9_000, 10_000), fc.integer({ min: 0, max: 10_000 })),
    capPerCourse: fc.option(fc.bigInt({ min: 0n, max: 300_000n }).map(String), { nil: null }),
    minCoPayment: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.bigInt({ min: 0n, max: 100_000n }).map((amount) => ({ kind: 'amount' as const, amount: amount.toString() })),
      fc.integer({ min: 0, max: 10_000 }).map((rateBps) => ({ kind: 'rate' as const, rateBps })),
    ),
    claimWindowDays: fc.integer({ min: 1, max: 120 }),
    startGraceDays: fc.integer({ min: 0, max: 10 }),
    courseQualification: fc.oneof(
      fc.constant({ kind: 'approved' as const }),
      fc.subarray(['it', 'data', 'cooking'], { minLength: 1 }).map((categories) => ({ kind: 'category' as const, categories })),
      fc.constant({ kind: 'category' as const, categories: ['it', 'data', 'cooking'] }),
    ),
  })
  .map(({ ageMin, ageSpan, ...r }) =>
    schemeRulesSchema.parse({
      ...r,
      ageBand: { ...(ageMin === undefined ? {} : { min: ageMin }), ...(ageSpan === undefined ? {} : { max: (ageMin ?? 0) + ageSpan }) },
    }),
  );

const schemeArb = (id: string): fc.Arbitrary<Scheme> =>
  fc.record({
    id: fc.constant(id),
    name: fc.constant(`Scheme ${id}`),
    currency: rarely(fc.constant('EUR'), 'SGD'),
    status: rarely(fc.constant('closed' as const), 'active' as const),
    rules: rulesArb,
    rulesVersion: fc.integer({ min: 1, max: 9 }),
  });

const grantArb = (i: number): fc.Arbitrary<Grant> =>
  fc.record({
    id: fc.constant(`g${i}`),
    schemeId: rarely(fc.constant('ghost'), null).chain((g) => (g === null ? fc.constantFrom(...SCHEME_IDS) : fc.constant(g))),
    currency: rarely(fc.constant('EUR'), 'SGD'),
    available: fc.oneof(fc.bigInt({ min: 0n, max: 200_000n }), fc.constantFrom(0n, 1n, 50_000n)),
    expiresAt: fc.option(dayOffset(-30, 400), { nil: null, freq: 3 }),
    firstUseDeadline: fc.option(dayOffset(-30, 30), { nil: null, freq: 2 }),
    firstUsedAt: fc.option(dayOffset(-60, -20), { nil: null }),
    status: rarely(fc.constantFrom('expired' as const, 'revoked' as const), 'active' as const),
    // Few distinct values, so FEFO tie-breaks are exercised.
    grantedAt: fc.integer({ min: 0, max: 3 }).map((d) => new Date(Date.UTC(2025, 0, 1 + d))),
  });

const inputArb: fc.Arbitrary<EligibilityInput> = fc
  .record({
    at: fc.oneof({ arbitrary: dayOffset(-40, 0), weight: 4 }, { arbitrary: dayOffset(-1, 12), weight: 1 }),
    dob: fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2015-12-31T00:00:00Z'), noInvalidDate: true }),
    citizenship: fc.constantFrom('SG', 'MY', 'ID'),
    employmentStatus: fc.constantFrom('employed', 'unemployed', 'student'),
    incomeGroup: fc.constantFrom('low', 'middle', 'high'),
    fee: fc.oneof(fc.bigInt({ min: 0n, max: 500_000n }), fc.constantFrom(0n, 1n, 3n, 10_000n, 100_000n), fc.bigInt({ min: 0n, max: 10n ** 17n })),
    runCurrency: rarely(fc.constant('EUR'), 'SGD'),
    capacity: fc.integer({ min: 0, max: 5 }),
    seatsFree: rarely(fc.constant(0), 1),
    cancelled: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    category: fc.constantFrom('it', 'data', 'cooking'),
    approvedSchemeIds: rarely(fc.subarray(SCHEME_IDS), SCHEME_IDS),
    providerSuspended: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    schemeCount: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 6 }),
    schemes: fc.tuple(...SCHEME_IDS.map(schemeArb)),
    grants: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => grantArb(i)))),
    alreadyEnrolled: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    runDays: fc.integer({ min: 0, max: 30 }),
  })
  .map((r) => ({
    at: r.at,
    learner: { id: 'l1', dateOfBirth: r.dob.toISOString().slice(0, 10), citizenship: r.citizenship, employmentStatus: r.employmentStatus, incomeGroup: r.incomeGroup },
    run: {
      id: 'run-1',
      courseId: 'c1',
      providerId: 'p1',
      startsAt: new Date(START),
      endsAt: new Date(START + r.runDays * DAY),
      fee: r.fee,
      currency: r.runCurrency,
      capacity: r.capacity + r.seatsFree,
      seatsTaken: r.capacity,
      status: r.cancelled ? ('cancelled' as const) : ('scheduled' as const),
    },
    course: { id: 'c1', category: r.category, approvedSchemeIds: r.approvedSchemeIds },
    provider: { id: 'p1', status: r.providerSuspended ? ('suspended' as const) : ('active' as const) },
    schemes: r.schemes.slice(0, r.schemeCount),
    // Grants mostly belong to a scheme in the input; 'ghost' ones do not.
    grants: r.grants.map((g) => (g.schemeId === 'ghost' || r.schemeCount === 0 ? g : { ...g, schemeId: SCHEME_IDS[Number(g.schemeId.slice(1)) % r.schemeCount]! })),
    alreadyEnrolled: r.alreadyEnrolled,
  }));

// ---- An independent reading of the result, used by the properties.
const minB = (a: bigint, b: bigint) => (a < b ? a : b);
const maxB = (a: bigint, b: bigint) => (a > b ? a : b);
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

function oracle(inp: EligibilityInput, r: EligibilityResult) {
  const funding = inp.schemes.filter((s) => r.checks.filter((c) => c.schemeId === s.id && c.grantId === undefined).every((c) => c.passed));
  const fundingIds = new Set(funding.map((s) => s.id));
  const at = inp.at.getTime();
  const usable = inp.grants.filter(
    (g) =>
      fundingIds.has(g.schemeId) &&
      g.status === 'active' &&
      (g.expiresAt === null || g.expiresAt.getTime() > at) &&
      (g.firstUseDeadline === null || g.firstUsedAt !== null || at <= g.firstUseDeadline.getTime()) &&
      g.currency === inp.run.currency,
  );
  const fee = inp.run.fee;
  const terms = new Map(
    funding.map((s) => {
      const rate = (fee * BigInt(s.rules.subsidyRateBps)) / 10_000n;
      const m = s.rules.minCoPayment;
      const floor = minB(fee, m.kind === 'none' ? 0n : m.kind === 'amount' ? m.amount : (fee * BigInt(m.rateBps) + 9_999n) / 10_000n);
      const fundable = maxB(0n, minB(minB(rate, fee - floor), s.rules.capPerCourse ?? fee));
      return [s.id, { rate, floor, fundable, cap: s.rules.capPerCourse }] as const;
    }),
  );
  const coPayFloor = [...terms.values()].reduce((m, t) => maxB(m, t.floor), 0n);
  const fundable = minB(fee - coPayFloor, sum([...terms.values()].map((t) => t.fundable)));
  return { funding, fundingIds, usable, terms, coPayFloor, fundable };
}

const fefoKey = (g: Grant) => [g.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY, g.grantedAt.getTime(), g.id] as const;
const before = (a: Grant, b: Grant) => {
  const ka = fefoKey(a);
  const kb = fefoKey(b);
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]!;
  return false;
};

const prop = (name: string, body: (inp: EligibilityInput, r: EligibilityResult) => void) =>
  it(name, () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        body(inp, evaluateEligibility(inp));
      }),
      { numRuns: NUM_RUNS },
    );
  });

describe('evaluateEligibility — properties', () => {
  prop('funded + coPay = fee, 0 ≤ funded ≤ fundable ≤ fee − coPayFloor', (inp, r) => {
    const { plan } = r;
    expect(plan.fee).toBe(inp.run.fee);
    expect(plan.funded + plan.coPay).toBe(inp.run.fee);
    expect(plan.funded).toBe(sum(plan.legs.map((l) => l.amount)));
    expect(plan.funded >= 0n && plan.funded <= inp.run.fee).toBe(true);
    expect(plan.funded <= plan.fundable).toBe(true);
    expect(plan.fundable <= inp.run.fee - plan.coPayFloor).toBe(true);
  });

  prop('the co-pay floor and fundable match an independent reading of the rules, and coPay ≥ coPayFloor when funded', (inp, r) => {
    const o = oracle(inp, r);
    expect(r.plan.coPayFloor).toBe(o.coPayFloor);
    expect(r.plan.fundable).toBe(o.fundable);
    if (r.plan.funded > 0n) expect(r.plan.coPay >= r.plan.coPayFloor).toBe(true);
    expect(Object.keys(r.ruleVersions).sort()).toEqual([...o.fundingIds].sort());
  });

  prop('legs come only from usable grants of funding schemes, are positive, within the grant and listed once per grant', (inp, r) => {
    const o = oracle(inp, r);
    const usableById = new Map(o.usable.map((g) => [g.id, g]));
    const seen = new Set<string>();
    for (const leg of r.plan.legs) {
      const g = usableById.get(leg.grantId);
      expect(g, `leg from unusable grant ${leg.grantId}`).toBeDefined();
      expect(leg.schemeId).toBe(g!.schemeId);
      expect(o.fundingIds.has(leg.schemeId)).toBe(true);
      expect(leg.amount > 0n && leg.amount <= g!.available).toBe(true);
      expect(seen.has(leg.grantId)).toBe(false);
      seen.add(leg.grantId);
      const scheme = inp.schemes.find((s) => s.id === leg.schemeId)!;
      expect(leg.holdUntil.getTime()).toBe(inp.run.endsAt.getTime() + scheme.rules.claimWindowDays * DAY);
    }
    expect(r.plan.funded <= sum(o.usable.map((g) => maxB(g.available, 0n)))).toBe(true);
  });

  prop("each scheme's total stays within its rate share, its cap and fee − its floor", (inp, r) => {
    const o = oracle(inp, r);
    for (const [id, t] of o.terms) {
      const total = sum(r.plan.legs.filter((l) => l.schemeId === id).map((l) => l.amount));
      expect(total <= t.rate).toBe(true);
      if (t.cap !== null) expect(total <= t.cap).toBe(true);
      expect(total <= inp.run.fee - t.floor).toBe(true);
    }
  });

  prop('the plan draws all it can: funded = min(fundable, Σ per scheme min(usable credit, scheme fundable))', (inp, r) => {
    const o = oracle(inp, r);
    const reachable = sum(
      [...o.terms].map(([id, t]) => minB(t.fundable, sum(o.usable.filter((g) => g.schemeId === id).map((g) => g.available)))),
    );
    expect(r.plan.funded).toBe(minB(o.fundable, reachable));
  });

  prop('FEFO: a grant is drawn only after every earlier-expiring usable grant is drained or its scheme is exhausted', (inp, r) => {
    const o = oracle(inp, r);
    const drawn = new Map(r.plan.legs.map((l) => [l.grantId, l.amount]));
    const schemeTotal = (id: string) => sum(r.plan.legs.filter((l) => l.schemeId === id).map((l) => l.amount));
    for (const later of o.usable.filter((g) => drawn.has(g.id))) {
      for (const earlier of o.usable.filter((g) => before(g, later))) {
        const left = earlier.available - (drawn.get(earlier.id) ?? 0n);
        const schemeExhausted = schemeTotal(earlier.schemeId) === o.terms.get(earlier.schemeId)!.fundable;
        expect(left === 0n || schemeExhausted, `${earlier.id} should be drained before ${later.id}`).toBe(true);
      }
    }
    // Legs are listed in FEFO order.
    const order = r.plan.legs.map((l) => o.usable.find((g) => g.id === l.grantId)!);
    for (let i = 1; i < order.length; i++) expect(before(order[i - 1]!, order[i]!)).toBe(true);
  });

  prop('eligible ⇔ run checks pass and (funded > 0, or the fee is 0 and a scheme funds the run)', (inp, r) => {
    const o = oracle(inp, r);
    const runLevelFailed = r.checks.some((c) => !c.passed && RUN_LEVEL.has(c.reason!));
    expect(r.eligible).toBe(!runLevelFailed && (r.plan.funded > 0n || (inp.run.fee === 0n && o.funding.length > 0)));
    if (r.eligible && inp.run.fee > 0n) expect(r.plan.funded > 0n).toBe(true);
  });

  prop('reasons: empty when eligible; otherwise non-empty, unique, backed by a failed check, run-level first', (inp, r) => {
    if (r.eligible) {
      expect(r.reasons).toEqual([]);
      return;
    }
    expect(r.reasons.length).toBeGreaterThan(0);
    expect(new Set(r.reasons).size).toBe(r.reasons.length);
    for (const reason of r.reasons) expect(r.checks.some((c) => !c.passed && c.reason === reason)).toBe(true);
    const firstOther = r.reasons.findIndex((x) => !RUN_LEVEL.has(x));
    if (firstOther >= 0) expect(r.reasons.slice(firstOther).some((x) => RUN_LEVEL.has(x))).toBe(false);
    for (const c of r.checks) {
      expect(c.passed).toBe(c.reason === undefined);
      expect(c.detail.length).toBeGreaterThan(0);
    }
    if (inp.grants.length === 0) expect(r.reasons).toContain('no_grant_for_scheme');
  });

  prop('deterministic: the same input (cloned) gives the same output, and grant order does not change the plan', (inp, r) => {
    expect(evaluateEligibility(structuredClone(inp))).toEqual(r);
    const reversed = evaluateEligibility({ ...inp, grants: [...inp.grants].reverse() });
    expect(reversed.plan).toEqual(r.plan);
    expect(reversed.eligible).toBe(r.eligible);
  });
});
