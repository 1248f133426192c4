import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { sweepEnrolments } from '../../src/modules/enrolments/enrolments.service.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import {
  advanceTo, claimRows, credentialPayload, factsFor, moneyOf, newSigner, payableCredits, registerSigner, signCredential, submitClaim,
  type Enrolled, type Signer, type World,
} from './credential-fixtures.js';
import { enrolledModular as enrolledOn, moduleCredential as credentialFor } from './modular-fixtures.js';

const h = useHarness({ poolSize: 30 });
let world: World;
let signer: Signer;
let modularCourseId: string;

const modules = [
  { title: 'Module 1: Spreadsheets', achievementId: 'urn:academy:achievement:analytics-m1', shareBps: 2500 },
  { title: 'Module 2: SQL', achievementId: 'urn:academy:achievement:analytics-m2', shareBps: 3000 },
  { title: 'Module 3: Dashboards', achievementId: 'https://academy.example/achievements/analytics-m3', shareBps: 4500 },
];

const newCourse = (over: Record<string, unknown> = {}) =>
  world.asProvider('/v1/courses', { code: `M${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics (modular)', category: 'data-analytics', hours: 120, modules, ...over });

beforeAll(async () => {
  world = await catalogue(h, { rules: { incentive: { amount: '5000', requiresRating: false } } });
  signer = await registerSigner(h, world);
  const finance = await h.token('finance', { sub: 'officer-budget' });
  const budget = await request(h.app).post(`/v1/schemes/${world.scheme.id}/incentive-allocations`).set('authorization', `Bearer ${finance}`)
    .set('idempotency-key', randomUUID()).send({ amount: '1000000' });
  expect(budget.status, budget.text).toBe(201);
  const course = await newCourse();
  expect(course.status, course.text).toBe(201);
  modularCourseId = course.body.id;
  expect((await world.api.post(`/v1/courses/${modularCourseId}/approvals`, { schemeId: world.scheme.id })).status).toBeLessThan(300);
});

/** A learner enrolled on a fresh run of the modular course, the clock after the run's end. */
const enrolledModular = (fee = '40000', credit = '50000', courseId = modularCourseId): Promise<Enrolled> => enrolledOn(h, world, { id: courseId }, fee, credit);

/** The provider's credential for one module: that module's achievement, signed with the provider's key. */
const moduleCredential = (e: Enrolled, ordinal: number, course = { id: modularCourseId, modules }) => credentialFor(h, world, signer, e, course, ordinal);

const claimModule = async (e: Enrolled, module: number | undefined, amount: string) =>
  submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, ...(module === undefined ? {} : { module }), amount, credential: await moduleCredential(e, Math.min(module ?? 1, modules.length)) });

const account = async (e: Enrolled) => (await asCitizen(h, e.learner.token).get('/v1/me/account')).body.totals[0] as { available: string; reserved: string; spent: string };

const officer = async (sub: string) => {
  const token = await h.token('finance', { sub });
  const post = (path: string, body: unknown) => request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);
  return { post, get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`) };
};

/** One officer proposes approving the claim in review, a second approves the proposal. */
async function approvedByTwo(claimId: string) {
  const proposed = await (await officer('officer-a')).post(`/v1/claims/${claimId}/decision`, { decision: 'approve', reason: 'module assessment checked' });
  expect(proposed.status, proposed.text).toBe(202);
  const approved = await (await officer('officer-b')).post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
  expect(approved.status, approved.text).toBe(200);
  return (await (await officer('officer-b')).get(`/v1/claims/${claimId}`)).body;
}

/** What the provider is still owed for this enrolment: its claim payments less reversals. */
async function payableOwes(e: Enrolled): Promise<bigint> {
  const r = await h.database.pool.query(
    `select coalesce(sum(case when kind = 'post_pending' then amount else -amount end), 0)::text s from ledger_transfers
      where reference_id = $1 and (kind = 'post_pending' or code like 'claim_reversal%')`, [e.enrolmentId]);
  return BigInt(r.rows[0].s);
}

