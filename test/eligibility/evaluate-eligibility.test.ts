import { describe, expect, it } from 'vitest';
import { evaluateEligibility } from '../../src/modules/eligibility/evaluate-eligibility.js';
import type { Check, EligibilityResult, ReasonCode } from '../../src/modules/eligibility/eligibility.types.js';
import { AT, DAY, END, START, grant, input, scheme } from './eligibility-fixtures.js';

const failed = (r: EligibilityResult): Check[] => r.checks.filter((c) => !c.passed);
const failing = (r: EligibilityResult, reason: ReasonCode): Check => {
  const c = r.checks.find((x) => !x.passed && x.reason === reason);
  expect(c, `a failing check with reason ${reason}`).toBeDefined();
  expect(c!.detail.length).toBeGreaterThan(0);
  return c!;
};
const legs = (r: EligibilityResult) => r.plan.legs.map((l) => [l.grantId, l.amount]);

describe('evaluateEligibility — the happy path', () => {
  it('when every check passes and credit covers the fee, then it is eligible and fully funded from the grant', () => {
    const r = evaluateEligibility(input());
    expect(r.eligible).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(failed(r)).toEqual([]);
    expect(r.plan).toMatchObject({ fee: 100_000n, currency: 'SGD', funded: 50_000n, coPay: 50_000n, fundable: 100_000n, coPayFloor: 0n, capApplied: false });
    expect(r.plan.legs).toEqual([{ grantId: 'g1', schemeId: 'sfc', amount: 50_000n, holdUntil: new Date(END.getTime() + 60 * DAY) }]);
    expect(r.ruleVersions).toEqual({ sfc: 1 });
  });

  it('when a SkillsFuture-like scheme (100%, no cap) holds enough credit, then the fee is fully funded with no co-pay', () => {
    const r = evaluateEligibility(input({ run: { fee: 30_000n }, grants: [grant('g1', 'sfc', 50_000n)] }));
    expect(r.eligible).toBe(true);
    expect(r.plan).toMatchObject({ funded: 30_000n, coPay: 0n, fundable: 30_000n, coPayFloor: 0n, capApplied: false });
    expect(legs(r)).toEqual([['g1', 30_000n]]);
  });

  it('when a CPF-like scheme has a EUR 100 co-pay floor, then the learner co-pays exactly 10000 and the rest is funded', () => {
    const cpf = scheme('cpf', { minCoPayment: { kind: 'amount', amount: '10000' } }, { currency: 'EUR', rulesVersion: 3 });
    const r = evaluateEligibility(
      input({ run: { fee: 150_000n, currency: 'EUR' }, course: { approvedSchemeIds: ['cpf'] }, schemes: [cpf], grants: [grant('c1', 'cpf', 500_000n, { currency: 'EUR' })] }),
    );
    expect(r.eligible).toBe(true);
    expect(r.plan).toMatchObject({ funded: 140_000n, coPay: 10_000n, coPayFloor: 10_000n, fundable: 140_000n, currency: 'EUR' });
    expect(r.ruleVersions).toEqual({ cpf: 3 });
  });

  it('when the co-pay floor is a rate, then it rounds up so the learner never pays less than the rate', () => {
    const s = scheme('sfc', { minCoPayment: { kind: 'rate', rateBps: 1_000 } });
    const r = evaluateEligibility(input({ run: { fee: 10_001n }, schemes: [s], grants: [grant('g1', 'sfc', 50_000n)] }));
    expect(r.plan).toMatchObject({ coPayFloor: 1_001n, funded: 9_000n, coPay: 1_001n });
  });

  it('when the subsidy rate leaves a fraction, then the scheme share rounds down', () => {
    const s = scheme('sfc', { subsidyRateBps: 3_333 });
    const r = evaluateEligibility(input({ run: { fee: 1_000n }, schemes: [s] }));
    expect(r.plan).toMatchObject({ fundable: 333n, funded: 333n, coPay: 667n });
  });

  it('when the cap per course is below the rate share, then the cap binds and capApplied is true', () => {
    const s = scheme('sfc', { subsidyRateBps: 9_000, capPerCourse: '40000' });
    const r = evaluateEligibility(input({ run: { fee: 100_000n }, schemes: [s], grants: [grant('g1', 'sfc', 90_000n)] }));
    expect(r.eligible).toBe(true);
    expect(r.plan).toMatchObject({ fundable: 40_000n, funded: 40_000n, coPay: 60_000n, capApplied: true });
  });

  it('when credit runs out before the cap is reached, then capApplied is false', () => {
    const s = scheme('sfc', { capPerCourse: '40000' });
    const r = evaluateEligibility(input({ schemes: [s], grants: [grant('g1', 'sfc', 10_000n)] }));
    expect(r.plan).toMatchObject({ fundable: 40_000n, funded: 10_000n, capApplied: false });
  });

  it('when credit covers only part of what the scheme would fund, then it is still eligible and the learner co-pays the rest', () => {
    const r = evaluateEligibility(input({ run: { fee: 100_000n }, grants: [grant('g1', 'sfc', 25_000n)] }));
    expect(r.eligible).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(r.plan).toMatchObject({ fundable: 100_000n, funded: 25_000n, coPay: 75_000n });
    const credit = r.checks.find((c) => c.rule === 'credit.sufficient')!;
    expect(credit.passed).toBe(true);
    expect(credit.detail).toMatch(/learner pays the rest/);
  });

  it('when the learner holds two grants, then the earlier expiry is drawn first and the grant without expiry last', () => {
    const r = evaluateEligibility(
      input({
        run: { fee: 70_000n },
        grants: [
          grant('never', 'sfc', 50_000n, { expiresAt: null }),
          grant('late', 'sfc', 30_000n, { expiresAt: new Date('2027-12-31T00:00:00Z') }),
          grant('soon', 'sfc', 30_000n, { expiresAt: new Date('2026-12-31T00:00:00Z') }),
        ],
      }),
    );
    expect(r.eligible).toBe(true);
    expect(legs(r)).toEqual([
      ['soon', 30_000n],
      ['late', 30_000n],
      ['never', 10_000n],
    ]);
    expect(r.plan.coPay).toBe(0n);
  });

  it('when two grants expire together, then the earlier granted one (then the smaller id) is drawn first', () => {
    const exp = new Date('2026-12-31T00:00:00Z');
    const r = evaluateEligibility(
      input({
        run: { fee: 10_000n },
        grants: [
          grant('b', 'sfc', 10_000n, { expiresAt: exp, grantedAt: new Date('2025-02-01T00:00:00Z') }),
          grant('z', 'sfc', 10_000n, { expiresAt: exp, grantedAt: new Date('2025-01-01T00:00:00Z') }),
          grant('a', 'sfc', 10_000n, { expiresAt: exp, grantedAt: new Date('2025-02-01T00:00:00Z') }),
        ],
      }),
    );
    expect(legs(r)).toEqual([['z', 10_000n]]);
    const r2 = evaluateEligibility(input({ run: { fee: 15_000n }, grants: [grant('b', 'sfc', 10_000n, { expiresAt: exp }), grant('a', 'sfc', 10_000n, { expiresAt: exp })] }));
    expect(legs(r2)).toEqual([
      ['a', 10_000n],
      ['b', 5_000n],
    ]);
  });

  it('when SkillsFuture Credit and Mid-Career (curated category) both fund a course, then they combine FEFO with their own claim windows', () => {
    const sfc = scheme('sfc', { eligibleCitizenships: ['SG'], claimWindowDays: 30 }, { rulesVersion: 2 });
    const mid = scheme('mid', { eligibleCitizenships: ['SG'], ageBand: { min: 40 }, courseQualification: { kind: 'category', categories: ['it', 'data'] } }, { rulesVersion: 5 });
    const r = evaluateEligibility(
      input({
        learner: { dateOfBirth: '1980-01-01' },
        run: { fee: 450_000n },
        course: { approvedSchemeIds: ['sfc'], category: 'it' },
        schemes: [sfc, mid],
        grants: [grant('sfc-base', 'sfc', 50_000n), grant('mid-1', 'mid', 400_000n, { expiresAt: new Date('2030-01-01T00:00:00Z') })],
      }),
    );
    expect(r.eligible).toBe(true);
    expect(r.plan.legs).toEqual([
      { grantId: 'mid-1', schemeId: 'mid', amount: 400_000n, holdUntil: new Date(END.getTime() + 60 * DAY) },
      { grantId: 'sfc-base', schemeId: 'sfc', amount: 50_000n, holdUntil: new Date(END.getTime() + 30 * DAY) },
    ]);
    expect(r.plan).toMatchObject({ funded: 450_000n, coPay: 0n, fundable: 450_000n });
    expect(r.ruleVersions).toEqual({ sfc: 2, mid: 5 });
  });

  it('when one of two schemes does not fund the run, then only the funding one is drawn and the other failure is in the checks, not the reasons', () => {
    const sfc = scheme('sfc');
    const mid = scheme('mid', { ageBand: { min: 40 } });
    const r = evaluateEligibility(input({ schemes: [sfc, mid], grants: [grant('g1', 'sfc', 50_000n), grant('m1', 'mid', 400_000n)] }));
    expect(r.eligible).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(failing(r, 'age_out_of_band').schemeId).toBe('mid');
    expect(legs(r)).toEqual([['g1', 50_000n]]);
    expect(r.ruleVersions).toEqual({ sfc: 1 });
  });

  it('when a second scheme has a higher co-pay floor, then the highest floor applies to the combined funding', () => {
    const a = scheme('sfc');
    const b = scheme('mid', { minCoPayment: { kind: 'amount', amount: '20000' } });
    const r = evaluateEligibility(input({ schemes: [a, b], grants: [grant('g1', 'sfc', 100_000n), grant('m1', 'mid', 100_000n)] }));
    expect(r.plan).toMatchObject({ coPayFloor: 20_000n, fundable: 80_000n, funded: 80_000n, coPay: 20_000n });
  });

  it('when the fee is zero and a scheme funds the run, then it is eligible with nothing to reserve', () => {
    const r = evaluateEligibility(input({ run: { fee: 0n } }));
    expect(r.eligible).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 0n, fundable: 0n, legs: [] });
  });

  it('when the fee is zero but no scheme funds the run, then it is not eligible', () => {
    const r = evaluateEligibility(input({ run: { fee: 0n }, schemes: [scheme('sfc', { eligibleCitizenships: ['MY'] })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['citizenship_not_eligible']);
  });
});

describe('evaluateEligibility — age band edges (age on the run start date, UTC)', () => {
  const band = (min?: number, max?: number) => [scheme('sfc', { ageBand: { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) } })];

  it('when the learner turns the minimum age on the start date, then they are in the band', () => {
    const r = evaluateEligibility(input({ learner: { dateOfBirth: '2008-03-15' }, schemes: band(18, 64) }));
    expect(r.eligible).toBe(true);
    expect(r.checks.find((c) => c.rule === 'learner.age')!.detail).toMatch(/is 18/);
  });

  it('when the learner turns the minimum age the day after the start date, then they are out of the band', () => {
    const r = evaluateEligibility(input({ learner: { dateOfBirth: '2008-03-16' }, schemes: band(18, 64) }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['age_out_of_band']);
    expect(failing(r, 'age_out_of_band').detail).toMatch(/is 17/);
  });

  it('when the learner is still the maximum age the day before their next birthday, then they are in the band', () => {
    const r = evaluateEligibility(input({ learner: { dateOfBirth: '1961-03-16' }, schemes: band(18, 64) }));
    expect(r.eligible).toBe(true);
  });

  it('when the learner passes the maximum age on the start date, then they are out of the band', () => {
    const r = evaluateEligibility(input({ learner: { dateOfBirth: '1961-03-15' }, schemes: band(18, 64) }));
    expect(r.eligible).toBe(false);
    expect(failing(r, 'age_out_of_band').detail).toMatch(/is 65/);
  });
});

describe('evaluateEligibility — one example per reason code', () => {
  it('run_cancelled: a cancelled run is refused, while the plan still shows what would be funded', () => {
    const r = evaluateEligibility(input({ run: { status: 'cancelled' } }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['run_cancelled']);
    expect(failing(r, 'run_cancelled').rule).toBe('run.not_cancelled');
    expect(r.plan).toMatchObject({ funded: 50_000n, coPay: 50_000n });
  });

  it('provider_suspended: a suspended provider cannot take enrolments', () => {
    const r = evaluateEligibility(input({ provider: { status: 'suspended' } }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['provider_suspended']);
    expect(failing(r, 'provider_suspended').rule).toBe('provider.active');
    expect(r.plan.funded).toBe(50_000n);
  });

  it('already_enrolled: a learner with a live enrolment on the run is refused', () => {
    const r = evaluateEligibility(input({ alreadyEnrolled: true }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['already_enrolled']);
    expect(failing(r, 'already_enrolled').rule).toBe('learner.not_already_enrolled');
  });

  it('run_full: no seat left', () => {
    const r = evaluateEligibility(input({ run: { capacity: 10, seatsTaken: 10 } }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['run_full']);
    expect(failing(r, 'run_full').detail).toMatch(/All 10 seats/);
    expect(evaluateEligibility(input({ run: { capacity: 10, seatsTaken: 9 } })).eligible).toBe(true);
  });

  it('run_already_started: at the start instant with no grace it is refused', () => {
    const r = evaluateEligibility(input({ at: START }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['run_already_started']);
    expect(failing(r, 'run_already_started').rule).toBe('run.not_started');
    expect(evaluateEligibility(input({ at: new Date(START.getTime() - 1) })).eligible).toBe(true);
  });

  it('run_already_started: the largest grace among funding schemes applies, not that of a scheme that does not fund', () => {
    const two = scheme('sfc', { startGraceDays: 2 });
    const ten = scheme('mid', { startGraceDays: 10, eligibleCitizenships: ['MY'] });
    const grants = [grant('g1', 'sfc', 50_000n), grant('m1', 'mid', 50_000n)];
    const justInside = evaluateEligibility(input({ at: new Date(START.getTime() + 2 * DAY - 1), schemes: [two, ten], grants }));
    expect(justInside.eligible).toBe(true);
    const atEdge = evaluateEligibility(input({ at: new Date(START.getTime() + 2 * DAY), schemes: [two, ten], grants }));
    expect(atEdge.eligible).toBe(false);
    expect(atEdge.reasons[0]).toBe('run_already_started');
    expect(atEdge.reasons).toEqual(['run_already_started', 'citizenship_not_eligible']);
  });

  it('no_grant_for_scheme: a learner with no grants at all', () => {
    const r = evaluateEligibility(input({ schemes: [], grants: [] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['no_grant_for_scheme']);
    expect(failing(r, 'no_grant_for_scheme').rule).toBe('learner.holds_grant');
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 100_000n, fundable: 0n, legs: [] });
    expect(r.ruleVersions).toEqual({});
  });

  it('scheme_closed: the only scheme is closed', () => {
    const r = evaluateEligibility(input({ schemes: [scheme('sfc', {}, { status: 'closed' })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['scheme_closed']);
    expect(failing(r, 'scheme_closed').schemeId).toBe('sfc');
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 100_000n, legs: [] });
  });

  it('currency_mismatch: the scheme pays in another currency than the run', () => {
    const r = evaluateEligibility(input({ schemes: [scheme('sfc', {}, { currency: 'IDR' })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['currency_mismatch']);
    expect(failing(r, 'currency_mismatch').rule).toBe('scheme.currency');
    expect(r.plan.legs).toEqual([]);
  });

  it('currency_mismatch: a grant in another currency is not drawn', () => {
    const r = evaluateEligibility(input({ grants: [grant('g1', 'sfc', 50_000n, { currency: 'IDR' })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['currency_mismatch', 'insufficient_credit']);
    expect(failing(r, 'currency_mismatch').grantId).toBe('g1');
  });

  it('citizenship_not_eligible: a non-citizen under a citizens-only scheme', () => {
    const r = evaluateEligibility(input({ learner: { citizenship: 'MY' } }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['citizenship_not_eligible']);
    expect(failing(r, 'citizenship_not_eligible').schemeId).toBe('sfc');
    expect(r.plan.funded).toBe(0n);
  });

  it('age_out_of_band: too young for an 18–64 scheme', () => {
    const r = evaluateEligibility(input({ learner: { dateOfBirth: '2010-01-01' }, schemes: [scheme('sfc', { ageBand: { min: 18, max: 64 } })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['age_out_of_band']);
    expect(failing(r, 'age_out_of_band').rule).toBe('learner.age');
    expect(r.plan.funded).toBe(0n);
  });

  it('employment_status_not_eligible: a student under an unemployed-only scheme', () => {
    const r = evaluateEligibility(input({ learner: { employmentStatus: 'student' }, schemes: [scheme('sfc', { employmentStatuses: ['unemployed'] })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['employment_status_not_eligible']);
    expect(failing(r, 'employment_status_not_eligible').schemeId).toBe('sfc');
    expect(r.plan.funded).toBe(0n);
  });

  it('income_group_not_eligible: a high earner under a low-income scheme', () => {
    const r = evaluateEligibility(input({ learner: { incomeGroup: 'high' }, schemes: [scheme('sfc', { incomeGroups: ['low'] })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['income_group_not_eligible']);
    expect(failing(r, 'income_group_not_eligible').rule).toBe('learner.income_group');
    expect(r.plan.funded).toBe(0n);
  });

  it('course_not_approved_for_scheme: the course is not on the scheme approved list', () => {
    const r = evaluateEligibility(input({ course: { approvedSchemeIds: ['other'] } }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['course_not_approved_for_scheme']);
    expect(failing(r, 'course_not_approved_for_scheme').rule).toBe('course.qualifies');
    expect(r.plan.funded).toBe(0n);
  });

  it('course_category_not_eligible: the course category is not one the scheme funds', () => {
    const r = evaluateEligibility(input({ course: { category: 'cooking' }, schemes: [scheme('sfc', { courseQualification: { kind: 'category', categories: ['it'] } })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['course_category_not_eligible']);
    expect(failing(r, 'course_category_not_eligible').schemeId).toBe('sfc');
    expect(r.plan.funded).toBe(0n);
  });

  it('grant_expired: the only grant expired (expiry at the decision instant counts as expired)', () => {
    const r = evaluateEligibility(input({ grants: [grant('g1', 'sfc', 50_000n, { expiresAt: AT })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['grant_expired', 'insufficient_credit']);
    expect(failing(r, 'grant_expired').grantId).toBe('g1');
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 100_000n, fundable: 100_000n, legs: [] });
  });

  it('grant_expired: a revoked grant is not drawn, the next one is', () => {
    const r = evaluateEligibility(
      input({ grants: [grant('g1', 'sfc', 50_000n, { status: 'revoked', expiresAt: new Date('2026-04-01T00:00:00Z') }), grant('g2', 'sfc', 20_000n)] }),
    );
    expect(r.eligible).toBe(true);
    expect(failing(r, 'grant_expired').detail).toMatch(/revoked/);
    expect(legs(r)).toEqual([['g2', 20_000n]]);
  });

  it('first_use_deadline_passed: a Prakerja-style balance unused past its deadline lapses', () => {
    const r = evaluateEligibility(input({ grants: [grant('g1', 'sfc', 50_000n, { firstUseDeadline: new Date(AT.getTime() - 1) })] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['first_use_deadline_passed', 'insufficient_credit']);
    expect(failing(r, 'first_use_deadline_passed').grantId).toBe('g1');
    expect(r.plan.legs).toEqual([]);
    // On the deadline itself, or once used, it is fine.
    expect(evaluateEligibility(input({ grants: [grant('g1', 'sfc', 50_000n, { firstUseDeadline: AT })] })).eligible).toBe(true);
    expect(
      evaluateEligibility(input({ grants: [grant('g1', 'sfc', 50_000n, { firstUseDeadline: new Date(AT.getTime() - DAY), firstUsedAt: new Date(AT.getTime() - 2 * DAY) })] }))
        .eligible,
    ).toBe(true);
  });

  it('insufficient_credit: a funding scheme whose grants are empty', () => {
    const r = evaluateEligibility(input({ grants: [grant('g1', 'sfc', 0n)] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['insufficient_credit']);
    expect(failing(r, 'insufficient_credit').rule).toBe('credit.sufficient');
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 100_000n, fundable: 100_000n, legs: [] });
  });

  it('insufficient_credit: a scheme whose floor swallows the whole fee funds nothing', () => {
    const s = scheme('sfc', { minCoPayment: { kind: 'amount', amount: '10000' } });
    const r = evaluateEligibility(input({ run: { fee: 8_000n }, schemes: [s] }));
    expect(r.eligible).toBe(false);
    expect(r.reasons).toEqual(['insufficient_credit']);
    expect(r.plan).toMatchObject({ funded: 0n, coPay: 8_000n, coPayFloor: 8_000n, fundable: 0n });
  });

  it('insufficient_credit comes first when usable grants are empty, before other failing grants and non-funding schemes', () => {
    const r = evaluateEligibility(
      input({
        schemes: [scheme('sfc'), scheme('mid', { ageBand: { min: 40 } })],
        grants: [grant('g0', 'sfc', 0n), grant('g1', 'sfc', 50_000n, { status: 'expired' }), grant('m1', 'mid', 50_000n)],
      }),
    );
    expect(r.reasons).toEqual(['insufficient_credit', 'grant_expired', 'age_out_of_band']);
  });

  it('run-level reasons come first and every failed reason is listed once', () => {
    const r = evaluateEligibility(
      input({
        run: { status: 'cancelled', capacity: 1, seatsTaken: 1 },
        learner: { citizenship: 'MY' },
        schemes: [scheme('sfc', { eligibleCitizenships: ['SG'] }), scheme('mid', { eligibleCitizenships: ['SG'] })],
        grants: [grant('g1', 'sfc', 1n), grant('m1', 'mid', 1n)],
      }),
    );
    expect(r.reasons).toEqual(['run_cancelled', 'run_full', 'citizenship_not_eligible']);
  });
});
