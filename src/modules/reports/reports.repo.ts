import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { BONUS_REVOCATION, grantCodesSql } from '../grants/grant-codes.js';

type Executor = Db | Tx;

/**
 * Report queries. Every figure is derived from rows that never change once
 * written: ledger transfers with created_at <= asOf (ledger_transfers_as_of),
 * and for a pending transfer the post/void/expire rows naming it (never its
 * mutable `state`).
 * Amounts come back from PostgreSQL as text and stay strings or bigint.
 */

/** A pending transfer `p` is open at asOf when nothing closing it was written by then. */
export const openAt = (asOf: string) =>
  sql`not exists (select 1 from ledger_transfers_as_of(${asOf}::timestamptz) c where c.pending_id = p.id)`;

export interface SchemeFiguresRow {
  scheme_id: string;
  code: string;
  name: string;
  currency: string;
  allocated: string;
  granted: string;
  expired: string;
  revoked: string;
  reversed_to_scheme: string;
  reversed_to_grants: string;
  budget_credits_posted: string;
  budget_debits_posted: string;
  budget_debits_pending: string;
  reserved: string;
  spent: string;
  grant_credits_posted: string;
  grant_debits_posted: string;
  spent_disbursed: string;
}

/** Figures for one keyset page of schemes, ordered by id. */
export async function schemeFigures(db: Executor, asOf: string, afterId: string | null, limit: number): Promise<SchemeFiguresRow[]> {
  const r = await db.execute<SchemeFiguresRow & Record<string, unknown>>(sql`
    with s as (
      select id, code, name, currency, budget_account_id from schemes
       where (${afterId}::uuid is null or id > ${afterId}::uuid)
       order by id limit ${limit}
    ),
    budget as (
      select s.id scheme_id,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code = 'allocation'), 0) allocated,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code = 'grant_expiry'), 0) expired,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code in ('grant_revocation', ${BONUS_REVOCATION})), 0) revoked,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code = 'claim_reversal_to_scheme'), 0) reversed_to_scheme,
             coalesce(sum(t.amount) filter (where t.kind in ('posted', 'post_pending')), 0) credits_posted,
             0::numeric granted, 0::numeric debits_posted
        from s join ledger_transfers_as_of(${asOf}::timestamptz) t on t.credit_account_id = s.budget_account_id
       group by s.id
      union all
      select s.id, 0, 0, 0, 0, 0,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code in (${grantCodesSql})), 0),
             coalesce(sum(t.amount) filter (where t.kind in ('posted', 'post_pending')), 0)
        from s join ledger_transfers_as_of(${asOf}::timestamptz) t on t.debit_account_id = s.budget_account_id
       group by s.id
    ),
    budget_pending as (
      select s.id scheme_id, sum(p.amount) debits_pending
        from s join ledger_transfers_as_of(${asOf}::timestamptz) p on p.debit_account_id = s.budget_account_id and p.kind = 'pending'
       where ${openAt(asOf)}
       group by s.id
    ),
    g as (select g.id, g.scheme_id from grants g join s on s.id = g.scheme_id),
    grant_in as (
      select g.scheme_id, sum(t.amount) credits_posted,
             coalesce(sum(t.amount) filter (where t.kind = 'posted' and t.code = 'claim_reversal'), 0) reversed_to_grants
        from g join ledger_transfers_as_of(${asOf}::timestamptz) t on t.credit_account_id = g.id and t.kind in ('posted', 'post_pending')
       group by g.scheme_id
    ),
    grant_out as (
      select g.scheme_id, sum(t.amount) debits_posted,
             coalesce(sum(t.amount) filter (where t.kind = 'post_pending' and t.code = 'claim_payment'), 0) spent
        from g join ledger_transfers_as_of(${asOf}::timestamptz) t on t.debit_account_id = g.id and t.kind in ('posted', 'post_pending')
       group by g.scheme_id
    ),
    grant_pending as (
      select g.scheme_id, sum(p.amount) reserved
        from g join ledger_transfers_as_of(${asOf}::timestamptz) p on p.debit_account_id = g.id and p.kind = 'pending'
       where ${openAt(asOf)}
       group by g.scheme_id
    ),
    -- Claim payments whose claim sat on a payment line settled (and not
    -- returned) by asOf. The posts are per grant, so per scheme this is exact.
    disbursed as (
      select g.scheme_id, sum(t.amount) spent_disbursed
        from g join ledger_transfers_as_of(${asOf}::timestamptz) t on t.debit_account_id = g.id and t.kind = 'post_pending' and t.code = 'claim_payment'
        join enrolment_reservations er on er.transfer_id = t.pending_id
       where exists (
         select 1 from claims c
           join payment_line_claims plc on plc.claim_id = c.id
           join payment_lines pl on pl.id = plc.line_id
          where c.enrolment_id = er.enrolment_id and c.module_ordinal = er.module_ordinal
            and (c.reversed_at is null or c.reversed_at > ${asOf}::timestamptz)
            and pl.settled_at <= ${asOf}::timestamptz
            and (pl.returned_at is null or pl.returned_at > ${asOf}::timestamptz))
       group by g.scheme_id
    )
    select s.id scheme_id, s.code, s.name, s.currency::text currency,
           (select coalesce(sum(allocated), 0) from budget b where b.scheme_id = s.id)::text allocated,
           (select coalesce(sum(granted), 0) from budget b where b.scheme_id = s.id)::text granted,
           (select coalesce(sum(expired), 0) from budget b where b.scheme_id = s.id)::text expired,
           (select coalesce(sum(revoked), 0) from budget b where b.scheme_id = s.id)::text revoked,
           (select coalesce(sum(reversed_to_scheme), 0) from budget b where b.scheme_id = s.id)::text reversed_to_scheme,
           coalesce(gi.reversed_to_grants, 0)::text reversed_to_grants,
           (select coalesce(sum(credits_posted), 0) from budget b where b.scheme_id = s.id)::text budget_credits_posted,
           (select coalesce(sum(debits_posted), 0) from budget b where b.scheme_id = s.id)::text budget_debits_posted,
           coalesce(bp.debits_pending, 0)::text budget_debits_pending,
           coalesce(gp.reserved, 0)::text reserved,
           coalesce(go.spent, 0)::text spent,
           coalesce(gi.credits_posted, 0)::text grant_credits_posted,
           coalesce(go.debits_posted, 0)::text grant_debits_posted,
           coalesce(d.spent_disbursed, 0)::text spent_disbursed
      from s
      left join budget_pending bp on bp.scheme_id = s.id
      left join grant_in gi on gi.scheme_id = s.id
      left join grant_out go on go.scheme_id = s.id
      left join grant_pending gp on gp.scheme_id = s.id
      left join disbursed d on d.scheme_id = s.id
     order by s.id`);
  return r.rows;
}

