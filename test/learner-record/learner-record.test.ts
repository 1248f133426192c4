import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { noRateLimits } from '../../src/lib/rate-limit-policy.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import {
  advanceTo, b64url, credentialPayload, DAY, enrolled, factsFor, HOUR, newSigner, registerSigner, signCredential, submitClaim, usePaymentWorld,
  type Signer, type World,
} from '../claims/credential-fixtures.js';
import { expectProblem } from '../http/expect-problem.js';
import { createSigningKey } from '../support/signing-key.js';
import { captureLogs } from '../support/log-capture.js';

/**
 * Issue 13, item 2: the learner's verified record. A credential that backed an
 * approved claim is kept byte for byte; the learner lists and downloads it and
 * shares it through a time-limited, revocable link whose every use is logged;
 * anyone may verify a shared credential, or any provider's VC-JWT, without
 * signing in, and each refusal names its reason.
 */

const h = useHarness();
const shared = usePaymentWorld(h);

/** A claim approved on a fresh enrolment: the learner and the exact JWS the provider sent. */
async function keptCredential(world: World = shared.world, signer: Signer = shared.signer, attendanceBps = 9000) {
  const e = await enrolled(h, world);
  advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
  const jws = await signCredential(credentialPayload(factsFor(world, e, h, { attendanceBps, validUntil: new Date(h.clock.now().getTime() + 365 * DAY) })), signer);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('approved');
  const me = asCitizen(h, e.learner.token);
  const list = await me.get('/v1/me/credentials');
  expect(list.status, list.text).toBe(200);
  return { e, jws, claimId: res.body.id as string, me, item: list.body.items[0] as Record<string, any>, vcId: JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).id as string };
}

const verify = (body: unknown) => request(h.app).post('/v1/public/credential-verifications').send(body as object);
const open = (token: string) => request(h.app).get(`/v1/public/credential-shares/${token}`);
const share = (me: ReturnType<typeof asCitizen>, credentialId: string, body: Record<string, unknown> = {}) => me.post(`/v1/me/credentials/${credentialId}/shares`, body);
const checksOf = (answer: { checks: { check: string; passed: boolean; reason?: string }[] }) =>
  Object.fromEntries(answer.checks.map((c) => [c.check, c.passed ? 'passed' : c.reason]));
const count = async (table: string) => (await h.database.pool.query(`select count(*)::int n from ${table}`)).rows[0].n as number;

