import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { advanceTo, credentialPayload, HOUR, signCredential, subjectIdOf, submitClaim } from '../claims/credential-fixtures.js';
import { camt053 } from '../reconciliation/camt053-fixture.js';
import { incentiveWorld, SG_BANK } from '../incentives/incentive-world.js';
import { proposedBatch, releaseBatch } from '../support/finance.js';
import type { Harness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';

export type DataRightsWorld = Awaited<ReturnType<typeof incentiveWorld>>;

/** A person the test can search every table for: nothing else in the database looks like them. */
export function distinctivePerson() {
  const tag = randomUUID().replace(/-/g, '').slice(0, 8);
  return { fullName: `Zephyrine Quokkawattana-${tag}`, dateOfBirth: '1961-09-17', nationalId: nextNric() };
}

/** Contact details as distinctive as the person: an address and a number nothing else holds. */
function distinctiveContact() {
  const tag = randomUUID().replace(/-/g, '').slice(0, 8);
  return { email: `zephyrine.${tag}@example.sg`, phone: `+6591${String(parseInt(tag.slice(0, 6), 16) % 1_000_000).padStart(6, '0')}` };
}

export const counterReason = 'learner asked at the counter about their remaining credit';

/**
 * A learner's whole life in the service, through the API: registered, a
 * grant, a provider's request they consent to, a claim approved with a
 * completion credential (so a learner credential), a payee account in their
 * name, a rating, a completion incentive paid with the provider's claim in
 * one batch settled by the bank statement; an administrator reads their
 * registration and a counter officer looks them up with a reason.
 */
export async function wholeJourney(h: Harness, w: DataRightsWorld, person = distinctivePerson()) {
  const { world, signer } = w;
  const learner = await world.learnerWithCredit('50000', { ...person });
  const { email, phone } = distinctiveContact();
  const me = w.as(learner.token);
  const runId = await world.run('30000', { startsInDays: 1 });
  const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(requested.status, requested.text).toBe(201);
  const enrolmentId = requested.body.id as string;
  const consented = await me.post(`/v1/me/enrolments/${enrolmentId}/consent`);
  expect(consented.status, consented.text).toBe(200);

  const run = await h.database.pool.query(`select ends_at from course_runs where id = $1`, [runId]);
  advanceTo(h, new Date(new Date(run.rows[0].ends_at).getTime() + 2 * HOUR));
  const subjectId = await subjectIdOf(h, world, learner.id);
  const credential = await signCredential(
    credentialPayload({ providerId: world.providerId, courseId: world.courseId, subjectId, validFrom: new Date(h.clock.now().getTime() - HOUR) }), signer,
  );
  const claim = await submitClaim(h, world.providerToken, { enrolmentId, amount: consented.body.reserved, credential });
  expect(claim.status, claim.text).toBe(201);
  expect(claim.body.status).toBe('approved');

  const payee = await me.put('/v1/learners/me/payee-account', { kind: 'bank', accountName: person.fullName, bank: SG_BANK });
  expect(payee.status, payee.text).toBe(200);
  const rated = await me.post(`/v1/enrolments/${enrolmentId}/rating`, { stars: 4, comment: 'Useful.' });
  expect(rated.status, rated.text).toBe(201);

  const proposed = await proposedBatch(h, { currency: 'SGD' });
  const batch = await releaseBatch(h, proposed);
  const lines = proposed.lines as unknown as { endToEndId: string; amount: string; learnerId: string | null }[];
  expect(lines.some((l) => l.learnerId === learner.id)).toBe(true);
  const imported = await w.fin.statement(camt053({ entries: lines.map((l) => ({ amount: BigInt(l.amount), direction: 'DBIT' as const, endToEndId: l.endToEndId })) }));
  expect(imported.status, imported.text).toBe(201);
  expect((await w.incentivesOf(learner.token))[0]).toMatchObject({ status: 'paid' });

  const contact = await me.put('/v1/learners/me/contact', { email, phone, language: 'ms', emailNotices: true, smsNotices: true });
  expect(contact.status, contact.text).toBe(200);
  // An appeal in the learner's own words (filed directly: its API needs a lapsed grant, test/appeals covers that path),
  // decided with an officer's note that repeats their name.
  const grant = await h.database.pool.query(`select id, scheme_id from grants where learner_id = $1 limit 1`, [learner.id]);
  await h.database.pool.query(
    `insert into grant_appeals (id, learner_id, grant_id, scheme_id, currency, closing, closed_at, lapsed_amount, statement, status, filed_at, filed_by,
                                reason_code, decision_note, decided_at, decided_by)
     values ($1, $2, $3, $4, 'SGD', 'lapsed', $5, 1000, $6, 'rejected', $5, $7, 'no_grounds', $8, $5, 'finance-dr')`,
    [randomUUID(), learner.id, grant.rows[0].id, grant.rows[0].scheme_id, h.clock.now(), `I, ${person.fullName}, was in hospital (${phone}).`,
      `citizen:${learner.id}`, `Spoke to ${person.fullName} at ${email}.`],
  );

  const officer = await h.token('counter', { sub: 'counter-officer-dr' });
  const visit = await request(h.app).post('/v1/counter/visits').set('authorization', `Bearer ${officer}`).set('idempotency-key', randomUUID())
    .send({ country: 'SG', nationalId: person.nationalId, reason: counterReason, learnerPresent: true, identityCheck: 'nric_card' });
  expect(visit.status, visit.text).toBe(201);

  return { person, contact: { email, phone }, learner, me, runId, enrolmentId, claimId: claim.body.id as string, batchId: batch.id, visitId: visit.body.visitId as string };
}
export type Journey = Awaited<ReturnType<typeof wholeJourney>>;
