import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import {
  advanceTo, claimRows, credentialPayload, DAY, enrolled, factsFor, HOUR, moneyOf, payableCredits, registerSigner, signCredential, submitClaim,
  type CredentialFacts, type Enrolled, type Signer, type World,
} from './credential-fixtures.js';

const h = useHarness({ poolSize: 40 });
let world: World;
let signer: Signer;

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
});

const claim = (e: Enrolled, credential: string, over: Record<string, unknown> = {}, key?: string) =>
  submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential, ...over }, key);
const validFor = (e: Enrolled, over: Partial<CredentialFacts> = {}) => signCredential(credentialPayload(factsFor(world, e, h, over)), signer);
const finish = (...es: Enrolled[]) => advanceTo(h, new Date(Math.max(...es.map((e) => e.endsAt.getTime())) + 2 * HOUR));

async function grantBalances(learnerToken: string) {
  const account = (await asCitizen(h, learnerToken).get('/v1/me/account')).body;
  return new Map<string, { available: string; reserved: string; spent: string }>(
    account.grants.map((g: { grantId: string; available: string; reserved: string; spent: string }) => [g.grantId, g]),
  );
}

describe('an approved claim pays exactly the claim', () => {
  it('when a valid claim is for less than was reserved, then exactly the claim is posted to the provider and the rest returns to the learner', async () => {
    const e = await enrolled(h, world, { fee: '30000', credit: '50000' });
    expect(e.reserved).toBe('30000');
    finish(e);
    const payableBefore = await payableCredits(h, world.providerId);
    const res = await claim(e, await validFor(e), { amount: '25000' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'approved', amountClaimed: '25000', currency: 'SGD', failedChecks: [], reviewReasons: [], onHold: false, decidedBy: 'system:automatic-checks',
    });
    const account = (await asCitizen(h, e.learner.token).get('/v1/me/account')).body;
    expect(account.totals[0]).toMatchObject({ available: '25000', reserved: '0', spent: '25000' });
    expect(await payableCredits(h, world.providerId)).toBe(payableBefore + 25_000n);
    expect(await moneyOf(h, world, e)).toMatchObject({ enrolmentStatus: 'completed', postPendingSum: '25000', postPendingCount: 1, stillPending: '0' });
    const legs = await h.database.pool.query(`select state from ledger_transfers where reference_id = $1 and kind = 'pending'`, [e.enrolmentId]);
    expect(legs.rows).toEqual([{ state: 'posted' }]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    // The learner sees the claim; the provider and finance see it too.
    const mine = (await asCitizen(h, e.learner.token).get('/v1/me/claims')).body.items;
    expect(mine.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
    const finance = await h.token('finance');
    const one = await request(h.app).get(`/v1/claims/${res.body.id}`).set('authorization', `Bearer ${finance}`);
    expect(one.body).toMatchObject({ id: res.body.id, status: 'approved', amountClaimed: '25000' });

    // A completed enrolment can no longer be cancelled to pull the credit back.
    const cancel = await asCitizen(h, e.learner.token).post(`/v1/me/enrolments/${e.enrolmentId}/cancel`);
    expect(cancel.status).toBe(409);
    expect((await asCitizen(h, e.learner.token).get('/v1/me/account')).body.totals[0]).toMatchObject({ available: '25000', reserved: '0' });
  });

  it('when a valid claim is for zero, then 422 names body.amount, no claim exists and the next batch is not blocked by it', async () => {
    const e = await enrolled(h, world);
    finish(e);
    const zero = await claim(e, await validFor(e), { amount: '0' });
    expect(zero.status).toBe(422);
    expect(zero.body.errors).toEqual([expect.objectContaining({ path: 'body.amount', message: 'must be greater than zero' })]);
    expect(await claimRows(h, e.enrolmentId)).toHaveLength(0);
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingCount: 0, enrolmentStatus: 'reserved' });
  });

  it('when a second claim follows an approved one on the same enrolment, then 409 invalid_state and nothing more is paid', async () => {
    const e = await enrolled(h, world);
    finish(e);
    expect((await claim(e, await validFor(e), { amount: '10000' })).body.status).toBe('approved');
    const again = await claim(e, await validFor(e), { amount: '10000' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: '10000', enrolmentStatus: 'completed' });
    expect(await claimRows(h, e.enrolmentId)).toHaveLength(1);
  });

  it('when the same Idempotency-Key is retried, then the first answer comes back and one claim exists; with a different body it is refused', async () => {
    const e = await enrolled(h, world);
    finish(e);
    const key = randomUUID();
    const jws = await validFor(e);
    const first = await claim(e, jws, {}, key);
    const retry = await claim(e, jws, {}, key);
    expect(first.body.status).toBe('approved');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    const changed = await claim(e, jws, { amount: '1' }, key);
    expect(changed.status).toBeGreaterThanOrEqual(400);
    expect(changed.status).toBeLessThan(500);
    expect(changed.body.code).toBe('idempotency_key_reused');
    expect(await claimRows(h, e.enrolmentId)).toHaveLength(1);
    expect((await moneyOf(h, world, e)).postPendingSum).toBe(e.reserved);
  });
});

