import { randomUUID } from 'node:crypto';
import { asCitizen } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';
import { advanceTo, credentialPayload, DAY, factsFor, HOUR, signCredential, subjectIdOf, type Enrolled, type Signer, type World } from './credential-fixtures.js';

export interface ModularCourse {
  id: string;
  modules: { title: string; achievementId: string; shareBps: number }[];
}

/** A modular course of the world's provider (three modules: 25%, 30%, 45%), approved for the world's scheme. */
export async function modularCourse(world: World, modules: ModularCourse['modules'] = [
  { title: 'Spreadsheets', achievementId: `urn:academy:achievement:m1-${randomUUID()}`, shareBps: 2500 },
  { title: 'SQL', achievementId: `urn:academy:achievement:m2-${randomUUID()}`, shareBps: 3000 },
  { title: 'Dashboards', achievementId: `urn:academy:achievement:m3-${randomUUID()}`, shareBps: 4500 },
]): Promise<ModularCourse> {
  const course = await world.asProvider('/v1/courses', {
    code: `M${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics (modular)', category: 'data-analytics', hours: 120, modules,
  });
  if (course.status !== 201) throw new Error(`modular course: ${course.status} ${course.text}`);
  const approval = await world.api.post(`/v1/courses/${course.body.id}/approvals`, { schemeId: world.scheme.id });
  if (approval.status >= 300) throw new Error(`approval: ${approval.status} ${approval.text}`);
  return { id: course.body.id, modules };
}

/** A learner enrolled on a fresh two-day run of the modular course, the clock just after the run's end. */
export async function enrolledModular(h: Harness, world: World, course: Pick<ModularCourse, 'id'>, fee = '40000', credit = '50000'): Promise<Enrolled> {
  const startsAt = new Date(h.clock.now().getTime() + DAY);
  const endsAt = new Date(startsAt.getTime() + 2 * DAY);
  const run = await world.asProvider(`/v1/courses/${course.id}/runs`, { startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), fee, currency: 'SGD', capacity: 100 });
  if (run.status !== 201) throw new Error(`modular run: ${run.status} ${run.text}`);
  const learner = await world.learnerWithCredit(credit);
  const res = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: run.body.id });
  if (res.status !== 201) throw new Error(`enrol: ${res.status} ${res.text}`);
  advanceTo(h, new Date(endsAt.getTime() + 2 * HOUR));
  return { learner, runId: run.body.id, enrolmentId: res.body.id, reserved: res.body.reserved, subjectId: await subjectIdOf(h, world, learner.id), startsAt, endsAt };
}

/** The provider's credential for one module (1 = first): that module's achievement, signed with the provider's key. */
export async function moduleCredential(h: Harness, world: World, signer: Signer, e: Enrolled, course: ModularCourse, ordinal: number): Promise<string> {
  const payload = credentialPayload(factsFor(world, e, h, { courseId: course.id })) as { credentialSubject: { achievement: { id: string; name: string } } };
  payload.credentialSubject.achievement.id = course.modules[ordinal - 1]!.achievementId;
  payload.credentialSubject.achievement.name = course.modules[ordinal - 1]!.title;
  return signCredential(payload, signer);
}
