import { isDeepStrictEqual } from 'node:util';
import type { Db, Tx } from '../../db/client.js';
import { schemeRuleVersions, schemes } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { ensureSystemAccount } from '../../ledger/system-accounts.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { recordAudit } from '../audit/audit.repo.js';
import { incentiveBudgetFigures } from '../incentives/incentives.service.js';
import type { ServiceDeps } from '../deps.js';
import { rulesFromJson, rulesToJson, type SchemeRules } from './scheme-rules.js';
import { budgetFigures, findScheme, latestRuleVersion, listSchemes, lockScheme, nextRuleVersion, ruleVersions, rulesAt, type SchemeRow } from './schemes.repo.js';
import type { Acting } from '../acting.js';

export async function createScheme(
  deps: ServiceDeps,
  db: Db | Tx,
  input: { code: string; name: string; country: string; currency: Currency; rules: SchemeRules },
  acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const id = newId();
    const budgetAccountId = newId();
    await deps.ledger.createAccounts(tx, [
      { id: budgetAccountId, currency: input.currency, kind: 'scheme_budget', ownerId: id, limit: 'debits_must_not_exceed_credits' },
    ]);
    await tx.insert(schemes).values({ id, code: input.code, name: input.name, country: input.country, currency: input.currency, budgetAccountId, createdAt: now });
    await tx.insert(schemeRuleVersions).values({
      schemeId: id, version: 1, rules: rulesToJson(input.rules), effectiveFrom: now, createdAt: now, createdBy: acting.actor.subject,
    });
    await recordAudit(tx, { ...acting, action: 'scheme.created', entityType: 'scheme', entityId: id, at: now, details: { code: input.code } });
    return id;
  });
}

/**
 * A new version of the rules, effective `effectiveFrom` (now by default).
 * When the newest version already holds these rules and takes effect no later
 * than `from`, a new version would change the rules in force at no moment: it
 * is not written (no row, no audit event) and the newest version's number
 * is returned, whatever the Idempotency-Key. The same rules brought forward (the
 * newest version is scheduled after `from`) are a change, and a new version.
 */
export async function replaceRules(
  deps: ServiceDeps, db: Db | Tx, schemeId: string, rules: SchemeRules, effectiveFrom: Date | undefined, acting: Acting,
): Promise<{ version: number; created: boolean }> {
  return inTransaction(db, async (tx) => {
    const scheme = await lockScheme(tx, schemeId);
    if (!scheme) throw notFound('scheme');
    const now = deps.clock.now();
    const from = effectiveFrom ?? now;
    if (from < now) throw new AppError('validation_failed', 'the request is not valid', {
      errors: [{ path: 'body.effectiveFrom', message: 'rules cannot take effect in the past: history is never rewritten' }],
    });
    const latest = await latestRuleVersion(tx, schemeId);
    if (latest && latest.effectiveFrom <= from && sameRules(latest.rules, rules)) return { version: latest.version, created: false };
    const version = await nextRuleVersion(tx, schemeId);
    await tx.insert(schemeRuleVersions).values({ schemeId, version, rules: rulesToJson(rules), effectiveFrom: from, createdAt: now, createdBy: acting.actor.subject });
    await recordAudit(tx, { ...acting, action: 'scheme.rules_versioned', entityType: 'scheme', entityId: schemeId, at: now, details: { version } });
    return { version, created: true };
  });
}

/** Stored rules against new ones, both read through the schema so defaults and key order do not count. */
const sameRules = (stored: unknown, rules: SchemeRules): boolean => isDeepStrictEqual(rulesToJson(rulesFromJson(stored)), rulesToJson(rules));

/** Treasury -> scheme budget, one posted transfer, audited with it. */
export async function allocateBudget(deps: ServiceDeps, db: Db | Tx, schemeId: string, amount: bigint, note: string | undefined, acting: Acting) {
  return inTransaction(db, async (tx) => {
    const scheme = await findScheme(tx, schemeId);
    if (!scheme) throw notFound('scheme');
    if (scheme.status !== 'active') throw new AppError('invalid_state', 'the scheme is closed');
    const treasury = await ensureSystemAccount(tx, deps.ledger, 'treasury', scheme.currency as Currency);
    const transferId = newId();
    await deps.ledger.commit(tx, [
      { id: transferId, kind: 'posted', debitAccountId: treasury, creditAccountId: scheme.budgetAccountId, amount, code: 'allocation', referenceId: schemeId },
    ]);
    await recordAudit(tx, {
      ...acting, action: 'scheme.budget_allocated', entityType: 'scheme', entityId: schemeId, at: deps.clock.now(),
      details: { transferId, amount: amount.toString(), currency: scheme.currency, ...(note ? { note } : {}) },
    });
    return { transferId, scheme, budget: await budgetFigures(tx, scheme.budgetAccountId) };
  });
}

export async function schemeView(deps: ServiceDeps, db: Db | Tx, scheme: SchemeRow, withBudget: boolean) {
  const current = await rulesAt(db, scheme.id, deps.clock.now());
  if (!current) throw new AppError('invalid_state', 'the scheme has no rules in force');
  return {
    id: scheme.id,
    code: scheme.code,
    name: scheme.name,
    country: scheme.country,
    currency: scheme.currency,
    status: scheme.status,
    rulesVersion: current.version,
    rules: current.rules,
    ...(withBudget ? { budget: await budgetFigures(db, scheme.budgetAccountId), incentiveBudget: await incentiveBudgetFigures(db, scheme.id) } : {}),
    createdAt: scheme.createdAt.toISOString(),
  };
}

export async function getScheme(db: Db | Tx, schemeId: string): Promise<SchemeRow> {
  const scheme = await findScheme(db, schemeId);
  if (!scheme) throw notFound('scheme');
  return scheme;
}

export const allSchemes = (db: Db | Tx) => listSchemes(db);

/** Every version of a scheme's rules, oldest first. */
export async function ruleVersionsOf(db: Db | Tx, schemeId: string) {
  await getScheme(db, schemeId);
  return ruleVersions(db, schemeId);
}
