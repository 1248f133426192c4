import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { selfEnrol, sweepEnrolments } from '../../src/modules/enrolments/enrolments.service.js';
import {
  advanceTo, approvedClaimIn, credentialPayload, DAY, enrolled, factsFor, HOUR, newSigner, registerSigner, signCredential, subjectIdOf, submitClaim,
  type Enrolled, type Signer, type World,
} from '../claims/credential-fixtures.js';
import { statementCsv, statementLine } from '../recoveries/payout-world.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { financeAs, proposedBatch, releaseBatch, releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';

const h = useHarness({ poolSize: 20 });
let world: World;
let signer: Signer;

/** A learner whose name and national id must never reach an event. */
const PERSON = { fullName: 'Siti Nurhaliza Binte Rahman', nationalId: nextNric() };
let person: { id: string; token: string };

beforeAll(async () => {
  world = await catalogue(h, { rules: { incentive: { amount: '2500', requiresRating: false } } });
  signer = await registerSigner(h, world);
  const budget = await financeAs(h, 'officer-budget').post(`/v1/schemes/${world.scheme.id}/incentive-allocations`, { amount: '1000000' });
  expect(budget.status, budget.text).toBe(201);
  const learner = await world.api.learner({ ...PERSON, dateOfBirth: '1987-05-01' });
  expect((await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '200000' })).status).toBe(201);
  person = { id: learner.id, token: await h.token('citizen', { learnerId: learner.id }) };
});

interface EventRow {
  type: string;
  subject_type: string;
  subject_id: string;
  learner_id: string | null;
  provider_id: string | null;
  scheme_id: string | null;
  data: Record<string, unknown>;
}

const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as T[];
const eventsAbout = (subjectId: string) =>
  q<EventRow>(`select type, subject_type, subject_id, learner_id, provider_id, scheme_id, data from outbox_events where subject_id = $1 order by seq`, [subjectId]);
const eventCount = async () => (await q<{ n: number }>(`select count(*)::int n from outbox_events`))[0]!.n;
const typesAbout = async (subjectId: string) => (await eventsAbout(subjectId)).map((e) => e.type);

const provider = () => world;

async function requested(learner: { id: string }, fee = '20000') {
  const runId = await world.run(fee);
  const res = await provider().asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(res.status, res.text).toBe(201);
  return { runId, enrolmentId: res.body.id as string };
}

