import type { SchemeRules } from '../schemes/scheme-rules.js';
import { noEquityFacts, targetingMatches, type EquityFacts, type TargetingRule } from '../schemes/targeting.js';
import type { AppliedTargeting, Check, EligibilityInput, EligibilityResult, FundingLeg, ReasonCode } from './eligibility.types.js';
import { DAY_MS } from '../../lib/dates.js';

/**
 * The eligibility decision: can this learner enrol on this run, and how would
 * their grants fund it? A pure function of its input — no I/O, no clock
 * (time is `input.at`), bigint for every amount.
 *
 * Decisions where the brief left room (kept here so callers can rely on them):
 * - Ages are whole years on the run's start date, read in UTC. A learner whose
 *   birthday falls on the start date already has the new age. A 29 February
 *   birthday counts from 1 March in common years.
 * - The start grace is the largest `startGraceDays` among the schemes that
 *   pass every scheme check ("funding schemes"); 0 when none does.
 * - The co-payment floor is the largest floor among the funding schemes
 *   (whether or not the learner has credit left in them), capped at the fee.
 * - `fundable` (credit assumed unlimited) = min(fee − coPayFloor, Σ fundable_s)
 *   where fundable_s = min(⌊fee·rate_s⌋, cap_s, fee − floor_s): funding schemes
 *   stack, but together never past the highest floor.
 * - Grants are drawn first-expiry-first-out across all funding schemes
 *   (expiresAt ascending, no expiry last, then grantedAt, then id).
 * - A grant whose currency differs from the run's is unusable (currency_mismatch).
 * - Grants whose scheme is not in `input.schemes` are ignored. If no grant
 *   belongs to a listed scheme the learner fails `no_grant_for_scheme`.
 * - `capApplied` is true when some scheme's cap is below its rate share and
 *   co-pay room, and that scheme's legs add up to the cap.
 * - Fee 0: nothing to reserve; eligible when the run checks pass and at least
 *   one scheme funds the run, even with no usable grant.
 * - Equity targeting (src/modules/schemes/targeting.ts): for each funding
 *   scheme, of the targeting rules the learner's equity profile matches, the
 *   one giving the largest fundable_s is applied (ties: first listed); its
 *   rate and cap count only where higher than the scheme's, and noCoPayment
 *   drops that scheme's floor. Targeted terms are never worse than the
 *   scheme's own, so a targeted learner never gets less.
 * - `reasons` is empty when eligible. Otherwise: run-level reasons, then
 *   no_grant_for_scheme, then — if a scheme funds the run — the grant reasons
 *   and insufficient_credit (grant reasons first when no grant was usable,
 *   insufficient_credit first when usable grants were simply empty), then the
 *   reasons of the schemes that do not fund it. Deduplicated, first wins.
 */
