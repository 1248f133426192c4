import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { catalogue } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';
import { perFile } from '../support/per-file.js';
import { advanceTo, credentialPayload, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Enrolled } from '../claims/credential-fixtures.js';

/** A demo threshold table (configuration, not official figures): SGD minor units of household monthly income. */
export const SG_2024 = {
  currency: 'SGD',
  groups: [{ code: 'B40', band: 'low', upperBound: '525000' }, { code: 'M40', band: 'middle', upperBound: '1182000' }, { code: 'T20', band: 'high' }],
};

/** 80% subsidy with a 10% minimum co-payment; B40 learners are funded in full with nothing to co-pay. */
export const TARGETED_RULES = {
  subsidyRateBps: 8_000,
  minCoPayment: { kind: 'rate', rateBps: 1_000 },
  targeting: [{ id: 'b40-full', when: { incomeGroups: ['B40'] }, subsidyRateBps: 10_000, noCoPayment: true }],
};

export const asAdmin = (h: Harness, admin: string) => ({
  put: (path: string, body: unknown) =>
    request(h.app).put(path).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(body as object),
  get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${admin}`),
});

export interface SeededLearner { id: string; token: string; nationalId: string; fullName: string; dateOfBirth: string }

/** A world whose scheme targets B40 learners, the SG 2024 table published, and a builder of learners with a profile and credit. */
export async function equityWorld(h: Harness) {
  const world = await catalogue(h, { rules: TARGETED_RULES });
  const signer = await registerSigner(h, world);
  const admin = asAdmin(h, world.api.admin);
  const published = await admin.put('/v1/income-group-thresholds/SG/2024', SG_2024);
  if (published.status !== 201 && published.status !== 200) throw new Error(`thresholds: ${published.status} ${published.text}`);
  let n = 0;
  const learner = async (profile: Record<string, unknown> | null, credit = '50000'): Promise<SeededLearner> => {
    n += 1;
    const nationalId = nextNric();
    const fullName = `Equity Learner ${randomUUID().slice(0, 8)}`;
    const dateOfBirth = `1986-0${1 + (n % 9)}-1${n % 10}`;
    const l = await world.learnerWithCredit(credit, { nationalId, fullName, dateOfBirth });
    if (profile) {
      const res = await admin.put(`/v1/learners/${l.id}/equity-profile`, profile);
      if (res.status !== 200) throw new Error(`profile: ${res.status} ${res.text}`);
    }
    return { ...l, nationalId, fullName, dateOfBirth };
  };
  const claimInFull = async (e: Enrolled) => {
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const credential = await signCredential(credentialPayload(factsFor(world, e, h)), signer);
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('approved');
  };
  return { world, signer, admin, learner, claimInFull };
}

/** Moves the clock to an hour into the next calendar month (UTC), closing the current one for the equity report. */
export function toNextMonth(h: Harness) {
  const now = h.clock.now();
  advanceTo(h, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 1)));
}

/**
 * The report's seeded data, with known counts (the first 20 learners in one
 * calendar month, the rest in the next, and the clock in the month after):
 * - by T0: 12 B40 learners (female, SG-01, urban) and 8 M40 (male, rural);
 * - after T0: 3 more M40 and 3 T20 (no gender, region or setting);
 * - 6 B40 and 2 M40 enrol on SGD 300.00 runs (B40 co-pay 0 by targeting, M40 co-pay 60.00);
 * - claims approved in full for 3 of the B40 (3 × 300.00) and 1 of the M40 (240.00).
 */
export function useReportWorld(h: Harness) {
  return perFile(async () => {
    const w = await equityWorld(h);
    const b40 = { incomeGroup: { year: 2024, code: 'B40' }, gender: 'female', region: 'SG-01', urbanRural: 'urban' };
    const m40 = { incomeGroup: { year: 2024, code: 'M40' }, gender: 'male', urbanRural: 'rural', disability: false };
    const t20 = { incomeGroup: { year: 2024, code: 'T20' } };
    const learners: SeededLearner[] = [];
    for (let i = 0; i < 12; i++) learners.push(await w.learner(b40));
    for (let i = 0; i < 8; i++) learners.push(await w.learner(m40));
    // The report answers for closed calendar months: T0 falls in the month after the first 20 learners.
    toNextMonth(h);
    const t0 = h.clock.now().toISOString();
    h.clock.advance(60_000);
    for (let i = 0; i < 3; i++) learners.push(await w.learner(m40));
    for (let i = 0; i < 3; i++) learners.push(await w.learner(t20));
    const enrolments: Enrolled[] = [];
    for (const l of [...learners.slice(0, 6), ...learners.slice(12, 14)]) enrolments.push(await enrolled(h, w.world, { fee: '30000', learner: l }));
    for (const e of [...enrolments.slice(0, 3), enrolments[6]!]) await w.claimInFull(e);
    // ... and a report for now answers for the month all of it happened in.
    toNextMonth(h);
    return { ...w, learners, enrolments, t0 };
  }, async () => {});
}
