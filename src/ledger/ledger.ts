import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Metrics } from '../lib/metrics.js';
import { toBigInt, type Currency } from '../lib/money.js';
import type { AccountBalance, AccountInput, AccountKind, TransferInput, TransferKind, TransferResult } from './types.js';
import { isSuccess } from './types.js';

type Executor = Db | Tx;

const uuidArray = (ids: string[]): string => `{${ids.join(',')}}`;

interface BalanceRow {
  id: string;
  currency: string;
  kind: string;
  owner_id: string | null;
  debits_pending: string;
  debits_posted: string;
  credits_pending: string;
  credits_posted: string;
  [k: string]: unknown;
}

const toBalance = (r: BalanceRow): AccountBalance => ({
  id: r.id,
  currency: r.currency as Currency,
  kind: r.kind as AccountKind,
  ownerId: r.owner_id,
  debitsPending: toBigInt(r.debits_pending),
  debitsPosted: toBigInt(r.debits_posted),
  creditsPending: toBigInt(r.credits_pending),
  creditsPosted: toBigInt(r.credits_posted),
});

const toWire = (t: TransferInput) => ({
  id: t.id,
  kind: t.kind,
  debit_account_id: t.debitAccountId ?? null,
  credit_account_id: t.creditAccountId ?? null,
  amount: t.amount === undefined ? null : t.amount.toString(),
  currency: t.currency ?? null,
  pending_id: t.pendingId ?? null,
  timeout_seconds: t.timeoutSeconds ?? null,
  code: t.code,
  reference_id: t.referenceId ?? null,
  linked: t.linked ?? false,
});

/** A batch as ledger_create_transfers takes it, as JSON text (the benchmarks drive the SQL with it directly). */
export const transferBatchJson = (transfers: TransferInput[]): string => JSON.stringify(transfers.map(toWire));
const batch = (transfers: TransferInput[]): SQL => sql`${transferBatchJson(transfers)}::jsonb`;

/** The ledger's read functions (ledger.sql) that SQL outside src/ledger/ may call. */
export const ledgerReads = [
  'ledger_account', 'ledger_balance', 'ledger_transfer', 'ledger_debits_of', 'ledger_credits_of', 'ledger_closings_of', 'ledger_transfers_as_of',
] as const;

/** Every ledger name SQL outside src/ledger/ may use: the rule in Ledger's comment. */
export const moduleSqlEntryPoints = ['ledger_reserve', 'ledger_available', ...ledgerReads] as const;

/** How many deltas are quarantined, and on how many accounts. Needs no Ledger: /readyz reads it with the database alone. */
export async function quarantineSummary(db: Executor): Promise<{ deltas: number; accounts: number }> {
  const r = await db.execute<{ deltas: number; accounts: number }>(
    sql`select count(*)::int as deltas, count(distinct account_id)::int as accounts from ledger_quarantined_deltas`,
  );
  return { deltas: r.rows[0]?.deltas ?? 0, accounts: r.rows[0]?.accounts ?? 0 };
}

export class LedgerRejected extends Error {
  constructor(readonly results: { index: number; result: TransferResult }[]) {
    super(`ledger refused transfers: ${results.map((r) => `#${r.index} ${r.result}`).join(', ')}`);
  }
  /** The first result that is the cause, not a linked consequence. */
  get cause0(): TransferResult {
    return (this.results.find((r) => r.result !== 'linked_event_failed') ?? this.results[0])?.result ?? 'unknown';
  }
}

/**
 * The only code that writes balances: the one door to the ledger. Every
 * method takes the executor it runs on, so callers put ledger changes in the
 * same transaction as their own.
 *
 * The rule: only src/ledger/ writes the ledger tables (ledger_accounts,
 * ledger_transfers, ledger_account_deltas, ledger_quarantined_deltas) or
 * calls the ledger's SQL functions, and every flow has a method here:
 * createTransfers/commit (claims, releases, sweeps, disbursements,
 * recoveries), reserve (enrolments), fundNewAccounts (grant runs) and
 * postPendingInBulk (settlement). Each changes counters through the one
 * conditional update, ledger_change in ledger.sql. Reads go through
 * balances(), transfers() and the quarantine methods, or, where a module
 * reads the ledger inside its own query (a join with its own tables, one
 * round trip, a plan cached in its SQL function), through the ledger's read
 * functions below.
 *
 * SQL outside src/ledger/ names no ledger table or view and calls only
 * these ledger functions (moduleSqlEntryPoints; test/ledger/one-door.test.ts
 * fails on any other name):
 * - ledger_reserve(batch, now): only from a statement that reserve() runs, so
 *   a module can reserve and write its own rows in one round trip;
 * - ledger_available(credits_posted, debits_posted, debits_pending): the pure
 *   rule for what an account can spend;
 * - the reads (ledgerReads), each a set of rows to join with:
 *   ledger_account(id) an account's row (its counters are its balance only
 *   for a limited account), ledger_balance(id) an account's balance with its
 *   deltas, ledger_transfer(id), ledger_debits_of(account),
 *   ledger_credits_of(account), ledger_closings_of(pending_id) what posted,
 *   voided or expired a pending transfer, and ledger_transfers_as_of(at)
 *   every transfer written by then, for as-of reports. The planner inlines
 *   them (ledger.sql says how), so a module's plans are those of a join with
 *   the table.
 */
export class Ledger {
  constructor(private readonly deps: { clock: Clock; metrics?: Metrics }) {}

