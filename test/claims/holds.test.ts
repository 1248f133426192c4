import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { runMaintenance } from '../../src/maintenance.js';
import { holdWords } from '../../src/modules/claims/hold-reasons.js';
import {
  advanceTo, credentialPayload, DAY, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Enrolled, type Signer, type World,
} from './credential-fixtures.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';

/**
 * Every hold on a claim tells the provider why (a code and words) and by
 * when it will be decided (the scheme's holdDecisionDays); a hold past its
 * deadline is escalated by the sweep, shows in the holds report, and can no
 * longer be decided by whoever handled it before.
 */

const h = useHarness({ poolSize: 20 });
/** Rules without holdDecisionDays: the default of 10 days. */
let plain: World;
let plainSigner: Signer;
/** holdDecisionDays: 3. */
let quick: World;
let quickSigner: Signer;

beforeAll(async () => {
  plain = await catalogue(h);
  plainSigner = await registerSigner(h, plain);
  quick = await catalogue(h, { rules: { holdDecisionDays: 3 } });
  quickSigner = await registerSigner(h, quick);
});

const at = (iso: string, plusDays: number) => new Date(new Date(iso).getTime() + plusDays * DAY).toISOString();

const officer = async (sub: string, role: 'finance' | 'admin' = 'finance') => {
  const token = await h.token(role, { sub });
  const post = (path: string, body: unknown) =>
    request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object);
  return {
    post,
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
    decide: (claimId: string, decision: 'approve' | 'reject', reason = 'checked the attendance sheets') => post(`/v1/claims/${claimId}/decision`, { decision, reason }),
    flag: (claimId: string, reason: string) => post(`/v1/claims/${claimId}/flag`, { reason }),
    approve: (approvalId: string) => post(`/v1/approvals/${approvalId}/approve`, {}),
    reject: (approvalId: string, note: string) => post(`/v1/approvals/${approvalId}/reject`, { note }),
  };
};

/** The claim as its provider sees it, one by id and in its list. */
async function providerView(w: World, claimId: string) {
  const one = await request(h.app).get(`/v1/claims/${claimId}`).set('authorization', `Bearer ${w.providerToken}`);
  expect(one.status, one.text).toBe(200);
  const list = await request(h.app).get('/v1/claims?limit=100').set('authorization', `Bearer ${w.providerToken}`);
  expect(list.status, list.text).toBe(200);
  expect(list.body.items.find((c: { id: string }) => c.id === claimId)?.hold, 'the list shows the same hold').toEqual(one.body.hold);
  return one.body;
}

async function approvedClaim(w: World, s: Signer): Promise<{ e: Enrolled; claim: { id: string; submittedAt: string; amountClaimed: string } }> {
  const e = await enrolled(h, w, { fee: '30000', credit: '50000' });
  advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
  const res = await submitClaim(h, w.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await signCredential(credentialPayload(factsFor(w, e, h)), s) });
  expect(res.status, res.text).toBe(201);
  expect(res.body).toMatchObject({ status: 'approved', hold: null });
  return { e, claim: res.body };
}

/** Completion issued mid-run: the automatic checks send it to review. */
async function claimInReview(w: World, s: Signer) {
  const e = await enrolled(h, w, { fee: '30000', credit: '50000' });
  advanceTo(h, new Date(e.startsAt.getTime() + DAY));
  const res = await submitClaim(h, w.providerToken, {
    enrolmentId: e.enrolmentId, amount: e.reserved,
    credential: await signCredential(credentialPayload(factsFor(w, e, h, { validFrom: new Date(h.clock.now().getTime() - HOUR) })), s),
  });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('in_review');
  return { e, claim: res.body as { id: string; submittedAt: string; hold: unknown } };
}

const setProviderStatus = async (w: World, status: 'suspended' | 'active', reason: string, sub = 'admin-suspends') =>
  request(h.app).patch(`/v1/providers/${w.providerId}`).set('authorization', `Bearer ${await h.token('admin', { sub })}`)
    .set('idempotency-key', randomUUID()).send({ status, reason });

