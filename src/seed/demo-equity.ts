import type { Tx } from '../db/client.js';
import { DAY_MS } from '../lib/dates.js';
import type { Acting } from '../modules/acting.js';
import type { ServiceDeps } from '../modules/deps.js';
import { publishThresholdTable, setEquityProfile } from '../modules/equity/equity.service.js';
import { grantCredit } from '../modules/grants/grants.service.js';
import { registerLearner } from '../modules/learners/learners.service.js';

/** The demo's equity scheme: 80% of the fee, a 10% minimum co-payment; B40 learners and learners with a disability are funded in full. */
export const EQUITY_SCHEME = {
  code: 'MY-UPSKILL',
  name: 'Upskilling Credit (equity-targeted demo)',
  country: 'MY',
  currency: 'MYR' as const,
  rules: {
    eligibleCitizenships: ['MY'],
    ageBand: { min: 18 },
    subsidyRateBps: 8_000,
    minCoPayment: { kind: 'rate', rateBps: 1_000 },
    targeting: [
      { id: 'b40-full', when: { incomeGroups: ['B40'] }, subsidyRateBps: 10_000, noCoPayment: true },
      { id: 'disability-full', when: { disability: true }, subsidyRateBps: 10_000, noCoPayment: true },
    ],
  },
  budget: 100_000_000n, // MYR 1,000,000
};

/**
 * Household monthly income groups for MY 2024, in sen: configuration seeded
 * for the demo (B40 below MYR 5,250, M40 below MYR 11,820, T20 above), not an
 * official statement; admins publish the real table per country and year.
 */
const MY_2024 = {
  currency: 'MYR',
  groups: [
    { code: 'B40', band: 'low' as const, upperBound: 525_000n },
    { code: 'M40', band: 'middle' as const, upperBound: 1_182_000n },
    { code: 'T20', band: 'high' as const },
  ],
};

const REGIONS = ['MY-10', 'MY-12', 'MY-14']; // Selangor, Sabah, Kuala Lumpur
const COHORT: { group: 'B40' | 'M40' | 'T20'; n: number }[] = [{ group: 'B40', n: 14 }, { group: 'M40', n: 12 }, { group: 'T20', n: 10 }];

/** A MyKad number (YYMMDD, a birthplace code, a serial) for a demo learner. */
const myKad = (dateOfBirth: string, serial: number) => `${dateOfBirth.slice(2, 4)}${dateOfBirth.slice(5, 7)}${dateOfBirth.slice(8, 10)}10${String(5000 + serial).padStart(4, '0')}`;

/**
 * 36 Malaysian learners with equity profiles (14 B40, 12 M40, 10 T20; eleven
 * with a disability, two who did not say), each granted MYR 500 under the
 * equity scheme: enough that the analyst's report shows figures, with some
 * dimensions (disability) small enough to be withheld.
 */
export async function seedEquityCohort(deps: ServiceDeps, tx: Tx, schemeId: string, acting: Acting): Promise<number> {
  const now = deps.clock.now();
  await publishThresholdTable(deps, tx, 'MY', 2024, MY_2024, acting);
  let serial = 0;
  for (const { group, n } of COHORT) {
    for (let i = 0; i < n; i++, serial++) {
      const age = 19 + ((serial * 7) % 45);
      const dateOfBirth = new Date(now.getTime() - (age * 365.25 + 40) * DAY_MS).toISOString().slice(0, 10);
      const learner = await registerLearner(deps, tx, {
        country: 'MY', nationalId: myKad(dateOfBirth, serial), fullName: `Demo Learner ${serial + 1}`, dateOfBirth, citizenship: 'MY',
        employmentStatus: serial % 5 === 0 ? 'unemployed' : 'employed', incomeGroup: 'middle',
      }, acting);
      await setEquityProfile(deps, tx, learner.id, {
        incomeGroup: { year: 2024, code: group },
        region: REGIONS[serial % REGIONS.length]!,
        urbanRural: serial % 3 === 0 ? 'rural' : 'urban',
        gender: serial % 2 === 0 ? 'female' : 'male',
        disability: serial === 5 || serial === 22 ? null : serial % 3 === 1,
      }, acting);
      await grantCredit(deps, tx, { learnerId: learner.id, schemeId, amount: 50_000n, reason: 'demo seed: equity cohort' }, acting);
    }
  }
  return serial;
}
