import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { asCitizen, catalogue } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';
import { advanceTo, credentialPayload, HOUR, newSigner, signCredential, subjectIdOf, type Signer } from '../claims/credential-fixtures.js';

const DAY = 86_400_000;

export interface Provider {
  id: string;
  token: string;
  signer: Signer;
}

export interface Course {
  id: string;
  title: string;
  provider: Provider;
}

async function providerWithKey(h: Harness, api: Awaited<ReturnType<typeof catalogue>>['api']): Promise<Provider> {
  const res = await api.post('/v1/providers', {
    legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2020${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
    contactEmail: 'ops@second.example', bankAccount: { accountName: 'Second Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456780' },
  });
  if (res.status !== 201) throw new Error(`provider: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, token: await h.token('provider', { providerId: res.body.id as string }), signer: await keyFor(api, res.body.id as string) };
}

async function keyFor(api: Awaited<ReturnType<typeof catalogue>>['api'], providerId: string): Promise<Signer> {
  const signer = await newSigner('EdDSA');
  const res = await api.post(`/v1/providers/${providerId}/keys`, { jwk: signer.publicJwk });
  if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...signer, kid: res.body.kid as string, keyId: res.body.id as string };
}

/** A funded scheme, two providers with signing keys, three courses approved for the scheme (two of the first provider, one of the second). */
export async function pathwayWorld(h: Harness, options: { budget?: string } = {}) {
  const world = await catalogue(h, options.budget ? { budget: options.budget } : {});
  const first: Provider = { id: world.providerId, token: world.providerToken, signer: await keyFor(world.api, world.providerId) };
  const second = await providerWithKey(h, world.api);
  const course = async (provider: Provider, title: string): Promise<Course> => {
    const res = await request(h.app).post('/v1/courses').set('authorization', `Bearer ${provider.token}`).set('idempotency-key', randomUUID())
      .send({ code: `C${randomUUID().slice(0, 6).toUpperCase()}`, title, category: 'data-analytics', skills: ['sql'], hours: 16 });
    if (res.status !== 201) throw new Error(`course: ${res.status} ${JSON.stringify(res.body)}`);
    const approval = await world.api.post(`/v1/courses/${res.body.id}/approvals`, { schemeId: world.scheme.id });
    if (approval.status >= 300) throw new Error(`approval: ${approval.status}`);
    return { id: res.body.id as string, title, provider };
  };
  const courses = [
    { id: world.courseId, title: 'Data Analytics Fundamentals', provider: first },
    await course(first, 'SQL for Analysts'),
    await course(second, 'Dashboards and Storytelling'),
  ];
  return { world, api: world.api, scheme: world.scheme, providers: [first, second], courses };
}
export type PathwayWorld = Awaited<ReturnType<typeof pathwayWorld>>;

/** A run of the course starting tomorrow, the learner enrolled on it, and the clock past its end (or in the middle of the run). */
export async function enrolledOn(h: Harness, course: Course, learner: { id: string; token: string }, fee = '30000', clockTo: 'end' | 'mid' = 'end') {
  const startsAt = new Date(h.clock.now().getTime() + DAY);
  const run = await request(h.app).post(`/v1/courses/${course.id}/runs`).set('authorization', `Bearer ${course.provider.token}`).set('idempotency-key', randomUUID())
    .send({ startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 2 * DAY).toISOString(), fee, currency: 'SGD', capacity: 100 });
  if (run.status !== 201) throw new Error(`run: ${run.status} ${JSON.stringify(run.body)}`);
  const enrol = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: run.body.id });
  if (enrol.status !== 201) throw new Error(`enrol: ${enrol.status} ${JSON.stringify(enrol.body)}`);
  advanceTo(h, new Date(startsAt.getTime() + (clockTo === 'end' ? 2 * DAY + 2 * HOUR : DAY)));
  return { enrolmentId: enrol.body.id as string, reserved: enrol.body.reserved as string };
}

/** The provider's completion credential for the learner on the course, issued an hour ago. */
export async function completionCredentialFor(h: Harness, w: PathwayWorld, course: Course, learnerId: string) {
  const subjectId = await subjectIdOf(h, w.world, learnerId);
  return signCredential(credentialPayload({
    providerId: course.provider.id, courseId: course.id, subjectId, validFrom: new Date(h.clock.now().getTime() - HOUR),
    course: { title: course.title, hours: 16, microCredential: null },
  }), course.provider.signer);
}

export function claim(h: Harness, course: Course, body: Record<string, unknown>) {
  return request(h.app).post('/v1/claims').set('authorization', `Bearer ${course.provider.token}`).set('idempotency-key', randomUUID()).send(body);
}

/** The learner completes the course: enrolled, the run over, the provider's claim approved. */
export async function complete(h: Harness, w: PathwayWorld, course: Course, learner: { id: string; token: string }) {
  const e = await enrolledOn(h, course, learner);
  const res = await claim(h, course, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await completionCredentialFor(h, w, course, learner.id) });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('approved');
  return res.body as { id: string };
}

export const twoOfThreeWithin12 = (w: PathwayWorld, over: Record<string, unknown> = {}) => ({
  schemeId: w.scheme.id,
  code: `DATA-${randomUUID().slice(0, 6).toUpperCase()}`,
  name: 'Data analyst pathway',
  description: 'Two of three data courses within a year',
  courseIds: w.courses.map((c) => c.id),
  rule: { kind: 'k_of_n', k: 2 },
  withinMonths: 12,
  award: { bonusCredit: { amount: '20000', expiresInDays: 365 }, achievement: { name: 'Data Analyst (stacked)', description: 'Completed two data courses' } },
  ...over,
});

export const decodeJwt = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, any>;
