import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, char, check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const money = (name: string) => bigint(name, { mode: 'bigint' }).notNull().default(sql`0`);

/**
 * TigerBeetle-style account. Balances are the sum of four counters. Accounts
 * with a limit flag are updated in place under a conditional UPDATE; accounts
 * with no limit (treasury, provider payables, bank clearing) only receive
 * deltas in ledger_account_deltas, folded in later, so no row becomes a queue.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid('id').primaryKey(),
    currency: char('currency', { length: 3 }).notNull(),
    kind: text('kind').notNull(),
    ownerId: uuid('owner_id'),
    debitsMustNotExceedCredits: boolean('debits_must_not_exceed_credits').notNull().default(false),
    creditsMustNotExceedDebits: boolean('credits_must_not_exceed_debits').notNull().default(false),
    debitsPending: money('debits_pending'),
    debitsPosted: money('debits_posted'),
    creditsPending: money('credits_pending'),
    creditsPosted: money('credits_posted'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('ledger_accounts_owner_idx').on(t.ownerId),
    check(
      'ledger_accounts_counters_nonnegative',
      sql`${t.debitsPending} >= 0 and ${t.debitsPosted} >= 0 and ${t.creditsPending} >= 0 and ${t.creditsPosted} >= 0`,
    ),
    check(
      'ledger_accounts_debits_within_credits',
      sql`not ${t.debitsMustNotExceedCredits} or ${t.debitsPending} + ${t.debitsPosted} <= ${t.creditsPosted}`,
    ),
    check(
      'ledger_accounts_credits_within_debits',
      sql`not ${t.creditsMustNotExceedDebits} or ${t.creditsPending} + ${t.creditsPosted} <= ${t.debitsPosted}`,
    ),
    check('ledger_accounts_one_limit', sql`not (${t.debitsMustNotExceedCredits} and ${t.creditsMustNotExceedDebits})`),
    check('ledger_accounts_currency_format', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * Balance changes for unlimited accounts, appended instead of updating a hot
 * row. No foreign key to the account on purpose: a foreign-key check takes a
 * KEY SHARE lock on the referenced row, and on a provider's payable that is
 * every reservation in the country sharing one row lock (MultiXact churn).
 * The ledger functions check accounts exist; ledgerViolations() checks that
 * nothing references a missing account.
 */
export const ledgerAccountDeltas = pgTable(
  'ledger_account_deltas',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    accountId: uuid('account_id').notNull(),
    debitsPending: money('debits_pending'),
    debitsPosted: money('debits_posted'),
    creditsPending: money('credits_pending'),
    creditsPosted: money('credits_posted'),
  },
  (t) => [index('ledger_account_deltas_account_idx').on(t.accountId)],
);

/** Deltas the fold set aside, with why (an overflow, a broken limit): still counted in balances, reported until resolved. */
export const ledgerQuarantinedDeltas = pgTable(
  'ledger_quarantined_deltas',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey(),
    accountId: uuid('account_id').notNull(),
    debitsPending: bigint('debits_pending', { mode: 'bigint' }).notNull(),
    debitsPosted: bigint('debits_posted', { mode: 'bigint' }).notNull(),
    creditsPending: bigint('credits_pending', { mode: 'bigint' }).notNull(),
    creditsPosted: bigint('credits_posted', { mode: 'bigint' }).notNull(),
    reason: text('reason').notNull(),
    quarantinedAt: timestamp('quarantined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ledger_quarantined_deltas_account_idx').on(t.accountId)],
);

/**
 * Every movement of money. Pending transfers carry a state that moves once:
 * pending -> posted | voided | expired. Post, void and expire are transfers
 * of their own that name the pending one. No foreign keys to accounts, for the
 * reason given on ledger_account_deltas.
 */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ['posted', 'pending', 'post_pending', 'void_pending', 'expire_pending'] }).notNull(),
    debitAccountId: uuid('debit_account_id').notNull(),
    creditAccountId: uuid('credit_account_id').notNull(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    pendingId: uuid('pending_id'),
    state: text('state', { enum: ['pending', 'posted', 'voided', 'expired'] }),
    timeoutAt: timestamp('timeout_at', { withTimezone: true }),
    code: text('code').notNull(),
    referenceId: uuid('reference_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('ledger_transfers_debit_idx').on(t.debitAccountId, t.createdAt),
    index('ledger_transfers_credit_idx').on(t.creditAccountId, t.createdAt),
    index('ledger_transfers_pending_idx').on(t.pendingId).where(sql`${t.pendingId} is not null`),
    index('ledger_transfers_reference_idx').on(t.referenceId),
    index('ledger_transfers_timeout_idx').on(t.timeoutAt).where(sql`${t.state} = 'pending'`),
    check('ledger_transfers_amount_nonnegative', sql`${t.amount} >= 0`),
    check('ledger_transfers_distinct_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`),
    check(
      'ledger_transfers_state_for_pending',
      sql`(${t.kind} = 'pending') = (${t.state} is not null)`,
    ),
  ],
);
