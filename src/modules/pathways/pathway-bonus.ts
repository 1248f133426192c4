import type { Tx } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import { DAY_MS } from '../../lib/dates.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { grantCredit } from '../grants/grants.service.js';
import { setBonusOutcome, type CompletionRow, type PathwayRow } from './pathways.repo.js';

/**
 * The pathway's bonus credit: a grant from the scheme's budget to the learner
 * through the grants service (the ledger's one door, transfer code
 * `pathway_bonus`). It runs in a savepoint, so a refusal (the budget short,
 * the scheme closed) undoes only the grant's own writes: the completion and
 * its credential stay, the bonus is recorded as refused with its reason, and
 * nothing moves.
 */
export async function grantBonus(deps: ServiceDeps, tx: Tx, pathway: PathwayRow, completion: CompletionRow, acting: Acting): Promise<CompletionRow> {
  if (pathway.bonusAmount === null || pathway.bonusExpiresInDays === null) return completion;
  const expiresAt = new Date(deps.clock.now().getTime() + pathway.bonusExpiresInDays * DAY_MS).toISOString();
  let outcome: { bonusStatus: 'granted' | 'refused'; bonusGrantId: string | null; bonusRefusalReason: string | null };
  try {
    const grant = await tx.transaction((savepoint) =>
      grantCredit(deps, savepoint, {
        learnerId: completion.learnerId, schemeId: pathway.schemeId, amount: pathway.bonusAmount!, expiresAt, code: 'pathway_bonus',
        reason: `pathway bonus: ${pathway.code}`,
      }, acting),
    );
    outcome = { bonusStatus: 'granted', bonusGrantId: grant.id, bonusRefusalReason: null };
  } catch (err) {
    if (!(err instanceof AppError) || (err.code !== 'insufficient_budget' && err.code !== 'invalid_state')) throw err;
    outcome = { bonusStatus: 'refused', bonusGrantId: null, bonusRefusalReason: err.code === 'insufficient_budget' ? 'budget_insufficient' : 'scheme_closed' };
  }
  const row = await setBonusOutcome(tx, completion.id, outcome);
  await recordAudit(tx, {
    ...acting, action: `pathway_bonus.${outcome.bonusStatus}`, entityType: 'pathway_completion', entityId: completion.id, at: deps.clock.now(),
    details: { pathwayId: pathway.id, amount: pathway.bonusAmount.toString(), grantId: outcome.bonusGrantId, reason: outcome.bonusRefusalReason },
  });
  return row;
}
