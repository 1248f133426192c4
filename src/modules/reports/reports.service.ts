import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { z } from 'zod';
import { notFound } from '../../lib/app-error.js';
import {
  openAt, payableAccounts, payableMovements, providerExists, reconciliationExceptions, schemeFigures, trialBalance,
  type MovementCursor, type MovementRow,
} from './reports.repo.js';
import type { exceptionSchema, holdItemSchema, schemeFiguresSchema, statementMovementSchema } from './reports.schemas.js';
import { holdView } from '../claims/holds.js';
import { holdCounts, openHolds } from '../claims/holds.repo.js';

type Executor = Db | Tx;
export const BATCH = 1000;

export type SchemeFigures = z.output<typeof schemeFiguresSchema>;
export type StatementMovement = z.output<typeof statementMovementSchema>;
export type ExceptionView = z.output<typeof exceptionSchema>;

/** The scheme report's CSV columns and rows: the API and the finance console send the same file. */
export const schemeColumns = [
  'scheme_id', 'code', 'name', 'currency', 'allocated', 'granted', 'expired', 'revoked', 'reversed', 'returned', 'available',
  'reserved', 'spent', 'spent_disbursed', 'spent_awaiting_disbursement', 'credit_with_learners', 'ties_out', 'as_of',
] as const;
export const schemeCsvRow = (f: SchemeFigures, asOf: string) => [
  f.schemeId, f.code, f.name, f.currency, f.allocated, f.granted, f.expired, f.revoked, f.reversed, f.returned, f.available,
  f.reserved, f.spent, f.spentDisbursed, f.spentAwaitingDisbursement, f.creditWithLearners, f.tiesOut, asOf,
];

/** Scheme figures in keyset batches of schemes. All arithmetic in bigint. */
export async function* schemeReport(db: Executor, asOf: string): AsyncGenerator<SchemeFigures[]> {
  let after: string | null = null;
  for (;;) {
    const rows = await schemeFigures(db, asOf, after, BATCH);
    yield rows.map((r) => {
      const allocated = BigInt(r.allocated), granted = BigInt(r.granted), expired = BigInt(r.expired), revoked = BigInt(r.revoked);
      // A reversed claim's money went back: to the learner's grant, or to the scheme when that grant had closed.
      const reversedToScheme = BigInt(r.reversed_to_scheme), reversedToGrants = BigInt(r.reversed_to_grants);
      const returned = expired + revoked + reversedToScheme;
      const available = allocated - granted + returned;
      const budgetBalance = BigInt(r.budget_credits_posted) - BigInt(r.budget_debits_posted) - BigInt(r.budget_debits_pending);
      const reversed = reversedToScheme + reversedToGrants;
      const reserved = BigInt(r.reserved), spent = BigInt(r.spent) - reversed, spentDisbursed = BigInt(r.spent_disbursed);
      const creditWithLearners = BigInt(r.grant_credits_posted) - BigInt(r.grant_debits_posted) - reserved;
      const tiesOut = available === budgetBalance && granted - returned === reserved + spent + creditWithLearners;
      return {
        schemeId: r.scheme_id, code: r.code, name: r.name, currency: r.currency,
        allocated: `${allocated}`, granted: `${granted}`, expired: `${expired}`, revoked: `${revoked}`, reversed: `${reversed}`, returned: `${returned}`,
        available: `${available}`, reserved: `${reserved}`, spent: `${spent}`, spentDisbursed: `${spentDisbursed}`,
        spentAwaitingDisbursement: `${spent - spentDisbursed}`, creditWithLearners: `${creditWithLearners}`, tiesOut,
      };
    });
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.scheme_id;
  }
}

export async function trialBalanceReport(db: Executor, asOf: string) {
  const rows = await trialBalance(db, asOf);
  const byCurrency = new Map<string, typeof rows>();
  for (const r of rows) byCurrency.set(r.currency, [...(byCurrency.get(r.currency) ?? []), r]);
  return [...byCurrency].map(([currency, kinds]) => {
    const sum = (k: 'debits_posted' | 'credits_posted' | 'debits_pending' | 'credits_pending') => kinds.reduce((s, r) => s + BigInt(r[k]), 0n);
    const dpo = sum('debits_posted'), cpo = sum('credits_posted'), dpe = sum('debits_pending'), cpe = sum('credits_pending');
    return {
      currency,
      accountKinds: kinds.map((r) => ({
        kind: r.kind, accounts: r.accounts, debitsPosted: r.debits_posted, creditsPosted: r.credits_posted,
        debitsPending: r.debits_pending, creditsPending: r.credits_pending,
      })),
      totals: { debitsPosted: `${dpo}`, creditsPosted: `${cpo}`, debitsPending: `${dpe}`, creditsPending: `${cpe}` },
      balanced: dpo === cpo && dpe === cpe,
    };
  });
}

/** What a movement does to owed (credits posted - debits posted - debits pending) of the payable. */
function effect(m: MovementRow): { debit: bigint; credit: bigint; movement: string } {
  const amount = BigInt(m.amount);
  const pending = m.pending_amount === null ? 0n : BigInt(m.pending_amount);
  if (m.side === 'credit') {
    // Only posted credits are listed: claim payments, returned disbursements.
    const movement = m.code === 'claim_payment' ? 'earned' : m.code === 'disbursement_returned' ? 'disbursement_returned' : 'other';
    return { debit: 0n, credit: amount, movement };
  }
  switch (m.kind) {
    case 'pending': return { debit: amount, credit: 0n, movement: 'disbursement_submitted' };
    // Settling moves money from in flight to disbursed; a part not posted comes back.
    case 'post_pending': return { debit: 0n, credit: pending - amount, movement: 'disbursement_settled' };
    case 'void_pending': return { debit: 0n, credit: pending, movement: m.code === 'disbursement_returned' ? 'disbursement_returned' : 'disbursement_released' };
    case 'expire_pending': return { debit: 0n, credit: pending, movement: 'disbursement_released' };
    default: return { debit: amount, credit: 0n, movement: 'other' };
  }
}

