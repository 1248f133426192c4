import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { Harness } from './harness.js';
import { nextNric } from './ids.js';

/**
 * Builders that go through the API, as a real admin would. `post` sends a
 * fresh Idempotency-Key, as every write needs one; pass `false` to send none.
 */
export async function adminApi(h: Harness) {
  const admin = await h.token('admin');
  const post = (path: string, body: unknown, idempotent = true) => {
    const r = request(h.app).post(path).set('authorization', `Bearer ${admin}`);
    if (idempotent) r.set('idempotency-key', randomUUID());
    return r.send(body as object);
  };
  return {
    admin,
    async scheme(overrides: Record<string, unknown> = {}, rules: Record<string, unknown> = {}) {
      const res = await post('/v1/schemes', {
        code: `T-${randomUUID().slice(0, 8).toUpperCase()}`,
        name: 'Test Credit',
        country: 'SG',
        currency: 'SGD',
        rules: { eligibleCitizenships: ['SG'], ...rules },
        ...overrides,
      });
      if (res.status !== 201) throw new Error(`scheme: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; currency: string };
    },
    async allocate(schemeId: string, amount: string) {
      const res = await post(`/v1/schemes/${schemeId}/allocations`, { amount }, true);
      if (res.status !== 201) throw new Error(`allocate: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async learner(overrides: Record<string, unknown> = {}) {
      const res = await post('/v1/learners', {
        country: 'SG',
        nationalId: nextNric(),
        fullName: 'Tan Ah Kow',
        dateOfBirth: '1990-03-14',
        citizenship: 'SG',
        employmentStatus: 'employed',
        incomeGroup: 'middle',
        ...overrides,
      });
      if (res.status !== 201) throw new Error(`learner: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    },
    grant: (learnerId: string, body: Record<string, unknown>) => post(`/v1/learners/${learnerId}/grants`, body, true),
    post,
  };
}
