import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import type { Harness } from './harness.js';

export interface ReleasedBatch {
  id: string;
  status: string;
  controlSum: string;
  lines: { id: string; endToEndId: string; amount: string; providerId: string; status: string }[];
}

/**
 * A disbursement batch built by one finance officer and released by another
 * (four eyes), ready for its payment file and bank statement. Every test that
 * needs a released batch goes through here.
 */
export async function releasedBatch(h: Harness, input: { currency: string; cutOff?: string; schemeId?: string }): Promise<ReleasedBatch> {
  const builder = await h.token('finance', { sub: 'officer-builds-batch' });
  const res = await request(h.app)
    .post('/v1/disbursement-batches')
    .set('authorization', `Bearer ${builder}`)
    .set('idempotency-key', randomUUID())
    .send({ cutOff: h.clock.now().toISOString(), ...input });
  expect(res.status, res.text).toBe(201);
  return res.body as ReleasedBatch;
}