  async createAccounts(db: Executor, accounts: AccountInput[]): Promise<void> {
    if (accounts.length === 0) return;
    const rows = accounts.map((a) => ({
      id: a.id,
      currency: a.currency,
      kind: a.kind,
      owner_id: a.ownerId ?? null,
      dl: a.limit === 'debits_must_not_exceed_credits',
      cl: a.limit === 'credits_must_not_exceed_debits',
    }));
    await db.execute(sql`
      insert into ledger_accounts (id, currency, kind, owner_id, debits_must_not_exceed_credits, credits_must_not_exceed_debits)
      select x.id, x.currency, x.kind, x.owner_id, x.dl, x.cl
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as x(id uuid, currency char(3), kind text, owner_id uuid, dl boolean, cl boolean)
      on conflict (id) do nothing`);
  }

  /** One round trip for the whole batch; one result per transfer, in order. */
  async createTransfers(db: Executor, transfers: TransferInput[]): Promise<TransferResult[]> {
    if (transfers.length === 0) return [];
    const result = await db.execute<{ idx: number; result: string }>(
      sql`select idx, result from ledger_create_transfers(${batch(transfers)}, ${this.deps.clock.now().toISOString()}::timestamptz)`,
    );
    const out = result.rows.map((r) => r.result as TransferResult);
    transfers.forEach((t, i) => this.counted(t, out[i] ?? 'unknown'));
    return out;
  }

  /**
   * Reserves inside the caller's own SQL function, in one round trip for the
   * ledger's part and the caller's: `statement` gets the batch (jsonb) and
   * must hand it to ledger_reserve(batch, now), which creates the transfers
   * and answers NULL or the first refusal. The statement answers one row
   * with `outcome`: `outcomes.done` when everything was written, otherwise
   * the ledger's refusal or one of the caller's own reasons
   * (`outcomes.own`, not counted as ledger results); the caller then rolls
   * back.
   */
  async reserve(
    db: Executor, transfers: TransferInput[], statement: (batch: SQL) => SQL, outcomes: { done: string; own: readonly string[] },
  ): Promise<string> {
    const r = await db.execute<{ outcome: string }>(statement(batch(transfers)));
    const outcome = r.rows[0]!.outcome;
    if (!outcomes.own.includes(outcome)) for (const t of transfers) this.counted(t, outcome === outcomes.done ? 'ok' : outcome);
    return outcome;
  }

  /**
   * Opens many new limited accounts and funds each from one source account
   * in one call: one conditional debit of the source for the total, the
   * accounts, one posted transfer per account (its id is the account id, so
   * a repeat is refused by the primary key). All or nothing: false, having
   * written nothing, when the source cannot cover the total (or its debits
   * would pass the int8 range). Used for grant runs over millions of learners.
   */
  async fundNewAccounts(
    tx: Tx,
    spec: { sourceAccountId: string; currency: Currency; kind: AccountKind; code: string; amount: bigint; accounts: { id: string; ownerId: string }[]; at: Date },
  ): Promise<boolean> {
    if (spec.accounts.length === 0) return true;
    const r = await tx.execute<{ funded: boolean }>(sql`
      select ledger_fund_new_accounts(${spec.sourceAccountId}::uuid, ${spec.currency}, ${spec.kind}, ${spec.code}, ${spec.amount}::bigint,
                                      ${uuidArray(spec.accounts.map((a) => a.id))}::uuid[], ${uuidArray(spec.accounts.map((a) => a.ownerId))}::uuid[],
                                      ${spec.at.toISOString()}::timestamptz) as funded`);
    return r.rows[0]?.funded === true;
  }

  /**
   * Posts many pending transfers in full, in one call. Only for transfers
   * between unlimited accounts (a payable paying out to bank clearing): it
   * throws on any other. Transfers already posted, voided or expired are
   * left alone; returns how many were posted.
   */
  async postPendingInBulk(tx: Tx, spec: { pendingIds: string[]; code: string; at: Date }): Promise<number> {
    if (spec.pendingIds.length === 0) return 0;
    const r = await tx.execute<{ n: number }>(
      sql`select ledger_post_pending_in_bulk(${uuidArray(spec.pendingIds)}::uuid[], ${spec.code}, ${spec.at.toISOString()}::timestamptz) as n`,
    );
    return r.rows[0]?.n ?? 0;
  }