export interface TrialBalanceRow {
  currency: string;
  kind: string;
  accounts: string;
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
}

/** Per currency and account kind, as of asOf, from the transfers alone. */
export async function trialBalance(db: Executor, asOf: string): Promise<TrialBalanceRow[]> {
  const r = await db.execute<TrialBalanceRow & Record<string, unknown>>(sql`
    with t as (select * from ledger_transfers_as_of(${asOf}::timestamptz)),
    moves as (
      select debit_account_id account_id, amount dpo, 0::bigint cpo, 0::bigint dpe, 0::bigint cpe
        from t where kind in ('posted', 'post_pending')
      union all
      select credit_account_id, 0, amount, 0, 0 from t where kind in ('posted', 'post_pending')
      union all
      select p.debit_account_id, 0, 0, p.amount, 0 from t p where p.kind = 'pending' and ${openAt(asOf)}
      union all
      select p.credit_account_id, 0, 0, 0, p.amount from t p where p.kind = 'pending' and ${openAt(asOf)}
    ),
    per_account as (
      select account_id, sum(dpo) dpo, sum(cpo) cpo, sum(dpe) dpe, sum(cpe) cpe from moves group by account_id
    )
    select a.currency::text currency, a.kind, count(*)::text accounts,
           coalesce(sum(m.dpo), 0)::text debits_posted, coalesce(sum(m.cpo), 0)::text credits_posted,
           coalesce(sum(m.dpe), 0)::text debits_pending, coalesce(sum(m.cpe), 0)::text credits_pending
      from per_account m cross join lateral ledger_account(m.account_id) a
     group by a.currency, a.kind
     order by a.currency, a.kind`);
  return r.rows;
}