const count = async (query: string, params: unknown[]) => Number((await h.database.pool.query(query, params)).rows[0].n);

describe('a modular course', () => {
  it('when created with modules, then GET course shows them in order with their ordinals', async () => {
    const res = await request(h.app).get(`/v1/courses/${modularCourseId}`).set('authorization', `Bearer ${world.providerToken}`);
    expect(res.status).toBe(200);
    expect(res.body.modules).toEqual(modules.map((m, i) => ({ ordinal: i + 1, ...m })));
    const plain = await request(h.app).get(`/v1/courses/${world.courseId}`).set('authorization', `Bearer ${world.providerToken}`);
    expect(plain.body.modules).toEqual([]);
  });

  it('when the shares do not add up to the whole, or repeat an achievement, then 422 names body.modules and no course is created', async () => {
    const code = `BAD${randomUUID().slice(0, 5).toUpperCase()}`;
    const short = await newCourse({ code, modules: modules.map((m) => ({ ...m, shareBps: 3000 })) });
    expect(short.status).toBe(422);
    expect(short.headers['content-type']).toContain('application/problem+json');
    expect(short.body.errors).toEqual([expect.objectContaining({ path: 'body.modules', message: expect.stringContaining('add up to exactly 10000') })]);
    const repeated = await newCourse({ code, modules: [modules[0], { ...modules[1], achievementId: modules[0]!.achievementId }, modules[2]] });
    expect(repeated.status).toBe(422);
    expect(repeated.body.errors).toEqual([expect.objectContaining({ path: 'body.modules.1.achievementId' })]);
    const one = await newCourse({ code, modules: [{ ...modules[0], shareBps: 10000 }] });
    expect(one.status).toBe(422);
    expect(one.body.errors[0].path).toBe('body.modules');
    expect(await count(`select count(*) n from courses where code = $1`, [code])).toBe(0);
  });
});