describe('a claim drawing several grants posts first-expiry-first', () => {
  it('when two grants of one scheme fund the enrolment, then the claim posts the sooner-expiring grant first and returns the rest of the later one', async () => {
    const learner = await world.learnerWithCredit('0');
    const later = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '10000', expiresAt: new Date(h.clock.now().getTime() + 400 * DAY).toISOString() });
    const sooner = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '10000', expiresAt: new Date(h.clock.now().getTime() + 200 * DAY).toISOString() });
    expect([later.status, sooner.status]).toEqual([201, 201]);
    const e = await enrolled(h, world, { fee: '15000', learner });
    expect(e.reserved).toBe('15000');
    finish(e);
    const payableBefore = await payableCredits(h, world.providerId);
    expect((await claim(e, await validFor(e), { amount: '12000' })).body.status).toBe('approved');

    const grants = await grantBalances(learner.token);
    expect(grants.get(sooner.body.id)).toMatchObject({ available: '0', reserved: '0', spent: '10000' });
    expect(grants.get(later.body.id)).toMatchObject({ available: '8000', reserved: '0', spent: '2000' });
    const posts = await h.database.pool.query(
      `select p.debit_account_id grant_id, t.amount::text from ledger_transfers t join ledger_transfers p on p.id = t.pending_id
        where t.reference_id = $1 and t.kind = 'post_pending' order by t.amount desc`,
      [e.enrolmentId],
    );
    expect(posts.rows).toEqual([{ grant_id: sooner.body.id, amount: '10000' }, { grant_id: later.body.id, amount: '2000' }]);
    expect(await payableCredits(h, world.providerId)).toBe(payableBefore + 12_000n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when two schemes fund the enrolment, then the claim posts the expiring scheme\'s grant first, all in one approval', async () => {
    const scheme2 = await world.api.scheme();
    await world.api.allocate(scheme2.id, '1000000');
    expect((await world.api.post(`/v1/courses/${world.courseId}/approvals`, { schemeId: scheme2.id })).status).toBeLessThan(300);
    const learner = await world.learnerWithCredit('6000'); // scheme 1, no expiry
    const expiring = await world.api.grant(learner.id, { schemeId: scheme2.id, amount: '5000', expiresAt: new Date(h.clock.now().getTime() + 300 * DAY).toISOString() });
    expect(expiring.status).toBe(201);
    const e = await enrolled(h, world, { fee: '9000', learner });
    expect(e.reserved).toBe('9000');
    finish(e);
    expect((await claim(e, await validFor(e), { amount: '7000' })).body.status).toBe('approved');
    const grants = await grantBalances(learner.token);
    expect(grants.get(expiring.body.id)).toMatchObject({ available: '0', reserved: '0', spent: '5000' });
    const first = [...grants.entries()].find(([id]) => id !== expiring.body.id)![1];
    expect(first).toMatchObject({ available: '4000', reserved: '0', spent: '2000' });
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: '7000', postPendingCount: 2, stillPending: '0', reserved: '0', available: '4000' });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('a rejected claim can be corrected', () => {
  it('when a claim is rejected and a corrected one follows, then the second is approved and paid once', async () => {
    const e = await enrolled(h, world);
    const other = await enrolled(h, world);
    finish(e, other);
    const wrong = await claim(e, await validFor(e, { subjectId: other.subjectId }));
    expect(wrong.body).toMatchObject({ status: 'rejected', failedChecks: ['subject_mismatch'] });
    const right = await claim(e, await validFor(e));
    expect(right.status).toBe(201);
    expect(right.body).toMatchObject({ status: 'approved', failedChecks: [] });
    expect((await claimRows(h, e.enrolmentId)).map((c) => c.status)).toEqual(['rejected', 'approved']);
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: e.reserved, postPendingCount: 1, enrolmentStatus: 'completed' });
  });

  it('when a claim rejected for attendance is followed by a credential with enough attendance, then it is approved', async () => {
    const rules = await catalogue(h, { rules: { minAttendanceBps: 8000 } });
    const key = await registerSigner(h, rules);
    const e = await enrolled(h, rules);
    finish(e);
    const signedWith = async (attendanceBps: number) => signCredential(credentialPayload(factsFor(rules, e, h, { attendanceBps })), key);
    const body = { enrolmentId: e.enrolmentId, amount: e.reserved };
    expect((await submitClaim(h, rules.providerToken, { ...body, credential: await signedWith(7000) })).body).toMatchObject({ status: 'rejected', failedChecks: ['attendance_below_minimum'] });
    expect((await submitClaim(h, rules.providerToken, { ...body, credential: await signedWith(8500) })).body).toMatchObject({ status: 'approved', attendanceBps: 8500 });
  });

  it('when a credential was first sent on the wrong enrolment and rejected, then it can still be claimed on the right one', async () => {
    const right = await enrolled(h, world);
    const wrong = await enrolled(h, world);
    finish(right, wrong);
    const jws = await validFor(right);
    expect((await claim(wrong, jws)).body).toMatchObject({ status: 'rejected', failedChecks: ['subject_mismatch'] });
    const res = await claim(right, jws);
    expect(res.body).toMatchObject({ status: 'approved', failedChecks: [] });
    expect(await moneyOf(h, world, wrong)).toMatchObject({ postPendingSum: '0', enrolmentStatus: 'reserved' });
    expect(await moneyOf(h, world, right)).toMatchObject({ postPendingSum: right.reserved, enrolmentStatus: 'completed' });
  });
});