describe('enrolment events', () => {
  it('when a provider requests an enrolment, then exactly one enrolment.requested names the learner, provider, scheme, run and amounts', async () => {
    const learner = await world.learnerWithCredit('50000');
    const { runId, enrolmentId } = await requested(learner);
    const events = await eventsAbout(enrolmentId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'enrolment.requested', subject_type: 'enrolment', learner_id: learner.id, provider_id: world.providerId, scheme_id: world.scheme.id,
      data: { enrolmentId, courseRunId: runId, status: 'requested', origin: 'provider_request', amount: '20000', fee: '20000', coPay: '0', currency: 'SGD', schemeIds: [world.scheme.id] },
    });
    expect(events[0]!.data.consentDeadline).toEqual(expect.any(String));
  });

  it('when the learner consents, then exactly one enrolment.consented with what was reserved; consenting again (409) records nothing', async () => {
    const learner = await world.learnerWithCredit('50000');
    const { enrolmentId } = await requested(learner, '15000');
    const consent = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${enrolmentId}/consent`);
    expect(consent.status, consent.text).toBe(200);
    expect(await typesAbout(enrolmentId)).toEqual(['enrolment.requested', 'enrolment.consented']);
    const [, consented] = await eventsAbout(enrolmentId);
    expect(consented).toMatchObject({
      learner_id: learner.id, provider_id: world.providerId, scheme_id: world.scheme.id,
      data: { enrolmentId, status: 'reserved', origin: 'provider_request', reserved: '15000', amount: '15000', currency: 'SGD' },
    });
    const before = await eventCount();
    const again = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${enrolmentId}/consent`);
    expect(again.status).toBe(409);
    expect(await eventCount()).toBe(before);
  });

  it('when a learner enrols themselves, then it is enrolment.consented at once, with no request before it', async () => {
    const learner = await world.learnerWithCredit('50000');
    const runId = await world.run('12000');
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    expect(res.status, res.text).toBe(201);
    const events = await eventsAbout(res.body.id);
    expect(events.map((e) => e.type)).toEqual(['enrolment.consented']);
    expect(events[0]!.data).toMatchObject({ origin: 'self', reserved: '12000', courseRunId: runId });
  });

  it('when the learner declines, then enrolment.declined with its reason code and nothing released', async () => {
    const learner = await world.learnerWithCredit('50000');
    const { enrolmentId } = await requested(learner);
    expect((await asCitizen(h, learner.token).post(`/v1/me/enrolments/${enrolmentId}/decline`)).status).toBe(200);
    const events = await eventsAbout(enrolmentId);
    expect(events.map((e) => e.type)).toEqual(['enrolment.requested', 'enrolment.declined']);
    expect(events[1]!.data).toMatchObject({ status: 'declined', reasonCode: 'declined_by_learner', released: '0', was: 'requested' });
  });

  it('when the provider withdraws a reserved enrolment, then enrolment.withdrawn carries what went back and its reason code, never the words the provider wrote', async () => {
    const learner = await world.learnerWithCredit('50000');
    const runId = await world.run('18000');
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    const words = 'the learner told our trainer she moved to Penang';
    const withdrawn = await provider().asProvider(`/v1/enrolments/${res.body.id}/withdraw`, { reason: words });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    const events = await eventsAbout(res.body.id);
    expect(events.map((e) => e.type)).toEqual(['enrolment.consented', 'enrolment.withdrawn']);
    expect(events[1]).toMatchObject({ scheme_id: world.scheme.id, data: { status: 'withdrawn', reasonCode: 'withdrawn_by_provider', released: '18000', was: 'reserved' } });
    expect(JSON.stringify(events[1]!.data)).not.toContain('Penang');
  });

  it('when the learner cancels, then enrolment.withdrawn with cancelled_by_learner; bad input (422) records nothing', async () => {
    const learner = await world.learnerWithCredit('50000');
    const runId = await world.run('9000');
    const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
    const before = await eventCount();
    expect((await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: 'not-a-uuid' })).status).toBe(422);
    expect((await provider().asProvider('/v1/enrolments', { learnerId: learner.id })).status).toBe(422);
    expect(await eventCount()).toBe(before);
    expect((await asCitizen(h, learner.token).post(`/v1/me/enrolments/${res.body.id}/cancel`)).status).toBe(200);
    expect((await eventsAbout(res.body.id))[1]!.data).toMatchObject({ reasonCode: 'cancelled_by_learner', released: '9000' });
  });

  it('when a refused request is made (not eligible, another provider\'s run), then no event is recorded', async () => {
    const broke = await world.learnerWithCredit('0');
    const before = await eventCount();
    const runId = await world.run('20000');
    const afterRun = await eventCount();
    expect(afterRun).toBe(before);
    const refused = await provider().asProvider('/v1/enrolments', { learnerId: broke.id, courseRunId: runId });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const other = await catalogue(h);
    const learner = await world.learnerWithCredit('50000');
    const countBefore = await eventCount();
    const foreign = await provider().asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: await other.run('1000') });
    expect(foreign.status).toBe(404);
    expect(await eventCount()).toBe(countBefore);
    expect((await q(`select 1 from outbox_events where learner_id = $1`, [broke.id])).length).toBe(0);
  });

  it('when the reserving transaction rolls back, then its enrolment.consented is gone with it', async () => {
    const learner = await world.learnerWithCredit('50000');
    const runId = await world.run('7000');
    const acting = { actor: { role: 'citizen' as const, subject: learner.id } };
    let enrolmentId = '';
    await expect(h.database.db.transaction(async (tx) => {
      enrolmentId = (await selfEnrol(h.deps, tx, learner.id, runId, acting)).row.id;
      expect((await tx.execute(sql`select 1 from outbox_events where subject_id = ${enrolmentId}`)).rows).toHaveLength(1);
      throw new Error('the caller failed after reserving');
    })).rejects.toThrow('the caller failed');
    expect(enrolmentId).not.toBe('');
    expect(await eventsAbout(enrolmentId)).toEqual([]);
  });

  it('when the sweep lapses an unanswered request and expires a reservation past its hold, then enrolment.lapsed and enrolment.expired, once each', async () => {
    const asker = await world.learnerWithCredit('50000');
    const { enrolmentId: unanswered } = await requested(asker, '5000');
    const holder = await world.learnerWithCredit('50000');
    const res = await asCitizen(h, holder.token).post('/v1/me/enrolments', { courseRunId: await world.run('6000') });
    const held = res.body.id as string;
    // The request's consent window and the reservation's hold both end an hour from now.
    const soon = new Date(h.clock.now().getTime() + HOUR).toISOString();
    await q(`update enrolments set consent_deadline = $2 where id = $1`, [unanswered, soon]);
    await q(`update enrolments set reservation_expires_at = $2 where id = $1`, [held, soon]);
    h.clock.advance(2 * HOUR);
    await sweepEnrolments(h.deps);
    await sweepEnrolments(h.deps);
    const lapsed = await eventsAbout(unanswered);
    expect(lapsed.map((e) => e.type)).toEqual(['enrolment.requested', 'enrolment.lapsed']);
    expect(lapsed[1]).toMatchObject({ learner_id: asker.id, provider_id: world.providerId, data: { status: 'expired', reasonCode: 'consent_lapsed', was: 'requested' } });
    const expired = await eventsAbout(held);
    expect(expired.map((e) => e.type)).toEqual(['enrolment.consented', 'enrolment.expired']);
    expect(expired[1]).toMatchObject({ scheme_id: world.scheme.id, data: { status: 'expired', reasonCode: 'reservation_timed_out', released: '6000', was: 'reserved' } });
  });
});

