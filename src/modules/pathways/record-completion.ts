import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { lockLearner } from '../enrolments/enrolments.repo.js';
import { findScheme } from '../schemes/schemes.repo.js';
import { grantBonus } from './pathway-bonus.js';
import { criteriaOf, stackedCredential } from './pathway-credential.js';
import { satisfaction } from './pathway-rule.js';
import { activePathwaysWith, courseCompletionsOf, insertCompletionOnce, type CountedCompletion } from './pathways.repo.js';
import { ruleOf } from './pathways.service.js';
import { signAsScheme } from './scheme-keys.js';
import { allocateStatusIndex } from './status-list.js';

/**
 * A learner completed a course (their claim for it was approved): evaluates
 * every active pathway that stacks the course and, for each one the rule is
 * now satisfied on, records the completion exactly once, issues the stacked
 * credential and grants the bonus. Runs in the approving transaction, so the
 * completion exists if and only if the approval does.
 *
 * The learner's row is locked first (FOR NO KEY UPDATE: enrolments'
 * foreign-key checks are not blocked): two approvals of one learner at once
 * are evaluated one after the other, and the second sees the first's claim
 * once it has committed, so neither misses a completion nor records one twice
 * (the unique (learner, pathway) key is the backstop).
 */
export async function recordCourseCompletion(deps: ServiceDeps, tx: Tx, input: { learnerId: string; enrolmentId: string }, acting: Acting): Promise<void> {
  const course = await tx.execute<{ course_id: string }>(sql`
    select r.course_id from enrolments e join course_runs r on r.id = e.course_run_id where e.id = ${input.enrolmentId}`);
  const pathways = await activePathwaysWith(tx, course.rows[0]!.course_id);
  if (pathways.length === 0) return;
  await lockLearner(tx, input.learnerId);
  const done = await courseCompletionsOf(tx, input.learnerId);
  const already = await tx.execute<{ pathway_id: string }>(sql`
    select pathway_id from pathway_completions where learner_id = ${input.learnerId}
       and pathway_id = any(${`{${pathways.map((p) => p.id).join(',')}}`}::uuid[])`);
  const completed = new Set(already.rows.map((r) => r.pathway_id));
  // The service, not the provider whose claim it was, completes a pathway and grants its bonus.
  const system: Acting = { actor: { role: 'system', subject: 'pathway-evaluator' }, requestId: acting.requestId };
  for (const pathway of pathways) {
    if (completed.has(pathway.id)) continue;
    const met = satisfaction(ruleOf(pathway), done);
    if (!met) continue;
    const counted = met.counted as CountedCompletion[];
    const scheme = (await findScheme(tx, pathway.schemeId))!;
    const subject = await tx.execute<{ subject_id: string }>(sql`select subject_id from learners where id = ${input.learnerId}`);
    const titles = await tx.execute<{ title: string }>(sql`
      select title from courses c join unnest(${`{${pathway.courseIds.join(',')}}`}::uuid[]) with ordinality as x(id, n) on x.id = c.id order by x.n`);
    const id = newId();
    const now = deps.clock.now();
    const statusIndex = await allocateStatusIndex(tx, scheme.id);
    const credential = await signAsScheme(deps, tx, scheme.id, stackedCredential({
      completionId: id,
      scheme: { id: scheme.id, name: scheme.name },
      pathway: {
        id: pathway.id, name: pathway.achievementName, description: pathway.achievementDescription,
        criteria: criteriaOf({ required: pathway.required, total: pathway.courseIds.length, withinMonths: pathway.withinMonths }, titles.rows.map((t) => t.title)),
      },
      subjectId: subject.rows[0]!.subject_id,
      issuedAt: now,
      statusIndex,
      components: counted.map((c) => ({ courseTitle: c.courseTitle, credentialId: c.credentialId, completedAt: c.at })),
    }));
    const row = await insertCompletionOnce(tx, {
      id, pathwayId: pathway.id, learnerId: input.learnerId, schemeId: scheme.id, completedAt: now,
      counted: counted.map((c) => ({ courseId: c.courseId, claimId: c.claimId, completedAt: c.at.toISOString() })),
      credentialId: `urn:uuid:${id}`, credentialJwt: credential, statusIndex,
      bonusStatus: pathway.bonusAmount === null ? 'none' : 'refused', bonusRefusalReason: pathway.bonusAmount === null ? null : 'not_attempted',
    });
    if (!row) continue;
    await recordAudit(tx, {
      ...system, action: 'pathway.completed', entityType: 'pathway_completion', entityId: id, at: now,
      details: { pathwayId: pathway.id, learnerId: input.learnerId, claims: counted.map((c) => c.claimId), statusIndex },
    });
    await grantBonus(deps, tx, pathway, row, system);
  }
}