const escalationEvents = async (claimId: string) =>
  (await h.database.pool.query(`select actor_id, details from audit_events where entity_id = $1 and action = 'claim.hold_escalated'`, [claimId])).rows;

describe('GET /v1/claims/{claimId}: every hold says why and by when', () => {
  it('when the automatic checks send a claim to review, then the provider sees completed_before_run_end, its words and a deadline 10 days (the default) after submission', async () => {
    const { e, claim } = await claimInReview(plain, plainSigner);
    const hold = { reasonCode: 'completed_before_run_end', reason: holdWords.completed_before_run_end, detail: null, since: claim.submittedAt, decideBy: at(claim.submittedAt, 10), escalated: false, escalatedAt: null };
    // Shown at once, in the answer to the submission.
    expect(claim.hold).toEqual(hold);
    expect((await providerView(plain, claim.id)).hold).toEqual(hold);
    // The learner sees the same hold.
    const mine = await asCitizen(h, e.learner.token).get('/v1/me/claims');
    expect(mine.body.items.find((c: { id: string }) => c.id === claim.id)?.hold).toEqual(hold);
  });

  it('when an officer flags an approved claim, then the provider sees flagged_by_officer with the reason, held from the flag, and the learner sees the words without the officer\'s reason', async () => {
    const { e, claim } = await approvedClaim(plain, plainSigner);
    h.clock.advance(3 * HOUR);
    const flaggedAt = h.clock.now().toISOString();
    const flagged = await (await officer('officer-a')).flag(claim.id, 'the trainer was on leave that week');
    expect(flagged.status, flagged.text).toBe(200);
    const hold = {
      reasonCode: 'flagged_by_officer', reason: `${holdWords.flagged_by_officer} Reason given: the trainer was on leave that week`,
      detail: 'the trainer was on leave that week', since: flaggedAt, decideBy: at(flaggedAt, 10), escalated: false, escalatedAt: null,
    };
    expect(flagged.body.hold).toEqual(hold);
    h.clock.advance(HOUR);
    // A second flag does not move the hold's start or its deadline.
    await (await officer('officer-b')).flag(claim.id, 'and the room was booked by another provider');
    expect((await providerView(plain, claim.id)).hold).toMatchObject({ reasonCode: 'flagged_by_officer', since: flaggedAt, decideBy: at(flaggedAt, 10) });
    const mine = await asCitizen(h, e.learner.token).get('/v1/me/claims');
    expect(mine.body.items.find((c: { id: string }) => c.id === claim.id)?.hold).toMatchObject({ reasonCode: 'flagged_by_officer', detail: null, reason: holdWords.flagged_by_officer });
    // Finance releases it: the hold is gone.
    const released = await (await officer('officer-c')).decide(claim.id, 'approve', 'leave records show the trainer was present');
    expect(released.status, released.text).toBe(200);
    expect(released.body).toMatchObject({ onHold: false, hold: null });
  });

  it('when the provider revokes the credential of an approved claim, then it sees credential_revoked with its own reason, held from the revocation', async () => {
    const { claim } = await approvedClaim(plain, plainSigner);
    h.clock.advance(2 * HOUR);
    const revokedAt = h.clock.now().toISOString();
    const credentialId = (await providerView(plain, claim.id)).credentialId;
    const revoked = await plain.asProvider('/v1/providers/me/revocations', { credentialId, reason: 'exam result annulled' });
    expect(revoked.status, revoked.text).toBe(201);
    expect((await providerView(plain, claim.id)).hold).toEqual({
      reasonCode: 'credential_revoked', reason: `${holdWords.credential_revoked} Reason given: exam result annulled`, detail: 'exam result annulled',
      since: revokedAt, decideBy: at(revokedAt, 10), escalated: false, escalatedAt: null,
    });
  });

  it('when a claim is neither in review nor held, then hold is null', async () => {
    const { claim } = await approvedClaim(plain, plainSigner);
    expect((await providerView(plain, claim.id)).hold).toBeNull();
  });
});

