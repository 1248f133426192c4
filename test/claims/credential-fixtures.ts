import { randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import request from 'supertest';
import { expect } from 'vitest';
import { completionCredential, type CourseFacts, type ResultStatus } from '../../src/modules/credentials/credential-shape.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export type World = Awaited<ReturnType<typeof catalogue>>;
export type Alg = 'EdDSA' | 'ES256';

export interface Signer {
  alg: Alg;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  /** The provider_keys row id, when registered. */
  keyId?: string;
}

/** A fresh key pair, not registered anywhere. */
export async function newSigner(alg: Alg = 'EdDSA', kid: string = `unregistered-${randomUUID()}`): Promise<Signer> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk: await exportJWK(pair.publicKey) };
}

/** An admin registers the provider's PUBLIC key; the kid is the one the service answers with. */
export async function registerSigner(h: Harness, world: World, options: { alg?: Alg; kid?: string } = {}): Promise<Signer> {
  const signer = await newSigner(options.alg ?? 'EdDSA');
  const res = await world.api.post(
    `/v1/providers/${world.providerId}/keys`,
    { jwk: { ...signer.publicJwk, ...(options.kid ? { kid: options.kid } : {}) } },
    true,
  );
  if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...signer, kid: res.body.kid as string, keyId: res.body.id as string };
}

