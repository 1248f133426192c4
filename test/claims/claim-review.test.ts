import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { submitClaim as submitClaimService } from '../../src/modules/claims/claims.service.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import {
  advanceTo, credentialPayload, DAY, enrolled, factsFor, HOUR, moneyOf, payableCredits, registerSigner, signCredential, submitClaim,
  type CredentialFacts, type Enrolled, type Signer, type World,
} from './credential-fixtures.js';

const h = useHarness();
let world: World;
let signer: Signer;

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
});

const claim = (e: Enrolled, credential: string, over: Record<string, unknown> = {}, w: World = world) =>
  submitClaim(h, w.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential, ...over });
const validFor = (e: Enrolled, over: Partial<CredentialFacts> = {}, w: World = world, s: Signer = signer) =>
  signCredential(credentialPayload(factsFor(w, e, h, over)), s);
const finish = (...es: Enrolled[]) => advanceTo(h, new Date(Math.max(...es.map((e) => e.endsAt.getTime())) + 2 * HOUR));

const officer = async (sub: string, role: 'finance' | 'admin' = 'finance') => {
  const token = await h.token(role, { sub });
  return {
    decide: (claimId: string, decision: 'approve' | 'reject', reason = 'checked the attendance sheets') =>
      request(h.app).post(`/v1/claims/${claimId}/decision`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({ decision, reason }),
    flag: (claimId: string, reason = 'the trainer was on leave that week') =>
      request(h.app).post(`/v1/claims/${claimId}/flag`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({ reason }),
    approve: (approvalId: string) =>
      request(h.app).post(`/v1/approvals/${approvalId}/approve`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({}),
    get: (claimId: string) => request(h.app).get(`/v1/claims/${claimId}`).set('authorization', `Bearer ${token}`),
    list: (query: string) => request(h.app).get(`/v1/claims?${query}`).set('authorization', `Bearer ${token}`),
  };
};

/** The system sent the claim to review, so one officer proposes the decision and a second approves it. Returns the claim after. */
async function decidedByTwo(claimId: string, decision: 'approve' | 'reject', reason?: string, first = 'officer-a', second = 'officer-c') {
  const proposed = await (await officer(first)).decide(claimId, decision, reason);
  expect(proposed.status, proposed.text).toBe(202);
  expect(proposed.body.approval).toMatchObject({ kind: 'claim.review_decision', status: 'pending', proposedBy: first });
  const approved = await (await officer(second)).approve(proposed.body.approval.id);
  expect(approved.status, approved.text).toBe(200);
  return (await (await officer(second)).get(claimId)).body;
}

/** A claim whose completion predates the run's end: valid, but suspicious. */
async function earlyClaim() {
  const e = await enrolled(h, world, { fee: '30000', credit: '50000' });
  advanceTo(h, new Date(e.startsAt.getTime() + DAY)); // mid-run
  const before = await moneyOf(h, world, e);
  const res = await claim(e, await validFor(e, { validFrom: new Date(h.clock.now().getTime() - HOUR) }));
  expect(res.status).toBe(201);
  return { e, before, claim: res.body };
}

describe('completion before the run could have ended', () => {
  it('when the credential was issued before the run ended, then in_review with completed_before_run_end, enrolment claimed, no money moved', async () => {
    const { e, before, claim: c } = await earlyClaim();
    expect(c).toMatchObject({ status: 'in_review', reviewReasons: ['completed_before_run_end'], failedChecks: [], decidedBy: null, decidedAt: null });
    const after = await moneyOf(h, world, e);
    expect(after).toMatchObject({ enrolmentStatus: 'claimed', postPendingSum: '0', postPendingCount: 0, stillPending: e.reserved });
    expect({ available: after.available, reserved: after.reserved }).toEqual({ available: before.available, reserved: before.reserved });
    // While finance looks at it, the learner cannot pull the credit back.
    expect((await asCitizen(h, e.learner.token).post(`/v1/me/enrolments/${e.enrolmentId}/cancel`)).status).toBe(409);
    // And the provider cannot stack a second claim on it.
    const second = await claim(e, await validFor(e, { validFrom: new Date(h.clock.now().getTime() - HOUR) }));
    expect(second.status).toBe(409);
    expect((await (await officer('officer-a')).list('status=in_review')).body.items.map((x: { id: string }) => x.id)).toContain(c.id);
  });

  it('when finance approves it, then the claim is paid exactly and the enrolment completed', async () => {
    const { e, claim: c } = await earlyClaim();
    const payableBefore = await payableCredits(h, world.providerId);
    const res = await (await officer('officer-a')).decide(c.id, 'approve');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'in_review', approval: { status: 'pending', proposedBy: 'officer-a' } });
    // The officer who proposed the decision cannot carry it out: nothing is paid.
    const self = await (await officer('officer-a')).approve(res.body.approval.id);
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('four_eyes_required');
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingCount: 0, enrolmentStatus: 'claimed' });
    const approved = await (await officer('officer-c')).approve(res.body.approval.id);
    expect(approved.status, approved.text).toBe(200);
    expect((await (await officer('officer-c')).get(c.id)).body).toMatchObject({
      status: 'approved', decidedBy: 'officer-c', decisionReason: 'checked the attendance sheets', onHold: false,
    });
    const trail = (await h.database.pool.query(`select action, actor_id, details from audit_events where entity_id = $1 and action = 'claim.decision_approve'`, [c.id])).rows;
    expect(trail).toEqual([expect.objectContaining({ actor_id: 'officer-c', details: expect.objectContaining({ proposedBy: 'officer-a', approvedBy: 'officer-c' }) })]);
    expect(await moneyOf(h, world, e)).toMatchObject({ enrolmentStatus: 'completed', postPendingSum: e.reserved, stillPending: '0', reserved: '0', available: '20000' });
    expect(await payableCredits(h, world.providerId)).toBe(payableBefore + BigInt(e.reserved));
    expect(await ledgerViolations(h.database.db)).toEqual([]);
    // A decided claim cannot be decided again.
    const again = await (await officer('officer-b')).decide(c.id, 'approve');
    expect(again.status).toBe(409);
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingCount: 1 });
  });

  it('when finance rejects it, then the enrolment is reserved again, nothing is paid, and a corrected claim after the run is approved', async () => {
    const { e, before, claim: c } = await earlyClaim();
    expect(await decidedByTwo(c.id, 'reject', 'no attendance evidence')).toMatchObject({ status: 'rejected', decidedBy: 'officer-c', decisionReason: 'no attendance evidence' });
    const after = await moneyOf(h, world, e);
    expect(after).toEqual({ ...before, enrolmentStatus: 'reserved' });
    expect(after.postPendingSum).toBe('0');
    finish(e);
    const corrected = await claim(e, await validFor(e));
    expect(corrected.body).toMatchObject({ status: 'approved' });
    expect((await moneyOf(h, world, e)).postPendingSum).toBe(e.reserved);
  });

  it('when someone other than finance tries to decide, then 403 and the claim stays in review', async () => {
    const { e, claim: c } = await earlyClaim();
    for (const token of [world.providerToken, await h.token('admin'), e.learner.token]) {
      const res = await request(h.app).post(`/v1/claims/${c.id}/decision`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID())
        .send({ decision: 'approve', reason: 'looks fine to me' });
      expect(res.status).toBe(403);
    }
    expect((await (await officer('officer-a')).get(c.id)).body).toMatchObject({ status: 'in_review' });
    expect((await moneyOf(h, world, e)).postPendingCount).toBe(0);
  });

  it('when the provider revokes the credential while the claim is in review, then finance can no longer approve it and nothing is paid', async () => {
    const { e, claim: c } = await earlyClaim();
    const revoked = await world.asProvider('/v1/providers/me/revocations', { credentialId: c.credentialId, reason: 'learner did not finish' });
    expect(revoked.status).toBe(201);
    expect(revoked.body.claimsFlagged).toEqual([c.id]);
    const approve = await (await officer('officer-b')).decide(c.id, 'approve');
    expect(approve.status).toBe(409);
    expect(approve.body.reasons).toContain('credential_revoked');
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingCount: 0, enrolmentStatus: 'claimed' });
    expect(await decidedByTwo(c.id, 'reject', 'credential revoked by the provider', 'officer-b')).toMatchObject({ status: 'rejected' });
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingCount: 0, enrolmentStatus: 'reserved', reserved: e.reserved });
  });
});