describe('PATCH /v1/providers/{providerId}: suspension holds the money, visibly', () => {
  it('when a provider is suspended, then its approved, unpaid claims show provider_suspended with the reason; when reinstated, the hold is gone and the next batch pays them', async () => {
    const w = await catalogue(h, { rules: { holdDecisionDays: 5 } });
    const s = await registerSigner(h, w);
    const { claim } = await approvedClaim(w, s);
    h.clock.advance(HOUR);
    const suspendedAt = h.clock.now().toISOString();
    const suspended = await setProviderStatus(w, 'suspended', 'investigation of claims from one centre');
    expect(suspended.status, suspended.text).toBe(200);
    expect((await h.database.pool.query(`select suspension_reason, suspended_by from providers where id = $1`, [w.providerId])).rows[0])
      .toEqual({ suspension_reason: 'investigation of claims from one centre', suspended_by: 'admin-suspends' });
    expect((await providerView(w, claim.id)).hold).toEqual({
      reasonCode: 'provider_suspended', reason: `${holdWords.provider_suspended} Reason given: investigation of claims from one centre`,
      detail: 'investigation of claims from one centre', since: suspendedAt, decideBy: at(suspendedAt, 5), escalated: false, escalatedAt: null,
    });
    // Finance sees it in the report too; the batch leaves it out.
    const report = await (await officer('officer-r')).get('/v1/reports/holds');
    expect(report.body.items.find((x: { claimId: string }) => x.claimId === claim.id)).toMatchObject({ reasonCode: 'provider_suspended', providerId: w.providerId });
    const other = await approvedClaim(plain, plainSigner);
    const held = await releasedBatch(h, { currency: 'SGD' });
    expect(held.lines.find((l) => l.providerId === plain.providerId)).toBeDefined();
    expect(held.lines.find((l) => l.providerId === w.providerId)).toBeUndefined();
    expect((await providerView(plain, other.claim.id)).hold).toBeNull();

    h.clock.advance(HOUR);
    const reinstated = await setProviderStatus(w, 'active', 'investigation closed, no finding');
    expect(reinstated.status, reinstated.text).toBe(200);
    expect((await providerView(w, claim.id)).hold).toBeNull();
    expect((await h.database.pool.query(`select suspension_reason, suspended_at from providers where id = $1`, [w.providerId])).rows[0])
      .toEqual({ suspension_reason: null, suspended_at: null });
    const next = await releasedBatch(h, { currency: 'SGD' });
    expect(next.lines.find((l) => l.providerId === w.providerId)).toMatchObject({ amount: claim.amountClaimed, status: 'pending' });
    expect((await providerView(w, claim.id)).hold).toBeNull();
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('the decision deadline follows the scheme', () => {
  it('when the scheme says holdDecisionDays 3, then a hold is due 3 days after it began', async () => {
    const { claim } = await claimInReview(quick, quickSigner);
    expect((await providerView(quick, claim.id)).hold).toMatchObject({ since: claim.submittedAt, decideBy: at(claim.submittedAt, 3) });
  });

  it('when the rules version the enrolment was judged by predates holdDecisionDays, then the default of 10 days applies and the rules still read', async () => {
    const w = await catalogue(h, { rules: { holdDecisionDays: 2 } });
    const s = await registerSigner(h, w);
    // Rules as a version written before the field existed.
    await h.database.pool.query(`update scheme_rule_versions set rules = rules - 'holdDecisionDays' where scheme_id = $1`, [w.scheme.id]);
    const scheme = await request(h.app).get(`/v1/schemes/${w.scheme.id}`).set('authorization', `Bearer ${w.api.admin}`);
    expect(scheme.status, scheme.text).toBe(200);
    expect(scheme.body.rules.holdDecisionDays).toBe(10);
    const { claim } = await claimInReview(w, s);
    expect((await providerView(w, claim.id)).hold).toMatchObject({ decideBy: at(claim.submittedAt, 10) });
  });

  it('when a scheme asks for holdDecisionDays 0, then 422 names the field', async () => {
    const res = await plain.api.post('/v1/schemes', { code: `T-${randomUUID().slice(0, 8)}`, name: 'Bad', country: 'SG', currency: 'SGD', rules: { holdDecisionDays: 0 } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((x: { path: string }) => x.path)).toContain('body.rules.holdDecisionDays');
  });
});

describe('runMaintenance: a hold past its deadline escalates', () => {
  it('when a hold passes its deadline, then the sweep escalates it once, audited, and the holds report lists it as overdue and escalated', async () => {
    const { claim } = await claimInReview(quick, quickSigner);
    const deadline = at(claim.submittedAt, 3);
    // At the deadline it is not yet overdue.
    advanceTo(h, new Date(deadline));
    await runMaintenance(h.deps);
    expect((await providerView(quick, claim.id)).hold).toMatchObject({ escalated: false, escalatedAt: null });
    expect(await escalationEvents(claim.id)).toEqual([]);

    h.clock.advance(60_000);
    const escalatedAt = h.clock.now().toISOString();
    const first = await runMaintenance(h.deps);
    expect(first.holdsEscalated).toBeGreaterThanOrEqual(1);
    h.clock.advance(HOUR);
    await runMaintenance(h.deps);
    expect((await providerView(quick, claim.id)).hold).toMatchObject({ reasonCode: 'completed_before_run_end', decideBy: deadline, escalated: true, escalatedAt });
    const events = await escalationEvents(claim.id);
    expect(events).toEqual([
      { actor_id: 'system:hold-sweep', details: { reasonCode: 'completed_before_run_end', heldSince: claim.submittedAt, decideBy: deadline, handledBy: [] } },
    ]);

    const f = await officer('officer-r');
    const report = await f.get('/v1/reports/holds');
    expect(report.status, report.text).toBe(200);
    expect(report.body.items.find((x: { claimId: string }) => x.claimId === claim.id)).toEqual({
      claimId: claim.id, providerId: quick.providerId, providerName: expect.any(String), claimStatus: 'in_review', amount: '30000', currency: 'SGD',
      reasonCode: 'completed_before_run_end', reason: holdWords.completed_before_run_end, detail: null, since: claim.submittedAt, decideBy: deadline,
      overdue: true, escalated: true, escalatedAt, handledBy: [],
    });
    const listed = report.body.items as { overdue: boolean; escalated: boolean; decideBy: string }[];
    expect(report.body.open).toBe(listed.length);
    expect(report.body.overdue).toBe(listed.filter((x) => x.overdue).length);
    expect(report.body.overdue).toBeGreaterThanOrEqual(1);
    expect(report.body.escalated).toBe(listed.filter((x) => x.escalated).length);
    expect(listed.map((x) => x.decideBy)).toEqual([...listed.map((x) => x.decideBy)].sort());
    const onlyEscalated = await f.get('/v1/reports/holds?escalated=true');
    expect(onlyEscalated.body.items.every((x: { escalated: boolean }) => x.escalated)).toBe(true);
    expect(onlyEscalated.body.items.map((x: { claimId: string }) => x.claimId)).toContain(claim.id);
    expect((await f.get('/v1/reports/holds?escalated=false')).body.items.map((x: { claimId: string }) => x.claimId)).not.toContain(claim.id);

    const csv = await f.get('/v1/reports/holds?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('claim_id,provider_id,provider_name,claim_status,amount,currency,reason_code,reason,since,decide_by,overdue,escalated,escalated_at,handled_by');
    expect(lines.find((l) => l.startsWith(claim.id))).toContain(`${deadline},true,true,${escalatedAt}`);

    // Providers and learners do not read reports.
    expect((await request(h.app).get('/v1/reports/holds').set('authorization', `Bearer ${quick.providerToken}`)).status).toBe(403);
  });

  it('when an escalated hold was flagged by two officers, then neither may decide it (403 four_eyes_required) and a third officer does', async () => {
    const { claim } = await approvedClaim(quick, quickSigner);
    const a = await officer('officer-flags');
    const b = await officer('officer-flags-again');
    expect((await a.flag(claim.id, 'the trainer was on leave that week')).status).toBe(200);
    // Before escalation, the second flagger may still decide.
    expect((await b.flag(claim.id, 'and nobody signed the register')).status).toBe(200);
    h.clock.advance(3 * DAY + 60_000);
    await runMaintenance(h.deps);
    expect((await providerView(quick, claim.id)).hold).toMatchObject({ reasonCode: 'flagged_by_officer', escalated: true });
    expect((await escalationEvents(claim.id))[0].details.handledBy).toEqual(['officer-flags', 'officer-flags-again']);

    for (const who of [a, b]) {
      const refused = await who.decide(claim.id, 'approve', 'the register turned up');
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body.code).toBe('four_eyes_required');
    }
    expect((await providerView(quick, claim.id)).hold).toMatchObject({ escalated: true });
    const c = await officer('officer-escalation');
    const decided = await c.decide(claim.id, 'approve', 'the register turned up');
    expect(decided.status, decided.text).toBe(200);
    expect(decided.body).toMatchObject({ onHold: false, decidedBy: 'officer-escalation', hold: null });
    expect((await c.get('/v1/reports/holds')).body.items.map((x: { claimId: string }) => x.claimId)).not.toContain(claim.id);
  });

  it('when an escalated review hold had a decision proposed and rejected, then neither of those officers may propose or approve a decision; two fresh officers decide it', async () => {
    const { e, claim } = await claimInReview(quick, quickSigner);
    const proposer = await officer('officer-proposes');
    const rejecter = await officer('officer-rejects');
    const first = await proposer.decide(claim.id, 'approve');
    expect(first.status, first.text).toBe(202);
    expect((await rejecter.reject(first.body.approval.id, 'the attendance sheets are not signed')).status).toBe(200);
    advanceTo(h, new Date(new Date(at(claim.submittedAt, 3)).getTime() + 60_000));
    await runMaintenance(h.deps);
    const report = await rejecter.get('/v1/reports/holds?escalated=true');
    expect(report.body.items.find((x: { claimId: string }) => x.claimId === claim.id)?.handledBy).toEqual(['officer-proposes', 'officer-rejects']);

    for (const who of [proposer, rejecter]) {
      const refused = await who.decide(claim.id, 'approve');
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body.code).toBe('four_eyes_required');
    }
    const fresh = await officer('officer-fresh');
    const proposed = await fresh.decide(claim.id, 'approve', 'signed sheets received');
    expect(proposed.status, proposed.text).toBe(202);
    const byRejecter = await rejecter.approve(proposed.body.approval.id);
    expect(byRejecter.status).toBe(403);
    expect(byRejecter.body.code).toBe('four_eyes_required');
    const approved = await (await officer('officer-second')).approve(proposed.body.approval.id);
    expect(approved.status, approved.text).toBe(200);
    expect((await providerView(quick, claim.id))).toMatchObject({ status: 'approved', hold: null });
    const paid = await h.database.pool.query(`select count(*)::int n from ledger_transfers where reference_id = $1 and kind = 'post_pending'`, [e.enrolmentId]);
    expect(paid.rows[0].n).toBeGreaterThan(0);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a suspended provider\'s hold passes its deadline, then it escalates with the administrator who suspended as its handler', async () => {
    const w = await catalogue(h, { rules: { holdDecisionDays: 1 } });
    const s = await registerSigner(h, w);
    const { claim } = await approvedClaim(w, s);
    expect((await setProviderStatus(w, 'suspended', 'bank account under review', 'admin-escalates')).status).toBe(200);
    h.clock.advance(DAY + 60_000);
    await runMaintenance(h.deps);
    expect((await providerView(w, claim.id)).hold).toMatchObject({ reasonCode: 'provider_suspended', escalated: true });
    expect((await escalationEvents(claim.id))[0].details).toMatchObject({ reasonCode: 'provider_suspended', handledBy: ['admin-escalates'] });
    expect((await setProviderStatus(w, 'active', 'bank account confirmed')).status).toBe(200);
    expect((await providerView(w, claim.id)).hold).toBeNull();
  });
});
