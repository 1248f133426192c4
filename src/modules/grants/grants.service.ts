import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { grantRuns, grants } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { LedgerRejected } from '../../ledger/ledger.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { budgetFigures, findScheme, rulesAt, type SchemeRow } from '../schemes/schemes.repo.js';
import type { GrantCode } from './grant-codes.js';
import type { GrantRunCriteria } from './grants.schemas.js';
import { countMatching, findGrantRun, nextRunBatch, type GrantRunRow } from './grants.repo.js';
import type { Acting } from '../acting.js';
import { DAY_MS } from '../../lib/dates.js';

async function activeScheme(db: Db | Tx, schemeId: string): Promise<SchemeRow> {
  const scheme = await findScheme(db, schemeId);
  if (!scheme) throw notFound('scheme');
  if (scheme.status !== 'active') throw new AppError('invalid_state', 'the scheme is closed');
  return scheme;
}

/** Expiry and first-use deadline of a grant made now under the scheme's rules. */
async function grantDates(deps: ServiceDeps, db: Db | Tx, scheme: SchemeRow, expiresAt: string | null | undefined) {
  const now = deps.clock.now();
  const rules = (await rulesAt(db, scheme.id, now))?.rules;
  if (!rules) throw new AppError('invalid_state', 'the scheme has no rules in force');
  const expiry =
    expiresAt === null ? null : expiresAt !== undefined ? new Date(expiresAt) : rules.grantValidityDays ? new Date(now.getTime() + rules.grantValidityDays * DAY_MS) : null;
  if (expiry && expiry <= now) {
    throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.expiresAt', message: 'must be in the future' }] });
  }
  const firstUseDeadline = rules.firstUseDeadlineDays ? new Date(now.getTime() + rules.firstUseDeadlineDays * DAY_MS) : null;
  return { now, expiry, firstUseDeadline };
}

/** One grant: a new limited account funded from the scheme budget, in one transaction. */
export async function grantCredit(
  deps: ServiceDeps,
  db: Db | Tx,
  input: {
    learnerId: string; schemeId: string; amount: bigint; expiresAt?: string | null | undefined; reason?: string | undefined;
    code?: GrantCode;
  },
  acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    // Key-share locked: an erasure (which locks the learner for update) waits for this grant, or this grant sees it.
    const learner = (await tx.execute<{ erased: boolean }>(sql`select erased_at is not null as erased from learners where id = ${input.learnerId} for key share`)).rows[0];
    if (!learner) throw notFound('learner');
    if (learner.erased) throw new AppError('invalid_state', 'the learner\'s personal data was erased: no new credit can be granted to them');
    const scheme = await activeScheme(tx, input.schemeId);
    const { now, expiry, firstUseDeadline } = await grantDates(deps, tx, scheme, input.expiresAt);
    const id = newId();
    await deps.ledger.createAccounts(tx, [
      { id, currency: scheme.currency as Currency, kind: 'learner_grant', ownerId: input.learnerId, limit: 'debits_must_not_exceed_credits' },
    ]);
    try {
      await deps.ledger.commit(tx, [
        { id, kind: 'posted', debitAccountId: scheme.budgetAccountId, creditAccountId: id, amount: input.amount, code: input.code ?? 'grant', referenceId: id },
      ]);
    } catch (err) {
      if (err instanceof LedgerRejected && err.cause0 === 'exceeds_credits') {
        throw new AppError('insufficient_budget', 'the scheme budget cannot cover this grant');
      }
      throw err;
    }
    const [row] = await tx
      .insert(grants)
      .values({
        id, learnerId: input.learnerId, schemeId: scheme.id, currency: scheme.currency, amount: input.amount, grantedAt: now,
        expiresAt: expiry, firstUseDeadline, reason: input.reason ?? null,
      })
      .returning();
    await recordAudit(tx, {
      ...acting, action: 'grant.created', entityType: 'grant', entityId: id, at: now,
      details: { learnerId: input.learnerId, schemeId: scheme.id, amount: input.amount.toString(), ...(input.code && input.code !== 'grant' ? { code: input.code } : {}) },
    });
    return row!;
  });
}

