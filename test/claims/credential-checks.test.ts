import { randomUUID } from 'node:crypto';
import { CompactSign, exportSPKI } from 'jose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { issuerIdOf } from '../../src/modules/credentials/credential-ids.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import {
  advanceTo, b64url, claimRows, credentialPayload, DAY, deactivateSigner, enrolled, expectNoMoneyMoved, factsFor, HOUR, moneyOf, newSigner,
  payableCredits, registerSigner, signCredential, submitClaim, type CredentialFacts, type Enrolled, type Signer, type World,
} from './credential-fixtures.js';

const h = useHarness();
let world: World;
let signer: Signer;

beforeAll(async () => {
  world = await catalogue(h, { rules: { minAttendanceBps: 7500, claimWindowDays: 30 } });
  signer = await registerSigner(h, world);
});

/** An enrolment whose run has ended, with a snapshot of the money before any claim. */
async function ended(options: Parameters<typeof enrolled>[2] = {}) {
  const e = await enrolled(h, world, options);
  advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
  return { e, before: await moneyOf(h, world, e) };
}

const claim = (e: Enrolled, credential: string, over: Record<string, unknown> = {}) =>
  submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential, ...over });

const validFor = (e: Enrolled, over: Partial<CredentialFacts> = {}, payloadOver: Record<string, unknown> = {}) =>
  signCredential(credentialPayload(factsFor(world, e, h, over), payloadOver), signer);

/**
 * The claim is refused with exactly these named checks, is kept on record as
 * rejected, and no money moved.
 */
async function expectRejected(
  e: Enrolled, before: Awaited<ReturnType<typeof moneyOf>>, res: request.Response, failedChecks: string[],
) {
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body).toMatchObject({ status: 'rejected', enrolmentId: e.enrolmentId, paidAt: null, decidedBy: 'system:automatic-checks' });
  expect([...res.body.failedChecks].sort()).toEqual([...failedChecks].sort());
  expect(res.body.reviewReasons).toEqual([]);
  const stored = await request(h.app).get(`/v1/claims/${res.body.id}`).set('authorization', `Bearer ${world.providerToken}`);
  expect(stored.body).toMatchObject({ status: 'rejected', failedChecks: res.body.failedChecks });
  await expectNoMoneyMoved(h, world, e, before);
}

describe('the control: a correct credential', () => {
  it('when everything checks out, then the claim is approved and paid from the reservation (so every rejection below is the check under test)', async () => {
    const { e } = await ended();
    const payableBefore = await payableCredits(h, world.providerId);
    const res = await claim(e, await validFor(e));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'approved', failedChecks: [], reviewReasons: [], amountClaimed: e.reserved });
    expect(await payableCredits(h, world.providerId)).toBe(payableBefore + BigInt(e.reserved));
    expect(await moneyOf(h, world, e)).toMatchObject({ enrolmentStatus: 'completed', postPendingSum: e.reserved, reserved: '0', stillPending: '0' });
  });

  it('when the key is P-256 (ES256), then it is accepted too', async () => {
    const es = await registerSigner(h, world, { alg: 'ES256', kid: `es-${randomUUID()}` });
    const { e } = await ended();
    const res = await claim(e, await signCredential(credentialPayload(factsFor(world, e, h)), es));
    expect(res.body).toMatchObject({ status: 'approved', failedChecks: [] });
  });
});