describe('bursts of claims from one provider', () => {
  it('when a provider submits more claims in an hour than the policy allows, then the next goes to review; an hour later it is paid at once again', async () => {
    const burst = await catalogue(h);
    const key = await registerSigner(h, burst);
    const es: Enrolled[] = [];
    for (let i = 0; i < 5; i++) es.push(await enrolled(h, burst, { fee: '1000', credit: '5000' }));
    finish(...es);
    const tight = { ...h.deps, policy: { claimBurstPerHour: 2 } };
    const acting = { actor: { role: 'provider' as const, subject: `provider-${burst.providerId}` } };
    const viaService = async (deps: typeof h.deps, e: Enrolled) =>
      submitClaimService(deps, h.database.db, burst.providerId, {
        enrolmentId: e.enrolmentId, amount: BigInt(e.reserved), credential: await validFor(e, {}, burst, key),
      }, acting);

    for (const e of es.slice(0, 2)) expect((await claim(e, await validFor(e, {}, burst, key), {}, burst)).body.status).toBe('approved');
    // Under the default policy a third claim this hour is fine...
    expect((await viaService(h.deps, es[2]!)).status).toBe('approved');
    // ...under a policy of 2 an hour it is held for review, and no money moves.
    const held = await viaService(tight, es[3]!);
    expect(held).toMatchObject({ status: 'in_review', reviewReasons: ['provider_claim_burst'] });
    expect(await moneyOf(h, burst, es[3]!)).toMatchObject({ enrolmentStatus: 'claimed', postPendingCount: 0 });
    h.clock.advance(HOUR + 1000);
    expect((await viaService(tight, es[4]!)).status).toBe('approved');
  });
});