describe('concurrency', () => {
  const refusedOrRejected = (r: request.Response) =>
    (r.status === 409 && r.body.code === 'invalid_state') ||
    (r.status === 201 && r.body.status === 'rejected' && r.body.failedChecks.includes('credential_already_used'));

  it('when the same credential is submitted 20 times at once with different keys, then exactly one is approved and the money is posted once', async () => {
    const e = await enrolled(h, world, { fee: '30000', credit: '50000' });
    finish(e);
    const payableBefore = await payableCredits(h, world.providerId);
    const jws = await validFor(e);
    const responses = await Promise.all(Array.from({ length: 20 }, () => claim(e, jws, { amount: '20000' })));
    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
    const approved = responses.filter((r) => r.status === 201 && r.body.status === 'approved');
    expect(approved).toHaveLength(1);
    for (const r of responses.filter((x) => x !== approved[0])) expect(refusedOrRejected(r), JSON.stringify(r.body)).toBe(true);
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: '20000', postPendingCount: 1, enrolmentStatus: 'completed', available: '30000', reserved: '0' });
    expect((await claimRows(h, e.enrolmentId)).filter((c) => c.status !== 'rejected')).toHaveLength(1);
    expect(await payableCredits(h, world.providerId)).toBe(payableBefore + 20_000n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when 20 different valid credentials for one enrolment arrive at once, then one is paid and the rest are told the enrolment is no longer claimable', async () => {
    const e = await enrolled(h, world);
    finish(e);
    const credentials = await Promise.all(Array.from({ length: 20 }, () => validFor(e)));
    const responses = await Promise.all(credentials.map((jws) => claim(e, jws)));
    const approved = responses.filter((r) => r.status === 201 && r.body.status === 'approved');
    expect(approved).toHaveLength(1);
    for (const r of responses.filter((x) => x !== approved[0])) {
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.code).toBe('invalid_state');
    }
    expect(await moneyOf(h, world, e)).toMatchObject({ postPendingSum: e.reserved, postPendingCount: 1, enrolmentStatus: 'completed' });
    expect(await claimRows(h, e.enrolmentId)).toHaveLength(1);
  });

  it('when one credential races onto two enrolments of the same learner, then it is paid on one only', async () => {
    const learner = await world.learnerWithCredit('100000');
    const a = await enrolled(h, world, { learner });
    const b = await enrolled(h, world, { learner });
    finish(a, b);
    const jws = await validFor(a);
    const targets = Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a));
    const responses = await Promise.all(targets.map((t) => claim(t, jws)));
    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
    expect(responses.filter((r) => r.status === 201 && r.body.status === 'approved')).toHaveLength(1);
    const refused = responses.filter((x) => !(x.status === 201 && x.body.status === 'approved'));
    for (const r of refused) expect(refusedOrRejected(r), JSON.stringify(r.body)).toBe(true);
    // On the enrolment that was not paid, the refusal names the reason.
    const paid = responses.find((x) => x.body.status === 'approved')!.body.enrolmentId;
    const onTheOther = responses.filter((_, i) => targets[i]!.enrolmentId !== paid);
    expect(onTheOther).toHaveLength(5);
    for (const r of onTheOther) expect(r.body).toMatchObject({ status: 'rejected', failedChecks: ['credential_already_used'] });
    const posted = await h.database.pool.query(
      `select coalesce(sum(amount), 0)::text s from ledger_transfers where reference_id = any($1::uuid[]) and kind = 'post_pending'`,
      [[a.enrolmentId, b.enrolmentId]],
    );
    expect(posted.rows[0].s).toBe(a.reserved);
    const statuses = [(await moneyOf(h, world, a)).enrolmentStatus, (await moneyOf(h, world, b)).enrolmentStatus].sort();
    expect(statuses).toEqual(['completed', 'reserved']);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});