export async function deactivateSigner(h: Harness, world: World, signer: Signer) {
  const res = await request(h.app)
    .post(`/v1/providers/${world.providerId}/keys/${signer.keyId}/deactivate`)
    .set('authorization', `Bearer ${world.api.admin}`)
    .set('idempotency-key', randomUUID());
  if (res.status !== 200) throw new Error(`deactivate: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function subjectIdOf(h: Harness, world: World, learnerId: string): Promise<string> {
  const res = await request(h.app).get(`/v1/learners/${learnerId}`).set('authorization', `Bearer ${world.api.admin}`);
  if (res.status !== 200) throw new Error(`learner: ${res.status}`);
  return res.body.subjectId as string;
}

export interface CredentialFacts {
  providerId: string;
  courseId: string;
  subjectId: string;
  validFrom: Date;
  validUntil?: Date | undefined;
  id?: string;
  iat?: number;
  /** Signed as the attendance result; null signs none. */
  attendanceBps?: number | null;
  status?: ResultStatus;
  /** The course as the achievement describes it: the world's plain 16-hour course unless said. */
  course?: Omit<CourseFacts, 'courseId'>;
}

/** An OpenBadgeCredential (VC 2.0) as the payload of a VC-JWT, built as the credential CLI builds it. */
export function credentialPayload(f: CredentialFacts, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...completionCredential({
      providerId: f.providerId,
      issuerName: 'Academy',
      subjectId: f.subjectId,
      course: { courseId: f.courseId, ...(f.course ?? { title: 'Data Analytics Fundamentals', hours: 16, microCredential: null }) },
      id: f.id ?? `urn:uuid:${randomUUID()}`,
      validFrom: f.validFrom,
      validUntil: f.validUntil,
      attendanceBps: f.attendanceBps === null ? undefined : (f.attendanceBps ?? 9000),
      status: f.status ?? 'Completed',
    }),
    ...(f.iat !== undefined ? { iat: f.iat } : {}),
    ...overrides,
  };
}

export async function signCredential(
  payload: Record<string, unknown>,
  signer: Pick<Signer, 'alg' | 'kid' | 'privateKey'>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'vc+jwt', ...header })
    .sign(signer.privateKey);
}

export const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A learner enrolled (reserved) on a fresh run of the world's course. */
export async function enrolled(
  h: Harness,
  world: World,
  options: { fee?: string; credit?: string; startsInDays?: number; learner?: { id: string; token: string } } = {},
) {
  const runId = await world.run(options.fee ?? '30000', { startsInDays: options.startsInDays ?? 1 });
  const learner = options.learner ?? (await world.learnerWithCredit(options.credit ?? '50000'));
  const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
  if (res.status !== 201) throw new Error(`enrol: ${res.status} ${JSON.stringify(res.body)}`);
  const run = await h.database.pool.query(`select starts_at, ends_at from course_runs where id = $1`, [runId]);
  return {
    learner,
    runId,
    enrolmentId: res.body.id as string,
    reserved: res.body.reserved as string,
    subjectId: await subjectIdOf(h, world, learner.id),
    startsAt: new Date(run.rows[0].starts_at),
    endsAt: new Date(run.rows[0].ends_at),
  };
}
export type Enrolled = Awaited<ReturnType<typeof enrolled>>;

/** Moves the clock to `at` (never backwards). */
export function advanceTo(h: Harness, at: Date) {
  const delta = at.getTime() - h.clock.now().getTime();
  if (delta > 0) h.clock.advance(delta);
}

/** The facts of a valid completion credential for this enrolment, issued now. */
export const factsFor = (world: World, e: Enrolled, h: Harness, over: Partial<CredentialFacts> = {}): CredentialFacts => ({
  providerId: world.providerId,
  courseId: world.courseId,
  subjectId: e.subjectId,
  validFrom: new Date(h.clock.now().getTime() - HOUR),
  ...over,
});

export function submitClaim(h: Harness, token: string, body: Record<string, unknown>, key: string = randomUUID()) {
  return request(h.app).post('/v1/claims').set('authorization', `Bearer ${token}`).set('idempotency-key', key).send(body);
}

/** Everything that would show money leaving for an enrolment. */
export async function moneyOf(h: Harness, world: World, e: Enrolled) {
  const account = await asCitizen(h, e.learner.token).get('/v1/me/account');
  const posted = await h.database.pool.query(
    `select coalesce(sum(amount), 0)::text s, count(*)::int n from ledger_transfers where reference_id = $1 and kind = 'post_pending'`,
    [e.enrolmentId],
  );
  const pending = await h.database.pool.query(
    `select coalesce(sum(amount), 0)::text s from ledger_transfers where reference_id = $1 and kind = 'pending' and state = 'pending'`,
    [e.enrolmentId],
  );
  const enrolment = await request(h.app).get(`/v1/enrolments/${e.enrolmentId}`).set('authorization', `Bearer ${world.providerToken}`);
  return {
    available: account.body.totals[0].available as string,
    reserved: account.body.totals[0].reserved as string,
    postPendingSum: posted.rows[0].s as string,
    postPendingCount: posted.rows[0].n as number,
    stillPending: pending.rows[0].s as string,
    enrolmentStatus: enrolment.body.status as string,
  };
}

export async function expectNoMoneyMoved(h: Harness, world: World, e: Enrolled, before: Awaited<ReturnType<typeof moneyOf>>) {
  const after = await moneyOf(h, world, e);
  expect(after).toEqual(before);
  expect(after).toMatchObject({ postPendingSum: '0', postPendingCount: 0, enrolmentStatus: 'reserved', reserved: e.reserved, stillPending: e.reserved });
}

export async function payableCredits(h: Harness, providerId: string, currency = 'SGD'): Promise<bigint> {
  await h.ledger.foldDeltas(h.database.db);
  const row = await h.database.pool.query(`select account_id from provider_payables where provider_id = $1 and currency = $2`, [providerId, currency]);
  if (!row.rows[0]) return 0n;
  const b = await h.ledger.balance(h.database.db, row.rows[0].account_id);
  return b!.creditsPosted;
}

export async function claimRows(h: Harness, enrolmentId: string) {
  const r = await h.database.pool.query(`select id, status from claims where enrolment_id = $1 order by submitted_at`, [enrolmentId]);
  return r.rows as { id: string; status: string }[];
}

/**
 * Enrol a learner on a fresh run, finish the run, claim with a valid
 * credential (in full unless `amount` says less): an approved claim and the
 * enrolment it pays.
 */
export async function approvedClaimIn(
  h: Harness, world: World, signer: Signer, o: { fee?: string; credit?: string; amount?: string } = {},
): Promise<{ enrolment: Enrolled; claim: { id: string; amountClaimed: string } }> {
  const enrolment = await enrolled(h, world, { fee: o.fee ?? '30000', credit: o.credit ?? '50000' });
  advanceTo(h, new Date(enrolment.endsAt.getTime() + 2 * HOUR));
  const credential = await signCredential(credentialPayload(factsFor(world, enrolment, h)), signer);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: enrolment.enrolmentId, amount: o.amount ?? enrolment.reserved, credential });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('approved');
  return { enrolment, claim: res.body as { id: string; amountClaimed: string } };
}

/** What a payments test file shares, made once in beforeAll: the catalogue, a registered provider signing key, a finance officer's token. */
export function usePaymentWorld(h: Harness, options: { financeSub?: string } = {}): { world: World; signer: Signer; finance: string } {
  return perFile(
    async () => {
      const world = await catalogue(h);
      const signer = await registerSigner(h, world);
      return { world, signer, finance: await h.token('finance', options.financeSub ? { sub: options.financeSub } : undefined) };
    },
    async () => {},
  );
}