const finish = (e: Enrolled) => advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
const officer = (sub: string) => {
  const f = financeAs(h, sub);
  return {
    ...f,
    decide: (claimId: string, decision: 'approve' | 'reject') => f.post(`/v1/claims/${claimId}/decision`, { decision, reason: 'checked with Siti Nurhaliza in person' }),
    approve: (approvalId: string) => f.post(`/v1/approvals/${approvalId}/approve`, {}),
    flag: (claimId: string) => f.post(`/v1/claims/${claimId}/flag`, { reason: 'the trainer was on leave that week' }),
  };
};

describe('claim events', () => {
  it('when a claim passes every check, then exactly one claim.approved with the run, amount and scheme', async () => {
    const e = await enrolled(h, world, { fee: '30000', learner: person });
    finish(e);
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await signCredential(credentialPayload(factsFor(world, e, h)), signer) });
    expect(res.body.status, res.text).toBe('approved');
    const events = await eventsAbout(res.body.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'claim.approved', subject_type: 'claim', learner_id: person.id, provider_id: world.providerId, scheme_id: world.scheme.id,
      data: { claimId: res.body.id, enrolmentId: e.enrolmentId, courseRunId: e.runId, module: null, amount: '30000', currency: 'SGD', status: 'approved', failedChecks: [], reviewReasons: [] },
    });
  });

  it('when a milestone claim is approved, then claim.approved names its module and that module\'s amount', async () => {
    const modules = [
      { title: 'Module 1: Spreadsheets', achievementId: 'urn:academy:achievement:events-m1', shareBps: 2500 },
      { title: 'Module 2: Dashboards', achievementId: 'urn:academy:achievement:events-m2', shareBps: 7500 },
    ];
    const course = await world.asProvider('/v1/courses', { code: `M${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics (modular)', category: 'data-analytics', hours: 40, modules });
    expect(course.status, course.text).toBe(201);
    expect((await world.api.post(`/v1/courses/${course.body.id}/approvals`, { schemeId: world.scheme.id })).status).toBeLessThan(300);
    const startsAt = new Date(h.clock.now().getTime() + DAY);
    const run = await world.asProvider(`/v1/courses/${course.body.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 2 * DAY).toISOString(), fee: '40000', currency: 'SGD', capacity: 10,
    });
    expect(run.status, run.text).toBe(201);
    const learner = await world.learnerWithCredit('50000');
    const enrolment = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: run.body.id });
    expect(enrolment.status, enrolment.text).toBe(201);
    advanceTo(h, new Date(startsAt.getTime() + 2 * DAY + 2 * HOUR));
    const e = { enrolmentId: enrolment.body.id, subjectId: await subjectIdOf(h, world, learner.id) } as Enrolled;
    const payload = credentialPayload(factsFor(world, e, h, { courseId: course.body.id })) as { credentialSubject: { achievement: { id: string; name: string } } };
    payload.credentialSubject.achievement.id = modules[0]!.achievementId;
    payload.credentialSubject.achievement.name = modules[0]!.title;
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, module: 1, amount: '10000', credential: await signCredential(payload, signer) });
    expect(res.body.status, res.text).toBe('approved');
    expect(await eventsAbout(res.body.id)).toMatchObject([{ type: 'claim.approved', data: { module: 1, amount: '10000', enrolmentId: e.enrolmentId, courseRunId: run.body.id } }]);
  });

  it('when a claim fails its checks, then claim.rejected names the failed checks; a claim above the reservation (422) records nothing', async () => {
    const e = await enrolled(h, world, { fee: '10000' });
    finish(e);
    const before = await eventCount();
    const credential = await signCredential(credentialPayload(factsFor(world, e, h)), signer);
    const above = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: '10001', credential });
    expect(above.status).toBe(422);
    expect(await eventCount()).toBe(before);
    const forged = await signCredential(credentialPayload(factsFor(world, e, h)), await newSigner());
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: forged });
    expect(res.body.status, res.text).toBe('rejected');
    const events = await eventsAbout(res.body.id);
    expect(events.map((x) => x.type)).toEqual(['claim.rejected']);
    expect((events[0]!.data.failedChecks as string[]).length).toBeGreaterThan(0);
    expect(events[0]!.data.failedChecks).toEqual(res.body.failedChecks);
  });

  it('when a claim is sent to review and two officers approve it, then claim.review, nothing at the proposal, then claim.approved once', async () => {
    const e = await enrolled(h, world, { fee: '20000' });
    advanceTo(h, new Date(e.startsAt.getTime() + DAY));
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await signCredential(credentialPayload(factsFor(world, e, h)), signer) });
    expect(res.body.status, res.text).toBe('in_review');
    expect(await eventsAbout(res.body.id)).toMatchObject([{ type: 'claim.review', data: { status: 'in_review', reviewReasons: ['completed_before_run_end'] } }]);
    const proposed = await officer('officer-a').decide(res.body.id, 'approve');
    expect(proposed.status, proposed.text).toBe(202);
    expect(await typesAbout(res.body.id)).toEqual(['claim.review']);
    const approved = await officer('officer-c').approve(proposed.body.approval.id);
    expect(approved.status, approved.text).toBe(200);
    const events = await eventsAbout(res.body.id);
    expect(events.map((x) => x.type)).toEqual(['claim.review', 'claim.approved']);
    expect(events[1]!.data).toMatchObject({ status: 'approved', decidedBy: 'review', fourEyes: true, amount: '20000' });
    expect(JSON.stringify(events[1]!.data)).not.toContain('Siti');
  });

  it('when a claim in review is rejected by two officers, then claim.rejected', async () => {
    const e = await enrolled(h, world, { fee: '20000' });
    advanceTo(h, new Date(e.startsAt.getTime() + DAY));
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await signCredential(credentialPayload(factsFor(world, e, h)), signer) });
    const proposed = await officer('officer-a').decide(res.body.id, 'reject');
    expect((await officer('officer-c').approve(proposed.body.approval.id)).status).toBe(200);
    expect(await typesAbout(res.body.id)).toEqual(['claim.review', 'claim.rejected']);
  });

  it('when an officer flags an approved claim, then one claim.review (held); flagging again records nothing; the release is claim.approved', async () => {
    const { claim } = await approvedClaimIn(h, world, signer, { fee: '11000' });
    expect((await officer('officer-a').flag(claim.id)).status).toBe(200);
    expect((await officer('officer-b').flag(claim.id)).status).toBe(200);
    const events = await eventsAbout(claim.id);
    expect(events.map((x) => x.type)).toEqual(['claim.approved', 'claim.review']);
    expect(events[1]!.data).toMatchObject({ status: 'approved', onHold: true, reasonCode: 'flagged_by_officer' });
    expect(JSON.stringify(events[1]!.data)).not.toContain('leave');
    expect((await officer('officer-c').decide(claim.id, 'approve')).status).toBe(200);
    const after = await eventsAbout(claim.id);
    expect(after.map((x) => x.type)).toEqual(['claim.approved', 'claim.review', 'claim.approved']);
    expect(after[2]!.data).toMatchObject({ onHold: false, wasHeld: true });
  });

  it('when the provider revokes the credential of an approved claim, then claim.review (held, credential_revoked)', async () => {
    const e = await enrolled(h, world, { fee: '8000' });
    finish(e);
    const id = `urn:uuid:${randomUUID()}`;
    const res = await submitClaim(h, world.providerToken, {
      enrolmentId: e.enrolmentId, amount: e.reserved, credential: await signCredential(credentialPayload(factsFor(world, e, h, { id })), signer),
    });
    expect(res.body.status).toBe('approved');
    const revoked = await provider().asProvider('/v1/providers/me/revocations', { credentialId: id, reason: 'issued in error' });
    expect(revoked.status, revoked.text).toBeLessThan(300);
    const events = await eventsAbout(res.body.id);
    expect(events.map((x) => x.type)).toEqual(['claim.approved', 'claim.review']);
    expect(events[1]!.data).toMatchObject({ onHold: true, reasonCode: 'credential_revoked' });
  });
});