describe('the learner\'s record', () => {
  it('when a claim is approved, then its credential is listed for the learner with what it says and status valid', async () => {
    const { item, vcId, claimId, jws, e } = await keptCredential();
    expect(item).toMatchObject({
      claimId, vcId, issuer: `urn:learning-credits:provider:${shared.world.providerId}`, issuerName: 'Academy',
      achievementId: `urn:learning-credits:course:${shared.world.courseId}`, achievementName: 'Data Analytics Fundamentals',
      result: { status: 'Completed', grade: null, attendanceBps: 9000 }, status: 'valid', revokedAt: null,
    });
    const sha = (await h.database.pool.query(`select credential_sha256 from claims where id = $1`, [claimId])).rows[0].credential_sha256;
    expect(item.sha256).toBe(sha);
    const one = await asCitizen(h, e.learner.token).get(`/v1/me/credentials/${item.id}`);
    expect(one.body).toEqual(item);
    expect(jws.length).toBeGreaterThan(0);
  });

  it('when the original is downloaded, then it is the submitted JWS byte for byte, as application/vc+jwt with a file name', async () => {
    const { item, jws, me } = await keptCredential();
    const res = await me.get(`/v1/me/credentials/${item.id}/original`).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="credential-${item.id}.jwt"`);
    expect(res.body).toBe(jws);
  });

  it('when the signed names are unusual (a 600-character achievement name, a multilingual issuer name), then the claim is still approved and kept', async () => {
    const e = await enrolled(h, shared.world);
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const payload = credentialPayload(factsFor(shared.world, e, h)) as { issuer: Record<string, unknown>; credentialSubject: { achievement: Record<string, unknown> } };
    payload.issuer.name = { en: 'Academy', ms: 'Akademi' };
    payload.credentialSubject.achievement.name = 'N'.repeat(600);
    const jws = await signCredential(payload, shared.signer);
    const res = await submitClaim(h, shared.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
    expect(res.body.status, res.text).toBe('approved');
    const list = await asCitizen(h, e.learner.token).get('/v1/me/credentials');
    expect(list.body.items).toEqual([expect.objectContaining({ issuerName: null, achievementName: 'N'.repeat(600) })]);
  });

  it('when a claim is rejected, then its credential is not kept and not listed', async () => {
    const e = await enrolled(h, shared.world);
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const [header, , signature] = (await signCredential(credentialPayload(factsFor(shared.world, e, h)), shared.signer)).split('.');
    const forged = `${header}.${b64url(credentialPayload(factsFor(shared.world, e, h, { attendanceBps: 10000 })))}.${signature}`;
    const res = await submitClaim(h, shared.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: forged });
    expect(res.body).toMatchObject({ status: 'rejected', failedChecks: ['signature_invalid'] });
    expect((await h.database.pool.query(`select 1 from learner_credentials where claim_id = $1`, [res.body.id])).rows).toEqual([]);
    const list = await asCitizen(h, e.learner.token).get('/v1/me/credentials');
    expect(list.body).toEqual({ items: [], nextCursor: null });
  });

  it('when another learner asks for it, its original or its shares, or shares it, then 404 and nothing is created', async () => {
    const { item } = await keptCredential();
    const other = asCitizen(h, (await shared.world.learnerWithCredit('0')).token);
    for (const path of [`/v1/me/credentials/${item.id}`, `/v1/me/credentials/${item.id}/original`, `/v1/me/credentials/${item.id}/shares`]) {
      expectProblem(await other.get(path), 404, 'not_found');
    }
    const before = await count('credential_shares');
    expectProblem(await share(other, item.id), 404, 'not_found');
    expect(await count('credential_shares')).toBe(before);
  });

  it('when the list is paged, then every credential comes once, newest first', async () => {
    const learner = await shared.world.learnerWithCredit('200000');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await enrolled(h, shared.world, { learner });
      advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
      const jws = await signCredential(credentialPayload(factsFor(shared.world, e, h)), shared.signer);
      const res = await submitClaim(h, shared.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
      ids.unshift(res.body.id);
    }
    const me = asCitizen(h, learner.token);
    const first = await me.get('/v1/me/credentials?limit=2');
    const second = await me.get(`/v1/me/credentials?limit=2&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((c: { claimId: string }) => c.claimId)).toEqual(ids);
    expect(second.body.nextCursor).toBeNull();
  });
});

describe('the learner\'s record while a claim is in review', () => {
  it('when the claim goes to review, then the credential is kept but not shown; once two officers approve it, it is shown', async () => {
    const e = await enrolled(h, shared.world);
    // Issued after the run started and before it ended: valid, but suspicious (completed_before_run_end).
    advanceTo(h, new Date(e.startsAt.getTime() + HOUR));
    const jws = await signCredential(credentialPayload(factsFor(shared.world, e, h, { validFrom: new Date(e.startsAt.getTime() + 30 * 60_000) })), shared.signer);
    const res = await submitClaim(h, shared.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: jws });
    expect(res.body).toMatchObject({ status: 'in_review', reviewReasons: ['completed_before_run_end'] });
    expect((await h.database.pool.query(`select jws from learner_credentials where claim_id = $1`, [res.body.id])).rows).toEqual([{ jws }]);
    const me = asCitizen(h, e.learner.token);
    expect((await me.get('/v1/me/credentials')).body.items).toEqual([]);

    const proposed = await request(h.app).post(`/v1/claims/${res.body.id}/decision`).set('authorization', `Bearer ${shared.finance}`)
      .set('idempotency-key', randomUUID()).send({ decision: 'approve', reason: 'the run was self-paced' });
    expect(proposed.status, proposed.text).toBe(202);
    const second = await h.token('finance', { sub: `officer-${randomUUID()}` });
    const approved = await request(h.app).post(`/v1/approvals/${proposed.body.approval.id}/approve`).set('authorization', `Bearer ${second}`)
      .set('idempotency-key', randomUUID()).send({});
    expect(approved.status, approved.text).toBe(200);
    expect((await me.get('/v1/me/credentials')).body.items).toEqual([expect.objectContaining({ claimId: res.body.id, status: 'valid' })]);
  });
});