export interface StatementSection {
  currency: string;
  accountId: string;
  movements: AsyncGenerator<StatementMovement[]>;
  /** Valid once movements are exhausted. */
  closing: () => { earned: string; disbursed: string; inFlight: string; owed: string; reservedIncoming: string };
}

/** One section per payable currency; each streams its movements with a running balance. */
export async function providerStatement(db: Executor, providerId: string, asOf: string): Promise<StatementSection[]> {
  const accounts = await payableAccounts(db, providerId);
  return accounts.map(({ currency, account_id }) => {
    let owed = 0n, earned = 0n, settled = 0n, returnedAfterSettlement = 0n, inFlight = 0n;
    async function* movements(): AsyncGenerator<StatementMovement[]> {
      let after: MovementCursor | null = null;
      for (;;) {
        const rows = await payableMovements(db, account_id, asOf, after, BATCH);
        yield rows.map((m) => {
          const e = effect(m);
          owed += e.credit - e.debit;
          const amount = BigInt(m.amount), pending = m.pending_amount === null ? 0n : BigInt(m.pending_amount);
          if (m.side === 'credit') {
            if (m.code === 'claim_payment') earned += amount;
            else returnedAfterSettlement += amount;
          } else if (m.kind === 'pending') inFlight += amount;
          else if (m.kind === 'post_pending') { inFlight -= pending; settled += amount; }
          else if (m.kind === 'void_pending' || m.kind === 'expire_pending') inFlight -= pending;
          else settled += amount;
          return {
            at: m.at, transferId: m.id, kind: m.kind, code: m.code, referenceId: m.reference_id, movement: e.movement,
            debit: `${e.debit}`, credit: `${e.credit}`, balance: `${owed}`,
          };
        });
        if (rows.length < BATCH) return;
        const last = rows[rows.length - 1]!;
        after = { at: last.at, seq: last.seq, id: last.id };
      }
    }
    let reservedIncoming = 0n;
    const section: StatementSection = {
      currency,
      accountId: account_id,
      movements: (async function* () {
        yield* movements();
        reservedIncoming = await openCreditsPending(db, account_id, asOf);
      })(),
      closing: () => ({
        earned: `${earned}`, disbursed: `${settled - returnedAfterSettlement}`, inFlight: `${inFlight}`, owed: `${owed}`,
        reservedIncoming: `${reservedIncoming}`,
      }),
    };
    return section;
  });
}

async function openCreditsPending(db: Executor, accountId: string, asOf: string): Promise<bigint> {
  const r = await db.execute<{ s: string }>(sql`
    select coalesce(sum(p.amount), 0)::text s from ledger_credits_of(${accountId}::uuid) p
     where p.kind = 'pending' and p.created_at <= ${asOf}::timestamptz and ${openAt(asOf)}`);
  return BigInt(r.rows[0]?.s ?? '0');
}

export async function* exceptionList(db: Executor, status: 'open' | 'resolved' | undefined): AsyncGenerator<ExceptionView[]> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const rows = await reconciliationExceptions(db, status, after, BATCH);
    yield rows.map((r) => ({
      id: r.id, kind: r.kind as ExceptionView['kind'], statementLineId: r.statement_line_id, paymentLineId: r.payment_line_id, detail: r.detail,
      expected: r.expected, actual: r.actual, currency: r.currency, status: r.status as ExceptionView['status'], raisedAt: r.raised_at,
      resolvedBy: r.resolved_by, resolution: r.resolution, resolvedAt: r.resolved_at,
    }));
    if (rows.length < BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { at: last.raised_at_exact, id: last.id };
  }
}

export type HoldItem = z.output<typeof holdItemSchema>;

/** Open holds, soonest deadline first, in keyset batches; overdue against `now`. */
export async function* holdList(db: Executor, now: Date, escalated: boolean | undefined): AsyncGenerator<HoldItem[]> {
  let after: { decideBy: string; claimId: string } | null = null;
  for (;;) {
    const rows = await openHolds(db, { escalated, after, limit: BATCH });
    yield rows.map((r) => {
      const hold = holdView(r, 'staff');
      return {
        claimId: r.claim_id, providerId: r.provider_id, providerName: r.provider_name, claimStatus: r.claim_status, amount: r.amount, currency: r.currency,
        reasonCode: hold.reasonCode, reason: hold.reason, detail: hold.detail, since: hold.since, decideBy: hold.decideBy,
        overdue: new Date(hold.decideBy).getTime() < now.getTime(), escalated: hold.escalated, escalatedAt: hold.escalatedAt, handledBy: r.handled_by ?? [],
      };
    });
    if (rows.length < BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { decideBy: last.decide_by, claimId: last.claim_id };
  }
}

export async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of batches) out.push(...b);
  return out;
}

/** Refuses a report on a provider that does not exist (404). */
export async function requireProvider(db: Executor, providerId: string): Promise<void> {
  if (!(await providerExists(db, providerId))) throw notFound('provider');
}

/** How many holds are open now, how many are past their deadline, and how many were escalated. */
export const openHoldCounts = (db: Executor, now: Date) => holdCounts(db, now);