export function evaluateEligibility(input: EligibilityInput): EligibilityResult {
  const { at, learner, run, course, provider } = input;
  const fee = run.fee;

  // ---- Per-scheme checks (evaluated first: the start grace depends on them).
  const schemeChecks: Check[] = [];
  const fundingSchemes: EligibilityInput['schemes'] = [];
  const age = ageOn(learner.dateOfBirth, run.startsAt);
  for (const scheme of input.schemes) {
    const checks = checkScheme(scheme, input, age);
    schemeChecks.push(...checks);
    if (checks.every((c) => c.passed)) fundingSchemes.push(scheme);
  }
  const fundingIds = new Set(fundingSchemes.map((s) => s.id));

  // ---- Run-level checks.
  const graceDays = fundingSchemes.reduce((m, s) => Math.max(m, s.rules.startGraceDays), 0);
  const startLimit = new Date(run.startsAt.getTime() + graceDays * DAY_MS);
  const runChecks: Check[] = [
    check('run.not_cancelled', run.status !== 'cancelled', 'run_cancelled', run.status === 'cancelled' ? 'The course run has been cancelled.' : 'The course run is scheduled.'),
    check(
      'provider.active',
      provider.status === 'active',
      'provider_suspended',
      provider.status === 'active' ? 'The training provider is active.' : 'The training provider is suspended and cannot take enrolments.',
    ),
    check(
      'learner.not_already_enrolled',
      !input.alreadyEnrolled,
      'already_enrolled',
      input.alreadyEnrolled ? 'The learner already has a live enrolment on this run.' : 'The learner is not yet enrolled on this run.',
    ),
    check(
      'run.seats_available',
      run.seatsTaken < run.capacity,
      'run_full',
      run.seatsTaken < run.capacity
        ? `${run.capacity - run.seatsTaken} of ${run.capacity} seats are left.`
        : `All ${run.capacity} seats are taken.`,
    ),
    check(
      'run.not_started',
      at.getTime() < startLimit.getTime(),
      'run_already_started',
      at.getTime() < startLimit.getTime()
        ? `Enrolment is open until ${startLimit.toISOString()} (run start plus ${graceDays} grace day(s)).`
        : `Enrolment closed at ${startLimit.toISOString()} (run start plus ${graceDays} grace day(s)).`,
    ),
  ];
  const runPassed = runChecks.every((c) => c.passed);

  // ---- The learner must hold a grant under some listed scheme.
  const listedIds = new Set(input.schemes.map((s) => s.id));
  const holdsGrant = input.grants.some((g) => listedIds.has(g.schemeId));
  const holdsCheck = check(
    'learner.holds_grant',
    holdsGrant,
    'no_grant_for_scheme',
    holdsGrant ? 'The learner holds credit under at least one scheme.' : 'The learner holds no grant under any scheme.',
  );

  // ---- Per-grant checks, for grants of funding schemes.
  const grantChecks: Check[] = [];
  const usable: EligibilityInput['grants'] = [];
  for (const grant of input.grants) {
    if (!fundingIds.has(grant.schemeId)) continue;
    const checks = checkGrant(grant, input);
    grantChecks.push(...checks);
    if (checks.every((c) => c.passed)) usable.push(grant);
  }

  // ---- Plan.
  const equity = learner.equity ?? noEquityFacts;
  const targeted = fundingSchemes.map((s) => targetedTerms(fee, s.rules, equity));
  const terms = targeted.map((t) => t.terms);
  const appliedTargeting: AppliedTargeting[] = [];
  const targetingChecks: Check[] = [];
  fundingSchemes.forEach((s, i) => {
    const { rule, rules } = targeted[i]!;
    if (!rule) return;
    appliedTargeting.push({
      schemeId: s.id, ruleId: rule.id, subsidyRateBps: rules.subsidyRateBps, capPerCourse: rules.capPerCourse, noCoPayment: rules.minCoPayment.kind === 'none',
    });
    const cap = rules.capPerCourse === null ? 'no cap' : `a cap of ${rules.capPerCourse} ${run.currency}`;
    const coPay = rule.noCoPayment ? ', no minimum co-payment' : '';
    targetingChecks.push({
      ...check('scheme.targeting', true, 'insufficient_credit', `${s.name}'s targeting rule ${rule.id} applies: a subsidy of ${rules.subsidyRateBps} bps, ${cap}${coPay}.`),
      schemeId: s.id,
    });
  });
  const coPayFloor = terms.reduce((m, t) => max(m, t.floor), 0n);
  const sumSchemes = terms.reduce((acc, t) => acc + t.fundable, 0n);
  const fundable = min(fee - coPayFloor, sumSchemes);

  const schemeRoom = new Map<string, bigint>();
  fundingSchemes.forEach((s, i) => schemeRoom.set(s.id, terms[i]!.fundable));
  const schemeById = new Map(fundingSchemes.map((s) => [s.id, s] as const));
  let overallRoom = fundable;
  const legs: FundingLeg[] = [];
  for (const grant of [...usable].sort(firstExpiryFirst)) {
    const room = schemeRoom.get(grant.schemeId) ?? 0n;
    const amount = min(max(grant.available, 0n), min(room, overallRoom));
    if (amount <= 0n) continue;
    schemeRoom.set(grant.schemeId, room - amount);
    overallRoom -= amount;
    const scheme = schemeById.get(grant.schemeId)!;
    legs.push({
      grantId: grant.id,
      schemeId: grant.schemeId,
      amount,
      holdUntil: new Date(run.endsAt.getTime() + scheme.rules.claimWindowDays * DAY_MS),
    });
  }
  const funded = legs.reduce((acc, l) => acc + l.amount, 0n);
  const coPay = fee - funded;
  const capApplied = fundingSchemes.some((s, i) => {
    const t = terms[i]!;
    if (!t.capBinds) return false;
    const total = legs.filter((l) => l.schemeId === s.id).reduce((acc, l) => acc + l.amount, 0n);
    return total === t.fundable;
  });

  // ---- Credit check: judged only when some scheme funds the run.
  const creditChecks: Check[] = [];
  if (fundingSchemes.length > 0) {
    if (fee === 0n) {
      creditChecks.push(check('credit.sufficient', true, 'insufficient_credit', 'The fee is zero: nothing to fund and nothing to reserve.'));
    } else if (funded === 0n) {
      const detail =
        fundable === 0n
          ? `The schemes' rules fund nothing of this fee of ${fee} ${run.currency} (rate, cap or co-payment floor).`
          : usable.length === 0
            ? `No grant under a scheme that funds this run is usable; the schemes would fund up to ${fundable} ${run.currency}.`
            : `The usable grants have no credit left; the schemes would fund up to ${fundable} ${run.currency}.`;
      creditChecks.push(check('credit.sufficient', false, 'insufficient_credit', detail));
    } else if (funded < fundable) {
      creditChecks.push(
        check(
          'credit.sufficient',
          true,
          'insufficient_credit',
          `Credit covers ${funded} of the ${fundable} ${run.currency} the schemes would fund; the learner pays the rest, a co-payment of ${coPay} ${run.currency}.`,
        ),
      );
    } else {
      creditChecks.push(
        check(
          'credit.sufficient',
          true,
          'insufficient_credit',
          `Credit covers the full ${fundable} ${run.currency} the schemes fund; the learner co-pays ${coPay} ${run.currency}.`,
        ),
      );
    }
  }

  const eligible = runPassed && (funded > 0n || (fee === 0n && fundingSchemes.length > 0));

  // ---- Reasons, most useful first.
  const reasons: ReasonCode[] = [];
  if (!eligible) {
    const add = (cs: Check[]) => {
      for (const c of cs) if (!c.passed && c.reason && !reasons.includes(c.reason)) reasons.push(c.reason);
    };
    add(runChecks);
    add([holdsCheck]);
    if (fundingSchemes.length > 0) {
      if (usable.length === 0) {
        add(grantChecks);
        add(creditChecks);
      } else {
        add(creditChecks);
        add(grantChecks);
      }
    }
    add(schemeChecks);
  }

  const ruleVersions: Record<string, number> = {};
  for (const s of fundingSchemes) ruleVersions[s.id] = s.rulesVersion;

  return {
    eligible,
    reasons,
    checks: [...runChecks, holdsCheck, ...schemeChecks, ...targetingChecks, ...grantChecks, ...creditChecks],
    plan: { fee, currency: run.currency, legs, funded, coPay, fundable, coPayFloor, capApplied },
    ruleVersions,
    appliedTargeting,
  };

  function checkScheme(scheme: EligibilityInput['schemes'][number], inp: EligibilityInput, ageYears: number | null): Check[] {
    const r = scheme.rules;
    const sid = scheme.id;
    const out: Check[] = [];
    const push = (rule: string, passed: boolean, reason: ReasonCode, detail: string) => out.push({ ...check(rule, passed, reason, detail), schemeId: sid });

    push('scheme.active', scheme.status === 'active', 'scheme_closed', scheme.status === 'active' ? `${scheme.name} is open.` : `${scheme.name} is closed.`);
    push(
      'scheme.currency',
      scheme.currency === inp.run.currency,
      'currency_mismatch',
      scheme.currency === inp.run.currency
        ? `${scheme.name} pays in ${scheme.currency}, the run's currency.`
        : `${scheme.name} pays in ${scheme.currency} but the run is priced in ${inp.run.currency}.`,
    );
    const citizenOk = r.eligibleCitizenships.length === 0 || r.eligibleCitizenships.includes(inp.learner.citizenship);
    push(
      'learner.citizenship',
      citizenOk,
      'citizenship_not_eligible',
      citizenOk
        ? `Citizenship ${inp.learner.citizenship} qualifies for ${scheme.name}.`
        : `${scheme.name} is open to citizens of ${r.eligibleCitizenships.join(', ')} only, not ${inp.learner.citizenship}.`,
    );
    const band = r.ageBand;
    const bandText = `${band.min ?? 0}${band.max === undefined ? ' and over' : ` to ${band.max}`}`;
    const ageOk =
      band.min === undefined && band.max === undefined
        ? true
        : ageYears !== null && (band.min === undefined || ageYears >= band.min) && (band.max === undefined || ageYears <= band.max);
    push(
      'learner.age',
      ageOk,
      'age_out_of_band',
      ageYears === null
        ? `The learner's date of birth is not a valid date; ${scheme.name} needs ages ${bandText}.`
        : ageOk
          ? `The learner is ${ageYears} on the run's start date; ${scheme.name} takes ages ${bandText}.`
          : `The learner is ${ageYears} on the run's start date; ${scheme.name} takes ages ${bandText} only.`,
    );
    const employmentOk = r.employmentStatuses.length === 0 || (r.employmentStatuses as readonly string[]).includes(inp.learner.employmentStatus);
    push(
      'learner.employment_status',
      employmentOk,
      'employment_status_not_eligible',
      employmentOk
        ? `Employment status ${inp.learner.employmentStatus} qualifies for ${scheme.name}.`
        : `${scheme.name} is for ${r.employmentStatuses.join(', ')} learners, not ${inp.learner.employmentStatus}.`,
    );
    const incomeOk = r.incomeGroups.length === 0 || (r.incomeGroups as readonly string[]).includes(inp.learner.incomeGroup);
    push(
      'learner.income_group',
      incomeOk,
      'income_group_not_eligible',
      incomeOk
        ? `Income group ${inp.learner.incomeGroup} qualifies for ${scheme.name}.`
        : `${scheme.name} is for income groups ${r.incomeGroups.join(', ')}, not ${inp.learner.incomeGroup}.`,
    );
    const q = r.courseQualification;
    if (q.kind === 'approved') {
      const ok = inp.course.approvedSchemeIds.includes(sid);
      push(
        'course.qualifies',
        ok,
        'course_not_approved_for_scheme',
        ok ? `The course is approved for ${scheme.name}.` : `The course is not on ${scheme.name}'s approved list.`,
      );
    } else {
      const ok = q.categories.includes(inp.course.category);
      push(
        'course.qualifies',
        ok,
        'course_category_not_eligible',
        ok
          ? `Course category ${inp.course.category} is eligible under ${scheme.name}.`
          : `${scheme.name} funds categories ${q.categories.join(', ')}, not ${inp.course.category}.`,
      );
    }
    return out;
  }

  function checkGrant(grant: EligibilityInput['grants'][number], inp: EligibilityInput): Check[] {
    const gid = grant.id;
    const base = { schemeId: grant.schemeId, grantId: gid };
    const out: Check[] = [];
    const live = grant.status === 'active' && (grant.expiresAt === null || grant.expiresAt.getTime() > inp.at.getTime());
    out.push({
      ...check(
        'grant.active',
        live,
        'grant_expired',
        grant.status !== 'active'
          ? `Grant ${gid} is ${grant.status}.`
          : live
            ? grant.expiresAt === null
              ? `Grant ${gid} does not expire.`
              : `Grant ${gid} is valid until ${grant.expiresAt.toISOString()}.`
            : `Grant ${gid} expired at ${grant.expiresAt!.toISOString()}.`,
      ),
      ...base,
    });
    const deadlineOk = grant.firstUseDeadline === null || grant.firstUsedAt !== null || inp.at.getTime() <= grant.firstUseDeadline.getTime();
    out.push({
      ...check(
        'grant.first_use_deadline',
        deadlineOk,
        'first_use_deadline_passed',
        grant.firstUseDeadline === null
          ? `Grant ${gid} has no first-use deadline.`
          : grant.firstUsedAt !== null
            ? `Grant ${gid} was first used on ${grant.firstUsedAt.toISOString()}.`
            : deadlineOk
              ? `Grant ${gid} must be first used by ${grant.firstUseDeadline.toISOString()}.`
              : `Grant ${gid} had to be first used by ${grant.firstUseDeadline.toISOString()} and was not; its balance has lapsed.`,
      ),
      ...base,
    });
    const currencyOk = grant.currency === inp.run.currency;
    out.push({
      ...check(
        'grant.currency',
        currencyOk,
        'currency_mismatch',
        currencyOk ? `Grant ${gid} is in ${grant.currency}.` : `Grant ${gid} is in ${grant.currency} but the run is priced in ${inp.run.currency}.`,
      ),
      ...base,
    });
    return out;
  }
}