describe('the signature: only the provider\'s active keys, only EdDSA or ES256', () => {
  it('when the payload was changed after signing, then signature_invalid', async () => {
    const { e, before } = await ended();
    const other = await enrolled(h, world);
    // Signed for another learner, then re-pointed at this one.
    const jws = await signCredential(credentialPayload(factsFor(world, other, h)), signer);
    const [header, , signature] = jws.split('.');
    const forged = `${header}.${b64url(credentialPayload(factsFor(world, e, h)))}.${signature}`;
    await expectRejected(e, before, await claim(e, forged), ['signature_invalid']);
  });

  it('when the signature is cut off, then signature_invalid', async () => {
    const { e, before } = await ended();
    const [header, payload] = (await validFor(e)).split('.');
    await expectRejected(e, before, await claim(e, `${header}.${payload}.`), ['signature_invalid']);
  });

  it('when signed by a key nobody registered, then signing_key_unknown', async () => {
    const { e, before } = await ended();
    const stranger = await newSigner('EdDSA');
    await expectRejected(e, before, await claim(e, await signCredential(credentialPayload(factsFor(world, e, h)), stranger)), ['signing_key_unknown']);
  });

  it('when signed by an unregistered key that names the provider\'s registered kid, then signature_invalid', async () => {
    const { e, before } = await ended();
    const stranger = await newSigner('EdDSA', signer.kid);
    await expectRejected(e, before, await claim(e, await signCredential(credentialPayload(factsFor(world, e, h)), stranger)), ['signature_invalid']);
  });

  it('when signed with another provider\'s registered key and its kid, then signing_key_unknown', async () => {
    const other = await catalogue(h);
    const theirs = await registerSigner(h, other);
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await signCredential(credentialPayload(factsFor(world, e, h)), theirs)), ['signing_key_unknown']);
  });

  it('when signed with a key that was deactivated after signing, then signing_key_unknown', async () => {
    const retired = await registerSigner(h, world);
    const { e, before } = await ended();
    const jws = await signCredential(credentialPayload(factsFor(world, e, h)), retired);
    await deactivateSigner(h, world, retired);
    await expectRejected(e, before, await claim(e, jws), ['signing_key_unknown']);
  });

  it('when the header says alg none with no signature, then algorithm_not_allowed', async () => {
    const { e, before } = await ended();
    const unsigned = `${b64url({ alg: 'none', kid: signer.kid, typ: 'vc+jwt' })}.${b64url(credentialPayload(factsFor(world, e, h)))}.`;
    await expectRejected(e, before, await claim(e, unsigned), ['algorithm_not_allowed']);
  });

  it('when HS256 is used with the registered public key as the HMAC secret, then algorithm_not_allowed', async () => {
    const { e, before } = await ended();
    const payload = new TextEncoder().encode(JSON.stringify(credentialPayload(factsFor(world, e, h))));
    const pem = new TextEncoder().encode(await exportSPKI(signer.publicKey));
    const hmacPem = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: 'vc+jwt' }).sign(pem);
    await expectRejected(e, before, await claim(e, hmacPem), ['algorithm_not_allowed']);
    const rawX = Buffer.from(signer.publicJwk.x!, 'base64url');
    const hmacX = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: 'vc+jwt' }).sign(rawX);
    await expectRejected(e, before, await claim(e, hmacX), ['algorithm_not_allowed']);
  });

  it('when the header claims ES256 for the provider\'s Ed25519 kid, then signing_key_unknown', async () => {
    const { e, before } = await ended();
    const es = await newSigner('ES256', signer.kid);
    await expectRejected(e, before, await claim(e, await signCredential(credentialPayload(factsFor(world, e, h)), es)), ['signing_key_unknown']);
  });
});