export interface PayableAccount {
  currency: string;
  account_id: string;
}

export async function providerExists(db: Executor, providerId: string): Promise<boolean> {
  const r = await db.execute(sql`select 1 from providers where id = ${providerId}::uuid`);
  return r.rows.length > 0;
}

export async function payableAccounts(db: Executor, providerId: string): Promise<PayableAccount[]> {
  const r = await db.execute<PayableAccount & Record<string, unknown>>(
    sql`select currency::text currency, account_id::text account_id from provider_payables where provider_id = ${providerId}::uuid order by currency`,
  );
  return r.rows;
}

export interface MovementRow {
  id: string;
  at: string;
  seq: number;
  kind: string;
  code: string;
  reference_id: string | null;
  pending_id: string | null;
  side: 'debit' | 'credit';
  amount: string;
  pending_amount: string | null;
}

export interface MovementCursor {
  at: string;
  seq: number;
  id: string;
}

/**
 * Movements of a payable that are the provider's money: everything debited
 * (disbursements, pending or final, and their release), and posted credits
 * (claim payments, returned disbursements). Pending credits are reservations
 * not yet earned and are left out. Ordered by time, then credits before
 * debits and a pending before what closes it, then id; keyset paged.
 */
export async function payableMovements(
  db: Executor, accountId: string, asOf: string, after: MovementCursor | null, limit: number,
): Promise<MovementRow[]> {
  const r = await db.execute<MovementRow & Record<string, unknown>>(sql`
    with m as (
      select t.id, t.created_at ts,
             -- At one instant: money in first (a batch only pays what was earned),
             -- then a pending before what closes it.
             case when t.credit_account_id = ${accountId}::uuid then 0
                  when t.kind = 'pending' then 1 when t.kind = 'posted' then 2 else 3 end seq,
             t.kind, t.code, t.reference_id::text reference_id, t.pending_id::text pending_id,
             case when t.debit_account_id = ${accountId}::uuid then 'debit' else 'credit' end side,
             t.amount::text amount, p.amount::text pending_amount
        from ledger_transfers_as_of(${asOf}::timestamptz) t
        left join lateral ledger_transfer(t.pending_id) p on true
       where (t.debit_account_id = ${accountId}::uuid
              or (t.credit_account_id = ${accountId}::uuid and t.kind in ('posted', 'post_pending')))
    )
    select id::text id, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') at, seq, kind, code, reference_id, pending_id,
           side, amount, pending_amount
      from m
     where ${after === null ? sql`true` : sql`(ts, seq, id) > (${after.at}::timestamptz, ${after.seq}::int, ${after.id}::uuid)`}
     order by ts, seq, id
     limit ${limit}`);
  return r.rows;
}

export interface ExceptionRow {
  id: string;
  kind: string;
  statement_line_id: string | null;
  payment_line_id: string | null;
  detail: string;
  expected: string | null;
  actual: string | null;
  currency: string;
  status: string;
  raised_at: string;
  resolved_by: string | null;
  resolution: string | null;
  resolved_at: string | null;
}

const isoOf = (col: string) => sql.raw(`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** Reconciliation exceptions, oldest first, keyset paged by (raised_at, id). */
export async function reconciliationExceptions(
  db: Executor, status: 'open' | 'resolved' | undefined, after: { at: string; id: string } | null, limit: number,
): Promise<(ExceptionRow & { raised_at_exact: string })[]> {
  const r = await db.execute<ExceptionRow & { raised_at_exact: string } & Record<string, unknown>>(sql`
    select id::text id, kind, statement_line_id::text statement_line_id, payment_line_id::text payment_line_id, detail,
           expected::text expected, actual::text actual, currency::text currency, status,
           ${isoOf('raised_at')} raised_at, resolved_by, resolution, ${isoOf('resolved_at')} resolved_at,
           to_char(raised_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') raised_at_exact
      from reconciliation_exceptions
     where (${status ?? null}::text is null or status = ${status ?? null}::text)
       and ${after === null ? sql`true` : sql`(raised_at, id) > (${after.at}::timestamptz, ${after.id}::uuid)`}
     order by raised_at, id
     limit ${limit}`);
  return r.rows;
}