/** What one scheme would fund of a fee, credit aside. */
export function schemeTerms(fee: bigint, rules: SchemeRules): { rateShare: bigint; floor: bigint; fundable: bigint; capBinds: boolean } {
  const rateShare = (fee * BigInt(rules.subsidyRateBps)) / 10_000n; // rounds down
  const m = rules.minCoPayment;
  const rawFloor = m.kind === 'none' ? 0n : m.kind === 'amount' ? m.amount : ceilDiv(fee * BigInt(m.rateBps), 10_000n);
  const floor = min(rawFloor, fee);
  const uncapped = min(rateShare, fee - floor);
  const cap = rules.capPerCourse;
  const capBinds = cap !== null && cap < uncapped;
  const fundable = max(0n, capBinds ? cap : uncapped);
  return { rateShare, floor, fundable, capBinds };
}

/**
 * A scheme's terms for this learner: its own, or those of the matching
 * targeting rule that funds the most (ties: first listed). A rule's rate and
 * cap replace the scheme's only where they are more generous.
 */
export function targetedTerms(
  fee: bigint, rules: SchemeRules, equity: EquityFacts,
): { terms: ReturnType<typeof schemeTerms>; rules: SchemeRules; rule: TargetingRule | null } {
  let best: { terms: ReturnType<typeof schemeTerms>; rules: SchemeRules; rule: TargetingRule | null } = { terms: schemeTerms(fee, rules), rules, rule: null };
  for (const rule of rules.targeting) {
    if (!targetingMatches(rule, equity)) continue;
    const improved = improvedBy(rules, rule);
    const terms = schemeTerms(fee, improved);
    if (best.rule === null || terms.fundable > best.terms.fundable) best = { terms, rules: improved, rule };
  }
  return best;
}