describe('a module credential at the public verifier', () => {
  const verify = async (credential: string) => {
    const res = await request(h.app).post('/v1/public/credential-verifications').send({ credential });
    expect(res.status, res.text).toBe(200);
    return res.body as { verified: boolean; checks: { check: string; passed: boolean; reason?: string }[]; credential?: Record<string, unknown> };
  };

  it('when a provider signed one module of its approved modular course, then it verifies and the answer names the module and its course', async () => {
    const e = await enrolledModular();
    const answer = await verify(await moduleCredential(e, 2));
    expect(answer.verified, JSON.stringify(answer.checks)).toBe(true);
    expect(answer.credential).toMatchObject({
      achievementId: modules[1]!.achievementId, achievementName: modules[1]!.title,
      module: { ordinal: 2, title: modules[1]!.title, courseId: modularCourseId, courseTitle: 'Data Analytics (modular)' },
    });
    // The course's own achievement still verifies as the course, with no module named.
    const whole = await verify(await signCredential(credentialPayload(factsFor(world, e, h, { courseId: modularCourseId, course: { title: 'Data Analytics (modular)', hours: 120, microCredential: null } })), signer));
    expect(whole.verified, JSON.stringify(whole.checks)).toBe(true);
    expect(whole.credential).not.toHaveProperty('module');
  });

  it('when the module\'s course is not approved, or no course of the provider lists the achievement, then the achievement check fails and names why', async () => {
    const e = await enrolledModular();
    const own = modules.map((m) => ({ ...m, achievementId: `urn:academy:achievement:${randomUUID()}` }));
    const unapproved = await newCourse({ modules: own });
    expect(unapproved.status, unapproved.text).toBe(201);
    const notApproved = await verify(await moduleCredential(e, 1, { id: unapproved.body.id, modules: own }));
    expect(notApproved.verified).toBe(false);
    expect(notApproved.checks.find((c) => c.check === 'achievement')).toMatchObject({ passed: false, reason: 'course_not_approved' });
    expect(notApproved.checks.filter((c) => c.check !== 'achievement').every((c) => c.passed)).toBe(true);

    const unlisted = [{ ...modules[0]!, achievementId: `urn:academy:achievement:${randomUUID()}` }, ...modules.slice(1)];
    const unknown = await verify(await moduleCredential(e, 1, { id: modularCourseId, modules: unlisted }));
    expect(unknown.verified).toBe(false);
    expect(unknown.checks.find((c) => c.check === 'achievement')).toMatchObject({ passed: false, reason: 'course_unknown' });
  });

  it('when another provider signs a module achievement of this provider\'s course, then it does not verify', async () => {
    const e = await enrolledModular();
    const other = await world.api.post('/v1/providers', {
      legalName: `Other Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2021${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
      contactEmail: 'ops@other.example', bankAccount: { accountName: 'Other Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456780' },
    });
    expect(other.status, other.text).toBe(201);
    const otherSigner = await newSigner('EdDSA');
    const key = await world.api.post(`/v1/providers/${other.body.id}/keys`, { jwk: otherSigner.publicJwk });
    expect(key.status, key.text).toBe(201);
    const payload = credentialPayload({ ...factsFor(world, e, h, { courseId: modularCourseId }), providerId: other.body.id }) as { credentialSubject: { achievement: { id: string } } };
    payload.credentialSubject.achievement.id = modules[0]!.achievementId;
    const answer = await verify(await signCredential(payload, { ...otherSigner, kid: key.body.kid }));
    expect(answer.checks.find((c) => c.check === 'signature')).toMatchObject({ passed: true });
    expect(answer.verified).toBe(false);
    expect(answer.checks.find((c) => c.check === 'achievement')).toMatchObject({ passed: false, reason: 'course_unknown' });
  });
});

describe('milestone claims', () => {
  it('when three module claims are each approved by two officers, then each pays its share, the last completes the enrolment and the incentive and pathway come once', async () => {
    const pathway = await world.api.post('/v1/pathways', {
      schemeId: world.scheme.id, code: `MOD-${randomUUID().slice(0, 6).toUpperCase()}`, name: 'Modular analyst', description: 'The modular course or the plain one',
      courseIds: [modularCourseId, world.courseId], rule: { kind: 'k_of_n', k: 1 },
      award: { achievement: { name: 'Analyst (stacked)', description: 'Completed a data course' } },
    });
    expect(pathway.status, pathway.text).toBe(201);
    const e = await enrolledModular('40000', '50000');
    expect(e.reserved).toBe('40000');
    // Every claim is held for review (a burst policy of zero), so each takes a proposal and a second officer's approval.
    const policy = h.deps.policy as { claimBurstPerHour?: number };
    policy.claimBurstPerHour = 0;
    try {
      const shares = [10000n, 12000n, 18000n];
      let paid = 0n;
      for (const [i, share] of shares.entries()) {
        const payableBefore = await payableCredits(h, world.providerId);
        const submitted = await claimModule(e, i + 1, share.toString());
        expect(submitted.status, submitted.text).toBe(201);
        expect(submitted.body).toMatchObject({ status: 'in_review', module: i + 1, reviewReasons: ['provider_claim_burst'] });
        expect((await moneyOf(h, world, e)).enrolmentStatus).toBe('claimed');
        const decided = await approvedByTwo(submitted.body.id);
        expect(decided).toMatchObject({ status: 'approved', module: i + 1, amountClaimed: share.toString(), decidedBy: 'officer-b' });
        paid += share;
        expect(await payableCredits(h, world.providerId)).toBe(payableBefore + share);
        expect(await account(e)).toMatchObject({ available: '10000', reserved: (40000n - paid).toString(), spent: paid.toString() });
        const last = i === shares.length - 1;
        expect((await moneyOf(h, world, e)).enrolmentStatus).toBe(last ? 'completed' : 'reserved');
        expect(await count(`select count(*) n from incentives where enrolment_id = $1`, [e.enrolmentId])).toBe(last ? 1 : 0);
        expect(await count(`select count(*) n from pathway_completions where pathway_id = $1 and learner_id = $2`, [pathway.body.id, e.learner.id])).toBe(last ? 1 : 0);
        expect(await ledgerViolations(h.database.db)).toEqual([]);
      }
    } finally {
      delete policy.claimBurstPerHour;
    }
    // The trial balance ties out, and the three milestone claims go to the bank in one batch as one payment line.
    const trial = await request(h.app).get('/v1/reports/trial-balance').set('authorization', `Bearer ${await h.token('finance')}`);
    expect(trial.body.currencies.find((c: { currency: string }) => c.currency === 'SGD').balanced).toBe(true);
    const batch = await releasedBatch(h, { currency: 'SGD' });
    expect(batch.lines.filter((l) => l.providerId === world.providerId).map((l) => l.amount)).toEqual(['40000']);
    const inBatch = await count(`select count(*) n from payment_line_claims plc join claims c on c.id = plc.claim_id where c.enrolment_id = $1 and plc.live = 1`, [e.enrolmentId]);
    expect(inBatch).toBe(3);
    const posts = await h.database.pool.query(
      `select er.module_ordinal, t.amount::text from ledger_transfers t join enrolment_reservations er on er.transfer_id = t.pending_id
        where t.reference_id = $1 and t.kind = 'post_pending' order by er.module_ordinal`, [e.enrolmentId]);
    expect(posts.rows).toEqual([{ module_ordinal: 1, amount: '10000' }, { module_ordinal: 2, amount: '12000' }, { module_ordinal: 3, amount: '18000' }]);
    // A paid module cannot be claimed again.
    const again = await claimModule(e, 2, '1000');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
  });

  it('when a module is claimed for less than its share, then exactly the claim is paid, the rest returns, and the history says so', async () => {
    const e = await enrolledModular('40000', '50000');
    const res = await claimModule(e, 1, '6000');
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: 'approved', module: 1, amountClaimed: '6000' });
    expect(await account(e)).toMatchObject({ available: '14000', reserved: '30000', spent: '6000' });
    expect(await moneyOf(h, world, e)).toMatchObject({ enrolmentStatus: 'reserved', postPendingSum: '6000', stillPending: '30000' });
    // The enrolment shows what it still holds, per module.
    const view = await request(h.app).get(`/v1/enrolments/${e.enrolmentId}`).set('authorization', `Bearer ${world.providerToken}`);
    expect(view.body.reserved).toBe('30000');
    expect(view.body.legs.map((l: { module: number; amount: string }) => [l.module, l.amount]).sort()).toEqual([[1, '10000'], [2, '12000'], [3, '18000']]);
    const history = (await asCitizen(h, e.learner.token).get('/v1/me/transactions')).body.items as { sign: string; amount: string; description: string }[];
    expect(history).toEqual(expect.arrayContaining([
      expect.objectContaining({
        sign: 'paid', amount: '6000', description: expect.stringMatching(/SGD 60\.00 paid to the training provider .*; the other SGD 40\.00 reserved for it returned to your credit/),
      }),
    ]));
    // Module 2 still has its whole share.
    const two = await claimModule(e, 2, '12001');
    expect(two.status).toBe(422);
    expect(two.body.errors).toEqual([expect.objectContaining({ path: 'body.amount', message: 'must not exceed the 12000 reserved' })]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the reservation expires after module 1, then modules 2 and 3 are voided and return to the learner, and module 1 stays paid', async () => {
    const e = await enrolledModular('40000', '50000');
    expect((await claimModule(e, 1, '10000')).body.status).toBe('approved');
    const enrolment = await h.database.pool.query(`select reservation_expires_at from enrolments where id = $1`, [e.enrolmentId]);
    advanceTo(h, new Date(new Date(enrolment.rows[0].reservation_expires_at).getTime() + 1000));
    await sweepEnrolments(h.deps);
    expect(await moneyOf(h, world, e)).toMatchObject({ enrolmentStatus: 'expired', postPendingSum: '10000', stillPending: '0' });
    expect(await account(e)).toMatchObject({ available: '40000', reserved: '0', spent: '10000' });
    const late = await claimModule(e, 2, '12000');
    expect(late.status).toBe(409);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when 10 claims for the same module race on real connections, then exactly one is live and the module is paid once', async () => {
    const e = await enrolledModular('40000', '50000');
    const credentials = await Promise.all(Array.from({ length: 10 }, () => moduleCredential(e, 2)));
    const results = await Promise.all(credentials.map((credential) =>
      submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, module: 2, amount: '12000', credential })));
    expect(results.filter((r) => r.status === 201 && r.body.status === 'approved')).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    expect((await claimRows(h, e.enrolmentId)).filter((c) => c.status !== 'rejected')).toHaveLength(1);
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: '12000', stillPending: '28000', enrolmentStatus: 'reserved' });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a milestone claim is reversed, then only its module\'s leg goes back to the learner', async () => {
    const e = await enrolledModular('40000', '50000');
    expect((await claimModule(e, 1, '10000')).body.status).toBe('approved');
    const second = await claimModule(e, 2, '12000');
    expect(second.body.status).toBe('approved');
    const reversed = await (await officer('officer-a')).post(`/v1/claims/${second.body.id}/reversal`, { reasonCode: 'no_completion', reason: 'module 2 was not assessed' });
    expect(reversed.status, reversed.text).toBeLessThan(300);
    if (reversed.status === 202) {
      const ok = await (await officer('officer-b')).post(`/v1/approvals/${reversed.body.approval.id}/approve`, {});
      expect(ok.status, ok.text).toBe(200);
    }
    // Module 2's 12000 is back with the learner; module 1 stays paid and module 3 stays reserved.
    expect(await account(e)).toMatchObject({ available: '22000', reserved: '18000' });
    expect(await payableOwes(e)).toBe(10000n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when module 1 of a course that completed a pathway is reversed by two officers, then the course is no longer complete and the stacked credential verifies as revoked', async () => {
    const pathway = await world.api.post('/v1/pathways', {
      schemeId: world.scheme.id, code: `MODREV-${randomUUID().slice(0, 6).toUpperCase()}`, name: 'Modular analyst (reversal)', description: 'The modular course or the plain one',
      courseIds: [modularCourseId, world.courseId], rule: { kind: 'k_of_n', k: 1 },
      award: { achievement: { name: 'Analyst (stacked)', description: 'Completed the modular data course' } },
    });
    expect(pathway.status, pathway.text).toBe(201);
    // A fee large enough that module 1's share (200000) is above the four-eyes amount: its reversal takes two officers.
    const e = await enrolledModular('800000', '900000');
    const claims: string[] = [];
    for (const [i, share] of ['200000', '240000', '360000'].entries()) {
      const res = await claimModule(e, i + 1, share);
      expect(res.body.status, res.text).toBe('approved');
      claims.push(res.body.id);
    }
    const progress = async () => ((await asCitizen(h, e.learner.token).get('/v1/learners/me/pathways')).body.items as Record<string, any>[])
      .find((p) => p.pathway.id === pathway.body.id)!;
    const done = await progress();
    expect(done.completed).toBe(true);
    const verify = async () => (await request(h.app).post('/v1/public/credential-verifications').send({ credential: done.completion.credential })).body as
      { verified: boolean; checks: { check: string; passed: boolean; reason?: string }[] };
    expect((await verify()).verified).toBe(true);

    const proposed = await (await officer('officer-a')).post(`/v1/claims/${claims[0]}/reversal`, { reasonCode: 'no_completion', reason: 'module 1 was never assessed' });
    expect(proposed.status, proposed.text).toBe(202);
    expect((await verify()).verified).toBe(true);
    const approved = await (await officer('officer-b')).post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);

    const answer = await verify();
    expect(answer.verified).toBe(false);
    expect(answer.checks.find((c) => c.check === 'revocation')).toMatchObject({ passed: false, reason: 'revoked' });
    // With no course of the pathway complete any more, the learner's progress no longer lists it as done.
    expect((await progress())?.completed ?? false).toBe(false);
    expect(await count(`select count(*) n from pathway_completions where id = $1 and revoked_at is not null`, [done.completion.id])).toBe(1);
    expect(await count(`select count(*) n from audit_events where action = 'pathway_credential.revoked' and entity_id = $1`, [done.completion.id])).toBe(1);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a claim names no module, a module that does not exist, or a module of a plain course, then 422 names body.module and nothing changes', async () => {
    const e = await enrolledModular('40000', '50000');
    const before = await moneyOf(h, world, e);
    for (const module of [undefined, 4]) {
      const res = await claimModule(e, module, '1000');
      expect(res.status, res.text).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.module' })]);
    }
    expect(await moneyOf(h, world, e)).toEqual(before);
    expect(await claimRows(h, e.enrolmentId)).toHaveLength(0);

    const runId = await world.run('30000', { startsInDays: 1 });
    const learner = await world.learnerWithCredit('50000');
    const plain = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(plain.status).toBe(201);
    const res = await submitClaim(h, world.providerToken, { enrolmentId: plain.body.id, module: 1, amount: '1000', credential: await moduleCredential(e, 1) });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.module', message: expect.stringContaining('not modular') })]);
    expect(await claimRows(h, plain.body.id)).toHaveLength(0);
  });
});

describe('milestone claims under any split', () => {
  const splits = fc
    .uniqueArray(fc.integer({ min: 1, max: 9_999 }), { minLength: 1, maxLength: 4 })
    .map((cuts) => [...cuts.sort((a, b) => a - b), 10_000].map((c, i, all) => c - (i === 0 ? 0 : all[i - 1]!)));

  it('when a modular course of random shares is claimed module by module for random amounts, then grant = available + reserved + spent, nothing is overspent and the books stay sound', async () => {
    await fc.assert(
      fc.asyncProperty(
        splits, fc.integer({ min: 100, max: 200_000 }), fc.integer({ min: 0, max: 50_000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
        async (shares, fee, extraCredit, fractions) => {
          const own = shares.map((shareBps, i) => ({ title: `Module ${i + 1}`, achievementId: `urn:academy:achievement:${randomUUID()}`, shareBps }));
          const course = await newCourse({ modules: own });
          expect(course.status, course.text).toBe(201);
          expect((await world.api.post(`/v1/courses/${course.body.id}/approvals`, { schemeId: world.scheme.id })).status).toBeLessThan(300);
          const credit = fee + extraCredit;
          const e = await enrolledModular(String(fee), String(credit), course.body.id);
          const legs = (await request(h.app).get(`/v1/enrolments/${e.enrolmentId}`).set('authorization', `Bearer ${world.providerToken}`)).body.legs as { module: number; amount: string }[];
          expect(legs.reduce((s, l) => s + BigInt(l.amount), 0n)).toBe(BigInt(e.reserved));
          const payableBefore = await payableCredits(h, world.providerId);
          let spent = 0n;
          for (const [i] of own.entries()) {
            const share = legs.filter((l) => l.module === i + 1).reduce((s, l) => s + BigInt(l.amount), 0n);
            const amount = BigInt(Math.max(1, Math.floor(Number(share) * fractions[i]!)));
            const res = await submitClaim(h, world.providerToken, {
              enrolmentId: e.enrolmentId, module: i + 1, amount: amount.toString(), credential: await moduleCredential(e, i + 1, { id: course.body.id, modules: own }),
            });
            if (share === 0n) {
              expect(res.status).toBe(422);
              continue;
            }
            expect(res.body.status, res.text).toBe('approved');
            spent += amount;
            const totals = await account(e);
            expect(BigInt(totals.available) + BigInt(totals.reserved) + BigInt(totals.spent)).toBe(BigInt(credit));
            expect(BigInt(totals.spent)).toBe(spent);
            expect(BigInt(totals.spent) <= BigInt(e.reserved)).toBe(true);
          }
          expect(await payableCredits(h, world.providerId)).toBe(payableBefore + spent);
          expect(await ledgerViolations(h.database.db)).toEqual([]);
        },
      ),
      { numRuns: 6 },
    );
  });
});