describe('what the credential says', () => {
  it('when it is about another learner, then subject_mismatch', async () => {
    const { e, before } = await ended();
    const other = await enrolled(h, world);
    await expectRejected(e, before, await claim(e, await validFor(e, { subjectId: other.subjectId })), ['subject_mismatch']);
  });

  it('when it is for another course of the same provider, then achievement_mismatch', async () => {
    const { e, before } = await ended();
    const course = await world.asProvider('/v1/courses', { code: `C${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Other', category: 'data-analytics', skills: ['sql'], hours: 8 });
    expect(course.status).toBe(201);
    await expectRejected(e, before, await claim(e, await validFor(e, { courseId: course.body.id })), ['achievement_mismatch']);
  });

  it('when the issuer is another provider, as an object or a plain string, then issuer_mismatch', async () => {
    const { e, before } = await ended();
    const elsewhere = issuerIdOf(randomUUID());
    await expectRejected(e, before, await claim(e, await validFor(e, {}, { issuer: { id: elsewhere, type: ['Profile'], name: 'Academy' } })), ['issuer_mismatch']);
    await expectRejected(e, before, await claim(e, await validFor(e, {}, { issuer: elsewhere })), ['issuer_mismatch']);
  });

  it('when it is issued before the run started, then issued_before_run_start', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, { validFrom: new Date(e.startsAt.getTime() - DAY) })), ['issued_before_run_start']);
  });

  it('when iat says it was issued before the run started, then issued_before_run_start even with a later validFrom', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, { iat: Math.floor((e.startsAt.getTime() - HOUR) / 1000) })), ['issued_before_run_start']);
  });

  it('when it is issued in the future, then issued_in_future (and not_yet_valid)', async () => {
    const { e, before } = await ended();
    const tomorrow = new Date(h.clock.now().getTime() + DAY);
    await expectRejected(e, before, await claim(e, await validFor(e, { validFrom: tomorrow })), ['issued_in_future', 'not_yet_valid']);
    await expectRejected(e, before, await claim(e, await validFor(e, { iat: Math.floor(tomorrow.getTime() / 1000) })), ['issued_in_future']);
  });

  it('when its validUntil has passed, then expired', async () => {
    const { e, before } = await ended();
    const now = h.clock.now().getTime();
    await expectRejected(
      e, before, await claim(e, await validFor(e, { validFrom: new Date(e.endsAt.getTime() + 10 * 60_000), validUntil: new Date(now - HOUR) })), ['expired'],
    );
  });

  it('when its JWT exp has passed, then expired', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, {}, { exp: Math.floor((h.clock.now().getTime() - HOUR) / 1000) })), ['expired']);
  });

  it('when its iat is beyond any representable date, then credential_malformed, never a 500 or a silent pass', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, { iat: 1e16 })), ['credential_malformed']);
  });

  it('when the signed payload is not an OpenBadgeCredential, then credential_malformed', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, {}, { type: ['VerifiableCredential'] })), ['credential_malformed']);
    await expectRejected(e, before, await claim(e, await signCredential({ hello: 'world' } as Record<string, unknown>, signer)), ['credential_malformed']);
  });

  it('when several things are wrong at once, then every failed check is named', async () => {
    const { e, before } = await ended();
    const other = await enrolled(h, world);
    const jws = await validFor(e, { subjectId: other.subjectId, courseId: randomUUID(), validUntil: new Date(h.clock.now().getTime() - HOUR), attendanceBps: 5000 });
    await expectRejected(e, before, await claim(e, jws), [
      'subject_mismatch', 'achievement_mismatch', 'expired', 'attendance_below_minimum',
    ]);
  });
});

describe('the credential\'s life: revoked, already used', () => {
  it('when the provider revoked it before claiming, then credential_revoked', async () => {
    const { e, before } = await ended();
    const id = `urn:uuid:${randomUUID()}`;
    const revoked = await world.asProvider('/v1/providers/me/revocations', { credentialId: id, reason: 'issued in error' });
    expect(revoked.status).toBe(201);
    expect(revoked.body).toMatchObject({ credentialId: id, claimsFlagged: [] });
    await expectRejected(e, before, await claim(e, await validFor(e, { id })), ['credential_revoked']);
  });

  it('when another provider revoked a credential with the same id, then this provider\'s credential is not affected', async () => {
    const other = await catalogue(h);
    const { e } = await ended();
    const id = `urn:uuid:${randomUUID()}`;
    expect((await other.asProvider('/v1/providers/me/revocations', { credentialId: id, reason: 'theirs, not yours' })).status).toBe(201);
    expect((await claim(e, await validFor(e, { id }))).body).toMatchObject({ status: 'approved' });
  });

  it('when it was already paid on another enrolment, then credential_already_used', async () => {
    const learner = await world.learnerWithCredit('100000');
    const first = await enrolled(h, world, { learner });
    const second = await enrolled(h, world, { learner });
    advanceTo(h, new Date(Math.max(first.endsAt.getTime(), second.endsAt.getTime()) + 2 * HOUR));
    const jws = await validFor(first);
    expect((await claim(first, jws)).body).toMatchObject({ status: 'approved' });
    const before = await moneyOf(h, world, second);
    await expectRejected(second, before, await claim(second, jws), ['credential_already_used']);
    // Re-signing the same credential id does not make it new.
    const id = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).id as string;
    await expectRejected(second, before, await claim(second, await validFor(second, { id })), ['credential_already_used']);
  });
});

describe('the scheme\'s rules: attendance, the claim window, the amount', () => {
  it('when attendance is below the scheme minimum, then attendance_below_minimum', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, { attendanceBps: 7499 })), ['attendance_below_minimum']);
  });

  it('when the scheme asks for attendance and none is given, then attendance_missing', async () => {
    const { e, before } = await ended();
    const jws = await validFor(e, { attendanceBps: null });
    await expectRejected(e, before, await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws }), ['attendance_missing']);
  });

  it('when attendance is exactly the minimum, then it passes', async () => {
    const { e } = await ended();
    expect((await claim(e, await validFor(e, { attendanceBps: 7500 }))).body).toMatchObject({ status: 'approved', attendanceBps: 7500 });
  });

  it('when the claim window has closed, then claim_window_closed', async () => {
    const e = await enrolled(h, world);
    advanceTo(h, new Date(e.endsAt.getTime() + HOUR));
    const jws = await validFor(e, { validFrom: new Date(e.endsAt.getTime() + HOUR) });
    advanceTo(h, new Date(e.endsAt.getTime() + 30 * DAY + HOUR));
    const before = await moneyOf(h, world, e);
    await expectRejected(e, before, await claim(e, jws), ['claim_window_closed']);
  });

  it('when the amount is more than was reserved, then 422 names body.amount, no claim is recorded and no money moves', async () => {
    const { e, before } = await ended();
    const res = await claim(e, await validFor(e), { amount: (BigInt(e.reserved) + 1n).toString() });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((x: { path: string }) => x.path)).toEqual(['body.amount']);
    expect(await claimRows(h, e.enrolmentId)).toEqual([]);
    await expectNoMoneyMoved(h, world, e, before);
  });
});

describe('what the provider signed: attendance, the result, the achievement', () => {
  const microCredential = {
    level: { framework: 'EQF' as const, value: 6 },
    skills: [],
    assessmentType: 'Exam',
    participationForm: 'online' as const,
    qualityAssurance: 'Internal',
    learningOutcomes: ['Writes SQL'],
    awardingCountry: 'SG',
  };
  const withoutResult = (f: CredentialFacts) => {
    const payload = credentialPayload(f);
    const subject = payload.credentialSubject as Record<string, unknown>;
    return { ...payload, credentialSubject: { ...subject, result: (subject.result as { resultDescription: string }[]).filter((r) => !r.resultDescription.endsWith(':outcome')) } };
  };

  it('when the attendance was edited after signing, then signature_invalid and nothing is paid', async () => {
    const { e, before } = await ended();
    const facts = factsFor(world, e, h, { id: `urn:uuid:${randomUUID()}`, attendanceBps: 5000 });
    const [header, , signature] = (await signCredential(credentialPayload(facts), signer)).split('.');
    const edited = `${header}.${b64url(credentialPayload({ ...facts, attendanceBps: 9500 }))}.${signature}`;
    await expectRejected(e, before, await claim(e, edited), ['signature_invalid']);
  });

  it('when the signed attendance is below the scheme minimum, then attendance_below_minimum and the claim shows what was signed', async () => {
    const { e, before } = await ended();
    const res = await claim(e, await validFor(e, { attendanceBps: 6000 }));
    await expectRejected(e, before, res, ['attendance_below_minimum']);
    expect(res.body.attendanceBps).toBe(6000);
  });

  it('when the signed result is Failed, then result_failed', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await validFor(e, { status: 'Failed' })), ['result_failed']);
  });

  it('when the credential carries no result, then result_missing', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, await signCredential(withoutResult(factsFor(world, e, h)), signer)), ['result_missing']);
  });

  it('when the attendance result is not a percentage, then credential_malformed', async () => {
    const { e, before } = await ended();
    const payload = credentialPayload(factsFor(world, e, h));
    const subject = payload.credentialSubject as Record<string, unknown>;
    const tampered = { ...payload, credentialSubject: { ...subject, result: [{ type: ['Result'], resultDescription: 'urn:learning-credits:result:attendance', value: '120' }, (subject.result as unknown[])[1]] } };
    await expectRejected(e, before, await claim(e, await signCredential(tampered, signer)), ['credential_malformed']);
  });

  it('when the signed achievement states another level or workload than the course, then achievement_level_mismatch and achievement_workload_mismatch', async () => {
    const { e, before } = await ended();
    const course = { title: 'Data Analytics Fundamentals', hours: 16, microCredential };
    await expectRejected(e, before, await claim(e, await validFor(e, { course: { ...course, hours: 40 } })), [
      'achievement_level_mismatch', 'achievement_workload_mismatch',
    ]);
  });

  it('when the claim body still carries attendanceBps or a result, then 422 naming the field and saying attendance is signed now; nothing is recorded', async () => {
    const { e, before } = await ended();
    const credential = await validFor(e);
    for (const extra of [{ attendanceBps: 9000 }, { result: [{ status: 'Completed' }] }]) {
      const res = await claim(e, credential, extra);
      expect(res.status).toBe(422);
      const [field] = Object.keys(extra);
      expect(res.body.errors).toEqual([{ path: 'body', message: expect.stringMatching(new RegExp(`^${field}: .*inside the signed credential, as credentialSubject\\.result`)) }]);
    }
    expect(await claimRows(h, e.enrolmentId)).toEqual([]);
    await expectNoMoneyMoved(h, world, e, before);
  });
});

describe('the request itself', () => {
  it('when the credential is not a compact JWS at all, then 422 names body.credential and nothing is recorded', async () => {
    const { e, before } = await ended();
    for (const credential of ['not a jwt', 'only.two', '', 'a.b.c.d']) {
      const res = await claim(e, credential);
      expect(res.status, credential).toBe(422);
      expect(res.body.errors.map((x: { path: string }) => x.path)).toEqual(['body.credential']);
    }
    expect(await claimRows(h, e.enrolmentId)).toEqual([]);
    await expectNoMoneyMoved(h, world, e, before);
  });

  it('when it looks like a JWS but does not decode, then credential_malformed', async () => {
    const { e, before } = await ended();
    await expectRejected(e, before, await claim(e, 'abc.def.ghi'), ['credential_malformed']);
  });

  it('when a provider claims on another provider\'s enrolment, then 404 and nothing is recorded', async () => {
    const other = await catalogue(h);
    const theirSigner = await registerSigner(h, other);
    const { e, before } = await ended();
    const jws = await signCredential(credentialPayload({ ...factsFor(world, e, h), providerId: other.providerId }), theirSigner);
    const res = await submitClaim(h, other.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
    expect(res.status).toBe(404);
    expect(await claimRows(h, e.enrolmentId)).toEqual([]);
    await expectNoMoneyMoved(h, world, e, before);
  });

  it('when a citizen or finance officer submits a claim, then 403', async () => {
    const { e, before } = await ended();
    const jws = await validFor(e);
    for (const token of [e.learner.token, await h.token('finance')]) {
      const res = await submitClaim(h, token, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
      expect(res.status).toBe(403);
    }
    await expectNoMoneyMoved(h, world, e, before);
  });

  it('when the provider has been suspended, then 422 provider_suspended, nothing is recorded and no money moves', async () => {
    const other = await catalogue(h);
    const key = await registerSigner(h, other);
    const e = await enrolled(h, other);
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const jws = await signCredential(credentialPayload(factsFor(other, e, h)), key);
    const before = await moneyOf(h, other, e);
    const suspend = await request(h.app).patch(`/v1/providers/${other.providerId}`).set('authorization', `Bearer ${other.api.admin}`)
      .set('idempotency-key', randomUUID()).send({ status: 'suspended', reason: 'under investigation' });
    expect(suspend.status).toBe(200);
    const res = await submitClaim(h, other.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
    expect(res.status).toBe(422);
    expect(res.body.reasons).toEqual(['provider_suspended']);
    expect(await claimRows(h, e.enrolmentId)).toEqual([]);
    await expectNoMoneyMoved(h, other, e, before);
  });

  it('after all of the above, the books still balance', async () => {
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});