function improvedBy(rules: SchemeRules, rule: TargetingRule): SchemeRules {
  const rate = Math.max(rules.subsidyRateBps, rule.subsidyRateBps ?? 0);
  const cap =
    rule.capPerCourse === undefined ? rules.capPerCourse
      : rule.capPerCourse === null || rules.capPerCourse === null ? null
        : max(rules.capPerCourse, rule.capPerCourse);
  return { ...rules, subsidyRateBps: rate, capPerCourse: cap, minCoPayment: rule.noCoPayment ? { kind: 'none' } : rules.minCoPayment };
}

/** Whole years between a YYYY-MM-DD birth date and the UTC date of `on`; null when the date is malformed. */
export function ageOn(dateOfBirth: string, on: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  const oy = on.getUTCFullYear();
  const om = on.getUTCMonth() + 1;
  const od = on.getUTCDate();
  let age = oy - y;
  if (om < mo || (om === mo && od < d)) age -= 1;
  return age;
}

/**
 * First-expiry-first-out, the order grants are spent in: expiresAt ascending
 * (none last), then grantedAt, then id. SQL sorts by the same rule with
 * grant_spending_order (src/modules/grants/grants.sql).
 */
function firstExpiryFirst(a: EligibilityInput['grants'][number], b: EligibilityInput['grants'][number]): number {
  const ea = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ga = a.grantedAt.getTime();
  const gb = b.grantedAt.getTime();
  if (ga !== gb) return ga < gb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function check(rule: string, passed: boolean, reason: ReasonCode, detail: string): Check {
  return passed ? { rule, passed, detail } : { rule, passed, reason, detail };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
