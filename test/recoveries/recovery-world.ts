import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { approvedClaimIn, registerSigner, type Signer, type World } from '../claims/credential-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { financeAs } from '../support/finance.js';
import type { Harness } from '../support/harness.js';

/** One provider that claims again and again, and the officers who pay and recover. */
export async function recoveryWorld(h: Harness) {
  const world: World = await catalogue(h);
  const signer: Signer = await registerSigner(h, world);
  const officer = financeAs(h, 'officer-recovers');
  const second = financeAs(h, 'officer-second');

  /** Enrol a learner, finish the run, claim in full with a valid credential: an approved claim. */
  async function approvedClaim(fee: string, credit = '500000') {
    const { enrolment, claim } = await approvedClaimIn(h, world, signer, { fee, credit });
    return { ...enrolment, claimId: claim.id, amount: claim.amountClaimed };
  }

  const reverse = (claimId: string, reasonCode = 'no_completion', reason = 'the learner never attended') =>
    officer.post(`/v1/claims/${claimId}/reversal`, { reasonCode, reason });

  const citizen = (token: string) => ({
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
  });

  const statement = async (csv: string) =>
    request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${await h.token('finance', { sub: 'officer-imports' })}`)
      .set('idempotency-key', randomUUID()).type('text/csv').send(csv);

  return { world, signer, officer, second, approvedClaim, reverse, citizen, statement };
}

/** A CSV statement line, booked. */
export const booked = (ref: string, amount: string, direction: 'DBIT' | 'CRDT', type: 'payment' | 'return' = 'payment') =>
  `2027-03-01,${ref},${amount},SGD,${direction},${type},BOOK`;
export const csv = (...lines: string[]) => ['booking_date,end_to_end_id,amount,currency,direction,type,status', ...lines].join('\n');
