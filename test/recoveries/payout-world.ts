import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import {
  advanceTo, credentialPayload, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Signer, type World,
} from '../claims/credential-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { financeAs } from '../support/finance.js';
import type { Harness } from '../support/harness.js';

const DAY = 24 * HOUR;

/** One provider of the world: its own course, approved for the world's one scheme, and its signing key. */
export interface Payee {
  world: World;
  signer: Signer;
  providerId: string;
}

/** Another provider in the same scheme as `world`: netting is per provider, not per scheme. */
async function anotherProvider(h: Harness, world: World): Promise<World> {
  const res = await world.api.post('/v1/providers', {
    legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
    contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
  });
  expect(res.status, res.text).toBe(201);
  const providerId = res.body.id as string;
  const providerToken = await h.token('provider', { providerId });
  const asProvider = (path: string, body: unknown) =>
    request(h.app).post(path).set('authorization', `Bearer ${providerToken}`).set('idempotency-key', randomUUID()).send(body as object);
  const course = await asProvider('/v1/courses', { code: `C${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics Fundamentals', category: 'data-analytics', skills: ['sql'], hours: 16 });
  expect(course.status, course.text).toBe(201);
  const courseId = course.body.id as string;
  const approval = await world.api.post(`/v1/courses/${courseId}/approvals`, { schemeId: world.scheme.id });
  expect(approval.status, approval.text).toBeLessThan(300);
  const run = async (fee: string, o: { startsInDays?: number; capacity?: number } = {}) => {
    const startsAt = new Date(h.clock.now().getTime() + (o.startsInDays ?? 30) * DAY);
    const r = await asProvider(`/v1/courses/${courseId}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 2 * DAY).toISOString(), fee, currency: 'SGD', capacity: o.capacity ?? 100,
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  return { ...world, providerId, providerToken, courseId, run, asProvider };
}

/**
 * A scheme whose grants live `grantValidityDays` (so the clock can close them
 * before a reversal), `providers` providers with courses in it, and the
 * finance officers who pay, reverse and import statements.
 */
export async function payoutWorld(h: Harness, options: { providers: number; grantValidityDays: number }) {
  const first = await catalogue(h, { rules: { grantValidityDays: options.grantValidityDays } });
  const worlds = [first];
  for (let i = 1; i < options.providers; i += 1) worlds.push(await anotherProvider(h, first));
  const payees: Payee[] = [];
  for (const world of worlds) payees.push({ world, signer: await registerSigner(h, world), providerId: world.providerId });
  const officer = financeAs(h, 'officer-reverses');
  const second = financeAs(h, 'officer-approves');
  const importer = await h.token('finance', { sub: 'officer-imports' });

  /** A learner of the scheme enrols with payee `p`, completes, and the claim for the whole fee is approved. */
  async function approvedClaim(p: number, fee: bigint) {
    const payee = payees[p]!;
    const e = await enrolled(h, payee.world, { fee: fee.toString(), credit: '500000' });
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const credential = await signCredential(credentialPayload(factsFor(payee.world, e, h)), payee.signer);
    const res = await submitClaim(h, payee.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status, res.text).toBe('approved');
    expect(res.body.amountClaimed).toBe(fee.toString());
    return { claimId: res.body.id as string, enrolmentId: e.enrolmentId, amount: fee };
  }

  const statement = (text: string) =>
    request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${importer}`).set('idempotency-key', randomUUID()).type('text/csv').send(text);

  return { scheme: first.scheme, payees, officer, second, approvedClaim, statement };
}
export type PayoutWorld = Awaited<ReturnType<typeof payoutWorld>>;

const decimal = (minor: bigint) => `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;

/** One CSV statement line in SGD. */
export const statementLine = (
  at: Date, ref: string, amount: bigint, direction: 'DBIT' | 'CRDT', type: 'payment' | 'return', status: 'BOOK' | 'PDNG' | 'INFO' = 'BOOK',
) => `${at.toISOString().slice(0, 10)},${ref},${decimal(amount)},SGD,${direction},${type},${status}`;

/** A CSV statement; its own reference keeps two statements that say the same thing from being one file imported twice. */
export const statementCsv = (lines: string[]) =>
  [`# statement: STMT-${randomUUID().slice(0, 8)}`, 'booking_date,end_to_end_id,amount,currency,direction,type,status', ...lines].join('\n');