describe('overlapping completions', () => {
  it('when one learner completes two overlapping runs on the same day, then the second claim goes to review', async () => {
    const learner = await world.learnerWithCredit('100000');
    const a = await enrolled(h, world, { learner, startsInDays: 1 });
    const b = await enrolled(h, world, { learner, startsInDays: 2 });
    expect(a.endsAt > b.startsAt && b.endsAt > a.startsAt).toBe(true);
    finish(a, b);
    const issued = new Date(h.clock.now().getTime() - 30 * 60_000);
    expect((await claim(a, await validFor(a, { validFrom: issued }))).body).toMatchObject({ status: 'approved' });
    const second = await claim(b, await validFor(b, { validFrom: issued }));
    expect(second.body).toMatchObject({ status: 'in_review', reviewReasons: ['overlapping_completions'] });
    expect(await moneyOf(h, world, b)).toMatchObject({ enrolmentStatus: 'claimed', postPendingCount: 0 });
  });

  it('when the runs do not overlap, then same-day completions are both paid at once', async () => {
    const learner = await world.learnerWithCredit('100000');
    const a = await enrolled(h, world, { learner, startsInDays: 1 });
    const b = await enrolled(h, world, { learner, startsInDays: 5 });
    expect(a.endsAt <= b.startsAt).toBe(true);
    finish(a, b);
    const issued = new Date(h.clock.now().getTime() - 30 * 60_000);
    expect((await claim(a, await validFor(a, { validFrom: issued }))).body.status).toBe('approved');
    expect((await claim(b, await validFor(b, { validFrom: issued }))).body.status).toBe('approved');
  });
});

describe('four eyes', () => {
  async function approvedClaim() {
    const e = await enrolled(h, world);
    finish(e);
    const res = await claim(e, await validFor(e));
    expect(res.body.status).toBe('approved');
    return { e, claim: res.body };
  }

  it('when officer A flags an approved claim, then it is held, A cannot decide it, and officer B releases it', async () => {
    const { claim: c } = await approvedClaim();
    const a = await officer('officer-a');
    const b = await officer('officer-b');
    const flagged = await a.flag(c.id);
    expect(flagged.status).toBe(200);
    expect(flagged.body).toMatchObject({ status: 'approved', onHold: true, flagReason: 'the trainer was on leave that week' });
    expect(flagged.body.reviewReasons).toContain('flagged_by_officer');
    expect((await a.list('onHold=true')).body.items.map((x: { id: string }) => x.id)).toContain(c.id);

    const self = await a.decide(c.id, 'approve');
    expect(self.status).toBe(403);
    expect((await a.get(c.id)).body).toMatchObject({ onHold: true, decidedBy: 'system:automatic-checks' });

    // An approved claim was already posted: B may release it, not reject it.
    const rejectPosted = await b.decide(c.id, 'reject');
    expect(rejectPosted.status).toBe(409);
    const released = await b.decide(c.id, 'approve', 'leave records show the trainer was present');
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ status: 'approved', onHold: false, decidedBy: 'officer-b' });
  });

  it('when a second officer flags the claim again, then the first flagger still cannot decide it', async () => {
    const { claim: c } = await approvedClaim();
    const a = await officer('officer-a');
    const b = await officer('officer-b');
    expect((await a.flag(c.id)).status).toBe(200);
    expect((await b.flag(c.id)).status).toBe(200);
    expect((await a.decide(c.id, 'approve')).status).toBe(403);
    expect((await a.get(c.id)).body).toMatchObject({ onHold: true });
  });

  it('when an admin flags a claim, then a finance officer decides it', async () => {
    const { claim: c } = await approvedClaim();
    expect((await (await officer('admin-1', 'admin')).flag(c.id)).body).toMatchObject({ onHold: true });
    expect((await (await officer('officer-a')).decide(c.id, 'approve')).body).toMatchObject({ onHold: false, decidedBy: 'officer-a' });
  });

  it('when officer A flags a claim in review, then only another officer can decide it', async () => {
    const { e, claim: c } = await earlyClaim();
    const a = await officer('officer-a');
    expect((await a.flag(c.id)).status).toBe(200);
    expect((await a.decide(c.id, 'approve')).status).toBe(403);
    expect((await moneyOf(h, world, e)).postPendingCount).toBe(0);
    // The flagger can approve the proposal of another officer no more than decide it.
    const proposed = await (await officer('officer-b')).decide(c.id, 'approve');
    expect(proposed.status).toBe(202);
    expect((await a.approve(proposed.body.approval.id)).status).toBe(403);
    expect((await (await officer('officer-c')).approve(proposed.body.approval.id)).status).toBe(200);
    expect((await moneyOf(h, world, e)).postPendingSum).toBe(e.reserved);
  });

  it('when an approved claim that is not on hold is decided, then 409; a rejected claim cannot be flagged', async () => {
    const { claim: c } = await approvedClaim();
    expect((await (await officer('officer-a')).decide(c.id, 'approve')).status).toBe(409);
    const e = await enrolled(h, world);
    finish(e);
    const rejected = await claim(e, await validFor(e, { courseId: randomUUID() }));
    expect(rejected.body.status).toBe('rejected');
    expect((await (await officer('officer-a')).flag(rejected.body.id)).status).toBe(409);
  });

  it('when a provider flags a claim, then 403', async () => {
    const { claim: c } = await approvedClaim();
    const res = await request(h.app)
      .post(`/v1/claims/${c.id}/flag`)
      .set('authorization', `Bearer ${world.providerToken}`)
      .set('idempotency-key', randomUUID())
      .send({ reason: 'please hold it' });
    expect(res.status).toBe(403);
    expect((await (await officer('officer-a')).get(c.id)).body.onHold).toBe(false);
  });
});

