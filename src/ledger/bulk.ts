import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { Currency } from '../lib/money.js';
import type { AccountKind } from './types.js';

/**
 * Opens many new limited accounts and funds each from one source account in
 * a single statement: the accounts, one posted transfer per account (its id
 * is the account id, so a repeat is refused by the primary key), and one
 * conditional debit of the source for the total. All or nothing: returns
 * false, having written nothing, when the source cannot cover the total.
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
      update ledger_accounts a set debits_posted = a.debits_posted + ${total}::bigint
       where a.id = ${spec.sourceAccountId} and a.currency = ${spec.currency}
         and (not a.debits_must_not_exceed_credits or a.debits_pending + a.debits_posted + ${total}::bigint <= a.credits_posted)
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
