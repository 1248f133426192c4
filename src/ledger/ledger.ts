import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Metrics } from '../lib/metrics.js';
import { toBigInt, type Currency } from '../lib/money.js';
import type { AccountBalance, AccountInput, AccountKind, TransferInput, TransferResult } from './types.js';
import { isSuccess } from './types.js';

type Executor = Db | Tx;

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
 * The only code that writes balances. Every method takes the executor it runs
 * on, so callers put ledger changes in the same transaction as their own.
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
      sql`select idx, result from ledger_create_transfers(${Ledger.wire(transfers)}::jsonb, ${this.deps.clock.now().toISOString()}::timestamptz)`,
    );
    const out = result.rows.map((r) => r.result as TransferResult);
    transfers.forEach((t, i) => this.counted(t, out[i] ?? 'unknown'));
    return out;
  }

  /**
   * The batch as ledger_create_transfers takes it, for a SQL function that
   * creates transfers inside its own work (one round trip for both).
   */
  static wire(transfers: TransferInput[]): string {
    return JSON.stringify(transfers.map(toWire));
  }

  /** Counts a transfer such a function created, or refused. */
  counted(transfer: TransferInput, result: TransferResult | 'unknown'): void {
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
    const result = await db.execute<BalanceRow>(
      sql`select * from ledger_balances where id = any(${`{${ids.join(',')}}`}::uuid[])`,
    );
    return new Map(result.rows.map((r) => [r.id, toBalance(r)]));
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

  /** How many deltas are quarantined, and on how many accounts. */
  async quarantineSummary(db: Executor): Promise<{ deltas: number; accounts: number }> {
    const r = await db.execute<{ deltas: number; accounts: number }>(
      sql`select count(*)::int as deltas, count(distinct account_id)::int as accounts from ledger_quarantined_deltas`,
    );
    return { deltas: r.rows[0]?.deltas ?? 0, accounts: r.rows[0]?.accounts ?? 0 };
  }

  /** Puts quarantined deltas (of one account, or all) back for the next fold to try again. Returns how many. */
  async releaseQuarantined(db: Executor, accountId?: string): Promise<number> {
    const r = await db.execute<{ n: number }>(sql`select ledger_release_quarantined(${accountId ?? null}::uuid) as n`);
    return Number(r.rows[0]?.n ?? 0);
  }
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