describe('who sees which claims', () => {
  it('when claims exist for several learners and providers, then a learner sees only claims on their own enrolments and a provider only its own', async () => {
    const other = await catalogue(h);
    const otherKey = await registerSigner(h, other);
    const mine = await enrolled(h, world);
    const theirs = await enrolled(h, other);
    finish(mine, theirs);
    const a = await claim(mine, await validFor(mine));
    const b = await submitClaim(h, other.providerToken, {
      enrolmentId: theirs.enrolmentId, amount: theirs.reserved, credential: await signCredential(credentialPayload(factsFor(other, theirs, h)), otherKey),
    });
    expect([a.body.status, b.body.status]).toEqual(['approved', 'approved']);
    const learnerView = (await asCitizen(h, mine.learner.token).get('/v1/me/claims')).body.items.map((c: { id: string }) => c.id);
    expect(learnerView).toEqual([a.body.id]);
    const providerView = (await request(h.app).get('/v1/claims?limit=100').set('authorization', `Bearer ${other.providerToken}`)).body.items;
    expect(providerView.map((c: { id: string }) => c.id)).toEqual([b.body.id]);
    const peek = await request(h.app).get(`/v1/claims/${a.body.id}`).set('authorization', `Bearer ${other.providerToken}`);
    expect(peek.status).toBe(404);
  });
});

describe('a claim that does not reach every grant', () => {
  it('when the claim is covered by the first grant alone, then the second grant\'s reservation is voided, not paid a zero, and the statement says released', async () => {
    const learner = await world.learnerWithCredit('0');
    const sooner = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '10000', expiresAt: new Date(h.clock.now().getTime() + 100 * DAY).toISOString() });
    const later = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '10000', expiresAt: new Date(h.clock.now().getTime() + 500 * DAY).toISOString() });
    const e = await enrolled(h, world, { fee: '15000', learner });
    finish(e);
    expect((await claim(e, await validFor(e), { amount: '8000' })).body.status).toBe('approved');
    const kinds = await h.database.pool.query(
      `select p.debit_account_id grant_id, t.kind, t.amount::text from ledger_transfers t join ledger_transfers p on p.id = t.pending_id
        where t.reference_id = $1 and t.kind in ('post_pending', 'void_pending') order by t.kind`,
      [e.enrolmentId],
    );
    expect(kinds.rows).toEqual([
      { grant_id: sooner.body.id, kind: 'post_pending', amount: '8000' },
      { grant_id: later.body.id, kind: 'void_pending', amount: '5000' },
    ]);
    const statement = (await request(h.app).get('/v1/me/transactions').set('authorization', `Bearer ${learner.token}`)).body.items;
    expect(statement.map((m: { description: string }) => m.description).join('\n')).not.toMatch(/SGD 0\.00 paid/);
    expect(statement.some((m: { description: string }) => /released back to your credit/.test(m.description))).toBe(true);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});
