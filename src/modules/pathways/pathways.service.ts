import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import { pathwayAchievementIdOf } from '../credentials/credential-ids.js';
import type { ServiceDeps } from '../deps.js';
import { findScheme } from '../schemes/schemes.repo.js';
import { grantBonus } from './pathway-bonus.js';
import { progress, type PathwayRule } from './pathway-rule.js';
import {
  completionsOf, courseCompletionsOf, findCompletion, findPathway, insertPathway, listPathways, pathwaysWithAny, retirePathwayRow,
  revokeCompletionCredential, type CompletionRow, type PathwayRow,
} from './pathways.repo.js';
import type { createPathwayBody } from './pathways.schemas.js';
import { schemePublicKeys, signAsSchemeIfKeyed } from './scheme-keys.js';
import { encodeStatusList, revokedIndexes, statusListCredential } from './status-list.js';
import type { z } from 'zod';

export const ruleOf = (p: PathwayRow): PathwayRule => ({ courseIds: p.courseIds, required: p.required, withinMonths: p.withinMonths });

export async function createPathway(deps: ServiceDeps, db: Db | Tx, body: z.output<typeof createPathwayBody>, acting: Acting): Promise<PathwayRow> {
  return inTransaction(db, async (tx) => {
    const scheme = await findScheme(tx, body.schemeId);
    if (!scheme) throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.schemeId', message: 'is not a scheme' }] });
    if (scheme.status !== 'active') throw new AppError('invalid_state', 'the scheme is closed');
    const approved = await tx.execute<{ course_id: string }>(sql`
      select course_id from course_approvals where scheme_id = ${scheme.id} and course_id = any(${`{${body.courseIds.join(',')}}`}::uuid[])`);
    const ok = new Set(approved.rows.map((r) => r.course_id));
    const errors = body.courseIds
      .map((id, i) => ({ id, i }))
      .filter(({ id }) => !ok.has(id))
      .map(({ i }) => ({ path: `body.courseIds.${i}`, message: 'is not a course approved for the scheme' }));
    if (errors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors });
    const now = deps.clock.now();
    const row = await insertPathway(tx, {
      id: newId(), schemeId: scheme.id, code: body.code, name: body.name, description: body.description, courseIds: body.courseIds,
      ruleKind: body.rule.kind, required: body.rule.kind === 'all' ? body.courseIds.length : body.rule.k, withinMonths: body.withinMonths ?? null,
      bonusAmount: body.award.bonusCredit?.amount ?? null, bonusExpiresInDays: body.award.bonusCredit?.expiresInDays ?? null,
      achievementName: body.award.achievement.name, achievementDescription: body.award.achievement.description,
      createdAt: now, createdBy: acting.actor.subject,
    });
    await recordAudit(tx, {
      ...acting, action: 'pathway.created', entityType: 'pathway', entityId: row.id, at: now,
      details: { schemeId: scheme.id, code: row.code, courses: row.courseIds.length, required: row.required, withinMonths: row.withinMonths, bonus: row.bonusAmount?.toString() ?? null },
    });
    return row;
  });
}

export async function getPathway(db: Db | Tx, id: string): Promise<PathwayRow> {
  const row = await findPathway(db, id);
  if (!row) throw notFound('pathway');
  return row;
}

export const searchPathways = listPathways;

/** Retired: no new completions count toward it; completions already recorded and their credentials stay. */
export async function retirePathway(deps: ServiceDeps, db: Db | Tx, id: string, reason: string, acting: Acting): Promise<PathwayRow> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const row = await retirePathwayRow(tx, id, now, reason);
    if (!row) {
      await getPathway(tx, id);
      throw new AppError('invalid_state', 'the pathway is already retired');
    }
    await recordAudit(tx, { ...acting, action: 'pathway.retired', entityType: 'pathway', entityId: id, at: now, details: { reason } });
    return row;
  });
}

export async function pathwayView(db: Db | Tx, p: PathwayRow) {
  const currency = p.bonusAmount === null ? '' : ((await findScheme(db, p.schemeId))?.currency ?? '');
  return {
    id: p.id, schemeId: p.schemeId, code: p.code, name: p.name, description: p.description, courseIds: p.courseIds,
    rule: p.ruleKind === 'all' ? { kind: 'all' as const } : { kind: 'k_of_n' as const, k: p.required },
    withinMonths: p.withinMonths,
    award: {
      bonusCredit: p.bonusAmount === null ? null : { amount: p.bonusAmount.toString(), currency, expiresInDays: p.bonusExpiresInDays! },
      achievement: { id: pathwayAchievementIdOf(p.id), name: p.achievementName, description: p.achievementDescription },
    },
    status: p.status, createdAt: p.createdAt.toISOString(), retiredAt: p.retiredAt?.toISOString() ?? null, retiredReason: p.retiredReason,
  };
}