export async function createGrantRun(
  deps: ServiceDeps,
  db: Db | Tx,
  schemeId: string,
  input: { criteria: GrantRunCriteria; amount: bigint; expiresAt?: string | null | undefined },
  acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    const scheme = await activeScheme(tx, schemeId);
    const { now, expiry } = await grantDates(deps, tx, scheme, input.expiresAt);
    // Refuse up front a run the budget cannot cover; each batch still checks again.
    const needed = (await countMatching(tx, input.criteria)) * input.amount;
    const { available } = await budgetFigures(tx, scheme.budgetAccountId);
    if (needed > available) {
      throw new AppError('insufficient_budget', `the run needs ${needed} but the scheme budget has ${available} available`);
    }
    const id = newId();
    const [run] = await tx
      .insert(grantRuns)
      .values({ id, schemeId, criteria: input.criteria, amount: input.amount, expiresAt: expiry, status: 'queued', createdAt: now, createdBy: acting.actor.subject })
      .returning();
    await recordAudit(tx, {
      ...acting, action: 'grant_run.created', entityType: 'grant_run', entityId: id, at: now,
      details: { schemeId, amount: input.amount.toString(), matching: (needed / input.amount).toString() },
    });
    return run!;
  });
}

const LEASE_MS = 60_000;

/** Takes the oldest run nobody is working on (a crashed worker's lease runs out). */
async function claimRun(deps: ServiceDeps): Promise<GrantRunRow | undefined> {
  const now = deps.clock.now();
  const r = await deps.database.db.execute<{ id: string }>(sql`
    update grant_runs set status = 'running', lease_until = ${new Date(now.getTime() + LEASE_MS).toISOString()}::timestamptz,
           started_at = coalesce(started_at, ${now.toISOString()}::timestamptz)
     where id = (select id from grant_runs
                  where status in ('queued', 'running') and (lease_until is null or lease_until < ${now.toISOString()}::timestamptz)
                  order by created_at limit 1 for update skip locked)
    returning id`);
  const id = r.rows[0]?.id;
  return id ? findGrantRun(deps.database.db, id) : undefined;
}

/**
 * Works one run batch by batch. Each batch is one transaction: it grants the
 * learners after the cursor that this run has not granted yet, then moves
 * the cursor. A crash loses at most the batch in flight, which rolls back; a
 * restart resumes at the cursor, and the unique (run, learner) key makes a
 * second grant impossible even if it did not.
 */
export async function workGrantRun(deps: ServiceDeps, run: GrantRunRow, options: { batchSize?: number; maxBatches?: number } = {}) {
  const batchSize = options.batchSize ?? 10_000;
  const scheme = (await findScheme(deps.database.db, run.schemeId))!;
  let current = run;
  for (let batch = 0; options.maxBatches === undefined || batch < options.maxBatches; batch++) {
    const outcome = await inTransaction(deps.database.db, async (tx) => {
      const now = deps.clock.now();
      const rows = await nextRunBatch(tx, current, batchSize);
      if (rows.length === 0) {
        await tx.update(grantRuns).set({ status: 'completed', finishedAt: now, leaseUntil: null }).where(eq(grantRuns.id, current.id));
        await recordAudit(tx, {
          actor: { role: 'system', subject: 'grant-run-worker' }, action: 'grant_run.completed', entityType: 'grant_run', entityId: current.id, at: now,
          details: { granted: current.granted.toString() },
        });
        return 'completed' as const;
      }
      const fresh = rows.filter((r) => !r.granted).map((r) => ({ id: newId(), ownerId: r.id }));
      const funded = await deps.ledger.fundNewAccounts(tx, {
        sourceAccountId: scheme.budgetAccountId, currency: scheme.currency as Currency, kind: 'learner_grant', code: 'grant',
        amount: current.amount, accounts: fresh, at: now,
      });
      if (!funded) return 'insufficient_budget' as const;
      if (fresh.length > 0) {
        const ids = `{${fresh.map((f) => f.id).join(',')}}`;
        const owners = `{${fresh.map((f) => f.ownerId).join(',')}}`;
        await tx.execute(sql`
          insert into grants (id, learner_id, scheme_id, currency, amount, granted_at, expires_at, grant_run_id)
          select x.id, x.learner_id, ${scheme.id}, ${scheme.currency}, ${current.amount}::bigint, ${now.toISOString()}::timestamptz,
                 ${current.expiresAt?.toISOString() ?? null}::timestamptz, ${current.id}
            from unnest(${ids}::uuid[], ${owners}::uuid[]) as x(id, learner_id)`);
      }
      const last = rows[rows.length - 1]!.id;
      const [updated] = await tx
        .update(grantRuns)
        .set({
          cursor: last,
          granted: sql`${grantRuns.granted} + ${fresh.length}`,
          grantedAmount: sql`${grantRuns.grantedAmount} + ${current.amount * BigInt(fresh.length)}::bigint`,
          leaseUntil: new Date(now.getTime() + LEASE_MS),
        })
        .where(eq(grantRuns.id, current.id))
        .returning();
      await recordAudit(tx, {
        actor: { role: 'system', subject: 'grant-run-worker' }, action: 'grant_run.batch_granted', entityType: 'grant_run', entityId: current.id, at: now,
        details: { learners: fresh.length, through: last },
      });
      current = updated!;
      return 'more' as const;
    });
    if (outcome === 'completed') return 'completed';
    if (outcome === 'insufficient_budget') {
      await deps.database.db
        .update(grantRuns)
        .set({ status: 'failed', error: 'the scheme budget ran out; learners after the cursor were not granted', finishedAt: deps.clock.now(), leaseUntil: null })
        .where(eq(grantRuns.id, current.id));
      return 'failed';
    }
  }
  return 'paused';
}

