import { randomUUID } from 'node:crypto';
import { CompactSign, importJWK, type JWK } from 'jose';
import type { Tx } from '../db/client.js';
import type { Principal } from '../lib/principal.js';
import { DAY_MS } from '../lib/dates.js';
import type { Acting } from '../modules/acting.js';
import { submitClaim } from '../modules/claims/claims.service.js';
import { newCourseRunSchema } from '../modules/courses/courses.schemas.js';
import { coursesService } from '../modules/courses/courses.service.js';
import { findCourse } from '../modules/courses/courses.repo.js';
import { microCredentialOf } from '../modules/courses/micro-credential.js';
import { completionCredential } from '../modules/credentials/credential-shape.js';
import type { ServiceDeps } from '../modules/deps.js';
import { selfEnrol } from '../modules/enrolments/enrolments.service.js';

/**
 * A course the learner has just finished, its claim approved, so the
 * learner's record holds a kept credential from the first start: a run of a
 * few seconds starting a moment after the seed's instant, the learner
 * enrolled on it, the provider's signed completion credential, the claim.
 * It goes through the services, their clock moved past the run's end (the
 * seed's own records all come before it, as they would have).
 */
export async function seedCompletedCourse(
  deps: ServiceDeps, tx: Tx,
  input: {
    learnerId: string; courseId: string; fee: bigint; currency: string;
    provider: { id: string; legalName: string; kid: string; privateJwk: JWK };
  },
  acting: Acting,
): Promise<{ enrolmentId: string; claimId: string; status: string }> {
  const seededAt = deps.clock.now().getTime();
  let at = seededAt;
  const later: ServiceDeps = { ...deps, clock: { now: () => new Date(at) } };
  const asProvider = { db: tx, principal: { role: 'provider', subject: `provider:${input.provider.id}`, providerId: input.provider.id } as Principal, requestId: 'demo-seed' };
  const startsAt = new Date(seededAt + 1_000);
  const endsAt = new Date(seededAt + 2_000);
  const run = await coursesService(later).addRun(asProvider, input.courseId, newCourseRunSchema.parse({
    startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), fee: input.fee.toString(), currency: input.currency, capacity: 30,
  }));
  const reservation = await selfEnrol(later, tx, input.learnerId, run.id, acting);
  at = endsAt.getTime() + 1_000;
  const course = (await findCourse(tx, input.courseId))!;
  const credential = completionCredential({
    providerId: input.provider.id, issuerName: input.provider.legalName, subjectId: reservation.learnerSubjectId,
    course: { courseId: course.id, title: course.title, hours: course.hours, microCredential: microCredentialOf(course) },
    id: `urn:uuid:${randomUUID()}`, validFrom: new Date(at), validUntil: new Date(at + 365 * DAY_MS), attendanceBps: 10_000, status: 'Completed',
  });
  const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({ alg: 'EdDSA', kid: input.provider.kid, typ: 'vc+jwt' })
    .sign(await importJWK(input.provider.privateJwk, 'EdDSA'));
  const amount = reservation.legs.reduce((s, l) => s + l.amount, 0n);
  const claim = await submitClaim(later, tx, input.provider.id, { enrolmentId: reservation.row.id, amount, credential: jwt }, {
    actor: { role: 'provider', subject: `provider:${input.provider.id}` }, requestId: 'demo-seed',
  });
  if (claim.status !== 'approved') throw new Error(`the demo's completed course claim is ${claim.status}: ${JSON.stringify(claim.failedChecks)} ${JSON.stringify(claim.reviewReasons)}`);
  return { enrolmentId: reservation.row.id, claimId: claim.id, status: claim.status };
}