describe('share links', () => {
  it('when a share is created and opened, then the employer gets the verified credential and the original, and the use is logged without the token', async () => {
    const { item, me, jws } = await keptCredential();
    const created = await share(me, item.id, { expiresInDays: 7, label: 'Acme Analytics' });
    expect(created.status, created.text).toBe(201);
    const { shareId, token, url, expiresAt } = created.body;
    expect(token).toMatch(/^lcs_[A-Za-z0-9_-]{43}$/);
    expect(url).toMatch(new RegExp(`/v1/public/credential-shares/${token}$`));
    expect(new Date(expiresAt).getTime()).toBe(h.clock.now().getTime() + 7 * DAY);
    const stored = await h.database.pool.query(`select * from credential_shares where id = $1`, [shareId]);
    expect(JSON.stringify(stored.rows)).not.toContain(token);

    const res = await open(token);
    expect(res.status, res.text).toBe(200);
    expect(res.body.verification.verified).toBe(true);
    expect(checksOf(res.body.verification)).toEqual({ signature: 'passed', issuer: 'passed', achievement: 'passed', revocation: 'passed', expiry: 'passed' });
    expect(res.body.original).toBe(jws);
    expect(res.body.credential).toMatchObject({ vcId: item.vcId, result: { status: 'Completed', attendanceBps: 9000 } });
    expect(JSON.stringify(res.body)).not.toContain('Acme Analytics');

    const uses = await me.get(`/v1/me/credential-shares/${shareId}/uses`);
    expect(uses.body.items).toEqual([{ at: h.clock.now().toISOString(), verified: true, reason: null }]);
    const list = await me.get(`/v1/me/credentials/${item.id}/shares`);
    expect(list.body.items).toEqual([expect.objectContaining({ id: shareId, label: 'Acme Analytics', state: 'active', uses: 1 })]);
    const audit = await h.database.pool.query(`select details::text from audit_events where entity_id = $1`, [shareId]);
    expect(audit.rows.length).toBe(1);
    for (const r of audit.rows) expect(r.details).not.toContain(token);
  });

  it('when a link is created and opened, then no log line holds its token', async () => {
    const { sink, raw } = captureLogs();
    const app = createApp({
      ...h.deps, logger: createLogger('info', sink), metrics: createMetrics(), authenticator: (await createSigningKey({ kid: 'logged' })).authenticator(), bodyLimit: '256kb',
    });
    const { item, me } = await keptCredential();
    const { token } = (await share(me, item.id)).body;
    expect((await request(app).get(`/v1/public/credential-shares/${token}`)).status).toBe(200);
    expect((await request(app).get(`/v1/public/credential-shares/${token}x`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.join('\n')).toContain('lcs_***');
    for (const line of raw) expect(line).not.toContain(token.slice(4));
  });

  it('when PUBLIC_URL is set and the request names another host, then the share link still starts with PUBLIC_URL', async () => {
    const { e, item } = await keptCredential();
    const app = createApp({
      ...h.deps, policy: { ...h.deps.policy, publicUrl: 'https://credits.gov.example/' }, metrics: createMetrics(), bodyLimit: '256kb',
      authenticator: { authenticate: async () => ({ role: 'citizen', subject: 'citizen:test', learnerId: e.learner.id }) },
    });
    const res = await request(app).post(`/v1/me/credentials/${item.id}/shares`).set('host', 'evil.example').set('authorization', 'Bearer x')
      .set('idempotency-key', randomUUID()).send({});
    expect(res.status, res.text).toBe(201);
    expect(res.body.url).toBe(`https://credits.gov.example/v1/public/credential-shares/${res.body.token}`);
  });

  it('when the share has expired, then 410 gone share_expired, and the attempt is logged', async () => {
    const { item, me } = await keptCredential();
    const { shareId, token } = (await share(me, item.id, { expiresInDays: 1 })).body;
    h.clock.advance(DAY + 1000);
    const res = expectProblem(await open(token), 410, 'gone');
    expect(res.reasons).toEqual(['share_expired']);
    expect((await me.get(`/v1/me/credential-shares/${shareId}/uses`)).body.items).toEqual([expect.objectContaining({ verified: false, reason: 'share_expired' })]);
  });

  it('when the learner revokes the share (twice), then it answers the same and the link is 410 gone share_revoked', async () => {
    const { item, me } = await keptCredential();
    const { shareId, token } = (await share(me, item.id)).body;
    const first = await me.post(`/v1/me/credential-shares/${shareId}/revocation`);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ id: shareId, state: 'revoked' });
    const again = await me.post(`/v1/me/credential-shares/${shareId}/revocation`);
    expect(again.body.revokedAt).toBe(first.body.revokedAt);
    expect(expectProblem(await open(token), 410, 'gone').reasons).toEqual(['share_revoked']);
  });

  it('when the provider revokes the credential and the learner shares it afterwards, then the link answers revocation failed: revoked', async () => {
    const { item, me, vcId } = await keptCredential();
    const revoke = await request(h.app).post('/v1/providers/me/revocations').set('authorization', `Bearer ${shared.world.providerToken}`)
      .set('idempotency-key', randomUUID()).send({ credentialId: vcId, reason: 'issued in error' });
    expect(revoke.status, revoke.text).toBe(201);
    expect((await me.get(`/v1/me/credentials/${item.id}`)).body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    const { shareId, token } = (await share(me, item.id)).body;
    const res = await open(token);
    expect(res.status).toBe(200);
    expect(res.body.verification.verified).toBe(false);
    expect(checksOf(res.body.verification)).toMatchObject({ signature: 'passed', revocation: 'revoked' });
    expect((await me.get(`/v1/me/credential-shares/${shareId}/uses`)).body.items).toEqual([expect.objectContaining({ verified: false, reason: 'revoked' })]);
  });

  it('when the credential\'s validUntil has passed, then its status is expired and a share answers expiry failed: expired', async () => {
    const { item, me } = await keptCredential();
    const { token } = (await share(me, item.id, { expiresInDays: 90 })).body;
    h.clock.advance(366 * DAY);
    expect((await me.get(`/v1/me/credentials/${item.id}`)).body.status).toBe('expired');
    // The link itself expired after 90 days too: a fresh one shows the credential's own expiry.
    expectProblem(await open(token), 410, 'gone');
    const fresh = (await share(me, item.id)).body.token;
    expect(checksOf((await open(fresh)).body.verification)).toMatchObject({ expiry: 'expired' });
  });

  it('when the share body is invalid (0 or 91 days, an unknown field), then 422 naming the field and no share is made', async () => {
    const { item, me } = await keptCredential();
    const before = await count('credential_shares');
    for (const [body, field] of [[{ expiresInDays: 0 }, 'body.expiresInDays'], [{ expiresInDays: 91 }, 'body.expiresInDays'], [{ expiresInDays: 1.5 }, 'body.expiresInDays'], [{ label: '' }, 'body.label']] as const) {
      const problem = expectProblem(await share(me, item.id, body), 422, 'validation_failed');
      expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(field);
    }
    expect(await count('credential_shares')).toBe(before);
  });

  it('when a token is unknown or not a token at all, then 404 and nothing is logged', async () => {
    const before = await count('credential_share_uses');
    expectProblem(await open(`lcs_${'A'.repeat(43)}`), 404, 'not_found');
    expectProblem(await open('not-a-token'), 404, 'not_found');
    expect(await count('credential_share_uses')).toBe(before);
  });
});

describe('the public verification endpoint', () => {
  const fresh = async (over: Parameters<typeof credentialPayload>[1] = {}, facts: Partial<Parameters<typeof credentialPayload>[0]> = {}) =>
    credentialPayload({ providerId: shared.world.providerId, courseId: shared.world.courseId, subjectId: randomUUID(), validFrom: new Date(h.clock.now().getTime() - HOUR), ...facts }, over);

  it('when a good credential from a registered provider is sent without a token, then every check passes', async () => {
    const res = await verify({ credential: await signCredential(await fresh(), shared.signer) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ verified: true, kind: 'completion_credential', credential: { issuer: `urn:learning-credits:provider:${shared.world.providerId}` } });
    expect(checksOf(res.body)).toEqual({ signature: 'passed', issuer: 'passed', achievement: 'passed', revocation: 'passed', expiry: 'passed' });
  });

  it('when the attendance was edited after signing, then signature signature_invalid and nothing else is vouched for', async () => {
    const payload = await fresh({}, { attendanceBps: 6000 });
    const [header, , signature] = (await signCredential(payload, shared.signer)).split('.');
    const edited = structuredClone(payload) as { credentialSubject: { result: { value?: string }[] } };
    edited.credentialSubject.result[0]!.value = '95';
    const res = await verify({ credential: `${header}.${b64url(edited)}.${signature}` });
    expect(res.body.verified).toBe(false);
    expect(checksOf(res.body)).toEqual({ signature: 'signature_invalid', issuer: 'passed', achievement: 'not_checked', revocation: 'not_checked', expiry: 'not_checked' });
    expect(res.body.credential).toBeUndefined();
  });

  it('when any signed field is edited after signing (attendance, outcome, grade, achievement name, dates), then signature_invalid, never verified (fast-check)', async () => {
    const payload = await fresh({}, { attendanceBps: 7000, status: 'Failed', validUntil: new Date(h.clock.now().getTime() + DAY) });
    const [header, , signature] = (await signCredential(payload, shared.signer)).split('.');
    type Vc = { validUntil: string; credentialSubject: { achievement: { name: string }; result: { value?: string; status?: string }[] } };
    const edits: ((vc: Vc, text: string) => void)[] = [
      (vc, t) => (vc.credentialSubject.result[0]!.value = String(70 + (t.length % 31))),
      (vc) => (vc.credentialSubject.result[1]!.status = 'Completed'),
      (vc, t) => (vc.credentialSubject.result[1]!.value = `grade ${t}`),
      (vc, t) => (vc.credentialSubject.achievement.name = `Advanced ${t}`),
      (vc) => (vc.validUntil = new Date(h.clock.now().getTime() + 3650 * DAY).toISOString()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: edits.length - 1 }), fc.string({ minLength: 1, maxLength: 8 }), async (which, text) => {
        const vc = structuredClone(payload) as unknown as Vc;
        edits[which]!(vc, text);
        const res = await verify({ credential: `${header}.${b64url(vc)}.${signature}` });
        expect(res.status).toBe(200);
        expect(res.body.verified).toBe(false);
        expect(checksOf(res.body).signature).toBe('signature_invalid');
      }),
      { numRuns: 15 },
    );
  });

  it('when attendance or a result is sent beside the credential, then 422 naming it: only what the provider signed counts', async () => {
    const credential = await signCredential(await fresh(), shared.signer);
    for (const extra of [{ result: [{ status: 'Completed' }] }, { attendanceBps: 9000 }]) {
      const problem = expectProblem(await verify({ credential, ...extra }), 422, 'validation_failed');
      expect(JSON.stringify(problem.errors)).toContain('inside the signed credential');
    }
  });

  it('when the issuer is not a registered provider, then issuer issuer_unknown and the signature is not checked (signing_key_unknown)', async () => {
    const stranger = await newSigner();
    for (const providerId of [randomUUID(), 'not-a-provider']) {
      const res = await verify({ credential: await signCredential(await fresh({}, { providerId }), stranger) });
      expect(checksOf(res.body), providerId).toEqual({ signature: 'signing_key_unknown', issuer: 'issuer_unknown', achievement: 'not_checked', revocation: 'not_checked', expiry: 'not_checked' });
    }
  });

  it('when signed by a key the provider never registered, then signing_key_unknown', async () => {
    const res = await verify({ credential: await signCredential(await fresh(), await newSigner()) });
    expect(checksOf(res.body)).toMatchObject({ signature: 'signing_key_unknown', issuer: 'passed' });
  });

  it('when the provider is suspended, then issuer provider_suspended (the signature still verifies)', async () => {
    const other = await catalogue(h);
    const key = await registerSigner(h, other);
    const credential = await signCredential(
      credentialPayload({ providerId: other.providerId, courseId: other.courseId, subjectId: randomUUID(), validFrom: new Date(h.clock.now().getTime() - HOUR) }),
      key,
    );
    expect((await verify({ credential })).body.verified).toBe(true);
    const suspend = await request(h.app).patch(`/v1/providers/${other.providerId}`).set('authorization', `Bearer ${other.api.admin}`)
      .set('idempotency-key', randomUUID()).send({ status: 'suspended', reason: 'under investigation' });
    expect(suspend.status).toBe(200);
    expect(checksOf((await verify({ credential })).body)).toEqual({ signature: 'passed', issuer: 'provider_suspended', achievement: 'passed', revocation: 'passed', expiry: 'passed' });
  });

  it('when the course is another provider\'s, unknown, or no longer approved under any scheme, then achievement fails with its reason', async () => {
    const other = await catalogue(h);
    const cases: [string, string][] = [[other.courseId, 'course_of_another_provider'], [randomUUID(), 'course_unknown']];
    for (const [courseId, reason] of cases) {
      const res = await verify({ credential: await signCredential(await fresh({}, { courseId }), shared.signer) });
      expect(checksOf(res.body), reason).toMatchObject({ signature: 'passed', achievement: reason });
    }
    const mine = await catalogue(h);
    const key = await registerSigner(h, mine);
    const withdrawn = await request(h.app).delete(`/v1/courses/${mine.courseId}/approvals/${mine.scheme.id}`).set('authorization', `Bearer ${mine.api.admin}`).set('idempotency-key', randomUUID());
    expect(withdrawn.status, withdrawn.text).toBeLessThan(300);
    const res = await verify({ credential: await signCredential(credentialPayload({ providerId: mine.providerId, courseId: mine.courseId, subjectId: randomUUID(), validFrom: new Date(h.clock.now().getTime() - HOUR) }), key) });
    expect(checksOf(res.body)).toMatchObject({ achievement: 'course_not_approved' });
  });

  it('when the credential says Failed, or has expired, then achievement result_failed, expiry expired', async () => {
    const failedRes = await verify({ credential: await signCredential(await fresh({}, { status: 'Failed' }), shared.signer) });
    expect(checksOf(failedRes.body)).toMatchObject({ achievement: 'result_failed' });
    const old = await fresh({}, { validFrom: new Date(h.clock.now().getTime() - 10 * DAY), validUntil: new Date(h.clock.now().getTime() - DAY) });
    expect(checksOf((await verify({ credential: await signCredential(old, shared.signer) })).body)).toMatchObject({ expiry: 'expired' });
  });

  it('when the body is not a VC-JWT, then 422 naming body.credential, never a 500', async () => {
    for (const credential of ['nonsense', 'a.b.c', `${b64url({ alg: 'EdDSA' })}.${b64url('not json')}.`, `${b64url({ alg: 'EdDSA' })}.${b64url({ hello: 1 })}.sig`, 42]) {
      const problem = expectProblem(await verify({ credential }), 422, 'validation_failed');
      expect((problem.errors as { path: string }[]).map((e) => e.path), String(credential)).toContain('body.credential');
    }
    expectProblem(await verify({}), 422, 'validation_failed');
  });

  it('when a bearer token is sent anyway, even a forged one, then it is ignored: the answer is the same', async () => {
    const res = await verify({ credential: await signCredential(await fresh(), shared.signer) }).set('authorization', 'Bearer forged');
    expect(res.status).toBe(200);
    expect(res.body.verified).toBe(true);
  });

  it('when one address calls past RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE, then 429 rate_limited with Retry-After, on both public routes', async () => {
    const app = createApp({
      ...h.deps, logger: createLogger('silent'), metrics: createMetrics(), authenticator: (await createSigningKey({ kid: 'public-verify' })).authenticator(), bodyLimit: '256kb',
      policy: { rateLimits: { ...noRateLimits, publicVerify: { points: 2, windowSeconds: 60 } } }, trustProxy: 1,
    });
    const address = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const credential = await signCredential(await fresh(), shared.signer);
    const post = () => request(app).post('/v1/public/credential-verifications').set('x-forwarded-for', address).send({ credential });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const limited = await post();
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await request(app).get(`/v1/public/credential-shares/lcs_${'B'.repeat(43)}`).set('x-forwarded-for', address), 429, 'rate_limited');
    // Another address is not held back by this one.
    expect((await request(app).post('/v1/public/credential-verifications').set('x-forwarded-for', '203.0.113.9').send({ credential })).status).toBe(200);
  });
});