/** Works every claimable run to the end. Safe to call from several places at once. */
export async function workPendingGrantRuns(deps: ServiceDeps, options: { batchSize?: number } = {}) {
  let worked = 0;
  for (let run = await claimRun(deps); run; run = await claimRun(deps)) {
    await workGrantRun(deps, run, options);
    worked++;
  }
  return worked;
}

/**
 * Returns unused credit to the scheme budget: for grants past their expiry
 * (expired), for grants never used by their first-use deadline (revoked),
 * and again for closed grants whose reservations have since been released.
 * A closed grant is settled once nothing of it is reserved any more.
 */
export async function sweepGrants(deps: ServiceDeps, limit = 500): Promise<{ closed: number; returned: bigint }> {
  return inTransaction(deps.database.db, async (tx) => {
    const now = deps.clock.now().toISOString();
    const due = await tx.execute<{
      id: string; learner_id: string; status: string; closing: string | null; budget: string; available: string; pending: string;
    }>(sql`
      with picked as (
        select g.id, g.learner_id, g.scheme_id, g.status,
               case when g.status = 'active' and g.expires_at <= ${now}::timestamptz then 'expired'
                    when g.status = 'active' and g.first_used_at is null and g.first_use_deadline <= ${now}::timestamptz then 'revoked' end as closing
          from grants g
         where (g.status = 'active' and g.expires_at <= ${now}::timestamptz)
            or (g.status = 'active' and g.first_used_at is null and g.first_use_deadline <= ${now}::timestamptz)
            or (g.status <> 'active' and not g.settled and exists (
                  select 1 from ledger_balance(g.id) b
                   where (b.debits_pending = 0 or ledger_available(b.credits_posted, b.debits_posted, b.debits_pending) > 0)))
         limit ${limit}
         for update of g skip locked
      )
      select p.id, p.learner_id, p.status, p.closing, s.budget_account_id as budget,
             ledger_available(b.credits_posted, b.debits_posted, b.debits_pending)::text as available, b.debits_pending::text as pending
        from picked p join schemes s on s.id = p.scheme_id cross join lateral ledger_balance(p.id) b`);
    let returned = 0n;
    const withCredit = due.rows.filter((g) => BigInt(g.available) > 0n);
    const transfers = withCredit
      .map((g) => ({
        id: newId(),
        kind: 'posted' as const,
        debitAccountId: g.id,
        creditAccountId: g.budget,
        amount: BigInt(g.available),
        code: (g.closing ?? g.status) === 'revoked' ? 'grant_revocation' : 'grant_expiry',
        referenceId: g.id,
      }));
    const results = await deps.ledger.createTransfers(tx, transfers);
    const returnFailed = new Set<string>();
    transfers.forEach((t, i) => {
      if (results[i] === 'ok') returned += t.amount;
      else returnFailed.add(withCredit[i]!.id);
    });
    // Settled only when nothing is reserved and the return went through: a
    // reservation racing the sweep makes the return fail, so it is retried.
    for (const g of due.rows) {
      const status = (g.closing ?? g.status) as 'expired' | 'revoked';
      const settled = BigInt(g.pending) === 0n && !returnFailed.has(g.id);
      await tx.update(grants).set({ status, settled }).where(eq(grants.id, g.id));
    }
    if (due.rows.length > 0) {
      const events = due.rows.map((g) => ({
        id: g.id,
        action: g.closing ? `grant.${g.closing}` : 'grant.released_credit_returned',
        amount: BigInt(g.available) > 0n ? g.available : '0',
      }));
      await tx.execute(sql`
        select audit_append(e.id, ${now}::timestamptz, 'grant-sweeper', 'system', e.action, 'grant', e.id, null,
                            jsonb_build_object('returned', e.amount))
          from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as e(id text, action text, amount text)`);
    }
    return { closed: due.rows.filter((g) => g.closing).length, returned };
  });
}

export async function getGrantRun(db: Db | Tx, runId: string): Promise<GrantRunRow> {
  const run = await findGrantRun(db, runId);
  if (!run) throw notFound('grant run');
  return run;
}
