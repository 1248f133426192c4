import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { takeBackBonus, type BonusTakeBack } from './pathway-bonus.js';
import { satisfaction } from './pathway-rule.js';
import { courseCompletionsOf, findCompletion, findPathway, revokeCompletionCredential, type CompletionRow } from './pathways.repo.js';
import { ruleOf } from './pathways.service.js';

export interface CompletionAfterReversal {
  completionId: string;
  pathwayId: string;
  outcome: 'kept' | 'revoked';
  bonus?: BonusTakeBack;
}

/**
 * A claim was reversed: every live pathway completion that counted it is
 * judged again on the learner's remaining course completions (the reversed
 * claim no longer counts). Where the rule is still met, the completion and
 * its credential stay. Where it is not, the stacked credential is revoked
 * (its bit in the scheme's status list is set, so verifiers answer revoked)
 * and what is left of its bonus goes back to the scheme. Runs in the
 * reversal's transaction, after the claim is marked reversed, holding the
 * learner's lock.
 */
export async function reconsiderPathwaysAfterReversal(
  deps: ServiceDeps, tx: Tx, reversed: { learnerId: string; claimId: string; reasonCode: string }, acting: Acting,
): Promise<CompletionAfterReversal[]> {
  // A completion counts one claim per course: a modular course's last module. Reversing any module of it un-completes the course.
  const r = await tx.execute<{ id: string }>(sql`
    select pc.id from pathway_completions pc
     where pc.learner_id = ${reversed.learnerId} and pc.revoked_at is null
       and exists (select 1 from claims c, claims same
                    where c.id = ${reversed.claimId} and same.enrolment_id = c.enrolment_id
                      and pc.counted @> jsonb_build_array(jsonb_build_object('claimId', same.id)))
     order by pc.completed_at, pc.id
     for update`);
  if (r.rows.length === 0) return [];
  const remaining = await courseCompletionsOf(tx, reversed.learnerId);
  const enrolmentClaims = new Set((await tx.execute<{ id: string }>(sql`
    select same.id from claims c join claims same on same.enrolment_id = c.enrolment_id where c.id = ${reversed.claimId}`)).rows.map((x) => x.id));
  if (remaining.some((c) => enrolmentClaims.has(c.claimId))) throw new Error(`claim ${reversed.claimId} still counts: mark it reversed first`);
  const system: Acting = { actor: { role: 'system', subject: 'pathway-evaluator' }, requestId: acting.requestId };
  const out: CompletionAfterReversal[] = [];
  for (const { id } of r.rows) {
    const now = deps.clock.now();
    const completion = await revokeIfUnmet(tx, id, remaining, reversed, now);
    if (!completion.revoked) {
      await recordAudit(tx, {
        ...system, action: 'pathway_completion.kept_after_reversal', entityType: 'pathway_completion', entityId: id, at: now,
        details: { pathwayId: completion.row.pathwayId, reversedClaimId: reversed.claimId, stillMetBy: completion.stillMetBy },
      });
      out.push({ completionId: id, pathwayId: completion.row.pathwayId, outcome: 'kept' });
      continue;
    }
    const row = completion.row;
    await recordAudit(tx, {
      ...system, action: 'pathway_credential.revoked', entityType: 'pathway_completion', entityId: id, at: now,
      details: { pathwayId: row.pathwayId, credentialId: row.credentialId, statusIndex: row.statusIndex, reason: row.revocationReason, reversedClaimId: reversed.claimId },
    });
    const bonus = await takeBackBonus(deps, tx, row, system);
    out.push({ completionId: id, pathwayId: row.pathwayId, outcome: 'revoked', ...(bonus ? { bonus } : {}) });
  }
  return out;
}

type Judged = { revoked: false; row: CompletionRow; stillMetBy: string[] } | { revoked: true; row: CompletionRow };

async function revokeIfUnmet(
  tx: Tx, completionId: string, remaining: Awaited<ReturnType<typeof courseCompletionsOf>>, reversed: { claimId: string; reasonCode: string }, now: Date,
): Promise<Judged> {
  const current = (await findCompletion(tx, completionId))!;
  const pathway = (await findPathway(tx, current.pathwayId))!;
  const met = satisfaction(ruleOf(pathway), remaining);
  if (met) return { revoked: false, row: current, stillMetBy: met.counted.map((c) => c.claimId) };
  const row = await revokeCompletionCredential(tx, completionId, now, `claim ${reversed.claimId} was reversed (${reversed.reasonCode}): the pathway's rule is no longer met`);
  if (!row) throw new Error(`pathway completion ${completionId} was revoked under the lock`);
  return { revoked: true, row };
}
