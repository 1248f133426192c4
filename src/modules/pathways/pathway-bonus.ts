import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { grants } from '../../db/schema/index.js';
import { newId } from '../../lib/ids.js';
import { AppError } from '../../lib/app-error.js';
import { DAY_MS } from '../../lib/dates.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { BONUS_REVOCATION } from '../grants/grant-codes.js';
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

export interface BonusTakeBack {
  grantId: string;
  /** Unspent and unreserved: back in the scheme's budget now. */
  returned: bigint;
  /** Reserved for enrolments: returns to the budget by the grant sweep if released; spent if their claims are approved. */
  reserved: bigint;
  /** Already paid to providers for courses: not recovered from the learner. */
  spentNotRecovered: bigint;
}

/**
 * A revoked completion takes back what is left of its bonus credit. The
 * bonus grant is closed (`revoked`), so nothing new is spent from it; its
 * available part goes back to the scheme's budget now (transfer code
 * `pathway_bonus_revocation`, through the ledger's one door); what enrolments
 * hold reserved stays reserved, and the grant sweep returns it when a
 * reservation is released, as for any closed grant; what was already spent
 * on courses is not recovered from the learner, who spent it in good faith.
 *
 * The caller holds the learner's lock, which every reservation takes too, so
 * the learner cannot spend from the grant between the read and the transfer;
 * the grant's row is locked against the sweep. The ledger refuses to take
 * more than the grant holds in any case.
 */
export async function takeBackBonus(deps: ServiceDeps, tx: Tx, completion: CompletionRow, acting: Acting): Promise<BonusTakeBack | undefined> {
  if (completion.bonusStatus !== 'granted' || completion.bonusGrantId === null) return undefined;
  const grantId = completion.bonusGrantId;
  const r = await tx.execute<{ status: string; budget: string; available: string; reserved: string; spent: string }>(sql`
    select g.status, s.budget_account_id budget,
           ledger_available(b.credits_posted, b.debits_posted, b.debits_pending)::text available, b.debits_pending::text reserved,
           coalesce((select sum(t.amount) from ledger_debits_of(g.id) t where t.kind = 'post_pending' and t.code = 'claim_payment'), 0)::text spent
      from grants g join schemes s on s.id = g.scheme_id cross join lateral ledger_balance(g.id) b
     where g.id = ${grantId}
     for update of g`);
  const row = r.rows[0];
  if (!row) throw new Error(`pathway completion ${completion.id}: bonus grant ${grantId} is missing`);
  const returned = BigInt(row.available);
  const reserved = BigInt(row.reserved);
  if (returned > 0n) {
    await deps.ledger.commit(tx, [{
      id: newId(), kind: 'posted', debitAccountId: grantId, creditAccountId: row.budget, amount: returned, code: BONUS_REVOCATION, referenceId: completion.id,
    }]);
  }
  if (row.status === 'active') await tx.update(grants).set({ status: 'revoked', settled: reserved === 0n }).where(eq(grants.id, grantId));
  const outcome: BonusTakeBack = { grantId, returned, reserved, spentNotRecovered: BigInt(row.spent) };
  await recordAudit(tx, {
    ...acting, action: 'pathway_bonus.taken_back', entityType: 'pathway_completion', entityId: completion.id, at: deps.clock.now(),
    details: { grantId, returned: returned.toString(), reserved: reserved.toString(), spentNotRecovered: outcome.spentNotRecovered.toString() },
  });
  return outcome;
}
