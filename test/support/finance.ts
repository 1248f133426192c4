import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import type { Harness } from './harness.js';

export interface ReleasedBatch {
  id: string;
  status: string;
  controlSum: string;
  createdBy: string;
  releasedBy: string | null;
  excluded: { providerId: string; claims: number; amount: string; reason: string; problems: string[] }[];
  approval?: { id: string; status: string; proposedBy: string };
  lines: { id: string; endToEndId: string; amount: string; providerId: string; status: string }[];
}

export const BATCH_BUILDER = 'officer-builds-batch';
export const BATCH_RELEASER = 'officer-releases-batch';

/** A finance officer's calls. */
export const financeAs = (h: Harness, sub: string) => {
  const token = h.token('finance', { sub });
  return {
    post: async (path: string, body: unknown) =>
      request(h.app).post(path).set('authorization', `Bearer ${await token}`).set('idempotency-key', randomUUID()).send(body as object),
    get: async (path: string) => request(h.app).get(path).set('authorization', `Bearer ${await token}`),
  };
};

/** One officer proposes a batch (201, status proposed); nothing is paid yet. */
export async function proposedBatch(h: Harness, input: { currency: string; cutOff?: string; schemeId?: string }, by = BATCH_BUILDER): Promise<ReleasedBatch> {
  const res = await (await financeAs(h, by)).post('/v1/disbursement-batches', { cutOff: h.clock.now().toISOString(), ...input });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('proposed');
  return res.body as ReleasedBatch;
}

/** A second officer approves a proposed batch: its pending transfers and payment file now exist. */
export async function releaseBatch(h: Harness, batch: Pick<ReleasedBatch, 'id' | 'approval'>, by = BATCH_RELEASER): Promise<ReleasedBatch> {
  const f = financeAs(h, by);
  const approved = await f.post(`/v1/approvals/${batch.approval!.id}/approve`, {});
  expect(approved.status, approved.text).toBe(200);
  const res = await f.get(`/v1/disbursement-batches/${batch.id}`);
  // settled at once when every line was netted against what its provider owed: nothing goes to the bank.
  expect(['submitted', 'settled']).toContain(res.body.status);
  return res.body as ReleasedBatch;
}

/**
 * A disbursement batch built by one finance officer and released by another
 * (four eyes), ready for its payment file and bank statement. Every test that
 * needs a released batch goes through here.
 */
export async function releasedBatch(h: Harness, input: { currency: string; cutOff?: string; schemeId?: string }): Promise<ReleasedBatch> {
  return releaseBatch(h, await proposedBatch(h, input));
}
