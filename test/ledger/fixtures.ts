import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { AccountBalance, AccountKind, AccountLimit } from '../../src/ledger/types.js';
import type { Currency } from '../../src/lib/money.js';

/** The four counters of an account, as the ledger_balances view reports them. */
export interface Counters {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

export const counters = (b: AccountBalance | undefined): Counters => {
  if (!b) throw new Error('account not found');
  return { debitsPending: b.debitsPending, debitsPosted: b.debitsPosted, creditsPending: b.creditsPending, creditsPosted: b.creditsPosted };
};

export const zero: Counters = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };

export interface Book {
  treasury: string;
  grant: string;
  payable: string;
}

/**
 * A treasury (unlimited), a learner grant that must never be overdrawn,
 * funded with `funding` by one posted transfer, and a provider payable
 * (unlimited). Fresh random ids every call.
 */
export async function fundedBook(ledger: Ledger, db: Db, funding: bigint, currency: Currency = 'SGD'): Promise<Book> {
  const book = { treasury: randomUUID(), grant: randomUUID(), payable: randomUUID() };
  await ledger.createAccounts(db, [
    { id: book.treasury, currency, kind: 'treasury', limit: 'none' },
    { id: book.grant, currency, kind: 'learner_grant', limit: 'debits_must_not_exceed_credits' },
    { id: book.payable, currency, kind: 'provider_payable', limit: 'none' },
  ]);
  if (funding > 0n) {
    await ledger.commit(db, [
      { id: randomUUID(), kind: 'posted', debitAccountId: book.treasury, creditAccountId: book.grant, amount: funding, code: 'grant' },
    ]);
  }
  return book;
}

export async function account(ledger: Ledger, db: Db, kind: AccountKind, limit: AccountLimit, currency: Currency = 'SGD'): Promise<string> {
  const id = randomUUID();
  await ledger.createAccounts(db, [{ id, currency, kind, limit }]);
  return id;
}

export type TransferRow = {
  id: string;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  state: string | null;
  pending_id: string | null;
  code: string;
};

/** Every transfer row (including expire_pending rows) that touches one of the accounts. */
export async function transferRows(db: Db, accountIds: string[]): Promise<TransferRow[]> {
  const r = await db.execute<TransferRow>(sql`
    select id, kind, debit_account_id, credit_account_id, amount::text, state, pending_id, code
      from ledger_transfers
     where debit_account_id = any(${`{${accountIds.join(',')}}`}::uuid[])
        or credit_account_id = any(${`{${accountIds.join(',')}}`}::uuid[])
     order by created_at, id`);
  return r.rows;
}

export async function transferById(db: Db, id: string): Promise<TransferRow | undefined> {
  const r = await db.execute<TransferRow>(sql`
    select id, kind, debit_account_id, credit_account_id, amount::text, state, pending_id, code
      from ledger_transfers where id = ${id}::uuid`);
  return r.rows[0];
}

export async function countTransfersWithId(db: Db, id: string): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`select count(*)::int n from ledger_transfers where id = ${id}::uuid`);
  return Number(r.rows[0]?.n ?? -1);
}

export async function deltaRows(db: Db, accountIds: string[]): Promise<number> {
  const r = await db.execute<{ n: number }>(
    sql`select count(*)::int n from ledger_account_deltas where account_id = any(${`{${accountIds.join(',')}}`}::uuid[])`,
  );
  return Number(r.rows[0]?.n ?? -1);
}

/** The account row itself, without the unfolded deltas the view adds. */
export async function accountRow(db: Db, id: string): Promise<Counters> {
  const r = await db.execute<{ dp: string; dpo: string; cp: string; cpo: string }>(sql`
    select debits_pending::text dp, debits_posted::text dpo, credits_pending::text cp, credits_posted::text cpo
      from ledger_accounts where id = ${id}::uuid`);
  const row = r.rows[0];
  if (!row) throw new Error(`account ${id} not found`);
  return { debitsPending: BigInt(row.dp), debitsPosted: BigInt(row.dpo), creditsPending: BigInt(row.cp), creditsPosted: BigInt(row.cpo) };
}

/** Tallies results: { ok: 10, exceeds_credits: 190 }. */
export function tally(results: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r] = (out[r] ?? 0) + 1;
  return out;
}
