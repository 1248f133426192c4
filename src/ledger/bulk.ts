import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { Currency } from '../lib/money.js';
import type { AccountKind } from './types.js';

/**
 * Opens many new limited accounts and funds each from one source account in
 * a single statement: the accounts, one posted transfer per account (its id
 * is the account id, so a repeat is refused by the primary key), and one
 * conditional debit of the source for the total. All or nothing: returns
 * false, having written nothing, when the source cannot cover the total (or
 * its debits would pass the int8 range: the total is computed in numeric).
 * Used for grant runs over millions of learners.
 */
export async function fundNewAccounts(
  tx: Tx,
  spec: {
    sourceAccountId: string;
    currency: Currency;
    kind: AccountKind;
    code: string;
    amount: bigint;
    accounts: { id: string; ownerId: string }[];
    at: Date;
  },
): Promise<boolean> {
  if (spec.accounts.length === 0) return true;
  const ids = `{${spec.accounts.map((a) => a.id).join(',')}}`;
  const owners = `{${spec.accounts.map((a) => a.ownerId).join(',')}}`;
  const total = spec.amount * BigInt(spec.accounts.length);
  const r = await tx.execute<{ debited: number; opened: number; moved: number }>(sql`
    with items as (
      select * from unnest(${ids}::uuid[], ${owners}::uuid[]) as x(id, owner_id)
    ), debit as (
      update ledger_accounts a set debits_posted = a.debits_posted + ${total.toString()}::numeric
       where a.id = ${spec.sourceAccountId} and a.currency = ${spec.currency}
         and ledger_counters_problem(a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits, a.debits_pending,
                                     a.debits_posted + ${total.toString()}::numeric, a.credits_pending, a.credits_posted) is null
      returning a.id
    ), opened as (
      insert into ledger_accounts (id, currency, kind, owner_id, debits_must_not_exceed_credits, credits_posted)
      select id, ${spec.currency}, ${spec.kind}, owner_id, true, ${spec.amount}::bigint from items where exists (select 1 from debit)
      returning id
    ), moved as (
      insert into ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, code, reference_id, created_at)
      select id, 'posted', ${spec.sourceAccountId}, id, ${spec.amount}::bigint, ${spec.currency}, ${spec.code}, id, ${spec.at.toISOString()}::timestamptz
        from items where exists (select 1 from debit)
      returning id
    )
    select (select count(*) from debit)::int as debited, (select count(*) from opened)::int as opened, (select count(*) from moved)::int as moved`);
  const row = r.rows[0];
  return row !== undefined && row.debited === 1;
}

/**
 * Posts many pending transfers in full, in one statement. Only for transfers
 * between unlimited accounts (a payable paying out to bank clearing), whose
 * balances move by appended deltas: posting a pending transfer in full can
 * never break a limit, and no account row is locked. Transfers already
 * posted, voided or expired are left alone; returns how many were posted.
 */
export async function postPendingInBulk(tx: Tx, spec: { pendingIds: string[]; code: string; at: Date }): Promise<number> {
  if (spec.pendingIds.length === 0) return 0;
  const limited = await tx.execute<{ n: number }>(sql`
    select count(*)::int n from ledger_transfers t join ledger_accounts a on a.id in (t.debit_account_id, t.credit_account_id)
     where t.id = any(${`{${spec.pendingIds.join(',')}}`}::uuid[]) and (a.debits_must_not_exceed_credits or a.credits_must_not_exceed_debits)`);
  if ((limited.rows[0]?.n ?? 0) > 0) throw new Error('postPendingInBulk only posts transfers between unlimited accounts');
  const r = await tx.execute<{ n: number }>(sql`
    with due as (
      update ledger_transfers p set state = 'posted'
       where p.id = any(${`{${spec.pendingIds.join(',')}}`}::uuid[]) and p.state = 'pending'
         and (p.timeout_at is null or p.timeout_at > ${spec.at.toISOString()}::timestamptz)
      returning p.id, p.debit_account_id, p.credit_account_id, p.amount, p.currency, p.reference_id
    ), posts as (
      insert into ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, code, reference_id, created_at)
      select gen_random_uuid(), 'post_pending', d.debit_account_id, d.credit_account_id, d.amount, d.currency, d.id, ${spec.code}, d.reference_id,
             ${spec.at.toISOString()}::timestamptz
        from due d
      returning 1
    ), deltas as (
      insert into ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
      select debit_account_id, -sum(amount), sum(amount), 0, 0 from due group by debit_account_id
      union all
      select credit_account_id, 0, 0, -sum(amount), sum(amount) from due group by credit_account_id
      returning 1
    )
    select (select count(*) from due)::int as n, (select count(*) from posts) as p, (select count(*) from deltas) as d`);
  return r.rows[0]?.n ?? 0;
}