export const bonusView = (c: CompletionRow) => ({ status: c.bonusStatus, grantId: c.bonusGrantId, reason: c.bonusRefusalReason });

export const completionView = (c: CompletionRow) => ({
  id: c.id, pathwayId: c.pathwayId, learnerId: c.learnerId, completedAt: c.completedAt.toISOString(), credentialId: c.credentialId,
  revokedAt: c.revokedAt?.toISOString() ?? null, bonus: bonusView(c),
});

/** Every pathway the learner has at least one counted completion on, or has completed: progress, deadline, the stacked credential. */
export async function learnerPathways(deps: ServiceDeps, db: Db | Tx, learnerId: string) {
  const now = deps.clock.now();
  const done = await courseCompletionsOf(db, learnerId);
  const completions = new Map((await completionsOf(db, learnerId)).map((c) => [c.pathwayId, c]));
  const candidates = await pathwaysWithAny(db, [...new Set(done.map((d) => d.courseId))]);
  return candidates
    .filter((p) => p.status === 'active' || completions.has(p.id))
    .map((p) => {
      const completion = completions.get(p.id);
      // A revoked completion (its claim reversed, or revoked by an administrator) no longer counts as completed.
      const live = completion?.revokedAt === null;
      const where = progress(ruleOf(p), done, now);
      return {
        pathway: { id: p.id, code: p.code, name: p.name, status: p.status },
        required: p.required,
        completedCourses: where.completed.map((c) => ({ courseId: c.courseId, completedAt: c.at.toISOString() })),
        stillNeeded: live ? 0 : where.stillNeeded,
        deadline: live ? null : (where.deadline?.toISOString() ?? null),
        completed: live,
        completion: completion
          ? {
              id: completion.id, completedAt: completion.completedAt.toISOString(), credentialId: completion.credentialId,
              credential: completion.credentialJwt, revoked: completion.revokedAt !== null, bonus: bonusView(completion),
            }
          : null,
      };
    });
}

/** An administrator revokes a stacked credential: its bit in the scheme's status list is set from now on. */
export async function revokePathwayCredential(deps: ServiceDeps, db: Db | Tx, completionId: string, reason: string, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const row = await revokeCompletionCredential(tx, completionId, now, reason);
    if (!row) {
      if (!(await findCompletion(tx, completionId))) throw notFound('pathway completion');
      throw new AppError('invalid_state', 'the credential is already revoked');
    }
    await recordAudit(tx, {
      ...acting, action: 'pathway_credential.revoked', entityType: 'pathway_completion', entityId: row.id, at: now,
      details: { pathwayId: row.pathwayId, credentialId: row.credentialId, statusIndex: row.statusIndex, reason },
    });
    return row;
  });
}

/** An administrator tries a refused bonus again, once the scheme's budget has been topped up. */
export async function retryPathwayBonus(deps: ServiceDeps, db: Db | Tx, completionId: string, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const row = await findCompletion(tx, completionId, { forUpdate: true });
    if (!row) throw notFound('pathway completion');
    if (row.bonusStatus !== 'refused') throw new AppError('invalid_state', `the bonus is ${row.bonusStatus === 'granted' ? 'already granted' : 'not part of this pathway'}`);
    const pathway = (await findPathway(tx, row.pathwayId))!;
    return grantBonus(deps, tx, pathway, row, acting);
  });
}

/** The scheme's BitstringStatusListCredential as a VC-JWT signed with the scheme's key, as of now. */
export async function statusListJwt(deps: ServiceDeps, db: Db | Tx, schemeId: string): Promise<string> {
  if (!(await findScheme(db, schemeId))) throw notFound('scheme');
  const { length, revoked } = await revokedIndexes(db, schemeId);
  // A scheme that has issued nothing has no key and no list: a read never makes either.
  const jwt = await signAsSchemeIfKeyed(deps, db, schemeId, statusListCredential(schemeId, encodeStatusList(length, revoked), deps.clock.now()));
  if (!jwt) throw new AppError('not_found', 'the scheme has issued no pathway credentials yet, so it has no status list');
  return jwt;
}

/** The scheme's public signing keys as a JWKS. */
export async function schemeJwks(db: Db | Tx, schemeId: string) {
  if (!(await findScheme(db, schemeId))) throw notFound('scheme');
  return { keys: (await schemePublicKeys(db, schemeId)).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
}
