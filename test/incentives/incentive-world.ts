import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { approvedClaimIn, registerSigner, type Signer, type World } from '../claims/credential-fixtures.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';

export const SG_BANK = { bankCode: '7171', accountNumber: '123456789012' };

/** A scheme with a completion incentive, its provider's signing key, and calls for finance and a second officer. */
export async function incentiveWorld(h: Harness, incentive: { amount: string; requiresRating: boolean }, o: { incentiveBudget?: string } = {}) {
  const world: World = await catalogue(h, { rules: { incentive } });
  const signer: Signer = await registerSigner(h, world);
  const finance = await h.token('finance', { sub: 'officer-incentives' });
  const as = (token: string) => ({
    post: (path: string, body: unknown = {}) => request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    put: (path: string, body: unknown = {}) => request(h.app).put(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
    statement: (xml: string) =>
      request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).type('application/xml').send(xml),
  });
  const fin = as(finance);
  if (o.incentiveBudget) {
    const res = await fin.post(`/v1/schemes/${world.scheme.id}/incentive-allocations`, { amount: o.incentiveBudget });
    expect(res.status, res.text).toBe(201);
  }
  /** An approved claim of a new learner on a new run. */
  const completed = async () => {
    const { enrolment, claim } = await approvedClaimIn(h, world, signer);
    return { ...enrolment, claim, citizen: asCitizen(h, enrolment.learner.token), me: as(enrolment.learner.token) };
  };
  const incentivesOf = async (token: string) => {
    const res = await as(token).get('/v1/learners/me/incentives');
    expect(res.status, res.text).toBe(200);
    return res.body.items as { id: string; enrolmentId: string; amount: string; currency: string; status: string; paidAt: string | null }[];
  };
  return { world, signer, finance, fin, as, completed, incentivesOf };
}
