import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Harness } from './harness.js';
import { adminApi } from './fixtures.js';

const DAY = 86_400_000;

/**
 * A funded world through the API: a scheme with budget, a provider with a
 * course approved for the scheme, runs, and learners with credit.
 */
export async function catalogue(h: Harness, options: { rules?: Record<string, unknown>; budget?: string } = {}) {
  const api = await adminApi(h);
  const scheme = await api.scheme({}, options.rules ?? {});
  await api.allocate(scheme.id, options.budget ?? '100000000');
  const providerRes = await api.post(
    '/v1/providers',
    {
      legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
      contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
    },
    true,
  );
  if (providerRes.status !== 201) throw new Error(`provider: ${providerRes.status} ${JSON.stringify(providerRes.body)}`);
  const providerId = providerRes.body.id as string;
  const providerToken = await h.token('provider', { providerId });
  const asProvider = (path: string, body: unknown) =>
    request(h.app).post(path).set('authorization', `Bearer ${providerToken}`).set('idempotency-key', randomUUID()).send(body as object);
  const courseRes = await asProvider('/v1/courses', { code: `C${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics Fundamentals', category: 'data-analytics', skills: ['sql'], hours: 16 });
  if (courseRes.status !== 201) throw new Error(`course: ${courseRes.status} ${JSON.stringify(courseRes.body)}`);
  const courseId = courseRes.body.id as string;
  const approval = await api.post(`/v1/courses/${courseId}/approvals`, { schemeId: scheme.id });
  if (approval.status >= 300) throw new Error(`approval: ${approval.status} ${JSON.stringify(approval.body)}`);

  const run = async (fee: string, o: { startsInDays?: number; capacity?: number } = {}) => {
    const startsAt = new Date(h.clock.now().getTime() + (o.startsInDays ?? 30) * DAY);
    const res = await asProvider(`/v1/courses/${courseId}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 2 * DAY).toISOString(), fee, currency: 'SGD', capacity: o.capacity ?? 100,
    });
    if (res.status !== 201) throw new Error(`run: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const learnerWithCredit = async (amount: string, overrides: Record<string, unknown> = {}) => {
    const learner = await api.learner({ dateOfBirth: '1985-01-01', ...overrides });
    if (amount !== '0') {
      const g = await api.grant(learner.id, { schemeId: scheme.id, amount });
      if (g.status !== 201) throw new Error(`grant: ${g.status} ${JSON.stringify(g.body)}`);
    }
    const token = await h.token('citizen', { learnerId: learner.id });
    return { id: learner.id, token };
  };
  return { api, scheme, providerId, providerToken, courseId, run, learnerWithCredit, asProvider };
}

export const asCitizen = (h: Harness, token: string) => ({
  post: (path: string, body: unknown = {}, key: string = randomUUID()) =>
    request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', key).send(body as object),
  get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
});
