import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';

/**
 * The ledger's invariants, checked by SQL over the whole database. Returns a
 * list of violations; empty means the books are sound.
 */
export async function ledgerViolations(db: Db | Tx): Promise<string[]> {
  const out: string[] = [];
  const totals = await db.execute<{ currency: string; dp: string; dpo: string; cp: string; cpo: string }>(sql`
    select currency, sum(debits_pending)::text dp, sum(debits_posted)::text dpo,
           sum(credits_pending)::text cp, sum(credits_posted)::text cpo
      from ledger_balances group by currency`);
  for (const t of totals.rows) {
    if (t.dpo !== t.cpo) out.push(`${t.currency}: posted debits ${t.dpo} != posted credits ${t.cpo}`);
    if (t.dp !== t.cp) out.push(`${t.currency}: pending debits ${t.dp} != pending credits ${t.cp}`);
  }
  const overdrawn = await db.execute<{ id: string }>(sql`
    select id from ledger_balances
     where (debits_must_not_exceed_credits and debits_pending + debits_posted > credits_posted)
        or (credits_must_not_exceed_debits and credits_pending + credits_posted > debits_posted)
        or debits_pending < 0 or credits_pending < 0 or debits_posted < 0 or credits_posted < 0`);
  for (const r of overdrawn.rows) out.push(`account ${r.id} breaks its limit or has a negative counter`);
  const pendingMismatch = await db.execute<{ id: string; side: string }>(sql`
    with open as (
      select debit_account_id, credit_account_id, amount from ledger_transfers where state = 'pending'
    ), d as (select debit_account_id id, sum(amount) s from open group by 1),
       c as (select credit_account_id id, sum(amount) s from open group by 1)
    select b.id, 'debit' side from ledger_balances b left join d on d.id = b.id
     where b.debits_pending <> coalesce(d.s, 0)
    union all
    select b.id, 'credit' from ledger_balances b left join c on c.id = b.id
     where b.credits_pending <> coalesce(c.s, 0)`);
  for (const r of pendingMismatch.rows) out.push(`account ${r.id}: ${r.side}s pending differ from open pending transfers`);
  const postedMismatch = await db.execute<{ id: string }>(sql`
    with moves as (
      select debit_account_id id, amount d, 0::bigint c from ledger_transfers where kind in ('posted', 'post_pending')
      union all
      select credit_account_id, 0, amount from ledger_transfers where kind in ('posted', 'post_pending')
    ), s as (select id, sum(d) d, sum(c) c from moves group by id)
    select b.id from ledger_balances b left join s on s.id = b.id
     where b.debits_posted <> coalesce(s.d, 0) or b.credits_posted <> coalesce(s.c, 0)`);
  for (const r of postedMismatch.rows) out.push(`account ${r.id}: posted balance differs from its transfers`);
  // Transfers and deltas carry no foreign keys (see the schema): check here
  // that nothing names an account that does not exist.
  const dangling = await db.execute<{ id: string }>(sql`
    select distinct x.id from (
      select debit_account_id id from ledger_transfers union all select credit_account_id from ledger_transfers
      union all select account_id from ledger_account_deltas
    ) x left join ledger_accounts a on a.id = x.id where a.id is null`);
  for (const r of dangling.rows) out.push(`a transfer or delta names missing account ${r.id}`);
  // A limited account is changed in place, never by deltas; readers of grant
  // balances rely on it (learner_grant_balances reads the row alone).
  const limitedWithDeltas = await db.execute<{ id: string }>(sql`
    select distinct a.id from ledger_account_deltas x join ledger_accounts a on a.id = x.account_id
     where a.debits_must_not_exceed_credits or a.credits_must_not_exceed_debits`);
  for (const r of limitedWithDeltas.rows) out.push(`limited account ${r.id} has deltas`);
  // Deltas the fold set aside: the transfers happened, the row cannot hold them.
  const quarantined = await db.execute<{ account_id: string; n: number; reasons: string }>(sql`
    select account_id, count(*)::int n, string_agg(distinct reason, ', ' order by reason) reasons
      from ledger_quarantined_deltas group by account_id order by account_id`);
  for (const r of quarantined.rows) out.push(`account ${r.account_id} has ${r.n} quarantined deltas (${r.reasons})`);
  return out;
}