describe('payment, recovery and incentive events', () => {
  const importCsv = async (lines: string[]) =>
    request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${await h.token('finance', { sub: 'officer-imports' })}`)
      .set('idempotency-key', randomUUID()).type('text/csv').send(statementCsv(lines));

  let paidClaim: { id: string; enrolmentId: string; learnerId: string };
  let batch: Awaited<ReturnType<typeof releasedBatch>>;

  it('when the bank statement settles a line, then exactly one payment.settled names its claims, and each incentive it pays is incentive.paid', async () => {
    const { claim, enrolment } = await approvedClaimIn(h, world, signer, { fee: '40000' });
    const put = await request(h.app).put('/v1/learners/me/payee-account').set('authorization', `Bearer ${enrolment.learner.token}`).set('idempotency-key', randomUUID())
      .send({ kind: 'bank', accountName: 'TAN Ah-Kow', bank: { bankCode: '7171', accountNumber: '123456789012' } });
    expect(put.status, put.text).toBe(200);
    paidClaim = { id: claim.id, enrolmentId: enrolment.enrolmentId, learnerId: enrolment.learner.id };
    batch = await releasedBatch(h, { currency: 'SGD' });
    const lines = batch.lines as unknown as { id: string; endToEndId: string; amount: string; providerId: string | null; learnerId: string | null; status: string }[];
    const providerLine = lines.find((l) => l.providerId === world.providerId)!;
    const learnerLine = lines.find((l) => l.learnerId === enrolment.learner.id)!;
    expect(providerLine && learnerLine).toBeTruthy();
    // Released, not yet paid: no payment event.
    expect(await eventsAbout(providerLine.id)).toEqual([]);
    const res = await importCsv([providerLine, learnerLine].map((l) => statementLine(h.clock.now(), l.endToEndId, BigInt(l.amount), 'DBIT', 'payment')));
    expect(res.status, res.text).toBe(201);
    expect(res.body.settled).toBe(2);
    const settled = await eventsAbout(providerLine.id);
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({
      type: 'payment.settled', subject_type: 'payment_line', provider_id: world.providerId, learner_id: null,
      data: { paymentLineId: providerLine.id, batchId: batch.id, status: 'settled', payeeKind: 'provider', amount: providerLine.amount, currency: 'SGD' },
    });
    expect(settled[0]!.data.claimIds).toContain(claim.id);
    const incentive = (await q<{ id: string }>(`select id from incentives where enrolment_id = $1`, [enrolment.enrolmentId]))[0]!;
    const paid = await eventsAbout(incentive.id);
    expect(paid).toMatchObject([{
      type: 'incentive.paid', subject_type: 'incentive', learner_id: enrolment.learner.id, provider_id: null, scheme_id: world.scheme.id,
      data: { incentiveId: incentive.id, enrolmentId: enrolment.enrolmentId, paymentLineId: learnerLine.id, amount: '2500', currency: 'SGD', status: 'paid' },
    }]);
    // The same payment reported again is a duplicate, an exception: nothing more.
    const before = await eventCount();
    expect((await importCsv([statementLine(h.clock.now(), providerLine.endToEndId, BigInt(providerLine.amount), 'DBIT', 'payment')])).body.exceptions).toBe(1);
    expect(await eventCount()).toBe(before);
  });

  it('when a paid claim is reversed, then recovery.opened; when the next line nets it, then recovery.netted and payment.settled', async () => {
    const reversal = await officer('officer-reverses').post(`/v1/claims/${paidClaim.id}/reversal`, { reasonCode: 'no_completion', reason: 'Siti never attended' });
    expect(reversal.status, reversal.text).toBe(200);
    const recoveryId = reversal.body.recovery.id as string;
    const opened = await eventsAbout(recoveryId);
    expect(opened).toMatchObject([{
      type: 'recovery.opened', subject_type: 'recovery', provider_id: world.providerId, learner_id: paidClaim.learnerId,
      data: { recoveryId, claimId: paidClaim.id, amount: '40000', outstanding: '40000', currency: 'SGD', reasonCode: 'no_completion', status: 'open' },
    }]);
    expect(JSON.stringify(opened[0]!.data)).not.toContain('Siti');
    // A smaller claim next: the whole line is netted against the recovery, nothing goes to the bank.
    await approvedClaimIn(h, world, signer, { fee: '10000' });
    const next = await releasedBatch(h, { currency: 'SGD' });
    const line = (next.lines as unknown as { id: string; providerId: string | null; status: string }[]).find((l) => l.providerId === world.providerId)!;
    expect(line.status).toBe('netted');
    expect(await eventsAbout(line.id)).toMatchObject([{ type: 'payment.settled', data: { status: 'netted', amount: '0', deducted: '10000' } }]);
    const netted = (await eventsAbout(recoveryId)).filter((x) => x.type === 'recovery.netted');
    expect(netted).toMatchObject([{ data: { recoveryId, paymentLineId: line.id, kind: 'netting', amount: '10000', outstanding: '30000' } }]);
  });

  it('when the bank returns a settled line, then exactly one payment.returned naming the claims owed again', async () => {
    const other = await catalogue(h);
    const otherSigner = await registerSigner(h, other);
    const { claim } = await approvedClaimIn(h, other, otherSigner, { fee: '25000' });
    const released = await releasedBatch(h, { currency: 'SGD' });
    const line = (released.lines as unknown as { id: string; endToEndId: string; amount: string; providerId: string | null }[]).find((l) => l.providerId === other.providerId)!;
    expect((await importCsv([statementLine(h.clock.now(), line.endToEndId, 25_000n, 'DBIT', 'payment')])).status).toBe(201);
    const returned = await importCsv([statementLine(h.clock.now(), line.endToEndId, 25_000n, 'CRDT', 'return')]);
    expect(returned.status, returned.text).toBe(201);
    expect(returned.body.returned).toBe(1);
    const events = await eventsAbout(line.id);
    expect(events.map((x) => x.type)).toEqual(['payment.settled', 'payment.returned']);
    expect(events[1]).toMatchObject({ provider_id: other.providerId, data: { status: 'returned', was: 'settled', amount: '25000', claimIds: [claim.id] } });
  });

  it('when a batch is only proposed, or rejected, then no payment event', async () => {
    await approvedClaimIn(h, world, signer, { fee: '3000' });
    const proposed = await proposedBatch(h, { currency: 'SGD' });
    const rejected = await officer('officer-second').post(`/v1/approvals/${proposed.approval!.id}/reject`, { note: 'not this week' });
    expect(rejected.status, rejected.text).toBe(200);
    for (const l of proposed.lines) expect(await eventsAbout(l.id)).toEqual([]);
    // Paid in the next one.
    await releaseBatch(h, await proposedBatch(h, { currency: 'SGD' }));
  });
});

describe('personal data', () => {
  it('when every event of this file is read, then none holds a learner\'s name, national id or officer\'s words', async () => {
    const all = await q<{ text: string }>(`select data::text || coalesce(dedupe_key, '') as text from outbox_events`);
    expect(all.length).toBeGreaterThan(20);
    const text = all.map((r) => r.text).join('\n');
    for (const secret of [PERSON.fullName, 'Siti', 'Nurhaliza', PERSON.nationalId, 'Tan Ah Kow', 'Penang', 'on leave', 'TAN Ah-Kow', '123456789012']) {
      expect(text, secret).not.toContain(secret);
    }
    expect((await q(`select 1 from outbox_events where learner_id = $1`, [person.id])).length).toBeGreaterThan(0);
  });
});