  private counted(transfer: TransferInput, result: TransferResult | 'unknown'): void {
    this.deps.metrics?.transfers.inc({ kind: transfer.kind, result });
  }

  /** Like createTransfers, but throws LedgerRejected unless every transfer succeeded. */
  async commit(db: Executor, transfers: TransferInput[]): Promise<void> {
    const results = await this.createTransfers(db, transfers);
    const failed = results.map((result, index) => ({ index, result })).filter((r) => !isSuccess(r.result));
    if (failed.length > 0) throw new LedgerRejected(failed);
  }

  async balances(db: Executor, ids: string[]): Promise<Map<string, AccountBalance>> {
    if (ids.length === 0) return new Map();
    const result = await db.execute<BalanceRow>(sql`select * from ledger_balances where id = any(${uuidArray(ids)}::uuid[])`);
    return new Map(result.rows.map((r) => [r.id, toBalance(r)]));
  }

  /** Transfers by id, as the ledger recorded them; ids it does not know are left out. */
  async transfers(db: Executor, ids: string[]): Promise<Map<string, TransferRecord>> {
    if (ids.length === 0) return new Map();
    const r = await db.execute<{ id: string; kind: string; debit_account_id: string; credit_account_id: string; amount: string; state: string | null }>(
      sql`select id, kind, debit_account_id, credit_account_id, amount::text, state from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])`,
    );
    return new Map(r.rows.map((t) => [t.id, {
      id: t.id, kind: t.kind as TransferRecord['kind'], debitAccountId: t.debit_account_id, creditAccountId: t.credit_account_id, amount: toBigInt(t.amount),
      state: t.state as TransferRecord['state'],
    }]));
  }

  async balance(db: Executor, id: string): Promise<AccountBalance | undefined> {
    return (await this.balances(db, [id])).get(id);
  }

  /** Expires pending transfers whose timeout has passed. Returns how many. */
  async expirePending(db: Executor, limit = 1000): Promise<number> {
    const r = await db.execute<{ n: number }>(
      sql`select ledger_expire_pending(${this.deps.clock.now().toISOString()}::timestamptz, ${limit}) as n`,
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Folds appended deltas of unlimited accounts into their rows. Returns how many were folded. */
  async foldDeltas(db: Executor, limit = 50_000): Promise<number> {
    return (await this.fold(db, limit)).folded;
  }

  /**
   * Folds appended deltas; a delta that would take a counter out of range is
   * set aside (quarantined) instead of failing the fold for every account.
   */
  async fold(db: Executor, limit = 50_000): Promise<{ folded: number; quarantined: number }> {
    const r = await db.execute<{ folded: number; quarantined: number }>(sql`select folded, quarantined from ledger_fold(${limit})`);
    return { folded: Number(r.rows[0]?.folded ?? 0), quarantined: Number(r.rows[0]?.quarantined ?? 0) };
  }

  /** Deltas the fold set aside, oldest first: they stay counted in balances until released. */
  async quarantinedDeltas(db: Executor, limit = 100): Promise<QuarantinedDelta[]> {
    const r = await db.execute<{
      id: string; account_id: string; debits_pending: string; debits_posted: string; credits_pending: string; credits_posted: string;
      reason: string; quarantined_at: string;
    }>(sql`select id::text, account_id, debits_pending::text, debits_posted::text, credits_pending::text, credits_posted::text, reason,
                  quarantined_at::text from ledger_quarantined_deltas order by id limit ${limit}`);
    return r.rows.map((q) => ({
      id: q.id,
      accountId: q.account_id,
      debitsPending: toBigInt(q.debits_pending),
      debitsPosted: toBigInt(q.debits_posted),
      creditsPending: toBigInt(q.credits_pending),
      creditsPosted: toBigInt(q.credits_posted),
      reason: q.reason,
      quarantinedAt: new Date(q.quarantined_at),
    }));
  }

  async quarantineSummary(db: Executor): Promise<{ deltas: number; accounts: number }> {
    return quarantineSummary(db);
  }

  /** Puts quarantined deltas (of one account, or all) back for the next fold to try again. Returns how many. */
  async releaseQuarantined(db: Executor, accountId?: string): Promise<number> {
    const r = await db.execute<{ n: number }>(sql`select ledger_release_quarantined(${accountId ?? null}::uuid) as n`);
    return Number(r.rows[0]?.n ?? 0);
  }
}

export interface TransferRecord {
  id: string;
  kind: TransferKind | 'expire_pending';
  debitAccountId: string;
  creditAccountId: string;
  amount: bigint;
  /** A pending transfer's state; null for every other kind. */
  state: 'pending' | 'posted' | 'voided' | 'expired' | null;
}

export interface QuarantinedDelta {
  /** The delta's own id (bigserial), as text. */
  id: string;
  accountId: string;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
  /** What would have gone wrong: overflows_*, negative_*, exceeds_*, account_not_found. */
  reason: string;
  quarantinedAt: Date;
}