describe('revocation after approval', () => {
  it('when the provider revokes a credential after its claim was approved, then the claim is flagged and held for finance', async () => {
    const e = await enrolled(h, world);
    finish(e);
    const approved = await claim(e, await validFor(e));
    expect(approved.body).toMatchObject({ status: 'approved', onHold: false });
    const revoked = await world.asProvider('/v1/providers/me/revocations', { credentialId: approved.body.credentialId, reason: 'exam result annulled' });
    expect(revoked.status).toBe(201);
    expect(revoked.body).toMatchObject({ credentialId: approved.body.credentialId, claimsFlagged: [approved.body.id] });
    const after = (await (await officer('officer-a')).get(approved.body.id)).body;
    expect(after).toMatchObject({ status: 'approved', onHold: true });
    expect(after.flagReason).toMatch(/revoked/);
    expect(after.flagReason).toContain('exam result annulled');
    // Revoking again is harmless; another provider revoking the same id flags nothing of ours.
    const other = await catalogue(h);
    expect((await other.asProvider('/v1/providers/me/revocations', { credentialId: approved.body.credentialId, reason: 'not ours' })).body.claimsFlagged).toEqual([]);
  });

  it('when the system held a claim on a revocation, then releasing it for payment takes two officers', async () => {
    const e = await enrolled(h, world);
    finish(e);
    const approved = await claim(e, await validFor(e));
    await world.asProvider('/v1/providers/me/revocations', { credentialId: approved.body.credentialId, reason: 'issued by mistake' });
    const held = (await (await officer('officer-a')).get(approved.body.id)).body;
    expect(held).toMatchObject({ status: 'approved', onHold: true });
    expect(await decidedByTwo(approved.body.id, 'approve', 'the provider confirmed the learner completed')).toMatchObject({ status: 'approved', onHold: false, decidedBy: 'officer-c' });
  });
});

describe('revocation racing a claim', () => {
  it('when the provider revokes a credential while its claim is being submitted, then the claim is either rejected as revoked or held for finance, never paid unflagged', async () => {
    const outcomes = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const e = await enrolled(h, world, { fee: '1000', credit: '5000' });
      finish(e);
      const id = `urn:uuid:${randomUUID()}`;
      const jws = await validFor(e, { id });
      const [claimed, revoked] = await Promise.all([
        claim(e, jws),
        world.asProvider('/v1/providers/me/revocations', { credentialId: id, reason: 'issued to the wrong learner' }),
      ]);
      expect(claimed.status).toBe(201);
      expect(revoked.status).toBe(201);
      const now = (await (await officer('officer-a')).get(claimed.body.id)).body;
      if (now.status === 'approved') {
        expect(now.onHold, `claim ${now.id} was paid on a revoked credential without a hold`).toBe(true);
        expect(revoked.body.claimsFlagged).toEqual([now.id]);
        outcomes.add('approved-held');
      } else {
        expect(now).toMatchObject({ status: 'rejected', failedChecks: ['credential_revoked'] });
        expect((await moneyOf(h, world, e)).postPendingCount).toBe(0);
        outcomes.add('rejected');
      }
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
